// Mutated .bpf.o files (issue: a malformed object never hangs, crashes or blows up memory in bpfkit's own
// parsers; every failure is a clear error). The bpf/unlocked.bpf.c fixture, with its map's value type
// swapped for hand-written BTF (test/helpers/hostile-btf.ts) or an ELF header field edited, is opened by
// each engine in a child process with a 256 MiB heap and a 10 s deadline (test/helpers/isolated.ts). Where
// libbpf opens a file the emulator opens it too, and where libbpf refuses one both refuse it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { BtfKind } from '../../src/btf/decode.js';
import { fixture } from '../kernel/bpf-fixtures.js';
import { withMapValueType, sectionHeaderOffset, type BtfWriter } from '../helpers/hostile-btf.js';
import { runIsolated, type IsolatedResult } from '../helpers/isolated.js';
import { kernelSkipReason } from '../helpers/kernel.js';

let base: Uint8Array | undefined;
let skip: string | undefined;
try {
  base = new Uint8Array(readFileSync(fixture('unlocked')));
} catch (e) {
  skip = `cannot build build/bpf/unlocked.bpf.o (run make setup): ${(e as Error).message.split('\n')[0]}`;
}
const kernelSkip = kernelSkipReason();
for (const [what, reason] of [['hostile objects', skip], ['hostile objects [kernel]', kernelSkip]] as const) {
  if (reason) console.log(`skipped: ${what}: ${reason}`);
}

