// How a BpfMap walks its map: batch buffers (grown on demand, the ENOSPC retry), cursors, and iteration
// by batch lookups with get_next_key as the fallback. BpfMap (src/map/map.ts) keeps the element operations
// and hands this module closures over what it owns (cilium/ebpf's MapIterator is the model).
import type { Codec } from '../codec/types.js';
import type { BatchOpId, BpfCommand } from '../uapi/bpf.js';
import type { MapHandle } from '../seam/engine.js';
import { EINTR, ENOENT, ENOSPC } from '../uapi/errno.js';
import { BpfError, describeValue } from '../errors/errors.js';

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

/** What the walker asks of its map: BpfMap passes closures over its private state. */
export interface WalkedMap<K, V> {
  readonly handle: MapHandle;
  readonly keyCodec: Codec<K>;
  readonly valueCodec: Codec<V>;
  readonly maxEntries: number;
  readonly subject: string;
  /** "lookupBatch on map 'x'": how argument errors begin. */
  where(operation: string): string;
  /** EBADF when the handle is closed. */
  open(syscall: BpfCommand): void;
  error(syscall: BpfCommand, rc: number, processed?: number): BpfError;
  /** BPF_F_LOCK or 0, from the call's options and the map's default. */
  lockFlag(operation: string, options: unknown): number;
  /** Encodes one element, restating a codec's error with the operation and `what` (keys[3], ...). */
  encode<T>(operation: string, what: string, codec: Codec<T>, value: T, view: DataView, offset: number): void;
  get(key: K, options?: LockOption): V | undefined;
  nextKey(key?: K): K | undefined;
}

/** One map's batch buffers and walks. Its buffers go with release() (the map's close()). */
export class MapWalker<K, V> {
  readonly #map: WalkedMap<K, V>;
  // Grown when a call needs more (never past what the call's elements need: lookups are bounded by
  // maxEntries, writes by the elements actually encoded).
  #keys = new Uint8Array(0);
  #values = new Uint8Array(0);
  readonly #count = new Uint32Array(1);
  /** Cursors this walker issued, with its own copy of each token (the user's copy may be changed or detached). */
  readonly #cursors = new WeakMap<object, Uint8Array>();

  constructor(map: WalkedMap<K, V>) {
    this.#map = map;
  }

  release(): void {
    this.#keys = new Uint8Array(0);
    this.#values = new Uint8Array(0);
  }

