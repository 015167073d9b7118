import { afterAll, beforeAll, expect, test } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { Emulator, MapFlags, createMap, u32, u64 } from '../../src/index.js';
import { describeEngines } from '../helpers/engines.js';
import { pinToCpu0 } from '../helpers/pin-cpu.js';

// Which keys survive an LRU map filled past max_entries is the kernel's algorithm (bpf_lru_list.c),
// not an exact LRU: free nodes move to a CPU in batches, so filling the map can evict several keys at
// once. Observed on Linux 6.18 with 2 possible CPUs, from CPU 0.
describeEngines('LRU eviction from CPU 0', (engine, name) => {
  let unpin = () => {};
  beforeAll(() => {
    if (name === 'kernel') unpin = pinToCpu0();
  });
  afterAll(() => unpin());

  // The emulator is given the recorded machine's shape; the kernel must have it.
  const cpus = name === 'emulator' ? 2 : kernelPossibleCpus();
  const make = () => (name === 'emulator' ? new Emulator({ possibleCpus: 2, currentCpu: 0 }) : engine());
  if (cpus !== 2) console.log(`skipped: LRU survivor sets were recorded with 2 possible CPUs; this kernel has ${cpus}`);

  const survivors = (maxEntries: number, inserted: number, flags = 0) => {
    const e = make();
    using m = createMap({ type: 'lru_hash', key: u32, value: u64, maxEntries, flags, engine: e });
    for (let k = 1; k <= inserted; k++) m.set(k, BigInt(k));
    return [...m.keys()].sort((a, b) => a - b);
  };
  const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

  test.skipIf(cpus !== 2).each([
    [4, 5, 0, range(2, 5)],
    [8, 9, 0, range(3, 9)],
    [256, 257, 0, range(65, 257)],
    [8, 5, MapFlags.NoCommonLru, [5]],
  ] as const)('max_entries %i, insert 1..%i, flags %i', (maxEntries, inserted, flags, want) => {
    expect(survivors(maxEntries, inserted, flags)).toEqual(want);
  });
});

function kernelPossibleCpus(): number {
  // "0-1" or "0,2-3": count the CPUs in the list.
  if (!existsSync('/sys/devices/system/cpu/possible')) return 0;
  const list = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
  return list.split(',').reduce((n, part) => {
    const [a, b] = part.split('-').map(Number);
    return n + (b === undefined ? 1 : b - a! + 1);
  }, 0);
}
