// A ring buffer's poll in flight owns its consumer (native/ringbuf.cc, emulator/ring-consumer.ts): closing the
// ring while polls wait settles each with no records, again and again; and on the kernel a poll waiting
// without limit neither aborts nor holds up worker.terminate() or process.exit(). Crashes and hangs are
// checked in child processes, where they are the failure rather than the end of the test run.
import { expect, test } from 'vitest';
import { createMap, u64 } from '../../src/index.js';
import { childNode, expectCleanTermination } from '../helpers/child-node.js';
import { describeEngines } from '../helpers/engines.js';
import { describeKernel } from '../helpers/kernel.js';

describeEngines('a ring buffer\'s polls in flight', (engine) => {
  test('200 rings closed while their polls wait: every poll settles with no records', async () => {
    const e = engine();
    const settled = await Promise.all(Array.from({ length: 200 }, async (_, i) => {
      const ring = createMap({ type: 'ringbuf', maxEntries: 4096, value: u64, engine: e });
      const waiting = ring.poll();
      // Some close at once, some after the poll's thread (or wait) has started.
      if (i % 2) await new Promise((r) => setTimeout(r, 1));
      ring.close();
      return waiting;
    }));
    expect(settled.every((records) => Array.isArray(records) && records.length === 0)).toBe(true);
    expect(settled.length).toBe(200);
  });
});

describeKernel('a ring buffer\'s poll in flight ends with its thread or process', () => {
  test('worker.terminate() while a poll waits without limit neither aborts nor hangs', () => {
    // An eval'd worker of an ES module entry is an ES module too.
    expectCleanTermination(`new Worker(\`
      import { parentPort } from 'node:worker_threads';
      import { createMap } from './dist/index.js';
      const ring = createMap({ type: 'ringbuf', maxEntries: 4096 });
      ring.poll();
      parentPort.postMessage('polling');
    \`, { eval: true })`);
  });

  test('process.exit() while a poll waits without limit exits at once', () => {
    const r = childNode(`
      import { createMap } from './dist/index.js';
      const ring = createMap({ type: 'ringbuf', maxEntries: 4096 });
      ring.poll();
      setTimeout(() => { console.log('exiting'); process.exit(7); }, 100);
    `);
    expect(r.signal).toBeNull();
    expect(r.out).toMatch(/exiting/);
    expect(r.status).toBe(7);
  });
});
