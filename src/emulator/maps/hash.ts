// HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH as kernel/bpf/hashtab.c builds them: n_buckets =
// roundup_pow_of_two(max_entries) singly linked buckets, new elements at the bucket head, elements in one
// flat slab addressed by index (so programs address a value in place). An element is laid out as the
// kernel's struct htab_elem is, link, hash, key and value together: [next u32, hash u32, key, value at
// 8 + round_up(key_size, 8)], so finding and reading a key touches one element's bytes, not four arrays.
// A bucket's head and its lock are adjacent words for the same reason. The slabs are SharedArrayBuffers
// every emulated CPU attaches to (maps/shared.ts), with the kernel's locks over them: a lock per bucket for
// changing its chain, the free list's lock, the LRU lists' lock (one here, where bpf_lru_list.c has a
// global one and per-CPU ones), always taken LRU → bucket → free list; lookups take none and retry on a
// version change.
import { roundUp8, valueBufferSize } from '../../seam/map-layout.js';
import { htabHash32 } from './jhash.js';
import { BpfLru, type LruState } from './lru.js';
import { E2BIG, EINVAL, ENOENT, ENOMEM, ENOSPC } from '../../uapi/errno.js';
import { BPF_EXIST, BPF_F_LOCK, checkFlags, clearSpecial, copyBytes, copyExceptSpecial, copyValueOut, freeKptrs, type MapShape } from './storage.js';
import { lockWord, sharedInt32, sharedValueSlab, unlockWord, whileLocked, wordsIn, wordsOut, WORDS_ARE_LE, type SharedViews } from './shared.js';

export interface HashOptions {
  lru: boolean;
  /** BPF_F_NO_COMMON_LRU */
  percpuLru: boolean;
  seed: number;
  /** LRU target_free (bpf_lru_list.c), for LRU maps. */
  targetFree: number;
}

const roundUpPow2 = (n: number): number => (n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n)));

// The header words: the allocator's lock (non-LRU maps: the free list and the never-used elements), the
// element count, the next never-used element, the free list's head (element index + 1, 0: empty), and the
// LRU lists' lock.
const ALLOC = 0;
const COUNT = 1;
const FRESH = 2;
const FREE = 3;
const LRU = 4;
const HEADER = 5;
// An element's words: its bucket chain link (next element's index + 1, 0: the end; on the free list, the
// next free element), then its hash. The key follows at byte KEY_AT, the value at KEY_AT + round_up(key_size, 8)
// (hashtab.c htab_elem_value).
const NEXT = 0;
const HASH = 1;
const KEY_AT = 8;
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
    /**
     * Two words per bucket: its head (element index + 1, 0: empty, so a fresh SharedArrayBuffer is an empty
     * table) and its lock, the kernel's bucket lock (hashtab.c htab_lock_bucket) as a sequence lock: even
     * = free (a version), odd = held. Writers take it; readers never do, they check the version (RCU's role).
     */
    buckets: Int32Array;
    /** The elements (see NEXT, HASH, KEY_AT): a value slab (maps/shared.ts), whose id names its lock words. */
    elems: Uint8Array;
  } & SharedViews;
  lru?: LruState;
}

