// HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH as kernel/bpf/hashtab.c builds them: n_buckets =
// roundup_pow_of_two(max_entries) singly linked buckets, new elements at the bucket head, elements in flat
// slabs addressed by index (so programs address a value in place). The slabs are SharedArrayBuffers every
// emulated CPU attaches to (shared.ts), with the kernel's locks over them: a lock per bucket for changing
// its chain, the free list's lock, the LRU lists' lock (one here, where bpf_lru_list.c has a global one and
// per-CPU ones), always taken LRU → bucket → free list; lookups take none and retry on a version change.
import { roundUp8, valueBufferSize } from '../map-layout.js';
import { htabHash } from './jhash.js';
import { BpfLru, type LruState } from './lru.js';
import { E2BIG, EINVAL, ENOENT, ENOMEM, ENOSPC } from '../errno.js';
import { BPF_EXIST, BPF_F_LOCK, checkFlags, clearLock, copyBytes, copyExceptLock, copyValueOut, type MapShape } from './storage.js';
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

// The header words: the allocator's lock (non-LRU maps: the free stack and the never-used elements), the
// element count, the next never-used element, the free stack's height, and the LRU lists' lock.
const ALLOC = 0;
const COUNT = 1;
const FRESH = 2;
const FREE_TOP = 3;
const LRU = 4;
const HEADER = 5;
/** Lock-free attempts before a reader takes the bucket lock. */
const OPTIMISTIC_TRIES = 4;
/** Spins on a held bucket lock before sleeping a little (holders keep it for one element's change). */
const BUCKET_SPINS = 64;

/** Everything a HashTable is, as shared views: post it to a worker and attach there with `new HashTable(...)`. */
export interface HashState {
  shape: MapShape;
  opts: HashOptions;
  views: {
    header: Int32Array;
    /** Bucket heads as element index + 1 (0: empty), so a fresh SharedArrayBuffer is an empty table. */
    buckets: Int32Array;
    /**
     * One word per bucket, the kernel's bucket lock (hashtab.c htab_lock_bucket) as a sequence lock: even
     * = free (a version), odd = held. Writers take it; readers never do, they check the version (RCU's role).
     */
    locks: Int32Array;
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
  readonly #locks: Int32Array;
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
    // A replacing update takes a new element before it frees the old one, uncounted, so a full map still
    // replaces: the kernel keeps an extra element per CPU (hashtab.c extra_elems); here one per emulated CPU
    // and one for the main thread, since all of them may be replacing at once.
    const n = opts.lru ? shape.maxEntries : shape.maxEntries + shape.ncpu + 1;
    const views = state?.views ?? {
      header: sharedInt32(HEADER),
      buckets: sharedInt32(this.nBuckets),
      locks: sharedInt32(this.nBuckets),
      next: sharedInt32(n),
      hashes: new Uint32Array(sharedInt32(n).buffer),
      keys: sharedBytes(n * shape.keySize),
      values: sharedValueSlab(n * this.#elem),
      free: sharedInt32(opts.lru ? 0 : n),
    };
    this.#header = views.header;
    this.#buckets = views.buckets;
    this.#locks = views.locks;
    this.#next = views.next;
    this.#hashes = views.hashes;
    this.#keys = views.keys;
    this.#values = views.values;
    this.#words = new Int32Array(views.values.buffer);
    this.#free = views.free;
    if (opts.lru) {
      this.#lru = new BpfLru(
        { nrElems: shape.maxEntries, ncpu: shape.ncpu, percpu: opts.percpuLru, targetFree: opts.targetFree },
        (node) => this.#evict(node),
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

  // ---- locks ----

  /** htab_lock_bucket: the bucket's word from even (free) to odd (held). */
  #lockBucket(b: number): void {
    const locks = this.#locks;
    for (let spins = 0; ; spins++) {
      const v = Atomics.load(locks, b);
      if ((v & 1) === 0 && Atomics.compareExchange(locks, b, v, v + 1) === v) return;
      // The holder changes one chain and lets go; unlock does not notify, so sleep briefly, not forever.
      if (spins >= BUCKET_SPINS) Atomics.wait(locks, b, v, 0.05);
    }
  }

  /** htab_unlock_bucket: back to even, a new version (lock-free readers that overlapped retry). */
  #unlockBucket(b: number): void {
    Atomics.add(this.#locks, b, 1);
  }

  #lockLru(): void {
    lockWord(this.#header, LRU);
  }

  #unlockLru(): void {
    unlockWord(this.#header, LRU);
  }

  // ---- elements ----

  /**
   * The element holding `key`, or -1. Bounded: a lock-free reader racing a change may follow a chain into
   * a reused element and loop; it gives up, and the version check makes it retry.
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

  /** Links element i at its bucket's head (the bucket lock held). */
  #link(i: number): void {
    const b = this.#hashes[i]! & this.#mask;
    this.#next[i] = this.#buckets[b]!;
    this.#buckets[b] = i + 1;
    if (this.#lru) Atomics.add(this.#header, COUNT, 1);
  }

  /** Unlinks element i from its bucket (the bucket lock held); false if it is not linked there. */
  #unlink(i: number): boolean {
    const b = this.#hashes[i]! & this.#mask;
    let prev = -1;
    for (let j = this.#buckets[b]! - 1; j >= 0; prev = j, j = this.#next[j]! - 1) {
      if (j !== i) continue;
      if (prev < 0) this.#buckets[b] = this.#next[i]!;
      else this.#next[prev] = this.#next[i]!;
      if (this.#lru) Atomics.sub(this.#header, COUNT, 1);
      return true;
    }
    return false;
  }

  /** htab_lru_map_delete_node: the LRU evicts `node` (the LRU lock held; the victim's bucket lock taken here). */
  #evict(node: number): boolean {
    const b = this.#hashes[node]! & this.#mask;
    this.#lockBucket(b);
    try {
      return this.#unlink(node);
    } finally {
      this.#unlockBucket(b);
    }
  }

  /**
   * A free element for a new key (prealloc freelist / non-prealloc alloc), counted; -1 when the map is
   * full. A replacing update may take one more, uncounted (the kernel's extra_elems; see the slab's size).
   * Non-LRU maps only; the allocator's lock is the innermost.
   */
  #alloc(replacing: boolean): number {
    const h = this.#header;
    lockWord(h, ALLOC);
    try {
      if (!replacing) {
        if (h[COUNT]! >= this.shape.maxEntries) return -1;
        Atomics.add(h, COUNT, 1);
      }
      if (h[FREE_TOP]! > 0) return this.#free[--h[FREE_TOP]!]!;
      // Unreachable while the slab has its spare elements; past them, writes would land outside it.
      if (h[FRESH]! >= this.#next.length) throw new RangeError(`hash map: no spare element for a replacing update (${this.#next.length} elements)`);
      return h[FRESH]!++;
    } finally {
      unlockWord(h, ALLOC);
    }
  }

  /** Frees an unlinked element: to the free stack (counted unless it was a replaced one), or to the LRU. */
  #release(i: number, counted = true): void {
    if (this.#lru) {
      this.#lockLru();
      try {
        this.#lru.pushFree(i);
      } finally {
        this.#unlockLru();
      }
      return;
    }
    const h = this.#header;
    lockWord(h, ALLOC);
    this.#free[h[FREE_TOP]!++] = i;
    if (counted) Atomics.sub(h, COUNT, 1);
    unlockWord(h, ALLOC);
  }

