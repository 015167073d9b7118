// The emulator engine: the Engine seam (src/engine.ts) over maps kept in this process, answering as
// Linux 6.18 answers. The syscall layer here does what kernel/bpf/syscall.c does before a map's own
// code runs (flag masks, access modes, frozen maps, BPF_F_LOCK rules); hash.ts and array.ts do the rest.
import { statSync } from 'node:fs';
import { posix } from 'node:path';
import { availableParallelism } from 'node:os';
import { hostPossibleCpus } from '../host-cpus.js';
import { BatchOp, MapFlags, isArrayType, isLru, isPerCpu, type BatchOpId } from '../constants.js';
import type { ElemFlags, Engine, MapAttrs, MapHandle, MapInfo, ObjectFailure, ObjectHandle, RawProgramHandle, RawProgramSpec } from '../engine.js';
import { loadEmulatorProgram, openEmulatorObject } from './object.js';
import { CpuLocks, heldLockTables, RES_DEF_TIMEOUT_NS } from './cpu-locks.js';
import { EmulatedCpus } from './cpus.js';
import type { ProgramState } from './object.js';
import { EXECUTIONS, type Execution } from './programs/compiler.js';
import type { RunContext } from './programs/test-run.js';
import { xorshift32, type EmulatedTask, type HelperContext } from './programs/helpers.js';
import { ArrayTable } from './array.js';
import { checkCreate } from './create.js';
import { HashTable } from './hash.js';
import { lruTargetFree } from './lru.js';
import { freezeChecksWriteAccess, freezeRefusesLockMaps, lookupChecksAccessFirst, parseKernelVersion, percpuCpuFlags, percpuLookupCopiesPadding } from './kernel-version.js';
import { EACCES, EBUSY, EEXIST, EINVAL, ENAMETOOLONG, ENOENT, ENOMEM, ENOTDIR, ENOTSUPP, EPERM } from '../errno.js';
import { mapLayout, roundUp8, type MapLayout } from '../map-layout.js';
import type { MapScratch } from '../map-scratch.js';
import { programSide, type ProgramMap, type ProgramSide } from './program-map.js';
import {
  BPF_ANY, BPF_F_ALL_CPUS, BPF_F_CPU, BPF_F_LOCK, CPU_FLAGS, checkOpFlags, checkPercpuUpdateFlags, copyBytes, lockOffsetOf, type MapShape,
} from './storage.js';

// include/uapi/linux/limits.h: PATH_MAX counts the NUL; NAME_MAX is one path component.
const PATH_MAX = 4096;
const NAME_MAX = 255;
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
}

type Table = HashTable | ArrayTable;

/** One emulated map; handles and pins refer to it, and it lives while any does. */
class EmulatedMap {
  readonly info: MapInfo;
  readonly table: Table;
  readonly shape: MapShape;
  readonly spinLock: boolean;
  frozen = false;
  refs = 0;

  constructor(info: MapInfo, table: Table, spinLock: boolean) {
    this.info = info;
    this.table = table;
    this.shape = table.shape;
    this.spinLock = spinLock;
  }
}

/**
 * What a map handle asks of the emulator that made it: pinning its map into the virtual bpffs and dropping
 * its reference. Handed to handles only, so neither is a public method taking the unexported EmulatedMap.
 */
interface MapRefs {
  pin(map: EmulatedMap, path: string): number;
  release(map: EmulatedMap): void;
}

/**
 * What a handle may do (kernel/bpf/syscall.c): BPF_F_RDONLY / BPF_F_WRONLY restrict the fd they come
 * with (map_create's fd, BPF_MAP_GET_FD_BY_ID's, BPF_OBJ_GET's); the map itself keeps neither bit.
 */
interface Access {
  read: boolean;
  write: boolean;
}

/** bpf_get_file_flag: RDONLY and WRONLY together are EINVAL. */
function accessOf(flags: number): Access | number {
  const rdonly = (flags & MapFlags.Rdonly) !== 0;
  const wronly = (flags & MapFlags.Wronly) !== 0;
  if (rdonly && wronly) return EINVAL;
  return { read: !wronly, write: !rdonly };
}

export class Emulator implements Engine {
  readonly kind = 'emulator' as const;
  readonly kernelVersion: string;
  currentCpu: number;
  readonly #cpus: number;
  readonly #seed: number | undefined;
  readonly #maps = new Map<number, EmulatedMap>();
  // The virtual bpffs: mount points, directories made inside them, and pins (absolute normalized paths).
  readonly #mounts = new Set<string>(['/sys/fs/bpf']);
  readonly #dirs = new Set<string>();
  readonly #pins = new Map<string, EmulatedMap>();
  #nextId = 1;
  #nextBtfId = 1;
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
  readonly #refs: MapRefs = { pin: (map, path) => this.#pin(map, path), release: (map) => this.#drop(map) };

