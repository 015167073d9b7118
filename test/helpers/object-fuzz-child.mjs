// The object fuzzer's child (test/reliability/object-fuzz.test.ts): opens and loads each file it is sent
// on one engine, and reports how that ended. A crash or a hang ends this process; the parent sees it.
import { Emulator, openObject } from '../../dist/index.js';

const engine = process.argv[2] === 'emulator' ? new Emulator({ possibleCpus: 2, seed: 1 }) : 'kernel';
process.on('message', (path) => {
  let reply;
  try {
    const obj = openObject(path, { engine });
    obj.close();
    reply = { outcome: 'ok' };
  } catch (e) {
    reply = { outcome: 'error', name: e?.name, code: e?.code, message: String(e?.message ?? e).slice(0, 300) };
  }
  process.send(reply);
});
process.send({ ready: true });
