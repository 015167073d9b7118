// One loaded program (BpfProgram) and its test runs (BPF_PROG_TEST_RUN's buffers in and out), of a
// BpfObject or from raw instructions (loadProgram), on any engine through the program seam.
import { isFdProgramHandle, isObjectFailure, type Engine, type ProgramHandle, type TestRunArgs, type VerifierOptions } from '../seam/engine.js';
import { verifierStats, type VerifierStats } from '../errors/verifier-log.js';
import { resolveEngine, unsupportedOn, type EngineOption } from '../engine-select.js';
import { EBADF, EFAULT, EINTR, ENOSPC } from '../uapi/errno.js';
import { BpfError, BpfRunOutputError, checkBytes, checkU32, describeValue, subjectOf } from '../errors/errors.js';
import { programTypeByName, type ProgramTypeName } from '../elf/sections.js';
import { hintFor } from '../errors/hints.js';
import { BpfMap } from '../map/map.js';
import { failureError } from './failure.js';
import { ProgramType, programTypeName } from '../uapi/program-type.js';
import { BPF_LOG_MASK, BPF_OBJ_NAME_LEN } from '../uapi/bpf.js';

export interface RunOptions {
  /** The packet (tc needs ≥ 14 bytes, an Ethernet header). Not accepted by SEC("syscall") programs. */
  data?: Uint8Array;
  /**
   * The context (struct __sk_buff, xdp_md, a syscall program's argument struct, or a raw tracepoint's u64
   * arguments: those only go in, and no ctx comes back).
   */
  ctx?: Uint8Array;
  /** Run the program this many times in one syscall (0 and 1 both mean once); duration is the average. */
  repeat?: number;
  cpu?: number;
  flags?: number;
  /** Room for the packet the program leaves behind (default: input length + 4096). */
  dataOutSize?: number;
}

export interface RunResult {
  /** The program's return value, read as its C `int` (so -EDEADLK is -35). */
  retval: number;
  /**
   * r0 when the program exited, as a u64, of this run (never another run's, also when runs overlap). On the
   * emulator, the whole 64-bit register. On the kernel engine, only the low 32 bits, zero-extended:
   * BPF_PROG_TEST_RUN reports no more (its retval is a __u32), so the upper half reads 0 whatever the
   * program left there.
   */
  r0: bigint;
  /** Average nanoseconds per run, as the kernel measured it (for syscall programs: measured here). */
  duration: number;
  /** The packet after the run (when data was given). */
  data?: Uint8Array;
  /** The context after the run (when ctx was given). */
  ctx?: Uint8Array;
}

export interface LoadProgramOptions {
  /**
   * enum bpf_prog_type (ProgramType.SchedCls, ...), its name ('SchedCls'), or a section name as libbpf's
   * SEC() takes it ('tc', 'xdp', 'syscall', 'sk_lookup', ...), which also gives the expected attach type
   * and the prog_flags libbpf loads that section's programs with (BPF_F_SLEEPABLE for 'syscall' and the
   * '.s' sections, BPF_F_XDP_HAS_FRAGS for 'xdp.frags').
   */
  type: number | ProgramTypeName;
  /** The instructions, 8 bytes each (struct bpf_insn, little-endian). */
  insns: Uint8Array;
  license?: string;
  name?: string;
  /** Maps that `ld_imm64` with src_reg BPF_PSEUDO_MAP_IDX (5) / BPF_PSEUDO_MAP_IDX_VALUE (6) name by index. */
  maps?: readonly BpfMap<any, any>[];
  engine?: EngineOption;
  /** The verifier's log level (1, 2, BPF_LOG_STATS 4, or'ed): see BpfProgram.verifierLog. Default 0. */
  logLevel?: number;
  /** BPF_F_* prog_flags (ProgFlags.StrictAlignment, ProgFlags.TestStateFreq, ...). Default 0. */
  flags?: number;
  /**
   * expected_attach_type (AttachType.*): what some program types must be loaded with (a netfilter program
   * AttachType.Netfilter, an sk_lookup one AttachType.SkLookup). Default 0.
   */
  expectedAttachType?: number;
}

