// HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH as kernel/bpf/hashtab.c builds them: n_buckets =
// roundup_pow_of_two(max_entries) singly linked buckets, new elements at the bucket head, elements in flat
// slabs addressed by index (so programs address a value in place). The slabs are SharedArrayBuffers every
// emulated CPU attaches to (shared.ts); every operation holds the map's structure lock while it walks or
// changes buckets and free lists (the kernel's bucket locks, coarser), never while a program runs.
import { roundUp8, valueBufferSize } from '../map-layout.js';
import { htabHash } from './jhash.js';
import { BpfLru, type LruState } from './lru.js';
import { E2BIG, EINVAL, ENOENT, ENOMEM, ENOSPC } from '../errno.js';
import { BPF_EXIST, BPF_F_LOCK, checkFlags, clearLock, copyBytes, copyExceptLock, type MapShape } from './storage.js';
import { lockWord, sharedBytes, sharedInt32, sharedValueSlab, unlockWord, whileLocked, type SharedViews } from './shared.js';

export interface HashOptions {
  lru: boolean;
  /** BPF_F_NO_COMMON_LRU */
  percpuLru: boolean;
  seed: number;
  /** LRU target_free (bpf_lru_list.c), for LRU maps. */
  targetFree: number;
}

const roundUpPow2 = (n: number): number => (n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n)));

// The header word indices: the map's structure lock, the element count, the next never-used element,
// the free stack's height (non-LRU maps).
const LOCK = 0;
const COUNT = 1;
const FRESH = 2;
const FREE_TOP = 3;
/** A sequence count, odd while a change is under way: lookups read without the lock and check it (a seqlock). */
const SEQ = 4;
const HEADER = 5;
/** Lock-free attempts before a lookup takes the lock. */
const OPTIMISTIC_TRIES = 4;

/** Everything a HashTable is, as shared views: post it to a worker and attach there with `new HashTable(...)`. */
export interface HashState {
  shape: MapShape;
  opts: HashOptions;
  views: {
    header: Int32Array;
    /** Bucket heads as element index + 1 (0: empty), so a fresh SharedArrayBuffer is an empty table. */
    buckets: Int32Array;
    /** Bucket chains, index + 1 as for buckets. */
    next: Int32Array;
    hashes: Uint32Array;
    keys: Uint8Array;
    values: Uint8Array;
    free: Int32Array;
  } & SharedViews;
  lru?: LruState;
}

export class HashTable {
  readonly shape: MapShape;
  readonly nBuckets: number;
  /** Bytes of one element's value as the syscall sees it: value_size, or round_up(value_size, 8) × ncpu. */
  readonly stride: number;
  /** Bytes between two elements' values in the slab: stride rounded up to 8, as the kernel aligns values. */
  readonly #elem: number;
  readonly #slot: number;
  readonly #mask: number;
  readonly #seed: number;
  readonly #header: Int32Array;
  readonly #buckets: Int32Array;
  readonly #next: Int32Array;
  readonly #hashes: Uint32Array;
  readonly #keys: Uint8Array;
  readonly #values: Uint8Array;
  /** The value slab's buffer as Int32 words: the lock words BPF_F_LOCK takes. */
  readonly #words: Int32Array;
  // Element indices never used yet start at header[FRESH]; freed ones go on #free (non-LRU maps).
  readonly #free: Int32Array;
  readonly #lru: BpfLru | undefined;
  readonly #state: HashState;

  /** A new, empty table; or, given `state` (from another thread's table), the same table attached. */
  constructor(shape: MapShape, opts: HashOptions, state?: HashState) {
    this.shape = shape;
    this.#slot = roundUp8(shape.valueSize);
    this.stride = valueBufferSize(shape.valueSize, shape.percpu, shape.ncpu);
    this.#elem = roundUp8(this.stride);
    this.nBuckets = roundUpPow2(shape.maxEntries);
    this.#mask = this.nBuckets - 1;
    this.#seed = opts.seed | 0;
    // Every element exists from the start (the kernel preallocates unless BPF_F_NO_PREALLOC; either way
    // max_entries bounds the count), in memory the OS commits only when touched.
    const n = opts.lru ? shape.maxEntries : shape.maxEntries + 1;
    const views = state?.views ?? {
      header: sharedInt32(HEADER),
      buckets: sharedInt32(this.nBuckets),
      next: sharedInt32(n),
      hashes: new Uint32Array(sharedInt32(n).buffer),
      keys: sharedBytes(n * shape.keySize),
      values: sharedValueSlab(n * this.#elem),
      free: sharedInt32(opts.lru ? 0 : n),
    };
    this.#header = views.header;
    this.#buckets = views.buckets;
    this.#next = views.next;
    this.#hashes = views.hashes;
    this.#keys = views.keys;
    this.#values = views.values;
    this.#words = new Int32Array(views.values.buffer);
    this.#free = views.free;
    if (opts.lru) {
      this.#lru = new BpfLru(
        { nrElems: shape.maxEntries, ncpu: shape.ncpu, percpu: opts.percpuLru, targetFree: opts.targetFree },
        (node) => this.#unlinkIfPresent(node),
        state?.lru,
      );
      if (!state) this.#lru.populate();
    }
    this.#state = { shape, opts, views, ...(this.#lru ? { lru: this.#lru.state } : {}) };
  }

