// BPF objects (an ELF of programs and maps, built by clang) and their programs, on any engine through the
// object seam (src/engine.ts ObjectHandle/ProgramHandle): openObject() → BpfObject → typed maps (BpfMap)
// and runnable programs (BPF_PROG_TEST_RUN); loadProgram() for raw instructions.
import { statSync } from 'node:fs';
import type { Codec } from './codec-types.js';
import { mapTypeName } from './constants.js';
import {
  isObjectFailure, type Engine, type ObjectFailure, type ObjectHandle, type ObjectMapSpec, type ProgramHandle,
  type ProgramSpec, type TestRunArgs,
} from './engine.js';
import { resolveEngine, whyEmulator, type EngineOption } from './engine-select.js';
import { errnoByCode } from './errno.js';
import { BpfError, BpfVerifierError } from './errors.js';
import { hintFor } from './hints.js';
import { bytes, decodeFromBytes, encodeToBytes, u32 } from './codec.js';
import { globalVariables, mapCodecsFromBtf } from './globals.js';
import { lockRuleViolation } from './locks.js';
import { BpfMap, PerCpuMap, wrapMapHandle, type MapByPerCpu } from './map.js';

/** enum bpf_prog_type (include/uapi/linux/bpf.h), the types a BpfProgram reports by name. */
export const ProgramType = {
  SocketFilter: 1,
  Kprobe: 2,
  SchedCls: 3,
  SchedAct: 4,
  Tracepoint: 5,
  Xdp: 6,
  PerfEvent: 7,
  CgroupSkb: 8,
  RawTracepoint: 17,
  FlowDissector: 22,
  Tracing: 26,
  StructOps: 27,
  Lsm: 29,
  SkLookup: 30,
  Syscall: 31,
  Netfilter: 32,
} as const;

export function programTypeName(type: number): string {
  for (const [name, id] of Object.entries(ProgramType)) if (id === type) return name;
  return `unknown(${type})`;
}

export interface OpenObjectOptions {
  engine?: EngineOption;
  /**
   * The programs to load, by name (libbpf bpf_program__set_autoload). Default: every program except those
   * in SEC("?...") sections.
   */
  programs?: readonly string[];
  /**
   * Maps of the object to replace by maps you already have (libbpf bpf_map__reuse_fd): the programs then
   * read and write your map, and the object creates no map of that name.
   */
  maps?: Readonly<Record<string, BpfMap<any, any>>>;
}

/** A map of the object, as created (or reused) at load. */
export interface ObjectMapInfo extends ObjectMapSpec {
  typeName: string;
}

export interface ObjectProgramInfo extends ProgramSpec {
  typeName: string;
  /** False for a program that was not loaded (SEC("?...") or `programs` left it out). */
  loaded: boolean;
}

export interface RunOptions {
  /** The packet (tc needs ≥ 14 bytes, an Ethernet header). Not accepted by SEC("syscall") programs. */
  data?: Uint8Array;
  /** The context (struct __sk_buff, xdp_md, or a syscall program's argument struct). */
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
  /** Average nanoseconds per run, as the kernel measured it (for syscall programs: measured here). */
  duration: number;
  /** The packet after the run (when data was given). */
  data?: Uint8Array;
  /** The context after the run (when ctx was given). */
  ctx?: Uint8Array;
}

const EBADF = -errnoByCode.EBADF;
const EINTR = -errnoByCode.EINTR;
const EFAULT = -errnoByCode.EFAULT;
const ENOEXEC = -errnoByCode.ENOEXEC;
const ENOTSUPP = -errnoByCode.ENOTSUPP;

/**
 * Opens a BPF ELF object and loads it: maps are created (or reused, see `options.maps`), programs
 * verified. A verifier rejection throws BpfVerifierError with the program's log; anything else that fails
 * throws BpfError. Close the object (or `using` it) to unload.
 */
