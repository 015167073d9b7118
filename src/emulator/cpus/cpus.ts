// The emulated CPUs that run programs asynchronously: one worker thread per possible CPU, so two
// runAsync calls truly overlap as two kernel CPUs' BPF_PROG_TEST_RUN do. Maps are shared memory
// (maps/shared.ts): a worker links each program once to its own views of the same maps and runs it there.
// The runs issued in one tick go out in batches, one message per CPU (batch.ts), not one per run.
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
import { EINTR } from '../../uapi/errno.js';
import { packRuns, settleResults, type BatchResults, type PackedRuns } from './batch.js';

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

/** A program a worker has not been sent yet: its source, and its closed flag (runs of it stop with EINTR). */
export interface PostedProgram {
  key: number;
  source: PostedSource;
  cancel: Int32Array;
}

/** Runs for the CPUs to share, in one message to each (batch.ts). */
export interface BatchRequest {
  op: 'batch';
  /** The run this CPU starts with (its place among the CPUs the batch went to); then it takes the next free one. */
  first: number;
  /** The programs the runs use, or may tail-call (their prog arrays', theirs, ...), that this worker has not been sent. */
  programs: PostedProgram[];
  /** The maps their maps-in-maps hold now, by id: what their lookups give. */
  innerMaps: SharedMap[];
  runs: PackedRuns;
}

/** One CPU's results of a batch, and what its runs printed with bpf_trace_printk. */
export interface BatchReply extends BatchResults {
  trace: string[];
  /** A failure of the worker itself for the whole batch (never a program's: those are faults in the outcome). */
  error?: string;
}

interface Job {
  state: ProgramState;
  args: TestRunArgs;
  resolve(outcome: RunOutcome): void;
  reject(error: Error): void;
}

/** Runs sent to some CPUs at once: settled as the CPUs' replies come. */
interface Batch {
  jobs: Job[];
  runs: PackedRuns;
  /** The CPUs working on it that have not replied. */
  working: Set<Cpu>;
  /** Per run: settled. */
  settled: Uint8Array;
  /** What a CPU could not do for the whole batch: the runs nobody ran end with it. */
  failure?: Error;
}

interface Cpu {
  index: number;
  worker: Worker | undefined;
  /** The batch it works on, until it replies. */
  batch: Batch | undefined;
  /** Retires the idle worker (a process making many Emulators must not keep their threads forever). */
  idle: NodeJS.Timeout | undefined;
  /** Program keys this worker has linked. */
  linked: Set<number>;
}

/** How long an idle emulated CPU keeps its thread: long enough for back-to-back runs to reuse it. */
const IDLE_WORKER_MS = 2000;

/**
 * The most runs one batch carries: enough that posting it costs little per run, few enough that their
 * results come back (and callers go on) while later runs are still queued.
 */
