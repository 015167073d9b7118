// The emulated CPUs that run programs asynchronously: one worker thread per possible CPU, so two
// runAsync calls truly overlap as two kernel CPUs' BPF_PROG_TEST_RUN do. Maps are shared memory
// (maps/shared.ts): a worker links each program once to its own views of the same maps and runs it there.
// Workers start on first use, hold the process open only while they run something, and never use
// libuv's threadpool.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { TestRunArgs } from '../../seam/engine.js';
import { packageRoot } from '../../package-root.js';
import type { ProgramSource, ProgramState } from '../program-state.js';
import { ProgArrayTable } from '../maps/prog-array.js';
import { MapInMapTable } from '../maps/map-in-map.js';
import { shareMap, type ProgramMap, type SharedMap } from '../maps/program-map.js';
import type { EmulatedTask } from '../programs/helpers.js';
import type { RunOutcome } from '../programs/test-run.js';
import type { Execution } from '../programs/compiler.js';

export interface CpusConfig {
  cpus: number;
  /** rqspinlock's held-locks tables (spin-locks.ts): worker i uses row rowBase + i. */
  heldLocks: Int32Array;
  /** This Emulator's first row (an Emulator joined from another thread has rows of its own). */
  rowBase: number;
  task: EmulatedTask;
  /** Seeds each CPU's bpf_get_prandom_u32 stream. */
  seed: number;
  resLockTimeoutNs: number;
  /** How the CPUs run programs (EmulatorOptions.execution). */
  execution: Execution;
  /** Where the workers' bpf_trace_printk lines go. */
  trace(lines: string[]): void;
}

/** What a worker is given at start. */
export interface WorkerConfig {
  cpu: number;
  /** How many CPUs the Emulator has (a run may name any of them: BPF_F_TEST_RUN_ON_CPU). */
  possibleCpus: number;
  heldLocks: Int32Array;
  /** Its row in heldLocks. */
  lockRow: number;
  task: EmulatedTask;
  seed: number;
  resLockTimeoutNs: number;
  execution: Execution;
}

/** A program as posted to a worker: its maps as shared memory. */
export type PostedSource = Omit<ProgramSource, 'maps'> & { maps: { name?: string; index?: number; map: SharedMap }[] };

export interface RunRequest {
  op: 'run';
  key: number;
  /** Only when this worker has not been sent the program yet. */
  source?: PostedSource;
  /** The programs the run may tail-call (its prog arrays', theirs, ...) that this worker has not been sent. */
  targets?: { key: number; source: PostedSource }[];
  /** The maps its maps-in-maps hold now, by id: what their lookups give. */
  innerMaps?: SharedMap[];
  cancel: Int32Array;
  args: { data: Uint8Array | null; ctx: Uint8Array | null; repeat: number; cpu: number; flags: number; dataOutLength: number; ctxOutLength: number };
}

export interface RunReply extends RunOutcome {
  out: Uint32Array;
  dataOut: Uint8Array | null;
  ctxOut: Uint8Array | null;
  trace: string[];
  /** A failure of the worker itself (never a program's: those are faults in the outcome). */
  error?: string;
}

interface Job {
  state: ProgramState;
  args: TestRunArgs;
  resolve(outcome: RunOutcome): void;
  reject(error: Error): void;
}

interface Cpu {
  index: number;
  worker: Worker | undefined;
  job: Job | undefined;
  /** Retires the idle worker (a process making many Emulators must not keep their threads forever). */
  idle: NodeJS.Timeout | undefined;
  /** Program keys this worker has linked. */
  linked: Set<number>;
}

/** How long an idle emulated CPU keeps its thread: long enough for back-to-back runs to reuse it. */
const IDLE_WORKER_MS = 2000;

/** The compiled worker: beside this file in dist/ (or build/tools/), or dist/'s when running from src/. */
function workerUrl(): URL {
  const here = new URL(import.meta.url);
  if (here.pathname.endsWith('.js')) return new URL('./worker.js', here);
  return pathToFileURL(join(packageRoot(), 'dist', 'emulator', 'cpus', 'worker.js'));
}

export class EmulatedCpus {
  readonly #config: CpusConfig;
  readonly #cpus: Cpu[];
  readonly #queue: Job[] = [];

  constructor(config: CpusConfig) {
    this.#config = config;
    this.#cpus = Array.from({ length: config.cpus }, (_, index) => ({ index, worker: undefined, job: undefined, idle: undefined, linked: new Set<number>() }));
  }

