// The lock programs on every engine: bpf_spin_lock and bpf_res_spin_lock counters driven from two CPUs at
// once (kernel CPUs, or the emulator's worker-thread CPUs) lose nothing; the resilient lock's AA, ABBA and
// held-table-overflow answers; BPF_F_LOCK reads taking the lock the programs take.
import { expect, test } from 'vitest';
import { openObject, resSpinLock, spinLock, struct, u32, u64, type BpfObject, type Engine } from '../../src/index.js';
import { describeEngines } from '../helpers/engines.js';
import { fixture, packet, resLockSkipReason } from '../kernel/bpf-fixtures.js';

const RUNNERS = 2;
const EDEADLK = -35;
const ETIMEDOUT = -110;

/** The kernel needs 6.15+ for the res-lock kfuncs; the emulator always has them. */
const resSkip = (engine: Engine): string | undefined => (engine.kind === 'kernel' ? resLockSkipReason() : undefined);

const variants = [
  { object: 'spin_lock', program: 'spin_hash', map: 'hash_counter', lock: spinLock },
  { object: 'spin_lock', program: 'spin_hash_noprealloc', map: 'hash_np_counter', lock: spinLock },
  { object: 'spin_lock', program: 'spin_array', map: 'array_counter', lock: spinLock },
  { object: 'res_spin_lock', program: 'res_hash', map: 'hash_counter', lock: resSpinLock },
  { object: 'res_spin_lock', program: 'res_array', map: 'array_counter', lock: resSpinLock },
  { object: 'res_spin_lock', program: 'res_array_irqsave', map: 'irq_counter', lock: resSpinLock },
] as const;

/** Starts `runners` runAsync loops of `calls` × `repeat` runs each, all before any is awaited. */
async function overlap(obj: BpfObject, program: string, runners: number, calls: number, repeat: number): Promise<number[]> {
  const prog = obj.program(program);
  const data = packet();
  const retvals = await Promise.all(Array.from({ length: runners }, async () => {
    let bits = 0;
    for (let i = 0; i < calls; i++) bits |= (await prog.runAsync({ data, repeat })).retval;
    return bits;
  }));
  return retvals;
}

