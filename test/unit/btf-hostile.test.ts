// Hostile BTF (issue: a malformed object never hangs, crashes or blows up memory in bpfkit's parsers). Each
// blob is written record by record (test/helpers/hostile-bytes.ts) and decoded in a child process with a
// 256 MiB heap and a 10 s deadline (test/helpers/isolated.ts), so a regression fails here in seconds. Every
// walk must answer in well under a second: a BtfFormatError naming the type and the problem, or the answer.
import { describe, expect, test } from 'vitest';
import { BtfKind } from '../../src/btf/decode.js';
import { BtfWriter } from '../helpers/hostile-bytes.js';
import { runIsolated, type IsolatedResult } from '../helpers/isolated.js';

/** Decodes `btf` in a child and evaluates `op` (a statement using `btf`, `codecFromBtf`, `parseBtfExt`, `ext`). */
function onBtf(btf: Uint8Array, op: string, ext?: Uint8Array): IsolatedResult {
  return runIsolated(`
    const { parseBtf, parseBtfExt } = await import(dist + '/btf/types.js');
    const { codecFromBtf } = await import(dist + '/btf/codecs.js');
    const data = Uint8Array.from(Buffer.from(args.btf, 'base64'));
    const ext = Uint8Array.from(Buffer.from(args.ext, 'base64'));
    return timed(() => { const btf = parseBtf(data); ${op} });
  `, { btf: Buffer.from(btf).toString('base64'), ext: Buffer.from(ext ?? []).toString('base64') });
}

/** Fast, and a BtfFormatError whose message matches. */
function expectFormatError(r: IsolatedResult, message: RegExp): void {
  expect(r.died).toBeUndefined();
  expect(r.error).toMatchObject({ name: 'BtfFormatError' });
  expect(r.error!.message).toMatch(message);
  expect(r.ms).toBeLessThan(500);
}

function expectValue(r: IsolatedResult, value: unknown): void {
  expect(r.died).toBeUndefined();
  expect(r.error).toBeUndefined();
  expect(r.value).toEqual(value);
  expect(r.ms).toBeLessThan(500);
}

const T = { timeout: 30_000 };

describe('types that refer to themselves', () => {
  test('CONST → itself: every walk names type 1 and the loop', T, () => {
    const w = new BtfWriter();
    w.ref(BtfKind.Const, 1); // [1] CONST → [1]
    for (const op of ['btf.resolve(1)', 'btf.sizeOf(1)', 'btf.alignOf(1)', 'btf.findLocks(1)', 'btf.lockCounts(1)', "codecFromBtf(btf, 1, 'v')"]) {
      expectFormatError(onBtf(w.bytes(), `${op}; return 0;`), /^BTF type 1: Const refers back to type 1 \(a loop\)/);
    }
  });

  test('TYPEDEF → VOLATILE → TYPEDEF: the loop, not a hang', T, () => {
    const w = new BtfWriter();
    w.ref(BtfKind.Typedef, 2, 't'); // [1]
    w.ref(BtfKind.Volatile, 1); // [2]
    expectFormatError(onBtf(w.bytes(), 'return btf.sizeOf(1);'), /^BTF type 1: Volatile refers back to type 1/);
  });

  test('a struct with two members of its own type: "contains itself", in linear time', T, () => {
    const w = new BtfWriter();
    w.struct('s', 8, [['a', 1, 0], ['b', 1, 0]]); // [1] struct s { struct s a; struct s b; }
    for (const op of ['btf.findLocks(1)', 'btf.lockCounts(1)', 'btf.alignOf(1)', 'btf.checkNesting(1)', "codecFromBtf(btf, 1, 'v')"]) {
      expectFormatError(onBtf(w.bytes(), `${op}; return 0;`), /^BTF type 1: Struct 's' contains itself/);
    }
    // By value through an array and a typedef, too.
    const v = new BtfWriter();
    const int = v.int('int', 4);
    v.struct('outer', 8, [['x', int, 0], ['self', 4, 32]]); // [2]
    v.ref(BtfKind.Typedef, 2, 'outer_t'); // [3]
    v.array(3, 2, int); // [4] outer_t[2]
    expectFormatError(onBtf(v.bytes(), 'return btf.findLocks(2);'), /^BTF type 2: Struct 'outer' contains itself/);
  });

  test('a pointer to itself is fine (struct list { struct list *next; })', T, () => {
    const w = new BtfWriter();
    w.struct('list', 8, [['next', 2, 0]]); // [1]
    w.ref(BtfKind.Ptr, 1); // [2]
    expectValue(onBtf(w.bytes(), 'return [btf.sizeOf(1), btf.alignOf(1), btf.findLocks(1).length];'), [8, 8, 0]);
  });
});

