// The emulator engine: the Engine seam (src/seam/engine.ts) over maps kept in this process, answering as
// Linux 6.18 answers (or the kernelVersion it is given). It creates maps (maps/create.ts checks
// BPF_MAP_CREATE's rules), hands out handles (map-handle.ts), keeps the virtual bpffs (bpffs.ts), opens
// objects and loads programs (object.ts), and owns the emulated CPUs that run programs off this thread.
import { availableParallelism } from 'node:os';
import { hostPossibleCpus } from '../host-cpus.js';
import { KernelMapType, MapFlags, MapType, isArrayType, isCgroupStorage, isLru, isMapInMap, isPerCpu, isQueueStack } from '../uapi/bpf.js';
import type { Engine, MapAttrs, ObjectFailure, ObjectHandle, RawProgramHandle, RawProgramSpec, TestRunArgs } from '../seam/engine.js';
import { EBADF, EINVAL, ENOMEM, ENOTSUPP } from '../uapi/errno.js';
import { MessageChannel } from 'node:worker_threads';
import { answeredWord, LocalRegistry, RemoteRegistry, serveRegistry, type MapRegistry, type RegistryLink } from './registry.js';
import { loadEmulatorProgram, openEmulatorObject, type ProgramHost } from './object.js';
import { calleeOf, type ProgramState } from './program-state.js';
import { CpuLocks, heldLockTables, RES_DEF_TIMEOUT_NS } from './cpus/spin-locks.js';
import { EmulatedCpus } from './cpus/cpus.js';
import { EXECUTIONS, type Execution } from './programs/compiler.js';
import type { RunContext, RunOutcome } from './programs/test-run.js';
import { xorshift32, type EmulatedTask, type HelperContext } from './programs/helpers.js';
import { ArrayTable } from './maps/array.js';
import { checkCreate } from './maps/create.js';
import { HashTable } from './maps/hash.js';
import { QueueStackTable } from './maps/queue-stack.js';
import { BloomFilterTable, bloomGeometry } from './maps/bloom.js';
import { ProgArrayTable } from './maps/prog-array.js';
import { CgroupStorageTable } from './maps/cgroup-storage.js';
import { MapInMapTable, type InnerMeta } from './maps/map-in-map.js';
import { LpmTrieTable } from './maps/lpm-trie.js';
import { RingbufTable } from './maps/ringbuf.js';
import { RedirectMapTable, redirectKind } from './maps/redirect-map.js';
import type { MapTable } from './maps/program-map.js';
import { lruTargetFree } from './maps/lru.js';
import { lockOffsetOf, type MapShape } from './maps/storage.js';
import { ObjectHeap } from './object-heap.js';
import { sharedInt32, withSlabIds } from './maps/shared.js';
import { DEFAULT_KERNEL_VERSION, innerMapLocks, parseKernelVersion, percpuLookupCopiesPadding } from './kernel-version.js';
import { accessOf, EmulatedMap, EmulatorMapHandle, innerMetaOf, type Access, type MapOwner } from './map-handle.js';
import { CoverageRecorder, processDir, type EmulatorCoverage } from './coverage/recorder.js';
import { formatLcov } from '../coverage/lcov.js';
import { writeFileSync } from 'node:fs';

/** kernel/bpf/syscall.c BPF_OBJ_FLAG_MASK: the open flags of BPF_OBJ_GET and BPF_MAP_GET_FD_BY_ID. */
const OBJ_FLAG_MASK = MapFlags.Rdonly | MapFlags.Wronly;

