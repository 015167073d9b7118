// obj.globals: global variables by their C names, typed from the object's BTF DATASECs, on every engine;
// and codecs derived from BTF (src/btf/codecs.ts), checked by a round trip through the BTF bpfkit emits.
import { expect, test } from 'vitest';
import { array, bool, bytes, i16, i64, spinLock, struct, u32, u64, u8, type Codec, type Engine } from '../../src/index.js';
import { mapBtf } from '../../src/btf/encode.js';
import { codecFromBtf, BtfCodecError } from '../../src/btf/codecs.js';
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

test('a BTF type without a faithful codec is refused with its path', () => {
  // A hand-made BTF: struct s { union u { int a; } x; } — unions have no codec.
  const strings = '\0int\0s\0u\0x\0a\0';
  const off = (n: string) => strings.indexOf(`\0${n}\0`) + 1;
  const types = [
    [off('int'), (1 << 24) | 0, 4, (1 << 24) | 32], // [1] INT int, signed, 32 bits
    [off('u'), (5 << 24) | 1, 4, off('a'), 1, 0], // [2] UNION u { int a; }
    [off('s'), (4 << 24) | 1, 4, off('x'), 2, 0], // [3] STRUCT s { union u x; }
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
  const blob = new Uint8Array([...new Uint8Array(header.buffer), ...typeBytes, ...strBytes]);
  expect(() => codecFromBtf(parseBtf(blob), 3, 'value')).toThrow(BtfCodecError);
  expect(() => codecFromBtf(parseBtf(blob), 3, 'value')).toThrow("value.x: Union 'u' has no codec");
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

  test('global data maps have no map definition: the error points to obj.globals', () => {
    using obj = openObject(bpfObjectPath('loader_features'), { engine: engine() });
    const bss = Object.keys(obj.maps).find((n) => n.endsWith('.bss'))!;
    expect(() => obj.map(bss)).toThrow(/not a BTF-defined map \(global data has obj.globals\)/);
  });
});
