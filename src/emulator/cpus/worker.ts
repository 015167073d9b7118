// One emulated CPU (cpus.ts): links the programs it is asked to run to its own views of the shared maps,
// runs them with this CPU's number, random stream and held-locks row, a batch at a time (batch.ts), and
// posts each batch's outcomes back in one message.
import { parentPort, workerData } from 'node:worker_threads';
import { CpuLocks } from './spin-locks.js';
import type { BatchReply, BatchRequest, PostedSource, WorkerConfig } from './cpus.js';
import { ResultWriter, RunReader } from './batch.js';
import type { ProgramSource } from '../program-state.js';
import { linkProgram } from '../link.js';
import { attachMap, type ProgramMap } from '../maps/program-map.js';
import { xorshift32, type HelperContext } from '../programs/helpers.js';
import { ProgramRunner, runTest, type RunContext } from '../programs/test-run.js';
import { setCoverageThread } from '../programs/coverage-counters.js';

const config = workerData as WorkerConfig;
// Row 0 of every program's coverage counters is the Emulator's own thread; this CPU writes row cpu + 1.
setCoverageThread(config.cpu + 1);
const locks = new CpuLocks(config.heldLocks, config.lockRow, config.resLockTimeoutNs);
// Each CPU its own stream, as the kernel's per-CPU prandom state.
let random = (config.seed ^ Math.imul(config.cpu + 1, 0x9e3779b9)) >>> 0 || 1;
const trace: string[] = [];
const helpers: HelperContext & RunContext = {
  execution: config.execution,
  cpu: config.cpu,
  possibleCpus: config.possibleCpus,
  task: config.task,
  random: () => (random = xorshift32(random)),
  trace: (line) => trace.push(line),
  locks,
};
/** The programs this CPU ran, linked here, each with what its runs reuse. */
const programs = new Map<number, ProgramRunner>();
/** Every program this CPU was sent, by key (its program id), over this thread's views of its maps. */
const sources = new Map<number, ProgramSource>();
helpers.tailCallTarget = (_table, id) => sources.get(id);
/** The maps the maps-in-maps held when the last run was sent, by id, attached here. */
const innerMaps = new Map<number, ProgramMap>();
helpers.innerMap = (id) => innerMaps.get(id);

function linked(key: number): ProgramRunner | string {
  const known = programs.get(key);
  if (known) return known;
  const source = sources.get(key);
  if (!source) return `program #${key} was never sent to this CPU`;
  const byName = new Map<string, ProgramMap>();
  const byIndex = new Map<number, ProgramMap>();
  for (const m of source.maps) {
    if (m.name !== undefined) byName.set(m.name, m.map);
    if (m.index !== undefined) byIndex.set(m.index, m.map);
  }
  const program = linkProgram(source, (ref) => (ref.name !== undefined ? byName.get(ref.name) : byIndex.get(ref.index!)));
  if (!('exec' in program)) return `program '${source.name}' did not link: ${program.detail ?? program.errno}`;
  const runner = new ProgramRunner(program, helpers);
  programs.set(key, runner);
  return runner;
}

/** A posted program on this thread: its maps attached here. */
function received(source: PostedSource): ProgramSource {
  return { ...source, maps: source.maps.map((m) => ({ ...m, map: attachMap(m.map) })) };
}

/** Each program's closed flag, by key: its runs stop with EINTR once it is set. */
const cancels = new Map<number, Int32Array>();

function runBatch(message: BatchRequest): BatchReply {
  for (const p of message.programs) {
    sources.set(p.key, received(p.source));
    cancels.set(p.key, p.cancel);
  }
  for (const m of message.innerMaps) if (!innerMaps.has(m.info.id)) innerMaps.set(m.info.id, attachMap(m));
  const runs = new RunReader(message.runs, message.first, config.cpu);
  const results = new ResultWriter(runs.count);
  for (let i = runs.take(); i >= 0; i = runs.take()) {
    const key = runs.key(i);
    const a = runs.args(i);
    try {
      const program = linked(key);
      if (typeof program === 'string') throw new Error(program);
      const cancel = cancels.get(key)!;
      results.ran(i, a, runTest(program, helpers, locks, a, () => Atomics.load(cancel, 0) !== 0));
    } catch (e) {
      results.failed(i, (e as Error).message);
    }
  }
  return { ...results.results(), trace: trace.splice(0) };
}

parentPort!.on('message', (message: BatchRequest | { op: 'forget'; key: number }) => {
  if (message.op === 'forget') {
    programs.delete(message.key);
    sources.delete(message.key);
    cancels.delete(message.key);
    return;
  }
  let reply: BatchReply;
  try {
    reply = runBatch(message);
  } catch (e) {
    // Before it took any run: the runs nobody takes fail with this (cpus.ts #ended).
    reply = { ran: new Int32Array(0), words: new Int32Array(0), r0: new BigUint64Array(0), bytes: new Uint8Array(0), faults: [], errors: [], trace: trace.splice(0), error: (e as Error).message };
  }
  parentPort!.postMessage(reply, [reply.ran.buffer, reply.words.buffer, reply.r0.buffer, reply.bytes.buffer] as ArrayBuffer[]);
});