const MAX_BATCH = 1024;

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
  /** Whether a dispatch is due at the end of this tick: the runs issued until then go out together. */
  #dispatching = false;

  constructor(config: CpusConfig) {
    this.#config = config;
    this.#cpus = Array.from({ length: config.cpus }, (_, index) => ({ index, worker: undefined, batch: undefined, idle: undefined, linked: new Set<number>() }));
  }

  /**
   * Runs the program on the first idle CPU (or the first to become idle); fills `args` as testRun does. The
   * runs issued in one tick are shared out among the idle CPUs then, a batch (one message) each.
   */
  run(state: ProgramState, args: TestRunArgs): Promise<RunOutcome> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ state, args, resolve, reject });
      if (this.#dispatching) return;
      this.#dispatching = true;
      queueMicrotask(() => {
        this.#dispatching = false;
        this.#dispatch();
      });
    });
  }

  /** The program is closed: workers drop their linked copies. */
  forget(state: ProgramState): void {
    for (const cpu of this.#cpus) {
      if (cpu.linked.delete(state.key)) cpu.worker?.postMessage({ op: 'forget', key: state.key });
    }
  }

  /** The queued runs (at most MAX_BATCH), as one batch for the idle CPUs to share. */
  #dispatch(): void {
    for (;;) {
      const idle = this.#cpus.filter((cpu) => cpu.batch === undefined);
      if (idle.length === 0 || this.#queue.length === 0) return;
      // A run of a program closed while it waited is interrupted before it starts, as one closed during
      // its repeats is between them (test-run.ts runTest): EINTR, nothing written.
      const jobs = this.#queue.splice(0, MAX_BATCH).filter((job) => {
        if (job.state.cancel[0] === 0) return true;
        job.resolve({ rc: EINTR, r0: 0n });
        return false;
      });
      if (jobs.length > 0) this.#start(idle.slice(0, jobs.length), jobs);
    }
  }

  /** Sends `jobs` to `cpus`: each starts with its own (runs issued together begin on different CPUs), then takes the next free. */
  #start(cpus: Cpu[], jobs: Job[]): void {
    const batch: Batch = {
      jobs, working: new Set(cpus), settled: new Uint8Array(jobs.length),
      runs: packRuns(jobs.map((job) => job.state.key), jobs.map((job) => job.args), cpus.length),
    };
    // What the runs need, once per program in the batch: the programs they may tail-call, the maps their
    // maps-in-maps hold now.
    const reachable = new Map<number, ProgramState>();
    for (const { state } of jobs) reachable.set(state.key, state);
    for (const state of [...reachable.values()]) for (const t of tailCallTargets(state)) reachable.set(t.key, t);
    const inner = innerMaps([...reachable.values()]);
    cpus.forEach((cpu, first) => {
      // A thread takes tens of milliseconds to start: start every CPU's at once, so runs issued together
      // begin together (as on kernel CPUs) instead of the first finishing before the second thread is up.
      if (cpu.worker === undefined) for (const other of this.#cpus) if (other.worker === undefined && other !== cpu && !cpus.includes(other)) this.#rest(other, this.#spawn(other));
      const worker = cpu.worker ?? this.#spawn(cpu);
      clearTimeout(cpu.idle);
      cpu.batch = batch;
      const programs: PostedProgram[] = [];
      for (const state of reachable.values()) {
        if (cpu.linked.has(state.key)) continue;
        programs.push({ key: state.key, source: posted(state.source), cancel: state.cancel });
        cpu.linked.add(state.key);
      }
      const request: BatchRequest = { op: 'batch', first, programs, innerMaps: inner, runs: batch.runs };
      worker.ref();
      worker.postMessage(request);
    });
  }

  #spawn(cpu: Cpu): Worker {
    const c = this.#config;
    const workerData: WorkerConfig = { cpu: cpu.index, possibleCpus: c.cpus, heldLocks: c.heldLocks, lockRow: c.rowBase + cpu.index, task: c.task, seed: c.seed, resLockTimeoutNs: c.resLockTimeoutNs, execution: c.execution };
    const worker = new Worker(workerUrl(), { workerData });
    worker.on('message', (reply: BatchReply) => this.#finish(cpu, reply));
    worker.on('error', (e) => this.#fail(cpu, e));
    worker.on('exit', (code) => this.#fail(cpu, new Error(`emulated CPU ${cpu.index} stopped (exit code ${code})`)));
    cpu.worker = worker;
    return worker;
  }

  #finish(cpu: Cpu, reply: BatchReply): void {
    const batch = cpu.batch!;
    cpu.batch = undefined;
    batch.working.delete(cpu);
    if (reply.trace.length > 0) this.#config.trace(reply.trace);
    if (reply.error !== undefined) batch.failure = new Error(`emulated CPU ${cpu.index}: ${reply.error}`);
    else settleResults(reply, (i) => batch.jobs[i]!.args, (i, outcome) => settle(batch, i, typeof outcome === 'string' ? new Error(`emulated CPU ${cpu.index}: ${outcome}`) : outcome));
    this.#ended(batch);
    this.#dispatch();
    if (cpu.batch === undefined) this.#rest(cpu);
  }

  /**
   * Every CPU sent `batch` is done with it: a run none of them took ends with the failure of the one that could
   * not work on it, else waits for the next batch (its CPU stopped before it took it).
   */
  #ended(batch: Batch): void {
    if (batch.working.size > 0) return;
    const left = batch.jobs.filter((_, i) => batch.settled[i] === 0);
    if (batch.failure) for (let i = 0; i < batch.jobs.length; i++) settle(batch, i, batch.failure);
    else this.#queue.unshift(...left);
  }

  /** Idle: the worker no longer holds the process open, and goes away if nothing comes for a while. */
  #rest(cpu: Cpu, worker = cpu.worker): void {
    if (!worker) return;
    worker.unref();
    clearTimeout(cpu.idle);
    cpu.idle = setTimeout(() => {
      if (cpu.batch !== undefined || cpu.worker !== worker) return;
      worker.removeAllListeners();
      void worker.terminate();
      cpu.worker = undefined;
      cpu.linked.clear();
    }, IDLE_WORKER_MS).unref();
  }

  /** The CPU's thread failed: the runs it took end with that, the others of its batch go on elsewhere. */
  #fail(cpu: Cpu, error: Error): void {
    const batch = cpu.batch;
    cpu.batch = undefined;
    cpu.worker?.removeAllListeners();
    cpu.worker = undefined;
    cpu.linked.clear();
    if (batch) {
      batch.working.delete(cpu);
      for (let i = 0; i < batch.jobs.length; i++) if (Atomics.load(batch.runs.taker, i) === cpu.index + 1) settle(batch, i, error);
      this.#ended(batch);
    }
    this.#dispatch();
  }
}

/** Run i of a batch ends, once: with its outcome, or rejected. */
function settle(batch: Batch, i: number, outcome: RunOutcome | Error): void {
  if (batch.settled[i] !== 0) return;
  batch.settled[i] = 1;
  const job = batch.jobs[i]!;
  if (outcome instanceof Error) job.reject(outcome);
  else job.resolve(outcome);
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
