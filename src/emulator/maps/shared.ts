// Memory every emulated CPU sees: map storage lives in SharedArrayBuffers so the main thread and the
// worker threads that run programs (cpus.ts) read and change the same maps. Untouched pages of a
// SharedArrayBuffer are never committed by the OS, so a map's slabs are allocated whole at creation
// (as a preallocated kernel map is) without costing memory until elements are used.
import { threadId } from 'node:worker_threads';
import { roundUp8 } from '../../seam/map-layout.js';

/** A zeroed Int32Array over its own SharedArrayBuffer. */
export function sharedInt32(n: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(Math.max(1, n) * 4));
}

/** A zeroed byte array over its own SharedArrayBuffer, 8-byte aligned (values hold 64-bit atomics). */
export function sharedBytes(n: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(Math.max(8, roundUp8(n))), 0, n);
}

/** Bytes before a value slab's first value: the slab's id (lock identity across threads, see spin-locks.ts). */
export const SLAB_HEADER = 8;
/** Where slab ids come from: an Emulator's counter while it makes a map (withSlabIds), else this thread's. */
let slabIds = sharedInt32(1);

/**
 * Runs `make` (a table's constructor) with slab ids drawn from `ids`: an Emulator's counter, shared with
 * the threads that join it (Emulator.join), so every slab its maps have is named once across them.
 */
export function withSlabIds<T>(ids: Int32Array, make: () => T): T {
  const before = slabIds;
  slabIds = ids;
  try {
    return make();
  } finally {
    slabIds = before;
  }
}

/**
 * A map's value slab: n zeroed bytes, 8-byte aligned, behind a header holding an id unique among the
 * threads that share its Emulator (withSlabIds), so a lock word is named by (slab id, byte offset) on
 * every thread.
 */
export function sharedValueSlab(n: number): Uint8Array {
  const buffer = new SharedArrayBuffer(SLAB_HEADER + Math.max(8, roundUp8(n)));
  new Int32Array(buffer)[0] = nextSlabId();
  return new Uint8Array(buffer, SLAB_HEADER, n);
}

/** A new slab id (a value slab's, the object heap's: object-heap.ts), unique among the Emulator's threads. */
export function nextSlabId(): number {
  return Atomics.add(slabIds, 0, 1) + 1;
}

/** The next id of a slab that lives for one test run (runValueSlab), per thread. */
let runSlabs = 0;

/**
 * A value slab that lives for one test run (a program's cgroup storage): ids of their own, above any map's
 * and distinct per thread (bit 30, the thread id, a counter), so a lock in it is never taken for another's.
 */
export function runValueSlab(n: number): Uint8Array {
  const buffer = new SharedArrayBuffer(SLAB_HEADER + Math.max(8, roundUp8(n)));
  runSlabs = (runSlabs + 1) & 0xffff;
  new Int32Array(buffer)[0] = 0x40000000 | ((threadId & 0x3fff) << 16) | runSlabs;
  return new Uint8Array(buffer, SLAB_HEADER, n);
}

/** The views a table is made of, each over a SharedArrayBuffer: posted to a worker, they attach to the same memory. */
export type SharedViews = Record<string, Int32Array | Uint32Array | Uint8Array | Uint16Array>;

// A mutex in one Int32 word (Drepper, "Futexes are tricky": 0 free, 1 held, 2 held with waiters). It
// stands in for the kernel's raw spinlocks held inside one map operation (a hash map's free list and LRU
// lists; the bucket locks are sequence locks in hash.ts) and for bpf_spin_lock (spin-locks.ts).
const SPINS = 64;

export function lockWord(word: Int32Array, index: number): void {
  let c = Atomics.compareExchange(word, index, 0, 1);
  if (c === 0) return;
  for (let i = 0; i < SPINS; i++) {
    if (Atomics.load(word, index) === 0 && (c = Atomics.compareExchange(word, index, 0, 1)) === 0) return;
  }
  if (c !== 2) c = Atomics.exchange(word, index, 2);
  while (c !== 0) {
    Atomics.wait(word, index, 2);
    c = Atomics.exchange(word, index, 2);
  }
}

export function unlockWord(word: Int32Array, index: number): void {
  if (Atomics.sub(word, index, 1) !== 1) {
    Atomics.store(word, index, 0);
    Atomics.notify(word, index, 1);
  }
}

/** Runs `body` holding the lock word at `index` (BPF_F_LOCK copies under a value's bpf_spin_lock). */
export function whileLocked(word: Int32Array, index: number, body: () => void): void {
  lockWord(word, index);
  try {
    body();
  } finally {
    unlockWord(word, index);
  }
}

/**
 * Slabs are read and written a word at a time where the bytes allow it: a short byte loop costs more than
 * the rest of a lookup in V8. The words are the host's byte order, so only where that is little-endian
 * (as BPF maps' bytes are on x86-64 and arm64) is a word's low byte the first byte.
 */
export const WORDS_ARE_LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** `n` bytes (a multiple of 4) from `words` at word `w` to `out` at `off`. Little-endian hosts only. */
export function wordsOut(words: Int32Array, w: number, out: Uint8Array, off: number, n: number): void {
  for (let j = 0; j < n; j += 4) {
    const x = words[w++]!;
    out[off + j] = x;
    out[off + j + 1] = x >> 8;
    out[off + j + 2] = x >> 16;
    out[off + j + 3] = x >> 24;
  }
}

/** `n` bytes (a multiple of 4) of `src` from `off` into `words` from word `w`. Little-endian hosts only. */
export function wordsIn(src: Uint8Array, off: number, words: Int32Array, w: number, n: number): void {
  for (let j = 0; j < n; j += 4) words[w++] = src[off + j]! | (src[off + j + 1]! << 8) | (src[off + j + 2]! << 16) | (src[off + j + 3]! << 24);
}
