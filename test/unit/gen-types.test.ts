// `bpfkit gen types`: the module it prints for an object compiles, and its codecs open the object's maps
// and read what a program wrote (run as a user program importing 'bpfkit', on the emulator).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { expect, test } from 'vitest';
import { generateTypes } from '../../src/cli/gen-types.js';
import { main } from '../../src/cli/main.js';
import { packageRoot } from '../../src/package-root.js';
import { fixture } from '../kernel/bpf-fixtures.js';

test('codecs for every BTF map and global, named structs declared once', () => {
  const text = generateTypes(fixture('spin_lock'));
  expect(text).toContain("export const counter = struct({ lock: spinLock, count: u64 }, { name: 'counter' });");
  expect(text).toContain('export const array_counter = { key: u32, value: counter };');
  expect(text.match(/export const counter =/g)).toHaveLength(1);
  const globals = generateTypes(fixture('loader_features'));
  expect(globals).toContain('export const locked = { key: u32, value: struct({ lock: spinLock, pad: u32, hits: array(u64, 2) }) };');
  expect(globals).toContain("/** global 'custom_value' in .data.custom */\nexport const global_custom_value = u32;");
  // Maps without keys: their type and value, for obj.map(name, { type, value }).
  const keyless = generateTypes(fixture('queue_pipe'));
  expect(keyless).toContain("/** map 'fifo' (queue) */\nexport const fifo = { type: 'queue', value: u32 } as const;");
  expect(keyless).toContain("export const lifo = { type: 'stack', value: u32 } as const;");
  expect(keyless).toContain("export const events = { type: 'queue', value: u64 } as const;\nexport type eventsValue = Infer<typeof events.value>;");
  expect(keyless).toContain("export const seen = { type: 'bloom_filter', value: u32 } as const;");
  expect(keyless).toContain('export const table = { key: u32, value: u32 };');
  // A prog array: its type alone (its values are programs).
  expect(generateTypes(fixture('tail_dispatch'))).toContain("/** map 'jumps' (prog_array) */\nexport const jumps = { type: 'prog_array' } as const;");
  // An LPM trie whose key is laid out as struct bpf_lpm_trie_key_u8 (prefixlen, data): lpmKey(n).
  const trie = generateTypes(fixture('lpm_firewall'));
  expect(trie).toContain("/** map 'rules' (lpm_trie) */\nexport const rules = { key: lpmKey(4), value: u32 };");
  expect(trie).toMatch(/^import \{ .*lpmKey.* \} from 'bpfkit';$/m);
});

/**
 * Writes the module `bpfkit gen types` makes for fixture `object` (as OBJECT.ts) and `use` (as USE.ts) into
 * build/gen-types, type-checks them as a user's project would ('bpfkit' through the package's own exports,
 * dist/, which Node and TypeScript resolve by name from inside the package: build/ has no package.json of its
 * own), and runs `use` when they type-check: the type errors, and what it printed.
 */
function useGenerated(object: string, useName: string, use: readonly string[]): { errors: string[]; output: string } {
  const dir = join(packageRoot(), 'build', 'gen-types');
  mkdirSync(dir, { recursive: true });
  const files = [[object, generateTypes(fixture(object))], [useName, use.join('\n')]] as const;
  for (const [name, text] of files) writeFileSync(join(dir, `${name}.ts`), text);
  const program = ts.createProgram([join(dir, `${useName}.ts`)], {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts', 'lib.esnext.disposable.d.ts'], types: ['node'], strict: true, noEmit: true, skipLibCheck: true,
  });
  const errors = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  if (errors.length > 0) return { errors, output: '' };
  for (const [name, text] of files) {
    writeFileSync(join(dir, `${name}.js`), ts.transpileModule(text, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText);
  }
  return { errors, output: execFileSync(process.execPath, [join(dir, `${useName}.js`)], { cwd: dir, encoding: 'utf8' }) };
}

test('the generated module type-checks, and its codecs read what the program wrote', () => {
  const use = [
    "import { Emulator, openObject } from 'bpfkit';",
    "import { array_counter, type counter } from './spin_lock.js';",
    `using obj = openObject(${JSON.stringify(fixture('spin_lock'))}, { engine: new Emulator() });`,
    "obj.program('spin_array').run({ data: new Uint8Array(64), repeat: 5 });",
    "using map = obj.map('array_counter', { ...array_counter, perCpu: false });",
    'const value: counter | undefined = map.get(0);',
    'console.log(String(value?.count));',
  ];
  expect(useGenerated('spin_lock', 'use', use)).toEqual({ errors: [], output: '5\n' });
});

test('a keyless map\'s generated { type, value } opens it as a QueueMap, typed', () => {
  const use = [
    "import { Emulator, openObject, type QueueMap } from 'bpfkit';",
    "import { fifo, type fifoValue } from './queue_pipe.js';",
    `using obj = openObject(${JSON.stringify(fixture('queue_pipe'))}, { engine: new Emulator() });`,
    'obj.globals.count = 2;',
    'obj.globals.base = 7;',
    "obj.program('produce').run({ data: new Uint8Array(64) });",
    "using q: QueueMap<number> = obj.map('fifo', fifo);",
    'const first: fifoValue | undefined = q.pop();',
    'console.log(first, q.pop(), q.pop());',
  ];
  expect(useGenerated('queue_pipe', 'use_queue', use)).toEqual({ errors: [], output: '7 8 undefined\n' });
});

test('an LPM trie\'s generated { key: lpmKey(4), value } opens it as an LpmTrieMap the program matches against', () => {
  const use = [
    "import { Emulator, LpmTrieMap, openObject } from 'bpfkit';",
    "import { rules, type rulesKey } from './lpm_firewall.js';",
    `using obj = openObject(${JSON.stringify(fixture('lpm_firewall'))}, { engine: new Emulator() });`,
    "using trie = obj.map('rules', { ...rules, perCpu: false });",
    'const drop: rulesKey = { prefixlen: 16, data: new Uint8Array([10, 1, 0, 0]) };',
    'trie.set(drop, 1);',
    'const packet = new Uint8Array(64);',
    'packet.set([8, 0, 0x45], 12);',
    'packet.set([10, 1, 2, 3], 26);',
    "console.log(trie instanceof LpmTrieMap, obj.program('filter').run({ data: packet }).retval, trie.get({ prefixlen: 32, data: new Uint8Array([10, 1, 9, 9]) }));",
  ];
  expect(useGenerated('lpm_firewall', 'use_trie', use)).toEqual({ errors: [], output: 'true 1 1\n' });
});

test('usage errors exit 2; an object without BTF exits 1', async () => {
  expect(await main(['gen'])).toBe(2);
  expect(await main(['gen', 'types'])).toBe(2);
  expect(await main(['gen', 'types', '/nonexistent.bpf.o'])).toBe(1);
});