export class HashTable {
  readonly shape: MapShape;
  readonly nBuckets: number;
  /** Bytes of one element's value as the syscall sees it: value_size, or round_up(value_size, 8) × ncpu. */
  readonly stride: number;
  /** Bytes of one element in the slab (a multiple of 8, so every value is 8-byte aligned). */
  readonly #elem: number;
  /** The same in words. */
  readonly #elemWords: number;
  /** An element's value, from the element's start. */
  readonly #valueAt: number;
  /** Elements in the slab: max_entries, plus the spares of non-LRU maps. */
  readonly #n: number;
  readonly #keySize: number;
  readonly #slot: number;
  readonly #mask: number;
  readonly #seed: number;
  readonly #header: Int32Array;
  readonly #buckets: Int32Array;
  readonly #elems: Uint8Array;
  /**
   * The element slab's whole buffer as Int32 words: element links and hashes (element i's at
   * #firstWord + i × #elemWords), and the value lock words BPF_F_LOCK takes.
   */
  readonly #words: Int32Array;
  readonly #firstWord: number;
  /** Keys copied as words (shared.ts wordsIn/wordsOut): key_size a multiple of 4. */
  readonly #wordKeys: boolean;
  /**
   * Values copied as words: the syscall's value is the slab's bytes as they are (no per-CPU slot trimming)
   * and a multiple of 4 bytes.
   */
  readonly #wordValues: boolean;
  readonly #lru: BpfLru | undefined;
  readonly #state: HashState;
  /**
   * The table that made the slabs (the main thread's; workers attach their own): it keeps an extra element
   * for replacing updates, as the kernel keeps one per CPU (hashtab.c alloc_htab_elem: "if we're updating
   * the existing element, use per-cpu extra elems to avoid freelist_pop/push"): a replacing update takes it and
   * leaves the old element in its place, with no allocator lock. -1 until the first replacing update.
   * Tables attached on other threads, of which there may be any number, exchange through the free list.
   */
  #extra = -1;
  readonly #ownsSlabs: boolean;
  /**
   * Whether another thread may see this table's memory: from the first read of `state` (the only way to
   * share it: a worker attaches to what the main thread posts, after this getter ran), and always on the
   * tables attached to it. Until then no other thread can touch the slabs, so the table's own locks (bucket,
   * allocator, LRU) are not taken and lock-free readers need no version check: JavaScript runs one
   * operation at a time on a thread, so every operation sees the table between two others, as the locks
   * would have it. Atomics cost a runtime call each in V8, most of a lookup's time. Value locks
   * (BPF_F_LOCK) are always taken: their words are the value's own, which programs see.
   */
  #shared: boolean;

  /** A new, empty table; or, given `state` (from another thread's table), the same table attached. */
  constructor(shape: MapShape, opts: HashOptions, state?: HashState) {
    this.shape = shape;
    this.#keySize = shape.keySize;
    this.#slot = roundUp8(shape.valueSize);
    this.stride = valueBufferSize(shape.valueSize, shape.percpu, shape.ncpu);
    this.#valueAt = KEY_AT + roundUp8(shape.keySize);
    this.#elem = this.#valueAt + roundUp8(this.stride);
    this.#elemWords = this.#elem >> 2;
    this.nBuckets = roundUpPow2(shape.maxEntries);
    this.#mask = this.nBuckets - 1;
    this.#seed = opts.seed | 0;
    // Every element exists from the start (the kernel preallocates unless BPF_F_NO_PREALLOC; either way
    // max_entries bounds the count), in memory the OS commits only when touched.
    // A replacing update takes a new element before it frees the old one, uncounted, so a full map still
    // replaces: the kernel keeps an extra element per CPU (hashtab.c extra_elems); here one per emulated CPU
    // and one for the main thread, since all of them may be replacing at once.
    this.#n = opts.lru ? shape.maxEntries : shape.maxEntries + shape.ncpu + 1;
    const views = state?.views ?? {
      header: sharedInt32(HEADER),
      buckets: sharedInt32(2 * this.nBuckets),
      elems: sharedValueSlab(this.#n * this.#elem),
    };
    this.#ownsSlabs = state === undefined;
    this.#shared = state !== undefined;
    this.#header = views.header;
    this.#buckets = views.buckets;
    this.#elems = views.elems;
    this.#words = new Int32Array(views.elems.buffer);
    this.#firstWord = views.elems.byteOffset >> 2;
    this.#wordKeys = WORDS_ARE_LE && shape.keySize % 4 === 0;
    this.#wordValues = WORDS_ARE_LE && this.stride % 4 === 0 && (!shape.percpu || shape.percpuPadding);
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
    this.#shared = true;
    return this.#state;
  }

  get count(): number {
    return Atomics.load(this.#header, COUNT);
  }

  // ---- element fields ----

  /** Word index of element i's link; its hash is the word after. */
  #at(i: number): number {
    return this.#firstWord + i * this.#elemWords;
  }

  /** Element i's successor in its chain (or on the free list), -1 at the end. */
  #nextOf(i: number): number {
    return this.#words[this.#at(i) + NEXT]! - 1;
  }

