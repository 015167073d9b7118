// Runs an ES module snippet in a fresh node (importing bpfkit's built dist: `make setup` or `npm run build`),
// bounded in time: where a crash or a hang is the failure being looked for, rather than the end of the test run.
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { packageRoot } from '../../src/package-root.js';

export function childNode(code: string, timeoutMs = 30_000): { status: number | null; signal: NodeJS.Signals | null; out: string } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: packageRoot(), encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL',
  });
  return { status: r.status, signal: r.signal, out: r.stdout + r.stderr };
}

/**
 * A fresh node that starts a worker (`newWorker`: an expression; `Worker` is imported), waits for its first
 * message and 100 ms more, then terminates it: the worker ended, and the process with status 0, neither
 * aborted (no fatal N-API error) nor held up by what the worker had in flight.
 */
export function expectCleanTermination(newWorker: string): void {
  const r = childNode(`
    import { Worker } from 'node:worker_threads';
    const w = ${newWorker};
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
}