export interface EmulatorOptions {
  /** Per-CPU slots and LRU lists. Default: the kernel's possible CPUs on Linux, else availableParallelism(). */
  possibleCpus?: number;
  /** The CPU syscall-side operations run on (it decides which LRU local lists they use). Default 0. */
  currentCpu?: number;
  /** Kernel behaviour to emulate. Default '6.18' (the LRU free target changed in 6.16). */
  kernelVersion?: string;
  /** Hash seed for maps without BPF_F_ZERO_SEED, and bpf_get_prandom_u32's seed. Default: random, as in the kernel. */
  seed?: number;
  /** The task programs see through bpf_get_current_pid_tgid/uid_gid/comm. Default: this process. */
  task?: Partial<EmulatedTask>;
  /**
   * How long one bpf_res_spin_lock may wait before it fails with -ETIMEDOUT, in milliseconds. Default 250
   * (the kernel's RES_DEF_TIMEOUT); shorter makes deadlock tests fast.
   */
  resLockTimeoutMs?: number;
  /**
   * How programs run: 'compiled' (to JavaScript, programs/compiler.ts) or 'interpreter' (the reference,
   * programs/interpreter.ts); both have the same semantics. Default: BPFKIT_EXECUTION, else 'compiled'.
   */
  execution?: Execution;
  /**
   * Record line, branch and function coverage of every program loaded (emulator.coverage(), writeLcov()).
   * Default: on when BPFKIT_COVERAGE names a directory (each process then writes its lcov file there at exit).
   */
  coverage?: boolean;
}

/** How many threads may use one Emulator: the one that made it and those that join it (held-locks rows). */
const JOIN_SLOTS = 8;
/** The option key that carries a share into the constructor (Emulator.join), kept off the public options. */
const JOINED = Symbol('joined');

/** What emulator.share() gives another thread (Emulator.join): structured-cloneable, its port transferable. */
export interface EmulatorShare {
  link: RegistryLink;
  options: EmulatorOptions;
  heldLocks: Int32Array;
  slabIds: Int32Array;
  joins: Int32Array;
  objectHeap: SharedArrayBuffer;
}

export class Emulator implements Engine, ProgramHost {
  readonly kind = 'emulator' as const;
  readonly kernelVersion: string;
  currentCpu: number;
  readonly #cpus: number;
  readonly #seed: number | undefined;
  /** Its maps by id and its virtual bpffs: this thread's, or (joined) its owner's (registry.ts). */
  readonly #registry: MapRegistry;
  /** The registry itself on the thread that made this Emulator: what share() serves. */
  readonly #local: LocalRegistry | undefined;
  /** Where its maps' slab ids come from (maps/shared.ts): one counter for the owner and the joined threads. */
  readonly #slabIds: Int32Array;
  /** Where programs' bpf_obj_new objects live, shared by every thread of this Emulator (object-heap.ts). */
  readonly objects: ObjectHeap;
  /** How many threads have joined (share() / join()): each has its own rows in the held-locks table. */
  readonly #joins: Int32Array;
  /** The first held-locks row of this thread's CPUs (0 for the owner). */
  readonly #rowBase: number;
  readonly #options: EmulatorOptions;
  #random: number;
  /** bpf_trace_printk output of every program run on this emulator, oldest first (the kernel's trace_pipe). */
  readonly traceLog: string[] = [];
  /** The task programs run as (bpf_get_current_*). */
  readonly task: EmulatedTask;
  /** bpf_res_spin_lock's timeout in nanoseconds. */
  readonly resLockTimeoutNs: number;
  /** How this emulator runs programs (EmulatorOptions.execution). */
  readonly execution: Execution;
  /** rqspinlock's held-locks tables: one row per worker CPU, and one for this thread's synchronous runs. */
  readonly #heldLocks: Int32Array;
  /** The locks this thread's synchronous runs take (their own held-locks row: never a worker's). */
  readonly mainCpuLocks: CpuLocks;
  #workerCpus: EmulatedCpus | undefined;
  /** What this emulator's map handles may ask of it (map-handle.ts MapOwner). */
  readonly #owner: MapOwner;
  /** The programs loaded on this thread and not closed, by id (a prog array's values name them so). */
  readonly #programs = new Map<number, ProgramState>();
  /** Every program's coverage, when it records coverage (EmulatorOptions.coverage). */
  readonly coverageRecorder: CoverageRecorder | undefined;