  constructor(options: EmulatorOptions = {}) {
    const cpus = options.possibleCpus ?? hostPossibleCpus() ?? availableParallelism();
    if (!Number.isInteger(cpus) || cpus < 1 || cpus > 8192) throw new RangeError(`possibleCpus must be an integer in [1, 8192], got ${cpus}`);
    this.#cpus = cpus;
    const cpu = options.currentCpu ?? 0;
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= cpus) throw new RangeError(`currentCpu must be an integer in [0, ${cpus - 1}], got ${cpu}`);
    this.currentCpu = cpu;
    this.kernelVersion = options.kernelVersion ?? '6.18';
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
    this.#heldLocks = heldLockTables(cpus + 1);
    this.mainCpuLocks = new CpuLocks(this.#heldLocks, cpus, this.resLockTimeoutNs);
  }

  /** What helpers see on this thread: the current CPU, the task, the seeded random stream, the trace log. */
  helperContext(): HelperContext & RunContext {
    return { execution: this.execution, cpu: this.currentCpu, task: this.task, random: () => this.random(), trace: (line) => this.trace(line), locks: this.mainCpuLocks };
  }

  /** The emulated CPUs that run programs asynchronously: one worker thread each, started on first use. */
  get cpus(): EmulatedCpus {
    this.#workerCpus ??= new EmulatedCpus({
      cpus: this.possibleCpus(), heldLocks: this.#heldLocks, task: this.task, seed: this.#random, resLockTimeoutNs: this.resLockTimeoutNs,
      execution: this.execution,
      trace: (lines) => this.traceLog.push(...lines),
    });
    return this.#workerCpus;
  }

  /** A closed program: the worker CPUs drop their copies of it. */
  forgetProgram(state: ProgramState): void {
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
    const plan = checkCreate(attrs, this.#cpus, this.kernelVersion);
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
    };
    let table: Table;
    try {
      if (isArrayType(type)) {
        table = new ArrayTable(shape);
      } else {
        const seed = flags & MapFlags.ZeroSeed ? 0 : (this.#seed ?? (Math.random() * 2 ** 32) >>> 0);
        table = new HashTable(shape, {
          lru: isLru(type),
          percpuLru: (flags & MapFlags.NoCommonLru) !== 0,
          seed,
          targetFree: lruTargetFree(plan.maxEntries, this.#cpus, this.kernelVersion),
        });
      }
    } catch (e) {
      if (e instanceof RangeError) return ENOMEM; // the slabs did not fit in this process
      throw e;
    }
    const info: MapInfo = {
      type,
      id: this.#nextId++,
      keySize: attrs.keySize,
      valueSize: attrs.valueSize,
      maxEntries: plan.maxEntries,
      // bpf_map_flags_retain_permanent: RDONLY/WRONLY describe the fd, not the map.
      flags: flags & ~OBJ_FLAG_MASK,
      name: plan.name,
      btfId: attrs.btf ? this.#nextBtfId++ : 0,
    };
    const map = new EmulatedMap(info, table, attrs.locks?.some((l) => l.kind === 'spin') ?? false);
    this.#maps.set(info.id, map);
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
    const at = this.#lookup(path);
    if (typeof at === 'number') return at;
    const node = this.#node(at.path);
    if (node === 'pin') return at.trailingSlash ? ENOTDIR : this.#handle(this.#pins.get(at.path)!, access);
    // bpf_obj_do_get: an inode that is not a bpf object (a directory, a host file) is EACCES.
    return node === 'none' ? ENOENT : EACCES;
  }

  /** BPF_MAP_GET_FD_BY_ID with open_flags (BPF_F_RDONLY / BPF_F_WRONLY); read-write by default. */
  openMapById(id: number, flags = 0): EmulatorMapHandle | number {
    if (flags & ~OBJ_FLAG_MASK) return EINVAL;
    const access = accessOf(flags);
    if (typeof access === 'number') return access;
    const map = this.#maps.get(id);
    return map ? this.#handle(map, access) : ENOENT;
  }

  /**
   * The virtual bpffs. It starts with one bpf filesystem mounted at /sys/fs/bpf; `mountBpffs` adds
   * more mount points, `mkdir` directories inside them. Pins live only here, never on the host; a path
   * outside every virtual mount is answered from the host's filesystem as the kernel would answer it
   * (EEXIST when it exists, ENOENT when its directory does not, EPERM otherwise: not a bpf filesystem).
   */
  mountBpffs(dir: string): number {
    const at = this.#lookup(dir);
    if (typeof at === 'number') return at;
    this.#mounts.add(at.path);
    return 0;
  }

  /** mkdir(2) inside the virtual bpffs: 0 or -errno (EEXIST, ENOENT, ENOTDIR, EPERM outside a bpffs). */
  mkdir(path: string): number {
    const at = this.#create(path);
    if (typeof at === 'number') return at;
    this.#dirs.add(at);
    return 0;
  }

  /** Removes a pin (the virtual bpffs's unlink); the map goes away when nothing else refers to it. */
  unpin(path: string): number {
    const at = this.#lookup(path);
    if (typeof at === 'number') return at;
    const map = this.#pins.get(at.path);
    if (!map) return ENOENT;
    this.#pins.delete(at.path);
    this.#drop(map);
    return 0;
  }

  /** BPF_OBJ_PIN into the virtual bpffs (kernel/bpf/inode.c bpf_obj_do_pin). */
  #pin(map: EmulatedMap, path: string): number {
    const at = this.#create(path);
    if (typeof at === 'number') return at;
    this.#pins.set(at, map);
    map.refs++;
    return 0;
  }

  /** The checks of user_path_create and then bpf_obj_do_pin's: the absolute path for a new entry, or -errno. */
  #create(path: string): string | number {
    const at = this.#lookup(path);
    if (typeof at === 'number') return at;
    if (at.path === '/' || this.#node(at.path) !== 'none') return EEXIST;
    if (at.trailingSlash) return ENOENT;
    // The parent is a directory (checked by #lookup); it must be on a bpf filesystem.
    return this.#node(posix.dirname(at.path)) === 'dir' ? at.path : EPERM;
  }

  /**
   * Path resolution as far as the last component: ENAMETOOLONG for a path of PATH_MAX bytes or a
   * component over NAME_MAX, ENOENT/ENOTDIR when a directory on the way is missing or is not one.
   * Relative paths start at the process's working directory. ".." is resolved by name.
   */
  #lookup(path: string): { path: string; trailingSlash: boolean } | number {
    if (Buffer.byteLength(path) >= PATH_MAX) return ENAMETOOLONG;
    if (path === '') return ENOENT;
    const abs = posix.resolve(process.cwd(), path);
    const parts = abs.split('/').filter(Boolean);
    for (const part of parts) if (Buffer.byteLength(part) > NAME_MAX) return ENAMETOOLONG;
    let dir = '';
    for (let i = 0; i < parts.length - 1; i++) {
      dir += `/${parts[i]}`;
      const node = this.#node(dir);
      if (node === 'none') return ENOENT;
      if (node === 'pin' || node === 'host-file') return ENOTDIR;
    }
    return { path: abs, trailingSlash: path.length > 1 && path.endsWith('/') };
  }

  /** What an absolute, normalized path names: inside a virtual mount the model answers, outside it the host. */
  #node(path: string): 'dir' | 'pin' | 'none' | 'host-dir' | 'host-file' {
    if (this.#mounts.has(path) || this.#dirs.has(path)) return 'dir';
    if (this.#pins.has(path)) return 'pin';
    for (const m of this.#mounts) if (path.startsWith(m === '/' ? '/' : `${m}/`)) return 'none';
    // A path some mount lies under (e.g. /sys/fs for /sys/fs/bpf) exists as a directory.
    for (const m of this.#mounts) if (m.startsWith(`${path}/`) || path === '/') return 'host-dir';
    let st;
    try {
      st = statSync(path, { throwIfNoEntry: false });
    } catch {
      st = undefined; // EACCES, ELOOP, ...: treated as absent
    }
    return st === undefined ? 'none' : st.isDirectory() ? 'host-dir' : 'host-file';
  }

  #handle(map: EmulatedMap, access: Access): EmulatorMapHandle {
    map.refs++;
    return new EmulatorMapHandle(map, this, this.#refs, access);
  }

  #drop(map: EmulatedMap): void {
    if (--map.refs === 0) this.#maps.delete(map.info.id);
  }
}

let defaultEmulator: Emulator | undefined;

/** The process's default emulator (`engine: 'emulator'`). */
export function getEmulator(): Emulator {
  return (defaultEmulator ??= new Emulator());
}

export class EmulatorMapHandle implements MapHandle, ProgramMap {
  readonly info: MapInfo;
  readonly layout: MapLayout;
  readonly program: ProgramSide;
  readonly #map: EmulatedMap;
  readonly #emulator: Emulator;
  readonly #refs: MapRefs;
  readonly #access: Access;
  // The addon's buffer sizes for this map (native/map.cc Wrap): value buffers of per-CPU maps hold one
  // round_up(value_size, 8) slot per possible CPU; batch tokens are a u32 bucket for hashes, a key for arrays.
  readonly #keySize: number;
  readonly #valueBufSize: number;
  readonly #tokenSize: number;
  /** lookupChecksAccessFirst at this emulator's (fixed) kernel version: parsed once, not per lookup. */
  readonly #lookupChecksAccessFirst: boolean;
  /** percpuCpuFlags at this emulator's kernel version: BPF_F_CPU / BPF_F_ALL_CPUS are element flags. */
  readonly #cpuFlags: boolean;
  /** A whole per-CPU value, for a hash lookup of one CPU's (made on first use). */
  #allCpus: Uint8Array | undefined;
  #closed = false;

  constructor(map: EmulatedMap, emulator: Emulator, refs: MapRefs, access: Access) {
    this.#map = map;
    this.#emulator = emulator;
    this.#refs = refs;
    this.#access = access;
    this.info = { ...map.info };
    this.program = programSide(map.table);
    this.#keySize = map.shape.keySize;
    this.layout = mapLayout(map.info.type, map.shape.keySize, map.shape.valueSize, map.shape.ncpu);
    this.#valueBufSize = this.layout.valueBufferSize;
    this.#tokenSize = this.layout.tokenSize;
    this.#lookupChecksAccessFirst = lookupChecksAccessFirst(emulator.kernelVersion);
    this.#cpuFlags = percpuCpuFlags(emulator.kernelVersion);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The emulated map's table: tests inspect storage through it (test/conformance/map-stress.test.ts). */
  get table(): HashTable | ArrayTable {
    return this.#map.table;
  }

  /** The map's layout (sizes, CPUs, per-CPU, lock offset), for the program side. */
  get shape(): MapShape {
    return this.#map.shape;
  }

  /** The kind of lock the value holds (at shape.lockOffset), if any. */
  get lockKind(): 'spin' | 'res' | undefined {
    if (this.#map.shape.lockOffset < 0) return undefined;
    return this.#map.spinLock ? 'spin' : 'res';
  }

  get #canRead(): boolean {
    return this.#access.read;
  }

  /** map_get_sys_perms: this handle's access, and no syscall writes to a frozen map through any handle. */
  get #canWrite(): boolean {
    return this.#access.write && !this.#map.frozen;
  }

  /**
   * `flags` is a u32 number, or a bigint for the kernel's whole u64 (BPF_F_CPU's CPU in the upper 32 bits).
   * With BPF_F_CPU (7.0+) only value_size bytes of `value` are written: that CPU's value.
   */
  lookup(key: Uint8Array, value: Uint8Array, flags: ElemFlags): number {
    this.#keyValueFlags(key, value, flags, true);
    return this.#lookup(key, value, flags);
  }

  #lookup(key: Uint8Array, value: Uint8Array, flags: ElemFlags): number {
    const m = this.#map;
    const low = flagsLow(flags);
    const cpu = flagsCpu(flags);
    // kernel/bpf/syscall.c map_lookup_elem: the fd's read access is checked before the flags on 7.2,
    // after them on 6.18 and earlier (kernel-version.ts).
    if (this.#lookupChecksAccessFirst && !this.#canRead) return EPERM;
    if (this.#cpuFlags) {
      const rc = checkOpFlags(low, cpu, BPF_F_LOCK | BPF_F_CPU, m.spinLock, m.shape);
      if (rc) return rc;
      if (!this.#canRead) return EPERM;
      if (low & BPF_F_CPU) return this.#lookupCpu(key, value, 0, cpu);
    } else {
      if (cpu !== 0 || (low & ~BPF_F_LOCK)) return EINVAL;
      if (!this.#canRead) return EPERM;
      if ((low & BPF_F_LOCK) && !m.spinLock) return EINVAL;
    }
    return m.table.lookup(key, value, (low & BPF_F_LOCK) !== 0);
  }

  /**
   * `flags` as for lookup. With BPF_F_CPU (7.0+) `value`'s first value_size bytes go to that CPU only; with
   * BPF_F_ALL_CPUS to every CPU.
   */
  update(key: Uint8Array, value: Uint8Array, flags: ElemFlags): number {
    this.#keyValueFlags(key, value, flags, true);
    return this.#update(key, value, flags);
  }

  #update(key: Uint8Array, value: Uint8Array, flags: ElemFlags): number {
    const m = this.#map;
    const low = flagsLow(flags);
    const cpu = flagsCpu(flags);
    if (!this.#canWrite) return EPERM;
    if (this.#cpuFlags) {
      // kernel/bpf/syscall.c map_update_elem: bpf_map_check_op_flags(map, flags, ~0).
      const rc = checkOpFlags(low, cpu, 0xffffffff, m.spinLock, m.shape);
      if (rc) return rc;
    } else {
      if ((low & BPF_F_LOCK) && !m.spinLock) return EINVAL;
      // Every map's update compares the whole u64 with BPF_EXIST first: upper bits are EINVAL.
      if (cpu !== 0) return EINVAL;
    }
    return this.#updateElem(key, 0, value, 0, low, cpu);
  }

  /** The map's own update (kernel/bpf/syscall.c bpf_map_update_value), after the syscall's flag checks. */
  #updateElem(key: Uint8Array, koff: number, value: Uint8Array, voff: number, low: number, cpu: number): number {
    const table = this.#map.table;
    const current = this.#emulator.currentCpu;
    if (!this.#cpuFlags || !table.shape.percpu) return table.update(key, koff, value, voff, low, current, false);
    const rc = checkPercpuUpdateFlags(low);
    if (rc) return rc;
    if (low & BPF_F_CPU) {
      // pcpu_copy_value / bpf_percpu_array_update: that CPU's value in place; a new hash element's other
      // CPUs read zero (measured on 7.2), as after a program's update, so the program-side write serves (its
      // LRU node still taken on this syscall's CPU).
      return table instanceof HashTable
        ? table.update(key, koff, value.subarray(voff, voff + table.shape.valueSize), 0, BPF_ANY, cpu, true, current)
        : table.update(key, koff, value, voff, BPF_ANY, cpu, true);
    }
    if (low & BPF_F_ALL_CPUS) return table.update(key, koff, this.#spread(value, voff), 0, BPF_ANY, current, false);
    // hashtab.c check_flags compares the flags with BPF_NOEXIST and BPF_EXIST, bpf_percpu_array_update with
    // BPF_NOEXIST: 3, now let through, is neither (measured on 7.2: accepted as BPF_ANY on all three maps).
    return table.update(key, koff, value, voff, low === 3 ? BPF_ANY : low, current, false);
  }

  /** One value_size value in every CPU's slot of a whole per-CPU value (BPF_F_ALL_CPUS). */
  #spread(value: Uint8Array, voff: number): Uint8Array {
    const { valueSize, ncpu } = this.#map.shape;
    const slot = roundUp8(valueSize);
    const all = new Uint8Array(slot * ncpu);
    for (let c = 0; c < ncpu; c++) copyBytes(value, voff, all, c * slot, valueSize);
    return all;
  }

  /** bpf_percpu_hash_copy / bpf_percpu_array_copy with BPF_F_CPU: `cpu`'s value_size bytes, to out at `off`. */
  #lookupCpu(key: Uint8Array, out: Uint8Array, off: number, cpu: number): number {
    const table = this.#map.table;
    if (table instanceof ArrayTable) return table.lookupCpu(key, 0, out, off, cpu);
    const all = (this.#allCpus ??= new Uint8Array(table.stride));
    const rc = table.lookup(key, all);
    if (rc) return rc;
    copyBytes(all, cpu * roundUp8(table.shape.valueSize), out, off, table.shape.valueSize);
    return 0;
  }

  delete(key: Uint8Array): number {
    this.#bound();
    args.u8Exact(key, 'key', this.#keySize);
    return this.#delete(key);
  }

  #delete(key: Uint8Array): number {
    const m = this.#map;
    if (!this.#canWrite) return EPERM;
    return m.table instanceof HashTable ? m.table.delete(key, 0) : EINVAL;
  }

  getNextKey(key: Uint8Array | null, next: Uint8Array): number {
    this.#bound();
    if (key !== null && key !== undefined) args.u8Exact(key, 'key', this.#keySize);
    args.u8Exact(next, 'next', this.#keySize);
    return this.#getNextKey(key ?? null, next);
  }

  #getNextKey(key: Uint8Array | null, next: Uint8Array): number {
    if (!this.#canRead) return EPERM;
    return this.#map.table.getNextKey(key, next);
  }

  lookupAndDelete(key: Uint8Array, value: Uint8Array, flags: ElemFlags): number {
    this.#keyValueFlags(key, value, flags, false);
    return this.#lookupAndDelete(key, value, flags);
  }

  #lookupAndDelete(key: Uint8Array, value: Uint8Array, flags: ElemFlags): number {
    const m = this.#map;
    // map_lookup_and_delete_elem: BPF_F_LOCK only, per-CPU flags included (bpf_map_value_size(map, 0)).
    if (flagsCpu(flags) !== 0 || (flagsLow(flags) & ~BPF_F_LOCK)) return EINVAL;
    flags = flagsLow(flags);
    if (!this.#canRead || !this.#canWrite) return EPERM;
    if ((flags & BPF_F_LOCK) && !m.spinLock) return EINVAL;
    return m.table instanceof HashTable ? m.table.lookupAndDelete(key, value, (flags & BPF_F_LOCK) !== 0) : ENOTSUPP;
  }

  /**
   * The typed layer's calls on buffers made here, of the right sizes: only the flags (and that the handle is
   * open) are checked per call, as the addon's scratch calls check them (native/map_scratch.cc).
   */
  openScratch(): MapScratch {
    this.#bound();
    const key = new Uint8Array(this.#keySize);
    const value = new Uint8Array(this.#valueBufSize);
    const next = new Uint8Array(this.#keySize);
    const flagsOf = (flags: number): number => {
      this.#bound();
      args.u32(flags, 'flags');
      return flags;
    };
    return {
      key,
      value,
      next,
      lookup: (flags) => this.#lookup(key, value, flagsOf(flags)),
      update: (flags) => this.#update(key, value, flagsOf(flags)),
      delete: () => (this.#bound(), this.#delete(key)),
      lookupAndDelete: (flags) => this.#lookupAndDelete(key, value, flagsOf(flags)),
      getNextKey: (fromKey) => {
        this.#bound();
        if (typeof fromKey !== 'boolean') throw new TypeError('fromKey must be a boolean');
        return this.#getNextKey(fromKey ? key : null, next);
      },
    };
  }

  /** bpf_map_do_batch, then the map's batch op or the generic one (kernel/bpf/syscall.c). */
  batch(op: BatchOpId, inBatch: Uint8Array | null, outBatch: Uint8Array, keys: Uint8Array, values: Uint8Array, count: Uint32Array, elemFlags: ElemFlags): number {
    this.#batchArgs(op, inBatch, outBatch, keys, values, count, elemFlags);
    inBatch ??= null;
    const m = this.#map;
    const reads = op === BatchOp.Lookup || op === BatchOp.LookupAndDelete;
    const writes = op !== BatchOp.Lookup;
    if (reads && !this.#canRead) return EPERM;
    if (writes && !this.#canWrite) return EPERM;
    const table = m.table;
    const hash = table instanceof HashTable;
    if (!hash && (op === BatchOp.LookupAndDelete || op === BatchOp.Delete)) return ENOTSUPP;
    const low = flagsLow(elemFlags);
    const cpu = flagsCpu(elemFlags);
    if (this.#cpuFlags) {
      // bpf_map_check_op_flags with what each op allows: a lookup takes BPF_F_CPU (hashtab.c
      // __htab_map_lookup_and_delete_batch when not deleting, syscall.c generic_map_lookup_batch), an update
      // both per-CPU flags (generic_map_update_batch), lookup-and-delete and delete BPF_F_LOCK only.
      const allowed = op === BatchOp.Update ? BPF_F_LOCK | CPU_FLAGS : op === BatchOp.Lookup ? BPF_F_LOCK | BPF_F_CPU : BPF_F_LOCK;
      const rc = checkOpFlags(low, cpu, allowed, m.spinLock, m.shape);
      if (rc) return rc;
    } else if (cpu !== 0 || (low & ~BPF_F_LOCK) || ((low & BPF_F_LOCK) && !m.spinLock)) {
      return EINVAL;
    }
    const oneCpu = low & BPF_F_CPU ? cpu : -1;
    if (reads && hash && oneCpu >= 0) return this.#hashLookupBatchCpu(table, inBatch, outBatch, keys, values, count, oneCpu);
    if (reads && hash) return table.lookupBatch(inBatch, outBatch, keys, values, count, op === BatchOp.LookupAndDelete);
    if (reads) return this.#genericLookupBatch(inBatch, outBatch, keys, values, count, oneCpu);
    return this.#genericWriteBatch(op === BatchOp.Delete, keys, values, count, low, cpu);
  }

  /**
   * __htab_map_lookup_and_delete_batch with BPF_F_CPU: the same walk, each element's value that CPU's
   * value_size bytes, back to back. The table's walk copies whole values into a buffer of our own first.
   */
  #hashLookupBatchCpu(table: HashTable, inBatch: Uint8Array | null, outBatch: Uint8Array, keys: Uint8Array, values: Uint8Array, count: Uint32Array, cpu: number): number {
    const { valueSize, maxEntries, ncpu } = table.shape;
    // No walk returns more elements than the table has (max_entries, plus the spares replacing updates take).
    const all = new Uint8Array(Math.min(count[0]!, maxEntries + ncpu + 1) * table.stride);
    const rc = table.lookupBatch(inBatch, outBatch, keys, all, count, false);
    const at = cpu * roundUp8(valueSize);
    for (let i = 0; i < count[0]!; i++) copyBytes(all, i * table.stride + at, values, i * valueSize, valueSize);
    return rc;
  }

  /**
   * The addon's checks (native/map.cc), in its order and with its messages. Where the op takes per-CPU
   * flags (`cpuFlags`) and `flags` has one, `value` may also be one value_size value, what the kernel then
   * reads or writes (a whole-layout buffer still does: the kernel uses its first value_size bytes).
   */
  #keyValueFlags(key: Uint8Array, value: Uint8Array, flags: ElemFlags, cpuFlags: boolean): void {
    this.#bound();
    args.u8Exact(key, 'key', this.#keySize);
    // Per-CPU maps only: elsewhere the two sizes are one, and the plain message names it.
    if (cpuFlags && hasCpuFlag(flags) && this.#valueBufSize !== this.#map.shape.valueSize) args.u8OneOf(value, 'value', this.#valueBufSize, this.#map.shape.valueSize);
    else args.u8Exact(value, 'value', this.#valueBufSize);
    args.flags(flags, 'flags');
  }

  #batchArgs(op: number, inBatch: unknown, outBatch: unknown, keys: unknown, values: unknown, count: unknown, elemFlags: unknown): void {
    this.#bound();
    args.u32(op, 'op');
    if (op > 3) throw new RangeError(`op must be 0 (lookup), 1 (lookupAndDelete), 2 (update) or 3 (delete), got ${op}`);
    if (!(count instanceof Uint32Array) || typedTag(count) !== 'Uint32Array') throw new TypeError('count must be a Uint32Array');
    if (typedLength(count) < 1) throw new RangeError('count must have at least one element');
    const n = count[0]!;
    if (op === 0 || op === 1) {
      const inLength = args.u8OrNull(inBatch, 'inBatch');
      if (inLength >= 0 && inLength < this.#tokenSize) {
        throw new RangeError(`inBatch must be at least ${this.#tokenSize} bytes, got ${inLength}`);
      }
      args.u8AtLeast(outBatch, 'outBatch', this.#tokenSize);
    } else {
      args.u8OrNull(inBatch, 'inBatch');
      args.u8OrNull(outBatch, 'outBatch');
    }
    args.u8AtLeast(keys, 'keys', n * this.#keySize);
    // With a per-CPU flag a lookup or update batch's values are value_size each (bpf_map_value_size).
    const oneValue = (op === 0 || op === 2) && hasCpuFlag(elemFlags);
    if (op === 3) args.u8OrNull(values, 'values');
    else args.u8AtLeast(values, 'values', n * (oneValue ? this.#map.shape.valueSize : this.#valueBufSize));
    args.flags(elemFlags, 'elemFlags');
  }

  /** The addon's Bound(): every method but close() on a closed handle is a TypeError. */
  #bound(): void {
    if (this.#closed) throw new TypeError('map is closed');
  }
  /** generic_map_lookup_batch: get_next_key from the token key, count elements, token = last key copied. */
  #genericLookupBatch(inBatch: Uint8Array | null, outBatch: Uint8Array, keys: Uint8Array, values: Uint8Array, count: Uint32Array, cpu: number): number {
    const max = count[0]!;
    if (max === 0) return 0;
    const table = this.#map.table;
    const ks = table.shape.keySize;
    // BPF_F_CPU (cpu >= 0): one value_size value per element.
    const stride = cpu >= 0 ? table.shape.valueSize : table.stride;
    let prev: Uint8Array | null = inBatch ? inBatch.slice(0, ks) : null;
    let cp = 0;
    let rc = 0;
    while (cp < max) {
      const key = keys.subarray(cp * ks, cp * ks + ks);
      rc = table.getNextKey(prev, key);
      if (rc) break;
      rc = cpu >= 0 ? this.#lookupCpu(key, values, cp * stride, cpu) : table.lookup(key, values.subarray(cp * stride, cp * stride + stride));
      if (rc) break;
      prev = key;
      cp++;
    }
    count[0] = cp;
    if (cp > 0 && prev) outBatch.set(prev.subarray(0, ks));
    return rc;
  }

  /** generic_map_update_batch / generic_map_delete_batch: element by element, stopping at the first error. */
  #genericWriteBatch(del: boolean, keys: Uint8Array, values: Uint8Array, count: Uint32Array, low: number, cpu: number): number {
    const max = count[0]!;
    if (max === 0) return 0;
    const table = this.#map.table;
    const ks = table.shape.keySize;
    const stride = low & CPU_FLAGS ? table.shape.valueSize : table.stride;
    let cp = 0;
    let rc = 0;
    for (; cp < max; cp++) {
      rc = del
        ? (table as HashTable).delete(keys, cp * ks)
        : this.#updateElem(keys, cp * ks, values, cp * stride, low, cpu);
      if (rc) break;
    }
    count[0] = cp;
    return rc;
  }

  /**
   * map_freeze: not for maps with special fields (locks). Since 6.5 the fd needs write access, which a frozen
   * map has lost (twice → EPERM); before, a second freeze was EBUSY (kernel-version.ts).
   */
  freeze(): number {
    this.#bound();
    const m = this.#map;
    if (m.shape.lockOffset >= 0 && freezeRefusesLockMaps(this.#emulator.kernelVersion)) return ENOTSUPP;
    if (freezeChecksWriteAccess(this.#emulator.kernelVersion) && !this.#canWrite) return EPERM;
    if (m.frozen) return EBUSY;
    m.frozen = true;
    return 0;
  }

  pin(path: string): number {
    this.#bound();
    args.path(path, 'path');
    return this.#refs.pin(this.#map, path);
  }

  queryInfo(): MapInfo {
    this.#bound();
    return { ...this.#map.info };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#refs.release(this.#map);
  }
}


// The addon's argument checks (native/args.h) with the same classes and messages, so a raw handle refuses
// a malformed buffer on the emulator exactly as on the kernel instead of reading or writing past a slab.
const typedArrayProto = Object.getPrototypeOf(Uint8Array.prototype) as object;
const typedTagGetter = Object.getOwnPropertyDescriptor(typedArrayProto, Symbol.toStringTag)!.get!;
const typedLengthGetter = Object.getOwnPropertyDescriptor(typedArrayProto, 'length')!.get!;

/** The typed array kind from its internal slot ('Uint8Array' for Buffers too); undefined for anything else. */
function typedTag(v: unknown): string | undefined {
  return typedTagGetter.call(v) as string | undefined;
}

function typedLength(v: unknown): number {
  return typedLengthGetter.call(v) as number;
}

/** std::to_string(double), as the addon prints numbers in its messages. */
function cDouble(d: number): string {
  if (!Number.isFinite(d)) return d > 0 ? 'inf' : '-inf';
  return Math.abs(d) < 1e21 ? d.toFixed(6) : `${BigInt(d)}.000000`;
}

const args = {
  u8(v: unknown, name: string): number {
    if (typedTag(v) !== 'Uint8Array') throw new TypeError(`${name} must be a Uint8Array`);
    return typedLength(v);
  },
  /** The length, or -1 for null/undefined. */
  u8OrNull(v: unknown, name: string): number {
    return v === null || v === undefined ? -1 : args.u8(v, name);
  },
  u8Exact(v: unknown, name: string, expected: number): void {
    const n = args.u8(v, name);
    if (n !== expected) throw new RangeError(`${name} must be ${expected} bytes, got ${n}`);
  },
  u8AtLeast(v: unknown, name: string, minimum: number): void {
    const n = args.u8(v, name);
    if (n < minimum) throw new RangeError(`${name} must be at least ${minimum} bytes, got ${n}`);
  },
  /** `min` bytes, or (when different) `alt`. */
  u8OneOf(v: unknown, name: string, min: number, alt: number): void {
    const n = args.u8(v, name);
    if (n === min || n === alt) return;
    throw new RangeError(`${name} must be ${min} bytes (or ${alt} with BPF_F_CPU or BPF_F_ALL_CPUS), got ${n}`);
  },
  /** Element flags: a u32 number as the addon takes them, or a bigint carrying the kernel's whole u64. */
  flags(v: unknown, name: string): void {
    if (typeof v !== 'bigint') return args.u32(v, name);
    if (v < 0n || v > 0xffffffffffffffffn) throw new RangeError(`${name} must be in [0, 18446744073709551615], got ${v}`);
  },
  u32(v: unknown, name: string): void {
    if (typeof v !== 'number') throw new TypeError(`${name} must be a number`);
    if (Number.isNaN(v) || Math.trunc(v) !== v) throw new TypeError(`${name} must be an integer, got ${Number.isNaN(v) ? 'NaN' : cDouble(v)}`);
    if (v < 0 || v > 4294967295) throw new RangeError(`${name} must be in [0, 4294967295], got ${cDouble(v)}`);
  },
  path(v: unknown, name: string): void {
    if (typeof v !== 'string') throw new TypeError(`${name} must be a string`);
    if (v === '') throw new TypeError(`${name} must be a non-empty string`);
    if (v.includes('\0')) throw new TypeError(`${name} must not contain NUL characters`);
  },
};

/** Flags (not yet checked, so possibly anything) that carry BPF_F_CPU or BPF_F_ALL_CPUS. */
function hasCpuFlag(flags: unknown): boolean {
  return (typeof flags === 'number' || typeof flags === 'bigint') && (flagsLow(flags) & CPU_FLAGS) !== 0;
}

/** The low 32 bits of element flags (the flag bits proper). */
function flagsLow(flags: ElemFlags): number {
  return typeof flags === 'bigint' ? Number(BigInt.asUintN(32, flags)) : flags;
}

/** The upper 32 bits of element flags: BPF_F_CPU's CPU (a u32 number has none). */
function flagsCpu(flags: ElemFlags): number {
  return typeof flags === 'bigint' ? Number(BigInt.asUintN(32, flags >> 32n)) : 0;
}