export function openObject(path: string, options: OpenObjectOptions = {}): BpfObject {
  if (typeof path !== 'string' || path === '') throw new TypeError(`openObject: path must be a non-empty string, got ${typeof path === 'string' ? "''" : typeof path}`);
  if (options === null || typeof options !== 'object') throw new TypeError('openObject: options must be an object');
  const { maps = {}, programs } = options;
  if (maps === null || typeof maps !== 'object') throw new TypeError('openObject: options.maps must be an object of BpfMaps by name');
  if (programs !== undefined && (!Array.isArray(programs) || programs.some((p) => typeof p !== 'string'))) {
    throw new TypeError('openObject: options.programs must be an array of program names');
  }
  const engine = resolveEngine(options.engine);
  const subject = `object '${path}'`;
  if (!engine.openObject) throw unsupported(engine, 'bpf_object__open', subject, path);
  checkObjectFile(path, subject);

  const handle = engine.openObject(path);
  if (isObjectFailure(handle)) throw failureError(handle, path, engine);
  try {
    const specs = handle.programs();
    if (specs.length === 0) throw new BpfError('bpf_object__open', -errnoByCode.EINVAL, { subject, path, detail: 'the object holds no BPF programs' });
    if (programs !== undefined) choosePrograms(handle, specs, programs, path);
    reuseMaps(handle, maps, path);
    const mapInfos = handle.maps().map((m) => ({ ...m, typeName: mapTypeName(m.type) }));
    for (const m of mapInfos) checkLockPlacement(m, path);
    const failure = handle.load();
    if (failure) throw failureError(failure, path, engine);
    const loaded = new Set(programs ?? specs.filter((p) => p.autoload).map((p) => p.name));
    const programInfos = handle.programs().map((p) => ({ ...p, typeName: programTypeName(p.type), loaded: loaded.has(p.name) }));
    return new BpfObject(path, handle, engine, mapInfos, programInfos);
  } catch (e) {
    handle.close();
    throw e;
  }
}

function unsupported(engine: Engine, syscall: string, subject: string, path?: string): BpfError {
  return new BpfError(syscall, ENOTSUPP, { subject, path, detail: withEngineReason(`the ${engine.kind} engine does not run BPF programs`, engine) });
}

/**
 * A failure from the object seam as the error users see: BpfVerifierError when there is a verifier log.
 * What the emulator does not support (ENOTSUPP/EOPNOTSUPP) also says why the emulator ran it.
 */
function failureError(f: ObjectFailure, path?: string, engine?: Engine): BpfError {
  if (f.program !== undefined && f.log !== undefined) return new BpfVerifierError(f.program, f.errno, f.log, path === undefined ? {} : { path });
  const of = path === undefined ? '' : ` of object '${path}'`;
  const subject = f.map !== undefined ? `map '${f.map}'${of}` : f.program !== undefined ? `program '${f.program}'${of}` : path === undefined ? undefined : `object '${path}'`;
  const unsupportedHere = engine !== undefined && (f.errno === ENOTSUPP || f.errno === -errnoByCode.EOPNOTSUPP);
  return new BpfError(f.syscall, f.errno, { subject, path, detail: unsupportedHere ? withEngineReason(f.detail, engine) : f.detail });
}

function withEngineReason(detail: string | undefined, engine: Engine): string | undefined {
  const why = whyEmulator(engine);
  if (why === undefined) return detail;
  return detail ? `${detail} (${why})` : why;
}

/**
 * libbpf 1.1 leaks the fd it opened when the file is not an ELF it can read (a directory, say): only
 * regular files reach an engine. The errno is what open(2)/read(2) would say.
 */
function checkObjectFile(path: string, subject: string): void {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'ENOENT';
    throw new BpfError('bpf_object__open', -(errnoByCode[code as keyof typeof errnoByCode] ?? errnoByCode.ENOENT), { subject, path });
  }
  if (st.isDirectory()) throw new BpfError('bpf_object__open', -errnoByCode.EISDIR, { subject, path, detail: 'a directory is not a BPF object file' });
  if (!st.isFile()) throw new BpfError('bpf_object__open', ENOEXEC, { subject, path, detail: 'not a regular file' });
}

