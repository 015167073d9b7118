// What compiled programs (compiler.ts) call at run time. Registers there are pairs of int32 words (hi, lo):
// the arithmetic V8 runs fastest (measured on Node 20: a 64-bit multiply/xor/shift loop runs ~10x faster
// on int32 pairs than on BigInt.asUintN(64, ...)). Functions that produce a 64-bit value return the low
// word and leave the high word in `hiOut[0]`. Every rule here restates interpreter.ts, which cites the
// kernel: the two must agree bit for bit, and the differential tests hold them to it.
import { sizeBytes, AtomicOp } from '../../uapi/isa.js';
import { int32Of, int64Of, Memory, ProgramFault, retag, viewOf, type AccessSize, type AtomicRmwOp } from './memory.js';

/** The high word of the last 64-bit result a runtime function returned. */
export const hiOut = new Int32Array(1);
/** The tag (memory.ts) of r0 as the last frame returned it. */
export const tagOut = new Int32Array(1);

// BigInt <-> pair through one 8-byte buffer: a BigUint64Array store takes any BigInt modulo 2^64 without
// allocating, and a load makes the one BigInt needed (shifts and masks would make three). word-pairs.ts has
// the same conversion for the interpreter, deliberately: the differential tests compare the two executions,
// so they share no arithmetic.
const pairBuffer = new ArrayBuffer(8);
const pairWords = new Int32Array(pairBuffer);
const pairU64 = new BigUint64Array(pairBuffer);

const pairI64 = new BigInt64Array(pairBuffer);

/** The signed 64-bit BigInt of a register pair (what a BigInt64Array takes). */
function signedBig(h: number, l: number): bigint {
  pairWords[0] = l;
  pairWords[1] = h;
  return pairI64[0]!;
}

/** The unsigned 64-bit BigInt of a register pair. */
export function big(h: number, l: number): bigint {
  pairWords[0] = l;
  pairWords[1] = h;
  return pairU64[0]!;
}

/** Splits a 64-bit BigInt (taken modulo 2^64): returns the low word, the high one in hiOut. */
export function split(v: bigint): number {
  pairU64[0] = v;
  hiOut[0] = pairWords[1]!;
  return pairWords[0]!;
}

/** Records the faulting instruction (first wins, as the interpreter's catch does) and returns the error. */
export function faultAt(e: unknown, pc: number): unknown {
  if (e instanceof ProgramFault) e.at(pc);
  return e;
}

export const fault = (reason: string, pc: number): ProgramFault => new ProgramFault(reason).at(pc);

export const unknownOpcode = (code: number, pc: number): ProgramFault =>
  fault(`unknown opcode 0x${code.toString(16).padStart(2, '0')}`, pc);

// ---- 64-bit arithmetic on pairs ----

/** ALU64 shifts by a register (core.c masks the amount with 63). */
export function lsh64(h: number, l: number, s: number): number {
  s &= 63;
  if (s === 0) { hiOut[0] = h; return l; }
  if (s < 32) { hiOut[0] = (h << s) | (l >>> (32 - s)); return l << s; }
  hiOut[0] = l << (s - 32);
  return 0;
}
export function rsh64(h: number, l: number, s: number): number {
  s &= 63;
  if (s === 0) { hiOut[0] = h; return l; }
  if (s < 32) { hiOut[0] = h >>> s; return (l >>> s) | (h << (32 - s)); }
  hiOut[0] = 0;
  return (h >>> (s - 32)) | 0;
}
export function arsh64(h: number, l: number, s: number): number {
  s &= 63;
  if (s === 0) { hiOut[0] = h; return l; }
  if (s < 32) { hiOut[0] = h >> s; return (l >>> s) | (h << (32 - s)); }
  hiOut[0] = h >> 31;
  return h >> (s - 32);
}

/** ALU64 DIV/MOD, off 0 (unsigned) or 1 (signed), with the verifier's rewrites (see interpreter.ts alu64). */
export function div64(ah: number, al: number, bh: number, bl: number, signed: boolean, mod: boolean): number {
  if (!signed && (ah | bh) === 0) {
    // Both fit in 32 bits: exact in doubles.
    const a = al >>> 0;
    const b = bl >>> 0;
    hiOut[0] = 0;
    if (b === 0) return mod ? al : 0; // do_misc_fixups: "Rx div 0 -> 0", "Rx mod 0 -> Rx"
    return (mod ? a % b : Math.floor(a / b)) | 0;
  }
  const a = big(ah, al);
  const b = big(bh, bl);
  if (!signed) {
    if (b === 0n) return split(mod ? a : 0n);
    return split(mod ? a % b : a / b);
  }
  const sa = BigInt.asIntN(64, a);
  const sb = BigInt.asIntN(64, b);
  if (sb === 0n) return split(mod ? a : 0n);
  if (sb === -1n) return split(mod ? 0n : BigInt.asUintN(64, -a));
  return split(BigInt.asUintN(64, mod ? sa % sb : sa / sb));
}

