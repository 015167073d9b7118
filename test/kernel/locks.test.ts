// Proof under concurrency, kernel only: each locked fixture run from two worker_threads at once, each with
// its own copy of the object sharing one map, never loses an increment. (Async runners, AA/ABBA and the
// held-lock overflow run on every engine: test/conformance/lock-programs.test.ts.)
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { expect, test } from 'vitest';
import { bytes, Emulator, features, isBpfError, openObject, u32, type EngineOption } from '../../src/index.js';
import { lockVariants, type LockVariant } from '../../examples/lock-variants.js';
import { describeKernel } from '../helpers/kernel.js';
import { fixture, resLockSkipReason } from './bpf-fixtures.js';

const RUNNERS = 2;
const REPEAT = 250_000;
const CALLS = 2; // 2 runners × 2 calls × 250k = 10^6 increments per variant

const resSkip = resLockSkipReason();
if (resSkip) console.log(`skipped: bpf_res_spin_lock tests: ${resSkip}`);
const locked = lockVariants.filter((v) => v.lock !== 'none');
const skipFor = (v: LockVariant) => v.lock === 'res' && resSkip !== undefined;

// On a kernel without the kfunc, both engines refuse the object as libbpf does (kernel-version.ts kfuncAvailable).
const resPresent = resSkip === undefined ? 'the kernel has bpf_res_spin_lock (the refusal needs one before 6.15)' : undefined;
if (resPresent) console.log(`skipped: res_spin_lock refused where the kfunc is missing: ${resPresent}`);
describeKernel('res_spin_lock on a kernel without the kfunc', () => {
  test.skipIf(resPresent !== undefined)('neither engine loads it: the kernel refuses the poisoned program, the emulator says it cannot judge it', () => {
    const open = (engine: EngineOption) => () => openObject(fixture('res_spin_lock'), { engine });
    // The fixture's kfunc externs are __weak: libbpf poisons their calls and the verifier refuses the program
    // (6.12: EACCES "R2 pointer arithmetic with <<= operator prohibited", measured in bpfkit vm).
    expect(open('kernel')).toThrowError(expect.objectContaining({ name: 'BpfVerifierError' }));
    expect(open(new Emulator({ kernelVersion: features.emulatorKernelVersion() }))).toThrowError(expect.objectContaining({
      code: 'ENOTSUPP', message: expect.stringContaining("kfunc 'bpf_res_spin_lock' is not in Linux"),
    }));
  });

  test.skipIf(resPresent !== undefined)('a strong kfunc extern: both engines fail the load with libbpf\'s ESRCH and words', () => {
    const want = expect.objectContaining({ code: 'ESRCH', message: expect.stringContaining("extern (func ksym) 'bpf_res_spin_lock': not found in kernel or module BTFs") });
    for (const engine of ['kernel', new Emulator({ kernelVersion: features.emulatorKernelVersion() })] as const) {
      expect(() => openObject(fixture('res_strong'), { engine })).toThrowError(want);
    }
  });
});

describeKernel('locked counters under concurrent BPF_PROG_TEST_RUN', () => {
  test('the machine has at least two CPUs to overlap on', () => {
    expect(availableParallelism()).toBeGreaterThanOrEqual(2);
  });

  for (const v of locked) {
    test.skipIf(skipFor(v))(`${v.name}: ${RUNNERS} worker_threads × ${REPEAT * CALLS} increments on one shared map, none lost`, async () => {
      using obj = openObject(fixture(v.object));
      const info = obj.maps[v.map]!;
      using counter = obj.map(v.map, { key: u32, value: bytes(info.valueSize), perCpu: false });
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