function choosePrograms(handle: ObjectHandle, specs: readonly ProgramSpec[], wanted: readonly string[], path: string): void {
  const names = new Set(specs.map((p) => p.name));
  for (const name of wanted) {
    if (!names.has(name)) throw new RangeError(`openObject: object '${path}' has no program named '${name}' (it has: ${[...names].join(', ')})`);
  }
  for (const p of specs) {
    const failure = handle.setAutoload(p.name, wanted.includes(p.name));
    if (failure) throw failureError(failure, path);
  }
}

function reuseMaps(handle: ObjectHandle, maps: Readonly<Record<string, BpfMap<any, any>>>, path: string): void {
  const names = new Set(handle.maps().map((m) => m.name));
  for (const [name, map] of Object.entries(maps)) {
    if (!(map instanceof BpfMap)) throw new TypeError(`openObject: options.maps.${name} must be a BpfMap`);
    if (!names.has(name)) throw new RangeError(`openObject: object '${path}' has no map named '${name}' (it has: ${[...names].join(', ') || 'none'})`);
    const failure = handle.reuseMap(name, map.handle);
    if (failure) throw failureError(failure, path);
  }
}

/**
 * The kernel refuses a lock-bearing value in LRU and per-CPU maps (EOPNOTSUPP at BPF_MAP_CREATE); libbpf
 * then retries without BTF, and the verifier reports the misleading "map ... has to have BTF in order to
 * use bpf_spin_lock". Read from the object's BTF, the rule is checked here before anything is created.
 */
function checkLockPlacement(m: ObjectMapInfo, path: string): void {
  if (m.lock === undefined) return;
  const violation = lockRuleViolation(m.type, [{ kind: m.lock, offset: 0 }]);
  if (violation) throw new BpfError('BPF_MAP_CREATE', violation.errno, { subject: `map '${m.name}' of object '${path}'`, path, detail: violation.rule });
}

export class BpfObject {
  readonly path: string;
  /** The object's maps by name (including libbpf-internal .data/.bss/.rodata maps). */
  readonly maps: Readonly<Record<string, ObjectMapInfo>>;
  /** The object's programs by name (also those not loaded: see `loaded`). */
  readonly programs: Readonly<Record<string, ObjectProgramInfo>>;
  readonly engine: Engine;
  readonly #handle: ObjectHandle;
  readonly #programs = new Map<string, BpfProgram>();
  #globals: Record<string, unknown> | undefined;
  readonly #globalMaps = new Map<string, BpfMap<number, Uint8Array>>();

  /** Use openObject(). */
  constructor(path: string, handle: ObjectHandle, engine: Engine, maps: ObjectMapInfo[], programs: ObjectProgramInfo[]) {
    this.path = path;
    this.#handle = handle;
    this.engine = engine;
    this.maps = Object.freeze(Object.fromEntries(maps.map((m) => [m.name, Object.freeze(m)])));
    this.programs = Object.freeze(Object.fromEntries(programs.map((p) => [p.name, Object.freeze(p)])));
  }

  get closed(): boolean {
    return this.#handle.closed;
  }

