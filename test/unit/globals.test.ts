// obj.globals: global variables by their C names, typed from the object's BTF DATASECs, on every engine;
// and codecs derived from BTF (src/btf/codecs.ts), checked by a round trip through the BTF bpfkit emits.
import { expect, test } from 'vitest';
import { array, bool, bytes, i16, i64, spinLock, struct, u32, u64, u8, type Codec, type Engine } from '../../src/index.js';
import { mapBtf } from '../../src/btf/encode.js';
import { codecFromBtf } from '../../src/btf/codecs.js';
import { parseBtf } from '../../src/btf/types.js';
import { openObject } from '../../src/index.js';
import { bpfObjectPath } from '../../src/package-root.js';
import { describeEngines } from '../helpers/engines.js';

describeEngines('obj.globals', (engine: () => Engine) => {
  test('reads .data/.rodata/.bss/.data.custom variables by C name, writes them back, sees what programs wrote', () => {
    using obj = openObject(bpfObjectPath('loader_features'), { engine: engine() });
    const g = obj.globals;
    // bpf/loader_features.bpf.c: static variables are not exposed (as in a bpftool skeleton).
    expect(Object.keys(g).sort()).toEqual(['bss_counter', 'custom_value', 'data_counter', 'rodata_limit']);
    expect(g.data_counter).toBe(7n);
    expect(g.rodata_limit).toBe(3);
    expect(g.custom_value).toBe(42);
    expect(g.bss_counter).toBe(0n);
    obj.program('sys_prog').run({ ctx: new Uint8Array(8) }); // bss_counter += rodata_limit
    expect(g.bss_counter).toBe(3n);
    g.data_counter = 100n;
    expect(g.data_counter).toBe(100n);
    expect(g.custom_value).toBe(42); // another section, untouched
    // .rodata is frozen after load: the kernel refuses syscall writes.
    expect(() => { g.rodata_limit = 9; }).toThrow(/EPERM/);
    expect(() => { g.data_counter = 1; }).toThrow(TypeError); // a number for a u64
    expect(obj.globals).toBe(g);
  });
});

function roundTrip(codec: Codec<unknown>): Codec<unknown> {
  const btf = mapBtf(u32, codec);
  return codecFromBtf(parseBtf(btf.data), btf.valueTypeId, 'value');
}

test('codecs derived from BTF lay values out as the codecs that made the BTF', () => {
  const value = struct({ flag: bool, small: u8, delta: i16, hist: array(u32, 4), name: bytes(6), inner: struct({ a: u64, b: i64 }) });
  const derived = roundTrip(value);
  expect(derived.size).toBe(value.size);
  const sample = { flag: true, small: 7, delta: -2, hist: [1, 2, 3, 4], name: Uint8Array.of(1, 2, 3, 4, 5, 6), inner: { a: 1n, b: -1n } };
  const a = new DataView(new ArrayBuffer(value.size));
  const b = new DataView(new ArrayBuffer(value.size));
  value.encode(sample, a, 0);
  derived.encode(sample, b, 0);
  expect(new Uint8Array(b.buffer)).toEqual(new Uint8Array(a.buffer));
  expect(derived.decode(a, 0)).toEqual(sample);
  expect(roundTrip(struct({ lock: spinLock, count: u64 })).desc).toMatchObject({ kind: 'struct', fields: [{ name: 'lock', offset: 0, codec: spinLock }, { name: 'count', offset: 8 }] });
});