describe('size of the walk', () => {
  test('25 levels of structs with two members of the next one: each type visited once', T, () => {
    // s0 { s1 a; s1 b; } ... s24 { s25 a; s25 b; }, s25 { struct bpf_spin_lock l; }: 2^25 paths, 27 types
    // (deeper, the bit offsets of a 512 MiB struct no longer fit BTF's u32).
    const w = new BtfWriter();
    const u32 = w.int('unsigned int', 4);
    const lock = w.struct('bpf_spin_lock', 4, [['val', u32, 0]]);
    let inner = w.struct('s25', 4, [['l', lock, 0]]);
    let size = 4;
    for (let i = 24; i >= 0; i--) {
      inner = w.struct(`s${i}`, size * 2, [['a', inner, 0], ['b', inner, size * 8]]);
      size *= 2;
    }
    const r = onBtf(w.bytes(), `return [btf.lockCounts(${inner}), btf.findLocks(${inner}), btf.alignOf(${inner}), btf.checkNesting(${inner}), codecFromBtf(btf, ${inner}, 'v').size];`);
    expectValue(r, [{ spin: 2 ** 25, res: 0 }, [{ kind: 'spin', offset: 0 }, { kind: 'spin', offset: 4 }], 4, 26, 2 ** 27]);
  });

  test('an array of 2^26 lock structs is counted, not enumerated (4 GB and 17 s before)', T, () => {
    const w = new BtfWriter();
    const u32 = w.int('unsigned int', 4);
    const lock = w.struct('bpf_spin_lock', 4, [['val', u32, 0]]);
    const locks = w.array(lock, 2 ** 26, u32);
    const value = w.struct('value', 2 ** 28, [['locks', locks, 0]]);
    // N structs of k locks: N × k.
    const pair = w.struct('pair', 8, [['a', lock, 0], ['b', lock, 32]]);
    const pairs = w.array(pair, 2 ** 26, u32);
    const r = onBtf(w.bytes(), `return [btf.lockCounts(${value}), btf.findLocks(${value}), btf.lockCounts(${pairs}), btf.findLocks(${pairs})];`);
    expectValue(r, [
      { spin: 2 ** 26, res: 0 }, [{ kind: 'spin', offset: 0 }, { kind: 'spin', offset: 4 }],
      { spin: 2 ** 27, res: 0 }, [{ kind: 'spin', offset: 0 }, { kind: 'spin', offset: 4 }],
    ]);
  });

  test('both lock kinds are listed even behind many of one kind', T, () => {
    const w = new BtfWriter();
    const u32 = w.int('unsigned int', 4);
    const spin = w.struct('bpf_spin_lock', 4, [['val', u32, 0]]);
    const res = w.struct('bpf_res_spin_lock', 4, [['val', u32, 0]]);
    const spins = w.array(spin, 1000, u32);
    const value = w.struct('value', 4004, [['many', spins, 0], ['r', res, 4000 * 8]]);
    expectValue(onBtf(w.bytes(), `return btf.findLocks(${value});`), [{ kind: 'spin', offset: 0 }, { kind: 'spin', offset: 4 }, { kind: 'res', offset: 4000 }]);
  });
});

describe('MAX_RESOLVE_DEPTH (32), as libbpf and the kernel', () => {
  const chain = (n: number): { blob: Uint8Array; top: number } => {
    const w = new BtfWriter();
    let id = w.int('int', 4);
    for (let i = 0; i < n; i++) id = w.ref(i % 2 ? BtfKind.Const : BtfKind.Typedef, id, i % 2 ? '' : `t${i}`);
    return { blob: w.bytes(), top: id };
  };

  test('a modifier chain of 40: BtfFormatError naming the type', T, () => {
    const { blob, top } = chain(40);
    expectFormatError(onBtf(blob, `return btf.sizeOf(${top});`), new RegExp(`^BTF type ${top}: more than 31 typedefs, modifiers or arrays in a row`));
    expectFormatError(onBtf(blob, `return btf.resolve(${top});`), /more than 31 typedefs/);
  });

  test('31 modifiers resolve (libbpf btf__resolve_size follows 32 types), 32 do not', T, () => {
    expectValue(onBtf(chain(31).blob, `return btf.sizeOf(${chain(31).top});`), 4);
    expectFormatError(onBtf(chain(32).blob, `return btf.sizeOf(${chain(32).top});`), /more than 31/);
  });

  test('structs nested 32 levels are refused (kernel btf_find_nested_struct: E2BIG), 31 are not', T, () => {
    const nest = (levels: number): { blob: Uint8Array; top: number } => {
      const w = new BtfWriter();
      let id = w.struct('s0', 4, [['x', w.int('int', 4), 0]]);
      for (let i = 1; i < levels; i++) id = w.struct(`s${i}`, 4, [['in', id, 0]]);
      return { blob: w.bytes(), top: id };
    };
    const ok = nest(32);
    expectValue(onBtf(ok.blob, `return btf.checkNesting(${ok.top});`), 31);
    const deep = nest(33);
    expectFormatError(onBtf(deep.blob, `return btf.findLocks(${deep.top});`), new RegExp(`^BTF type ${deep.top}: structs nested 32 levels deep or more`));
  });

  test('sizes past u32 are refused (libbpf btf__resolve_size: E2BIG)', T, () => {
    const w = new BtfWriter();
    const int = w.int('int', 4);
    const big = w.array(int, 2 ** 31, int); // 8 GiB
    const wide = w.array(w.array(int, 2 ** 16, int), 2 ** 17, int); // 2^33 elements
    expectFormatError(onBtf(w.bytes(), `return btf.sizeOf(${big});`), /2147483648 elements of 4 bytes is more than 4294967295 bytes/);
    expectFormatError(onBtf(w.bytes(), `return btf.sizeOf(${wide});`), /arrays of more than 4294967295 elements/);
  });
});

