import { afterEach, expect, test } from 'vitest';
import { BpfError, createMap, openPinned, struct, u8, u32, u64, type BpfMap } from '../../src/index.js';
import { describeEngines } from '../helpers/engines.js';

// Each entry point, given bad input, throws a clear error before any syscall, and the map keeps
// exactly what it held.
describeEngines('bad input', (engine) => {
  const open: BpfMap<any, any>[] = [];
  afterEach(() => {
    for (const m of open.splice(0)) m.close();
  });
  const seeded = () => {
    const m = createMap({ type: 'hash', key: u32, value: struct({ a: u8, b: u64 }), maxEntries: 8, name: 'bad_input', engine: engine() });
    open.push(m);
    m.set(1, { a: 1, b: 10n });
    m.set(2, { a: 2, b: 20n });
    return m;
  };
  const contents = (m: BpfMap<number, unknown>) => [...m.entries()].sort(([a], [b]) => a - b);
  const before = [
    [1, { a: 1, b: 10n }],
    [2, { a: 2, b: 20n }],
  ];

  test.each([
    ['key out of range', (m: BpfMap<any, any>) => m.set(2 ** 32, { a: 0, b: 0n }), RangeError],
    ['negative key', (m: BpfMap<any, any>) => m.set(-1, { a: 0, b: 0n }), RangeError],
    ['NaN key', (m: BpfMap<any, any>) => m.set(NaN, { a: 0, b: 0n }), TypeError],
    ['string key', (m: BpfMap<any, any>) => m.set('1', { a: 0, b: 0n }), TypeError],
    ['value field out of range', (m: BpfMap<any, any>) => m.set(1, { a: 256, b: 0n }), RangeError],
    ['number for a u64 field', (m: BpfMap<any, any>) => m.set(1, { a: 1, b: 5 }), TypeError],
    ['missing value field', (m: BpfMap<any, any>) => m.set(1, { a: 1 }), TypeError],
    ['replace with a bad value', (m: BpfMap<any, any>) => m.replace(2, { a: -1, b: 0n }), RangeError],
    ['get with a bad key', (m: BpfMap<any, any>) => m.get(1.5), RangeError],
    ['delete with a bad key', (m: BpfMap<any, any>) => m.delete(undefined), TypeError],
    ['updateBatch with a bad value in the middle', (m: BpfMap<any, any>) => m.updateBatch([1, 3, 4], [{ a: 9, b: 9n }, { a: 999, b: 0n }, { a: 0, b: 0n }]), RangeError],
    ['updateBatch with mismatched lengths', (m: BpfMap<any, any>) => m.updateBatch([1, 2], [{ a: 9, b: 9n }]), RangeError],
    ['batch count zero', (m: BpfMap<any, any>) => m.lookupBatch({ count: 0 }), RangeError],
  ] as const)('%s throws and leaves the map unchanged', (_name, op, errorClass) => {
    const m = seeded();
    expect(() => op(m)).toThrow(errorClass);
    expect(contents(m)).toEqual(before);
  });

  test('a bad element flag is EINVAL from the engine (lock on a value without a spin lock)', () => {
    const m = seeded();
    expect(() => m.set(1, { a: 5, b: 5n }, { lock: true })).toThrowError(expect.objectContaining({ code: 'EINVAL', syscall: 'BPF_MAP_UPDATE_ELEM' }));
    expect(() => m.get(1, { lock: true })).toThrowError(expect.objectContaining({ code: 'EINVAL', syscall: 'BPF_MAP_LOOKUP_ELEM' }));
    expect(contents(m)).toEqual(before);
  });

  test('a closed map throws EBADF naming the map, never touching a reused fd', () => {
    const m = seeded();
    m.close();
    m.close(); // idempotent
    const other = createMap({ type: 'hash', key: u32, value: u32, maxEntries: 2, engine: engine() });
    open.push(other);
    for (const op of [() => m.get(1), () => m.set(1, { a: 1, b: 1n }), () => m.delete(1), () => m.nextKey(), () => [...m.keys()], () => m.freeze()]) {
      let err: unknown;
      try {
        op();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BpfError);
      expect(err).toMatchObject({ code: 'EBADF', errno: -9 });
      expect((err as Error).message).toContain("map 'bad_input'");
    }
  });

  test('bad createMap options', () => {
    const e = engine();
    expect(() => createMap({ type: 'hashmap' as never, key: u32, value: u32, maxEntries: 1, engine: e })).toThrow(/unknown map type "hashmap"/);
    expect(() => createMap({ type: 'hash', key: {} as never, value: u32, maxEntries: 1, engine: e })).toThrow(TypeError);
    expect(() => createMap({ type: 'hash', key: u32, value: u32, maxEntries: 1.5, engine: e })).toThrow(TypeError);
    expect(() => createMap({ type: 'hash', key: u32, value: u32, maxEntries: -1, engine: e })).toThrow(RangeError);
    expect(() => createMap({ type: 'hash', key: u32, value: u32, maxEntries: 1, flags: NaN, engine: e })).toThrow(TypeError);
    expect(() => createMap({ type: 'hash', key: u32, value: u32, maxEntries: 1, flags: 1 << 30, engine: e })).toThrowError(
      expect.objectContaining({ code: 'EINVAL', syscall: 'BPF_MAP_CREATE' }),
    );
  });

  test('bad paths: empty, missing', () => {
    const m = seeded();
    expect(() => m.pin('')).toThrow(TypeError);
    expect(() => openPinned('', { key: u32, value: u32, engine: engine() })).toThrow(TypeError);
    expect(() => openPinned('/sys/fs/bpf/bpfkit-no-such-pin', { key: u32, value: u32, engine: engine() })).toThrowError(
      expect.objectContaining({ code: 'ENOENT', syscall: 'BPF_OBJ_GET' }),
    );
  });
});
