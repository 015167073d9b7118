import { afterAll, beforeAll, expect, test } from 'vitest';
import { Emulator, MapFlags, createMap, features, u32, u64, type Engine } from '../../src/index.js';
import { lruTargetFreeScales } from '../../src/emulator/kernel-version.js';
import { hostPossibleCpus } from '../../src/host-cpus.js';
import { describeEngines } from '../helpers/engines.js';
import { pinToCpu0 } from '../helpers/pin-cpu.js';

// Which keys survive an LRU map filled past max_entries is the kernel's algorithm (bpf_lru_list.c),
// not an exact LRU: free nodes move to a CPU in batches, so filling the map can evict several keys at
// once. Observed with 2 possible CPUs, from CPU 0, on Linux 6.18, 7.2 and 6.12.117 (target_free scales
// with the map) and on 6.1 (a fixed target_free of 128: the first eviction empties the map but for the
// new key); which a kernel has is kernel-version.ts lruTargetFreeScales.
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const cases = [
  // max_entries, inserted 1..n, flags, survivors where target_free scales, survivors with the fixed one
  [4, 5, 0, range(2, 5), [5]],
  [8, 9, 0, range(3, 9), [9]],
  [256, 257, 0, range(65, 257), range(129, 257)],
  [8, 5, MapFlags.NoCommonLru, [5], [5]],
] as const;

function survivors(engine: Engine, maxEntries: number, inserted: number, flags: number): number[] {
  using m = createMap({ type: 'lru_hash', key: u32, value: u64, maxEntries, flags, engine });
  for (let k = 1; k <= inserted; k++) m.set(k, BigInt(k));
  return [...m.keys()].sort((a, b) => a - b);
}

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

  test.skipIf(cpus !== 2).each(cases)('max_entries %i, insert 1..%i, flags %i', (maxEntries, inserted, flags, scaled, fixed) => {
    const e = make();
    const version = e instanceof Emulator ? e.kernelVersion : features.emulatorKernelVersion();
    expect(survivors(e, maxEntries, inserted, flags)).toEqual(lruTargetFreeScales(version) ? scaled : fixed);
  });
});

// The emulator carries the difference: at 6.1 it evicts as the 6.1 kernel did, at 6.12 as 6.12.117 did.
test.each(cases)('the emulator at 6.1 and 6.12: max_entries %i, insert 1..%i, flags %i', (maxEntries, inserted, flags, scaled, fixed) => {
  expect(survivors(new Emulator({ possibleCpus: 2, currentCpu: 0, kernelVersion: '6.1' }), maxEntries, inserted, flags)).toEqual(fixed);
  expect(survivors(new Emulator({ possibleCpus: 2, currentCpu: 0, kernelVersion: '6.12' }), maxEntries, inserted, flags)).toEqual(scaled);
});

function kernelPossibleCpus(): number {
  return hostPossibleCpus() ?? 0;
}
