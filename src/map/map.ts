import type { Codec } from '../codec/types.js';
import { lockFields } from '../codec/codec.js';
import { BatchOp, LPM_KEY_DATA_OFFSET, MapType, UpdateFlags, isKeyless, isPerCpu, mapTypeName } from '../uapi/bpf.js';
import type { Engine, MapHandle, MapScratch } from '../seam/engine.js';
import { ENOENT } from '../uapi/errno.js';
import { describeValue, inputError, subjectOf } from '../errors/errors.js';
import { valueBufferSize } from '../seam/map-layout.js';
import { BpfMapBase } from './base.js';
import { MapWalker, viewOf, type BatchOptions, type BatchResult, type LockOption } from './walk.js';
import { perCpuCodec } from '../codec/percpu.js';

export type { BatchCursor, BatchOptions, BatchResult, LockOption } from './walk.js';

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
export class BpfMap<K, V> extends BpfMapBase {
  readonly keyCodec: Codec<K>;
  readonly valueCodec: Codec<V>;
  readonly #lockByDefault: boolean;

  // Element calls on buffers this map alone holds (seam/engine.ts MapScratch): encode into the views, call, decode.
  readonly #scratch: MapScratch;
  readonly #keyView: DataView;
  readonly #valueView: DataView;
  readonly #nextView: DataView;
  readonly #walker: MapWalker<K, V>;

