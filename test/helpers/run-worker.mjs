// A worker_threads runner for the lock tests: loads its own copy of a BPF object whose counter map is the
// test's map (reused by id), waits at a shared barrier so every runner starts together, then runs the
// program. Plain JS over the built package (dist/), since workers do not go through vitest's transform.
import { parentPort, workerData } from 'node:worker_threads';
import { openMap, openObject, u32, bytes } from '../../dist/index.js';

const { path, mapName, mapId, valueSize, program, repeat, calls, barrier } = workerData;
const map = openMap({ id: mapId }, { key: u32, value: bytes(valueSize) });
const obj = openObject(path, { maps: { [mapName]: map } });
const prog = obj.program(program);
const data = new Uint8Array(64);
const gate = new Int32Array(barrier);
Atomics.add(gate, 0, 1);
while (Atomics.load(gate, 1) === 0) Atomics.wait(gate, 1, 0, 5);
let retvals = 0;
for (let i = 0; i < calls; i++) retvals |= prog.run({ data, repeat }).retval;
obj.close();
map.close();
parentPort.postMessage({ retvals });