/** ALU (32-bit) DIV/MOD on the low words; the result is a u32 bit pattern (see interpreter.ts alu32). */
export function div32(a: number, b: number, signed: boolean, mod: boolean): number {
  if (!signed) {
    const ua = a >>> 0;
    const ub = b >>> 0;
    if (ub === 0) return mod ? a : 0;
    return (mod ? ua % ub : Math.floor(ua / ub)) | 0;
  }
  const sb = b | 0;
  if (sb === 0) return mod ? a : 0;
  if (sb === -1) return mod ? 0 : -a | 0;
  return (mod ? (a | 0) % sb : Math.trunc((a | 0) / sb)) | 0;
}

const swapView = new DataView(new ArrayBuffer(8));
export function bswap32(v: number): number {
  swapView.setInt32(0, v, true);
  return swapView.getInt32(0, false);
}
export const bswap16 = (v: number): number => ((v & 0xff) << 8) | ((v >>> 8) & 0xff);

// ---- memory ----

/**
 * Byte access for compiled code that missed its inline cache (compiler.ts load/store), or that has none.
 * An access through a pointer tagged `t` (memory.ts), at a non-negative offset inside the plain byte region
 * `t` names, is served here and described in `hit`/`hi`/`view`/`base`/`max`/`tags`, which the generated
 * code copies into the instruction's cache. A ctx region answers through its loadWords() when it has one.
 * Anything else — scalars, offsets outside [0, 2^31), pointers that left their region, out of bounds,
 * read-only, a ctx field without loadWords — takes Memory's own path, so faults carry its exact messages.
 */
const REGION_CACHE = 8;

const NO_WORDS = new Int32Array(0);

export class FastMemory {
  /** Whether the last access was served from a byte region (then the fields below describe it). */
  hit = false;
  /**
   * Its region id, the view over its buffer, where the region starts in it, the low word of a pointer to its
   * first byte (ByteRegion.origin), the largest in-bounds offset from there.
   */
  hi = 0;
  view: DataView = swapView;
  base = 0;
  origin = 0;
  max = 0;
  /** Its spill tags (stacks), or null. */
  tags: Int32Array | null = null;
  /** The tag of the last load's value (a spilled pointer's, a ctx packet field's, else 0). */
  tag = 0;

  // The regions behind the last ids seen, across runs (a run's stack, packet and map values come back
  // under the same ids): direct-mapped by the id's low bits, valid while Memory's version is the one
  // recorded and the id is live.
  private readonly ids = new Int32Array(REGION_CACHE).fill(0);
  private readonly versions = new Int32Array(REGION_CACHE).fill(-1);
  private readonly views: DataView[] = new Array<DataView>(REGION_CACHE).fill(swapView);
  private readonly bases = new Float64Array(REGION_CACHE);
  private readonly sizes = new Float64Array(REGION_CACHE);
  private readonly origins = new Float64Array(REGION_CACHE);
  private readonly writable = new Uint8Array(REGION_CACHE);
  private readonly spills: (Int32Array | null)[] = new Array<Int32Array | null>(REGION_CACHE).fill(null);
  private readonly wordViews: Int32Array[] = new Array<Int32Array>(REGION_CACHE).fill(NO_WORDS);
  private readonly word64Views: (BigInt64Array | null)[] = new Array<BigInt64Array | null>(REGION_CACHE).fill(null);

  constructor(readonly memory: Memory) {}

  /** The absolute byte index in this.view of an in-bounds access, or -1 (then hit is false). */
  private locate(t: number, h: number, l: number, off: number, size: number, write: boolean): number {
    const memory = this.memory;
    const c = t & (REGION_CACHE - 1);
    if (t === 0 || h !== t) {
      this.hit = false;
      return -1;
    }
    if (this.ids[c] !== t || this.versions[c] !== memory.version || !memory.isLive(t)) {
      const region = memory.byteRegionOf(t);
      if (region === undefined) {
        this.hit = false;
        return -1;
      }
      // A byte region's bytes and base stay for its life (stacks, packets, map slabs).
      const bytes = region.bytes();
      this.ids[c] = t;
      this.versions[c] = memory.version;
      this.views[c] = viewOf(bytes.buffer);
      this.bases[c] = bytes.byteOffset + region.base();
      this.sizes[c] = region.size;
      this.origins[c] = region.origin ?? 0;
      this.writable[c] = region.writable ? 1 : 0;
      this.spills[c] = region.tags ?? null;
    }
    const at = (l >>> 0) + off - this.origins[c]!;
    if (at < 0 || at >= 0x8000_0000 || at + size > this.sizes[c]! || (write && this.writable[c] === 0)) {
      this.hit = false;
      return -1;
    }
    this.hit = true;
    this.hi = t;
    this.view = this.views[c]!;
    this.base = this.bases[c]!;
    this.origin = this.origins[c]!;
    this.max = this.sizes[c]! - size;
    this.tags = this.spills[c]!;
    return this.base + at;
  }

