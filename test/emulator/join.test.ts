// One Emulator across the threads of a process (issue 19): emulator.share() in the thread that made it,
// Emulator.join() in a worker_thread of the user's; both see the same maps, ids and virtual bpffs, and
// programs on both take the same locks (a spin-lock counter run from both threads at once loses nothing).
import { Worker } from 'node:worker_threads';
import { afterAll, expect, test } from 'vitest';
import { Emulator, openObject, openPinned, spinLock, struct, u32, u64, createMap } from '../../src/index.js';
import type { EmulatorShare } from '../../src/emulator/emulator.js';
import { fixture } from '../kernel/bpf-fixtures.js';
const workerUrl = new URL('../helpers/joined-worker.mjs', import.meta.url);
const workers: Worker[] = [];
afterAll(async () => {
  await Promise.all(workers.map((w) => w.terminate()));
});

/** Runs one task in a worker joined to `emulator`; resolves with what it reports. */
function inWorker(emulator: Emulator, task: Record<string, unknown>): Promise<Record<string, unknown>> {
  const share: EmulatorShare = emulator.share();
  const worker = new Worker(workerUrl, { workerData: { share, task }, transferList: [share.link.port] });
  workers.push(worker);
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

test('a worker opens the owner\'s pin and id, reads and writes the same memory', async () => {
  const emulator = new Emulator({ possibleCpus: 2 });
  using m = createMap({ type: 'array', key: u32, value: u64, maxEntries: 2, engine: emulator });
  m.set(0, 42n);
  m.pin('/sys/fs/bpf/joined');
  const out = await inWorker(emulator, { kind: 'pinned', path: '/sys/fs/bpf/joined' });
  expect(out).toEqual({ read: 42n, sameId: true });
  expect(m.get(1)).toBe(77n);
  expect(emulator.unpin('/sys/fs/bpf/joined')).toBe(0);
});

test('a map a worker makes and pins is the owner\'s to open, by path and by id', async () => {
  const emulator = new Emulator({ possibleCpus: 2 });
  const out = await inWorker(emulator, { kind: 'create', path: '/sys/fs/bpf/made_there' });
  expect(out.error).toBeUndefined();
  using m = openPinned('/sys/fs/bpf/made_there', { key: u32, value: u64, engine: emulator });
  expect(m.get(5)).toBe(55n);
  expect(m.info.id).toBe(out.id);
  expect(emulator.unpin('/sys/fs/bpf/made_there')).toBe(0);
});

test('bpf_spin_lock from the owner and a joined worker at once: no increment lost', async () => {
  const emulator = new Emulator({ possibleCpus: 2 });
  const object = fixture('spin_lock');
  using obj = openObject(object, { engine: emulator });
  using map = obj.map('hash_counter', { key: u32, value: struct({ lock: spinLock, count: u64 }), perCpu: false });
  map.pin('/sys/fs/bpf/spin_shared');
  const barrier = new SharedArrayBuffer(8);
  const calls = 50;
  const repeat = 1000;
  const done = inWorker(emulator, { kind: 'locked', path: '/sys/fs/bpf/spin_shared', object, mapName: 'hash_counter', program: 'spin_hash', barrier, calls, repeat });
  const gate = new Int32Array(barrier);
  // The worker says it is ready (or fails: then its report ends the wait).
  let failed: Record<string, unknown> | undefined;
  void done.then((r) => { if (!r.done) failed = r; });
  while (Atomics.load(gate, 0) < 1 && !failed) await new Promise((r) => setTimeout(r, 5));
  expect(failed).toBeUndefined();
  Atomics.store(gate, 1, 1);
  Atomics.notify(gate, 1);
  const prog = obj.program('spin_hash');
  for (let i = 0; i < calls; i++) prog.run({ data: new Uint8Array(64), repeat });
  expect(await done).toEqual({ done: true });
  expect(map.get(0)?.count).toBe(BigInt(2 * calls * repeat));
  expect(emulator.unpin('/sys/fs/bpf/spin_shared')).toBe(0);
});

test('join() takes only what share() gives; share() only on the thread that made the emulator', () => {
  expect(() => Emulator.join({} as EmulatorShare)).toThrow(TypeError);
});