  /**
   * One BPF_MAP_LOOKUP_BATCH (or LOOKUP_AND_DELETE) step: up to `count` entries after `cursor`. A count
   * above maxEntries asks for everything (the buffers are never larger than the map can fill).
   */
  read(op: BatchOpId, name: string, syscall: BpfCommand, options: unknown): BatchResult<K, V> {
    const map = this.#map;
    map.open(syscall);
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw new TypeError(`${map.where(name)}: options must be an object, got ${describeValue(options)}`);
    }
    // Every option is read once.
    const o = options as BatchOptions | undefined;
    const count = o?.count;
    const cursor = o?.cursor;
    let want: number;
    if (count === undefined) {
      want = defaultBatchCount;
    } else if (typeof count !== 'number' || !Number.isInteger(count)) {
      throw new TypeError(`${map.where(name)}: count must be an integer, got ${describeValue(count)}`);
    } else if (count < 1 || count > 0xffffffff) {
      throw new RangeError(`${map.where(name)}: count must be in [1, 4294967295], got ${count}`);
    } else {
      want = count;
    }
    // No call returns more than the map holds: the buffers are bounded by maxEntries.
    const most = map.maxEntries + 1;
    want = Math.min(want, map.maxEntries);
    const inToken = this.#cursorToken(name, cursor);
    const flags = map.lockFlag(name, o);
    const outToken = this.#newToken();
    for (;;) {
      this.#grow(want, true);
      this.#count[0] = want;
      const rc = map.handle.batch(op, inToken, outToken, this.#keys, this.#values, this.#count, flags);
      const got = this.#count[0]!;
      // A hash bucket larger than `want` cannot be split: the kernel answers ENOSPC having copied
      // nothing. Grow the chunk and ask again rather than fail.
      if (rc === ENOSPC && got === 0 && want < most) {
        want = Math.min(want * 2, most);
        continue;
      }
      if (rc !== 0 && rc !== ENOENT) throw map.error(syscall, rc, processedOf(want, got));
      const keys = new Array<K>(got);
      const values = new Array<V>(got);
      const kv = viewOf(this.#keys);
      const vv = viewOf(this.#values);
      for (let i = 0; i < got; i++) {
        keys[i] = map.keyCodec.decode(kv, i * map.keyCodec.size);
        values[i] = map.valueCodec.decode(vv, i * map.valueCodec.size);
      }
      return { keys, values, cursor: this.#issueCursor(outToken), done: rc === ENOENT };
    }
  }

  /**
   * BPF_MAP_UPDATE_BATCH (with `values`) or BPF_MAP_DELETE_BATCH (without): encodes every element, then
   * one call; returns how many were processed, or throws with `processed` set. `n` is the length the
   * caller read (once) from the arrays.
   */
  write(op: BatchOpId, name: string, syscall: BpfCommand, n: number, keys: readonly K[], values: readonly V[] | undefined, flags: number): number {
    const map = this.#map;
    const ks = map.keyCodec.size;
    const vs = map.valueCodec.size;
    let kv = viewOf(this.#keys);
    let vv = viewOf(this.#values);
    for (let i = 0; i < n; i++) {
      // Grown as elements are encoded, so a huge or sparse array fails at its first bad element
      // without first allocating room for all of it.
      if ((i + 1) * ks > this.#keys.length || (values && (i + 1) * vs > this.#values.length)) {
        this.#grow(Math.min(n, Math.max(64, i * 2)), values !== undefined);
        kv = viewOf(this.#keys);
        vv = viewOf(this.#values);
      }
      map.encode(name, `keys[${i}]`, map.keyCodec, keys[i]!, kv, i * ks);
      if (values) map.encode(name, `values[${i}]`, map.valueCodec, values[i]!, vv, i * vs);
    }
    this.#count[0] = n;
    const rc = map.handle.batch(op, null, this.#newToken(), this.#keys, this.#values, this.#count, flags);
    if (rc !== 0) throw map.error(syscall, rc, processedOf(n, this.#count[0]!));
    return this.#count[0]!;
  }

  /**
   * The map's entries in chunks. Hash maps are walked with batch lookups whose cursor is a bucket index,
   * so the walk visits each bucket once and always ends; where batch ops are missing (kernels before 5.6,
   * map types without them) it falls back to get_next_key.
   */
  *chunks(options: LockOption | undefined, lookupBatch: (options: BatchOptions) => BatchResult<K, V>): Generator<[K[], V[]]> {
    this.#map.open('BPF_MAP_LOOKUP_BATCH');
    let cursor: BatchCursor | undefined;
    for (;;) {
      let result: BatchResult<K, V>;
      try {
        result = lookupBatch({ ...options, ...(cursor ? { cursor } : {}) });
      } catch (e) {
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
    const map = this.#map;
    let key = map.nextKey();
    for (let steps = 0; key !== undefined; steps++) {
      if (steps > map.maxEntries) {
        throw new BpfError('BPF_MAP_GET_NEXT_KEY', EINTR, {
          subject: map.subject,
          detail: 'iteration aborted: the map changed faster than it could be walked',
        });
      }
      const value = map.get(key, options);
      if (value !== undefined) yield [[key], [value]];
      key = map.nextKey(key);
    }
  }

  /** Room for `n` elements, keeping what the buffers hold. */
  #grow(n: number, withValues: boolean): void {
    const k = n * this.#map.keyCodec.size;
    if (this.#keys.length < k) {
      const keys = new Uint8Array(k);
      keys.set(this.#keys);
      this.#keys = keys;
    }
    const v = withValues ? n * this.#map.valueCodec.size : 0;
    if (this.#values.length < v) {
      const values = new Uint8Array(v);
      values.set(this.#values);
      this.#values = values;
    }
  }

  #newToken(): Uint8Array {
    // Hash maps take a u32 bucket index, arrays a key: the handle knows which (map-layout.ts).
    return new Uint8Array(this.#map.handle.layout.tokenSize);
  }

  /** The token of a cursor this walker issued; TypeError for anything else. */
  #cursorToken(op: string, cursor: unknown): Uint8Array | null {
    if (cursor === undefined) return null;
    const token = cursor !== null && typeof cursor === 'object' ? this.#cursors.get(cursor) : undefined;
    if (token === undefined) {
      throw new TypeError(`${this.#map.where(op)}: cursor must be a result.cursor this map's lookupBatch returned, got ${describeValue(cursor)}`);
    }
    const visible = (cursor as BatchCursor).token;
    if (!(visible instanceof Uint8Array) || visible.byteLength !== token.byteLength) {
      throw new TypeError(`${this.#map.where(op)}: cursor's token was detached or replaced`);
    }
    return token;
  }

  #issueCursor(token: Uint8Array): BatchCursor {
    const cursor = Object.freeze({ token: token.slice() });
    this.#cursors.set(cursor, token);
    return cursor;
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

export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