  /** Loads `size` bytes zero-extended: returns the low word, the high word in hiOut, the value's tag in `tag`. */
  load(t: number, h: number, l: number, off: number, size: AccessSize, pc: number): number {
    const at = this.locate(t, h, l, off, size, false);
    if (at < 0) return this.otherLoad(t, h, l, off, size, pc);
    const view = this.view;
    switch (size) {
      case 1: hiOut[0] = 0; this.tag = 0; return view.getUint8(at);
      case 2: hiOut[0] = 0; this.tag = 0; return view.getUint16(at, true);
      case 4: hiOut[0] = 0; this.tag = 0; return view.getInt32(at, true);
      default: {
        const rel = at - this.base;
        this.tag = this.tags !== null && (rel & 7) === 0 ? this.tags[rel >> 3]! : 0;
        hiOut[0] = view.getInt32(at + 4, true);
        return view.getInt32(at, true);
      }
    }
  }

  /** Stores the low `size` bytes of (vh, vl), whose tag is vt. */
  store(t: number, h: number, l: number, off: number, size: AccessSize, vh: number, vl: number, vt: number, pc: number): void {
    const at = this.locate(t, h, l, off, size, true);
    if (at < 0) {
      this.slowStore(t, h, l, off, size, vh, vl, vt, pc);
      return;
    }
    if (this.tags !== null) retag(this.tags, at - this.base, size, vt);
    const view = this.view;
    switch (size) {
      case 1: view.setUint8(at, vl & 0xff); return;
      case 2: view.setUint16(at, vl & 0xffff, true); return;
      case 4: view.setInt32(at, vl, true); return;
      default:
        view.setInt32(at, vl, true);
        view.setInt32(at + 4, vh, true);
    }
  }

  /**
   * BPF_ATOMIC of 4 or 8 bytes (compiler.ts atomicInsn): whether the access at (h, l) + off through a pointer
   * tagged `t` is one compiled code may do itself, on `words` (the region's whole buffer as int32 words; the
   * value's low word at index (base + offset) >> 2) — a writable byte region, in bounds, aligned to `size`
   * from its first byte as Memory.atomicView requires, over a buffer where that is word-aligned too. Fills
   * the fields load() does, `shared` (map memory, which the other emulated CPUs change at the same time) and
   * `words64` (the buffer as BigInt64Array, when shared), and `rel`, the offset from the region's first byte.
   * False for anything else: then Memory's path (atomic()) does it, with its checks and messages.
   */
  atomicRegion(t: number, h: number, l: number, off: number, size: 4 | 8): boolean {
    const at = this.locate(t, h, l, off, size, true);
    if (at < 0 || (at - this.base) % size !== 0 || this.base % 8 !== 0) {
      this.hit = false;
      return false;
    }
    const buffer = this.view.buffer;
    this.rel = at - this.base;
    // The slot's word views, made once per buffer (int32Of/int64Of look them up in a WeakMap).
    const c = t & (REGION_CACHE - 1); // locate()'s slot for the region
    let words = this.wordViews[c]!;
    if (words.buffer !== buffer) {
      this.wordViews[c] = words = int32Of(buffer);
      this.word64Views[c] = buffer instanceof SharedArrayBuffer ? int64Of(buffer) : null;
    }
    this.words = words;
    this.shared = buffer instanceof SharedArrayBuffer;
    this.words64 = this.word64Views[c]!;
    return true;
  }
  /** What atomicRegion() found: the buffer as int32 words, whether it is shared, as BigInt64Array then. */
  words: Int32Array = NO_WORDS;
  shared = false;
  words64: BigInt64Array | null = null;
  rel = 0;

