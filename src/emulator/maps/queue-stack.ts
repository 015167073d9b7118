// QUEUE and STACK (kernel/bpf/queue_stack_maps.c): one ring of max_entries + 1 value slots with a head (where
// a push writes) and a tail (where a queue pops); a stack pops below the head. Empty is head == tail, full is
// head + 1 == tail (mod size), so one slot always stays unused. Every operation holds the map's lock: here a
// lock word in shared memory (shared.ts lockWord), so pushes and pops from the main thread and the emulated
// CPUs never interleave. The kernel's lock is a resilient spinlock since 6.15 (raw_res_spin_lock_irqsave, a
// raw spinlock with a trylock in NMI before), and an op that cannot take it (a deadlock: an NMI or a tracing
// program re-entering the map on a CPU that holds it; or a timeout) returns EBUSY. No emulated context
// re-enters a map it holds, so here an op always waits for the lock.
import { sharedBytes, sharedInt32, lockWord, unlockWord } from './shared.js';
import { E2BIG, EINVAL, ENOENT } from '../../uapi/errno.js';
import { BPF_EXIST, BPF_NOEXIST, copyBytes, type MapShape } from './storage.js';

// Words of the header.
const LOCK = 0;
const HEAD = 1;
const TAIL = 2;

/** A QueueStackTable's shared memory: post it to a worker and attach there with `new QueueStackTable(shape, lifo, state)`. */
export interface QueueStackState {
  shape: MapShape;
  lifo: boolean;
  /** [lock, head, tail] */
  header: Int32Array;
  elements: Uint8Array;
}

/**
 * queue_stack_map_push_elem's flags: BPF_EXIST makes room by dropping the oldest element; BPF_NOEXIST, or
 * anything above BPF_EXIST (the whole u64), is EINVAL.
 */
export function queuePushFlags(flags: bigint): { replace: boolean } | number {
  if ((flags & NOEXIST) !== 0n || flags > EXIST) return EINVAL;
  return { replace: (flags & EXIST) !== 0n };
}

const NOEXIST = BigInt(BPF_NOEXIST);
const EXIST = BigInt(BPF_EXIST);

export class QueueStackTable {
  readonly shape: MapShape;
  /** STACK pops the newest element (stack_map_pop_elem), QUEUE the oldest (queue_map_pop_elem). */
  readonly lifo: boolean;
  readonly state: QueueStackState;
  /** qs->size: max_entries + 1. */
  readonly #size: number;
  readonly #header: Int32Array;
  readonly #elements: Uint8Array;

  constructor(shape: MapShape, lifo: boolean, state?: QueueStackState) {
    this.shape = shape;
    this.lifo = lifo;
    this.#size = shape.maxEntries + 1;
    this.#header = state?.header ?? sharedInt32(3);
    // queue_stack_map_alloc: (max_entries + 1) × value_size bytes of elements.
    this.#elements = state?.elements ?? sharedBytes(this.#size * shape.valueSize);
    this.state = { shape, lifo, header: this.#header, elements: this.#elements };
  }

  #locked<T>(body: () => T): T {
    lockWord(this.#header, LOCK);
    try {
      return body();
    } finally {
      unlockWord(this.#header, LOCK);
    }
  }

  /** queue_stack_map_push_elem: `value` (value_size bytes from `off`) at the head; E2BIG when full unless `replace`. */
  push(value: Uint8Array, off: number, flags: bigint): number {
    const checked = queuePushFlags(flags);
    if (typeof checked === 'number') return checked;
    const h = this.#header;
    const vs = this.shape.valueSize;
    return this.#locked(() => {
      const head = h[HEAD]!;
      const tail = h[TAIL]!;
      // queue_stack_map_is_full
      if (this.#next(head) === tail) {
        if (!checked.replace) return E2BIG;
        // advance the tail to overwrite the oldest element
        h[TAIL] = this.#next(tail);
      }
      copyBytes(value, off, this.#elements, head * vs, vs);
      h[HEAD] = this.#next(head);
      return 0;
    });
  }

  /**
   * __queue_map_get / __stack_map_get: the oldest (queue) or newest (stack) value into `out` at `off`, removed
   * when `remove`; ENOENT when empty, `out` untouched (the kernel zeroes its own buffer, which a syscall does not
   * copy back; a program's pop writes the zeros itself: helpers.ts).
   */
  get(out: Uint8Array, off: number, remove: boolean): number {
    const h = this.#header;
    const vs = this.shape.valueSize;
    return this.#locked(() => {
      const head = h[HEAD]!;
      const tail = h[TAIL]!;
      if (head === tail) return ENOENT;
      // A stack's newest element is below the head (wrapping to the last slot), a queue's oldest at the tail.
      const index = this.lifo ? (head === 0 ? this.#size - 1 : head - 1) : tail;
      copyBytes(this.#elements, index * vs, out, off, vs);
      if (remove) {
        if (this.lifo) h[HEAD] = index;
        else h[TAIL] = this.#next(tail);
      }
      return 0;
    });
  }

  #next(i: number): number {
    return i + 1 >= this.#size ? 0 : i + 1;
  }

  /** queue_stack_map_delete_elem: a queue has no keys to delete by. */
  delete(): number {
    return EINVAL;
  }

  /** queue_stack_map_update_elem: programs and the syscall push instead (bpf_map_update_value). */
  update(): number {
    return EINVAL;
  }

  /** queue_stack_map_get_next_key */
  getNextKey(_key: Uint8Array | null, _next: Uint8Array): number {
    return EINVAL;
  }

  /** queue_stack_map_lookup_elem returns NULL (the verifier never lets a program call it on a queue). */
  programValueOffset(_key: Uint8Array, _cpu: number, _keyOffset = 0, _setRef = true): number {
    return -1;
  }

  /** No value is ever addressed in place (programValueOffset finds none): the elements, for the Table shape. */
  get values(): Uint8Array {
    return this.#elements;
  }
}