/**
 * Loads a program from raw instructions (BPF_PROG_LOAD) on either engine. The program is its own owner:
 * close it (or `using` it) to unload.
 */
export function loadProgram(options: LoadProgramOptions): BpfProgram {
  if (options === null || typeof options !== 'object') throw new TypeError('loadProgram: options must be an object');
  const named = typeof options.type === 'string' ? programTypeByName(options.type) : undefined;
  const { insns, license = 'GPL', name = '', maps = [], logLevel = 0, flags = 0, expectedAttachType = named?.expectedAttachType ?? 0 } = options;
  const type = named?.type ?? options.type;
  if (typeof type !== 'number' || !Number.isInteger(type) || type < 0) {
    throw new TypeError(`loadProgram: type must be a ProgramType, a KernelProgramType name ('Xdp') or a libbpf section name ('xdp', 'tc', 'syscall'), got ${describeValue(options.type)}`);
  }
  checkBytes('loadProgram', 'insns', insns);
  if (insns.length === 0 || insns.length % 8 !== 0) throw new RangeError(`loadProgram: insns must be a non-empty multiple of 8 bytes, got ${insns.length}`);
  if (typeof license !== 'string') throw new TypeError('loadProgram: license must be a string');
  if (typeof name !== 'string' || name.length > BPF_OBJ_NAME_LEN - 1) throw new TypeError(`loadProgram: name must be a string of at most ${BPF_OBJ_NAME_LEN - 1} characters`);
  if (!Array.isArray(maps) || maps.some((m) => !(m instanceof BpfMap))) throw new TypeError('loadProgram: maps must be an array of BpfMaps');
  const verifier = verifierOptions('loadProgram', logLevel, flags);
  verifier.flags = (verifier.flags | (named?.progFlags ?? 0)) >>> 0;
  checkU32('loadProgram', 'expectedAttachType', expectedAttachType);
  const engine = resolveEngine(options.engine);
  if (!engine.loadProgram) throw unsupportedOn(engine, 'does not run BPF programs', { syscall: 'BPF_PROG_LOAD', subject: subjectOf({ program: name }) });
  const handle = engine.loadProgram({ type, insns: insns.slice(), license, name, maps: maps.map((m) => m.handle), verifier, expectedAttachType });
  if (isObjectFailure(handle)) throw failureError(handle, undefined, engine);
  return new BpfProgram(handle, engine, '', () => handle.closed, () => handle.close());
}

/** The verifier options of openObject and loadProgram, checked: a log level the kernel knows, u32 flags. */
export function verifierOptions(operation: string, logLevel: unknown, flags: unknown): VerifierOptions {
  checkU32(operation, 'logLevel', logLevel);
  if ((logLevel as number) > BPF_LOG_MASK) throw new RangeError(`${operation}: logLevel must be 0 to ${BPF_LOG_MASK} (1 | 2 | 4 | 8, or'ed), got ${logLevel}`);
  return { logLevel: logLevel as number, flags: checkU32(operation, 'flags', flags) };
}

/** One loaded program: of a BpfObject (valid while it is open), or from loadProgram (its own owner). */
export class BpfProgram {
  readonly name: string;
  readonly section: string;
  readonly type: number;
  readonly typeName: string;
  readonly #handle: ProgramHandle;
  readonly #engine: Engine;
  readonly #closed: () => boolean;
  readonly #close: (() => void) | undefined;
  /**
   * What synchronous runs reuse: the data_out buffer (grown as needed; each result copies its bytes out)
   * and the four counters. An async run has its own: it may still be in flight when the next starts.
   */
  #dataOut = new Uint8Array(0);
  readonly #out = new Uint32Array(4);
  readonly #r0 = new BigUint64Array(1);