  constructor(options: EmulatorOptions = {}) {
    this.#options = options;
    const joined = (options as { [JOINED]?: EmulatorShare })[JOINED];
    const cpus = options.possibleCpus ?? hostPossibleCpus() ?? availableParallelism();
    if (!Number.isInteger(cpus) || cpus < 1 || cpus > 8192) throw new RangeError(`possibleCpus must be an integer in [1, 8192], got ${cpus}`);
    this.#cpus = cpus;
    const cpu = options.currentCpu ?? 0;
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= cpus) throw new RangeError(`currentCpu must be an integer in [0, ${cpus - 1}], got ${cpu}`);
    this.currentCpu = cpu;
    this.kernelVersion = options.kernelVersion ?? DEFAULT_KERNEL_VERSION;
    parseKernelVersion(this.kernelVersion); // a TypeError unless it looks like '6.18'
    if (options.seed !== undefined && (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 0xffffffff)) {
      throw new RangeError(`seed must be a u32, got ${options.seed}`);
    }
    this.#seed = options.seed;
    this.#random = (options.seed ?? (Math.random() * 2 ** 32) >>> 0) || 0x9e3779b9;
    this.task = {
      pid: process.pid, tgid: process.pid, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, comm: 'node', ...options.task,
    };
    const timeoutMs = options.resLockTimeoutMs ?? RES_DEF_TIMEOUT_NS / 1e6;
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || timeoutMs > 3_600_000) throw new RangeError(`resLockTimeoutMs must be a number of milliseconds in (0, 3600000], got ${String(timeoutMs)}`);
    this.resLockTimeoutNs = Math.round(timeoutMs * 1e6);
    const execution = options.execution ?? (process.env.BPFKIT_EXECUTION || 'compiled');
    if (!EXECUTIONS.includes(execution as Execution)) {
      throw new TypeError(`execution must be 'interpreter' or 'compiled'${options.execution === undefined ? ' (from BPFKIT_EXECUTION)' : ''}, got ${JSON.stringify(execution)}`);
    }
    this.execution = execution as Execution;
    const coverage = options.coverage ?? processDir() !== undefined;
    if (typeof coverage !== 'boolean') throw new TypeError(`coverage must be a boolean, got ${JSON.stringify(coverage)}`);
    // A row of counters for this thread and one for each worker CPU (programs/coverage-counters.ts).
    this.coverageRecorder = coverage ? new CoverageRecorder(cpus + 1) : undefined;
    if (joined) {
      // A joined thread: its own rows of the owner's held-locks table, the owner's registry and slab ids.
      const slot = Atomics.add(joined.joins, 0, 1) + 1;
      if (slot >= JOIN_SLOTS) throw new RangeError(`at most ${JOIN_SLOTS - 1} threads may join one Emulator`);
      this.#heldLocks = joined.heldLocks;
      this.#rowBase = slot * (cpus + 1);
      this.#registry = new RemoteRegistry(joined.link);
      this.#local = undefined;
      this.#slabIds = joined.slabIds;
      this.#joins = joined.joins;
      this.objects = ObjectHeap.of(joined.objectHeap);
    } else {
      this.#heldLocks = heldLockTables((cpus + 1) * JOIN_SLOTS);
      this.#rowBase = 0;
      this.#local = new LocalRegistry();
      this.#registry = this.#local;
      this.#slabIds = sharedInt32(1);
      this.#joins = sharedInt32(1);
      this.objects = withSlabIds(this.#slabIds, () => ObjectHeap.create());
    }
    this.mainCpuLocks = new CpuLocks(this.#heldLocks, this.#rowBase + cpus, this.resLockTimeoutNs);
    const registry = this.#registry;
    this.#owner = {
      kernelVersion: this.kernelVersion,
      currentCpu: () => this.currentCpu,
      pin: (map, path) => registry.pin(map, path),
      release: (map) => registry.release(map),
      program: (id) => {
        const state = this.#programs.get(id);
        return state && { id, program: state, callee: calleeOf(state.source) };
      },
      openMap: (id) => {
        const handle = this.openMapById(id);
        return typeof handle === 'number' ? undefined : handle;
      },
    };
  }

  /**
   * This Emulator for another thread of the process (a worker_thread of yours): `Emulator.join(share)` there
   * gives an Emulator over the same maps, ids and virtual bpffs, as another process's fd table sees the same
   * kernel. Post the share with its port in the transfer list:
   * `new Worker(url, { workerData: share, transferList: [share.link.port] })`. This thread answers the other's
   * lookups, pins and map registrations from its event loop: do not block it while the other uses maps.
   */
  share(): EmulatorShare {
    if (!this.#local) throw new TypeError('share(): only the thread that made the Emulator can share it');
    const { port1, port2 } = new MessageChannel();
    const answered = answeredWord();
    serveRegistry(this.#local, port1, answered);
    const o = this.#options;
    return {
      link: { port: port2, answered },
      options: {
        possibleCpus: this.#cpus, kernelVersion: this.kernelVersion, task: this.task, resLockTimeoutMs: this.resLockTimeoutNs / 1e6,
        execution: this.execution, coverage: this.coverageRecorder !== undefined, ...(o.seed !== undefined ? { seed: o.seed } : {}),
      },
      heldLocks: this.#heldLocks,
      slabIds: this.#slabIds,
      joins: this.#joins,
      objectHeap: this.objects.buffer,
    };
  }

  /** The Emulator another thread shared (share()), on this thread. */
  static join(share: EmulatorShare): Emulator {
    if (share === null || typeof share !== 'object' || !(share.heldLocks instanceof Int32Array) || !share.link) {
      throw new TypeError('Emulator.join: pass what emulator.share() returned, posted to this thread with its port');
    }
    return new Emulator({ ...share.options, [JOINED]: share } as EmulatorOptions);
  }

  /** What helpers see on this thread: the current CPU, the task, the seeded random stream, the trace log. */
  helperContext(): HelperContext & RunContext {
    return {
      execution: this.execution, cpu: this.currentCpu, possibleCpus: this.#cpus, task: this.task, random: () => this.random(), trace: (line) => this.trace(line), locks: this.mainCpuLocks,
      tailCallTarget: (table, id) => (table.held(id) as ProgramState | undefined)?.source,
    };
  }

  /** The emulated CPUs that run programs asynchronously: one worker thread each, started on first use. */
  get cpus(): EmulatedCpus {
    this.#workerCpus ??= new EmulatedCpus({
      cpus: this.possibleCpus(), heldLocks: this.#heldLocks, rowBase: this.#rowBase, task: this.task, seed: this.#random, resLockTimeoutNs: this.resLockTimeoutNs,
      execution: this.execution,
      trace: (lines) => this.traceLog.push(...lines),
    });
    return this.#workerCpus;
  }

  /** Runs a program on the first idle emulated CPU (object.ts ProgramHost). */
  runOnCpu(state: ProgramState, args: TestRunArgs): Promise<RunOutcome> {
    return this.cpus.run(state, args);
  }

  /**
   * The coverage of every program loaded on this Emulator (closed ones too), counted on every thread that
   * ran them: per program (instructions, branches, function entries) and by C source file and line.
   */
  coverage(): EmulatorCoverage {
    return this.#recorder('coverage').report();
  }

  /** Writes coverage().files to `path` as an lcov tracefile (SF, FN/FNDA, BRDA, DA; genhtml reads it). */
  writeLcov(path: string): void {
    if (typeof path !== 'string' || path === '') throw new TypeError(`writeLcov: path must be a file name, got ${JSON.stringify(path)}`);
    writeFileSync(path, formatLcov(this.#recorder('writeLcov').report().files));
  }

  #recorder(operation: string): CoverageRecorder {
    if (!this.coverageRecorder) throw new TypeError(`${operation}(): this Emulator records no coverage; make it with new Emulator({ coverage: true }) or set BPFKIT_COVERAGE`);
    return this.coverageRecorder;
  }

  /** A loaded program, by its id: what prog arrays on this thread can be given. */
  registerProgram(state: ProgramState): void {
    this.#programs.set(state.key, state);
  }

  /** A closed program: the worker CPUs drop their copies of it, and it can no longer be put in a prog array. */
  forgetProgram(state: ProgramState): void {
    this.#programs.delete(state.key);
    this.#workerCpus?.forget(state);
  }

  /** bpf_get_prandom_u32: a xorshift32 stream seeded from `seed` (deterministic when a seed is given). */
  random(): number {
    return (this.#random = xorshift32(this.#random));
  }

  /** Where bpf_trace_printk lines go. */
  trace(line: string): void {
    this.traceLog.push(line);
  }

  openObject(path: string): ObjectHandle | ObjectFailure {
    return openEmulatorObject(this, path);
  }

  loadProgram(spec: RawProgramSpec): RawProgramHandle | ObjectFailure {
    return loadEmulatorProgram(this, spec);
  }

  possibleCpus(): number {
    return this.#cpus;
  }

  createMap(attrs: MapAttrs): EmulatorMapHandle | number {
    const template = isMapInMap(attrs.type) ? innerTemplate(attrs.innerMap, this.kernelVersion) : undefined;
    const plan = checkCreate(attrs, this.#cpus, this.kernelVersion, typeof template === 'number' ? template : 0);
    if (typeof plan === 'number') return plan;
    const { type, flags } = attrs;
    const percpu = isPerCpu(type);
    const shape: MapShape = {
      keySize: attrs.keySize,
      valueSize: attrs.valueSize,
      maxEntries: plan.maxEntries,
      ncpu: this.#cpus,
      percpu,
      percpuPadding: percpuLookupCopiesPadding(this.kernelVersion),
      lockOffset: lockOffsetOf(attrs.locks),
      kptrs: attrs.kptrs ?? [],
      ...(attrs.kptrs?.length ? { objectHeap: this.objects.buffer } : {}),
    };
    let table: MapTable;
    try {
      table = withSlabIds(this.#slabIds, () => {
        if (isArrayType(type)) return new ArrayTable(shape);
        if (isQueueStack(type)) return new QueueStackTable(shape, type === MapType.Stack);
        if (type === MapType.ProgArray) return new ProgArrayTable(shape);
        if (isCgroupStorage(type)) return new CgroupStorageTable(shape);
        if (type === MapType.LpmTrie) return new LpmTrieTable(shape, this.kernelVersion);
        if (type === KernelMapType.Ringbuf) return new RingbufTable(shape);
        const redirect = redirectKind(type);
        if (redirect) return new RedirectMapTable(shape, redirect);
        const seed = flags & MapFlags.ZeroSeed ? 0 : (this.#seed ?? (Math.random() * 2 ** 32) >>> 0);
        // A slot holds its own handle on the inner map (bpf_map_inc), closed when the slot lets go of it.
        if (typeof template === 'object') return MapInMapTable.create(shape, template, type === MapType.HashOfMaps, seed, (m) => (m as EmulatorMapHandle).close());
        // bloom_map_alloc: its checkCreate passed, so map_extra is its low 4 bits.
        if (type === MapType.BloomFilter) return new BloomFilterTable(shape, bloomGeometry(plan.maxEntries, Number(attrs.mapExtra ?? 0n)), seed);
        return new HashTable(shape, {
          lru: isLru(type),
          percpuLru: (flags & MapFlags.NoCommonLru) !== 0,
          seed,
          targetFree: lruTargetFree(plan.maxEntries, this.#cpus, this.kernelVersion),
        });
      });
    } catch (e) {
      if (e instanceof RangeError) return ENOMEM; // the slabs did not fit in this process
      throw e;
    }
    const btfId = attrs.btf ? this.#registry.nextBtfId() : 0;
    const map = this.#registry.add((id) => new EmulatedMap({
      type,
      id,
      keySize: attrs.keySize,
      valueSize: attrs.valueSize,
      maxEntries: plan.maxEntries,
      // bpf_map_flags_retain_permanent: RDONLY/WRONLY describe the fd, not the map. devmap.c
      // dev_map_init_map adds BPF_F_RDONLY_PROG: a program's lookup points at the device's own value.
      flags: (flags & ~OBJ_FLAG_MASK) | (type === KernelMapType.Devmap || type === KernelMapType.DevmapHash ? MapFlags.RdonlyProg : 0),
      name: plan.name,
      btfId,
    }, table, attrs.locks?.some((l) => l.kind === 'spin') ?? false));
    return this.#handle(map, accessOf(flags) as Access);
  }

  /**
   * BPF_OBJ_GET: the pin at `path` in the virtual bpffs, with `flags` (BPF_F_RDONLY / BPF_F_WRONLY)
   * deciding the new handle's access; read-write by default.
   */
  openPinned(path: string, flags = 0): EmulatorMapHandle | number {
    // bpf_obj_get: file_flags outside BPF_OBJ_FLAG_MASK, or both, are EINVAL before the path is looked up.
    if (flags & ~OBJ_FLAG_MASK) return EINVAL;
    const access = accessOf(flags);
    if (typeof access === 'number') return access;
    const map = this.#registry.takePinned(path);
    return typeof map === 'number' ? map : this.#handle(map, access);
  }

  /** BPF_MAP_GET_FD_BY_ID with open_flags (BPF_F_RDONLY / BPF_F_WRONLY); read-write by default. */
  openMapById(id: number, flags = 0): EmulatorMapHandle | number {
    if (flags & ~OBJ_FLAG_MASK) return EINVAL;
    const access = accessOf(flags);
    if (typeof access === 'number') return access;
    const map = this.#registry.take(id);
    return typeof map === 'number' ? map : this.#handle(map, access);
  }

  /** Whether a pin at `path` would be on a bpf filesystem (the virtual bpffs's mounts). */
  onBpffs(path: string): boolean {
    return this.#registry.onBpffs(path);
  }

  /** Mounts a bpf filesystem at `dir` in the virtual bpffs (bpffs.ts): 0 or -errno. */
  mountBpffs(dir: string): number {
    return this.#registry.mount(dir);
  }

  /** mkdir(2) inside the virtual bpffs: 0 or -errno (EEXIST, ENOENT, ENOTDIR, EPERM outside a bpffs). */
  mkdir(path: string): number {
    return this.#registry.mkdir(path);
  }

  /** Removes a pin (the virtual bpffs's unlink); the map goes away when nothing else refers to it. */
  unpin(path: string): number {
    return this.#registry.unpin(path);
  }

  /** A handle holding the reference the registry just took for it. */
  #handle(map: EmulatedMap, access: Access): EmulatorMapHandle {
    return new EmulatorMapHandle(map, this.#owner, access);
  }
}

let defaultEmulator: Emulator | undefined;

/** The process's default emulator (`engine: 'emulator'`). */
export function getEmulator(): Emulator {
  return (defaultEmulator ??= new Emulator());
}

/**
 * kernel/bpf/map_in_map.c bpf_map_meta_alloc: a map-in-map's template is an open map (inner_map_fd; none is fd
 * 0, which is no map: EINVAL), not itself a map-in-map (EINVAL), of a type that can be compared
 * (map_meta_equal: a prog array or a cgroup storage cannot, ENOTSUPP), whose value holds no lock where the
 * kernel version refuses one (kernel-version.ts innerMapLocks).
 */
function innerTemplate(template: unknown, kernelVersion: string): InnerMeta | number {
  if (template === undefined) return EINVAL;
  if (!(template instanceof EmulatorMapHandle) || template.closed) return EBADF;
  const table = template.table;
  if (table instanceof MapInMapTable) return EINVAL;
  if (table instanceof ProgArrayTable || table instanceof CgroupStorageTable) return ENOTSUPP;
  if (template.lockKind !== undefined && !innerMapLocks(kernelVersion)) return ENOTSUPP;
  return innerMetaOf(template);
}