const dir = mkdtempSync(join(tmpdir(), 'bpfkit-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

type EngineName = 'kernel' | 'emulator';

/** openObject(bytes) on `engine` in a child process: the map names, or the error. */
function open(bytes: Uint8Array, engine: EngineName): IsolatedResult {
  const path = join(dir, `m${files++}.bpf.o`);
  writeFileSync(path, bytes);
  return runIsolated(`
    const { openObject } = await import(dist + '/index.js');
    return timed(() => {
      const o = openObject(args.path, { engine: args.engine });
      const maps = Object.keys(o.maps);
      o.close();
      return maps;
    });
  `, { path, engine });
}

function edited(f: (v: DataView, b: Uint8Array) => void): Uint8Array {
  const b = base!.slice();
  f(new DataView(b.buffer), b);
  return b;
}

const withValue = (build: (w: BtfWriter) => number): Uint8Array => withMapValueType(base!, 'counter', build);

/** Finished in time, through an error with this code whose message matches. */
function expectError(r: IsolatedResult, code: string, message?: RegExp): void {
  expect(r.died).toBeUndefined();
  expect(r.error).toMatchObject({ name: expect.stringMatching(/^Bpf/), code });
  if (message) expect(r.error!.message).toMatch(message);
  expect(r.ms).toBeLessThan(2000);
}

function expectOpens(r: IsolatedResult): void {
  expect(r.died).toBeUndefined();
  expect(r.error).toBeUndefined();
  expect(r.value).toContain('counter');
  expect(r.ms).toBeLessThan(2000);
}

const T = { timeout: 60_000 };
const engines = (): EngineName[] => (kernelSkip ? ['emulator'] : ['kernel', 'emulator']);

describe.skipIf(skip !== undefined)('hostile BTF in an object', () => {
  test('a value type that is a CONST of itself: the emulator names the loop; libbpf refuses the size', T, () => {
    const bytes = withValue((w) => w.ref(BtfKind.Const, w.nextId));
    expectError(open(bytes, 'emulator'), 'ENOEXEC', /Const refers back to type \d+ \(a loop\)/);
    if (!kernelSkip) expectError(open(bytes, 'kernel'), 'EINVAL'); // libbpf: can't determine value size
  });

  test('a value struct with two members of its own type: no exponential walk, here or in the addon', T, () => {
    // libbpf opens it (btf__resolve_size reads the struct's size); the addon's CollectStructNames took
    // 2^32 steps over it. The kernel refuses the BTF at load and libbpf goes on without it.
    const bytes = withValue((w) => w.struct('loop', 8, [['a', w.nextId, 0], ['b', w.nextId, 0]]));
    expectError(open(bytes, 'emulator'), 'ENOEXEC', /Struct 'loop' contains itself/);
    if (!kernelSkip) {
      const r = open(bytes, 'kernel');
      expect(r.died).toBeUndefined();
      expect(r.ms).toBeLessThan(2000);
    }
  });

  test('a value holding an array of 2^26 lock structs: E2BIG at map creation, in milliseconds', T, () => {
    const bytes = withValue((w) => {
      const u32 = w.int('unsigned int', 4);
      const lock = w.struct('bpf_spin_lock', 4, [['val', u32, 0]]);
      return w.struct('value', 2 ** 28, [['locks', w.array(lock, 2 ** 26, u32), 0]]);
    });
    expectError(open(bytes, 'emulator'), 'E2BIG', /BPF_MAP_CREATE on map 'counter'/);
  });

  test('a value type behind 40 typedefs and modifiers: both engines refuse it', T, () => {
    const bytes = withValue((w) => {
      let id = w.int('long long unsigned int', 8);
      for (let i = 0; i < 40; i++) id = w.ref(i % 2 ? BtfKind.Volatile : BtfKind.Typedef, id, i % 2 ? '' : `t${i}`);
      return id;
    });
    expectError(open(bytes, 'emulator'), 'ENOEXEC', /more than 31 typedefs, modifiers or arrays in a row/);
    if (!kernelSkip) expectError(open(bytes, 'kernel'), 'EINVAL'); // libbpf: can't determine value size
  });
});

describe.skipIf(skip !== undefined)('ELF headers libbpf accepts, and those it refuses', () => {
  test.each(engines())('e_shentsize 128 opens: libelf reads Elf64_Shdr entries whatever it says [%s]', (engine) => {
    expectOpens(open(edited((v) => v.setUint16(58, 128, true)), engine));
  }, 30_000);

  test.each(engines())('huge 64-bit fields libbpf never reads open (e_entry, sh_addralign, a FILE symbol\'s st_value) [%s]', (engine) => {
    const bytes = edited((v, b) => {
      v.setBigUint64(24, 1n << 63n, true); // e_entry
      v.setBigUint64(sectionHeaderOffset(b, '.text') + 48, 1n << 62n, true); // sh_addralign
      const symtab = Number(v.getBigUint64(sectionHeaderOffset(b, '.symtab') + 24, true));
      expect(b[symtab + 24 + 4]! & 0xf).toBe(4); // symbol #1 is STT_FILE
      v.setBigUint64(symtab + 24 + 8, 1n << 62n, true); // its st_value
    });
    expectOpens(open(bytes, engine));
  }, 30_000);

  test.each(engines())('a truncated .debug_info opens: libbpf never reads DWARF (ignore_elf_section) [%s]', (engine) => {
    const bytes = edited((v, b) => v.setBigUint64(sectionHeaderOffset(b, '.debug_info') + 24, BigInt(b.length - 4), true));
    expectOpens(open(bytes, engine));
  }, 30_000);

  test.each(engines())('e_machine EM_NONE opens (old LLVM wrote it; bpf_object__elf_init accepts it) [%s]', (engine) => {
    expectOpens(open(edited((v) => v.setUint16(18, 0, true)), engine));
  }, 30_000);

  test.each(engines())('a truncated .BTF and an unknown EI_VERSION are refused [%s]', (engine) => {
    const btf = edited((v, b) => v.setBigUint64(sectionHeaderOffset(b, '.BTF') + 24, BigInt(b.length - 4), true));
    expectError(open(btf, engine), 'ENOEXEC', engine === 'emulator' ? /truncated: section #\d+ \(\.BTF\)/ : undefined);
    expectError(open(edited((_v, b) => (b[6] = 9)), engine), 'ENOEXEC', engine === 'emulator' ? /unknown ELF version/ : undefined);
  }, 30_000);
});
