// BPF_MAP_TYPE_RINGBUF (kernel/bpf/ringbuf.c): a power-of-two data area of max_entries bytes, a producer and a
// consumer position that only grow (their low bits, masked, are offsets in the data), and records laid out as
// the kernel's: an 8-byte header (struct bpf_ringbuf_hdr: u32 len with BPF_RINGBUF_BUSY_BIT while reserved and
// BPF_RINGBUF_DISCARD_BIT once discarded, u32 pg_off, the record's page in the kernel's mapping), then the
// sample, the whole rounded up to 8 bytes. Producers reserve under the ring's spinlock (here a lock word in
// shared memory, so reservations from the main thread and the emulated CPUs never interleave) and commit
// without it, by flipping the header's bits; a consumer reads committed records in order and stops at the
// first still BUSY.
//
// The kernel maps the data pages twice, back to back, so a record that wraps past the end is contiguous in
// memory. The data here is twice the ring's size for the same reason: a program writes its whole record from
// its offset, and the commit copies what went past the end to the start, where the ring's bytes are. Until
// the commit the consumer stops at the BUSY header, so nobody reads the start before it holds the record.
import { sharedBytes, sharedInt32, lockWord, unlockWord } from './shared.js';
import { EAGAIN, EINVAL, ENOTSUPP } from '../../uapi/errno.js';
import type { MapShape } from './storage.js';
import { BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, BPF_RINGBUF_HDR_SZ, RingbufFlags, RingbufQuery } from '../../uapi/bpf.js';

/** ringbuf.c RINGBUF_MAX_RECORD_SZ (UINT_MAX / 4): a larger reservation is NULL. */
const RINGBUF_MAX_RECORD_SZ = Math.floor(0xffffffff / 4);
const PAGE_SHIFT = 12;
/**
 * ringbuf.c RINGBUF_NR_META_PAGES: struct bpf_ringbuf's first page (RINGBUF_PGOFF: its fields before the
 * page-aligned consumer_pos), the consumer's and the producer's pages; the data follows (bpf_ringbuf_rec_pg_off
 * counts from the struct's start).
 */
const RINGBUF_NR_META_PAGES = 3;

// Words of `control`.
const LOCK = 0;
/** How many wakeups producers raised (irq_work_queue → wake_up_all): a consumer waits on it. */
const WAKEUPS = 1;
// Slots of `positions` (unsigned long in the kernel: u64 here).
const CONS = 0;
const PROD = 1;
const PEND = 2;

/** A RingbufTable's shared memory: post it to a worker and attach with `new RingbufTable(shape, state)`. */
export interface RingbufState {
  shape: MapShape;
  /** [lock, wakeups] */
  control: Int32Array;
  /** [consumer_pos, producer_pos, pending_pos] */
  positions: BigInt64Array;
  /** The data twice over (see above). */
  data: Uint8Array;
}

/** Atomics.waitAsync (Node 16+), which the ES2023 library this project compiles against does not declare. */
interface AtomicsWaitAsync {
  waitAsync(array: Int32Array, index: number, value: number, timeoutMs: number): { async: boolean; value: Promise<unknown> | string };
}

const roundUp8 = (n: number): number => (n + 7) & ~7;

export class RingbufTable {
  readonly shape: MapShape;
  readonly state: RingbufState;
  /** max_entries: the data's size, a power of two. */
  readonly size: number;
  readonly #mask: number;
  readonly #control: Int32Array;
  readonly #positions: BigInt64Array;
  readonly #data: Uint8Array;
  /** The data as 32-bit words: headers are read and written whole (READ_ONCE, xchg). */
  readonly #words: Int32Array;

