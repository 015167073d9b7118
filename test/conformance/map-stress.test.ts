// Maps under concurrent programs: CPUs inserting, deleting and bumping values in one HASH and one LRU_HASH
// (bpf/map_churn.bpf.c) while this thread iterates and batch-reads them. Nothing may corrupt: the runs
// finish, every key iteration yields is a key of the map, and afterwards the element count, the keys and
// the values agree. On the emulator the CPUs are worker threads over shared memory.
import { expect, test } from 'vitest';
import { openObject, u32, u64 } from '../../src/index.js';
import { Emulator, EmulatorMapHandle } from '../../src/emulator/index.js';
import { HashTable } from '../../src/emulator/maps/hash.js';
import { describeEngines } from '../helpers/engines.js';
import { fixture, packet } from '../kernel/bpf-fixtures.js';

describeEngines('maps under concurrent programs', (engine, name) => {
  // The kernel: this machine's CPUs. The emulator: four emulated CPUs, more threads than cores, so the OS
  // preempts them in the middle of changes (the kernel's bucket locks are never held across preemption).
  const RUNNERS = name === 'kernel' ? 2 : 4;
  test(`${RUNNERS} CPUs churn a HASH and an LRU_HASH while this thread writes, iterates and batch-reads`, async () => {
    using obj = openObject(fixture('map_churn'), { engine: name === 'kernel' ? engine() : new Emulator({ possibleCpus: RUNNERS }) });
    const maps = ['churn_hash', 'churn_lru'].map((m) => obj.map(m, { key: u32, value: u64, perCpu: false }));
    const runs = name === 'kernel' ? 200_000 : 20_000;
    const prog = obj.program('churn_maps');
    let finished = false;
    const done = Promise.all(Array.from({ length: RUNNERS }, () => prog.runAsync({ data: packet(), repeat: runs })));
    void done.finally(() => (finished = true));
    let passes = 0;
    let e2big = 0;
    while (!finished) {
      for (const map of maps) {
        // Syscall writes race the programs' (a full HASH refuses new keys with E2BIG; LRU evicts).
        for (let k = 0; k < 128; k += 3) {
          try {
            map.set(k, 7n);
          } catch (e) {
            expect((e as { code?: string }).code).toBe('E2BIG');
            e2big++;
          }
        }
        for (let k = 1; k < 128; k += 5) map.delete(k);
        for (const key of map.keys()) expect(key).toBeLessThan(128);
        for (const [key, value] of map.entries()) {
          expect(key).toBeLessThan(128);
          expect(value).toBeGreaterThanOrEqual(1n);
        }
        const batch = map.lookupBatch({ count: 64 });
        expect(batch.keys.length).toBeLessThanOrEqual(64);
      }
      passes++;
      await new Promise((r) => setImmediate(r));
    }
    const results = await done;
    expect(results.map((r) => r.retval)).toEqual(Array(RUNNERS).fill(0));
    expect(passes).toBeGreaterThan(0);
    console.log(`${name}: ${passes} passes of syscall writes and reads during the runs (${e2big} E2BIG from a full HASH)`);
    for (const map of maps) {
      const keys = [...map.keys()];
      expect(new Set(keys).size).toBe(keys.length);
      expect(keys.length).toBeLessThanOrEqual(64);
      for (const key of keys) expect(map.get(key)).toBeGreaterThanOrEqual(1n);
      expect([...map.entries()].map(([k]) => k).sort((a, b) => a - b)).toEqual(keys.sort((a, b) => a - b));
    }
    // The emulator's own count (hashtab.c's htab->count) agrees with what iteration sees.
    if (name === 'emulator') {
      for (const m of ['churn_hash', 'churn_lru']) {
        using raw = obj.map(m, { key: u32, value: u64, perCpu: false });
        const table = (raw.handle as EmulatorMapHandle).table;
        expect(table).toBeInstanceOf(HashTable);
        expect((table as HashTable).count).toBe([...raw.keys()].length);
      }
    }
  });
});
