// The emulator engine: the Engine seam (src/engine.ts) over maps kept in this process, answering as
// Linux 6.18 answers. The syscall layer here does what kernel/bpf/syscall.c does before a map's own
// code runs (flag masks, access modes, frozen maps, BPF_F_LOCK rules); hash.ts and array.ts do the rest.
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { BatchOp, MapFlags, MapType, type BatchOpId } from '../constants.js';
import type { Engine, MapAttrs, MapHandle, MapInfo } from '../engine.js';
import { ArrayTable } from './array.js';
import { checkCreate } from './create.js';
import { HashTable } from './hash.js';
import { lruTargetFree } from './lru.js';
import {
  BPF_F_LOCK, EBUSY, EEXIST, EINVAL, ENOENT, ENOMEM, ENOTSUPP, EPERM, lockOffsetOf, type MapShape,
} from './storage.js';

export interface EmulatorOptions {
  /** Per-CPU slots and LRU lists. Default: the kernel's possible CPUs on Linux, else availableParallelism(). */
  possibleCpus?: number;
  /** The CPU syscall-side operations run on (it decides which LRU local lists they use). Default 0. */
  currentCpu?: number;
  /** Kernel behaviour to emulate. Default '6.18' (the LRU free target changed in 6.16). */
  kernelVersion?: string;
  /** Hash seed for maps without BPF_F_ZERO_SEED. Default: random per map, as in the kernel. */
  seed?: number;
}

/** What a BPF program sees of a map (the emulator's program runner and the differential tests use it). */
export interface ProgramSide {
  /** bpf_map_lookup_elem: copies `cpu`'s value (value_size bytes); sets the LRU ref bit. */
  lookup(key: Uint8Array, value: Uint8Array, cpu: number): number;
  /** bpf_map_update_elem: per-CPU maps write `cpu`'s slot, and a new element's other slots are zeroed. */
  update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number;
  /** bpf_map_delete_elem */
  delete(key: Uint8Array, cpu: number): number;
  /** bpf_map_lookup_percpu_elem */
  lookupPercpu(key: Uint8Array, value: Uint8Array, cpu: number): number;
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

  get canRead(): boolean {
    return (this.info.flags & MapFlags.Wronly) === 0;
  }

  /** map_get_sys_perms: RDONLY maps and frozen maps refuse syscall writes. */
  get canWrite(): boolean {
    return (this.info.flags & MapFlags.Rdonly) === 0 && !this.frozen;
  }
}

export class Emulator implements Engine {
  readonly kind = 'emulator' as const;
  readonly kernelVersion: string;
  currentCpu: number;
  readonly #cpus: number;
  readonly #seed: number | undefined;
  readonly #maps = new Map<number, EmulatedMap>();
  readonly #pins = new Map<string, EmulatedMap>();
  #nextId = 1;
  #nextBtfId = 1;

