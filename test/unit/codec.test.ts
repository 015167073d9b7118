import { describe, expect, expectTypeOf, test } from 'vitest';
import {
  array, be16, be32, be64, bool, bytes, decodeFromBytes, encodeToBytes, i16, i32, i64, i8, lockFields,
  resSpinLock, spinLock, struct, u16, u32, u64, u8,
} from '../../src/codec/codec.js';
import type { Codec, Infer } from '../../src/codec/types.js';

const enc = <T>(c: Codec<T>, v: T): number[] => [...encodeToBytes(c, v)];

/** A buffer pre-filled with 0xAA, so any byte the encoder skips shows up. */
function dirty(size: number): { bytes: Uint8Array; view: DataView } {
  const b = new Uint8Array(size).fill(0xaa);
  return { bytes: b, view: new DataView(b.buffer) };
}

describe('integer bytes', () => {
  test.each([
    ['u8', u8, 0xfe, [0xfe]],
    ['u16', u16, 0x0102, [2, 1]],
    ['u32', u32, 0x01020304, [4, 3, 2, 1]],
    ['i8', i8, -1, [0xff]],
    ['i8 min', i8, -128, [0x80]],
    ['i16', i16, -2, [0xfe, 0xff]],
    ['i32', i32, -0x80000000, [0, 0, 0, 0x80]],
    ['be16', be16, 0x0102, [1, 2]],
    ['be32', be32, 0x01020304, [1, 2, 3, 4]],
  ] as const)('%s', (_name, codec, value, expected) => {
    expect(enc(codec as Codec<number>, value)).toEqual(expected);
    expect(decodeFromBytes(codec as Codec<number>, new Uint8Array(expected))).toBe(value);
  });

  test.each([
    ['u64', u64, 0x0102030405060708n, [8, 7, 6, 5, 4, 3, 2, 1]],
    ['u64 max', u64, (1n << 64n) - 1n, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
    ['i64 -1', i64, -1n, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
    ['i64 min', i64, -(1n << 63n), [0, 0, 0, 0, 0, 0, 0, 0x80]],
    ['be64', be64, 0x0102030405060708n, [1, 2, 3, 4, 5, 6, 7, 8]],
  ] as const)('%s', (_name, codec, value, expected) => {
    expect(enc(codec, value)).toEqual(expected);
    expect(decodeFromBytes(codec, new Uint8Array(expected))).toBe(value);
  });

  test('sizes, alignments and descriptors', () => {
    expect([u8, u16, u32, u64, i8, i16, i32, i64, be16, be32, be64].map((c) => [c.size, c.align])).toEqual([
      [1, 1], [2, 2], [4, 4], [8, 8], [1, 1], [2, 2], [4, 4], [8, 8], [2, 2], [4, 4], [8, 8],
    ]);
    expect(i16.desc).toEqual({ kind: 'int', bits: 16, signed: true, bigEndian: false });
    expect(be32.desc).toEqual({ kind: 'int', bits: 32, signed: false, bigEndian: true });
  });

  test('encode writes at the offset given and nowhere else', () => {
    const { bytes: b, view } = dirty(8);
    u16.encode(0x0102, view, 3);
    expect([...b]).toEqual([0xaa, 0xaa, 0xaa, 2, 1, 0xaa, 0xaa, 0xaa]);
    expect(u16.decode(view, 3)).toBe(0x0102);
  });
});

describe('bool, bytes, array', () => {
  test('bool writes 1/0 and reads any nonzero byte as true', () => {
    expect(enc(bool, true)).toEqual([1]);
    expect(enc(bool, false)).toEqual([0]);
    expect(decodeFromBytes(bool, new Uint8Array([7]))).toBe(true);
    expect(decodeFromBytes(bool, new Uint8Array([0]))).toBe(false);
  });

  test('bytes(n) copies in and decodes to a copy', () => {
    const codec = bytes(3);
    expect(enc(codec, new Uint8Array([1, 2, 3]))).toEqual([1, 2, 3]);
    const src = new Uint8Array([9, 8, 7]);
    const out = decodeFromBytes(codec, src);
    expect([...out]).toEqual([9, 8, 7]);
    src[0] = 0;
    expect(out[0]).toBe(9);
    expect(out.buffer.byteLength).toBe(3); // not a view of the caller's (possibly big) buffer
  });

  test('long bytes(n) take the bulk path and decode from a view with an offset', () => {
    const codec = bytes(100);
    const value = Uint8Array.from({ length: 100 }, (_, i) => i);
    const { bytes: b } = dirty(110);
    const view = new DataView(b.buffer, 5, 102);
    codec.encode(value, view, 1);
    expect(b[5]).toBe(0xaa);
    expect([...b.subarray(6, 106)]).toEqual([...value]);
    expect(b[106]).toBe(0xaa);
    expect([...codec.decode(view, 1)]).toEqual([...value]);
  });

  test('a Buffer is a Uint8Array and is accepted', () => {
    expect(enc(bytes(2), Buffer.from([5, 6]))).toEqual([5, 6]);
  });

  test('array(c, n) lays elements back to back', () => {
    const codec = array(u16, 3);
    expect([codec.size, codec.align]).toEqual([6, 2]);
    expect(enc(codec, [1, 0x0203, 4])).toEqual([1, 0, 3, 2, 4, 0]);
    expect(decodeFromBytes(codec, new Uint8Array([1, 0, 3, 2, 4, 0]))).toEqual([1, 0x0203, 4]);
  });
});

describe('struct layout and padding', () => {
  const inner = struct({ tag: u8, count: u32 }); // 8 bytes: 3-byte hole after tag
  const outer = struct({ a: u8, b: u64, c: u16, inner, tail: array(u8, 3) });

  test('fields sit at natural alignment; size rounds up to the struct alignment', () => {
    expect([inner.size, inner.align]).toEqual([8, 4]);
    expect(outer.desc.kind === 'struct' && outer.desc.fields.map((f) => [f.name, f.offset])).toEqual([
      ['a', 0], ['b', 8], ['c', 16], ['inner', 20], ['tail', 28],
    ]);
    expect([outer.size, outer.align]).toEqual([32, 8]);
  });

  test('holes and trailing padding are written as zeros, at any depth', () => {
    const { bytes: b, view } = dirty(outer.size);
    outer.encode({ a: 0x11, b: 0x22n, c: 0x33, inner: { tag: 0x44, count: 0x55 }, tail: [0x66, 0x77, 0x88] }, view, 0);
    expect([...b]).toEqual([
      0x11, 0, 0, 0, 0, 0, 0, 0, // a + 7-byte hole
      0x22, 0, 0, 0, 0, 0, 0, 0, // b
      0x33, 0, 0, 0, // c + 2-byte hole before the 4-aligned inner
      0x44, 0, 0, 0, 0x55, 0, 0, 0, // inner: tag + 3-byte hole + count
      0x66, 0x77, 0x88, 0, // tail + trailing padding to 32
    ]);
  });

  test('equal values give equal bytes however the input objects were built', () => {
    const x = encodeToBytes(outer, { a: 1, b: 2n, c: 3, inner: { tag: 4, count: 5 }, tail: [6, 7, 8] });
    const y = encodeToBytes(outer, { tail: [6, 7, 8], inner: { count: 5, tag: 4 }, c: 3, b: 2n, a: 1 });
    expect(y).toEqual(x);
  });

  test('decode builds fields in declaration order', () => {
    const v = decodeFromBytes(outer, encodeToBytes(outer, { a: 1, b: 2n, c: 3, inner: { tag: 4, count: 5 }, tail: [6, 7, 8] }));
    expect(Object.keys(v)).toEqual(['a', 'b', 'c', 'inner', 'tail']);
    expect(v).toEqual({ a: 1, b: 2n, c: 3, inner: { tag: 4, count: 5 }, tail: [6, 7, 8] });
  });

  test('struct name goes to the descriptor', () => {
    const named = struct({ x: u32 }, { name: 'flow_key' });
    expect(named.desc).toMatchObject({ kind: 'struct', name: 'flow_key' });
  });

  test('an empty struct is 0 bytes, align 1 (as GNU C)', () => {
    const empty = struct({});
    expect([empty.size, empty.align]).toEqual([0, 1]);
  });
});

describe('lock fields', () => {
  const value = struct({ lock: spinLock, hits: u64 });

  test('are 4 bytes, align 4, always encode zeros and decode as 0', () => {
    expect([spinLock.size, spinLock.align, resSpinLock.size, resSpinLock.align]).toEqual([4, 4, 4, 4]);
    expect(spinLock.desc).toEqual({ kind: 'lock', lock: 'spin' });
    expect(resSpinLock.desc).toEqual({ kind: 'lock', lock: 'res' });
    const { bytes: b, view } = dirty(value.size);
    value.encode({ hits: 1n }, view, 0);
    expect([...b]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    b.fill(0xff, 0, 4); // whatever the kernel left in the lock word
    expect(value.decode(view, 0)).toEqual({ lock: 0, hits: 1n });
  });

  test('a struct input may omit the lock or pass 0, nothing else', () => {
    expect(encodeToBytes(value, { lock: 0, hits: 1n })).toEqual(encodeToBytes(value, { hits: 1n }));
    expect(() => encodeToBytes(value, { lock: 1 as 0, hits: 1n })).toThrow(RangeError);
    expect(() => encodeToBytes(value, { lock: 'x' as unknown as 0, hits: 1n })).toThrow(TypeError);
    expect(() => encodeToBytes(value, { lock: 1 as 0, hits: 1n })).toThrow(/spinLock is owned by the kernel/);
  });

  test('types: decode gives the lock as 0, encode does not require it', () => {
    type V = Infer<typeof value>;
    expectTypeOf<V>().toEqualTypeOf<{ hits: bigint; lock?: 0 }>();
    expectTypeOf<{ hits: bigint }>().toMatchTypeOf<V>();
    const plain = struct({ a: u32, b: array(u64, 2), c: bytes(2), d: bool });
    expectTypeOf<Infer<typeof plain>>().toEqualTypeOf<{ a: number; b: bigint[]; c: Uint8Array; d: boolean }>();
  });

  test('lockFields walks nested structs and arrays with absolute offsets', () => {
    const elem = struct({ n: u8, l: resSpinLock }); // 8 bytes, lock at 4
    const v = struct({ a: u8, s: spinLock, pair: array(elem, 2), inner: struct({ x: u64, l: resSpinLock }) });
    // a@0, s@4, pair@8 (16 bytes), inner@24 (x@24, l@32)
    expect(lockFields(v)).toEqual([
      { kind: 'spin', offset: 4 },
      { kind: 'res', offset: 12 },
      { kind: 'res', offset: 20 },
      { kind: 'res', offset: 32 },
    ]);
    expect(lockFields(u32)).toEqual([]);
    expect(lockFields(spinLock)).toEqual([{ kind: 'spin', offset: 0 }]);
  });
});

describe('bad values', () => {
  const cases: [Codec<unknown>, unknown, typeof TypeError, RegExp][] = [
    [u8, 256, RangeError, /^u8 out of range: 256/],
    [u8, -1, RangeError, /^u8 out of range: -1/],
    [u16, 65536, RangeError, /^u16 out of range: 65536/],
    [u32, 2 ** 32, RangeError, /^u32 out of range: 4294967296/],
    [u32, -1, RangeError, /^u32 out of range/],
    [i8, 128, RangeError, /^i8 out of range: 128/],
    [i16, -32769, RangeError, /^i16 out of range/],
    [i32, 2 ** 31, RangeError, /^i32 out of range/],
    [be16, 70000, RangeError, /^be16 out of range/],
    [be32, -5, RangeError, /^be32 out of range/],
    [u32, 1.5, RangeError, /^u32 not an integer: 1.5/],
    [u8, Infinity, RangeError, /^u8 out of range: Infinity/],
    [u8, NaN, TypeError, /^u8 expects an integer, got NaN/],
    [u32, '1', TypeError, /^u32 expects a number, got string "1"/],
    [u32, 1n, TypeError, /^u32 expects a number, got bigint 1n/],
    [u32, null, TypeError, /^u32 expects a number, got null/],
    [u32, undefined, TypeError, /^u32 expects a number, got undefined/],
    [u64, 5, TypeError, /^u64 expects a bigint, got number 5 \(use a bigint: 5n\)/],
    [i64, 5, TypeError, /use a bigint/],
    [u64, '5', TypeError, /^u64 expects a bigint/],
    [u64, -1n, RangeError, /^u64 out of range: -1/],
    [u64, 1n << 64n, RangeError, /^u64 out of range: 18446744073709551616/],
    [i64, 1n << 63n, RangeError, /^i64 out of range/],
    [i64, -(1n << 63n) - 1n, RangeError, /^i64 out of range/],
    [be64, -1n, RangeError, /^be64 out of range/],
    [bool, 1, TypeError, /^bool expects a boolean, got number 1/],
    [bytes(4), new Uint8Array(3), RangeError, /^bytes\(4\) got 3 bytes, expected 4/],
    [u32, { valueOf: () => 1 }, TypeError, /^u32 expects a number, got an object$/],
    [u32, Symbol('x'), TypeError, /^u32 expects a number, got symbol/],
    [i8, 1n, TypeError, /^i8 expects a number, got bigint/],
    [u16, 1n, TypeError, /^u16 expects a number/],
    [i32, 1n, TypeError, /^i32 expects a number/],
    [bytes(4), [1, 2, 3, 4], TypeError, /^bytes\(4\) expects a Uint8Array, got an array/],
    [array(u8, 2), [1, 2, 3], RangeError, /^array\(u8, 2\) got 3 elements, expected 2/],
    [array(u8, 2), new Uint8Array(2), TypeError, /^array\(u8, 2\) expects an array/],
    [array(u8, 2), [1, 300], RangeError, /^field \[1\]: u8 out of range: 300/],
  ];
  test.each(cases.map(([codec, value, errorClass, message]) => ({ codec, value, errorClass, message, label: message.source })))(
    'rejects: $label',
    ({ codec, value, errorClass, message }) => {
      const { bytes: b, view } = dirty(codec.size);
      let caught: unknown;
      try {
        codec.encode(value, view, 0);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(errorClass);
      expect((caught as Error).message).toMatch(message);
      expect(b.every((x) => x === 0xaa)).toBe(true);
    },
  );

  const s = struct({ a: u8, b: u64, inner: struct({ xs: array(u16, 2) }) });

  test.each([
    [{ a: 1, inner: { xs: [1, 2] } }, TypeError, /^struct is missing field 'b'$/],
    [{ a: 1, b: undefined, inner: { xs: [1, 2] } }, TypeError, /missing field 'b'/],
    [{ a: 1, b: 2n, inner: { xs: [1, 2] }, extra: 0 }, TypeError, /^struct has no field 'extra' \(fields: a, b, inner\)$/],
    [{ a: 1, b: 2n, inner: { xs: [1, 2], y: 1 } }, TypeError, /^field inner: struct has no field 'y'/],
    [{ a: 1, b: 2n, inner: { xs: [1, 70000] } }, RangeError, /^field inner\.xs\[1\]: u16 out of range: 70000/],
    [{ a: 256, b: 2n, inner: { xs: [1, 2] } }, RangeError, /^field a: u8 out of range: 256/],
    [{ a: 1, b: 2, inner: { xs: [1, 2] } }, TypeError, /^field b: u64 expects a bigint/],
    [null, TypeError, /^struct expects an object, got null/],
    [[1, 2, 3], TypeError, /^struct expects an object, got an array/],
    [7, TypeError, /^struct expects an object, got number 7/],
  ])('struct rejects %o', (value, errorClass, message) => {
    const { bytes: b, view } = dirty(s.size);
    expect(() => s.encode(value as never, view, 0)).toThrow(errorClass);
    expect(() => s.encode(value as never, view, 0)).toThrow(message);
    // Validation runs before any write: the bad field is late, yet `a` was not written either.
    expect(b.every((x) => x === 0xaa)).toBe(true);
  });

  test('a struct name appears in its messages', () => {
    const named = struct({ x: u8 }, { name: 'pkt' });
    expect(() => encodeToBytes(named, {} as never)).toThrow(/^struct pkt is missing field 'x'$/);
  });

  test('inherited enumerable properties are not "unknown fields"', () => {
    const proto = { inherited: 1 };
    const v = Object.assign(Object.create(proto) as object, { x: 5 });
    expect(enc(struct({ x: u8 }), v as { x: number })).toEqual([5]);
  });

  test('a buffer too small is a RangeError and nothing is written', () => {
    const { bytes: b, view } = dirty(10);
    const s2 = struct({ a: u64, b: u32 }); // 16 bytes
    expect(() => s2.encode({ a: 1n, b: 2 }, view, 0)).toThrow(RangeError);
    expect(() => bytes(8).encode(new Uint8Array(8), view, 4)).toThrow(RangeError);
    expect(() => array(u32, 3).encode([1, 2, 3], view, 0)).toThrow(RangeError);
    expect(b.every((x) => x === 0xaa)).toBe(true);
    expect(() => bytes(8).decode(view, 4)).toThrow(RangeError);
    expect(() => u32.encode(1, view, 8)).toThrow(RangeError);
  });

  test('decodeFromBytes wants exactly size bytes; encodeToBytes/decodeFromBytes want a codec', () => {
    expect(() => decodeFromBytes(u32, new Uint8Array(3))).toThrow(/u32 is 4 bytes, got 3/);
    expect(() => decodeFromBytes(u32, new Uint8Array(5))).toThrow(RangeError);
    expect(() => decodeFromBytes(u32, [1, 2, 3, 4] as never)).toThrow(TypeError);
    expect(() => encodeToBytes({} as Codec<number>, 1)).toThrow(TypeError);
  });
});

describe('bad codec definitions', () => {
  test.each([
    [() => bytes(-1), RangeError],
    [() => bytes(1.5), TypeError],
    [() => bytes('4' as never), TypeError],
    [() => array(u8, -2), RangeError],
    [() => array({} as Codec<number>, 2), TypeError],
    [() => array(u64, 2 ** 29), RangeError],
    [() => struct({ a: 5 as never }), TypeError],
    [() => struct({ a: u8, b: null as never }), TypeError],
    [() => struct({ 1: u8 }), TypeError], // JS would move integer keys first: not a C name anyway
    [() => struct({ 'a-b': u8 }), TypeError],
    [() => struct(null as never), TypeError],
    [() => struct([u8] as never), TypeError],
    [() => struct({ a: u8 }, { name: 'not valid' }), TypeError],
    [() => struct({ a: { size: 4, align: 3, desc: { kind: 'bool' }, encode() {}, decode: () => 0 } as Codec<number> }), TypeError],
  ])('%# %s throws', (make, errorClass) => {
    expect(make).toThrow(errorClass);
  });

  test('the struct error names the bad field', () => {
    expect(() => struct({ a: u8, b: null as never })).toThrow(/struct field 'b' must be a codec/);
  });

  test('a codec written elsewhere works inside struct and array', () => {
    // A 3-byte big-endian integer, as some protocols have: validated by its own encode.
    const u24be: Codec<number> = {
      size: 3,
      align: 1,
      desc: { kind: 'bytes', length: 3 },
      encode(v, view, off) {
        if (!Number.isInteger(v) || v < 0 || v > 0xffffff) throw new RangeError(`u24 out of range: ${v}`);
        view.setUint8(off, v >>> 16);
        view.setUint16(off + 1, v & 0xffff, false);
      },
      decode: (view, off) => (view.getUint8(off) << 16) | view.getUint16(off + 1, false),
    };
    const s = struct({ a: u24be, b: u32, c: array(u24be, 2) });
    expect([s.size, s.align]).toEqual([16, 4]);
    const v = { a: 0x010203, b: 9, c: [4, 0xffffff] };
    expect(enc(s, v)).toEqual([1, 2, 3, 0, 9, 0, 0, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0, 0]);
    expect(decodeFromBytes(s, encodeToBytes(s, v))).toEqual(v);
    expect(() => encodeToBytes(s, { ...v, a: 1 << 24 })).toThrow(/u24 out of range/);
  });

  test('codecs are frozen', () => {
    expect(Object.isFrozen(u32)).toBe(true);
    expect(Object.isFrozen(struct({ a: u8 }))).toBe(true);
    expect(() => {
      (u32 as { size: number }).size = 8;
    }).toThrow(TypeError);
  });
});
