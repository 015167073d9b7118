// The objects programs allocate (bpf_obj_new, kernel/bpf/helpers.c bpf_obj_new_impl) live in one heap per
// Emulator, shared by every emulated CPU: an object a program stores in a map's kptr field (bpf_kptr_xchg)
// outlives the run and may be taken out by a program on another CPU. The heap is a growable
// SharedArrayBuffer, posted once to each thread that runs the Emulator's programs (ProgramSource.objectHeap).
//
//   words [0]         slab id (spin-locks.ts names a lock inside an object by (slab id, byte offset))
//         [1]         the allocator's lock word (shared.ts lockWord)
//         [2]         bump offset: where the next new object goes
//         [3 + c]     free list of size class c (objects of 8 (c + 1) bytes): the header offset of the first
//   objects           an 8-byte header (int32 payload size, int32 state: 1 live, 0 free; a free object's
//                     payload starts with the next free header offset), then the payload
//
// A pointer to an object is (OBJECT_BASE + header offset / 8) << 32: its id names it on every thread.
// Not modelled: objects a faulting run allocated (the kernel's programs do not fault), and those a map still
// held when it was freed, stay allocated until the Emulator goes.
import { lockWord, unlockWord, nextSlabId } from './maps/shared.js';

/** Object ids (a pointer's high word) start here, above any static region's and below the run regions'. */
export const OBJECT_BASE = 0x4000_0000;
/** bpf_mem_alloc serves sizes up to 4096 (kernel/bpf/memalloc.c): a larger object is NULL. */
export const OBJECT_MAX_SIZE = 4096;
const CLASSES = OBJECT_MAX_SIZE / 8;
const HEADER_WORDS = 3 + CLASSES;
const FIRST = (HEADER_WORDS * 4 + 7) & ~7;
const INITIAL = 64 * 1024;
/** The most the heap grows to; beyond it bpf_obj_new answers NULL, as an allocator out of memory does. */
const MAX = 64 * 1024 * 1024;

const heaps = new WeakMap<SharedArrayBuffer, ObjectHeap>();

/** ES2024's growable SharedArrayBuffer (Node 20 has it; the project's TypeScript lib is ES2023). */
type GrowableBuffer = SharedArrayBuffer & { grow(length: number): void };
const Growable = SharedArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => GrowableBuffer;

export class ObjectHeap {
  readonly buffer: SharedArrayBuffer;
  readonly #words: Int32Array;
  readonly #bytes: Uint8Array;

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    // Length-tracking views: they follow the buffer as it grows, on every thread.
    this.#words = new Int32Array(buffer);
    this.#bytes = new Uint8Array(buffer);
  }

  /** A new, empty heap; its slab id from the Emulator's counter (shared.ts withSlabIds). */
  static create(): ObjectHeap {
    const buffer = new Growable(INITIAL, { maxByteLength: MAX });
    const heap = new ObjectHeap(buffer);
    heap.#words[0] = nextSlabId();
    heap.#words[2] = FIRST;
    heaps.set(buffer, heap);
    return heap;
  }

  /** This thread's view of a heap another thread created. */
  static of(buffer: SharedArrayBuffer): ObjectHeap {
    let heap = heaps.get(buffer);
    if (!heap) heaps.set(buffer, (heap = new ObjectHeap(buffer)));
    return heap;
  }

  /** The whole heap's bytes (an object's region is a window of them: payloadOffset, size). */
  get bytes(): Uint8Array {
    return this.#bytes;
  }

  /** A zeroed object of `size` bytes: its id, or 0 when the heap cannot hold it (bpf_obj_new's NULL). */
  alloc(size: number): number {
    if (size <= 0 || size > OBJECT_MAX_SIZE) return 0;
    const rounded = (size + 7) & ~7;
    const cls = rounded / 8 - 1;
    const w = this.#words;
    lockWord(w, 1);
    let at: number;
    try {
      at = w[3 + cls]!;
      if (at !== 0) {
        w[3 + cls] = w[(at >> 2) + 2]!;
      } else {
        at = w[2]!;
        const end = at + 8 + rounded;
        if (end > this.buffer.byteLength) {
          if (end > MAX) return 0;
          (this.buffer as GrowableBuffer).grow(Math.min(MAX, Math.max(end, this.buffer.byteLength * 2)));
        }
        w[2] = end;
      }
      w[at >> 2] = size;
    } finally {
      unlockWord(w, 1);
    }
    this.#bytes.fill(0, at + 8, at + 8 + rounded);
    Atomics.store(w, (at >> 2) + 1, 1);
    return OBJECT_BASE + at / 8;
  }

  /** Frees a live object (bpf_obj_drop); false when `id` names none. */
  free(id: number): boolean {
    const at = this.#headerOf(id);
    if (at < 0) return false;
    const w = this.#words;
    if (Atomics.compareExchange(w, (at >> 2) + 1, 1, 0) !== 1) return false;
    const cls = ((w[at >> 2]! + 7) & ~7) / 8 - 1;
    lockWord(w, 1);
    w[(at >> 2) + 2] = w[3 + cls]!;
    w[3 + cls] = at;
    unlockWord(w, 1);
    return true;
  }

  /** A live object's size, or -1 (asked at every access through a pointer to it: allocates nothing). */
  sizeOf(id: number): number {
    const at = this.#headerOf(id);
    return at < 0 || Atomics.load(this.#words, (at >> 2) + 1) !== 1 ? -1 : this.#words[at >> 2]!;
  }

  /** Where object `id`'s payload starts in `bytes`. */
  static payloadOffset(id: number): number {
    return ((id >>> 0) - OBJECT_BASE) * 8 + 8;
  }

  /**
   * bpf_obj_free_fields for a map value's referenced kptrs (an element overwritten, deleted or freed): each
   * field's object is taken out (xchg with NULL) and dropped. `values` is a shared slab, `base` the value's
   * offset in it; fields are 8-byte aligned there.
   */
  releaseFields(values: Uint8Array, base: number, offsets: readonly number[]): void {
    for (const off of offsets) {
      const field = new BigInt64Array(values.buffer as SharedArrayBuffer, values.byteOffset + base + off, 1);
      const old = BigInt.asUintN(64, Atomics.exchange(field, 0, 0n));
      if (old !== 0n) this.free(Number(old >> 32n));
    }
  }

  /** Whether `id` is a live object. */
  isLive(id: number): boolean {
    const at = this.#headerOf(id);
    return at >= 0 && Atomics.load(this.#words, (at >> 2) + 1) === 1;
  }

  #headerOf(id: number): number {
    const at = ((id >>> 0) - OBJECT_BASE) * 8;
    return at >= FIRST && at + 8 <= Atomics.load(this.#words, 2) ? at : -1;
  }
}