  /** Use createMap / openPinned / openMap / BpfObject.map; this wraps an open engine handle. */
  constructor(handle: MapHandle, engine: Engine, key: Codec<K>, value: Codec<V>, hasSpinLock: boolean) {
    super(handle, engine);
    this.keyCodec = key;
    this.valueCodec = value;
    this.#lockByDefault = hasSpinLock;
    this.#scratch = handle.openScratch();
    this.#keyView = viewOf(this.#scratch.key);
    this.#valueView = viewOf(this.#scratch.value);
    this.#nextView = viewOf(this.#scratch.next);
    this.#walker = new MapWalker({
      handle,
      keyCodec: key,
      valueCodec: value,
      maxEntries: handle.info.maxEntries,
      subject: subjectOf({ map: this.name, mapId: handle.info.id }),
      where: (op) => this.where(op),
      open: (syscall) => this.checkOpen(syscall),
      error: (syscall, rc, processed) => this.error(syscall, rc, processed),
      lockFlag: (op, options) => this.#lockFlag(op, options),
      encode: (op, what, codec, v, view, offset) => this.#encode(op, what, codec, v, view, offset),
      get: (k, options) => this.get(k, options),
      nextKey: (k) => (k === undefined ? this.nextKey() : this.nextKey(k)),
    });
  }

  /** The value, or undefined when the key is absent. */
  get(key: K, options?: LockOption): V | undefined {
    this.checkOpen('BPF_MAP_LOOKUP_ELEM');
    const flags = this.#lockFlag('get', options);
    this.#encodeKey('get', key);
    const rc = this.#scratch.lookup(flags);
    if (rc === 0) return this.valueCodec.decode(this.#valueView, 0);
    if (rc === ENOENT) return undefined;
    throw this.error('BPF_MAP_LOOKUP_ELEM', rc);
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
    this.checkOpen('BPF_MAP_DELETE_ELEM');
    this.#encodeKey('delete', key);
    return this.deleted(this.#scratch.delete());
  }

  /** Removes the key and returns its value, or undefined when it was absent. */
  lookupAndDelete(key: K, options?: LockOption): V | undefined {
    this.checkOpen('BPF_MAP_LOOKUP_AND_DELETE_ELEM');
    const flags = this.#lockFlag('lookupAndDelete', options);
    this.#encodeKey('lookupAndDelete', key);
    const rc = this.#scratch.lookupAndDelete(flags);
    if (rc === 0) return this.valueCodec.decode(this.#valueView, 0);
    if (rc === ENOENT) return undefined;
    throw this.error('BPF_MAP_LOOKUP_AND_DELETE_ELEM', rc);
  }

  /**
   * The key after `key` in the map's own order (BPF_MAP_GET_NEXT_KEY); without `key`, the first.
   * On hash maps a key that is not in the map also gives the first key (the kernel's rule). Undefined
   * after the last key.
   */
  nextKey(key?: K): K | undefined {
    this.checkOpen('BPF_MAP_GET_NEXT_KEY');
    let rc: number;
    if (key === undefined) {
      rc = this.#scratch.getNextKey(false);
    } else {
      this.#encodeKey('nextKey', key);
      rc = this.#scratch.getNextKey(true);
    }
    if (rc === 0) return this.keyCodec.decode(this.#nextView, 0);
    if (rc === ENOENT) return undefined;
    throw this.error('BPF_MAP_GET_NEXT_KEY', rc);
  }

  /**
   * Entries in the map's order. Hash maps are walked with batch lookups whose cursor is a bucket
   * index, so the walk visits each bucket once and always ends, however much other threads or
   * programs change the map meanwhile: an entry present for the whole walk is yielded exactly once;
   * one inserted or deleted during it may or may not be. Where the kernel has no batch ops, the walk
   * falls back to get_next_key and is bounded (src/map/walk.ts).
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
    return this.#walker.read(BatchOp.Lookup, 'lookupBatch', 'BPF_MAP_LOOKUP_BATCH', options);
  }

  /** Like lookupBatch, removing what it returns (hash maps only; arrays answer ENOTSUPP). */
  lookupAndDeleteBatch(options?: BatchOptions): BatchResult<K, V> {
    return this.#walker.read(BatchOp.LookupAndDelete, 'lookupAndDeleteBatch', 'BPF_MAP_LOOKUP_AND_DELETE_BATCH', options);
  }

  /**
   * BPF_MAP_UPDATE_BATCH: writes keys[i] → values[i] in order and returns how many were written. The
   * kernel stops at the first failing element; the thrown BpfError's `processed` says how many were
   * applied before it (0 when the kernel refused the whole batch, e.g. EPERM on a frozen map).
   */
  updateBatch(keys: readonly K[], values: readonly V[], options?: LockOption): number {
    const op = 'updateBatch';
    this.checkOpen('BPF_MAP_UPDATE_BATCH');
    if (!Array.isArray(keys)) throw new TypeError(`${this.where(op)}: keys must be an array, got ${describeValue(keys)}`);
    if (!Array.isArray(values)) throw new TypeError(`${this.where(op)}: values must be an array, got ${describeValue(values)}`);
    // Each length and each element is read once.
    const n = keys.length;
    const nv = values.length;
    if (n !== nv) throw new RangeError(`${this.where(op)}: needs as many values as keys (${n} keys, ${nv} values)`);
    const flags = this.#lockFlag(op, options);
    return this.#walker.write(BatchOp.Update, op, 'BPF_MAP_UPDATE_BATCH', n, keys, values, flags);
  }

  /**
   * BPF_MAP_DELETE_BATCH: deletes in order, stopping (ENOENT) at the first absent key; the BpfError's
   * `processed` says how many were deleted.
   */
  deleteBatch(keys: readonly K[]): number {
    const op = 'deleteBatch';
    this.checkOpen('BPF_MAP_DELETE_BATCH');
    if (!Array.isArray(keys)) throw new TypeError(`${this.where(op)}: keys must be an array, got ${describeValue(keys)}`);
    return this.#walker.write(BatchOp.Delete, op, 'BPF_MAP_DELETE_BATCH', keys.length, keys, undefined, 0);
  }

  /** Releases the map's fd. Idempotent; later calls on the handle throw EBADF. */
  override close(): void {
    super.close();
    this.#walker.release();
  }

  #update(op: string, key: K, value: V, flags: number, options: LockOption | undefined): void {
    this.checkOpen('BPF_MAP_UPDATE_ELEM');
    const lock = this.#lockFlag(op, options);
    // Both encodes come before the syscall: a bad key or value leaves the map as it was.
    this.#encodeKey(op, key);
    this.#encode(op, 'value', this.valueCodec, value, this.#valueView, 0);
    const rc = this.#scratch.update(flags | lock);
    if (rc !== 0) throw this.error('BPF_MAP_UPDATE_ELEM', rc);
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

  #chunks(options: LockOption | undefined): Generator<[K[], V[]]> {
    return this.#walker.chunks(options, (o) => this.lookupBatch(o));
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
 * An LPM trie (kernel/bpf/lpm_trie.c): keys are prefixes, a u32 prefixlen and the data's first prefixlen bits
 * (codec/lpm-key.ts lpmKey, or any key codec of 4 + data bytes). `get` is the longest-prefix match: the value
 * of the most specific prefix in the trie that covers the key's first prefixlen bits (give the whole address
 * with prefixlen = maxPrefixlen to match an address). `set`, `insert`, `replace`, `delete` and `nextKey` take
 * exact prefixes; iteration is get_next_key's postorder, more specific prefixes before those that cover them.
 * The kernel has no lookup-and-delete for tries (ENOTSUPP).
 */
export class LpmTrieMap<K, V> extends BpfMap<K, V> {
  /** The prefix lengths the trie holds: 8 × its data bytes (key_size − 4). */
  readonly maxPrefixlen: number;

  constructor(handle: MapHandle, engine: Engine, key: Codec<K>, value: Codec<V>) {
    super(handle, engine, key, value, false);
    this.maxPrefixlen = (handle.info.keySize - LPM_KEY_DATA_OFFSET) * 8;
  }
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
  const subject = subjectOf({ map: info.name, mapId: info.id });
  if (isKeyless(info.type)) {
    // Its handle is a QueueMap or BloomFilterMap (wrap-keyless.ts), which the caller asks for by its type.
    handle.close();
    throw new TypeError(`${subject} is a ${mapTypeName(info.type)} map, which has no keys: open it with { type: '${mapTypeName(info.type)}', value }`);
  }
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
  // The engine's own buffer size (the addon's, on the kernel) must be what the codecs make.
  const bufferSize = valueBufferSize(value.size, isPerCpu(info.type), engine.possibleCpus());
  if (bufferSize !== handle.layout.valueBufferSize) {
    handle.close();
    throw new TypeError(`${subject}: the engine copies ${handle.layout.valueBufferSize}-byte values, the codecs make ${bufferSize} (possible CPUs: ${engine.possibleCpus()})`);
  }
  if (isPerCpu(info.type)) return new PerCpuMap(handle, engine, key, value, engine.possibleCpus());
  if (info.type === MapType.LpmTrie) return new LpmTrieMap(handle, engine, key, value);
  const hasSpinLock = lockFields(value).some((l) => l.kind === 'spin');
  return new BpfMap(handle, engine, key, value, hasSpinLock);
}
