// HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH as kernel/bpf/hashtab.c builds them: n_buckets =
// roundup_pow_of_two(max_entries) singly linked buckets, new elements at the bucket head, elements in flat
// typed-array slabs addressed by index (so programs can later address a value in place).
import { htabHash } from './jhash.js';
import { BpfLru } from './lru.js';
import {
  BPF_EXIST, BPF_F_LOCK, E2BIG, EINVAL, ENOENT, ENOMEM, ENOSPC, checkFlags, clearLock, copyBytes, grow, type MapShape,
} from './storage.js';

export interface HashOptions {
  lru: boolean;
  /** BPF_F_NO_COMMON_LRU */
  percpuLru: boolean;
  seed: number;
  /** LRU target_free (bpf_lru_list.c), for LRU maps. */
  targetFree: number;
}

const roundUpPow2 = (n: number): number => (n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n)));

export class HashTable {
  readonly shape: MapShape;
  readonly nBuckets: number;
  /** Bytes of one element's value: value_size, or round_up(value_size, 8) × ncpu for per-CPU maps. */
  readonly stride: number;
  readonly #slot: number;
  readonly #mask: number;
  readonly #seed: number;
  readonly #buckets: Int32Array;
  #next: Int32Array;
  #hashes: Uint32Array;
  #keys: Uint8Array;
  #values: Uint8Array;
  #count = 0;
  // Element indices never used yet start at #fresh; freed ones go on #free (non-LRU maps).
  #fresh = 0;
  #free: Int32Array;
  #freeTop = 0;
  readonly #lru: BpfLru | undefined;