  constructor(shape: MapShape, state?: RingbufState) {
    this.shape = shape;
    this.size = shape.maxEntries;
    this.#mask = this.size - 1;
    this.#control = state?.control ?? sharedInt32(2);
    this.#positions = state?.positions ?? new BigInt64Array(new SharedArrayBuffer(3 * 8));
    this.#data = state?.data ?? sharedBytes(2 * this.size);
    this.#words = new Int32Array(this.#data.buffer, this.#data.byteOffset, this.#data.length >> 2);
    this.state = { shape, control: this.#control, positions: this.#positions, data: this.#data };
  }

  /** The bytes programs write records into (twice the ring: see above). */
  get values(): Uint8Array {
    return this.#data;
  }

  #pos(slot: number): number {
    return Number(Atomics.load(this.#positions, slot));
  }

  /**
   * __bpf_ringbuf_reserve: the offset in `values` of a `size`-byte sample, its header written BUSY, or -1 when
   * the ring has no room (NULL): the producer may run at most mask bytes ahead of the consumer and of the oldest
   * record not yet committed (pending_pos, which the reservation first moves past the committed ones).
   */
  reserve(size: number): number {
    if (size > RINGBUF_MAX_RECORD_SZ) return -1;
    const len = roundUp8(size + BPF_RINGBUF_HDR_SZ);
    if (len > this.size) return -1;
    const cons = this.#pos(CONS);
    lockWord(this.#control, LOCK);
    try {
      let pend = this.#pos(PEND);
      const prod = this.#pos(PROD);
      const next = prod + len;
      while (prod - pend > 0) {
        const hdrLen = Atomics.load(this.#words, (pend & this.#mask) >> 2) >>> 0;
        if (hdrLen & BPF_RINGBUF_BUSY_BIT) break;
        pend += roundUp8((hdrLen & ~BPF_RINGBUF_DISCARD_BIT) + BPF_RINGBUF_HDR_SZ);
      }
      Atomics.store(this.#positions, PEND, BigInt(pend));
      if (next - cons > this.#mask || next - pend > this.#mask) return -1;
      const hdr = prod & this.#mask;
      Atomics.store(this.#words, (hdr >> 2) + 1, RINGBUF_NR_META_PAGES + (hdr >> PAGE_SHIFT));
      Atomics.store(this.#words, hdr >> 2, (size | BPF_RINGBUF_BUSY_BIT) | 0);
      // smp_store_release(&rb->producer_pos, new_prod_pos)
      Atomics.store(this.#positions, PROD, BigInt(next));
      return hdr + BPF_RINGBUF_HDR_SZ;
    } finally {
      unlockWord(this.#control, LOCK);
    }
  }

  /**
   * bpf_ringbuf_commit: the record at `sample` (what reserve returned) committed, or discarded; a wakeup when
   * BPF_RB_FORCE_WAKEUP, or when the consumer has caught up with this record and BPF_RB_NO_WAKEUP is not set.
   * Other flag bits are ignored, as the kernel ignores them.
   */
  commit(sample: number, flags: bigint, discard: boolean): void {
    const hdr = sample - BPF_RINGBUF_HDR_SZ;
    const hdrLen = Atomics.load(this.#words, hdr >> 2) >>> 0;
    const end = sample + (hdrLen & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT));
    // What the program wrote past the end belongs at the start (the kernel's second mapping).
    if (end > this.size) this.#data.copyWithin(0, this.size, end);
    let newLen = (hdrLen ^ BPF_RINGBUF_BUSY_BIT) >>> 0;
    if (discard) newLen |= BPF_RINGBUF_DISCARD_BIT;
    Atomics.exchange(this.#words, hdr >> 2, newLen | 0);
    const cons = this.#pos(CONS) & this.#mask;
    if ((flags & BigInt(RingbufFlags.ForceWakeup)) !== 0n || (cons === hdr && (flags & BigInt(RingbufFlags.NoWakeup)) === 0n)) this.#wake();
  }

  /** irq_work_queue(&rb->work) → bpf_ringbuf_notify: every waiting consumer wakes. */
  #wake(): void {
    Atomics.add(this.#control, WAKEUPS, 1);
    Atomics.notify(this.#control, WAKEUPS);
  }

  /** bpf_ringbuf_output: flags beyond the wakeup bits are EINVAL, no room is EAGAIN; else 0. */
  output(bytes: Uint8Array, flags: bigint): number {
    if ((flags & ~BigInt(RingbufFlags.NoWakeup | RingbufFlags.ForceWakeup)) !== 0n) return EINVAL;
    const sample = this.reserve(bytes.length);
    if (sample < 0) return EAGAIN;
    this.#data.set(bytes, sample);
    this.commit(sample, flags, false);
    return 0;
  }

  /** bpf_ringbuf_query: 0 for a flag it does not know. */
  query(flags: bigint): bigint {
    switch (flags) {
      case BigInt(RingbufQuery.AvailData): return BigInt(this.#pos(PROD) - this.#pos(CONS));
      case BigInt(RingbufQuery.RingSize): return BigInt(this.size);
      case BigInt(RingbufQuery.ConsPos): return BigInt(this.#pos(CONS));
      case BigInt(RingbufQuery.ProdPos): return BigInt(this.#pos(PROD));
      default: return 0n;
    }
  }

  /**
   * The consumer (libbpf ringbuf.c ringbuf_process_ring): hands each committed record's sample to `onRecord`
   * (a view valid during the call), skips discarded ones, stops at the first still BUSY or after `max`
   * records, and moves consumer_pos past each record it took. Returns how many it handed over.
   */
  consume(onRecord: (sample: Uint8Array) => void, max = Infinity): number {
    let cons = this.#pos(CONS);
    let n = 0;
    while (n < max) {
      const prod = this.#pos(PROD);
      if (cons >= prod) break;
      const at = cons & this.#mask;
      const hdrLen = Atomics.load(this.#words, at >> 2) >>> 0;
      if (hdrLen & BPF_RINGBUF_BUSY_BIT) break;
      const len = hdrLen & ~BPF_RINGBUF_DISCARD_BIT;
      cons += roundUp8(len + BPF_RINGBUF_HDR_SZ);
      if (!(hdrLen & BPF_RINGBUF_DISCARD_BIT)) {
        const sample = at + BPF_RINGBUF_HDR_SZ;
        onRecord(this.#data.subarray(sample, sample + len));
        n++;
      }
      Atomics.store(this.#positions, CONS, BigInt(cons));
    }
    return n;
  }

  /** Bytes committed or reserved and not yet consumed (ringbuf_avail_data_sz: what epoll's readiness asks). */
  available(): number {
    return this.#pos(PROD) - this.#pos(CONS);
  }

  /** The wakeup count now: pass it to waitWakeup to sleep until a producer raises the next. */
  wakeups(): number {
    return Atomics.load(this.#control, WAKEUPS);
  }

  /** Blocks this thread until the wakeup count leaves `seen` or `timeoutMs` passes (Atomics.wait). */
  waitWakeup(seen: number, timeoutMs: number): void {
    Atomics.wait(this.#control, WAKEUPS, seen, timeoutMs);
  }

  /** The same without blocking: a promise settled on the next wakeup or after `timeoutMs` (Atomics.waitAsync). */
  wakeupAsync(seen: number, timeoutMs: number): Promise<unknown> {
    const r = (Atomics as unknown as AtomicsWaitAsync).waitAsync(this.#control, WAKEUPS, seen, timeoutMs);
    return typeof r.value === 'string' ? Promise.resolve(r.value) : r.value;
  }

  // ringbuf_map_lookup_elem, _update_elem, _delete_elem, _get_next_key: ENOTSUPP.
  lookup(): number {
    return ENOTSUPP;
  }

  update(): number {
    return ENOTSUPP;
  }

  delete(): number {
    return ENOTSUPP;
  }

  getNextKey(_key: Uint8Array | null, _next: Uint8Array): number {
    return ENOTSUPP;
  }

  /** No value is ever addressed by key. */
  programValueOffset(_key: Uint8Array, _cpu: number, _keyOffset = 0, _setRef = true): number {
    return -1;
  }
}