  /** Use BpfObject.program() or loadProgram(). */
  constructor(handle: ProgramHandle, engine: Engine, section: string, closed: () => boolean, close?: () => void) {
    this.name = handle.name;
    this.section = section;
    this.type = handle.type;
    this.typeName = programTypeName(handle.type);
    this.#handle = handle;
    this.#engine = engine;
    this.#closed = closed;
    this.#close = close;
  }

  /** The program's fd on the kernel engine, owned by its object (valid until the object is closed). */
  get fd(): number {
    this.#checkOpen();
    const handle = this.#handle;
    if (!isFdProgramHandle(handle)) throw unsupportedOn(this.#engine, 'has no file descriptors', { operation: `fd of ${subjectOf({ program: this.name })}` });
    if (handle.fd < 0) throw new BpfError('BPF_PROG_TEST_RUN', handle.fd, { subject: subjectOf({ program: this.name }) });
    return handle.fd;
  }

  get closed(): boolean {
    return this.#closed();
  }

  /** The program's id (BPF_OBJ_GET_INFO_BY_FD): what a ProgramArrayMap's get() returns for it. */
  get id(): number {
    this.#checkOpen();
    const id = this.#handle.id();
    if (id < 0) throw new BpfError('BPF_OBJ_GET_INFO_BY_FD', id, { subject: subjectOf({ program: this.name }) });
    return id;
  }

  /** The engine handle, for the typed layer's calls that take a program (ProgramArrayMap.set). */
  get handle(): ProgramHandle {
    return this.#handle;
  }

  /** The engine the program was loaded on. */
  get engine(): Engine {
    return this.#engine;
  }

  /**
   * The verifier's log of this program's load, at the `logLevel` the load asked for (openObject,
   * loadProgram): every instruction walked at level 1, with the registers at level 2, the statistics at
   * BPF_LOG_STATS (4). '' when the load asked for none.
   */
  get verifierLog(): string {
    return this.#handle.verifierLog();
  }

  /**
   * What verifying this program cost, as veristat reports it: processed instructions and pruning states,
   * read from the log's statistics line. Undefined when the load asked for no log (`logLevel` 0).
   */
  get verifierStats(): VerifierStats | undefined {
    return verifierStats(this.#handle.verifierLog());
  }

  /** Unloads a program from loadProgram(); a program of an object closes with its object. Idempotent. */
  close(): void {
    if (!this.#close) throw new TypeError(`${subjectOf({ program: this.name })} belongs to an object: close the object`);
    this.#close();
  }

  [Symbol.dispose](): void {
    if (this.#close) this.#close();
  }

  /** BPF_PROG_TEST_RUN on this thread (blocks it for the whole run). */
  run(options: RunOptions = {}): RunResult {
    const call = this.#prepare(options, false);
    return this.#finish(call, this.#handle.testRun(call));
  }

  /**
   * BPF_PROG_TEST_RUN on another thread, so several runs (from one process or from worker_threads)
   * execute on several CPUs at once: on the kernel engine a thread of the run's own, on the emulator one
   * of its worker-thread CPUs; never libuv's threadpool. The run owns copies of `data` and `ctx` and its
   * own reference to the program: closing the object interrupts it (the promise rejects with EINTR) and it
   * can never run another object's program.
   */
  async runAsync(options: RunOptions = {}): Promise<RunResult> {
    const call = this.#prepare(options, true);
    return this.#finish(call, await this.#handle.testRunAsync(call));
  }

  /** What a run's argument errors name (made at the first run). */
  #runOp: string | undefined;

  #prepare(options: RunOptions, owned: boolean): TestRunArgs {
    const op = (this.#runOp ??= `run of ${subjectOf({ program: this.name })}`);
    if (options === null || typeof options !== 'object') throw new TypeError(`${op}: options must be an object`);
    const { data, ctx, repeat = 0, cpu = 0, flags = 0, dataOutSize } = options;
    if (data !== undefined) checkBytes(op, 'data', data);
    if (ctx !== undefined) checkBytes(op, 'ctx', ctx);
    checkU32(op, 'repeat', repeat);
    checkU32(op, 'cpu', cpu);
    checkU32(op, 'flags', flags);
    if (dataOutSize !== undefined) checkU32(op, 'dataOutSize', dataOutSize);
    this.#checkOpen();
    if (this.type === ProgramType.Syscall && data !== undefined) {
      // net/bpf/test_run.c bpf_prog_test_run_syscall: data_in/data_out are EINVAL for syscall programs.
      throw new TypeError(`${subjectOf({ program: this.name })} is a SEC("syscall") program: it takes ctx, not data`);
    }
    // net/bpf/test_run.c bpf_prog_test_run_raw_tp refuses a ctx_out (EINVAL), bpf_prog_test_run_nf leaves it
    // untouched: their ctx only goes in.
    const ctxIn = this.type === ProgramType.RawTracepoint || this.type === ProgramType.Netfilter;
    // An async run gets private copies: a caller's buffer could be transferred or detached while the
    // run still reads it on another thread.
    return {
      data: data && owned ? data.slice() : data ?? null,
      // An async run's data_out is the engine's to make (TestRunArgs.dataOutSize): its own, as long as needed.
      dataOut: data && !owned ? this.#dataOutBuffer(dataOutSize ?? data.length + 4096) : null,
      dataOutSize: data && owned ? dataOutSize ?? data.length + 4096 : undefined,
      ctx: ctx && owned ? ctx.slice() : ctx ?? null,
      ctxOut: ctx && !ctxIn ? new Uint8Array(ctx.length) : null,
      repeat, cpu, flags,
      out: owned ? new Uint32Array(4) : this.#out,
      r0: owned ? new BigUint64Array(1) : this.#r0,
    };
  }

  /** `size` bytes for a synchronous run's data_out: the reused buffer's first `size`. */
  #dataOutBuffer(size: number): Uint8Array {
    if (this.#dataOut.length < size) this.#dataOut = new Uint8Array(size);
    return this.#dataOut.subarray(0, size);
  }

  #finish(call: TestRunArgs, rc: number): RunResult {
    if (rc < 0 && rc !== ENOSPC) {
      const interrupted = rc === EINTR && this.#closed();
      const detail = interrupted ? 'its object was closed while the run was in flight' : rc === EFAULT ? this.#handle.lastFault?.() : undefined;
      const hint = hintFor({ syscall: 'BPF_PROG_TEST_RUN', errno: rc, dataLength: call.data?.length });
      throw new BpfError('BPF_PROG_TEST_RUN', rc, { subject: subjectOf({ program: this.name }), detail, hint });
    }
    const [retval, duration, dataSize, ctxSize] = call.out;
    const result: RunResult = { retval: retval! | 0, r0: call.r0![0]!, duration: duration! };
    // A synchronous run's data_out is the reused buffer: the result gets a copy of its bytes.
    if (call.dataOut) {
      const n = Math.min(dataSize!, call.dataOut.length);
      result.data = call.out === this.#out ? call.dataOut.slice(0, n) : n === call.dataOut.length ? call.dataOut : call.dataOut.subarray(0, n);
    }
    if (call.ctxOut) result.ctx = call.ctxOut.subarray(0, Math.min(ctxSize!, call.ctxOut.length));
    // ENOSPC: the run happened; its output did not fit, and what the kernel reported comes with the error.
    if (rc === ENOSPC) throw new BpfRunOutputError(this.name, result, dataSize!, ctxSize!);
    return result;
  }

  #checkOpen(): void {
    if (this.#closed()) throw new BpfError('BPF_PROG_TEST_RUN', EBADF, { subject: subjectOf({ program: this.name }), detail: this.#close ? 'the program is closed' : 'its object is closed' });
  }
}
