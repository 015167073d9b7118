// A worker that starts a run that would last minutes (an endless runAsync) and says so; the test then
// terminates it. Used by test/reliability/run-ownership.test.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { openObject } from '../../dist/index.js';

const obj = openObject(workerData.path);
obj.program(workerData.program).runAsync({ data: new Uint8Array(64), repeat: 2 ** 32 - 1 }).catch(() => {});
parentPort.postMessage('running');