  #hashOf(i: number): number {
    return this.#words[this.#at(i) + HASH]!;
  }

  /** Byte offset of element i's value in the slab. */
  #valueOf(i: number): number {
    return i * this.#elem + this.#valueAt;
  }

  /** Bucket b's first element, -1 when empty. */
  #head(b: number): number {
    return this.#buckets[2 * b]! - 1;
  }

  // ---- locks ----

  /** htab_lock_bucket: the bucket's word from even (free) to odd (held). */
  #lockBucket(b: number): void {
    if (!this.#shared) return;
    const locks = this.#buckets;
    const w = 2 * b + 1;
    // Setting the low bit takes the lock when it was clear (even → odd, one atomic operation where a load
    // and a compare-exchange would be two) and changes nothing when another thread holds it.
    if ((Atomics.or(locks, w, 1) & 1) === 0) return;
    for (let spins = 0; ; spins++) {
      const v = Atomics.load(locks, w);
      if ((v & 1) === 0 && (Atomics.or(locks, w, 1) & 1) === 0) return;
      // The holder changes one chain and lets go; unlock does not notify, so sleep briefly, not forever.
      if (spins >= BUCKET_SPINS) Atomics.wait(locks, w, v, 0.05);
    }
  }

  /** htab_unlock_bucket: back to even, a new version (lock-free readers that overlapped retry). */
  #unlockBucket(b: number): void {
    if (this.#shared) Atomics.add(this.#buckets, 2 * b + 1, 1);
  }

  /** Bucket b's version: odd while a writer holds it (always 0 while the table is not shared). */
  #version(b: number): number {
    return this.#shared ? Atomics.load(this.#buckets, 2 * b + 1) : 0;
  }

  #lockLru(): void {
    if (this.#shared) lockWord(this.#header, LRU);
  }

  #unlockLru(): void {
    if (this.#shared) unlockWord(this.#header, LRU);
  }

  /** The allocator's lock (the free list, the never-used elements, the count of non-LRU maps): innermost. */
  #lockAlloc(): void {
    if (this.#shared) lockWord(this.#header, ALLOC);
  }

  #unlockAlloc(): void {
    if (this.#shared) unlockWord(this.#header, ALLOC);
  }

  /** The element count, which `count` reads from any thread. */
  #addCount(delta: number): void {
    if (this.#shared) Atomics.add(this.#header, COUNT, delta);
    else this.#header[COUNT] += delta;
  }

  // ---- elements ----

  /**
   * The element holding `key`, or -1. Bounded: a lock-free reader racing a change may follow a chain into
   * a reused element and loop; it gives up, and the version check makes it retry.
   */
  #find(key: Uint8Array, off: number, hash: number): number {
    // `hash` is int32 (htabHash32), as the element's hash word reads.
    const words = this.#words;
    const first = this.#firstWord;
    const ew = this.#elemWords;
    let hops = this.#n;
    const ks = this.#keySize;
    if (ks === 4 && WORDS_ARE_LE) {
      // One word to compare, read from the element's words (KEY_AT is 8: word 2 of the element).
      const kw = key[off]! | (key[off + 1]! << 8) | (key[off + 2]! << 16) | (key[off + 3]! << 24);
      for (let i = this.#buckets[2 * (hash & this.#mask)]! - 1; i >= 0 && hops-- > 0; ) {
        const at = first + i * ew;
        if (words[at + HASH] === hash && words[at + 2] === kw) return i;
        i = words[at + NEXT]! - 1;
      }
      return -1;
    }
    const elems = this.#elems;
    for (let i = this.#buckets[2 * (hash & this.#mask)]! - 1; i >= 0 && hops-- > 0; ) {
      const at = first + i * ew;
      if (words[at + HASH] === hash) {
        const base = i * this.#elem + KEY_AT;
        let j = 0;
        while (j < ks && elems[base + j] === key[off + j]) j++;
        if (j === ks) return i;
      }
      i = words[at + NEXT]! - 1;
    }
    return -1;
  }

  /** Links element i at its bucket's head (the bucket lock held). */
  #link(i: number): void {
    const b = this.#hashOf(i) & this.#mask;
    this.#words[this.#at(i) + NEXT] = this.#buckets[2 * b]!;
    this.#buckets[2 * b] = i + 1;
    if (this.#lru) this.#addCount(1);
  }

  /** Unlinks element i from its bucket (the bucket lock held); false if it is not linked there. */
  #unlink(i: number): boolean {
    const b = this.#hashOf(i) & this.#mask;
    const words = this.#words;
    const next = words[this.#at(i) + NEXT]!;
    let prev = -1;
    for (let j = this.#head(b); j >= 0; prev = j, j = this.#nextOf(j)) {
      if (j !== i) continue;
      if (prev < 0) this.#buckets[2 * b] = next;
      else words[this.#at(prev) + NEXT] = next;
      if (this.#lru) this.#addCount(-1);
      // The element leaves the map (deleted, replaced, evicted): its kptrs' objects go (free_htab_elem's
      // check_and_free_fields), and the element is reused with its kptr fields NULL.
      freeKptrs(this.#elems, this.#valueOf(i), this.shape);
      return true;
    }
    return false;
  }

  /** htab_lru_map_delete_node: the LRU evicts `node` (the LRU lock held; the victim's bucket lock taken here). */
  #evict(node: number): boolean {
    const b = this.#hashOf(node) & this.#mask;
    this.#lockBucket(b);
    try {
      return this.#unlink(node);
    } finally {
      this.#unlockBucket(b);
    }
  }

  /** The free list's top, or a never-used element (the allocator's lock held). */
  #pop(): number {
    const h = this.#header;
    const top = h[FREE]! - 1;
    if (top >= 0) {
      h[FREE] = this.#words[this.#at(top) + NEXT]!;
      return top;
    }
    // Unreachable while the slab has its spare elements; past them, writes would land outside it.
    if (h[FRESH]! >= this.#n) throw new RangeError(`hash map: no spare element for a replacing update (${this.#n} elements)`);
    return h[FRESH]!++;
  }

  /** Pushes unlinked element i on the free list (the allocator's lock held). */
  #push(i: number): void {
    const h = this.#header;
    this.#words[this.#at(i) + NEXT] = h[FREE]!;
    h[FREE] = i + 1;
  }

  /**
   * A free element for a new key (prealloc freelist / non-prealloc alloc), counted; -1 when the map is
   * full. Non-LRU maps only; the allocator's lock is the innermost.
   */
  #alloc(): number {
    const h = this.#header;
    this.#lockAlloc();
    try {
      if (h[COUNT]! >= this.shape.maxEntries) return -1;
      this.#addCount(1);
      return this.#pop();
    } finally {
      this.#unlockAlloc();
    }
  }

  /**
   * A replacing update's element exchange, in one hold of the allocator's lock: a new element, uncounted
   * (the kernel's extra_elems: allowed on a full map; see the slab's size), taken before `old` (already
   * unlinked) goes on the free list, so the two are never the same element and the list ends as an
   * alloc followed by a free would leave it.
   */
  #exchange(old: number): number {
    this.#lockAlloc();
    try {
      const i = this.#pop();
      this.#push(old);
      return i;
    } finally {
      this.#unlockAlloc();
    }
  }

  /** The element a replacing update writes, `old` (unlinked) given up for it: see #extra. */
  #replacement(old: number): number {
    if (!this.#ownsSlabs) return this.#exchange(old);
    let i = this.#extra;
    if (i < 0) {
      // The first time: an element from the allocator, uncounted, becomes this table's own.
      this.#lockAlloc();
      try {
        i = this.#pop();
      } finally {
        this.#unlockAlloc();
      }
    }
    this.#extra = old;
    return i;
  }

  /** Frees an unlinked element: to the free list, counted, or to the LRU. */
  #release(i: number): void {
    if (this.#lru) {
      this.#lockLru();
      try {
        this.#lru.pushFree(i);
      } finally {
        this.#unlockLru();
      }
      return;
    }
    this.#lockAlloc();
    this.#push(i);
    this.#addCount(-1);
    this.#unlockAlloc();
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
    if (this.#wordKeys) wordsIn(key, off, this.#words, this.#at(i) + KEY_AT / 4, this.#keySize);
    else copyBytes(key, off, this.#elems, i * this.#elem + KEY_AT, this.#keySize);
    this.#words[this.#at(i) + HASH] = hash;
  }

  /**
   * Copies a syscall value into element i (all CPUs for per-CPU maps), leaving the lock word zero; with
   * `withValueLock` (BPF_F_LOCK), under the value's bpf_spin_lock and sparing the word (copy_map_value_locked).
   */
  #writeAll(i: number, value: Uint8Array, off: number, withValueLock = false): void {
    const base = this.#valueOf(i);
    if (withValueLock) return this.#underValueLock(base, () => copyExceptSpecial(value, off, this.#elems, base, this.stride, this.shape));
    if (this.#wordValues) wordsIn(value, off, this.#words, this.#at(i) + this.#valueAt / 4, this.stride);
    else copyBytes(value, off, this.#elems, base, this.stride);
    clearSpecial(this.#elems, base, this.shape);
  }

  #underValueLock(base: number, copy: () => void): void {
    whileLocked(this.#words, (this.#elems.byteOffset + base + this.shape.lockOffset) >> 2, copy);
  }

  /** A program's value: this CPU's slot only; `fresh` zeroes the other CPUs (hashtab.c pcpu_init_value). */
  #writeCpu(i: number, value: Uint8Array, cpu: number, fresh: boolean): void {
    const base = this.#valueOf(i);
    if (fresh) this.#elems.fill(0, base, base + this.stride);
    this.#elems.set(value.subarray(0, this.shape.valueSize), base + cpu * this.#slot);
  }

  #readAll(i: number, out: Uint8Array, off: number, withValueLock = false): void {
    const base = this.#valueOf(i);
    if (withValueLock) this.#underValueLock(base, () => copyBytes(this.#elems, base, out, off, this.stride));
    else if (this.#wordValues) wordsOut(this.#words, this.#at(i) + this.#valueAt / 4, out, off, this.stride);
    else copyValueOut(this.#elems, base, out, off, this.stride, this.shape);
    clearSpecial(out, off, this.shape);
  }

  // ---- syscall side ----

  /**
   * htab_map_lookup_elem from the syscall: lock-free, checked against the bucket's version. Syscall lookups
   * never set the LRU ref bit (htab_lru_map_lookup_elem_sys). `withValueLock`: BPF_F_LOCK, the copy taken
   * under the value's bpf_spin_lock (and the bucket lock, so the element stays).
   */
  lookup(key: Uint8Array, out: Uint8Array, withValueLock = false): number {
    const hash = htabHash32(key, 0, this.shape.keySize, this.#seed);
    const b = hash & this.#mask;
    if (!withValueLock) {
      for (let t = 0; t < OPTIMISTIC_TRIES; t++) {
        const v = this.#version(b);
        if (v & 1) continue;
        const i = this.#find(key, 0, hash);
        if (i >= 0) this.#readAll(i, out, 0);
        if (this.#version(b) === v) return i < 0 ? ENOENT : 0;
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

  /**
   * htab_map_update_elem and its per-CPU and LRU variants; `fromProgram` writes `cpu`'s slot only (per-CPU
   * maps). `lruCpu`: the CPU whose LRU lists a new node comes from, when not `cpu` (a syscall's BPF_F_CPU).
   */
  update(key: Uint8Array, koff: number, value: Uint8Array, voff: number, flags: number, cpu: number, fromProgram: boolean, lruCpu = cpu): number {
    const lru = this.#lru !== undefined;
    const percpu = this.shape.percpu;
    // Per-CPU and LRU maps refuse every flag above BPF_EXIST, BPF_F_LOCK included; HASH allows F_LOCK.
    if ((percpu || lru ? flags : flags & ~BPF_F_LOCK) > BPF_EXIST) return EINVAL;
    const hash = htabHash32(key, koff, this.shape.keySize, this.#seed);
    if (lru) return percpu ? this.#updateLruPercpu(key, koff, value, voff, flags, cpu, fromProgram, hash, lruCpu) : this.#updateLru(key, koff, value, voff, flags, cpu, hash);
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
        // Under the bucket lock the order of the unlink and the link is invisible (readers check the version).
        this.#unlink(old);
        const i = this.#replacement(old);
        this.#setKey(i, key, koff, hash);
        this.#writeAll(i, value, voff);
        this.#link(i);
        return 0;
      }
      const i = this.#alloc();
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
  #updateLruPercpu(key: Uint8Array, koff: number, value: Uint8Array, voff: number, flags: number, cpu: number, fromProgram: boolean, hash: number, lruCpu: number): number {
    let node = -1;
    if (flags !== BPF_EXIST) {
      node = this.#popLru(lruCpu, hash);
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
    const hash = htabHash32(key, koff, this.shape.keySize, this.#seed);
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
      const hash = htabHash32(key, 0, this.shape.keySize, this.#seed);
      const kb = hash & this.#mask;
      // -1: the key is absent (start over from bucket 0); 0: its successor was copied; 1: it ends its bucket.
      let found = -2;
      for (let t = 0; t < OPTIMISTIC_TRIES && found === -2; t++) {
        const v = this.#version(kb);
        if (v & 1) continue;
        const r = this.#successor(key, hash, next);
        if (this.#version(kb) === v) found = r;
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
    const n = this.#nextOf(i);
    if (n < 0) return 1;
    this.#copyKey(n, next, 0);
    return 0;
  }

  /** Copies bucket b's first key to `next`; false when the bucket is empty. */
  #copyHead(b: number, next: Uint8Array): boolean {
    for (let t = 0; t < OPTIMISTIC_TRIES; t++) {
      const v = this.#version(b);
      if (v & 1) continue;
      const head = this.#head(b);
      if (head >= 0) this.#copyKey(head, next, 0);
      if (this.#version(b) === v) return head >= 0;
    }
    this.#lockBucket(b);
    try {
      const head = this.#head(b);
      if (head >= 0) this.#copyKey(head, next, 0);
      return head >= 0;
    } finally {
      this.#unlockBucket(b);
    }
  }

  #copyKey(i: number, out: Uint8Array, off: number): void {
    if (this.#wordKeys) wordsOut(this.#words, this.#at(i) + KEY_AT / 4, out, off, this.#keySize);
    else copyBytes(this.#elems, i * this.#elem + KEY_AT, out, off, this.#keySize);
  }

  /**
   * __htab_map_lookup_and_delete_batch: whole buckets from bucket `*inBatch`, each under its lock; a bucket
   * that does not fit in what is left of `count` ends the call (ENOSPC if nothing was copied); past the
   * last bucket, ENOENT. Deleted elements are freed after their bucket is unlocked. As the kernel does
   * ("do not grab the lock unless need it (bucket_cnt > 0)"), a bucket is counted without its lock first
   * and locked (and counted again) only when that count is not zero.
   */
  lookupBatch(inBatch: Uint8Array | null, outBatch: Uint8Array, keys: Uint8Array, values: Uint8Array, count: Uint32Array, del: boolean): number {
    const max = count[0]!;
    if (max === 0) return 0;
    count[0] = 0;
    let batch = inBatch ? (inBatch[0]! | (inBatch[1]! << 8) | (inBatch[2]! << 16) | (inBatch[3]! << 24)) >>> 0 : 0;
    if (batch >= this.nBuckets) return ENOENT;
    const ks = this.#keySize;
    const stride = this.stride;
    let total = 0;
    let rc = 0;
    for (;;) {
      if (this.#chainLength(batch) > 0) {
        // The deleted elements are chained through their links (now off every bucket) for freeing after
        // the unlock, as the kernel chains them on batch_flink.
        let toFree = -1;
        let fits = true;
        this.#lockBucket(batch);
        try {
          const n = this.#chainLength(batch);
          if (n > max - total) {
            fits = false;
          } else {
            for (let i = this.#head(batch); i >= 0; ) {
              const next = this.#nextOf(i);
              this.#copyKey(i, keys, total * ks);
              this.#readAll(i, values, total * stride);
              if (del) {
                this.#unlink(i);
                this.#words[this.#at(i) + NEXT] = toFree + 1;
                toFree = i;
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
        for (let i = toFree; i >= 0; ) {
          const next = this.#nextOf(i);
          this.#release(i);
          i = next;
        }
      }
      batch++;
      if (batch >= this.nBuckets) {
        rc = ENOENT;
        break;
      }
    }
    outBatch[0] = batch & 0xff;
    outBatch[1] = (batch >>> 8) & 0xff;
    outBatch[2] = (batch >>> 16) & 0xff;
    outBatch[3] = batch >>> 24;
    count[0] = total;
    return rc;
  }

  /** Elements in bucket b's chain (bounded as #find is, for an unlocked count racing a change). */
  #chainLength(b: number): number {
    let n = 0;
    for (let i = this.#head(b), hops = this.#n; i >= 0 && hops-- > 0; i = this.#nextOf(i)) n++;
    return n;
  }

  // ---- program side ----

  /**
   * A program's bpf_map_lookup_elem as the kernel answers it: the address of the value in place (here its
   * byte offset in `values`, which stays valid while the element lives), or -1. Sets the LRU ref bit unless
   * `setRef` is false (bpf_for_each_map_elem's walk: hashtab.c bpf_for_each_hash_elem reads elements in place).
   * The key is keySize bytes of `key` from `keyOffset` (a program's stack, read in place: no copy).
   */
  programValueOffset(key: Uint8Array, cpu: number, keyOffset = 0, setRef = true): number {
    const hash = htabHash32(key, keyOffset, this.shape.keySize, this.#seed);
    const b = hash & this.#mask;
    let i = -1;
    let found = false;
    for (let t = 0; t < OPTIMISTIC_TRIES && !found; t++) {
      const v = this.#version(b);
      if (v & 1) continue;
      i = this.#find(key, keyOffset, hash);
      found = this.#version(b) === v;
    }
    if (!found) {
      this.#lockBucket(b);
      i = this.#find(key, keyOffset, hash);
      this.#unlockBucket(b);
    }
    if (i < 0) return -1;
    // RCU-like, as the kernel: the element may be deleted right after; its memory stays a value slot.
    if (setRef) this.#lru?.setRef(i);
    return this.#valueOf(i) + (this.shape.percpu ? cpu * this.#slot : 0);
  }

  /** The element slab, where programs address values (fixed for the map's life; offsets from programValueOffset). */
  get values(): Uint8Array {
    return this.#elems;
  }
}
