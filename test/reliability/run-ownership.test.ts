// Issue 7, items 1–3: a run in flight owns its program, its buffers and its end. A closed object's run
// never executes another object's program, close() interrupts runs (queued or running), worker teardown
// and process exit do not abort or hang. Crashes and hangs are checked in child processes, where they
// are the failure rather than the end of the test run.
import { expect, test } from 'vitest';
import { BpfError, openObject, u32, u64 } from '../../src/index.js';
import { childNode, expectCleanTermination } from '../helpers/child-node.js';
import { describeEngines } from '../helpers/engines.js';
import { describeKernel } from '../helpers/kernel.js';
import { fixture, packet } from '../kernel/bpf-fixtures.js';

const HUGE = 2 ** 32 - 1; // minutes of runs: only an interruption ends it

async function rejection(p: Promise<unknown>): Promise<BpfError> {
  try {
    await p;
  } catch (e) {
    return e as BpfError;
  }
  throw new Error('the run was not interrupted');
}

describeEngines('runs in flight own their program and their end', (engine, name) => {
  test('closing an object interrupts its running and queued runs; a later object with the same fds is never run', async () => {
    const path = fixture('unlocked');
    const a = openObject(path, { engine: engine() });
    const prog = a.program('unlocked_inc');
    // More runs than there are CPUs to run them: some run, some wait in the queue.
    const runs = Array.from({ length: 6 }, () => prog.runAsync({ data: packet(), repeat: HUGE }));
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    a.close();
    using b = openObject(path, { engine: engine() });
    using counterB = b.map('counter', { key: u32, value: u64 });
    const errors = await Promise.all(runs.map(rejection));
    const elapsed = Date.now() - started;
    for (const e of errors) {
      expect(e).toBeInstanceOf(BpfError);
      expect(e.code).toBe('EINTR');
      expect(e.message).toMatch(/its object was closed/);
    }
    // Nothing ran B's program: its counter is untouched.
    expect(counterB.get(0)).toBe(0n);
    console.log(`${name}: 6 runs interrupted ${elapsed} ms after close()`);
    // A hang bound, not a timing claim: without interruption this takes minutes.
    expect(elapsed).toBeLessThan(10_000);
  });

  test('a SEC("syscall") run repeating in userspace stops at close() and never runs the next object', async () => {
    const path = fixture('syscall_counter');
    const a = openObject(path, { engine: engine() });
    const ctx = new Uint8Array(new Uint32Array([1]).buffer);
    const run = a.program('add_to_total').runAsync({ ctx, repeat: HUGE });
    await new Promise((r) => setTimeout(r, 50));
    a.close();
    using b = openObject(path, { engine: engine() });
    using totalB = b.map('total', { key: u32, value: u64 });
    const e = await rejection(run);
    expect(e.code).toBe('EINTR');
    await new Promise((r) => setTimeout(r, 50));
    expect(totalB.get(0)).toBe(0n);
  });

  test('a run owns its packet: detaching the caller\'s buffer while it is queued changes nothing', async () => {
    using obj = openObject(fixture('unlocked'), { engine: engine() });
    const prog = obj.program('unlocked_inc');
    const data = packet([0xde, 0xad, 0xbe, 0xef]);
    const run = prog.runAsync({ data, repeat: 1000 });
    structuredClone(data.buffer, { transfer: [data.buffer as ArrayBuffer] }); // detaches the caller's copy
    expect(data.byteLength).toBe(0);
    const r = await run;
    expect(r.retval).toBe(0);
    expect(Array.from(r.data!.subarray(0, 4))).toEqual([0xde, 0xad, 0xbe, 0xef]);
    expect(r.data!.length).toBe(64);
  });

});

describeKernel('runs in flight end with their thread or process', () => {
  test('worker.terminate() during runAsync neither aborts the process nor waits for the run', () => {
    expectCleanTermination(`new Worker('./test/helpers/endless-run-worker.mjs', { execArgv: [],
      workerData: { path: ${JSON.stringify(fixture('unlocked'))}, program: 'unlocked_inc' },
    })`);
  });

  test('process.exit() with a huge run in flight exits at once', () => {
    const r = childNode(`
      import { openObject } from './dist/index.js';
      const obj = openObject(${JSON.stringify(fixture('unlocked'))});
      obj.program('unlocked_inc').runAsync({ data: new Uint8Array(64), repeat: ${HUGE} });
      setTimeout(() => { console.log('exiting'); process.exit(7); }, 100);
    `);
    expect(r.signal).toBeNull();
    expect(r.out).toMatch(/exiting/);
    expect(r.status).toBe(7);
  });
});
