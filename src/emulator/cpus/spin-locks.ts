// The locks BPF programs take, over the map memory every emulated CPU shares (maps/shared.ts): bpf_spin_lock
// (helpers 93/94) and the resilient queued spin lock behind the bpf_res_spin_lock kfuncs
// (kernel/bpf/rqspinlock.c, include/asm-generic/rqspinlock.h). A lock is the 4-byte word in a map value;
// it is named across threads by (value slab id, byte offset).
//
// Word states (both kinds): 0 free, 1 held, 2 held with waiters (a waiter sleeps in Atomics.wait and the
// unlock wakes it), so an uncontended lock/unlock is one compare-exchange and one exchange.
import { EDEADLK, ETIMEDOUT } from '../../uapi/errno.js';
import { int32Of, ProgramFault } from '../programs/memory.js';
import { lockWord, unlockWord } from '../maps/shared.js';


/** include/asm-generic/rqspinlock.h: RES_NR_HELD, the held-locks entries each CPU records. */
export const RES_NR_HELD = 31;
/** RES_DEF_TIMEOUT: how long one acquisition may wait before -ETIMEDOUT (NSEC_PER_SEC / 4). */
export const RES_DEF_TIMEOUT_NS = 250_000_000;
/** rqspinlock.c checks for ABBA deadlocks after at least this long waiting, and again as often. */
const ABBA_CHECK_NS = 1_000_000;
/** Int32 words per CPU in the held-locks tables: the count, then (slab, offset) per entry, padded. */
const TABLE_STRIDE = 64;

/** The Int32 view of a lock word's buffer; faults unless `lock` is 4 aligned bytes of a map value. */
function wordsOf(lock: Uint8Array, what: string): Int32Array {
  const buffer = lock.buffer;
  if (!(buffer instanceof SharedArrayBuffer) || lock.byteOffset % 4 !== 0 || lock.length < 4) {
    throw new ProgramFault(`${what}: the lock is not a 4-byte aligned word of a map value`);
  }
  return int32Of(buffer);
}

function unlockRes(words: Int32Array, index: number): void {
  if (Atomics.exchange(words, index, 0) === 2) Atomics.notify(words, index, 1);
}

/** Every emulated CPU's held-locks table, in one SharedArrayBuffer (rqspinlock_held_locks, per CPU). */
export function heldLockTables(executors: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(executors * TABLE_STRIDE * 4));
}

/**
 * The locks one emulated CPU takes and holds: `executor` is its row in the held-locks tables (each worker
 * CPU has one, and the main thread's synchronous runs one more, so they never share a table). A run's
 * lock state is checked at its end: a lock still held or an unlock of a lock not held is a fault (the
 * verifier's rules make both unreachable for verified programs; the emulator catches them at run time).
 */
export class CpuLocks {
  readonly #tables: Int32Array;
  readonly #row: number;
  readonly #executors: number;
  readonly #timeoutNs: number;
  // What this CPU holds, to release it if a run faults: the spin lock, and the res locks as a stack.
  #spinWords: Int32Array | null = null;
  #spinIndex = 0;
  readonly #resWords: Int32Array[] = [];
  readonly #resIndex: number[] = [];

  constructor(tables: Int32Array, executor: number, timeoutNs = RES_DEF_TIMEOUT_NS) {
    this.#tables = tables;
    this.#executors = tables.length / TABLE_STRIDE;
    this.#row = executor * TABLE_STRIDE;
    this.#timeoutNs = timeoutNs;
  }

  // ---- bpf_spin_lock (kernel/bpf/helpers.c __bpf_spin_lock_irqsave: a plain arch spinlock) ----

