// A batch of test runs as one message to the idle emulated CPUs and one reply from each (cpus.ts,
// worker.ts): the runAsync calls made together go out as a few flat arrays in shared memory rather than a
// message and a reply per run, which cost tens of microseconds a run. The CPUs share the batch's runs out
// among themselves as they go (a claim counter, as the kernel's CPUs would each take the next thread ready
// to run): a long run holds up only the CPU running it, never runs queued behind it. Each run keeps its own
// arguments and results; only the packing is shared.
import type { TestRunArgs } from '../../seam/engine.js';
import type { RunOutcome } from '../programs/test-run.js';
import { sharedInt32 } from '../maps/shared.js';

/** Int32 words per run in a request: key, repeat, cpu, flags, data length, ctx length, data_out and ctx_out sizes (-1: none). */
const REQUEST_WORDS = 8;
/** Int32 words per run in a reply: rc, out[0..3], the bytes of data_out and of ctx_out that follow. */
const REPLY_WORDS = 7;

/** The runs of a batch: their words, their data and ctx bytes one after the other, who runs which. */
export interface PackedRuns {
  words: Int32Array;
  bytes: Uint8Array;
  /** [0]: the next run no CPU has taken. Runs below the number of CPUs sent the batch are theirs to start with. */
  next: Int32Array;
  /** Per run: 1 + the CPU that took it, 0 while none has. */
  taker: Int32Array;
}

/** Packs runs of the programs `keys` with `args` (data and ctx copied in), for `cpus` CPUs at once. */
export function packRuns(keys: number[], args: TestRunArgs[], cpus: number): PackedRuns {
  const n = args.length;
  const words = sharedInt32(n * REQUEST_WORDS);
  let total = 0;
  for (const a of args) total += (a.data?.length ?? 0) + (a.ctx?.length ?? 0);
  const bytes = new Uint8Array(new SharedArrayBuffer(Math.max(1, total)), 0, total);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const a = args[i]!;
    const w = i * REQUEST_WORDS;
    words[w] = keys[i]!;
    words[w + 1] = a.repeat;
    words[w + 2] = a.cpu;
    words[w + 3] = a.flags;
    words[w + 4] = a.data ? a.data.length : -1;
    words[w + 5] = a.ctx ? a.ctx.length : -1;
    words[w + 6] = a.dataOut ? a.dataOut.length : a.dataOutSize ?? -1;
    words[w + 7] = a.ctxOut ? a.ctxOut.length : -1;
    if (a.data) {
      bytes.set(a.data, at);
      at += a.data.length;
    }
    if (a.ctx) {
      bytes.set(a.ctx, at);
      at += a.ctx.length;
    }
  }
  const next = sharedInt32(1);
  next[0] = Math.min(cpus, n);
  return { words, bytes, next, taker: sharedInt32(n) };
}

/** The runs of a batch as one CPU takes them, on the worker. */
export class RunReader {
  /** Where each run's data and ctx start in the batch's bytes. */
  readonly #starts: Int32Array;
  /** Where data_out and ctx_out are written: a buffer each, grown, reused run after run. */
  readonly #scratch = [new Uint8Array(0), new Uint8Array(0)];
  #first: number;

  /** `first`: the run this CPU starts with (its place among the CPUs the batch was sent to). */
  constructor(readonly runs: PackedRuns, first: number, readonly cpu: number) {
    const n = this.count;
    this.#starts = new Int32Array(n);
    for (let i = 0, at = 0; i < n; i++) {
      this.#starts[i] = at;
      at += Math.max(runs.words[i * REQUEST_WORDS + 4]!, 0) + Math.max(runs.words[i * REQUEST_WORDS + 5]!, 0);
    }
    this.#first = first < n ? first : -1;
  }

  get count(): number {
    return this.runs.words.length / REQUEST_WORDS;
  }

  /** The next run this CPU takes (marked as its), or -1 when every run is taken. */
  take(): number {
    let i = this.#first;
    this.#first = -1;
    if (i < 0) i = Atomics.add(this.runs.next, 0, 1);
    if (i >= this.count) return -1;
    Atomics.store(this.runs.taker, i, this.cpu + 1);
    return i;
  }

  key(i: number): number {
    return this.runs.words[i * REQUEST_WORDS]!;
  }

  /**
   * Run i's arguments (valid until the next call): its data and ctx copied out of the batch, its out
   * buffers scratch.
   */
  args(i: number): TestRunArgs {
    const { words, bytes } = this.runs;
    const w = i * REQUEST_WORDS;
    const dataLength = words[w + 4]!;
    const ctxLength = words[w + 5]!;
    const at = this.#starts[i]!;
    // Copies: the batch's bytes are shared memory, which a program's packet must not be.
    const data = dataLength >= 0 ? bytes.slice(at, at + dataLength) : null;
    const ctx = ctxLength >= 0 ? bytes.slice(at + Math.max(dataLength, 0), at + Math.max(dataLength, 0) + ctxLength) : null;
    const dataOutLength = words[w + 6]!;
    const ctxOutLength = words[w + 7]!;
    // Only what a run writes goes back (ResultWriter), so the scratch needs no clearing between runs, and
    // neither does `out`: test_run sets all of it (runTest; ResultWriter copies it at once).
    const a = this.#args;
    this.#out.fill(0);
    a.data = data;
    a.ctx = ctx;
    a.repeat = words[w + 1]! >>> 0;
    a.cpu = words[w + 2]! >>> 0;
    a.flags = words[w + 3]! >>> 0;
    a.dataOut = this.#scratchView(0, dataOutLength);
    a.ctxOut = this.#scratchView(1, ctxOutLength);
    return a;
  }

