// The lock fixtures (bpf/spin_lock.bpf.c, res_spin_lock.bpf.c, unlocked.bpf.c) and a runner that drives
// one of them from several CPUs at once with BPF_PROG_TEST_RUN, then reads the counter back. The demo, the
// lock bench and the concurrency tests all use it, so they measure the same thing.
import { bytes, openObject, u32, u64, type EngineOption } from 'bpfkit';
import { fixture } from './fixtures.js';

export interface LockVariant {
  name: string;
  object: string;
  program: string;
  /** The map holding the counter (key 0; the count is the value's last 8 bytes). */
  map: string;
  lock: 'spin' | 'res' | 'none';
}

export const lockVariants: readonly LockVariant[] = [
  { name: 'bpf_spin_lock, HASH', object: 'spin_lock', program: 'spin_hash', map: 'hash_counter', lock: 'spin' },
  { name: 'bpf_spin_lock, HASH (NO_PREALLOC)', object: 'spin_lock', program: 'spin_hash_noprealloc', map: 'hash_np_counter', lock: 'spin' },
  { name: 'bpf_spin_lock, ARRAY', object: 'spin_lock', program: 'spin_array', map: 'array_counter', lock: 'spin' },
  { name: 'bpf_res_spin_lock, HASH', object: 'res_spin_lock', program: 'res_hash', map: 'hash_counter', lock: 'res' },
  { name: 'bpf_res_spin_lock, ARRAY', object: 'res_spin_lock', program: 'res_array', map: 'array_counter', lock: 'res' },
  { name: 'bpf_res_spin_lock_irqsave, ARRAY', object: 'res_spin_lock', program: 'res_array_irqsave', map: 'irq_counter', lock: 'res' },
  { name: 'no lock (control), ARRAY', object: 'unlocked', program: 'unlocked_inc', map: 'counter', lock: 'none' },
];

export interface LockRun {
  runners: number;
  /** Increments per runner. */
  iterations: number;
  expected: bigint;
  got: bigint;
  /** Runs whose res lock failed (-EDEADLK, -ETIMEDOUT), from the fixture's stats map. */
  failures: bigint;
  /** Wall-clock nanoseconds per increment across all runners. */
  nsPerIteration: number;
}

/**
 * Runs `variant` from `runners` concurrent async test runs (runAsync: one thread each), each
 * `calls` × BPF_PROG_TEST_RUN with `repeat`. All runners are started before any finishes.
 */
export async function runLockVariant(variant: LockVariant, runners: number, repeat: number, calls: number, engine?: EngineOption): Promise<LockRun> {
  using obj = openObject(fixture(variant.object), engine === undefined ? {} : { engine });
  const prog = obj.program(variant.program);
  const info = obj.maps[variant.map]!;
  const counter = obj.map(variant.map, { key: u32, value: bytes(info.valueSize), perCpu: false });
  const data = new Uint8Array(64);
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: runners }, async () => {
      for (let i = 0; i < calls; i++) await prog.runAsync({ data, repeat });
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - t0);
  const value = counter.get(0);
  const got = value ? new DataView(value.buffer, value.byteOffset).getBigUint64(info.valueSize - 8, true) : 0n;
  let failures = 0n;
  if ('stats' in obj.maps) {
    const stats = obj.map('stats', { key: u32, value: u64, perCpu: false });
    failures = (stats.get(0) ?? 0n) + (stats.get(1) ?? 0n) + (stats.get(2) ?? 0n);
  }
  const iterations = repeat * calls;
  return {
    runners,
    iterations,
    expected: BigInt(runners * iterations),
    got,
    failures,
    nsPerIteration: elapsed / (runners * iterations),
  };
}
