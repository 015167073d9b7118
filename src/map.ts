import type { Codec } from './codec-types.js';
import { lockFields } from './codec.js';
import { BatchOp, type BatchOpId, type BpfCommand, UpdateFlags, isPerCpu, mapTypeName } from './constants.js';
import type { Engine, MapHandle, MapInfo } from './engine.js';
import { errnoByCode } from './errno.js';
import { BpfError, describeValue, inputError } from './errors.js';
import { hintFor } from './hints.js';
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
 *
 * Arguments are checked before anything reaches the engine: a malformed one is a TypeError or
 * RangeError whose message starts with the operation and the map ("updateBatch on map 'x': keys must
 * be an array, got null"); the kernel's (or emulator's) refusals are BpfErrors.
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
  // Batch buffers, grown when a call needs more (never past what the call's elements need: lookups
  // are bounded by maxEntries, writes by the elements actually encoded), released by close().
  #batchKeys = new Uint8Array(0);
  #batchValues = new Uint8Array(0);
  readonly #count = new Uint32Array(1);
  /** Cursors this handle issued, with its own copy of each token (the user's copy may be changed or detached). */
  readonly #cursors = new WeakMap<object, Uint8Array>();

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

  /**
   * The map's file descriptor (kernel engine only), owned by this handle: it is closed by close() (or
   * when the handle is collected), after which the number may be reused by anything. To give the map to
   * other code, pass this number to `openMap({ fd })`, which opens its own duplicate, rather than
   * storing the number.
   */
  get fd(): number {
    const fd = (this.#handle as { fd?: number }).fd;
    if (fd === undefined) throw new TypeError(`fd of ${this.#subject}: it lives in the emulator and has no file descriptor`);
    this.#open('BPF_OBJ_GET_INFO_BY_FD');
    return fd;
  }

  /** The engine handle, for code that drives the byte-level seam directly (object loading, tests). */
  get handle(): MapHandle {
    return this.#handle;
  }

  /** "get on map 'x'": how argument errors begin. */
  protected where(operation: string): string {
    return `${operation} on ${this.#subject}`;
  }

  /** The value, or undefined when the key is absent. */
  get(key: K, options?: LockOption): V | undefined {
    this.#open('BPF_MAP_LOOKUP_ELEM');
    const flags = this.#lockFlag('get', options);
    this.#encodeKey('get', key);
    const rc = this.#handle.lookup(this.#key, this.#value, flags);
    if (rc === 0) return this.valueCodec.decode(this.#valueView, 0);
    if (rc === ENOENT) return undefined;
    throw this.#error('BPF_MAP_LOOKUP_ELEM', rc);
  }

  /** Creates or replaces (BPF_ANY). */
  set(key: K, value: V, options?: LockOption): void {
    this.#update('set', key, value, UpdateFlags.Any, options);
  }

  /** Creates only (BPF_NOEXIST): throws EEXIST when the key is present. */
  insert(key: K, value: V, options?: LockOption): void {
    this.#update('insert', key, value, UpdateFlags.NoExist, options);
  }

  /** Replaces only (BPF_EXIST): throws ENOENT when the key is absent. */
  replace(key: K, value: V, options?: LockOption): void {
    this.#update('replace', key, value, UpdateFlags.Exist, options);
  }

  /** True when the key was deleted, false when it was absent. */
  delete(key: K): boolean {
    this.#open('BPF_MAP_DELETE_ELEM');
    this.#encodeKey('delete', key);
    const rc = this.#handle.delete(this.#key);
    if (rc === 0) return true;
    if (rc === ENOENT) return false;
    throw this.#error('BPF_MAP_DELETE_ELEM', rc);
  }

  /** Removes the key and returns its value, or undefined when it was absent. */
  lookupAndDelete(key: K, options?: LockOption): V | undefined {
    this.#open('BPF_MAP_LOOKUP_AND_DELETE_ELEM');
    const flags = this.#lockFlag('lookupAndDelete', options);
    this.#encodeKey('lookupAndDelete', key);
    const rc = this.#handle.lookupAndDelete(this.#key, this.#value, flags);
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
      this.#encodeKey('nextKey', key);
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
  entries(options?: LockOption): IterableIterator<[K, V]> {
    // Checked now, not at the first next(): a generator's body runs late.
    const lock = this.#lockOption('entries', options);
    return this.#entries(lock);
  }

  keys(): IterableIterator<K> {
    return this.#keys();
  }

  values(options?: LockOption): IterableIterator<V> {
    const lock = this.#lockOption('values', options);
    return this.#values(lock);
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  *#entries(lock: LockOption | undefined): IterableIterator<[K, V]> {
    for (const [keys, values] of this.#chunks(lock)) {
      for (let i = 0; i < keys.length; i++) yield [keys[i] as K, values[i] as V];
    }
  }

  *#keys(): IterableIterator<K> {
    for (const [keys] of this.#chunks(undefined)) yield* keys;
  }

  *#values(lock: LockOption | undefined): IterableIterator<V> {
    for (const [, values] of this.#chunks(lock)) yield* values;
  }

  /**
   * One BPF_MAP_LOOKUP_BATCH step: up to `count` entries after `cursor`. A count above maxEntries asks
   * for everything (the buffers are never larger than the map can fill).
   */
  lookupBatch(options?: BatchOptions): BatchResult<K, V> {
    return this.#readBatch(BatchOp.Lookup, 'lookupBatch', 'BPF_MAP_LOOKUP_BATCH', options);
  }

  /** Like lookupBatch, removing what it returns (hash maps only; arrays answer ENOTSUPP). */
  lookupAndDeleteBatch(options?: BatchOptions): BatchResult<K, V> {
    return this.#readBatch(BatchOp.LookupAndDelete, 'lookupAndDeleteBatch', 'BPF_MAP_LOOKUP_AND_DELETE_BATCH', options);
  }

  /**
   * BPF_MAP_UPDATE_BATCH: writes keys[i] → values[i] in order and returns how many were written. The
   * kernel stops at the first failing element; the thrown BpfError's `processed` says how many were
   * applied before it (0 when the kernel refused the whole batch, e.g. EPERM on a frozen map).
   */
  updateBatch(keys: readonly K[], values: readonly V[], options?: LockOption): number {
    const op = 'updateBatch';
    this.#open('BPF_MAP_UPDATE_BATCH');
    if (!Array.isArray(keys)) throw new TypeError(`${this.where(op)}: keys must be an array, got ${describeValue(keys)}`);
    if (!Array.isArray(values)) throw new TypeError(`${this.where(op)}: values must be an array, got ${describeValue(values)}`);
    // Each length and each element is read once.
    const n = keys.length;
    const nv = values.length;
    if (n !== nv) throw new RangeError(`${this.where(op)}: needs as many values as keys (${n} keys, ${nv} values)`);
    const flags = this.#lockFlag(op, options);
    const ks = this.keyCodec.size;
    const vs = this.valueCodec.size;
    let kv = viewOf(this.#batchKeys);
    let vv = viewOf(this.#batchValues);
    for (let i = 0; i < n; i++) {
      // Grown as elements are encoded, so a huge or sparse array fails at its first bad element
      // without first allocating room for all of it.
      if ((i + 1) * ks > this.#batchKeys.length || (i + 1) * vs > this.#batchValues.length) {
        this.#growBatch(Math.min(n, Math.max(64, i * 2)), true);
        kv = viewOf(this.#batchKeys);
        vv = viewOf(this.#batchValues);
      }
      this.#encode(op, `keys[${i}]`, this.keyCodec, keys[i], kv, i * ks);
      this.#encode(op, `values[${i}]`, this.valueCodec, values[i], vv, i * vs);
    }
    return this.#writeBatch(BatchOp.Update, 'BPF_MAP_UPDATE_BATCH', n, flags);
  }

  /**
   * BPF_MAP_DELETE_BATCH: deletes in order, stopping (ENOENT) at the first absent key; the BpfError's
   * `processed` says how many were deleted.
   */
  deleteBatch(keys: readonly K[]): number {
    const op = 'deleteBatch';
    this.#open('BPF_MAP_DELETE_BATCH');
    if (!Array.isArray(keys)) throw new TypeError(`${this.where(op)}: keys must be an array, got ${describeValue(keys)}`);
    const n = keys.length;
    const ks = this.keyCodec.size;
    let kv = viewOf(this.#batchKeys);
    for (let i = 0; i < n; i++) {
      if ((i + 1) * ks > this.#batchKeys.length) {
        this.#growBatch(Math.min(n, Math.max(64, i * 2)), false);
        kv = viewOf(this.#batchKeys);
      }
      this.#encode(op, `keys[${i}]`, this.keyCodec, keys[i], kv, i * ks);
    }
    return this.#writeBatch(BatchOp.Delete, 'BPF_MAP_DELETE_BATCH', n, 0);
  }

  /** Pins the map at a bpffs path (BPF_OBJ_PIN). */
  pin(path: string): void {
    this.#open('BPF_OBJ_PIN');
    if (typeof path !== 'string' || path === '') throw new TypeError(`${this.where('pin')}: path must be a non-empty string, got ${describeValue(path)}`);
    // The kernel reads a C string: an embedded NUL would silently shorten the path.
    if (path.includes('\0')) throw new TypeError(`${this.where('pin')}: path must not contain NUL characters`);
    const rc = this.#handle.pin(path);
    if (rc < 0) throw new BpfError('BPF_OBJ_PIN', rc, { subject: this.#subject, path, hint: hintFor({ syscall: 'BPF_OBJ_PIN', errno: rc, path }) });
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
    this.#batchKeys = new Uint8Array(0);
    this.#batchValues = new Uint8Array(0);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #update(op: string, key: K, value: V, flags: number, options: LockOption | undefined): void {
    this.#open('BPF_MAP_UPDATE_ELEM');
    const lock = this.#lockFlag(op, options);
    // Both encodes come before the syscall: a bad key or value leaves the map as it was.
    this.#encodeKey(op, key);
    this.#encode(op, 'value', this.valueCodec, value, this.#valueView, 0);
    const rc = this.#handle.update(this.#key, this.#value, flags | lock);
    if (rc !== 0) throw this.#error('BPF_MAP_UPDATE_ELEM', rc);
  }

  #encodeKey(op: string, key: K): void {
    this.#encode(op, 'key', this.keyCodec, key, this.#keyView, 0);
  }

  #encode<T>(op: string, what: string, codec: Codec<T>, value: T, view: DataView, offset: number): void {
    try {
      codec.encode(value, view, offset);
    } catch (e) {
      throw inputError(this.where(op), what, e);
    }
  }

  /** The per-call options object, read once: undefined, or `{ lock }` with lock a boolean or absent. */
  #lockOption(op: string, options: unknown): LockOption | undefined {
    if (options === undefined) return undefined;
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`${this.where(op)}: options must be an object, got ${describeValue(options)}`);
    }
    const lock = (options as LockOption).lock;
    if (lock !== undefined && typeof lock !== 'boolean') {
      throw new TypeError(`${this.where(op)}: options.lock must be a boolean, got ${describeValue(lock)}`);
    }
    return lock === undefined ? undefined : { lock };
  }

  #lockFlag(op: string, options: unknown): number {
    const lock = this.#lockOption(op, options)?.lock ?? this.#lockByDefault;
    return lock ? UpdateFlags.Lock : 0;
  }

  #open(syscall: BpfCommand): void {
    if (this.#handle.closed) throw new BpfError(syscall, EBADF, { subject: this.#subject, detail: 'the map handle is closed' });
  }

  #error(syscall: BpfCommand, rc: number, processed?: number): BpfError {
    const { type, maxEntries } = this.#handle.info;
    const hint = hintFor({ syscall, errno: rc, mapType: type, maxEntries });
    if (processed === undefined) return new BpfError(syscall, rc, { subject: this.#subject, hint });
    return new BpfError(syscall, rc, { subject: this.#subject, processed, detail: `${processed} element(s) processed before the failure`, hint });
  }

  /** Room for `n` elements, keeping what the buffers hold. */
  #growBatch(n: number, withValues: boolean): void {
    const k = n * this.keyCodec.size;
    if (this.#batchKeys.length < k) {
      const keys = new Uint8Array(k);
      keys.set(this.#batchKeys);
      this.#batchKeys = keys;
    }
    const v = withValues ? n * this.valueCodec.size : 0;
    if (this.#batchValues.length < v) {
      const values = new Uint8Array(v);
      values.set(this.#batchValues);
      this.#batchValues = values;
    }
  }

  #newToken(): Uint8Array {
    // Hash maps take a u32 bucket index, arrays a key (kernel/bpf/hashtab.c, syscall.c generic batch).
    return new Uint8Array(Math.max(4, this.keyCodec.size));
  }

  /** The token of a cursor this handle issued; TypeError for anything else. */
  #cursorToken(op: string, cursor: unknown): Uint8Array | null {
    if (cursor === undefined) return null;
    const token = cursor !== null && typeof cursor === 'object' ? this.#cursors.get(cursor) : undefined;
    if (token === undefined) {
      throw new TypeError(`${this.where(op)}: cursor must be a result.cursor this map's lookupBatch returned, got ${describeValue(cursor)}`);
    }
    const visible = (cursor as BatchCursor).token;
    if (!(visible instanceof Uint8Array) || visible.byteLength !== token.byteLength) {
      throw new TypeError(`${this.where(op)}: cursor's token was detached or replaced`);
    }
    return token;
  }

  #issueCursor(token: Uint8Array): BatchCursor {
    const cursor = Object.freeze({ token: token.slice() });
    this.#cursors.set(cursor, token);
    return cursor;
  }

  #readBatch(op: BatchOpId, name: string, syscall: BpfCommand, options: unknown): BatchResult<K, V> {
    this.#open(syscall);
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw new TypeError(`${this.where(name)}: options must be an object, got ${describeValue(options)}`);
    }
    // Every option is read once.
    const o = options as BatchOptions | undefined;
    const count = o?.count;
    const cursor = o?.cursor;
    let want: number;
    if (count === undefined) {
      want = defaultBatchCount;
    } else if (typeof count !== 'number' || !Number.isInteger(count)) {
      throw new TypeError(`${this.where(name)}: count must be an integer, got ${describeValue(count)}`);
    } else if (count < 1 || count > 0xffffffff) {
      throw new RangeError(`${this.where(name)}: count must be in [1, 4294967295], got ${count}`);
    } else {
      want = count;
    }
    // No call returns more than the map holds: the buffers are bounded by maxEntries.
    const most = this.#info.maxEntries + 1;
    want = Math.min(want, this.#info.maxEntries);
    const inToken = this.#cursorToken(name, cursor);
    const flags = this.#lockFlag(name, o);
    const outToken = this.#newToken();
    for (;;) {
      this.#growBatch(want, true);
      this.#count[0] = want;
      const rc = this.#handle.batch(op, inToken, outToken, this.#batchKeys, this.#batchValues, this.#count, flags);
      const got = this.#count[0]!;
      // A hash bucket larger than `want` cannot be split: the kernel answers ENOSPC having copied
      // nothing. Grow the chunk and ask again rather than fail.
      if (rc === ENOSPC && got === 0 && want < most) {
        want = Math.min(want * 2, most);
        continue;
      }
      if (rc !== 0 && rc !== ENOENT) throw this.#error(syscall, rc, processedOf(want, got));
      const keys = new Array<K>(got);
      const values = new Array<V>(got);
      const kv = viewOf(this.#batchKeys);
      const vv = viewOf(this.#batchValues);
      for (let i = 0; i < got; i++) {
        keys[i] = this.keyCodec.decode(kv, i * this.keyCodec.size);
        values[i] = this.valueCodec.decode(vv, i * this.valueCodec.size);
      }
      return { keys, values, cursor: this.#issueCursor(outToken), done: rc === ENOENT };
    }
  }

  #writeBatch(op: BatchOpId, syscall: BpfCommand, n: number, flags: number): number {
    this.#count[0] = n;
    const rc = this.#handle.batch(op, null, this.#newToken(), this.#batchKeys, this.#batchValues, this.#count, flags);
    if (rc !== 0) throw this.#error(syscall, rc, processedOf(n, this.#count[0]!));
    return this.#count[0]!;
  }

  *#chunks(options: LockOption | undefined): Generator<[K[], V[]]> {
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
    if (typeof cpu !== 'number' || !Number.isInteger(cpu)) {
      throw new TypeError(`${this.where('getPerCpu')}: cpu must be an integer, got ${describeValue(cpu)}`);
    }
    if (cpu < 0 || cpu >= this.cpus) throw new RangeError(`${this.where('getPerCpu')}: cpu must be in [0, ${this.cpus}), got ${cpu}`);
    return this.get(key)?.[cpu];
  }
}

/**
 * How many elements a failed batch processed. The kernel writes batch.count back only once the map's
 * batch op has started (kernel/bpf/syscall.c: bpf_map_do_batch refuses EPERM/ENOTSUPP before calling
 * it; generic_map_update_batch and htab's batch ops return EINVAL for bad flags before touching it), and
 * libbpf copies attr.batch.count back either way, so a refused batch comes back with the count it asked
 * for. An op that started and failed stops before its last element (the failing one is not counted),
 * so on failure a count equal to the request means nothing was done.
 */
function processedOf(requested: number, out: number): number {
  return out === requested ? 0 : out;
}

function batchUnsupported(e: BpfError): boolean {
  return e.code === 'EINVAL' || e.code === 'ENOTSUPP' || e.code === 'EOPNOTSUPP' || e.code === 'ENOSYS';
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The handle an open of an existing map gives, by its `perCpu` option: `true` a PerCpuMap (values are
 * per-CPU arrays), `false` a BpfMap; left out, either (narrow with `instanceof PerCpuMap`). The option
 * is checked against the map's real type when it is opened.
 */
export type MapByPerCpu<P extends boolean | undefined, K, V> = [P] extends [true]
  ? PerCpuMap<K, V>
  : [P] extends [false]
    ? BpfMap<K, V>
    : BpfMap<K, V> | PerCpuMap<K, V>;

/** Wraps an open engine handle, checking the codecs against the map's real sizes (and `perCpu`, when given). */
export function wrapMapHandle<K, V>(
  handle: MapHandle,
  engine: Engine,
  key: Codec<K>,
  value: Codec<V>,
  perCpu?: boolean,
): BpfMap<K, V> | PerCpuMap<K, V> {
  const { info } = handle;
  const subject = info.name ? `map '${info.name}'` : `map id ${info.id}`;
  const mismatch = (what: string, codec: number, real: number) => {
    handle.close();
    return new TypeError(`${what} codec is ${codec} bytes but ${subject} (${mapTypeName(info.type)}) has ${what}_size ${real}`);
  };
  if (key.size !== info.keySize) throw mismatch('key', key.size, info.keySize);
  if (value.size !== info.valueSize) throw mismatch('value', value.size, info.valueSize);
  if (perCpu !== undefined && perCpu !== isPerCpu(info.type)) {
    handle.close();
    throw new TypeError(
      perCpu
        ? `perCpu: true, but ${subject} is a ${mapTypeName(info.type)} map: its values are not per-CPU`
        : `perCpu: false, but ${subject} is a ${mapTypeName(info.type)} map: its values are per-CPU arrays (pass perCpu: true)`,
    );
  }
  if (isPerCpu(info.type)) return new PerCpuMap(handle, engine, key, value, engine.possibleCpus());
  const hasSpinLock = lockFields(value).some((l) => l.kind === 'spin');
  return new BpfMap(handle, engine, key, value, hasSpinLock);
}