  constructor(options: EmulatorOptions = {}) {
    const cpus = options.possibleCpus ?? hostPossibleCpus();
    if (!Number.isInteger(cpus) || cpus < 1 || cpus > 8192) throw new RangeError(`possibleCpus must be an integer in [1, 8192], got ${cpus}`);
    this.#cpus = cpus;
    const cpu = options.currentCpu ?? 0;
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= cpus) throw new RangeError(`currentCpu must be an integer in [0, ${cpus - 1}], got ${cpu}`);
    this.currentCpu = cpu;
    this.kernelVersion = options.kernelVersion ?? '6.18';
    if (!/^\d+\.\d+$/.test(this.kernelVersion)) throw new TypeError(`kernelVersion must look like '6.18', got '${this.kernelVersion}'`);
    if (options.seed !== undefined && (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 0xffffffff)) {
      throw new RangeError(`seed must be a u32, got ${options.seed}`);
    }
    this.#seed = options.seed;
  }

  possibleCpus(): number {
    return this.#cpus;
  }

  createMap(attrs: MapAttrs): EmulatorMapHandle | number {
    const plan = checkCreate(attrs, this.#cpus);
    if (typeof plan === 'number') return plan;
    const { type, flags } = attrs;
    const percpu = type === MapType.PercpuHash || type === MapType.LruPercpuHash || type === MapType.PercpuArray;
    const shape: MapShape = {
      keySize: attrs.keySize,
      valueSize: attrs.valueSize,
      maxEntries: plan.maxEntries,
      ncpu: this.#cpus,
      percpu,
      lockOffset: lockOffsetOf(attrs.locks),
    };
    let table: Table;
    try {
      if (type === MapType.Array || type === MapType.PercpuArray) {
        table = new ArrayTable(shape);
      } else {
        const lru = type === MapType.LruHash || type === MapType.LruPercpuHash;
        const seed = flags & MapFlags.ZeroSeed ? 0 : (this.#seed ?? (Math.random() * 2 ** 32) >>> 0);
        table = new HashTable(shape, {
          lru,
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
      flags,
      name: attrs.name,
      btfId: attrs.btf ? this.#nextBtfId++ : 0,
    };
    const map = new EmulatedMap(info, table, attrs.locks?.some((l) => l.kind === 'spin') ?? false);
    this.#maps.set(info.id, map);
    return this.#handle(map);
  }

  openPinned(path: string): EmulatorMapHandle | number {
    const map = this.#pins.get(path);
    return map ? this.#handle(map) : ENOENT;
  }

  openMapById(id: number): EmulatorMapHandle | number {
    const map = this.#maps.get(id);
    return map ? this.#handle(map) : ENOENT;
  }

  /** Removes a pin (the virtual bpffs's unlink); the map goes away when nothing else refers to it. */
  unpin(path: string): number {
    const map = this.#pins.get(path);
    if (!map) return ENOENT;
    this.#pins.delete(path);
    this.#drop(map);
    return 0;
  }

  /** BPF_OBJ_PIN into the virtual bpffs: absolute paths, one map per path. */
  pin(map: EmulatedMap, path: string): number {
    if (!path.startsWith('/')) return EINVAL;
    if (this.#pins.has(path)) return EEXIST;
    this.#pins.set(path, map);
    map.refs++;
    return 0;
  }

  release(map: EmulatedMap): void {
    this.#drop(map);
  }

  #handle(map: EmulatedMap): EmulatorMapHandle {
    map.refs++;
    return new EmulatorMapHandle(map, this);
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

function hostPossibleCpus(): number {
  const path = '/sys/devices/system/cpu/possible';
  if (process.platform === 'linux' && existsSync(path)) {
    // "0-1" or "0,2-3": per-CPU buffers have one slot per possible CPU (for_each_possible_cpu).
    let n = 0;
    for (const part of readFileSync(path, 'utf8').trim().split(',')) {
      const [a, b] = part.split('-').map(Number);
      n += b === undefined ? 1 : b - a! + 1;
    }
    if (n > 0) return n;
  }
  return availableParallelism();
}

export class EmulatorMapHandle implements MapHandle {
  readonly info: MapInfo;
  readonly program: ProgramSide;
  readonly #map: EmulatedMap;
  readonly #emulator: Emulator;
  #closed = false;

  constructor(map: EmulatedMap, emulator: Emulator) {
    this.#map = map;
    this.#emulator = emulator;
    this.info = { ...map.info };
    this.program = programSide(map);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The emulated map's table, for tests that inspect storage (element order, counts). */
  get table(): HashTable | ArrayTable {
    return this.#map.table;
  }

  lookup(key: Uint8Array, value: Uint8Array, flags: number): number {
    const m = this.#map;
    if (flags & ~BPF_F_LOCK) return EINVAL;
    if (!m.canRead) return EPERM;
    if ((flags & BPF_F_LOCK) && !m.spinLock) return EINVAL;
    return m.table.lookup(key, value);
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    const m = this.#map;
    if (!m.canWrite) return EPERM;
    if ((flags & BPF_F_LOCK) && !m.spinLock) return EINVAL;
    return m.table.update(key, 0, value, 0, flags, this.#emulator.currentCpu, false);
  }

  delete(key: Uint8Array): number {
    const m = this.#map;
    if (!m.canWrite) return EPERM;
    return m.table instanceof HashTable ? m.table.delete(key, 0) : EINVAL;
  }

  getNextKey(key: Uint8Array | null, next: Uint8Array): number {
    if (!this.#map.canRead) return EPERM;
    return this.#map.table.getNextKey(key, next);
  }

  lookupAndDelete(key: Uint8Array, value: Uint8Array, flags: number): number {
    const m = this.#map;
    if (flags & ~BPF_F_LOCK) return EINVAL;
    if (!m.canRead || !m.canWrite) return EPERM;
    if ((flags & BPF_F_LOCK) && !m.spinLock) return EINVAL;
    return m.table instanceof HashTable ? m.table.lookupAndDelete(key, value) : ENOTSUPP;
  }

  /** bpf_map_do_batch, then the map's batch op or the generic one (kernel/bpf/syscall.c). */
  batch(op: BatchOpId, inBatch: Uint8Array | null, outBatch: Uint8Array, keys: Uint8Array, values: Uint8Array, count: Uint32Array, elemFlags: number): number {
    const m = this.#map;
    const reads = op === BatchOp.Lookup || op === BatchOp.LookupAndDelete;
    const writes = op !== BatchOp.Lookup;
    if (reads && !m.canRead) return EPERM;
    if (writes && !m.canWrite) return EPERM;
    const table = m.table;
    const hash = table instanceof HashTable;
    if (!hash && (op === BatchOp.LookupAndDelete || op === BatchOp.Delete)) return ENOTSUPP;
    if ((elemFlags & ~BPF_F_LOCK) || ((elemFlags & BPF_F_LOCK) && !m.spinLock)) return EINVAL;
    if (reads && hash) return table.lookupBatch(inBatch, outBatch, keys, values, count, op === BatchOp.LookupAndDelete);
    if (reads) return this.#genericLookupBatch(inBatch, outBatch, keys, values, count);
    return this.#genericWriteBatch(op === BatchOp.Delete, keys, values, count, elemFlags);
  }

  /** generic_map_lookup_batch: get_next_key from the token key, count elements, token = last key copied. */
  #genericLookupBatch(inBatch: Uint8Array | null, outBatch: Uint8Array, keys: Uint8Array, values: Uint8Array, count: Uint32Array): number {
    const max = count[0]!;
    if (max === 0) return 0;
    const table = this.#map.table;
    const ks = table.shape.keySize;
    const stride = table.stride;
    let prev: Uint8Array | null = inBatch ? inBatch.slice(0, ks) : null;
    let cp = 0;
    let rc = 0;
    while (cp < max) {
      const key = keys.subarray(cp * ks, cp * ks + ks);
      rc = table.getNextKey(prev, key);
      if (rc) break;
      rc = table.lookup(key, values.subarray(cp * stride, cp * stride + stride));
      if (rc) break;
      prev = key;
      cp++;
    }
    count[0] = cp;
    if (cp > 0 && prev) outBatch.set(prev.subarray(0, ks));
    return rc;
  }

  /** generic_map_update_batch / generic_map_delete_batch: element by element, stopping at the first error. */
  #genericWriteBatch(del: boolean, keys: Uint8Array, values: Uint8Array, count: Uint32Array, elemFlags: number): number {
    const max = count[0]!;
    if (max === 0) return 0;
    const table = this.#map.table;
    const ks = table.shape.keySize;
    const stride = table.stride;
    const cpu = this.#emulator.currentCpu;
    let cp = 0;
    let rc = 0;
    for (; cp < max; cp++) {
      rc = del
        ? (table as HashTable).delete(keys, cp * ks)
        : table.update(keys, cp * ks, values, cp * stride, elemFlags, cpu, false);
      if (rc) break;
    }
    count[0] = cp;
    return rc;
  }

  /** map_freeze: not for maps with special fields (locks); twice → EPERM, as frozen maps lose write access. */
  freeze(): number {
    const m = this.#map;
    if (m.shape.lockOffset >= 0) return ENOTSUPP;
    if (!m.canWrite) return EPERM;
    if (m.frozen) return EBUSY;
    m.frozen = true;
    return 0;
  }

  pin(path: string): number {
    return this.#emulator.pin(this.#map, path);
  }

  queryInfo(): MapInfo {
    return { ...this.#map.info };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#emulator.release(this.#map);
  }
}

function programSide(map: EmulatedMap): ProgramSide {
  const { table, shape } = map;
  const ncpu = shape.ncpu;
  return {
    lookup: (key, value, cpu) => table.programLookup(key, value, cpu),
    update: (key, value, flags, cpu) => table.update(key, 0, value, 0, flags, cpu, true),
    delete: (key) => (table instanceof HashTable ? table.delete(key, 0) : EINVAL),
    lookupPercpu: (key, value, cpu) => (!shape.percpu || cpu >= ncpu ? ENOENT : table.programLookup(key, value, cpu)),
  };
}
