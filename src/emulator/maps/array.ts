// ARRAY and PERCPU_ARRAY (kernel/bpf/arraymap.c): every index exists from creation, zeroed; nothing is
// ever deleted. Values sit in one slab at index × stride.
import { roundUp8, valueBufferSize } from '../../seam/map-layout.js';
import { sharedValueSlab, whileLocked } from './shared.js';
import { E2BIG, EEXIST, EINVAL, ENOENT } from '../../uapi/errno.js';
import { BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, clearSpecial, copyBytes, copyExceptSpecial, copyValueOut, freeKptrs, type MapShape } from './storage.js';

/** An ArrayTable's shared memory: post it to a worker and attach there with `new ArrayTable(shape, state)`. */
export interface ArrayState {
  shape: MapShape;
  values: Uint8Array;
}

export class ArrayTable {
  readonly shape: MapShape;
  /** Bytes of one element's value as the syscall sees it: value_size, or round_up(value_size, 8) × ncpu. */
  readonly stride: number;
  /** Bytes between two elements in the slab: arraymap.c elem_size = round_up(value_size, 8). */
  readonly #elem: number;
  readonly #slot: number;
  readonly #values: Uint8Array;
  /** The value slab's buffer as Int32 words: the lock words BPF_F_LOCK takes. */
  readonly #words: Int32Array;
  readonly state: ArrayState;

  constructor(shape: MapShape, state?: ArrayState) {
    this.shape = shape;
    this.#slot = roundUp8(shape.valueSize);
    this.stride = valueBufferSize(shape.valueSize, shape.percpu, shape.ncpu);
    this.#elem = roundUp8(this.stride);
    this.#values = state?.values ?? sharedValueSlab(shape.maxEntries * this.#elem);
    this.#words = new Int32Array(this.#values.buffer);
    this.state = { shape, values: this.#values };
  }

  #index(key: Uint8Array, off: number): number {
    return arrayIndex(key, off);
  }

  /** `withValueLock`: BPF_F_LOCK, the copy taken under the value's bpf_spin_lock. */
  lookup(key: Uint8Array, out: Uint8Array, withValueLock = false): number {
    const i = this.#index(key, 0);
    if (i >= this.shape.maxEntries) return ENOENT;
    const base = i * this.#elem;
    if (withValueLock) this.#underValueLock(base, () => copyBytes(this.#values, base, out, 0, this.stride));
    else copyValueOut(this.#values, base, out, 0, this.stride, this.shape);
    clearSpecial(out, 0, this.shape);
    return 0;
  }

  /** bpf_percpu_array_copy with BPF_F_CPU (7.0+): `cpu`'s value_size bytes, to out at `off`. */
  lookupCpu(key: Uint8Array, koff: number, out: Uint8Array, off: number, cpu: number): number {
    const i = this.#index(key, koff);
    if (i >= this.shape.maxEntries) return ENOENT;
    copyBytes(this.#values, i * this.#elem + cpu * this.#slot, out, off, this.shape.valueSize);
    return 0;
  }

  #underValueLock(base: number, copy: () => void): void {
    whileLocked(this.#words, (this.#values.byteOffset + base + this.shape.lockOffset) >> 2, copy);
  }

  /**
   * array_map_update_elem / bpf_percpu_array_update; `fromProgram` writes only `cpu`'s slot (value_size
   * bytes from voff), as a syscall update with BPF_F_CPU does too.
   */
  update(key: Uint8Array, koff: number, value: Uint8Array, voff: number, flags: number, cpu: number, fromProgram: boolean): number {
    const percpu = this.shape.percpu;
    if ((percpu ? flags : flags & ~BPF_F_LOCK) > BPF_EXIST) return EINVAL;
    const i = this.#index(key, koff);
    if (i >= this.shape.maxEntries) return E2BIG;
    if (flags & BPF_NOEXIST) return EEXIST; // every index always exists
    if ((flags & BPF_F_LOCK) && this.shape.lockOffset < 0) return EINVAL;
    const base = i * this.#elem;
    if (percpu && fromProgram) {
      copyBytes(value, voff, this.#values, base + cpu * this.#slot, this.shape.valueSize);
      return 0;
    }
    const len = fromProgram ? this.shape.valueSize : this.stride;
    if (flags & BPF_F_LOCK) {
      // array_map_update_elem: copy_map_value_locked, in place under the value's lock.
      this.#underValueLock(base, () => copyExceptSpecial(value, voff, this.#values, base, len, this.shape));
    } else {
      // copy_map_value: every byte but the lock word, which a program on another CPU may be holding, and the kptrs.
      copyExceptSpecial(value, voff, this.#values, base, len, this.shape);
    }
    // array_map_update_elem: bpf_obj_free_fields after either copy, so the element's kptrs let go of their objects.
    freeKptrs(this.#values, base, this.shape);
    return 0;
  }

  /** array_map_get_next_key (arrayNextKey). */
  getNextKey(key: Uint8Array | null, next: Uint8Array): number {
    return arrayNextKey(key, next, this.shape.maxEntries);
  }

  /** A program's bpf_map_lookup_elem: the byte offset of `cpu`'s value in `values`, or -1 (key read in place at keyOffset). */
  programValueOffset(key: Uint8Array, cpu: number, keyOffset = 0, _setRef = true): number {
    const i = this.#index(key, keyOffset);
    if (i >= this.shape.maxEntries) return -1;
    return i * this.#elem + (this.shape.percpu ? cpu * this.#slot : 0);
  }

  /** The value slab (fixed for the map's life). */
  get values(): Uint8Array {
    return this.#values;
  }
}

/** An array map's key: a little-endian u32 index at `off`. */
export function arrayIndex(key: Uint8Array, off: number): number {
  return (key[off]! | (key[off + 1]! << 8) | (key[off + 2]! << 16) | (key[off + 3]! << 24)) >>> 0;
}

/**
 * kernel/bpf/arraymap.c array_map_get_next_key (every array-backed map's): past the end (or no key) → index
 * 0; the last index → ENOENT.
 */
export function arrayNextKey(key: Uint8Array | null, next: Uint8Array, maxEntries: number): number {
  const i = key ? arrayIndex(key, 0) : 0xffffffff;
  let n: number;
  if (i >= maxEntries) n = 0;
  else if (i === maxEntries - 1) return ENOENT;
  else n = i + 1;
  next[0] = n & 0xff;
  next[1] = (n >>> 8) & 0xff;
  next[2] = (n >>> 16) & 0xff;
  next[3] = n >>> 24;
  return 0;
}
