// Proof under concurrency: each locked fixture run from two CPUs at once never loses an increment.
// The runners overlap by construction: every runner is started before any is awaited, and each call
// is long (hundreds of thousands of runs), so a run on one CPU always has a partner on the other.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { expect, test } from 'vitest';
import { bytes, isBpfError, openObject, u32, u64 } from '../../src/index.js';
import { lockVariants, runLockVariant, type LockVariant } from '../../examples/lock-variants.js';
import { describeKernel } from '../helpers/kernel.js';
import { fixture, packet, resLockSkipReason } from './bpf-fixtures.js';

const RUNNERS = 2;
const REPEAT = 250_000;
const CALLS = 2; // 2 runners × 2 calls × 250k = 10^6 increments per variant

const resSkip = resLockSkipReason();
if (resSkip) console.log(`skipped: bpf_res_spin_lock tests: ${resSkip}`);
const locked = lockVariants.filter((v) => v.lock !== 'none');
const skipFor = (v: LockVariant) => v.lock === 'res' && resSkip !== undefined;

describeKernel('locked counters under concurrent BPF_PROG_TEST_RUN', () => {
  test('the machine has at least two CPUs to overlap on', () => {
    expect(availableParallelism()).toBeGreaterThanOrEqual(2);
  });

  for (const v of locked) {
    test.skipIf(skipFor(v))(`${v.name}: ${RUNNERS} async runners × ${REPEAT * CALLS} increments, none lost`, async () => {
      fixture(v.object);
      const r = await runLockVariant(v, RUNNERS, REPEAT, CALLS);
      expect(r.expected).toBe(1_000_000n);
      expect(r.failures).toBe(0n);
      expect(r.got).toBe(r.expected);
    });

    test.skipIf(skipFor(v))(`${v.name}: ${RUNNERS} worker_threads × ${REPEAT * CALLS} increments on one shared map, none lost`, async () => {
      using obj = openObject(fixture(v.object));
      const info = obj.maps[v.map]!;
      using counter = obj.map(v.map, { key: u32, value: bytes(info.valueSize) });
      const barrier = new SharedArrayBuffer(8);
      const gate = new Int32Array(barrier);
      const workers = Array.from({ length: RUNNERS }, () => new Worker(new URL('../helpers/run-worker.mjs', import.meta.url), {
        workerData: { path: fixture(v.object), mapName: v.map, mapId: counter.info.id, valueSize: info.valueSize, program: v.program, repeat: REPEAT, calls: CALLS, barrier },
      }));
      const done = workers.map((w) => new Promise<{ retvals: number }>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      }));
      // Release the runners together once all have loaded their object.
      while (Atomics.load(gate, 0) < RUNNERS) await new Promise((r) => setTimeout(r, 5));
      Atomics.store(gate, 1, 1);
      Atomics.notify(gate, 1);
      const results = await Promise.all(done);
      await Promise.all(workers.map((w) => w.terminate()));
      expect(results.map((r) => r.retvals)).toEqual([0, 0]);
      const value = counter.get(0)!;
      expect(new DataView(value.buffer, value.byteOffset).getBigUint64(info.valueSize - 8, true)).toBe(BigInt(RUNNERS * REPEAT * CALLS));
    });
  }
});

describeKernel('bpf_res_spin_lock deadlock detection', () => {
  test.skipIf(resSkip !== undefined)('AA: taking the same lock twice returns -EDEADLK, every time', () => {
    using obj = openObject(fixture('res_deadlock'));
    const aa = obj.program('aa_probe');
    // Each detection costs ~2 ms on this kernel: a few runs prove "every time" without slowing the suite.
    const retvals = Array.from({ length: 5 }, () => aa.run({ data: packet() }).retval);
    expect(retvals).toEqual([-35, -35, -35, -35, -35]);
    const stats = obj.map('stats', { key: u32, value: u64 });
    expect(stats.get(0)).toBe(5n);
  });

  test.skipIf(resSkip !== undefined)('ABBA: two programs taking two locks in opposite order finish; failures are counted, nothing hangs', async () => {
    using obj = openObject(fixture('res_deadlock'));
    const runs = 200_000;
    const t0 = Date.now();
    const [ab, ba] = await Promise.all([
      obj.program('abba_ab').runAsync({ data: packet(), repeat: runs }),
      obj.program('abba_ba').runAsync({ data: packet(), repeat: runs }),
    ]);
    const seconds = (Date.now() - t0) / 1000;
    const stats = obj.map('stats', { key: u32, value: u64 });
    const [deadlocks, timeouts, other, ok] = [0, 1, 2, 3].map((k) => stats.get(k) ?? 0n);
    console.log(`ABBA: ${ok} both-locked runs, ${deadlocks} EDEADLK, ${timeouts} ETIMEDOUT in ${seconds.toFixed(2)} s`);
    expect(other).toBe(0n);
    expect(ok! + deadlocks! + timeouts!).toBe(BigInt(2 * runs));
    expect([0, -35, -110]).toContain(ab.retval);
    expect([0, -35, -110]).toContain(ba.retval);
  });
});

describeKernel('lock placement is refused before the kernel sees it', () => {
  test('an object with a lock in an LRU map fails to open with EOPNOTSUPP naming the map and the rule', () => {
    try {
      openObject(fixture('lock_in_lru'));
      expect.unreachable('lock_in_lru loaded');
    } catch (e) {
      expect(isBpfError(e, 'EOPNOTSUPP')).toBe(true);
      expect((e as Error).message).toMatch(/map '\w+'.*allowed only in hash and array maps/);
    }
  });
});
