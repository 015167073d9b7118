// BPF objects (an ELF of programs and maps, built by clang) and their programs, loaded through libbpf:
// openObject() → BpfObject → typed maps (BpfMap) and runnable programs (BPF_PROG_TEST_RUN).
import { statSync } from 'node:fs';
import type { Codec } from './codec-types.js';
import { MapType, mapTypeName } from './constants.js';
import type { Engine } from './engine.js';
import { resolveEngine, type EngineOption } from './engine-select.js';
import { errnoByCode } from './errno.js';
import { BpfError, BpfVerifierError } from './errors.js';
import type { KernelEngine } from './kernel/engine.js';
import {
  libbpfErrno,
  loadObjectBinding,
  type NativeObject,
  type NativeObjectMap,
  type NativeObjectProgram,
  type ObjectBinding,
} from './kernel/object-engine.js';
import { BpfMap, wrapMapHandle } from './map.js';

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
  /** Only the kernel runs objects today; the emulator throws ENOTSUPP. */
  engine?: EngineOption;
  /**
   * Maps of the object to replace by maps you already have (libbpf bpf_map__reuse_fd): the programs then
   * read and write your map, and the object creates no map of that name.
   */
  maps?: Readonly<Record<string, BpfMap<any, any>>>;
}

/** A map of the object, as created (or reused) at load. */
export interface ObjectMapInfo {
  name: string;
  type: number;
  typeName: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** A libbpf-internal map (.data, .bss, .rodata, .kconfig). */
  internal: boolean;
  /** The lock the value holds, found in the object's BTF. */
  lock?: 'spin' | 'res';
}

