// Pulls the runnable code blocks out of README.md so they run in `make test` and cannot rot.
//
// Every ```ts, ```typescript and ```js block runs; ```sh blocks (commands) do not. An HTML comment on the
// line just above a block (invisible on GitHub) says how:
//   <!-- test: engines=emulator -->   run on these engines only (default: kernel and emulator)
//   <!-- test: name=flows -->         starts a chain of blocks called flows
//   <!-- test: continues=flows -->    continues that chain: runs after its earlier blocks, using their names
//   <!-- test: commonjs -->           a ```js block that is CommonJS (require), run as a .cjs file
//   <!-- test: cwd=compiled -->       runs in the folder where the ```c blocks were compiled
// A ```c block with <!-- test: file=NAME.bpf.c --> is written to a folder where the ```sh blocks marked
// <!-- test: compile --> (the README's clang lines) then run in order, before any block, so blocks can load NAME.bpf.o.
// A line `console.log(expr); // prints: TEXT` is also a check: the block must print TEXT there.

export type EngineName = 'kernel' | 'emulator';

export interface CSource {
  line: number;
  file: string;
  code: string;
}

export interface ReadmeBlock {
  /** 1-based line of the opening fence, for messages. */
  line: number;
  lang: 'ts' | 'js' | 'cjs';
  /** Runs in the folder of the compiled ```c blocks instead of the repository root. */
  inCompiledDir: boolean;
  engines: EngineName[];
  /** The block's own code. */
  code: string;
  /** The code that runs: with `continues`, the chain's earlier blocks first, imports merged. */
  program: string;
  /** The `// prints:` texts, in order. */
  expected: string[];
}

const fence = /^```(\w+)?\s*$/;
const directive = /^<!--\s*test:\s*(.*?)\s*-->\s*$/;
const runnable: Record<string, 'ts' | 'js'> = { ts: 'ts', typescript: 'ts', js: 'js', javascript: 'js' };

export function extractBlocks(markdown: string): ReadmeBlock[] {
  return extract(markdown).blocks;
}

export function extractCSources(markdown: string): { sources: CSource[]; compile: string[] } {
  const { sources, compile } = extract(markdown);
  return { sources, compile };
}

function extract(markdown: string): { blocks: ReadmeBlock[]; sources: CSource[]; compile: string[] } {
  const sources: CSource[] = [];
  const compile: string[] = [];
  const lines = markdown.split('\n');
  const blocks: ReadmeBlock[] = [];
  const chains = new Map<string, ReadmeBlock>();
  for (let i = 0; i < lines.length; i++) {
    const open = fence.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
    if (end === lines.length) throw new Error(`README.md:${start + 1}: code block never closed`);
    i = end;
    const code = lines.slice(start + 1, end).join('\n');
    const options = directive.exec(lines[start - 1] ?? '')?.[1] ?? '';
    const cFile = /\bfile=([\w.-]+\.c)\b/.exec(options)?.[1];
    if (open[1] === 'c' && cFile) sources.push({ line: start + 1, file: cFile, code });
    if (open[1] === 'sh' && /\bcompile\b/.test(options)) compile.push(code);
    const base = runnable[open[1] ?? ''];
    if (!base) continue;
    const lang = base === 'js' && /\bcommonjs\b/.test(options) ? 'cjs' : base;
    const engines = parseEngines(options, start + 1);
    const chain = /\bcontinues=(\w+)/.exec(options)?.[1];
    const previous = chain === undefined ? undefined : chains.get(chain);
    if (chain !== undefined && !previous) throw new Error(`README.md:${start + 1}: continues=${chain}, but no block before it is named ${chain}`);
    const continues = previous !== undefined;
    const block: ReadmeBlock = {
      line: start + 1,
      lang,
      inCompiledDir: /\bcwd=compiled\b/.test(options),
      engines,
      code,
      program: continues ? mergeImports(`${previous!.program}\n${code}`) : code,
      expected: [...(continues ? previous!.expected : []), ...expectedPrints(code)],
    };
    blocks.push(block);
    const name = chain ?? /\bname=(\w+)/.exec(options)?.[1];
    if (name !== undefined) chains.set(name, block);
  }
  return { blocks, sources, compile };
}

function parseEngines(options: string, line: number): EngineName[] {
  const m = /\bengines=([\w,]+)/.exec(options);
  if (!m) return ['kernel', 'emulator'];
  const names = m[1]!.split(',');
  for (const n of names) if (n !== 'kernel' && n !== 'emulator') throw new Error(`README.md:${line}: unknown engine '${n}'`);
  return names as EngineName[];
}

function expectedPrints(code: string): string[] {
  const out: string[] = [];
  for (const l of code.split('\n')) {
    const m = /\/\/ prints: (.*)$/.exec(l);
    if (m) out.push(m[1]!.trim());
  }
  return out;
}

/**
 * A chain of blocks concatenated has each block's imports: one `import { ... } from 'm'` per module,
 * hoisted, with the names merged (a module may not import one name twice).
 */
export function mergeImports(code: string): string {
  const names = new Map<string, Set<string>>();
  const body: string[] = [];
  for (const line of code.split('\n')) {
    const m = /^import\s+\{([^}]*)\}\s+from\s+'([^']+)';?\s*$/.exec(line);
    if (!m) {
      body.push(line);
      continue;
    }
    const set = names.get(m[2]!) ?? new Set<string>();
    for (const n of m[1]!.split(',').map((s) => s.trim()).filter(Boolean)) set.add(n);
    names.set(m[2]!, set);
  }
  const imports = [...names].map(([mod, set]) => `import { ${[...set].join(', ')} } from '${mod}';`);
  return [...imports, ...body].join('\n');
}
