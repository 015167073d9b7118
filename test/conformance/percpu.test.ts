import { afterEach, expect, test } from 'vitest';
import { bytes, createMap, u32, u64, u16, type BpfMap } from '../../src/index.js';
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
