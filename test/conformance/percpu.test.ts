import { afterEach, expect, test } from 'vitest';
import { bytes, createMap, MapType, possibleCpus, u32, u64, u16, type BpfMap } from '../../src/index.js';
import { mapLayout } from '../../src/seam/map-layout.js';
import { describeEngines } from '../helpers/engines.js';

describeEngines('per-CPU maps', (engine) => {
  const open: BpfMap<any, any>[] = [];
  afterEach(() => {
    for (const m of open.splice(0)) m.close();
  });

  for (const type of ['percpu_hash', 'percpu_array', 'lru_percpu_hash'] as const) {
    test(`${type}: one value per possible CPU, getPerCpu reads one slot`, () => {
      const e = engine();
      const cpus = e.possibleCpus();
      const m = createMap({ type, key: u32, value: u64, maxEntries: 8, engine: e });
      open.push(m);
      expect(m.cpus).toBe(cpus);
      const values = Array.from({ length: cpus }, (_, i) => BigInt(100 + i));
      m.set(1, values);
      expect(m.get(1)).toEqual(values);
      for (let cpu = 0; cpu < cpus; cpu++) expect(m.getPerCpu(1, cpu)).toBe(BigInt(100 + cpu));
      expect(() => m.getPerCpu(1, cpus)).toThrow(RangeError);
      expect(() => m.set(1, values.slice(1))).toThrow(RangeError);
      expect(m.get(1)).toEqual(values);
    });
  }

  test('values smaller than 8 bytes still take an 8-byte slot per CPU (round_up(value_size, 8))', () => {
    const e = engine();
    const m = createMap({ type: 'percpu_array', key: u32, value: u16, maxEntries: 2, engine: e });
    open.push(m);
    expect(m.valueCodec.size).toBe(8 * e.possibleCpus());
    const values = Array.from({ length: e.possibleCpus() }, (_, i) => 0xab00 + i);
    m.set(0, values);
    expect(m.get(0)).toEqual(values);
    expect(m.get(1)).toEqual(values.map(() => 0));
  });

  test('per-CPU value round_up(size, 8) over 32 KiB is E2BIG at create', () => {
    const e = engine();
    expect(() => createMap({ type: 'percpu_hash', key: u32, value: bytes(32769), maxEntries: 1, engine: e })).toThrowError(
      expect.objectContaining({ code: 'E2BIG', syscall: 'BPF_MAP_CREATE' }),
    );
  });
});

describeEngines('map layout: what each engine copies', (engine) => {
  test('every map type reports the value and batch-token sizes map-layout.ts computes', () => {
    const e = engine();
    for (const [type, keySize] of [['hash', 12], ['percpu_hash', 4], ['lru_hash', 2], ['lru_percpu_hash', 8], ['array', 4], ['percpu_array', 4]] as const) {
      const id = MapType[({ hash: 'Hash', percpu_hash: 'PercpuHash', lru_hash: 'LruHash', lru_percpu_hash: 'LruPercpuHash', array: 'Array', percpu_array: 'PercpuArray' } as const)[type]];
      using map = createMap({ type, key: bytes(keySize), value: bytes(12), maxEntries: 4, engine: e });
      const layout = map.handle.layout;
      expect(layout, type).toEqual(mapLayout(id, keySize, 12, possibleCpus(e)));
      expect(layout.valueBufferSize, type).toBe(type.includes('percpu') ? 16 * possibleCpus(e) : 12);
      expect(layout.tokenSize, type).toBe(type.includes('array') ? keySize : 4);
    }
  });
});
