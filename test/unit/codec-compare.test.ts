// codecDifference: a given codec against the layout BTF describes, field by field.
import { expect, test } from 'vitest';
import { array, bytes, Emulator, i32, i64, openObject, resSpinLock, spinLock, struct, u16, u32, u64 } from '../../src/index.js';
import { codecDifference } from '../../src/codec/compare.js';
import { fixture } from '../kernel/bpf-fixtures.js';

const btf = struct({ lock: spinLock, count: u64, hist: array(u32, 4) }, { name: 'counter' });

test('the same layout agrees, names and all', () => {
  expect(codecDifference(btf, struct({ lock: spinLock, count: u64, hist: array(u32, 4) }), 'value')).toBeUndefined();
  expect(codecDifference(u32, u32, 'key')).toBeUndefined();
  expect(codecDifference(btf, bytes(btf.size), 'value')).toBeUndefined();
  expect(codecDifference(struct({ count: u64 }), u64, 'value')).toBeUndefined();
  expect(codecDifference(struct({ count: u64 }), i64, 'value')).toBe('value.count: i64 where BTF has u64 (signedness)');
});

test('each kind of difference is named with its path', () => {
  const pair = struct({ a: u32, b: u32 });
  expect(codecDifference(pair, struct({ b: u32, a: u32 }), 'value')).toBe("value: field 0 is 'b', BTF has 'a' (fields {b, a}, BTF {a, b})");
  expect(codecDifference(u32, i32, 'key')).toBe('key: i32 where BTF has u32 (signedness)');
  expect(codecDifference(u64, i64, 'v')).toMatch(/signedness/);
  expect(codecDifference(btf, struct({ lock: resSpinLock, count: u64, hist: array(u32, 4) }), 'value')).toBe('value.lock: resSpinLock where BTF has spinLock');
  expect(codecDifference(btf, struct({ lock: spinLock, count: u64, hist: array(u16, 8) }), 'value')).toBe('value.hist: 8 elements, BTF has 4');
  expect(codecDifference(u32, u64, 'key')).toBe('key: u64 is 8 bytes, BTF has u32 of 4');
  expect(codecDifference(btf, bytes(8), 'value')).toBe('value: bytes(8) for 32 bytes of struct counter');
  expect(codecDifference(struct({ a: u32, b: u32 }), struct({ a: u32 }), 'v')).toBe('v: fields {a}, BTF has {a, b}');
});

test('obj.map() refuses codecs that disagree with the map\'s BTF, naming the field', () => {
  using obj = openObject(fixture('spin_pair'), { engine: new Emulator() });
  const swapped = struct({ lock: spinLock, b: u64, a: u64 });
  expect(() => obj.map('pairs', { key: u32, value: swapped, perCpu: false })).toThrowError(
    new TypeError(`map 'pairs' of object '${fixture('spin_pair')}': the codecs do not match the map's BTF: value: field 1 is 'b', BTF has 'a' (fields {lock, b, a}, BTF {lock, a, b})`),
  );
  using right = obj.map('pairs', { key: u32, value: struct({ lock: spinLock, a: u64, b: u64 }), perCpu: false });
  expect(right.get(0)).toEqual({ lock: 0, a: 0n, b: 0n });
});