  /**
   * A typed handle on one of the object's maps, checked against the map's real sizes. It holds its own
   * reference (on the kernel, a dup of the fd), so it stays usable after the object is closed; close it
   * separately.
   */
  map<K, V, P extends boolean | undefined = undefined>(name: string, codecs: { key: Codec<K>; value: Codec<V>; perCpu?: P }): MapByPerCpu<P, K, V>;
  /**
   * Without codecs, they come from the object's BTF (the map's `__type(key, ...)`/`__type(value, ...)`):
   * structs by field name, ints by size and signedness, arrays, the lock structs; what has no codec (a
   * union, a bitfield) is a TypeError naming it. The values' static type is then `unknown`.
   */
  map<P extends boolean | undefined = undefined>(name: string, options?: { perCpu?: P }): MapByPerCpu<P, unknown, unknown>;
  map<K, V>(name: string, codecs: { key?: Codec<K>; value?: Codec<V>; perCpu?: boolean } = {}): BpfMap<K, V> | PerCpuMap<K, V> {
    this.#checkOpen('BPF_OBJ_GET_INFO_BY_FD');
    if (typeof name !== 'string') throw new TypeError(`map() of object '${this.path}': name must be a string`);
    if (!Object.hasOwn(this.maps, name)) throw new RangeError(`object '${this.path}' has no map named '${name}' (it has: ${Object.keys(this.maps).join(', ')})`);
    if (codecs === null || typeof codecs !== 'object') throw new TypeError(`map() of object '${this.path}': the second argument must be { key, value } codecs or { perCpu }`);
    const { perCpu } = codecs;
    if ((codecs.key === undefined) !== (codecs.value === undefined)) throw new TypeError(`map() of object '${this.path}' needs both { key, value } codecs, or neither (then they come from BTF)`);
    const { key, value } = codecs.key && codecs.value ? { key: codecs.key, value: codecs.value } : (mapCodecsFromBtf(this.path, name) as { key: Codec<K>; value: Codec<V> });
    if (perCpu !== undefined && typeof perCpu !== 'boolean') throw new TypeError(`map() of object '${this.path}': perCpu must be a boolean, got ${typeof perCpu}`);
    const handle = this.#handle.mapHandle(name);
    if (typeof handle === 'number') throw new BpfError('BPF_OBJ_GET_INFO_BY_FD', handle, { subject: `map '${name}' of object '${this.path}'` });
    return wrapMapHandle(handle, this.engine, key, value, perCpu);
  }