  /** Runs the program on the first idle CPU (or the first to become idle); fills `args` as testRun does. */
  run(state: ProgramState, args: TestRunArgs): Promise<RunOutcome> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ state, args, resolve, reject });
      this.#dispatch();
    });
  }

  /** The program is closed: workers drop their linked copies. */
  forget(state: ProgramState): void {
    for (const cpu of this.#cpus) {
      if (cpu.linked.delete(state.key)) cpu.worker?.postMessage({ op: 'forget', key: state.key });
    }
  }

  #dispatch(): void {
    for (const cpu of this.#cpus) {
      if (this.#queue.length === 0) return;
      if (cpu.job === undefined) this.#start(cpu, this.#queue.shift()!);
    }
  }

  #start(cpu: Cpu, job: Job): void {
    // A thread takes tens of milliseconds to start: start every CPU's at once, so runs issued together
    // begin together (as on kernel CPUs) instead of the first finishing before the second thread is up.
    if (cpu.worker === undefined) for (const other of this.#cpus) if (other.worker === undefined && other !== cpu) this.#rest(other, this.#spawn(other));
    const worker = cpu.worker ?? this.#spawn(cpu);
    clearTimeout(cpu.idle);
    cpu.job = job;
    const { state, args } = job;
    const request: RunRequest = {
      op: 'run',
      key: state.key,
      cancel: state.cancel,
      args: {
        data: args.data, ctx: args.ctx, repeat: args.repeat, cpu: args.cpu, flags: args.flags,
        dataOutLength: args.dataOut ? args.dataOut.length : -1, ctxOutLength: args.ctxOut ? args.ctxOut.length : -1,
      },
    };
    if (!cpu.linked.has(state.key)) {
      request.source = posted(state.source);
      cpu.linked.add(state.key);
    }
    const inner = innerMaps([state, ...tailCallTargets(state)]);
    if (inner.length > 0) request.innerMaps = inner;
    const targets = tailCallTargets(state).filter((t) => !cpu.linked.has(t.key));
    if (targets.length > 0) {
      request.targets = targets.map((t) => ({ key: t.key, source: posted(t.source) }));
      for (const t of targets) cpu.linked.add(t.key);
    }
    worker.ref();
    worker.postMessage(request);
  }

  #spawn(cpu: Cpu): Worker {
    const c = this.#config;
    const workerData: WorkerConfig = { cpu: cpu.index, possibleCpus: c.cpus, heldLocks: c.heldLocks, lockRow: c.rowBase + cpu.index, task: c.task, seed: c.seed, resLockTimeoutNs: c.resLockTimeoutNs, execution: c.execution };
    const worker = new Worker(workerUrl(), { workerData });
    worker.on('message', (reply: RunReply) => this.#finish(cpu, reply));
    worker.on('error', (e) => this.#fail(cpu, e));
    worker.on('exit', (code) => this.#fail(cpu, new Error(`emulated CPU ${cpu.index} stopped (exit code ${code})`)));
    cpu.worker = worker;
    return worker;
  }

  #finish(cpu: Cpu, reply: RunReply): void {
    const job = cpu.job!;
    cpu.job = undefined;
    if (reply.trace.length > 0) this.#config.trace(reply.trace);
    if (reply.error !== undefined) job.reject(new Error(`emulated CPU ${cpu.index}: ${reply.error}`));
    else {
      const a = job.args;
      a.out.set(reply.out);
      if (a.dataOut && reply.dataOut) a.dataOut.set(reply.dataOut);
      if (a.ctxOut && reply.ctxOut) a.ctxOut.set(reply.ctxOut);
      const outcome: RunOutcome = { rc: reply.rc, r0: reply.r0 };
      if (reply.fault !== undefined) outcome.fault = reply.fault;
      job.resolve(outcome);
    }
    if (this.#queue.length > 0) this.#start(cpu, this.#queue.shift()!);
    else this.#rest(cpu);
  }

  /** Idle: the worker no longer holds the process open, and goes away if nothing comes for a while. */
  #rest(cpu: Cpu, worker = cpu.worker): void {
    if (!worker) return;
    worker.unref();
    cpu.idle = setTimeout(() => {
      if (cpu.job !== undefined || cpu.worker !== worker) return;
      worker.removeAllListeners();
      void worker.terminate();
      cpu.worker = undefined;
      cpu.linked.clear();
    }, IDLE_WORKER_MS).unref();
  }

  #fail(cpu: Cpu, error: Error): void {
    const job = cpu.job;
    cpu.job = undefined;
    cpu.worker?.removeAllListeners();
    cpu.worker = undefined;
    cpu.linked.clear();
    job?.reject(error);
    this.#dispatch();
  }
}

/** A program's source as a worker receives it: its maps as shared memory. */
function posted(source: ProgramSource): PostedSource {
  return { ...source, maps: source.maps.map((m) => ({ ...m, map: shareMap(m.map) })) };
}

/**
 * The programs a run of `state` may reach by tail calls now: those in the slots of its prog arrays, and of
 * theirs. A slot set while the run is under way names a program the worker may not have: that tail call
 * faults, saying so (tail-call.ts).
 */
function tailCallTargets(state: ProgramState): ProgramState[] {
  const found = new Map<number, ProgramState>([[state.key, state]]);
  const queue = [state];
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    for (const { map } of next.source.maps) {
      const table = map.table;
      if (!(table instanceof ProgArrayTable)) continue;
      for (let i = 0; i < table.shape.maxEntries; i++) {
        const target = table.held(table.slot(i)) as ProgramState | undefined;
        if (target !== undefined && !found.has(target.key)) {
          found.set(target.key, target);
          queue.push(target);
        }
      }
    }
  }
  found.delete(state.key);
  return [...found.values()];
}

/**
 * The maps held now by the maps-in-maps these programs use, as shared memory. A map stored while the run is
 * under way is one the worker may not have: that lookup faults, saying so (helpers.ts mapLookup).
 */
function innerMaps(states: ProgramState[]): SharedMap[] {
  const out = new Map<number, SharedMap>();
  for (const state of states) {
    for (const { map } of state.source.maps) {
      const table = map.table;
      if (!(table instanceof MapInMapTable)) continue;
      for (const id of table.storedIds()) {
        const inner = table.held(id) as ProgramMap | undefined;
        if (inner && !out.has(id)) out.set(id, shareMap(inner));
      }
    }
  }
  return [...out.values()];
}