  /** This table's shared memory, to attach from another thread. */
  get state(): HashState {
    return this.#state;
  }

  get count(): number {
    return Atomics.load(this.#header, COUNT);
  }

  // ---- elements (the structure lock held) ----

  /**
   * The element holding `key`, or -1. Bounded: a lock-free reader racing a change may follow a chain into
   * a reused element and loop; it gives up, and the sequence check makes it retry.
   */
  #find(key: Uint8Array, off: number, hash: number): number {
    const ks = this.shape.keySize;
    const keys = this.#keys;
    let hops = this.#next.length;
    for (let i = this.#buckets[hash & this.#mask]! - 1; i >= 0 && hops-- > 0; i = this.#next[i]! - 1) {
      if (this.#hashes[i] !== hash) continue;
      const base = i * ks;
      let j = 0;
      while (j < ks && keys[base + j] === key[off + j]) j++;
      if (j === ks) return i;
    }
    return -1;
  }

  #link(i: number): void {
    const b = this.#hashes[i]! & this.#mask;
    this.#next[i] = this.#buckets[b]!;
    this.#buckets[b] = i + 1;
  }

  /** Unlinks element i from its bucket; false if it is not linked there (htab_lru_map_delete_node). */
  #unlinkIfPresent(i: number): boolean {
    const b = this.#hashes[i]! & this.#mask;
    let prev = -1;
    for (let j = this.#buckets[b]! - 1; j >= 0; prev = j, j = this.#next[j]! - 1) {
      if (j !== i) continue;
      if (prev < 0) this.#buckets[b] = this.#next[i]!;
      else this.#next[prev] = this.#next[i]!;
      this.#header[COUNT]!--;
      return true;
    }
    return false;
  }

  /**
   * A free element index for a new key (prealloc freelist / non-prealloc alloc); -1 when full. A
   * replacing update may take one more (the kernel's extra_elems): the slab has max_entries + 1 elements.
   */
  #alloc(replacing = false): number {
    const h = this.#header;
    if (!replacing && h[COUNT]! >= this.shape.maxEntries) return -1;
    if (h[FREE_TOP]! > 0) return this.#free[--h[FREE_TOP]!]!;
    return h[FRESH]!++;
  }

  #release(i: number): void {
    if (this.#lru) this.#lru.pushFree(i);
    else this.#free[this.#header[FREE_TOP]!++] = i;
  }

  #setKey(i: number, key: Uint8Array, off: number, hash: number): void {
    const ks = this.shape.keySize;
    copyBytes(key, off, this.#keys, i * ks, ks);
    this.#hashes[i] = hash;
  }

  /**
   * Copies a syscall value into element i (all CPUs for per-CPU maps), leaving the lock word zero; with
   * `withValueLock` (BPF_F_LOCK), under the value's bpf_spin_lock and sparing the word (copy_map_value_locked).
   */
  #writeAll(i: number, value: Uint8Array, off: number, withValueLock = false): void {
    const base = i * this.#elem;
    if (withValueLock) return this.#underValueLock(base, () => copyExceptLock(value, off, this.#values, base, this.stride, this.shape.lockOffset));
    copyBytes(value, off, this.#values, base, this.stride);
    clearLock(this.#values, base, this.shape.lockOffset);
  }

  #underValueLock(base: number, copy: () => void): void {
    whileLocked(this.#words, (this.#values.byteOffset + base + this.shape.lockOffset) >> 2, copy);
  }

  /** A program's value: this CPU's slot only; `fresh` zeroes the other CPUs (hashtab.c pcpu_init_value). */
  #writeCpu(i: number, value: Uint8Array, cpu: number, fresh: boolean): void {
    const base = i * this.#elem;
    if (fresh) this.#values.fill(0, base, base + this.stride);
    this.#values.set(value.subarray(0, this.shape.valueSize), base + cpu * this.#slot);
  }

  #readAll(i: number, out: Uint8Array, off: number, withValueLock = false): void {
    const base = i * this.#elem;
    if (withValueLock) this.#underValueLock(base, () => copyBytes(this.#values, base, out, off, this.stride));
    else copyBytes(this.#values, base, out, off, this.stride);
    clearLock(out, off, this.shape.lockOffset);
  }

  /** Takes the structure lock for a change; lock-free readers see an odd sequence until #endChange. */
  #beginChange(): void {
    lockWord(this.#header, LOCK);
    Atomics.add(this.#header, SEQ, 1);
  }

  #endChange(): void {
    Atomics.add(this.#header, SEQ, 1);
    unlockWord(this.#header, LOCK);
  }

  // ---- syscall side ----

  /** `withValueLock`: BPF_F_LOCK, the copy taken under the value's bpf_spin_lock. */
  lookup(key: Uint8Array, out: Uint8Array, withValueLock = false): number {
    if (!withValueLock) {
      for (let t = 0; t < OPTIMISTIC_TRIES; t++) {
        const seq = Atomics.load(this.#header, SEQ);
        if (seq & 1) continue;
        const rc = this.#lookupLocked(key, out, false);
        if (Atomics.load(this.#header, SEQ) === seq) return rc;
      }
    }
    lockWord(this.#header, LOCK);
    try {
      return this.#lookupLocked(key, out, withValueLock);
    } finally {
      unlockWord(this.#header, LOCK);
    }
  }

  #lookupLocked(key: Uint8Array, out: Uint8Array, withValueLock: boolean): number {
    const i = this.#find(key, 0, htabHash(key, 0, this.shape.keySize, this.#seed));
    if (i < 0) return ENOENT;
    // Syscall lookups never set the LRU ref bit (htab_lru_map_lookup_elem_sys).
    this.#readAll(i, out, 0, withValueLock);
    return 0;
  }

  /** htab_map_update_elem and its per-CPU and LRU variants; `fromProgram` writes `cpu`'s slot only (per-CPU maps). */
  update(key: Uint8Array, koff: number, value: Uint8Array, voff: number, flags: number, cpu: number, fromProgram: boolean): number {
    this.#beginChange();
    try {
      return this.#updateLocked(key, koff, value, voff, flags, cpu, fromProgram);
    } finally {
      this.#endChange();
    }
  }

  #updateLocked(key: Uint8Array, koff: number, value: Uint8Array, voff: number, flags: number, cpu: number, fromProgram: boolean): number {
    const lru = this.#lru !== undefined;
    const percpu = this.shape.percpu;
    // Per-CPU and LRU maps refuse every flag above BPF_EXIST, BPF_F_LOCK included; HASH allows F_LOCK.
    if ((percpu || lru ? flags : flags & ~BPF_F_LOCK) > BPF_EXIST) return EINVAL;
    const hash = htabHash(key, koff, this.shape.keySize, this.#seed);
    if (lru) return percpu ? this.#updateLruPercpu(key, koff, value, voff, flags, cpu, fromProgram, hash) : this.#updateLru(key, koff, value, voff, flags, cpu, hash);

    const old = this.#find(key, koff, hash);
    const rc = checkFlags(old >= 0, flags);
    if (rc) return rc;
    if (old >= 0) {
      if (percpu) {
        // Per-CPU values are updated in place: the element keeps its place in the bucket.
        if (fromProgram) this.#writeCpu(old, value, cpu, false);
        else this.#writeAll(old, value, voff);
        return 0;
      }
      if (flags & BPF_F_LOCK) {
        // copy_map_value_locked: in place, under the element's lock.
        this.#writeAll(old, value, voff, true);
        return 0;
      }
      // A replacing update links a new element at the bucket head, then unlinks and frees the old one
      // (alloc_htab_elem with l_old: allowed on a full map), so a program still holding the old value's
      // address (or its lock) keeps the old element.
      const i = this.#alloc(true);
      this.#setKey(i, key, koff, hash);
      this.#writeAll(i, value, voff);
      this.#link(i);
      this.#header[COUNT]!++;
      this.#unlinkIfPresent(old);
      this.#release(old);
      return 0;
    }
    const i = this.#alloc();
    if (i < 0) return E2BIG; // existence was checked first: a full map still accepts updates of present keys
    this.#setKey(i, key, koff, hash);
    if (percpu && fromProgram) this.#writeCpu(i, value, cpu, true);
    else this.#writeAll(i, value, voff);
    this.#link(i);
    this.#header[COUNT]!++;
    return 0;
  }

  /** htab_lru_map_update_elem: a node is popped (and maybe another key evicted) before the key is looked up. */
  #updateLru(key: Uint8Array, koff: number, value: Uint8Array, voff: number, flags: number, cpu: number, hash: number): number {
    const lru = this.#lru!;
    const node = lru.popFree(cpu, hash);
    if (node < 0) return ENOMEM;
    this.#setKey(node, key, koff, hash);
    this.#writeAll(node, value, voff);
    const old = this.#find(key, koff, hash);
    const rc = checkFlags(old >= 0, flags);
    if (rc) {
      lru.pushFree(node);
      return rc;
    }
    this.#link(node);
    this.#header[COUNT]!++;
    if (old >= 0) {
      lru.setRef(node);
      this.#unlinkIfPresent(old);
      lru.pushFree(old);
    }
    return 0;
  }

  /** __htab_lru_percpu_map_update_elem: in place when present (setting the ref bit); BPF_EXIST pops nothing. */
  #updateLruPercpu(key: Uint8Array, koff: number, value: Uint8Array, voff: number, flags: number, cpu: number, fromProgram: boolean, hash: number): number {
    const lru = this.#lru!;
    let node = -1;
    if (flags !== BPF_EXIST) {
      node = lru.popFree(cpu, hash);
      if (node < 0) return ENOMEM;
    }
    const old = this.#find(key, koff, hash);
    const rc = checkFlags(old >= 0, flags);
    if (rc === 0 && old >= 0) {
      lru.setRef(old);
      if (fromProgram) this.#writeCpu(old, value, cpu, false);
      else this.#writeAll(old, value, voff);
    } else if (rc === 0) {
      this.#setKey(node, key, koff, hash);
      if (fromProgram) this.#writeCpu(node, value, cpu, true);
      else this.#writeAll(node, value, voff);
      this.#link(node);
      this.#header[COUNT]!++;
      return 0;
    }
    if (node >= 0) lru.pushFree(node);
    return rc;
  }

  delete(key: Uint8Array, koff: number): number {
    this.#beginChange();
    try {
      return this.#deleteLocked(key, koff);
    } finally {
      this.#endChange();
    }
  }

  #deleteLocked(key: Uint8Array, koff: number): number {
    const i = this.#find(key, koff, htabHash(key, koff, this.shape.keySize, this.#seed));
    if (i < 0) return ENOENT;
    this.#unlinkIfPresent(i);
    this.#release(i);
    return 0;
  }

  lookupAndDelete(key: Uint8Array, out: Uint8Array, withValueLock = false): number {
    this.#beginChange();
    try {
      return this.#lookupAndDeleteLocked(key, out, withValueLock);
    } finally {
      this.#endChange();
    }
  }

  #lookupAndDeleteLocked(key: Uint8Array, out: Uint8Array, withValueLock: boolean): number {
    const i = this.#find(key, 0, htabHash(key, 0, this.shape.keySize, this.#seed));
    if (i < 0) return ENOENT;
    this.#readAll(i, out, 0, withValueLock);
    this.#unlinkIfPresent(i);
    this.#release(i);
    return 0;
  }

  /** htab_map_get_next_key: the next key in the bucket, else the next non-empty bucket's head. */
  getNextKey(key: Uint8Array | null, next: Uint8Array): number {
    for (let t = 0; t < OPTIMISTIC_TRIES; t++) {
      const seq = Atomics.load(this.#header, SEQ);
      if (seq & 1) continue;
      const rc = this.#getNextKeyLocked(key, next);
      if (Atomics.load(this.#header, SEQ) === seq) return rc;
    }
    lockWord(this.#header, LOCK);
    try {
      return this.#getNextKeyLocked(key, next);
    } finally {
      unlockWord(this.#header, LOCK);
    }
  }

  #getNextKeyLocked(key: Uint8Array | null, next: Uint8Array): number {
    let b = 0;
    if (key) {
      const hash = htabHash(key, 0, this.shape.keySize, this.#seed);
      const i = this.#find(key, 0, hash);
      if (i >= 0) {
        const n = this.#next[i]! - 1;
        if (n >= 0) return this.#copyKey(n, next, 0), 0;
        b = (hash & this.#mask) + 1;
      }
    }
    for (; b < this.nBuckets; b++) {
      const head = this.#buckets[b]! - 1;
      if (head >= 0) return this.#copyKey(head, next, 0), 0;
    }
    return ENOENT;
  }

  #copyKey(i: number, out: Uint8Array, off: number): void {
    const ks = this.shape.keySize;
    copyBytes(this.#keys, i * ks, out, off, ks);
  }

  /**
   * __htab_map_lookup_and_delete_batch: whole buckets from bucket `*inBatch`; a bucket that does not fit
   * in what is left of `count` ends the call (ENOSPC if nothing was copied); past the last bucket, ENOENT.
   */
  lookupBatch(inBatch: Uint8Array | null, outBatch: Uint8Array, keys: Uint8Array, values: Uint8Array, count: Uint32Array, del: boolean): number {
    this.#beginChange();
    try {
      return this.#lookupBatchLocked(inBatch, outBatch, keys, values, count, del);
    } finally {
      this.#endChange();
    }
  }

  #lookupBatchLocked(inBatch: Uint8Array | null, outBatch: Uint8Array, keys: Uint8Array, values: Uint8Array, count: Uint32Array, del: boolean): number {
    const max = count[0]!;
    if (max === 0) return 0;
    count[0] = 0;
    const view = new DataView(outBatch.buffer, outBatch.byteOffset, 4);
    let batch = inBatch ? new DataView(inBatch.buffer, inBatch.byteOffset, 4).getUint32(0, true) : 0;
    if (batch >= this.nBuckets) return ENOENT;
    let total = 0;
    let rc = 0;
    const toFree: number[] = [];
    for (;;) {
      let n = 0;
      for (let i = this.#buckets[batch]! - 1; i >= 0; i = this.#next[i]! - 1) n++;
      if (n > max - total) {
        if (total === 0) rc = ENOSPC;
        break;
      }
      // LRU nodes are freed after the bucket, last copied first (the kernel chains them on batch_flink).
      toFree.length = 0;
      for (let i = this.#buckets[batch]! - 1; i >= 0; ) {
        const next = this.#next[i]! - 1;
        this.#copyKey(i, keys, total * this.shape.keySize);
        this.#readAll(i, values, total * this.stride);
        if (del) {
          this.#unlinkIfPresent(i);
          toFree.push(i);
        }
        total++;
        i = next;
      }
      for (let k = toFree.length - 1; k >= 0; k--) this.#release(toFree[k]!);
      batch++;
      if (batch >= this.nBuckets) {
        rc = ENOENT;
        break;
      }
    }
    view.setUint32(0, batch, true);
    count[0] = total;
    return rc;
  }

  // ---- program side ----

  /**
   * A program's bpf_map_lookup_elem as the kernel answers it: the address of the value in place (here its
   * byte offset in `values`, which stays valid while the element lives), or -1. Sets the LRU ref bit.
   * The key is keySize bytes of `key` from `keyOffset` (a program's stack, read in place: no copy).
   */
  programValueOffset(key: Uint8Array, cpu: number, keyOffset = 0): number {
    const hash = htabHash(key, keyOffset, this.shape.keySize, this.#seed);
    let i = -1;
    let found = false;
    for (let t = 0; t < OPTIMISTIC_TRIES && !found; t++) {
      const seq = Atomics.load(this.#header, SEQ);
      if (seq & 1) continue;
      i = this.#find(key, keyOffset, hash);
      found = Atomics.load(this.#header, SEQ) === seq;
    }
    if (!found) {
      lockWord(this.#header, LOCK);
      i = this.#find(key, keyOffset, hash);
      unlockWord(this.#header, LOCK);
    }
    if (i < 0) return -1;
    // RCU-like, as the kernel: the element may be deleted right after; its memory stays a value slot.
    this.#lru?.setRef(i);
    return i * this.#elem + (this.shape.percpu ? cpu * this.#slot : 0);
  }

  /** The value slab (fixed for the map's life; element i's value at i × round_up(stride, 8)). */
  get values(): Uint8Array {
    return this.#values;
  }
}