  /** One of the object's loaded programs (valid while the object is open). */
  program(name: string): BpfProgram {
    this.#checkOpen('BPF_PROG_TEST_RUN');
    if (typeof name !== 'string') throw new TypeError(`program() of object '${this.path}': name must be a string`);
    const info = Object.hasOwn(this.programs, name) ? this.programs[name] : undefined;
    if (!info) throw new RangeError(`object '${this.path}' has no program named '${name}' (it has: ${Object.keys(this.programs).join(', ')})`);
    if (!info.loaded) {
      throw new BpfError('BPF_PROG_TEST_RUN', -errnoByCode.ENOENT, { subject: `program '${name}' of object '${this.path}'`, detail: 'the program was not loaded (SEC("?...") or left out of options.programs)' });
    }
    let prog = this.#programs.get(name);
    if (!prog) {
      const handle = this.#handle.program(name);
      if (typeof handle === 'number') throw new BpfError('BPF_PROG_TEST_RUN', handle, { subject: `program '${name}' of object '${this.path}'` });
      prog = new BpfProgram(handle, info.section, () => this.#handle.closed);
      this.#programs.set(name, prog);
    }
    return prog;
  }

  /**
   * The object's global variables by their C names (`.data`, `.bss`, `.rodata`, `.data.<name>`, typed from
   * the BTF DATASECs): reading one looks its section's map up, assigning one writes it back (a `.rodata`
   * variable is frozen after load: EPERM). What a program changed is read live. A variable whose type has no
   * codec (a union, a bitfield) throws a TypeError naming it when used.
   */
  get globals(): Record<string, unknown> {
    this.#checkOpen('BPF_MAP_LOOKUP_ELEM');
    if (this.#globals) return this.#globals;
    const internal = Object.values(this.maps).filter((m) => m.internal).map((m) => m.name);
    const globals: Record<string, unknown> = Object.create(null);
    for (const v of globalVariables(this.path, internal)) {
      const codec = () => {
        if (v.codec instanceof Error) throw v.codec;
        return v.codec;
      };
      Object.defineProperty(globals, v.name, {
        enumerable: true,
        get: () => decodeFromBytes(codec(), this.#sectionBytes(v.map).subarray(v.offset, v.offset + v.size)),
        set: (value: unknown) => {
          const encoded = encodeToBytes(codec(), value);
          const section = this.#sectionBytes(v.map);
          section.set(encoded, v.offset);
          this.#globalMap(v.map).set(0, section);
        },
      });
    }
    return (this.#globals = Object.freeze(globals));
  }

  #globalMap(name: string): BpfMap<number, Uint8Array> {
    let m = this.#globalMaps.get(name);
    if (!m) {
      this.#checkOpen('BPF_MAP_LOOKUP_ELEM');
      m = this.map(name, { key: u32, value: bytes(this.maps[name]!.valueSize), perCpu: false });
      this.#globalMaps.set(name, m);
    }
    return m;
  }

  #sectionBytes(name: string): Uint8Array {
    this.#checkOpen('BPF_MAP_LOOKUP_ELEM');
    const value = this.#globalMap(name).get(0);
    if (value === undefined) throw new BpfError('BPF_MAP_LOOKUP_ELEM', -errnoByCode.ENOENT, { subject: `map '${name}' of object '${this.path}'` });
    return value;
  }

  /**
   * Unloads the object: its programs and the maps nobody else holds. Runs in flight (runAsync) are
   * interrupted first and reject with EINTR. Idempotent.
   */
  close(): void {
    for (const m of this.#globalMaps.values()) m.close();
    this.#globalMaps.clear();
    this.#handle.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #checkOpen(syscall: string): void {
    if (this.#handle.closed) throw new BpfError(syscall, EBADF, { subject: `object '${this.path}'`, detail: 'the object is closed' });
  }
}

export interface LoadProgramOptions {
  /** enum bpf_prog_type (ProgramType.SchedCls, ...) or its name ('SchedCls'). */
  type: number | keyof typeof ProgramType;
  /** The instructions, 8 bytes each (struct bpf_insn, little-endian). */
  insns: Uint8Array;
  license?: string;
  name?: string;
  /** Maps that `ld_imm64` with src_reg BPF_PSEUDO_MAP_IDX (5) / BPF_PSEUDO_MAP_IDX_VALUE (6) name by index. */
  maps?: readonly BpfMap<any, any>[];
  engine?: EngineOption;
}

/**
 * Loads a program from raw instructions (BPF_PROG_LOAD) on either engine. The program is its own owner:
 * close it (or `using` it) to unload.
 */
export function loadProgram(options: LoadProgramOptions): BpfProgram {
  if (options === null || typeof options !== 'object') throw new TypeError('loadProgram: options must be an object');
  const { insns, license = 'GPL', name = '', maps = [] } = options;
  const type = typeof options.type === 'string' && Object.hasOwn(ProgramType, options.type) ? ProgramType[options.type] : options.type;
  if (typeof type !== 'number' || !Number.isInteger(type) || type < 0) throw new TypeError(`loadProgram: type must be a ProgramType, got ${String(options.type)}`);
  if (!(insns instanceof Uint8Array)) throw new TypeError('loadProgram: insns must be a Uint8Array');
  if (insns.length === 0 || insns.length % 8 !== 0) throw new RangeError(`loadProgram: insns must be a non-empty multiple of 8 bytes, got ${insns.length}`);
  if (typeof license !== 'string') throw new TypeError('loadProgram: license must be a string');
  if (typeof name !== 'string' || name.length > 15) throw new TypeError('loadProgram: name must be a string of at most 15 characters');
  if (!Array.isArray(maps) || maps.some((m) => !(m instanceof BpfMap))) throw new TypeError('loadProgram: maps must be an array of BpfMaps');
  const engine = resolveEngine(options.engine);
  const subject = `program '${name}'`;
  if (!engine.loadProgram) throw unsupported(engine, 'BPF_PROG_LOAD', subject);
  const handle = engine.loadProgram({ type, insns: insns.slice(), license, name, maps: maps.map((m) => m.handle) });
  if (isObjectFailure(handle)) throw failureError(handle, undefined, engine);
  return new BpfProgram(handle, '', () => handle.closed, () => handle.close());
}

/** One loaded program: of a BpfObject (valid while it is open), or from loadProgram (its own owner). */
export class BpfProgram {
  readonly name: string;
  readonly section: string;
  readonly type: number;
  readonly typeName: string;
  readonly #handle: ProgramHandle;
  readonly #closed: () => boolean;
  readonly #close: (() => void) | undefined;

  /** Use BpfObject.program() or loadProgram(). */
  constructor(handle: ProgramHandle, section: string, closed: () => boolean, close?: () => void) {
    this.name = handle.name;
    this.section = section;
    this.type = handle.type;
    this.typeName = programTypeName(handle.type);
    this.#handle = handle;
    this.#closed = closed;
    this.#close = close;
  }

  /** The program's fd on the kernel engine, owned by its object (valid until the object is closed). */
  get fd(): number {
    this.#checkOpen();
    const fd = (this.#handle as { fd?: unknown }).fd;
    if (typeof fd !== 'number') throw new TypeError(`program '${this.name}' has no file descriptor: its engine is not the kernel`);
    if (fd < 0) throw new BpfError('BPF_PROG_TEST_RUN', fd, { subject: `program '${this.name}'` });
    return fd;
  }

  get closed(): boolean {
    return this.#closed();
  }

  /** The full 64-bit r0 of the last run where the engine knows it (the emulator); undefined on the kernel. */
  get lastR0(): bigint | undefined {
    return this.#handle.lastR0?.();
  }

  /** Unloads a program from loadProgram(); a program of an object closes with its object. Idempotent. */
  close(): void {
    if (!this.#close) throw new TypeError(`program '${this.name}' belongs to an object: close the object`);
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

  #prepare(options: RunOptions, owned: boolean): TestRunArgs {
    const op = `run of program '${this.name}'`;
    if (options === null || typeof options !== 'object') throw new TypeError(`${op}: options must be an object`);
    const { data, ctx, repeat = 0, cpu = 0, flags = 0, dataOutSize } = options;
    if (data !== undefined && !(data instanceof Uint8Array)) throw new TypeError(`${op}: data must be a Uint8Array`);
    if (ctx !== undefined && !(ctx instanceof Uint8Array)) throw new TypeError(`${op}: ctx must be a Uint8Array`);
    checkU32(op, 'repeat', repeat);
    checkU32(op, 'cpu', cpu);
    checkU32(op, 'flags', flags);
    if (dataOutSize !== undefined) checkU32(op, 'dataOutSize', dataOutSize);
    this.#checkOpen();
    if (this.type === ProgramType.Syscall && data !== undefined) {
      // net/bpf/test_run.c bpf_prog_test_run_syscall: data_in/data_out are EINVAL for syscall programs.
      throw new TypeError(`program '${this.name}' is a SEC("syscall") program: it takes ctx, not data`);
    }
    // An async run gets private copies: a caller's buffer could be transferred or detached while the
    // run still reads it on another thread.
    return {
      data: data && owned ? data.slice() : data ?? null,
      dataOut: data ? new Uint8Array(dataOutSize ?? data.length + 4096) : null,
      ctx: ctx && owned ? ctx.slice() : ctx ?? null,
      ctxOut: ctx ? new Uint8Array(ctx.length) : null,
      repeat, cpu, flags,
      out: new Uint32Array(4),
    };
  }

  #finish(call: TestRunArgs, rc: number): RunResult {
    if (rc < 0) {
      const interrupted = rc === EINTR && this.#closed();
      const detail = interrupted ? 'its object was closed while the run was in flight' : rc === EFAULT ? this.#handle.lastFault?.() : undefined;
      const hint = hintFor({ syscall: 'BPF_PROG_TEST_RUN', errno: rc, dataLength: call.data?.length });
      throw new BpfError('BPF_PROG_TEST_RUN', rc, { subject: `program '${this.name}'`, detail, hint });
    }
    const [retval, duration, dataSize, ctxSize] = call.out;
    const result: RunResult = { retval: retval! | 0, duration: duration! };
    if (call.dataOut) result.data = call.dataOut.subarray(0, Math.min(dataSize!, call.dataOut.length));
    if (call.ctxOut) result.ctx = call.ctxOut.subarray(0, Math.min(ctxSize!, call.ctxOut.length));
    return result;
  }

  #checkOpen(): void {
    if (this.#closed()) throw new BpfError('BPF_PROG_TEST_RUN', EBADF, { subject: `program '${this.name}'`, detail: this.#close ? 'the program is closed' : 'its object is closed' });
  }
}

function checkU32(op: string, name: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${op}: ${name} must be an integer, got ${String(v)}`);
  if (v < 0 || v > 0xffffffff) throw new RangeError(`${op}: ${name} must be in [0, 2^32-1], got ${v}`);
}