  /**
   * A 64-bit atomic on shared memory (compiled-atomics.ts says which take 32-bit Atomics and why): `words` are
   * the buffer's int32 words, the value's low word at index `w`, `words64` the same buffer as BigInt64Array.
   * Returns the old value's low word, its high word in hiOut (what a fetch, xchg or cmpxchg writes back).
   */
  sharedAtomic64(words: Int32Array, words64: BigInt64Array, w: number, imm: number, vh: number, vl: number, eh: number, el: number): number {
    if (imm === AtomicOp.Add) {
      // The high word stays when the operand's high half plus the low halves' carry is 0 mod 2^32.
      for (;;) {
        const lo = Atomics.load(words, w);
        const sum = (lo >>> 0) + (vl >>> 0);
        if (((vh + (sum > 0xffff_ffff ? 1 : 0)) | 0) !== 0) break;
        if (Atomics.compareExchange(words, w, lo, sum | 0) === lo) return lo;
      }
    } else if (imm === AtomicOp.And || imm === AtomicOp.Or || imm === AtomicOp.Xor) {
      // The half the operand leaves as it is (and with -1, or/xor with 0) stays.
      const keep = imm === AtomicOp.And ? -1 : 0;
      if (vh === keep || vl === keep) {
        const half = vh === keep ? w : w + 1;
        const v = vh === keep ? vl : vh;
        if (imm === AtomicOp.And) Atomics.and(words, half, v);
        else if (imm === AtomicOp.Or) Atomics.or(words, half, v);
        else Atomics.xor(words, half, v);
        return 0; // no fetch: nothing is written back
      }
    }
    const i = w >> 1;
    const v = signedBig(vh, vl);
    switch (imm & ~AtomicOp.Fetch) {
      case AtomicOp.Add: return split(Atomics.add(words64, i, v));
      case AtomicOp.And: return split(Atomics.and(words64, i, v));
      case AtomicOp.Or: return split(Atomics.or(words64, i, v));
      case AtomicOp.Xor: return split(Atomics.xor(words64, i, v));
      case AtomicOp.Xchg & ~AtomicOp.Fetch: return split(Atomics.exchange(words64, i, v));
      default: return split(Atomics.compareExchange(words64, i, signedBig(eh, el), v));
    }
  }

  /** A ctx field through the region's loadWords(), or Memory's path. */
  private otherLoad(t: number, h: number, l: number, off: number, size: AccessSize, pc: number): number {
    const at = (l >>> 0) + off;
    const ctx = t !== 0 && h === t && at >= 0 && at < 0x8000_0000 ? this.memory.virtualRegionOf(t) : undefined;
    if (ctx?.loadWords !== undefined && at + size <= ctx.size) {
      try {
        const lo = ctx.loadWords(at, size, hiOut);
        if (lo !== undefined) {
          this.tag = ctx.tagAt?.(at, size) ?? 0;
          return lo;
        }
      } catch (e) {
        throw faultAt(e, pc);
      }
    }
    return this.slowLoad(t, h, l, off, size, pc);
  }

  private slowLoad(t: number, h: number, l: number, off: number, size: AccessSize, pc: number): number {
    try {
      const lo = split(this.memory.load(t, BigInt.asUintN(64, big(h, l) + BigInt(off)), size));
      this.tag = this.memory.loadedTag;
      return lo;
    } catch (e) {
      throw faultAt(e, pc);
    }
  }

  private slowStore(t: number, h: number, l: number, off: number, size: AccessSize, vh: number, vl: number, vt: number, pc: number): void {
    try {
      this.memory.store(t, BigInt.asUintN(64, big(h, l) + BigInt(off)), size, big(vh, vl), vt);
    } catch (e) {
      throw faultAt(e, pc);
    }
  }
}

const rmwOps: Record<number, AtomicRmwOp> = {
  [AtomicOp.Add]: 'add', [AtomicOp.And]: 'and', [AtomicOp.Or]: 'or', [AtomicOp.Xor]: 'xor',
};

/**
 * BPF_STX | BPF_ATOMIC exactly as interpreter.ts atomic() does it (through Memory, so shared map memory
 * gets real Atomics). dstPtr and src come with their tags; returns the value of the register the
 * instruction writes (r0 for cmpxchg, src for fetches, dst for load-acquire: always a scalar), or undefined.
 */
export function atomic(memory: Memory, code: number, imm: number, dstTag: number, dstPtr: bigint, srcTag: number, src: bigint, r0: bigint, off: number, pc: number): bigint | undefined {
  try {
    const size: AccessSize = sizeBytes(code);
    if (imm === AtomicOp.LoadAcq) return memory.load(srcTag, BigInt.asUintN(64, src + BigInt(off)), size);
    const addr = BigInt.asUintN(64, dstPtr + BigInt(off));
    if (imm === AtomicOp.StoreRel) {
      memory.store(dstTag, addr, size, src);
      return undefined;
    }
    if (size !== 4 && size !== 8) throw unknownOpcode(code, pc);
    if (imm === AtomicOp.Cmpxchg) return memory.atomicCmpxchg(dstTag, addr, size, r0, src);
    if (imm === AtomicOp.Xchg) return memory.atomicRmw('xchg', dstTag, addr, size, src);
    const op = rmwOps[imm & ~AtomicOp.Fetch];
    if (op === undefined || (imm & ~0xf1) !== 0) throw new ProgramFault(`unknown atomic op 0x${imm.toString(16)}`);
    const old = memory.atomicRmw(op, dstTag, addr, size, src);
    return imm & AtomicOp.Fetch ? old : undefined;
  } catch (e) {
    throw faultAt(e, pc);
  }
}
