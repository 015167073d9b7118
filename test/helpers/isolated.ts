// Runs a piece of code against the built package (dist/) in a child Node process with a small heap and a
// deadline. For hostile-input tests: a regression that loops (in JavaScript or in the addon's C++) or
// allocates without bound fails the test within seconds, where vitest's own timeout could not interrupt a
// synchronous loop and a runaway allocation would take the test worker down.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../../src/package-root.js';

export interface IsolatedResult {
  /** Milliseconds spent inside `timed(...)` (imports and process start excluded). */
  ms: number;
  /** What the body returned (through JSON). */
  value?: unknown;
  /** What it threw. */
  error?: { name: string; message: string; code?: string };
  /** The child was killed at the deadline, or died (the heap limit, a signal): its stderr. */
  died?: string;
}

const child = `
import { readFileSync } from 'node:fs';
const { dist, args, body } = JSON.parse(readFileSync(0, 'utf8'));
let ms = 0;
const timed = (fn) => { const t = performance.now(); try { return fn(); } finally { ms = performance.now() - t; } };
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
let result;
try {
  result = { value: await new AsyncFunction('dist', 'args', 'timed', body)(dist, args, timed) };
} catch (e) {
  result = { error: { name: e?.name, message: String(e?.message ?? e), code: e?.code } };
}
process.stdout.write(JSON.stringify({ ms, ...result }));
process.exit(0);
`;

/**
 * Runs `body` (an async function body with `dist` — the URL of dist/ — `args` and `timed(fn)` in scope) in
 * a child process killed after `timeoutMs`, with `heapMb` of V8 heap.
 */
export function runIsolated(body: string, args: unknown = {}, { timeoutMs = 10_000, heapMb = 256 } = {}): IsolatedResult {
  const dist = pathToFileURL(join(packageRoot(), 'dist')).href;
  const r = spawnSync(process.execPath, [`--max-old-space-size=${heapMb}`, '--input-type=module', '-e', child], {
    input: JSON.stringify({ dist, args, body }),
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
  if (r.status !== 0 || r.stdout === '') {
    const why = r.error ? String(r.error.message) : `exit ${r.status ?? r.signal}`;
    return { ms: Number.NaN, died: `${why}: ${r.stderr.slice(-2000)}` };
  }
  return JSON.parse(r.stdout) as IsolatedResult;
}