export interface ObjectProgramInfo {
  name: string;
  /** The ELF section, e.g. 'tc', 'xdp', 'syscall'. */
  section: string;
  type: number;
  typeName: string;
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

// Lock-bearing values are allowed only in these map types (kernel/bpf/syscall.c map_check_btf:
// BPF_SPIN_LOCK/BPF_RES_SPIN_LOCK fields → hash, array, cgroup/sk/inode/task storages).
const lockMapTypes = new Set<number>([MapType.Hash, MapType.Array, 19 /* cgroup_storage */, 24 /* sk_storage */,
  28 /* inode_storage */, 29 /* task_storage */, 32 /* cgrp_storage */]);

const EINVAL = -errnoByCode.EINVAL;
const EINTR = -errnoByCode.EINTR;
const ENOEXEC = -errnoByCode.ENOEXEC;
const EBADF = -errnoByCode.EBADF;
const ENOTSUPP = -errnoByCode.ENOTSUPP;
const EOPNOTSUPP = -errnoByCode.EOPNOTSUPP;

/**
 * Opens a BPF ELF object and loads it into the kernel: maps are created (or reused, see
 * `options.maps`), programs verified. A verifier rejection throws BpfVerifierError with the
 * program's log; anything else that fails throws BpfError. Close the object (or `using` it) to unload.
 */
export function openObject(path: string, options: OpenObjectOptions = {}): BpfObject {
  if (typeof path !== 'string' || path === '') throw new TypeError(`path must be a non-empty string, got ${typeof path === 'string' ? "''" : typeof path}`);
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const engine = resolveEngine(options.engine);
  const subject = `object '${path}'`;
  if (engine.kind !== 'kernel' || typeof (engine as Partial<KernelEngine>).adoptFd !== 'function') {
    throw new BpfError('BPF_PROG_LOAD', ENOTSUPP, { subject, path, detail: 'BPF objects and programs are not supported by the emulator yet; use the kernel engine' });
  }
  const binding = loadObjectBinding();
  if (binding instanceof Error) throw new BpfError('BPF_PROG_LOAD', ENOTSUPP, { subject, path, detail: binding.message });

  checkObjectFile(path, subject);
  const native = new binding.NativeObject();
  try {
    openNative(native, path, subject);
    reuseMaps(native, options.maps ?? {}, subject, path);
    const maps = native.maps().map(mapInfo);
    for (const m of maps) checkLockPlacement(m, path);
    loadNative(native, path, subject);
    return new BpfObject(path, native, binding, engine as KernelEngine, maps, native.programs().map(programInfo));
  } catch (e) {
    native.close();
    throw e;
  }
}

/**
 * libbpf 1.1 leaks the fd it opened when the file is not an ELF it can read (a directory, say): only
 * regular files reach it. The errno is what open(2)/read(2) would say.
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

function openNative(native: NativeObject, path: string, subject: string): void {
  const rc = native.open(path);
  if (rc < 0) {
    const { errno, what } = libbpfErrno(rc);
    const reason = lastLibbpfLine(native.libbpfLog());
    throw new BpfError('bpf_object__open', errno, { subject, path, detail: [what, reason].filter(Boolean).join(': ') || undefined });
  }
  if (native.programs().length === 0) {
    throw new BpfError('bpf_object__open', EINVAL, { subject, path, detail: 'the object holds no BPF programs' });
  }
}

function reuseMaps(native: NativeObject, maps: Readonly<Record<string, BpfMap<any, any>>>, subject: string, path: string): void {
  if (maps === null || typeof maps !== 'object') throw new TypeError('options.maps must be an object of BpfMaps by name');
  const names = new Set(native.maps().map((m) => m.name));
  for (const [name, map] of Object.entries(maps)) {
    if (!(map instanceof BpfMap)) throw new TypeError(`options.maps.${name} must be a BpfMap`);
    if (!names.has(name)) throw new RangeError(`${subject} has no map named '${name}' (it has: ${[...names].join(', ') || 'none'})`);
    const rc = native.reuseMapFd(name, map.fd);
    if (rc < 0) {
      throw new BpfError('bpf_map__reuse_fd', libbpfErrno(rc).errno, { subject: `map '${name}' of ${subject}`, path, detail: lastLibbpfLine(native.libbpfLog()) });
    }
  }
}

function mapInfo(m: NativeObjectMap): ObjectMapInfo {
  const lock = m.valueStructs.includes('bpf_spin_lock') ? 'spin' : m.valueStructs.includes('bpf_res_spin_lock') ? 'res' : undefined;
  const info: ObjectMapInfo = {
    name: m.name, type: m.type, typeName: mapTypeName(m.type), keySize: m.keySize, valueSize: m.valueSize,
    maxEntries: m.maxEntries, flags: m.flags, internal: m.internal,
  };
  if (lock) info.lock = lock;
  return info;
}

function programInfo(p: NativeObjectProgram): ObjectProgramInfo {
  return { name: p.name, section: p.section, type: p.type, typeName: programTypeName(p.type) };
}

/**
 * The kernel refuses a lock-bearing value in LRU and per-CPU maps (EOPNOTSUPP at BPF_MAP_CREATE); libbpf
 * then retries without BTF, and the verifier reports the misleading "map ... has to have BTF in order to
 * use bpf_spin_lock". Read from the object's BTF (native/object.cc collects the value's struct names),
 * the rule is checked here before anything is created.
 */
function checkLockPlacement(m: ObjectMapInfo, path: string): void {
  if (m.lock === undefined || lockMapTypes.has(m.type)) return;
  const lockName = m.lock === 'spin' ? 'bpf_spin_lock' : 'bpf_res_spin_lock';
  throw new BpfError('BPF_MAP_CREATE', EOPNOTSUPP, {
    subject: `map '${m.name}' of object '${path}'`,
    path,
    detail: `a value holding a ${lockName} is allowed only in hash and array maps (and local storages), not in ${m.typeName} (kernel/bpf/syscall.c map_check_btf)`,
  });
}

function loadNative(native: NativeObject, path: string, subject: string): void {
  const rc = native.load();
  if (rc >= 0) return;
  const { errno, what } = libbpfErrno(rc);
  const libbpfLog = native.libbpfLog();
  // libbpf names the program it could not load ("prog 'x': failed to load: -22"); the verifier's log for
  // that program is in its own buffer.
  const failed = /prog '([^']+)': failed to load/.exec(libbpfLog)?.[1]
    ?? native.programs().map((p) => p.name).find((name) => native.programLog(name) !== '');
  if (failed !== undefined) {
    const log = native.programLog(failed);
    if (log !== '') throw new BpfVerifierError(failed, errno, log, { path });
  }
  const mapFailed = /map '([^']+)': failed to create/.exec(libbpfLog)?.[1];
  throw new BpfError(mapFailed ? 'BPF_MAP_CREATE' : 'bpf_object__load', errno, {
    subject: mapFailed ? `map '${mapFailed}' of ${subject}` : failed ? `program '${failed}' of ${subject}` : subject,
    path,
    detail: [what, lastLibbpfLine(libbpfLog)].filter(Boolean).join(': ') || undefined,
  });
}

/** libbpf's most specific line: the first "failed"/"error" line, else its last line. */
function lastLibbpfLine(log: string): string | undefined {
  const lines = log.split('\n').map((l) => l.replace(/^libbpf: /, '').trim()).filter(Boolean);
  return lines.find((l) => /fail|error|not|invalid|unsupported/i.test(l) && !/^failed to load object/.test(l)) ?? lines.at(-1);
}