  /** One set of arguments, reused run after run (a worker runs one at a time). */
  readonly #out = new Uint32Array(4);
  readonly #args: TestRunArgs = { data: null, ctx: null, repeat: 0, cpu: 0, flags: 0, out: this.#out, dataOut: null, ctxOut: null };
  /** The data_out (0) and ctx_out (1) views of the last run: the next of the same length reuses them. */
  readonly #views: (Uint8Array | null)[] = [null, null];

  /** `length` bytes of scratch for data_out (which 0) or ctx_out (1), or null for none (-1). */
  #scratchView(which: 0 | 1, length: number): Uint8Array | null {
    if (length < 0) return null;
    const view = this.#views[which];
    if (view !== null && view !== undefined && view.length === length && view.buffer === this.#scratch[which]!.buffer) return view;
    if (this.#scratch[which]!.length < length) this.#scratch[which] = new Uint8Array(length);
    return (this.#views[which] = this.#scratch[which]!.subarray(0, length));
  }
}

/** What one CPU's runs of a batch gave: in the order it ran them, which run, its words, r0, and the bytes it wrote; faults and failures by run. */
export interface BatchResults {
  /** The runs, in the order this CPU ran them (the order of words, r0 and bytes). */
  ran: Int32Array;
  words: Int32Array;
  r0: BigUint64Array;
  bytes: Uint8Array;
  /** [run, where it faulted] for runs that did. */
  faults: [number, string][];
  /** [run, what failed] for runs the worker could not make (never a program's fault). */
  errors: [number, string][];
}

/** Collects one CPU's results of a batch, on the worker. */
export class ResultWriter {
  #ran: Int32Array;
  #words: Int32Array;
  #r0: BigUint64Array;
  #count = 0;
  #bytes = new Uint8Array(4096);
  #at = 0;
  readonly #faults: [number, string][] = [];
  readonly #errors: [number, string][] = [];

  constructor(capacity: number) {
    this.#ran = new Int32Array(capacity);
    this.#words = new Int32Array(capacity * REPLY_WORDS);
    this.#r0 = new BigUint64Array(capacity);
  }

  /**
   * Run i's outcome. test_run writes the first min(size, buffer) bytes of data_out and ctx_out and reports
   * the size in out[2]/out[3] (test-run.ts runTest): those bytes are what goes back.
   */
  ran(i: number, a: TestRunArgs, outcome: RunOutcome): void {
    const k = this.#count++;
    const w = k * REPLY_WORDS;
    this.#ran[k] = i;
    this.#words[w] = outcome.rc;
    for (let j = 0; j < 4; j++) this.#words[w + 1 + j] = a.out[j]!;
    this.#r0[k] = outcome.r0;
    if (outcome.fault !== undefined) this.#faults.push([i, outcome.fault]);
    this.#words[w + 5] = this.#put(a.dataOut, a.out[2]!);
    this.#words[w + 6] = this.#put(a.ctxOut, a.out[3]!);
  }

  failed(i: number, error: string): void {
    this.#errors.push([i, error]);
  }

  #put(buffer: Uint8Array | null, size: number): number {
    if (!buffer) return 0;
    const n = Math.min(size, buffer.length);
    if (this.#at + n > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#at + n));
      grown.set(this.#bytes.subarray(0, this.#at));
      this.#bytes = grown;
    }
    this.#bytes.set(buffer.subarray(0, n), this.#at);
    this.#at += n;
    return n;
  }

  results(): BatchResults {
    const n = this.#count;
    return {
      ran: this.#ran.slice(0, n), words: this.#words.slice(0, n * REPLY_WORDS), r0: this.#r0.slice(0, n), bytes: this.#bytes.slice(0, this.#at),
      faults: this.#faults, errors: this.#errors,
    };
  }
}

/**
 * Settles one CPU's runs of a batch on the caller's thread: each run's out buffers (`argsOf`) filled, then
 * `done` with its outcome, or with what the worker could not do for it.
 */
export function settleResults(results: BatchResults, argsOf: (i: number) => TestRunArgs, done: (i: number, outcome: RunOutcome | string) => void): void {
  const { ran, words, r0, bytes } = results;
  const faults = new Map(results.faults);
  for (const [i, error] of results.errors) done(i, error);
  let at = 0;
  for (let k = 0; k < ran.length; k++) {
    const i = ran[k]!;
    const w = k * REPLY_WORDS;
    const a = argsOf(i);
    for (let j = 0; j < 4; j++) a.out[j] = words[w + 1 + j]!;
    const dataN = words[w + 5]!;
    const ctxN = words[w + 6]!;
    // A run without a data_out buffer of its own gets one holding what it wrote (TestRunArgs.dataOutSize).
    if (!a.dataOut && a.dataOutSize !== undefined) a.dataOut = bytes.slice(at, at + dataN);
    else if (a.dataOut && dataN > 0) a.dataOut.set(bytes.subarray(at, at + dataN));
    at += dataN;
    if (a.ctxOut && ctxN > 0) a.ctxOut.set(bytes.subarray(at, at + ctxN));
    at += ctxN;
    const outcome: RunOutcome = { rc: words[w]!, r0: r0[k]! };
    const fault = faults.get(i);
    if (fault !== undefined) outcome.fault = fault;
    done(i, outcome);
  }
}