  spinLock(lock: Uint8Array): void {
    const words = wordsOf(lock, 'bpf_spin_lock');
    if (this.#spinWords !== null) throw new ProgramFault('bpf_spin_lock while already holding a bpf_spin_lock (the kernel would deadlock)');
    lockWord(words, lock.byteOffset >> 2);
    this.#spinWords = words;
    this.#spinIndex = lock.byteOffset >> 2;
  }

  spinUnlock(lock: Uint8Array): void {
    const words = wordsOf(lock, 'bpf_spin_unlock');
    if (this.#spinWords !== words || this.#spinIndex !== lock.byteOffset >> 2) throw new ProgramFault('bpf_spin_unlock of a lock this program does not hold');
    this.#spinWords = null;
    unlockWord(words, lock.byteOffset >> 2);
  }

  // ---- bpf_res_spin_lock (kernel/bpf/rqspinlock.c) ----

  /** res_spin_lock: 0, -EDEADLK (AA at once, ABBA after ≥1 ms) or -ETIMEDOUT. */
  resLock(lock: Uint8Array): number {
    const words = wordsOf(lock, 'bpf_res_spin_lock');
    const index = lock.byteOffset >> 2;
    const slab = words[0]!;
    const offset = lock.byteOffset;
    const t = this.#tables;
    const row = this.#row;
    // grab_held_lock_entry: the entry is recorded before the attempt, so other CPUs can see what we wait for.
    const cnt = t[row]!;
    if (cnt < RES_NR_HELD) {
      Atomics.store(t, row + 1 + 2 * cnt, slab);
      Atomics.store(t, row + 2 + 2 * cnt, offset);
    }
    Atomics.store(t, row, cnt + 1);
    if (Atomics.compareExchange(words, index, 0, 1) === 0) return this.#pushRes(words, index);
    // check_deadlock_AA: the lock is one this CPU already holds: the recorded entries below the top one
    // (min(RES_NR_HELD, cnt) - 1 of them, cnt counting the attempt), so past the table's end AA goes unseen.
    for (let i = 0; i < Math.min(cnt + 1, RES_NR_HELD) - 1; i++) {
      if (t[row + 1 + 2 * i] === slab && t[row + 2 + 2 * i] === offset) return this.#dropEntry(EDEADLK);
    }
    const start = process.hrtime.bigint();
    let waited = 0;
    for (;;) {
      if (Atomics.exchange(words, index, 2) === 0) return this.#pushRes(words, index);
      Atomics.wait(words, index, 2, ABBA_CHECK_NS / 1e6);
      waited = Number(process.hrtime.bigint() - start);
      if (waited >= ABBA_CHECK_NS && this.#abba(words, index, slab, offset)) return this.#dropEntry(EDEADLK);
      if (waited >= this.#timeoutNs) return this.#dropEntry(ETIMEDOUT);
    }
  }

  /** res_spin_unlock: pops the top entry and releases the lock (out-of-order unlocks are a fault here). */
  resUnlock(lock: Uint8Array): void {
    const words = wordsOf(lock, 'bpf_res_spin_unlock');
    const index = lock.byteOffset >> 2;
    const top = this.#resWords.length - 1;
    if (top < 0) throw new ProgramFault('bpf_res_spin_unlock without holding a bpf_res_spin_lock');
    if (this.#resWords[top] !== words || this.#resIndex[top] !== index) throw new ProgramFault('bpf_res_spin_unlock of a lock that is not the most recently taken');
    this.#resWords.length = top;
    this.#resIndex.length = top;
    this.#popEntry();
    unlockRes(words, index);
  }

  /** Locks held now: a run must end with none. */
  get held(): number {
    return (this.#spinWords === null ? 0 : 1) + this.#resWords.length;
  }

  /** After a faulting run: releases whatever it still holds, newest first, so other CPUs are not stuck. */
  releaseAll(): void {
    while (this.#resWords.length > 0) {
      const words = this.#resWords.pop()!;
      const index = this.#resIndex.pop()!;
      this.#popEntry();
      unlockRes(words, index);
    }
    if (this.#spinWords !== null) {
      unlockWord(this.#spinWords, this.#spinIndex);
      this.#spinWords = null;
    }
  }

  #pushRes(words: Int32Array, index: number): number {
    this.#resWords.push(words);
    this.#resIndex.push(index);
    return 0;
  }

  /** release_held_lock_entry after a failed attempt. */
  #dropEntry(errno: number): number {
    this.#popEntry();
    return errno;
  }

  #popEntry(): void {
    const t = this.#tables;
    const cnt = t[this.#row]! - 1;
    if (cnt < RES_NR_HELD) {
      Atomics.store(t, this.#row + 1 + 2 * cnt, 0);
      Atomics.store(t, this.#row + 2 + 2 * cnt, 0);
    }
    Atomics.store(t, this.#row, cnt);
  }

  /**
   * check_deadlock_ABBA: some other CPU holds the lock we want (among its entries below its top) while
   * its top entry — the lock it is waiting for — is one we hold. Racy reads make it inconclusive, never wrong.
   */
  #abba(words: Int32Array, index: number, slab: number, offset: number): boolean {
    const t = this.#tables;
    const mine = Math.min(t[this.#row]!, RES_NR_HELD);
    for (let cpu = 0; cpu < this.#executors; cpu++) {
      if (Atomics.load(words, index) === 0) return false;
      const row = cpu * TABLE_STRIDE;
      if (row === this.#row) continue;
      const realCnt = Atomics.load(t, row);
      if (realCnt < 2 || realCnt > RES_NR_HELD) continue;
      const topSlab = Atomics.load(t, row + 1 + 2 * (realCnt - 1));
      const topOffset = Atomics.load(t, row + 2 + 2 * (realCnt - 1));
      if (topSlab === 0 || (topSlab === slab && topOffset === offset)) continue;
      for (let i = 0; i < realCnt - 1; i++) {
        if (Atomics.load(t, row + 1 + 2 * i) !== slab || Atomics.load(t, row + 2 + 2 * i) !== offset) continue;
        for (let j = 0; j < mine - 1; j++) {
          if (t[this.#row + 1 + 2 * j] === topSlab && t[this.#row + 2 + 2 * j] === topOffset) return true;
        }
        return false;
      }
    }
    return false;
  }
}