test('a union is its bytes, aligned as C aligns it; a type without a faithful codec is refused with its path', () => {
  // A hand-made BTF: struct s { char c; union u { long a; } x; } and struct t { int *p; }.
  const strings = '\0int\0long\0char\0s\0u\0x\0a\0c\0t\0p\0';
  const off = (n: string) => strings.indexOf(`\0${n}\0`) + 1;
  const types = [
    [off('int'), (1 << 24) | 0, 4, (1 << 24) | 32], // [1] INT int, signed, 32 bits
    [off('long'), (1 << 24) | 0, 8, (1 << 24) | 64], // [2] INT long, signed, 64 bits
    [off('char'), (1 << 24) | 0, 1, 8], // [3] INT char, 8 bits
    [off('u'), (5 << 24) | 1, 8, off('a'), 2, 0], // [4] UNION u { long a; }
    [off('s'), (4 << 24) | 2, 16, off('c'), 3, 0, off('x'), 4, 64], // [5] STRUCT s { char c; union u x; }
    [0, 2 << 24, 1], // [6] PTR to int
    [off('t'), (4 << 24) | 1, 8, off('p'), 6, 0], // [7] STRUCT t { int *p; }
  ].flat();
  const typeBytes = new Uint8Array(new Uint32Array(types).buffer);
  const strBytes = new TextEncoder().encode(strings);
  const header = new DataView(new ArrayBuffer(24));
  header.setUint16(0, 0xeb9f, true);
  header.setUint8(2, 1);
  header.setUint32(4, 24, true);
  header.setUint32(8, 0, true);
  header.setUint32(12, typeBytes.length, true);
  header.setUint32(16, typeBytes.length, true);
  header.setUint32(20, strBytes.length, true);
  const btf = parseBtf(new Uint8Array([...new Uint8Array(header.buffer), ...typeBytes, ...strBytes]));
  const s = codecFromBtf(btf, 5, 'value') as ReturnType<typeof struct<Record<string, never>>>;
  expect(s.size).toBe(16);
  expect(s.desc).toMatchObject({ kind: 'struct', fields: [{ name: 'c', offset: 0 }, { name: 'x', offset: 8, codec: { desc: { kind: 'bytes', length: 8, align: 8 } } }] });
  const view = new DataView(new ArrayBuffer(16));
  const x = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
  (s as unknown as { encode(v: unknown, d: DataView, o: number): void }).encode({ c: 9, x }, view, 0);
  expect([...new Uint8Array(view.buffer)]).toEqual([9, 0, 0, 0, 0, 0, 0, 0, ...x]);
  // A pointer member is its address, a u64 (a kptr field reads as 0).
  expect(codecFromBtf(btf, 7, 'value').desc).toMatchObject({ kind: 'struct', fields: [{ name: 'p', offset: 0, codec: u64 }] });
});

describeEngines('obj.map without codecs', (engine: () => Engine) => {
  test('derives key and value codecs from the BTF map definition, lock structs included', () => {
    using obj = openObject(bpfObjectPath('spin_lock'), { engine: engine() });
    obj.program('spin_hash').run({ data: new Uint8Array(64), repeat: 3 });
    using counter = obj.map('hash_counter');
    expect(counter.get(0)).toEqual({ lock: 0, count: 3n }); // struct counter { struct bpf_spin_lock lock; __u64 count; }
    expect(counter.valueCodec.desc).toMatchObject({ kind: 'struct', name: 'counter', fields: [{ name: 'lock', codec: spinLock }, { name: 'count', offset: 8 }] });
    expect(() => obj.map('nope')).toThrow(RangeError);
    expect(() => obj.map('hash_counter', { key: u32 } as never)).toThrow(/both \{ key, value \} codecs, or neither/);
  });

  test('a map declared by sizes reads as bytes; a union in a value is its bytes, at its C offset', () => {
    using obj = openObject(bpfObjectPath('raw_maps'), { engine: engine() });
    obj.program('fill_raw_maps').run({ data: new Uint8Array(64) });
    using sized = obj.map('sized'); // __uint(key_size, 4), __uint(value_size, 12)
    expect(sized.keyCodec.size).toBe(4);
    expect(sized.get(Uint8Array.of(1, 0, 0, 0))).toEqual(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xab));
    using tagged = obj.map('tagged'); // struct tagged { __u8 tag; union { __u64 count; __u8 mac[6]; } u; }
    expect(tagged.get(0)).toEqual({ tag: 1, u: Uint8Array.of(64, 0, 0, 0, 0, 0, 0, 0) });
    expect(tagged.valueCodec.size).toBe(16);
    // Your own codec for the union's bytes: any of its size (a u64 here), checked field by field otherwise.
    using mine = obj.map('tagged', { key: u32, value: struct({ tag: u8, u: u64 }) });
    expect(mine.get(0)).toEqual({ tag: 1, u: 64n });
    expect(() => obj.map('tagged', { key: u32, value: struct({ tag: u8, u: u32 }) })).toThrow(TypeError);
  });

  test('global data maps have no map definition: the error points to obj.globals', () => {
    using obj = openObject(bpfObjectPath('loader_features'), { engine: engine() });
    const bss = Object.keys(obj.maps).find((n) => n.endsWith('.bss'))!;
    expect(() => obj.map(bss)).toThrow(/not a BTF-defined map \(global data has obj.globals\)/);
  });
});
