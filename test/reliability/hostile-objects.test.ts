// Mutated .bpf.o files (issue: a malformed object never hangs, crashes or blows up memory in bpfkit's own
// parsers; every failure is a clear error). The bpf/unlocked.bpf.c fixture, with its map's value type
// swapped for hand-written BTF (test/helpers/hostile-bytes.ts) or an ELF header field edited, is opened by
// each engine in a child process with a 256 MiB heap and a 10 s deadline (test/helpers/isolated.ts). Where
// libbpf opens a file the emulator opens it too, and where libbpf refuses one both refuse it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { BtfKind } from '../../src/btf/decode.js';
import { fixture } from '../kernel/bpf-fixtures.js';
import { buildElf, withMapValueType, sectionHeaderOffset, type BtfWriter } from '../helpers/hostile-bytes.js';
import { runIsolated, type IsolatedResult } from '../helpers/isolated.js';
import { kernelSkipReason } from '../helpers/kernel.js';
import { ElfConst, readElf } from '../../src/elf/reader.js';
import { DEFAULT_KERNEL_VERSION, refusalAt } from '../../src/emulator/kernel-version.js';
import { EINVAL, errnoCode } from '../../src/uapi/errno.js';
import { features } from '../../src/index.js';

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
  test('a value type that is a CONST of itself: refused by both engines; the kernel engine keeps it from libbpf', T, () => {
    const bytes = withValue((w) => w.ref(BtfKind.Const, w.nextId));
    // libbpf follows such a chain forever from an extern or a CO-RE relocation (skip_mods_and_typedefs).
    if (!kernelSkip) expectError(open(bytes, 'kernel'), 'ENOEXEC', /bpfkit refused it before libbpf.*a chain of modifiers and typedefs with no end/);
    expectError(open(bytes, 'emulator'), 'ENOEXEC', /a chain of modifiers and typedefs with no end/);
  });

  test('a type id past the last type, and a FUNC_PROTO returning one: refused before libbpf (1.1 crashes on both)', T, () => {
    // libbpf 1.3+ refuses both (btf_validate_id); the emulator refuses them with the same rule.
    const pastEnd = withValue((w) => w.ref(BtfKind.Ptr, 0xfffff));
    const proto = withValue((w) => {
      w.raw(0, BtfKind.FuncProto, 0, 0xffff); // a prototype returning type 65535
      return w.int('unsigned int', 4);
    });
    for (const engine of engines()) {
      expectError(open(pastEnd, engine), 'ENOEXEC', /refers to type 1048575, past the last/);
      expectError(open(proto, engine), 'ENOEXEC', /refers to type 65535, past the last/);
    }
  });

  test('an INT wider than 128 bits: refused before libbpf (a kconfig extern of it gave libbpf a bad pointer)', T, () => {
    const wide = withValue((w) => w.raw(w.str('huge'), BtfKind.Int, 0, 0x7fff_fff0, 32));
    for (const engine of engines()) expectError(open(wide, engine), 'ENOEXEC', /INT of 2147483632 bytes/);
  });

  test('a value struct with two members of its own type: no exponential walk; both engines go on without the BTF', T, () => {
    // libbpf opens it (btf__resolve_size reads the struct's size); the addon's CollectStructNames took
    // 2^32 steps over it. The kernel refuses the BTF at load (btf_resolve) and libbpf goes on without it.
    const bytes = withValue((w) => w.struct('loop', 8, [['a', w.nextId, 0], ['b', w.nextId, 0]]));
    for (const engine of engines()) expectOpens(open(bytes, engine));
  });

  test('a value holding an array of 2^26 lock structs: E2BIG at map creation, in milliseconds', T, () => {
    const bytes = withValue((w) => {
      const u32 = w.int('unsigned int', 4);
      const lock = w.struct('bpf_spin_lock', 4, [['val', u32, 0]]);
      return w.struct('value', 2 ** 28, [['locks', w.array(lock, 2 ** 26, u32), 0]]);
    });
    expectError(open(bytes, 'emulator'), 'E2BIG', /BPF_MAP_CREATE on map 'counter'/);
  });

  test('bpfkit gen types on a value of 25 levels of structs with two members each: one visit per type', T, () => {
    // 2^25 paths through 27 types: the codec and its printed source are built once per type.
    const bytes = withValue((w) => {
      const u32 = w.int('unsigned int', 4);
      let inner = w.struct('s25', 4, [['l', w.struct('bpf_spin_lock', 4, [['val', u32, 0]]), 0]]);
      for (let i = 24, size = 4; i >= 0; i--, size *= 2) inner = w.struct(`s${i}`, size * 2, [['a', inner, 0], ['b', inner, size * 8]]);
      return inner;
    });
    const path = join(dir, `m${files++}.bpf.o`);
    writeFileSync(path, bytes);
    const r = runIsolated(`
      const { generateTypes } = await import(dist + '/cli/gen-types.js');
      return timed(() => generateTypes(args.path).split('\\n').filter((l) => l.startsWith('export const s')).length);
    `, { path });
    expect(r.died).toBeUndefined();
    expect(r.error).toBeUndefined();
    expect(r.value).toBe(26); // s0 .. s25, each declared once
    expect(r.ms).toBeLessThan(2000);
  });

  test('a value type behind 40 typedefs and modifiers: both engines refuse it', T, () => {
    const bytes = withValue((w) => {
      let id = w.int('long long unsigned int', 8);
      for (let i = 0; i < 40; i++) id = w.ref(i % 2 ? BtfKind.Volatile : BtfKind.Typedef, id, i % 2 ? '' : `t${i}`);
      return id;
    });
    for (const engine of engines()) expectError(open(bytes, engine), 'ENOEXEC', /a chain of modifiers and typedefs with no end/);
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

  test.each(engines())('relocations for an executable section past the end of the file are refused (libbpf 1.1 read it without looking) [%s]', (engine) => {
    // .reltc made to apply to .debug_info, which is marked executable and moved past the end: libbpf
    // ignores .debug_* sections when it collects them, so only bpf_object__collect_prog_relos reads it.
    const bytes = edited((v, b) => {
      const debugInfo = sectionHeaderOffset(b, '.debug_info');
      v.setUint32(sectionHeaderOffset(b, '.reltc') + 44, readElf(b).sectionByName('.debug_info')!.index, true); // sh_info
      v.setUint32(debugInfo + 8, v.getUint32(debugInfo + 8, true) | ElfConst.SHF_EXECINSTR, true); // sh_flags
      v.setBigUint64(debugInfo + 24, BigInt(b.length - 4), true); // sh_offset
    });
    expectError(open(bytes, engine), 'ENOEXEC', /truncated: section #\d+ \(\.debug_info\)/);
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

/** Edits of a built fixture, whose symbols and sections are found by name. */
function editedFixture(name: string, f: (v: DataView, b: Uint8Array, elf: ReturnType<typeof readElf>) => void): Uint8Array {
  const b = new Uint8Array(readFileSync(fixture(name)));
  f(new DataView(b.buffer), b, readElf(b));
  return b;
}

/** Offset of symbol `name`'s Elf64_Sym in the file. */
function symbolOffset(elf: ReturnType<typeof readElf>, name: string): number {
  const sym = elf.symbols.find((y) => y.name === name);
  if (!sym) throw new Error(`no symbol ${name}`);
  return elf.sections[elf.symtabIndex]!.offset + sym.index * 24;
}

/**
 * The first record of the first section of a .BTF.ext block (struct btf_ext_header: func_info_off at 8,
 * line_info_off at 16; a block is its record size, then per section a name and a count, then records).
 */
function firstRecord(v: DataView, elf: ReturnType<typeof readElf>, block: 'func' | 'line'): number {
  const ext = elf.sectionByName('.BTF.ext')!.offset;
  return ext + v.getUint32(ext + 4, true) + v.getUint32(ext + (block === 'func' ? 8 : 16), true) + 4 + 8;
}

// Each mutant is refused by libbpf (or the kernel) with a particular errno; the emulator answers the same,
// found the same way (elf/object.ts follows bpf_object_open's order). Measured with Debian's libbpf 1.1.
const libbpfErrnos: [string, string, () => Uint8Array, RegExp?][] = [
  ['no symbol table (.symtab made PROGBITS): ENOENT', 'ENOENT', () => editedFixture('unlocked', (v, b) => v.setUint32(sectionHeaderOffset(b, '.symtab') + 4, ElfConst.SHT_PROGBITS, true))],
  ['a symbol table that is not whole entries: libelf\'s "invalid data"', 'ENOEXEC', () => editedFixture('unlocked', (v, b) => {
    const h = sectionHeaderOffset(b, '.symtab') + 32;
    v.setBigUint64(h, v.getBigUint64(h, true) - 8n, true);
  })],
  ['a license section typed SHT_INIT_ARRAY (8-byte entries, 4 bytes)', 'ENOEXEC', () => editedFixture('unlocked', (v, b) => v.setUint32(sectionHeaderOffset(b, 'license') + 4, 14, true))],
  ['a section named maps (legacy map definitions): EOPNOTSUPP', 'EOPNOTSUPP', () => editedFixture('unlocked', (v, b) => {
    const h = sectionHeaderOffset(b, '.maps'); // its name becomes "maps", the tail of ".maps"
    v.setUint32(h, v.getUint32(h, true) + 1, true);
  })],
  ['a static program outside .text: EOPNOTSUPP', 'EOPNOTSUPP', () => editedFixture('unlocked', (v, _b, elf) => {
    const at = symbolOffset(elf, 'unlocked_inc') + 4;
    v.setUint8(at, v.getUint8(at) & 0x0f); // STB_LOCAL
  })],
  ['a .maps variable whose ELF symbol is not an object (btf_fixup_datasec): ENOENT', 'ENOENT', () => editedFixture('unlocked', (v, _b, elf) => {
    const at = symbolOffset(elf, 'counter') + 4;
    v.setUint8(at, v.getUint8(at) & 0xf0); // STT_NOTYPE
  })],
  ['a relocation on an instruction that is neither a call nor ld_imm64 (LIBBPF_ERRNO__RELOC): EINVAL', 'EINVAL', () => editedFixture('unlocked', (v, b) => {
    const rel = Number(v.getBigUint64(sectionHeaderOffset(b, '.reltc') + 24, true));
    v.setBigUint64(rel, 8n, true); // insn 1: *(u32 *)(r10 - 4) = r1
  })],
  ['a broken .BTF.ext in an object with .maps (BTF is required): EINVAL', 'EINVAL', () => editedFixture('unlocked', (v, _b, elf) => {
    v.setUint32(elf.sectionByName('.BTF.ext')!.offset + 4, 0xff, true); // hdr_len
  })],
  ['a line_info record naming no string: EINVAL at BPF_PROG_LOAD (check_btf_line)', 'EINVAL', () => editedFixture('unlocked', (v, _b, elf) => {
    v.setUint32(firstRecord(v, elf, 'line') + 8, 0x7fff_ffff, true); // line_off
  }), /Invalid line_info\[0\]\.line_off or \.file_name_off/],
  ['line_info records out of order: EINVAL at BPF_PROG_LOAD (check_btf_line)', 'EINVAL', () => editedFixture('unlocked', (v, _b, elf) => {
    v.setUint32(firstRecord(v, elf, 'line') + 16, 0, true); // the second record's insn_off, back to 0
  }), /Invalid line_info\[1\]\.insn_off:0 \(prev_offset:0 prog->len:15\)/],
  ['a func_info record naming a type that is no FUNC: EINVAL at BPF_PROG_LOAD (check_btf_func_early)', 'EINVAL', () => editedFixture('unlocked', (v, _b, elf) => {
    v.setUint32(firstRecord(v, elf, 'func') + 4, 1, true); // type_id 1
  }), /invalid type id 1 in func info/],
  ['a called function without func_info records: ENOENT at load (libbpf reloc_prog_func_and_line_info)', 'ENOENT', () => editedFixture('loader_features', (v, _b, elf) => {
    // .text's first record (global_bump at 0) moved onto loop_cb (23): global_bump has none.
    v.setUint32(firstRecord(v, elf, 'func'), 23 * 8, true);
  })],
];

describe.skipIf(skip !== undefined)('mutants libbpf refuses with its own errno: the emulator gives the same', () => {
  test.each(libbpfErrnos)('%s', (_what, code, build, message) => {
    const bytes = build();
    if (!kernelSkip) expectError(open(bytes, 'kernel'), code, message);
    expectError(open(bytes, 'emulator'), code, message);
  }, 30_000);

  test('a broken .BTF.ext in an object without .maps is dropped: both engines load it', T, () => {
    const bytes = editedFixture('bench_alu', (v, _b, elf) => {
      expect(elf.sectionByName('.maps')).toBeUndefined();
      v.setUint32(elf.sectionByName('.BTF.ext')!.offset + 4, 0xff, true);
    });
    for (const engine of engines()) {
      const r = open(bytes, engine);
      expect(r.died).toBeUndefined();
      expect(r.error).toBeUndefined();
    }
  });
});

describe.skipIf(skip !== undefined)('BTF the kernel refuses: libbpf goes on without it, and so does the emulator', () => {
  test('a member named "co-nt": BPF_BTF_LOAD refuses it, the lock maps are created without BTF, the lock programs are refused', T, () => {
    // libbpf bpf_object__sanitize_and_load_btf: "BTF is optional, ignoring"; the kernel's verifier then
    // finds no BTF on the map (verifier.c process_spin_lock).
    const bytes = editedFixture('spin_lock', (_v, b, elf) => {
      const btf = elf.sectionByName('.BTF')!;
      const h = new DataView(b.buffer, btf.offset);
      const strings = btf.offset + h.getUint32(4, true) + h.getUint32(16, true);
      const at = Buffer.from(b.subarray(strings, strings + h.getUint32(20, true))).indexOf('\0count\0');
      expect(at).toBeGreaterThan(0);
      b[strings + at + 3] = '-'.charCodeAt(0); // the kernel's btf_name_valid_identifier refuses it; libbpf reads it
    });
    for (const engine of engines()) {
      // The emulator by name answers as its default version; 6.1's bpf_spin_lock said EACCES (refusalAt).
      const version = engine === 'kernel' ? features.emulatorKernelVersion() : DEFAULT_KERNEL_VERSION;
      const reason = "map 'hash_counter' has to have BTF in order to use bpf_spin_lock";
      expectError(open(bytes, engine), errnoCode(refusalAt(version, { reason, errno: EINVAL }).errno), new RegExp(reason));
    }
  });
});

describe('many functions, many relocations', () => {
  test('50,000 relocated functions parse in linear time (no scan of the functions per relocation)', T, () => {
    // .text: 50,000 global functions, each `ld_imm64 r1, .data; r0 = 0; exit` with its relocation; tc: one
    // program. A relocation finds its function by binary search: about a second here on a loaded machine,
    // where a scan of the functions per relocation took 7.7 s.
    const n = 50_000;
    const text = new Uint8Array(n * 32);
    const names: number[] = [0];
    const sym = (s: DataView, i: number, name: string, info: number, shndx: number, value: number, size: number): void => {
      s.setUint32(i * 24, names.length, true);
      names.push(...new TextEncoder().encode(name), 0);
      s.setUint8(i * 24 + 4, info);
      s.setUint16(i * 24 + 6, shndx, true);
      s.setBigUint64(i * 24 + 8, BigInt(value), true);
      s.setBigUint64(i * 24 + 16, BigInt(size), true);
    };
    const syms = new Uint8Array((n + 3) * 24);
    const sv = new DataView(syms.buffer);
    const rels = new Uint8Array(n * 16);
    const rv = new DataView(rels.buffer);
    names.push(0); // symbol #1's empty name
    sv.setUint8(24 + 4, 3); // symbol #1: STT_SECTION of .data (section #3)
    sv.setUint16(24 + 6, 3, true);
    sym(sv, 2, 'prog', 0x12, 2, 0, 16); // STB_GLOBAL STT_FUNC in tc
    for (let i = 0; i < n; i++) {
      text.set([0x18, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0], i * 32);
      sym(sv, i + 3, `f${i}`, 0x12, 1, i * 32, 32);
      rv.setBigUint64(i * 16, BigInt(i * 32), true);
      rv.setUint32(i * 16 + 8, 1, true); // R_BPF_64_64
      rv.setUint32(i * 16 + 12, 1, true); // symbol #1
    }
    const elf = buildElf([
      { name: '.text', type: 1, flags: 6, data: text }, // #1 SHF_ALLOC | SHF_EXECINSTR
      { name: 'tc', type: 1, flags: 6, data: Uint8Array.of(0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0) }, // #2
      { name: '.data', type: 1, flags: 3, data: new Uint8Array(8) }, // #3
      { name: '.rel.text', type: 9, data: rels, link: 6, info: 1, entsize: 16 }, // #4
      { name: 'license', type: 1, flags: 3, data: new TextEncoder().encode('GPL\0') }, // #5
      { name: '.symtab', type: 2, data: syms, link: 7, info: 2, entsize: 24 }, // #6
      { name: '.strtab', type: 3, data: Uint8Array.from(names) }, // #7
    ]);
    const r = runIsolated(`
      const { parseObject } = await import(dist + '/elf/object.js');
      const bytes = Uint8Array.from(Buffer.from(args.elf, 'base64'));
      return timed(() => parseObject(bytes, 'many.bpf.o').programs.map((p) => [p.name, p.insns.length]));
    `, { elf: Buffer.from(elf).toString('base64') }, { heapMb: 512 });
    expect(r.died).toBeUndefined();
    expect(r.error).toBeUndefined();
    expect(r.value).toEqual([['prog', 2]]);
    expect(r.ms).toBeLessThan(3500);
  });
});