describeEngines('lock programs under concurrency', (engine, name) => {
  // 10^6 increments per variant on the kernel; the emulator's interpreter is slower, so it proves 10^6 on
  // one variant (2 CPUs × 500,000) and 2 × 125,000 on the others.
  const repeat = name === 'kernel' ? 250_000 : 125_000;

  for (const v of variants) {
    const calls = name === 'kernel' ? 2 : v.program === 'spin_array' ? 4 : 1;
    test(`${v.program}: ${RUNNERS} runners × ${calls * repeat} locked increments, none lost`, async (ctx) => {
      const e = engine();
      const skip = v.lock === resSpinLock ? resSkip(e) : undefined;
      if (skip) return ctx.skip(skip);
      using obj = openObject(fixture(v.object), { engine: e });
      const retvals = await overlap(obj, v.program, RUNNERS, calls, repeat);
      using counter = obj.map(v.map, { key: u32, value: struct({ lock: v.lock, count: u64 }), perCpu: false });
      const count = counter.get(0)!.count;
      if (v.lock === spinLock) {
        expect(retvals).toEqual([0, 0]);
        expect(count).toBe(BigInt(RUNNERS * calls * repeat));
        return;
      }
      // A res lock may fail instead of waiting forever; a failed run counts its errno and does not
      // increment. The kernel never preempts a lock holder, so there it never fails; the emulator's CPUs
      // are threads the OS can preempt mid-section, so on a loaded host a waiter may time out (-ETIMEDOUT).
      // Either way every run is accounted for, exactly.
      using stats = obj.map('stats', { key: u32, value: u64, perCpu: false });
      const [deadlock, timeout, other] = [0, 1, 2].map((k) => stats.get(k)!);
      expect(other).toBe(0n);
      expect(deadlock).toBe(0n);
      if (name === 'kernel') expect(timeout).toBe(0n);
      expect(count + timeout!).toBe(BigInt(RUNNERS * calls * repeat));
    });
  }

  test('bpf_res_spin_lock in global data (.data.*): concurrent runs count exactly', async (ctx) => {
    const e = engine();
    const skip = resSkip(e);
    if (skip) return ctx.skip(skip);
    using obj = openObject(fixture('res_global'), { engine: e });
    expect(obj.maps['.data.res']).toMatchObject({ internal: true, lock: 'res' });
    const runs = name === 'kernel' ? 200_000 : 50_000;
    const prog = obj.program('res_global_inc');
    const results = await Promise.all([prog.runAsync({ data: packet(), repeat: runs }), prog.runAsync({ data: packet(), repeat: runs })]);
    using globals = obj.map('.data.res', { key: u32, value: struct({ lock: resSpinLock, count: u64, failures: u64 }), perCpu: false });
    const { count, failures } = globals.get(0)!;
    // Every run is accounted for exactly; failures are only possible where a lock holder can be preempted
    // (the emulator's CPUs are threads; see the README's emulator lock section).
    expect(count + failures).toBe(BigInt(2 * runs));
    if (name === 'kernel') expect(failures).toBe(0n);
    for (const r of results) expect([0, ETIMEDOUT]).toContain(r.retval);
  });

  test('bpf_res_spin_lock: the same lock twice on one CPU is -EDEADLK (AA) on every run', (ctx) => {
    const e = engine();
    const skip = resSkip(e);
    if (skip) return ctx.skip(skip);
    using obj = openObject(fixture('res_deadlock'), { engine: e });
    const retvals = Array.from({ length: 5 }, () => obj.program('aa_probe').run({ data: packet() }).retval);
    expect(retvals).toEqual([EDEADLK, EDEADLK, EDEADLK, EDEADLK, EDEADLK]);
  });

  test('bpf_res_spin_lock: two CPUs taking two locks in opposite orders finish; every run is counted', async (ctx) => {
    const e = engine();
    const skip = resSkip(e);
    if (skip) return ctx.skip(skip);
    using obj = openObject(fixture('res_deadlock'), { engine: e });
    const runs = name === 'kernel' ? 100_000 : 5_000;
    const prog = (p: string) => obj.program(p).runAsync({ data: packet(), repeat: runs });
    await Promise.all([prog('abba_ab'), prog('abba_ba')]);
    using stats = obj.map('stats', { key: u32, value: u64, perCpu: false });
    const [deadlock, timeout, other, both] = [0, 1, 2, 3].map((k) => stats.get(k)!);
    // Each run either took both locks or failed one with -EDEADLK / -ETIMEDOUT: nothing hung, nothing lost.
    expect(other).toBe(0n);
    expect(both! + deadlock! + timeout!).toBe(BigInt(2 * runs));
    expect(both).toBeGreaterThan(0n);
  });

  test('bpf_res_spin_lock: past the 31-entry held-locks table, a retaken lock is not seen as AA and times out', (ctx) => {
    const e = engine();
    const skip = resSkip(e);
    if (skip) return ctx.skip(skip);
    using obj = openObject(fixture('res_held_overflow'), { engine: e });
    const t0 = Date.now();
    expect(obj.program('held_overflow').run({ data: packet() }).retval).toBe(ETIMEDOUT);
    // RES_DEF_TIMEOUT is 250 ms.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
  });

  test('BPF_F_LOCK lookups take the lock the programs take: a locked read never sees half an update', async () => {
    using obj = openObject(fixture('spin_pair'), { engine: engine() });
    using pairs = obj.map('pairs', { key: u32, value: struct({ lock: spinLock, a: u64, b: u64 }), perCpu: false });
    const runs = name === 'kernel' ? 200_000 : 50_000;
    const done = overlap(obj, 'pair_inc', RUNNERS, 1, runs);
    let reads = 0;
    let torn = 0;
    let finished = false;
    void done.then(() => (finished = true));
    // Read while the runners run (the event loop is free between awaits: runs settle on other threads).
    while (!finished) {
      for (let i = 0; i < 200; i++) {
        const p = pairs.get(0, { lock: true })!;
        reads++;
        if (p.a !== p.b) torn++;
      }
      await new Promise((r) => setImmediate(r));
    }
    expect(await done).toEqual([0, 0]);
    expect(torn).toBe(0);
    expect(reads).toBeGreaterThan(0);
    expect(pairs.get(0)).toMatchObject({ a: BigInt(RUNNERS * runs), b: BigInt(RUNNERS * runs) });
  });
});
