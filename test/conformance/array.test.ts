import { afterEach, expect, test } from 'vitest';
import { createMap, u32, u64, type BpfMap } from '../../src/index.js';
import { describeEngines } from '../helpers/engines.js';

describeEngines('array maps', (engine) => {
  const open: BpfMap<any, any>[] = [];
  afterEach(() => {
    for (const m of open.splice(0)) m.close();
  });
  const array = (maxEntries = 4) => {
    const m = createMap({ type: 'array', key: u32, value: u64, maxEntries, engine: engine() });
    open.push(m);
    return m;
  };

  test('every index exists from the start, zeroed', () => {
    const m = array(4);
    expect([0, 1, 2, 3].map((i) => m.get(i))).toEqual([0n, 0n, 0n, 0n]);
    expect([...m.keys()]).toEqual([0, 1, 2, 3]);
  });

  test('lookup past the end is a miss (ENOENT), update past the end is E2BIG', () => {
    const m = array(4);
    expect(m.get(4)).toBeUndefined();
    expect(() => m.set(4, 1n)).toThrowError(expect.objectContaining({ code: 'E2BIG', errno: -7 }));
  });

  test('insert (NOEXIST) is EEXIST because every element exists; replace works', () => {
    const m = array(4);
    expect(() => m.insert(1, 5n)).toThrowError(expect.objectContaining({ code: 'EEXIST' }));
    m.replace(1, 5n);
    expect(m.get(1)).toBe(5n);
  });

  test('delete is EINVAL: array elements cannot be removed (surprising but true)', () => {
    const m = array(4);
    m.set(2, 9n);
    expect(() => m.delete(2)).toThrowError(expect.objectContaining({ code: 'EINVAL', syscall: 'BPF_MAP_DELETE_ELEM' }));
    expect(m.get(2)).toBe(9n);
  });

  test('lookupAndDelete is ENOTSUPP (524), a kernel-internal errno', () => {
    const m = array(4);
    expect(() => m.lookupAndDelete(0)).toThrowError(expect.objectContaining({ code: 'ENOTSUPP', errno: -524 }));
  });

  test('nextKey: none → 0, past the end → 0, last index → end', () => {
    const m = array(4);
    expect(m.nextKey()).toBe(0);
    expect(m.nextKey(0)).toBe(1);
    expect(m.nextKey(17)).toBe(0);
    expect(m.nextKey(3)).toBeUndefined();
  });

  test('key_size must be 4 (EINVAL otherwise)', () => {
    expect(() => createMap({ type: 'array', key: u64, value: u64, maxEntries: 4, engine: engine() })).toThrowError(
      expect.objectContaining({ code: 'EINVAL', syscall: 'BPF_MAP_CREATE' }),
    );
  });

  test('batch: lookupBatch walks indexes; deleteBatch and lookupAndDeleteBatch are ENOTSUPP', () => {
    const m = array(10);
    for (let i = 0; i < 10; i++) m.set(i, BigInt(i * i));
    const first = m.lookupBatch({ count: 4 });
    expect(first.keys).toEqual([0, 1, 2, 3]);
    expect(first.values).toEqual([0n, 1n, 4n, 9n]);
    expect(first.done).toBe(false);
    const rest = m.lookupBatch({ cursor: first.cursor, count: 100 });
    expect(rest.keys).toEqual([4, 5, 6, 7, 8, 9]);
    expect(rest.done).toBe(true);
    expect(() => m.deleteBatch([1])).toThrowError(expect.objectContaining({ code: 'ENOTSUPP' }));
    expect(() => m.lookupAndDeleteBatch()).toThrowError(expect.objectContaining({ code: 'ENOTSUPP' }));
    expect(m.updateBatch([1, 2], [100n, 200n])).toBe(2);
    expect([m.get(1), m.get(2)]).toEqual([100n, 200n]);
  });
});
