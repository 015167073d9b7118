// BLOOM_FILTER (kernel/bpf/bloom_filter.c): a bitset of a power-of-two number of bits; a push sets
// nr_hash_funcs bits of the value, a peek answers whether all of them are set. The hashes are the kernel's
// (jhash2 over words, else jhash, of the value with the map's seed + the hash's index), so with
// BPF_F_ZERO_SEED a filter answers every value, false positives included, as the kernel's does. The bits are
// set with Atomics.or, as set_bit is atomic: pushes from several emulated CPUs lose nothing, without a lock.
import { sharedInt32 } from './shared.js';
import { EINVAL, ENOENT, EOPNOTSUPP } from '../../uapi/errno.js';
import { jhash, jhash2 } from './jhash.js';
import { BPF_ANY, type MapShape } from './storage.js';

/** bloom_map_alloc: "Default to using 5 hash functions if unspecified". */
const DEFAULT_NR_HASH_FUNCS = 5;
const BITS_PER_LONG = 64;
const U32_MAX = 0xffffffff;

/** The filter's geometry as bloom_map_alloc computes it from max_entries and map_extra's low 4 bits. */
export interface BloomGeometry {
  nrHashFuncs: number;
  /** bitset_mask: the number of bits − 1. */
  bitsetMask: number;
}

/**
 * bloom_map_alloc: nr_bits = max_entries × nr_hash_funcs × 7 / 5 (u32 arithmetic, 7/5 approximating
 * 1/ln 2), at least BITS_PER_LONG, rounded up to a power of two; 2^32 bits when it overflows or exceeds 2^31.
 * `mapExtra` has been checked (its bits above the low 4 are EINVAL).
 */
export function bloomGeometry(maxEntries: number, mapExtra: number): BloomGeometry {
  const nrHashFuncs = mapExtra === 0 ? DEFAULT_NR_HASH_FUNCS : mapExtra;
  // check_mul_overflow(max_entries, nr_hash_funcs), then check_mul_overflow(nr_bits / 5, 7), both in u32.
  let nrBits = maxEntries * nrHashFuncs;
  let bitsetMask: number;
  if (nrBits > U32_MAX || Math.floor(nrBits / 5) * 7 > U32_MAX || (nrBits = Math.floor(nrBits / 5) * 7) > 2 ** 31) {
    bitsetMask = U32_MAX;
  } else {
    nrBits = nrBits <= BITS_PER_LONG ? BITS_PER_LONG : 2 ** Math.ceil(Math.log2(nrBits));
    bitsetMask = nrBits - 1;
  }
  return { nrHashFuncs, bitsetMask };
}

/** A BloomFilterTable's shared memory: post it to a worker and attach there with `new BloomFilterTable(shape, ..., state)`. */
export interface BloomFilterState {
  shape: MapShape;
  geometry: BloomGeometry;
  seed: number;
  bits: Int32Array;
}

export class BloomFilterTable {
  readonly shape: MapShape;
  readonly state: BloomFilterState;
  readonly #nrHashFuncs: number;
  readonly #mask: number;
  /** bloom->hash_seed: random, or 0 with BPF_F_ZERO_SEED. */
  readonly #seed: number;
  /** The bitset as 32-bit words: bit h is bit h % 32 of word h / 32 (bit h % 64 of long h / 64 on a little-endian kernel). */
  readonly #bits: Int32Array;

  constructor(shape: MapShape, geometry: BloomGeometry, seed: number, state?: BloomFilterState) {
    this.shape = shape;
    this.#nrHashFuncs = geometry.nrHashFuncs;
    this.#mask = geometry.bitsetMask;
    this.#seed = seed >>> 0;
    // BITS_TO_LONGS(bitset_mask + 1) longs: at least one.
    this.#bits = state?.bits ?? sharedInt32(Math.max(2, (geometry.bitsetMask + 1) / 32));
    this.state = { shape, geometry, seed: this.#seed, bits: this.#bits };
  }

  /** bloom_filter.c hash(): the value's `index`th bit. */
  #hash(value: Uint8Array, off: number, index: number): number {
    const vs = this.shape.valueSize;
    const seed = (this.#seed + index) >>> 0;
    const h = vs % 4 === 0 ? jhash2(value, off, vs, seed) : jhash(value, off, vs, seed);
    return (h & this.#mask) >>> 0;
  }

  /** bloom_map_push_elem: flags must be BPF_ANY (the whole u64). */
  push(value: Uint8Array, off: number, flags: bigint): number {
    if (flags !== BigInt(BPF_ANY)) return EINVAL;
    for (let i = 0; i < this.#nrHashFuncs; i++) {
      const h = this.#hash(value, off, i);
      Atomics.or(this.#bits, h >>> 5, 1 << (h & 31));
    }
    return 0;
  }

  /** bloom_map_peek_elem: 0 when every bit of the value is set (present, or a false positive), else ENOENT. */
  peek(value: Uint8Array, off: number): number {
    for (let i = 0; i < this.#nrHashFuncs; i++) {
      const h = this.#hash(value, off, i);
      if ((Atomics.load(this.#bits, h >>> 5) & (1 << (h & 31))) === 0) return ENOENT;
    }
    return 0;
  }

  /** bloom_map_pop_elem: nothing can be taken out of a bloom filter. */
  pop(): number {
    return EOPNOTSUPP;
  }

  /** bloom_map_delete_elem */
  delete(): number {
    return EOPNOTSUPP;
  }

  /** bloom_map_update_elem: "The eBPF program should use map_push_elem instead". */
  update(): number {
    return EINVAL;
  }

  /** bloom_map_get_next_key */
  getNextKey(_key: Uint8Array | null, _next: Uint8Array): number {
    return EOPNOTSUPP;
  }

  /** bloom_map_lookup_elem returns ERR_PTR(-EINVAL): the verifier never lets a program call it. */
  programValueOffset(_key: Uint8Array, _cpu: number, _keyOffset = 0, _setRef = true): number {
    return -1;
  }

  /** No value is ever addressed in place: an empty slab, for the Table shape. */
  get values(): Uint8Array {
    return EMPTY;
  }
}

const EMPTY = new Uint8Array(0);
