import type { Codec } from './codec-types.js';
import { lockFields } from './codec.js';
import { BatchOp, type BatchOpId, type BpfCommand, UpdateFlags, isPerCpu, mapTypeName } from './constants.js';
import type { Engine, MapHandle, MapInfo } from './engine.js';
import { errnoByCode } from './errno.js';
import { BpfError } from './errors.js';
import { perCpuCodec } from './percpu.js';

const ENOENT = -errnoByCode.ENOENT;
const ENOSPC = -errnoByCode.ENOSPC;
const EBADF = -errnoByCode.EBADF;

/** Per-call options of element operations on maps whose value holds a `bpf_spin_lock`. */
export interface LockOption {
  /**
   * Take the value's bpf_spin_lock around the copy (BPF_F_LOCK). Default: true when the value has a
   * spinLock field, false otherwise. The kernel refuses BPF_F_LOCK (EINVAL) for any other value.
   */
  lock?: boolean;
}

/** Where a batch walk stands: opaque; pass `result.cursor` to the next call. */
export interface BatchCursor {
  readonly token: Uint8Array;
}

export interface BatchOptions extends LockOption {
  /** Continue after this cursor; absent: from the start. */
  cursor?: BatchCursor;
  /** Most elements one call returns (default 256). Grown automatically when a hash bucket is bigger. */
  count?: number;
}

export interface BatchResult<K, V> {
  keys: K[];
  values: V[];
  /** Give it to the next call to continue. */
  cursor: BatchCursor;
  /** True when the walk reached the end of the map (keys/values may still hold a last chunk). */
  done: boolean;
}

const defaultBatchCount = 256;

/**
 * A typed handle on one BPF map. `V` is the value as the map's users see it: for per-CPU maps, an
 * array with one value per possible CPU (see PerCpuMap).
 *
 * Every method encodes into buffers the handle owns, so a lookup or an update allocates nothing but
 * its result. Element methods are synchronous and a handle is not shared between threads.
 */
export class BpfMap<K, V> {
  readonly name: string;
  readonly keyCodec: Codec<K>;
  readonly valueCodec: Codec<V>;
  readonly engine: Engine;
  #handle: MapHandle;
  #info: MapInfo;
  readonly #subject: string;
  readonly #lockByDefault: boolean;

  // Scratch buffers reused by every element operation.
  readonly #key: Uint8Array;
  readonly #keyView: DataView;
  readonly #value: Uint8Array;
  readonly #valueView: DataView;
  readonly #next: Uint8Array;
  readonly #nextView: DataView;
  // Batch buffers, grown when a call needs more.
  #batchKeys = new Uint8Array(0);
  #batchValues = new Uint8Array(0);
  readonly #count = new Uint32Array(1);

  /** Use createMap / openPinned / openMap / BpfObject.map; this wraps an open engine handle. */
  constructor(handle: MapHandle, engine: Engine, key: Codec<K>, value: Codec<V>, hasSpinLock: boolean) {
    this.#handle = handle;
    this.#info = handle.info;
    this.engine = engine;
    this.keyCodec = key;
    this.valueCodec = value;
    this.name = handle.info.name;
    this.#subject = this.name ? `map '${this.name}'` : `map id ${handle.info.id}`;
    this.#lockByDefault = hasSpinLock;
    this.#key = new Uint8Array(key.size);
    this.#keyView = viewOf(this.#key);
    this.#value = new Uint8Array(value.size);
    this.#valueView = viewOf(this.#value);
    this.#next = new Uint8Array(key.size);
    this.#nextView = viewOf(this.#next);
  }

  /** BPF_OBJ_GET_INFO_BY_FD as it was when the handle was opened. */
  get info(): MapInfo {
    return this.#info;
  }

  get closed(): boolean {
    return this.#handle.closed;
  }

