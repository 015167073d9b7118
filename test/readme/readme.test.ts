// Every ```ts/```js block of README.md is type-checked (against src/, as users' TypeScript would be) and
// run with node as a user's program importing 'bpfkit' (the package's self-reference: dist/, built by
// `make setup`), on the kernel and on the emulator, and what it says it prints is checked. See
// test/readme/extract.ts for the block directives.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';
import { kernelSkipReason } from '../helpers/kernel.js';
import { extractBlocks, extractCSources, type EngineName, type ReadmeBlock } from './extract.js';

const root = join(import.meta.dirname, '..', '..');
const work = join(root, 'build', 'readme', 'blocks');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = extractBlocks(readme);
const { sources, compile } = extractCSources(readme);
// A folder inside the package, so `import 'bpfkit'` resolves as the package's self-reference.
const compiled = join(work, 'compiled');
const runnableExt = (b: ReadmeBlock): string => (b.lang === 'cjs' ? 'cjs' : 'mjs');
const fileOf = (b: ReadmeBlock, ext: string): string => join(b.inCompiledDir ? compiled : work, `block-${b.line}.${ext}`);

rmSync(work, { recursive: true, force: true });
mkdirSync(compiled, { recursive: true });
for (const b of blocks) {
  if (b.lang === 'ts') writeFileSync(fileOf(b, 'ts'), b.program);
  const js = b.lang === 'ts' ? ts.transpileModule(b.program, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText : b.program;
  writeFileSync(fileOf(b, runnableExt(b)), js);
}
for (const s of sources) writeFileSync(join(compiled, s.file), s.code);

test("the README's own BPF C programs compile with the README's clang lines", () => {
  expect(sources.length).toBeGreaterThan(0);
  expect(compile.length).toBeGreaterThan(0);
  for (const line of compile) execFileSync('bash', ['-euo', 'pipefail', '-c', line], { cwd: compiled, stdio: ['ignore', 'inherit', 'inherit'] });
  for (const s of sources) expect(statSync(join(compiled, s.file.replace(/\.c$/, '.o'))).size).toBeGreaterThan(0);
});

test('README.md has runnable blocks, each with its engines', () => {
  expect(blocks.length).toBeGreaterThan(10);
  for (const b of blocks) expect(b.engines.length).toBeGreaterThan(0);
});

test('every TypeScript block type-checks as a user program importing bpfkit', () => {
  const files = blocks.filter((b) => b.lang === 'ts').map((b) => fileOf(b, 'ts'));
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts', 'lib.esnext.disposable.d.ts'],
    types: ['node'],
    typeRoots: [join(root, 'node_modules', '@types')],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    // The types of the source being tested, not of whatever dist/ was last built from.
    paths: { bpfkit: [join(root, 'src', 'index.ts')] },
  });
  const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.file === undefined || files.includes(d.file.fileName));
  const text = diagnostics.map((d) => {
    const where = d.file && d.start !== undefined ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
    return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
  });
  expect(text).toEqual([]);
});

interface BlockResult {
  file: string;
  ok: boolean;
  printed: string[];
  error?: string;
}

function runOn(engine: EngineName): Map<string, BlockResult> {
  const mine = blocks.filter((b) => b.engines.includes(engine));
  const out = join(work, `results-${engine}.json`);
  const args = mine.map((b) => `${fileOf(b, runnableExt(b))}${b.inCompiledDir ? `@${compiled}` : ''}`);
  execFileSync(process.execPath, [join(import.meta.dirname, 'run-blocks.mjs'), out, ...args], {
    cwd: root,
    env: { ...process.env, BPFKIT_ENGINE: engine },
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 60_000,
  });
  return new Map((JSON.parse(readFileSync(out, 'utf8')) as BlockResult[]).map((r) => [r.file, r]));
}

/** Each expected text must appear among the printed lines, in order. */
function checkPrints(b: ReadmeBlock, printed: string[]): void {
  let at = 0;
  for (const want of b.expected) {
    const found = printed.findIndex((p, i) => i >= at && p.includes(want));
    expect(found, `README.md:${b.line} should print ${JSON.stringify(want)}; it printed:\n${printed.join('\n')}`).toBeGreaterThanOrEqual(0);
    at = found + 1;
  }
}

const distStale = (() => {
  try {
    return statSync(join(root, 'dist', 'index.js')).mtimeMs < statSync(join(root, 'src', 'index.ts')).mtimeMs;
  } catch {
    return true;
  }
})();
if (distStale) console.log('README blocks import bpfkit from dist/, which is missing or older than src/: `make setup` rebuilds it');

for (const engine of ['kernel', 'emulator'] as const) {
  const skip = engine === 'kernel' ? kernelSkipReason() : undefined;
  if (skip) console.log(`skipped: README blocks [kernel]: ${skip}`);
  describe.skipIf(skip !== undefined)(`README blocks [${engine}]`, () => {
    let results: Map<string, BlockResult> | undefined;
    const resultOf = (b: ReadmeBlock): BlockResult => (results ??= runOn(engine)).get(fileOf(b, runnableExt(b)))!;
    for (const b of blocks.filter((x) => x.engines.includes(engine))) {
      test(`README.md:${b.line}`, () => {
        const r = resultOf(b);
        expect(r.ok, `README.md:${b.line} failed on the ${engine}:\n${r.error}\n--- program ---\n${b.program}`).toBe(true);
        checkPrints(b, r.printed);
      });
    }
  });
}