describe('counts and offsets checked before use', () => {
  test('a huge vlen: refused before anything is read or allocated', T, () => {
    const w = new BtfWriter();
    w.raw(0, BtfKind.Struct, 0xffffff, 8); // vlen 16777215 members, none present
    expectFormatError(onBtf(w.bytes(), 'return 0;'), /^BTF type 1: Struct with vlen 16777215 \(201326592 bytes\) runs past the type section/);
  });

  test('a name offset past the string section', T, () => {
    const w = new BtfWriter();
    w.raw(100_000, BtfKind.Int, 0, 4, 32);
    expectFormatError(onBtf(w.bytes(), 'return 0;'), /string offset 100000 past the string section/);
  });

  test('a type id past the last type', T, () => {
    const w = new BtfWriter();
    w.struct('s', 4, [['x', 99_999, 0]]);
    expectFormatError(onBtf(w.bytes(), 'return btf.findLocks(1);'), /BTF type id 99999 out of range/);
  });

  test('headers as libbpf btf_parse_hdr / btf_parse_str_sec check them', T, () => {
    const good = new BtfWriter();
    good.int('int', 4);
    const edit = (f: (v: DataView, b: Uint8Array) => void): Uint8Array => {
      const b = good.bytes();
      f(new DataView(b.buffer), b);
      return b;
    };
    expectFormatError(onBtf(edit((v) => v.setUint32(4, 1 << 30, true)), 'return 0;'), /bad BTF header length/);
    expectFormatError(onBtf(edit((v) => v.setUint32(20, 0xfffffff0, true)), 'return 0;'), /string section .* runs past the end/);
    expectFormatError(onBtf(edit((v) => v.setUint32(12, 32, true)), 'return 0;'), /type section .* overlaps the string section/);
    expectFormatError(onBtf(edit((v, b) => (b[b.length - 1] = 0x41)), 'return 0;'), /string section is empty or does not start and end with a NUL/);
  });

  test('.BTF.ext: 2^32-1 records claimed in a 16-byte block', T, () => {
    const w = new BtfWriter();
    w.int('int', 4);
    const ext = new Uint8Array(32 + 12);
    const v = new DataView(ext.buffer);
    v.setUint16(0, 0xeb9f, true);
    ext[2] = 1;
    v.setUint32(4, 32, true); // hdr_len
    v.setUint32(8, 0, true); // func_info_off
    v.setUint32(12, 12, true); // func_info_len
    v.setUint32(32, 8, true); // rec_size
    v.setUint32(36, 0, true); // sec_name_off
    v.setUint32(40, 0xffffffff, true); // num_info
    expectFormatError(onBtf(w.bytes(), 'return parseBtfExt(ext, btf);', ext), /func_info: section '' records \(4294967295 of 8 bytes\) run past their block/);
  });

  test('decodeBtf (the kernel-BTF lister): a record past the type section is a RangeError, not a read past it', T, () => {
    const w = new BtfWriter();
    w.raw(0, BtfKind.Struct, 2, 8); // two members claimed, none present
    const r = runIsolated(`
      const { decodeBtf } = await import(dist + '/btf/decode.js');
      return timed(() => decodeBtf(Uint8Array.from(Buffer.from(args.btf, 'base64'))));
    `, { btf: Buffer.from(w.bytes()).toString('base64') });
    expect(r.error).toMatchObject({ name: 'RangeError', message: 'decodeBtf: type 1 runs past the type section' });
  });
});