  /** bpf_lru_pop_free: a node for a new element, maybe evicting another key; -1 when none can be had. */
  #popLru(cpu: number, hash: number): number {
    this.#lockLru();
    try {
      return this.#lru!.popFree(cpu, hash);
    } finally {
      this.#unlockLru();
    }
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
    else copyValueOut(this.#values, base, out, off, this.stride, this.shape);
    clearLock(out, off, this.shape.lockOffset);
  }

  // ---- syscall side ----

  /**
   * htab_map_lookup_elem from the syscall: lock-free, checked against the bucket's version. Syscall lookups
   * never set the LRU ref bit (htab_lru_map_lookup_elem_sys). `withValueLock`: BPF_F_LOCK, the copy taken
   * under the value's bpf_spin_lock (and the bucket lock, so the element stays).
   */
  lookup(key: Uint8Array, out: Uint8Array, withValueLock = false): number {
    const hash = htabHash(key, 0, this.shape.keySize, this.#seed);
    const b = hash & this.#mask;
    if (!withValueLock) {
      for (let t = 0; t < OPTIMISTIC_TRIES; t++) {
        const v = Atomics.load(this.#locks, b);
        if (v & 1) continue;
        const i = this.#find(key, 0, hash);
        if (i >= 0) this.#readAll(i, out, 0);
        if (Atomics.load(this.#locks, b) === v) return i < 0 ? ENOENT : 0;
      }
    }
    this.#lockBucket(b);
    try {
      const i = this.#find(key, 0, hash);
      if (i < 0) return ENOENT;
      this.#readAll(i, out, 0, withValueLock);
      return 0;
    } finally {
      this.#unlockBucket(b);
    }
  }

  /** htab_map_update_elem and its per-CPU and LRU variants; `fromProgram` writes `cpu`'s slot only (per-CPU maps). */
  update(key: Uint8Array, koff: number, value: Uint8Array, voff: number, flags: number, cpu: number, fromProgram: boolean): number {
    const lru = this.#lru !== undefined;
    const percpu = this.shape.percpu;
    // Per-CPU and LRU maps refuse every flag above BPF_EXIST, BPF_F_LOCK included; HASH allows F_LOCK.
    if ((percpu || lru ? flags : flags & ~BPF_F_LOCK) > BPF_EXIST) return EINVAL;
    const hash = htabHash(key, koff, this.shape.keySize, this.#seed);
    if (lru) return percpu ? this.#updateLruPercpu(key, koff, value, voff, flags, cpu, fromProgram, hash) : this.#updateLru(key, koff, value, voff, flags, cpu, hash);
    const b = hash & this.#mask;
    this.#lockBucket(b);
    try {
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
        this.#unlink(old);
        this.#release(old, false);
        return 0;
      }
      const i = this.#alloc(false);
      if (i < 0) return E2BIG; // existence was checked first: a full map still accepts updates of present keys
      this.#setKey(i, key, koff, hash);
      if (percpu && fromProgram) this.#writeCpu(i, value, cpu, true);
      else this.#writeAll(i, value, voff);
      this.#link(i);
      return 0;
    } finally {
      this.#unlockBucket(b);
    }
  }

  /**
   * htab_lru_map_update_elem: a node is popped (maybe evicting another key, under that key's bucket lock)
   * before the target bucket is locked; nodes go back to the LRU after it is unlocked.
   */
  #updateLru(key: Uint8Array, koff: number, value: Uint8Array, voff: number, flags: number, cpu: number, hash: number): number {
    const node = this.#popLru(cpu, hash);
    if (node < 0) return ENOMEM;
    this.#setKey(node, key, koff, hash);
    this.#writeAll(node, value, voff);
    const b = hash & this.#mask;
    let free = node;
    let rc: number;
    this.#lockBucket(b);
    try {
      const old = this.#find(key, koff, hash);
      rc = checkFlags(old >= 0, flags);
      if (rc === 0) {
        this.#link(node);
        free = -1;
        if (old >= 0) {
          this.#lru!.setRef(node);
          this.#unlink(old);
          free = old;
        }
      }
    } finally {
      this.#unlockBucket(b);
    }
    if (free >= 0) this.#release(free);
    return rc;
  }

  /** __htab_lru_percpu_map_update_elem: in place when present (setting the ref bit); BPF_EXIST pops nothing. */
  #updateLruPercpu(key: Uint8Array, koff: number, value: Uint8Array, voff: number, flags: number, cpu: number, fromProgram: boolean, hash: number): number {
    let node = -1;
    if (flags !== BPF_EXIST) {
      node = this.#popLru(cpu, hash);
      if (node < 0) return ENOMEM;
    }
    const b = hash & this.#mask;
    let rc: number;
    this.#lockBucket(b);
    try {
      const old = this.#find(key, koff, hash);
      rc = checkFlags(old >= 0, flags);
      if (rc === 0 && old >= 0) {
        this.#lru!.setRef(old);
        if (fromProgram) this.#writeCpu(old, value, cpu, false);
        else this.#writeAll(old, value, voff);
      } else if (rc === 0) {
        this.#setKey(node, key, koff, hash);
        if (fromProgram) this.#writeCpu(node, value, cpu, true);
        else this.#writeAll(node, value, voff);
        this.#link(node);
        node = -1;
      }
    } finally {
      this.#unlockBucket(b);
    }
    if (node >= 0) this.#release(node);
    return rc;
  }

  delete(key: Uint8Array, koff: number): number {
    return this.#remove(key, koff, null, false);
  }

  lookupAndDelete(key: Uint8Array, out: Uint8Array, withValueLock = false): number {
    return this.#remove(key, 0, out, withValueLock);
  }

  /** htab_map_delete_elem / htab_map_lookup_and_delete_elem: unlinked under the bucket lock, freed after. */
  #remove(key: Uint8Array, koff: number, out: Uint8Array | null, withValueLock: boolean): number {
    const hash = htabHash(key, koff, this.shape.keySize, this.#seed);
    const b = hash & this.#mask;
    let i: number;
    this.#lockBucket(b);
    try {
      i = this.#find(key, koff, hash);
      if (i < 0) return ENOENT;
      if (out) this.#readAll(i, out, 0, withValueLock);
      this.#unlink(i);
    } finally {
      this.#unlockBucket(b);
    }
    this.#release(i);
    return 0;
  }

  /** htab_map_get_next_key: the next key in the bucket, else the next non-empty bucket's head. */
  getNextKey(key: Uint8Array | null, next: Uint8Array): number {
    let b = 0;
    if (key) {
      const hash = htabHash(key, 0, this.shape.keySize, this.#seed);
      const kb = hash & this.#mask;
      // -1: the key is absent (start over from bucket 0); 0: its successor was copied; 1: it ends its bucket.
      let found = -2;
      for (let t = 0; t < OPTIMISTIC_TRIES && found === -2; t++) {
        const v = Atomics.load(this.#locks, kb);
        if (v & 1) continue;
        const r = this.#successor(key, hash, next);
        if (Atomics.load(this.#locks, kb) === v) found = r;
      }
      if (found === -2) {
        this.#lockBucket(kb);
        try {
          found = this.#successor(key, hash, next);
        } finally {
          this.#unlockBucket(kb);
        }
      }
      if (found === 0) return 0;
      if (found === 1) b = kb + 1;
    }
    for (; b < this.nBuckets; b++) if (this.#copyHead(b, next)) return 0;
    return ENOENT;
  }

  /** The key after `key` in its bucket, copied to `next`: 0; `key` last in its bucket: 1; absent: -1. */
  #successor(key: Uint8Array, hash: number, next: Uint8Array): number {
    const i = this.#find(key, 0, hash);
    if (i < 0) return -1;
    const n = this.#next[i]! - 1;
    if (n < 0) return 1;
    this.#copyKey(n, next, 0);
    return 0;
  }

  /** Copies bucket b's first key to `next`; false when the bucket is empty. */
  #copyHead(b: number, next: Uint8Array): boolean {
    for (let t = 0; t < OPTIMISTIC_TRIES; t++) {
      const v = Atomics.load(this.#locks, b);
      if (v & 1) continue;
      const head = this.#buckets[b]! - 1;
      if (head >= 0) this.#copyKey(head, next, 0);
      if (Atomics.load(this.#locks, b) === v) return head >= 0;
    }
    this.#lockBucket(b);
    try {
      const head = this.#buckets[b]! - 1;
      if (head >= 0) this.#copyKey(head, next, 0);
      return head >= 0;
    } finally {
      this.#unlockBucket(b);
    }
  }

  #copyKey(i: number, out: Uint8Array, off: number): void {
    const ks = this.shape.keySize;
    copyBytes(this.#keys, i * ks, out, off, ks);
  }

  /**
   * __htab_map_lookup_and_delete_batch: whole buckets from bucket `*inBatch`, each under its lock; a bucket
   * that does not fit in what is left of `count` ends the call (ENOSPC if nothing was copied); past the
   * last bucket, ENOENT. Deleted elements are freed after their bucket is unlocked.
   */
  lookupBatch(inBatch: Uint8Array | null, outBatch: Uint8Array, keys: Uint8Array, values: Uint8Array, count: Uint32Array, del: boolean): number {
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
      toFree.length = 0;
      this.#lockBucket(batch);
      let fits = true;
      try {
        let n = 0;
        for (let i = this.#buckets[batch]! - 1; i >= 0; i = this.#next[i]! - 1) n++;
        if (n > max - total) {
          fits = false;
        } else {
          for (let i = this.#buckets[batch]! - 1; i >= 0; ) {
            const next = this.#next[i]! - 1;
            this.#copyKey(i, keys, total * this.shape.keySize);
            this.#readAll(i, values, total * this.stride);
            if (del) {
              this.#unlink(i);
              toFree.push(i);
            }
            total++;
            i = next;
          }
        }
      } finally {
        this.#unlockBucket(batch);
      }
      if (!fits) {
        if (total === 0) rc = ENOSPC;
        break;
      }
      // Last copied first, as the kernel frees the chain it built on batch_flink.
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
    const b = hash & this.#mask;
    let i = -1;
    let found = false;
    for (let t = 0; t < OPTIMISTIC_TRIES && !found; t++) {
      const v = Atomics.load(this.#locks, b);
      if (v & 1) continue;
      i = this.#find(key, keyOffset, hash);
      found = Atomics.load(this.#locks, b) === v;
    }
    if (!found) {
      this.#lockBucket(b);
      i = this.#find(key, keyOffset, hash);
      this.#unlockBucket(b);
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