  constructor(shape: MapShape, opts: HashOptions) {
    this.shape = shape;
    this.#slot = (shape.valueSize + 7) & ~7;
    this.stride = shape.percpu ? this.#slot * shape.ncpu : shape.valueSize;
    this.nBuckets = roundUpPow2(shape.maxEntries);
    this.#mask = this.nBuckets - 1;
    this.#seed = opts.seed | 0;
    this.#buckets = new Int32Array(this.nBuckets).fill(-1);
    // LRU maps own every node from the start (bpf_lru_populate); other maps grow their slabs on demand.
    const initial = opts.lru ? shape.maxEntries : Math.min(shape.maxEntries, 1024);
    this.#next = new Int32Array(initial);
    this.#hashes = new Uint32Array(initial);
    this.#keys = new Uint8Array(initial * shape.keySize);
    this.#values = new Uint8Array(initial * this.stride);
    this.#free = new Int32Array(opts.lru ? 0 : initial);
    if (opts.lru) {
      this.#lru = new BpfLru(
        { nrElems: shape.maxEntries, ncpu: shape.ncpu, percpu: opts.percpuLru, targetFree: opts.targetFree },
        (node) => this.#unlinkIfPresent(node),
      );
      this.#lru.populate();
    }
  }

  get count(): number {
    return this.#count;
  }

  // ---- elements ----

  #find(key: Uint8Array, off: number, hash: number): number {
    const ks = this.shape.keySize;
    const keys = this.#keys;
    for (let i = this.#buckets[hash & this.#mask]!; i >= 0; i = this.#next[i]!) {
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
    this.#buckets[b] = i;
  }

  /** Unlinks element i from its bucket; false if it is not linked there (htab_lru_map_delete_node). */
  #unlinkIfPresent(i: number): boolean {
    const b = this.#hashes[i]! & this.#mask;
    let prev = -1;
    for (let j = this.#buckets[b]!; j >= 0; prev = j, j = this.#next[j]!) {
      if (j !== i) continue;
      if (prev < 0) this.#buckets[b] = this.#next[i]!;
      else this.#next[prev] = this.#next[i]!;
      this.#count--;
      return true;
    }
    return false;
  }

  /** A free element index for a new key (prealloc freelist / non-prealloc alloc); -1 when full. */
  #alloc(): number {
    if (this.#count >= this.shape.maxEntries) return -1;
    if (this.#freeTop > 0) return this.#free[--this.#freeTop]!;
    const i = this.#fresh++;
    if (i >= this.#next.length) {
      const n = Math.min(this.shape.maxEntries, Math.max(16, this.#next.length * 2));
      this.#next = grow(this.#next, n);
      this.#hashes = grow(this.#hashes, n);
      this.#keys = grow(this.#keys, n * this.shape.keySize);
      this.#values = grow(this.#values, n * this.stride);
      this.#free = grow(this.#free, n);
    }
    return i;
  }

  #release(i: number): void {
    if (this.#lru) this.#lru.pushFree(i);
    else this.#free[this.#freeTop++] = i;
  }

  #setKey(i: number, key: Uint8Array, off: number, hash: number): void {
    const ks = this.shape.keySize;
    copyBytes(key, off, this.#keys, i * ks, ks);
    this.#hashes[i] = hash;
  }

  /** Copies a syscall value into element i (all CPUs for per-CPU maps), leaving the lock word zero. */
  #writeAll(i: number, value: Uint8Array, off: number): void {
    const base = i * this.stride;
    copyBytes(value, off, this.#values, base, this.stride);
    clearLock(this.#values, base, this.shape.lockOffset);
  }

  /** A program's value: this CPU's slot only; `fresh` zeroes the other CPUs (hashtab.c pcpu_init_value). */
  #writeCpu(i: number, value: Uint8Array, cpu: number, fresh: boolean): void {
    const base = i * this.stride;
    if (fresh) this.#values.fill(0, base, base + this.stride);
    this.#values.set(value.subarray(0, this.shape.valueSize), base + cpu * this.#slot);
  }

  #readAll(i: number, out: Uint8Array, off: number): void {
    const base = i * this.stride;
    copyBytes(this.#values, base, out, off, this.stride);
    clearLock(out, off, this.shape.lockOffset);
  }

  // ---- syscall side ----

  lookup(key: Uint8Array, out: Uint8Array): number {
    const i = this.#find(key, 0, htabHash(key, 0, this.shape.keySize, this.#seed));
    if (i < 0) return ENOENT;
    // Syscall lookups never set the LRU ref bit (htab_lru_map_lookup_elem_sys).
    this.#readAll(i, out, 0);
    return 0;
  }

  /** htab_map_update_elem and its per-CPU and LRU variants; `cpu` < 0 means the syscall (all CPUs). */
  update(key: Uint8Array, koff: number, value: Uint8Array, voff: number, flags: number, cpu: number, fromProgram: boolean): number {
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
        this.#writeAll(old, value, voff);
        return 0;
      }
      // A replacing update links a new element at the bucket head and drops the old one.
      this.#unlinkIfPresent(old);
      this.#count++;
      this.#writeAll(old, value, voff);
      this.#link(old);
      return 0;
    }
    const i = this.#alloc();
    if (i < 0) return E2BIG; // existence was checked first: a full map still accepts updates of present keys
    this.#setKey(i, key, koff, hash);
    if (percpu && fromProgram) this.#writeCpu(i, value, cpu, true);
    else this.#writeAll(i, value, voff);
    this.#link(i);
    this.#count++;
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
    this.#count++;
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
      this.#count++;
      return 0;
    }
    if (node >= 0) lru.pushFree(node);
    return rc;
  }

  delete(key: Uint8Array, koff: number): number {
    const i = this.#find(key, koff, htabHash(key, koff, this.shape.keySize, this.#seed));
    if (i < 0) return ENOENT;
    this.#unlinkIfPresent(i);
    this.#release(i);
    return 0;
  }

  lookupAndDelete(key: Uint8Array, out: Uint8Array): number {
    const i = this.#find(key, 0, htabHash(key, 0, this.shape.keySize, this.#seed));
    if (i < 0) return ENOENT;
    this.#readAll(i, out, 0);
    this.#unlinkIfPresent(i);
    this.#release(i);
    return 0;
  }

  /** htab_map_get_next_key: the next key in the bucket, else the next non-empty bucket's head. */
  getNextKey(key: Uint8Array | null, next: Uint8Array): number {
    let b = 0;
    if (key) {
      const hash = htabHash(key, 0, this.shape.keySize, this.#seed);
      const i = this.#find(key, 0, hash);
      if (i >= 0) {
        const n = this.#next[i]!;
        if (n >= 0) return this.#copyKey(n, next, 0), 0;
        b = (hash & this.#mask) + 1;
      }
    }
    for (; b < this.nBuckets; b++) {
      const head = this.#buckets[b]!;
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
      for (let i = this.#buckets[batch]!; i >= 0; i = this.#next[i]!) n++;
      if (n > max - total) {
        if (total === 0) rc = ENOSPC;
        break;
      }
      // LRU nodes are freed after the bucket, last copied first (the kernel chains them on batch_flink).
      toFree.length = 0;
      for (let i = this.#buckets[batch]!; i >= 0; ) {
        const next = this.#next[i]!;
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

  /** A program's bpf_map_lookup_elem (or bpf_map_lookup_percpu_elem with `cpu`): sets the LRU ref bit. */
  programLookup(key: Uint8Array, out: Uint8Array, cpu: number): number {
    const base = this.programValueOffset(key, cpu);
    if (base < 0) return ENOENT;
    out.set(this.#values.subarray(base, base + this.shape.valueSize));
    return 0;
  }

  /**
   * A program's bpf_map_lookup_elem as the kernel answers it: the address of the value in place (here its
   * byte offset in `values`, which stays valid while the element lives), or -1. Sets the LRU ref bit.
   */
  programValueOffset(key: Uint8Array, cpu: number): number {
    const i = this.#find(key, 0, htabHash(key, 0, this.shape.keySize, this.#seed));
    if (i < 0) return -1;
    this.#lru?.setRef(i);
    return i * this.stride + (this.shape.percpu ? cpu * this.#slot : 0);
  }

  /** The value slab. A map without preallocation grows it by reallocation: fetch it on every access. */
  get values(): Uint8Array {
    return this.#values;
  }

  /** Every key and value, in iteration order (tests and the differential harness). */
  *elements(): Generator<number> {
    for (let b = 0; b < this.nBuckets; b++) for (let i = this.#buckets[b]!; i >= 0; i = this.#next[i]!) yield i;
  }
}