/** A loaded BPF object. Maps obtained with map() have their own fds and outlive it. */
export class BpfObject {
  readonly path: string;
  /** The object's maps by name (including libbpf-internal .data/.bss/.rodata maps). */
  readonly maps: Readonly<Record<string, ObjectMapInfo>>;
  /** The object's programs by name. */
  readonly programs: Readonly<Record<string, ObjectProgramInfo>>;
  readonly engine: Engine;
  readonly #native: NativeObject;
  readonly #binding: ObjectBinding;
  readonly #kernel: KernelEngine;
  readonly #programs = new Map<string, BpfProgram>();

  /** Use openObject(). */
  constructor(path: string, native: NativeObject, binding: ObjectBinding, engine: KernelEngine, maps: ObjectMapInfo[], programs: ObjectProgramInfo[]) {
    this.path = path;
    this.#native = native;
    this.#binding = binding;
    this.#kernel = engine;
    this.engine = engine;
    this.maps = Object.freeze(Object.fromEntries(maps.map((m) => [m.name, Object.freeze(m)])));
    this.programs = Object.freeze(Object.fromEntries(programs.map((p) => [p.name, Object.freeze(p)])));
  }

  get closed(): boolean {
    return this.#native.closed;
  }

  /**
   * A typed handle on one of the object's maps, checked against the map's real sizes. It holds its own
   * fd (a dup), so it stays usable after the object is closed; close it separately.
   */
  map<K, V>(name: string, codecs: { key: Codec<K>; value: Codec<V> }): BpfMap<K, V> {
    this.#checkOpen('BPF_OBJ_GET_INFO_BY_FD');
    if (typeof name !== 'string') throw new TypeError('map name must be a string');
    if (!Object.hasOwn(this.maps, name)) throw new RangeError(`object '${this.path}' has no map named '${name}' (it has: ${Object.keys(this.maps).join(', ')})`);
    if (codecs === null || typeof codecs !== 'object' || !codecs.key || !codecs.value) throw new TypeError('map() needs { key, value } codecs');
    const subject = `map '${name}' of object '${this.path}'`;
    const fd = this.#native.mapFd(name);
    if (fd < 0) throw new BpfError('BPF_OBJ_GET_INFO_BY_FD', fd, { subject });
    const dup = this.#binding.dupFd(fd);
    if (dup < 0) throw new BpfError('BPF_OBJ_GET_INFO_BY_FD', dup, { subject, detail: 'dup of the map fd failed' });
    const handle = this.#kernel.adoptFd(dup);
    if (typeof handle === 'number') {
      this.#binding.closeFd(dup);
      throw new BpfError('BPF_OBJ_GET_INFO_BY_FD', handle, { subject });
    }
    return wrapMapHandle(handle, this.#kernel, codecs.key, codecs.value) as BpfMap<K, V>;
  }

  /** One of the object's programs (valid while the object is open). */
  program(name: string): BpfProgram {
    this.#checkOpen('BPF_PROG_TEST_RUN');
    if (typeof name !== 'string') throw new TypeError('program name must be a string');
    const info = Object.hasOwn(this.programs, name) ? this.programs[name] : undefined;
    if (!info) throw new RangeError(`object '${this.path}' has no program named '${name}' (it has: ${Object.keys(this.programs).join(', ')})`);
    let prog = this.#programs.get(name);
    if (!prog) {
      prog = new BpfProgram(info, this.#native, this.#binding);
      this.#programs.set(name, prog);
    }
    return prog;
  }

  /**
   * Unloads the object: its programs and the maps nobody else holds. Runs in flight (runAsync) are
   * interrupted first and reject with EINTR. Idempotent.
   */
  close(): void {
    if (this.#native.closed) return;
    for (const name of Object.keys(this.programs)) {
      const fd = this.#native.programFd(name);
      if (fd >= 0) this.#binding.progTestRunCancel(fd);
    }
    this.#native.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #checkOpen(syscall: string): void {
    if (this.#native.closed) throw new BpfError(syscall, EBADF, { subject: `object '${this.path}'`, detail: 'the object is closed' });
  }
}

/** One loaded program of a BpfObject. */
export class BpfProgram {
  readonly name: string;
  readonly section: string;
  readonly type: number;
  readonly typeName: string;
  readonly #native: NativeObject;
  readonly #binding: ObjectBinding;

  /** Use BpfObject.program(). */
  constructor(info: ObjectProgramInfo, native: NativeObject, binding: ObjectBinding) {
    this.name = info.name;
    this.section = info.section;
    this.type = info.type;
    this.typeName = info.typeName;
    this.#native = native;
    this.#binding = binding;
  }

  /** The program's fd, owned by its object (valid until the object is closed). */
  get fd(): number {
    const fd = this.#native.closed ? EBADF : this.#native.programFd(this.name);
    if (fd < 0) throw new BpfError('BPF_PROG_TEST_RUN', fd, { subject: `program '${this.name}'`, detail: this.#native.closed ? 'its object is closed' : undefined });
    return fd;
  }

  /** BPF_PROG_TEST_RUN on this thread (blocks it for the whole run). */
  run(options: RunOptions = {}): RunResult {
    const call = this.#prepare(options, false);
    return this.#finish(call, this.#binding.progTestRun(...call.args));
  }

  /**
   * BPF_PROG_TEST_RUN on a libuv threadpool thread, so several runs (from one process or from
   * worker_threads) execute on several CPUs at once. The run owns copies of `data` and `ctx` and its own
   * reference to the program: closing the object interrupts it (the promise rejects with EINTR) and it
   * can never run another object's program. Each run in flight holds one threadpool thread (libuv's
   * default is 4 per process: UV_THREADPOOL_SIZE).
   */
  async runAsync(options: RunOptions = {}): Promise<RunResult> {
    const call = this.#prepare(options, true);
    return this.#finish(call, await this.#binding.progTestRunAsync(...call.args));
  }

  #prepare(options: RunOptions, owned: boolean): PreparedRun {
    if (options === null || typeof options !== 'object') throw new TypeError(`run of program '${this.name}': options must be an object`);
    const { data, ctx, repeat = 0, cpu = 0, flags = 0, dataOutSize } = options;
    if (data !== undefined && !(data instanceof Uint8Array)) throw new TypeError(`run of program '${this.name}': data must be a Uint8Array`);
    if (ctx !== undefined && !(ctx instanceof Uint8Array)) throw new TypeError(`run of program '${this.name}': ctx must be a Uint8Array`);
    checkU32('repeat', repeat);
    checkU32('cpu', cpu);
    checkU32('flags', flags);
    if (dataOutSize !== undefined) checkU32('dataOutSize', dataOutSize);
    const fd = this.fd;
    const out = new Uint32Array(4);
    if (this.type === ProgramType.Syscall) {
      // net/bpf/test_run.c bpf_prog_test_run_syscall: data_in/data_out and repeat are EINVAL for syscall
      // programs; repeat is honoured by looping the syscall instead, and the kernel writes the context
      // back into ctx_in, so it gets a copy.
      if (data !== undefined) throw new TypeError(`program '${this.name}' is a SEC("syscall") program: it takes ctx, not data`);
      const ctxCopy = ctx ? ctx.slice() : null;
      return { args: [fd, null, null, ctxCopy, null, 0, cpu, flags, Math.max(1, repeat), out], out, ctxResult: ctxCopy };
    }
    // An async run gets private copies: a caller's buffer could be transferred or detached while the
    // kernel still reads it on the threadpool.
    const dataIn = data && owned ? data.slice() : data;
    const ctxIn = ctx && owned ? ctx.slice() : ctx;
    const dataOut = data ? new Uint8Array(dataOutSize ?? data.length + 4096) : null;
    const ctxOut = ctx ? new Uint8Array(ctx.length) : null;
    return { args: [fd, dataIn ?? null, dataOut, ctxIn ?? null, ctxOut, repeat, cpu, flags, 1, out], out, dataOut, ctxResult: ctxOut };
  }

  #finish(call: PreparedRun, rc: number): RunResult {
    if (rc < 0) {
      const interrupted = rc === EINTR && this.#native.closed;
      throw new BpfError('BPF_PROG_TEST_RUN', rc, { subject: `program '${this.name}'`, detail: interrupted ? 'its object was closed while the run was in flight' : undefined });
    }
    const [retval, duration, dataSize, ctxSize] = call.out;
    const result: RunResult = { retval: retval! | 0, duration: duration! };
    if (call.dataOut) result.data = call.dataOut.subarray(0, Math.min(dataSize!, call.dataOut.length));
    if (call.ctxResult) result.ctx = this.type === ProgramType.Syscall ? call.ctxResult : call.ctxResult.subarray(0, Math.min(ctxSize!, call.ctxResult.length));
    return result;
  }
}

type TestRunArgs = Parameters<ObjectBinding['progTestRun']>;

interface PreparedRun {
  args: TestRunArgs;
  out: Uint32Array;
  dataOut?: Uint8Array | null;
  ctxResult: Uint8Array | null;
}

function checkU32(name: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${name} must be an integer, got ${String(v)}`);
  if (v < 0 || v > 0xffffffff) throw new RangeError(`${name} must be in [0, 2^32-1], got ${v}`);
}