  /** The map's file descriptor (kernel engine only). */
  get fd(): number {
    const fd = (this.#handle as { fd?: number }).fd;
    if (fd === undefined) throw new TypeError(`${this.#subject} lives in the emulator and has no file descriptor`);
    this.#open('BPF_OBJ_GET_INFO_BY_FD');
    return fd;
  }

  /** The engine handle, for code that drives the byte-level seam directly (object loading, tests). */
  get handle(): MapHandle {
    return this.#handle;
  }

  /** The value, or undefined when the key is absent. */
  get(key: K, options?: LockOption): V | undefined {
    this.#open('BPF_MAP_LOOKUP_ELEM');
    this.keyCodec.encode(key, this.#keyView, 0);
    const rc = this.#handle.lookup(this.#key, this.#value, this.#lockFlag(options));
    if (rc === 0) return this.valueCodec.decode(this.#valueView, 0);
    if (rc === ENOENT) return undefined;
    throw this.#error('BPF_MAP_LOOKUP_ELEM', rc);
  }

  /** Creates or replaces (BPF_ANY). */
  set(key: K, value: V, options?: LockOption): void {
    this.#update(key, value, UpdateFlags.Any, options);
  }

  /** Creates only (BPF_NOEXIST): throws EEXIST when the key is present. */
  insert(key: K, value: V, options?: LockOption): void {
    this.#update(key, value, UpdateFlags.NoExist, options);
  }

  /** Replaces only (BPF_EXIST): throws ENOENT when the key is absent. */
  replace(key: K, value: V, options?: LockOption): void {
    this.#update(key, value, UpdateFlags.Exist, options);
  }

  /** True when the key was deleted, false when it was absent. */
  delete(key: K): boolean {
    this.#open('BPF_MAP_DELETE_ELEM');
    this.keyCodec.encode(key, this.#keyView, 0);
    const rc = this.#handle.delete(this.#key);
    if (rc === 0) return true;
    if (rc === ENOENT) return false;
    throw this.#error('BPF_MAP_DELETE_ELEM', rc);
  }

  /** Removes the key and returns its value, or undefined when it was absent. */
  lookupAndDelete(key: K, options?: LockOption): V | undefined {
    this.#open('BPF_MAP_LOOKUP_AND_DELETE_ELEM');
    this.keyCodec.encode(key, this.#keyView, 0);
    const rc = this.#handle.lookupAndDelete(this.#key, this.#value, this.#lockFlag(options));
    if (rc === 0) return this.valueCodec.decode(this.#valueView, 0);
    if (rc === ENOENT) return undefined;
    throw this.#error('BPF_MAP_LOOKUP_AND_DELETE_ELEM', rc);
  }

  /**
   * The key after `key` in the map's own order (BPF_MAP_GET_NEXT_KEY); without `key`, the first.
   * On hash maps a key that is not in the map also gives the first key (the kernel's rule). Undefined
   * after the last key.
   */
  nextKey(key?: K): K | undefined {
    this.#open('BPF_MAP_GET_NEXT_KEY');
    let rc: number;
    if (key === undefined) {
      rc = this.#handle.getNextKey(null, this.#next);
    } else {
      this.keyCodec.encode(key, this.#keyView, 0);
      rc = this.#handle.getNextKey(this.#key, this.#next);
    }
    if (rc === 0) return this.keyCodec.decode(this.#nextView, 0);
    if (rc === ENOENT) return undefined;
    throw this.#error('BPF_MAP_GET_NEXT_KEY', rc);
  }

  /**
   * Entries in the map's order. Hash maps are walked with batch lookups whose cursor is a bucket
   * index, so the walk visits each bucket once and always ends, however much other threads or
   * programs change the map meanwhile: an entry present for the whole walk is yielded exactly once;
   * one inserted or deleted during it may or may not be. Where the kernel has no batch ops, the walk
   * falls back to get_next_key and is bounded (see #walkByNextKey).
   */
  *entries(options?: LockOption): IterableIterator<[K, V]> {
    for (const [keys, values] of this.#chunks(options)) {
      for (let i = 0; i < keys.length; i++) yield [keys[i] as K, values[i] as V];
    }
  }

  *keys(): IterableIterator<K> {
    for (const [keys] of this.#chunks()) yield* keys;
  }

  *values(options?: LockOption): IterableIterator<V> {
    for (const [, values] of this.#chunks(options)) yield* values;
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  /** One BPF_MAP_LOOKUP_BATCH step: up to `count` entries after `cursor`. */
  lookupBatch(options?: BatchOptions): BatchResult<K, V> {
    return this.#readBatch(BatchOp.Lookup, 'BPF_MAP_LOOKUP_BATCH', options);
  }

  /** Like lookupBatch, removing what it returns (hash maps only; arrays answer ENOTSUPP). */
  lookupAndDeleteBatch(options?: BatchOptions): BatchResult<K, V> {
    return this.#readBatch(BatchOp.LookupAndDelete, 'BPF_MAP_LOOKUP_AND_DELETE_BATCH', options);
  }

  /**
   * BPF_MAP_UPDATE_BATCH: writes keys[i] → values[i] in order and returns how many were written. The
   * kernel stops at the first failing element; the thrown BpfError's `processed` says how many were
   * applied before it.
   */
  updateBatch(keys: readonly K[], values: readonly V[], options?: LockOption): number {
    this.#open('BPF_MAP_UPDATE_BATCH');
    if (keys.length !== values.length) {
      throw new RangeError(`updateBatch needs as many values as keys (${keys.length} keys, ${values.length} values)`);
    }
    const n = keys.length;
    this.#ensureBatch(n, true);
    const kv = viewOf(this.#batchKeys);
    const vv = viewOf(this.#batchValues);
    for (let i = 0; i < n; i++) {
      this.keyCodec.encode(keys[i] as K, kv, i * this.keyCodec.size);
      this.valueCodec.encode(values[i] as V, vv, i * this.valueCodec.size);
    }
    return this.#writeBatch(BatchOp.Update, 'BPF_MAP_UPDATE_BATCH', n, this.#lockFlag(options));
  }

  /** BPF_MAP_DELETE_BATCH: deletes in order, stopping (ENOENT) at the first absent key. */
  deleteBatch(keys: readonly K[]): number {
    this.#open('BPF_MAP_DELETE_BATCH');
    const n = keys.length;
    this.#ensureBatch(n, false);
    const kv = viewOf(this.#batchKeys);
    for (let i = 0; i < n; i++) this.keyCodec.encode(keys[i] as K, kv, i * this.keyCodec.size);
    return this.#writeBatch(BatchOp.Delete, 'BPF_MAP_DELETE_BATCH', n, 0);
  }

  /** Pins the map at a bpffs path (BPF_OBJ_PIN). */
  pin(path: string): void {
    if (typeof path !== 'string' || path === '') throw new TypeError('pin path must be a non-empty string');
    this.#open('BPF_OBJ_PIN');
    const rc = this.#handle.pin(path);
    if (rc < 0) throw new BpfError('BPF_OBJ_PIN', rc, { subject: this.#subject, path });
  }

  /** Makes the map read-only for syscalls (BPF_MAP_FREEZE); programs may still write. */
  freeze(): void {
    this.#open('BPF_MAP_FREEZE');
    const rc = this.#handle.freeze();
    if (rc < 0) throw this.#error('BPF_MAP_FREEZE', rc);
  }

  /** Fresh BPF_OBJ_GET_INFO_BY_FD. */
  queryInfo(): MapInfo {
    this.#open('BPF_OBJ_GET_INFO_BY_FD');
    const info = this.#handle.queryInfo();
    if (typeof info === 'number') throw this.#error('BPF_OBJ_GET_INFO_BY_FD', info);
    return info;
  }

  /** Releases the map's fd. Idempotent; later calls on the handle throw EBADF. */
  close(): void {
    this.#handle.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #update(key: K, value: V, flags: number, options: LockOption | undefined): void {
    this.#open('BPF_MAP_UPDATE_ELEM');
    // Both encodes come before the syscall: a bad key or value leaves the map as it was.
    this.keyCodec.encode(key, this.#keyView, 0);
    this.valueCodec.encode(value, this.#valueView, 0);
    const rc = this.#handle.update(this.#key, this.#value, flags | this.#lockFlag(options));
    if (rc !== 0) throw this.#error('BPF_MAP_UPDATE_ELEM', rc);
  }

  #lockFlag(options: LockOption | undefined): number {
    const lock = options?.lock ?? this.#lockByDefault;
    return lock ? UpdateFlags.Lock : 0;
  }

  #open(syscall: BpfCommand): void {
    if (this.#handle.closed) throw new BpfError(syscall, EBADF, { subject: this.#subject, detail: 'the map handle is closed' });
  }

  #error(syscall: BpfCommand, rc: number, processed?: number): BpfError {
    if (processed === undefined) return new BpfError(syscall, rc, { subject: this.#subject });
    return new BpfError(syscall, rc, { subject: this.#subject, processed, detail: `${processed} element(s) processed before the failure` });
  }

  #ensureBatch(n: number, withValues: boolean): void {
    const k = n * this.keyCodec.size;
    if (this.#batchKeys.length < k) this.#batchKeys = new Uint8Array(k);
    const v = withValues ? n * this.valueCodec.size : 0;
    if (this.#batchValues.length < v) this.#batchValues = new Uint8Array(v);
  }

  #newToken(): Uint8Array {
    // Hash maps take a u32 bucket index, arrays a key (kernel/bpf/hashtab.c, syscall.c generic batch).
    return new Uint8Array(Math.max(4, this.keyCodec.size));
  }

  #readBatch(op: BatchOpId, syscall: BpfCommand, options: BatchOptions | undefined): BatchResult<K, V> {
    this.#open(syscall);
    let want = options?.count ?? defaultBatchCount;
    if (!Number.isInteger(want) || want < 1 || want > 0xffffffff) throw new RangeError(`batch count must be a positive integer, got ${want}`);
    const inToken = options?.cursor?.token ?? null;
    const outToken = this.#newToken();
    const flags = this.#lockFlag(options);
    for (;;) {
      this.#ensureBatch(want, true);
      this.#count[0] = want;
      const rc = this.#handle.batch(op, inToken, outToken, this.#batchKeys, this.#batchValues, this.#count, flags);
      const got = this.#count[0]!;
      // A hash bucket larger than `want` cannot be split: the kernel answers ENOSPC having copied
      // nothing. Grow the chunk and ask again rather than fail.
      if (rc === ENOSPC && got === 0 && want < this.#info.maxEntries + 1) {
        want = Math.min(want * 2, this.#info.maxEntries + 1);
        continue;
      }
      if (rc !== 0 && rc !== ENOENT) throw this.#error(syscall, rc, got);
      const keys = new Array<K>(got);
      const values = new Array<V>(got);
      const kv = viewOf(this.#batchKeys);
      const vv = viewOf(this.#batchValues);
      for (let i = 0; i < got; i++) {
        keys[i] = this.keyCodec.decode(kv, i * this.keyCodec.size);
        values[i] = this.valueCodec.decode(vv, i * this.valueCodec.size);
      }
      return { keys, values, cursor: { token: outToken }, done: rc === ENOENT };
    }
  }

  #writeBatch(op: BatchOpId, syscall: BpfCommand, n: number, flags: number): number {
    this.#count[0] = n;
    const rc = this.#handle.batch(op, null, this.#newToken(), this.#batchKeys, this.#batchValues, this.#count, flags);
    if (rc !== 0) throw this.#error(syscall, rc, this.#count[0]);
    return this.#count[0]!;
  }

  *#chunks(options?: LockOption): Generator<[K[], V[]]> {
    this.#open('BPF_MAP_LOOKUP_BATCH');
    let cursor: BatchCursor | undefined;
    for (;;) {
      let result: BatchResult<K, V>;
      try {
        result = this.lookupBatch({ ...options, ...(cursor ? { cursor } : {}) });
      } catch (e) {
        // Kernels before 5.6 (and map types without batch support) fall back to get_next_key.
        if (cursor === undefined && e instanceof BpfError && batchUnsupported(e)) {
          yield* this.#walkByNextKey(options);
          return;
        }
        throw e;
      }
      if (result.keys.length > 0) yield [result.keys, result.values];
      if (result.done) return;
      cursor = result.cursor;
    }
  }

  /**
   * get_next_key restarts from the first key when the current key was deleted under it, so a walk
   * racing with deletions could loop forever. Bound it as cilium/ebpf does: after maxEntries + 1
   * steps without reaching the end the walk stops with an error instead of spinning.
   */
  *#walkByNextKey(options?: LockOption): Generator<[K[], V[]]> {
    let key = this.nextKey();
    for (let steps = 0; key !== undefined; steps++) {
      if (steps > this.#info.maxEntries) {
        throw new BpfError('BPF_MAP_GET_NEXT_KEY', -errnoByCode.EINTR, {
          subject: this.#subject,
          detail: 'iteration aborted: the map changed faster than it could be walked',
        });
      }
      const value = this.get(key, options);
      if (value !== undefined) yield [[key], [value]];
      key = this.nextKey(key);
    }
  }
}

/** A per-CPU map: values are arrays with one entry per possible CPU. */
export class PerCpuMap<K, V> extends BpfMap<K, V[]> {
  readonly cpus: number;
  readonly elementCodec: Codec<V>;

  constructor(handle: MapHandle, engine: Engine, key: Codec<K>, element: Codec<V>, cpus: number) {
    super(handle, engine, key, perCpuCodec(element, cpus), false);
    this.cpus = cpus;
    this.elementCodec = element;
  }

  /** One CPU's value (the userspace counterpart of bpf_map_lookup_percpu_elem). */
  getPerCpu(key: K, cpu: number): V | undefined {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.cpus) {
      throw new RangeError(`cpu must be an integer in [0, ${this.cpus}), got ${cpu}`);
    }
    return this.get(key)?.[cpu];
  }
}

function batchUnsupported(e: BpfError): boolean {
  return e.code === 'EINVAL' || e.code === 'ENOTSUPP' || e.code === 'EOPNOTSUPP' || e.code === 'ENOSYS';
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Wraps an open engine handle, checking the codecs against the map's real sizes. */
export function wrapMapHandle<K, V>(
  handle: MapHandle,
  engine: Engine,
  key: Codec<K>,
  value: Codec<V>,
): BpfMap<K, V> | PerCpuMap<K, V> {
  const { info } = handle;
  const subject = info.name ? `map '${info.name}'` : `map id ${info.id}`;
  const mismatch = (what: string, codec: number, real: number) => {
    handle.close();
    return new TypeError(`${what} codec is ${codec} bytes but ${subject} (${mapTypeName(info.type)}) has ${what}_size ${real}`);
  };
  if (key.size !== info.keySize) throw mismatch('key', key.size, info.keySize);
  if (value.size !== info.valueSize) throw mismatch('value', value.size, info.valueSize);
  if (isPerCpu(info.type)) return new PerCpuMap(handle, engine, key, value, engine.possibleCpus());
  const hasSpinLock = lockFields(value).some((l) => l.kind === 'spin');
  return new BpfMap(handle, engine, key, value, hasSpinLock);
}
