// A user's worker_thread on a shared Emulator (Emulator.join): what test/emulator/join.test.ts asks of it,
// over the built package (dist/), since workers do not go through vitest's transform.
import { parentPort, workerData } from 'node:worker_threads';
import { Emulator, createMap, openMap, openObject, openPinned, struct, spinLock, u32, u64 } from '../../dist/index.js';

const { share, task } = workerData;
const engine = Emulator.join(share);
const counter = struct({ lock: spinLock, count: u64 });
const out = {};
try {
  switch (task.kind) {
    case 'pinned': {
      // Open the owner's pin, read what it wrote, write back, and run the owner's object's program on it.
      const m = openPinned(task.path, { key: u32, value: u64, engine });
      out.read = m.get(0);
      m.set(1, 77n);
      const byId = openMap({ id: m.info.id }, { key: u32, value: u64, engine });
      out.sameId = byId.get(0) === out.read;
      byId.close();
      m.close();
      break;
    }
    case 'locked': {
      // The owner's spin-lock counter map, reused by a program of this thread's own object, run here.
      const gate = new Int32Array(task.barrier);
      const map = openPinned(task.path, { key: u32, value: counter, engine });
      const obj = openObject(task.object, { engine, maps: { [task.mapName]: map } });
      const prog = obj.program(task.program);
      Atomics.add(gate, 0, 1);
      while (Atomics.load(gate, 1) === 0) Atomics.wait(gate, 1, 0, 5);
      for (let i = 0; i < task.calls; i++) prog.run({ data: new Uint8Array(64), repeat: task.repeat });
      obj.close();
      map.close();
      out.done = true;
      break;
    }
    case 'create': {
      // A map made here, pinned here: the owner opens it.
      const m = createMap({ type: 'hash', key: u32, value: u64, maxEntries: 8, engine });
      m.set(5, 55n);
      m.pin(task.path);
      out.id = m.info.id;
      m.close();
      break;
    }
  }
} catch (e) {
  out.error = `${e.name}: ${e.message}`;
}
parentPort.postMessage(out);
