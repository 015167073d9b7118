// A ring buffer's poll in flight owns its consumer (native/ringbuf.cc, emulator/ring-consumer.ts): closing the
// ring while polls wait settles each with no records, again and again; and on the kernel a poll waiting
// without limit neither aborts nor holds up worker.terminate() or process.exit(). Crashes and hangs are
// checked in child processes, where they are the failure rather than the end of the test run.
import { spawnSync } from 'node:child_process';
import { expect, test } from 'vitest';
import { createMap, u64 } from '../../src/index.js';
import { packageRoot } from '../../src/package-root.js';
import { describeEngines } from '../helpers/engines.js';
import { describeKernel } from '../helpers/kernel.js';

/** Runs an ES module snippet in a fresh node (importing bpfkit's built dist), bounded in time. */
function child(code: string, timeoutMs = 30_000) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: packageRoot(), encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL',
  });
  return { status: r.status, signal: r.signal, out: r.stdout + r.stderr };
}

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
    const r = child(`
      import { Worker } from 'node:worker_threads';
      // An eval'd worker of an ES module entry is an ES module too.
      const w = new Worker(\`
        import { parentPort } from 'node:worker_threads';
        import { createMap } from './dist/index.js';
        const ring = createMap({ type: 'ringbuf', maxEntries: 4096 });
        ring.poll();
        parentPort.postMessage('polling');
      \`, { eval: true });
      await new Promise((res) => w.once('message', res));
      await new Promise((res) => setTimeout(res, 100));
      const t = Date.now();
      await w.terminate();
      console.log('terminated in', Date.now() - t, 'ms');
    `);
    expect(r.signal).toBeNull();
    expect(r.out).not.toMatch(/FATAL|napi_throw|Assertion/);
    expect(r.out).toMatch(/terminated in \d+ ms/);
    expect(r.status).toBe(0);
  });

  test('process.exit() while a poll waits without limit exits at once', () => {
    const r = child(`
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
