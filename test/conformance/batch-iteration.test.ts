import { afterEach, expect, test } from 'vitest';
import { createMap, u32, u64, type BpfMap } from '../../src/index.js';
import { describeEngines } from '../helpers/engines.js';

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

describeEngines('batch operations and iteration', (engine) => {
  const open: BpfMap<any, any>[] = [];
  afterEach(() => {
    for (const m of open.splice(0)) m.close();
  });
  const hash = (type: 'hash' | 'lru_hash' | 'percpu_hash' = 'hash', maxEntries = 1000) => {
    const m = createMap({ type: type as 'hash', key: u32, value: u64, maxEntries, engine: engine() });
    open.push(m);
    return m;
  };

  test('updateBatch then lookupBatch chunk by chunk returns every entry exactly once', () => {
    const m = hash();
    const keys = Array.from({ length: 700 }, (_, i) => i * 3 + 1);
    expect(m.updateBatch(keys, keys.map((k) => BigInt(k) * 2n))).toBe(700);
    const seen = new Map<number, bigint>();
    let cursor;
    let calls = 0;
    for (;;) {
      const r = m.lookupBatch({ count: 64, ...(cursor ? { cursor } : {}) });
      calls++;
      expect(r.keys.length).toBeLessThanOrEqual(128);
      r.keys.forEach((k, i) => {
        expect(seen.has(k)).toBe(false);
        seen.set(k, r.values[i]!);
      });
      if (r.done) break;
      cursor = r.cursor;
    }
    expect(calls).toBeGreaterThan(5);
    expect(sorted([...seen.keys()])).toEqual(keys);
    for (const [k, v] of seen) expect(v).toBe(BigInt(k) * 2n);
  });

  test('a chunk of 1 still makes progress when a bucket holds more (ENOSPC is handled by growing)', () => {
    // 200 keys in a 256-bucket map: some buckets hold 2+ elements, which a 1-element chunk cannot take.
    const m = hash('hash', 200);
    const keys = Array.from({ length: 200 }, (_, i) => i);
    m.updateBatch(keys, keys.map(BigInt));
    const seen: number[] = [];
    let cursor;
    for (;;) {
      const r = m.lookupBatch({ count: 1, ...(cursor ? { cursor } : {}) });
      seen.push(...r.keys);
      if (r.done) break;
      cursor = r.cursor;
    }
    expect(sorted(seen)).toEqual(keys);
  });

  test('entries() agrees with nextKey order and sees every element of a per-CPU map', () => {
    const m = createMap({ type: 'percpu_hash', key: u32, value: u64, maxEntries: 100, engine: engine() });
    open.push(m);
    const cpus = m.cpus;
    for (let k = 0; k < 50; k++) m.set(k, Array.from({ length: cpus }, (_, c) => BigInt(k * 10 + c)));
    const byNext: number[] = [];
    for (let k = m.nextKey(); k !== undefined; k = m.nextKey(k)) byNext.push(k);
    const entries = [...m.entries()];
    expect(entries.map(([k]) => k)).toEqual(byNext);
    for (const [k, v] of entries) expect(v).toEqual(Array.from({ length: cpus }, (_, c) => BigInt(k * 10 + c)));
  });

  test('lookupAndDeleteBatch drains the map', () => {
    for (const type of ['hash', 'lru_hash', 'percpu_hash'] as const) {
      const m = hash(type, 300);
      const n = 250;
      for (let k = 0; k < n; k++) m.set(k, (type === 'percpu_hash' ? Array(m.engine.possibleCpus()).fill(BigInt(k)) : BigInt(k)) as never);
      const drained: number[] = [];
      let cursor;
      for (;;) {
        const r = m.lookupAndDeleteBatch({ count: 32, ...(cursor ? { cursor } : {}) });
        drained.push(...r.keys);
        if (r.done) break;
        cursor = r.cursor;
      }
      expect(sorted(drained)).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(m.nextKey()).toBeUndefined();
    }
  });

  test('deleteBatch stops at the first missing key with ENOENT and reports how many it deleted', () => {
    const m = hash();
    m.updateBatch([1, 2, 3, 4], [1n, 2n, 3n, 4n]);
    let err: any;
    try {
      m.deleteBatch([1, 2, 99, 3]);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'ENOENT', syscall: 'BPF_MAP_DELETE_BATCH', processed: 2 });
    expect(sorted([...m.keys()])).toEqual([3, 4]);
    expect(m.deleteBatch([3, 4])).toBe(2);
  });

  test('updateBatch stops at the first failing element: a full hash map applies what fits', () => {
    const m = hash('hash', 4);
    let err: any;
    try {
      m.updateBatch([1, 2, 3, 4, 5, 6], [1n, 2n, 3n, 4n, 5n, 6n]);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'E2BIG', syscall: 'BPF_MAP_UPDATE_BATCH', processed: 4 });
    expect(sorted([...m.keys()])).toEqual([1, 2, 3, 4]);
  });

  test('iteration ends even while the map is being changed under it', () => {
    const m = hash('hash', 256);
    for (let k = 0; k < 200; k++) m.set(k, 0n);
    let steps = 0;
    let next = 1000;
    for (const [k] of m.entries()) {
      steps++;
      m.delete(k);
      if (next < 1200) m.set(next++, 1n);
      expect(steps).toBeLessThan(10_000);
    }
    expect(steps).toBeGreaterThanOrEqual(200);
  });
});
