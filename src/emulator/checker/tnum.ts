// Tracked numbers ("tnums"), kernel/bpf/tnum.c: what the verifier knows about the bits of a 64-bit value.
// Each bit is known 0 (value 0, mask 0), known 1 (value 1, mask 0) or unknown (mask 1); value & mask is
// always 0. Values here are immutable and both fields are u64 held in bigints in [0, 2^64). Every
// operation follows the kernel function it names (Linux 6.18, which has tnum_neg, tnum_union, the
// union-based tnum_mul, tnum_bswap* and tnum_step from later series backported to its stable releases).

export interface Tnum {
  readonly value: bigint;
  readonly mask: bigint;
}

export const U64_MAX = (1n << 64n) - 1n;
const U32_MAX_N = (1n << 32n) - 1n;

/** TNUM(v, m), with both wrapped to u64 as C arithmetic would. */
export function tnum(value: bigint, mask: bigint): Tnum {
  return { value: value & U64_MAX, mask: mask & U64_MAX };
}

/** tnum_unknown */
export const TNUM_UNKNOWN: Tnum = tnum(0n, U64_MAX);

/** tnum_const */
export function tnumConst(value: bigint): Tnum {
  return tnum(value, 0n);
}

/** fls64: the 1-based index of the highest set bit, 0 for 0. */
function fls64(x: bigint): number {
  const v = x & U64_MAX;
  // In two 32-bit halves: a binary string per call costs more than the rest of tnum_step together.
  const hi = Number(v >> 32n);
  return hi !== 0 ? 64 - Math.clz32(hi) : 32 - Math.clz32(Number(v & 0xffffffffn));
}

/** tnum_range: the smallest tnum holding every value in [min, max] (u64). */
export function tnumRange(min: bigint, max: bigint): Tnum {
  const bits = fls64((min ^ max) & U64_MAX);
  // The kernel special-cases 64 because 1ULL << 64 is undefined in C.
  if (bits > 63) return TNUM_UNKNOWN;
  const delta = (1n << BigInt(bits)) - 1n;
  return tnum(min & ~delta, delta);
}

/** tnum_lshift; `shift` is a u8 in the kernel and always < 64 at its callers. */
export function tnumLshift(a: Tnum, shift: number): Tnum {
  const s = BigInt(shift);
  return tnum(a.value << s, a.mask << s);
}

/** tnum_rshift */
export function tnumRshift(a: Tnum, shift: number): Tnum {
  const s = BigInt(shift);
  return tnum(a.value >> s, a.mask >> s);
}

/**
 * tnum_arshift: arithmetic shift by the minimum shift amount, as the instruction's width sees the sign
 * (32: the low half as s32, result zero-extended; 64: the whole value as s64).
 */
export function tnumArshift(a: Tnum, minShift: number, insnBitness: 32 | 64): Tnum {
  const s = BigInt(minShift);
  if (insnBitness === 32) {
    return tnum(BigInt.asUintN(32, BigInt.asIntN(32, a.value) >> s), BigInt.asUintN(32, BigInt.asIntN(32, a.mask) >> s));
  }
  return tnum(BigInt.asIntN(64, a.value) >> s, BigInt.asIntN(64, a.mask) >> s);
}

/** tnum_add */
export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  const sm = (a.mask + b.mask) & U64_MAX;
  const sv = (a.value + b.value) & U64_MAX;
  const sigma = (sm + sv) & U64_MAX;
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return tnum(sv & ~mu, mu);
}

/** tnum_sub */
export function tnumSub(a: Tnum, b: Tnum): Tnum {
  const dv = (a.value - b.value) & U64_MAX;
  const alpha = (dv + a.mask) & U64_MAX;
  const beta = (dv - b.mask) & U64_MAX;
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  return tnum(dv & ~mu, mu);
}

/** tnum_neg: 0 - a. */
export function tnumNeg(a: Tnum): Tnum {
  return tnumSub(tnumConst(0n), a);
}

/** tnum_and */
export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return tnum(v, alpha & beta & ~v);
}

/** tnum_or */
export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return tnum(v, mu & ~v);
}

/** tnum_xor */
export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return tnum(v & ~mu, mu);
}

/**
 * tnum_mul: long multiplication over the bits of `a`, low to high. A known 1 adds the (shifted) `b`
 * into the accumulator; an unknown bit takes the union of adding it and not. This is the union-based
 * form ("bpf: improve the general precision of tnum_mul"); 6.12 had the older value/mask split. The
 * running 6.18 computes (0x1; 0x2) * 7 as (0x5; 0x12), which only the union form gives.
 */
export function tnumMul(a: Tnum, b: Tnum): Tnum {
  let acc = tnumConst(0n);
  let x = a;
  let y = b;
  while (x.value !== 0n || x.mask !== 0n) {
    if (x.value & 1n) acc = tnumAdd(acc, y);
    else if (x.mask & 1n) acc = tnumUnion(acc, tnumAdd(acc, y));
    x = tnumRshift(x, 1);
    y = tnumLshift(y, 1);
  }
  return acc;
}

/** tnum_overlap: whether some value is a member of both. */
export function tnumOverlap(a: Tnum, b: Tnum): boolean {
  const mu = ~a.mask & ~b.mask & U64_MAX;
  return (a.value & mu) === (b.value & mu);
}

/**
 * tnum_intersect: the bits known in either. Where the two disagree (known 1 against known 0) the
 * result says known 1, as the kernel's does.
 */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return tnum(v & ~mu, mu);
}

/** tnum_union: unknown wherever either is unknown or the two disagree. */
export function tnumUnion(a: Tnum, b: Tnum): Tnum {
  const v = a.value & b.value;
  const mu = (a.value ^ b.value) | a.mask | b.mask;
  return tnum(v & ~mu, mu);
}

/** tnum_cast: keep the low `size` bytes. */
export function tnumCast(a: Tnum, size: number): Tnum {
  const m = size >= 8 ? U64_MAX : (1n << BigInt(size * 8)) - 1n;
  return tnum(a.value & m, a.mask & m);
}

/** tnum_in: every value of `b` is a value of `a` (regsafe's var_off check). */
export function tnumIn(a: Tnum, b: Tnum): boolean {
  if (b.mask & ~a.mask) return false;
  return a.value === (b.value & ~a.mask);
}

/**
 * tnum_step: the smallest member of `t` greater than `z`, given t.value <= z < t.value | t.mask; the
 * largest member when z is at or past it, the smallest when z is below it.
 */
export function tnumStep(t: Tnum, z: bigint): bigint {
  const tmax = t.value | t.mask;
  if (z >= tmax) return tmax;
  if (z < t.value) return t.value;
  const d = (z - t.value) & U64_MAX;
  // Count up inside the mask: the non-mask bits, and those below d's highest non-mask bit, are filled
  // with ones so the +1 carries through them into the next mask bit.
  const carryMask = ((1n << BigInt(fls64(d & ~t.mask))) - 1n) & U64_MAX;
  const filled = (d | carryMask | ~t.mask) & U64_MAX;
  const inc = ((filled + 1n) & U64_MAX) & t.mask;
  return t.value | inc;
}

function swab(x: bigint, bytes: number): bigint {
  let out = 0n;
  for (let i = 0; i < bytes; i++) out |= ((x >> BigInt(8 * i)) & 0xffn) << BigInt(8 * (bytes - 1 - i));
  return out;
}

/** tnum_bswap16 / 32 / 64: swap the bytes of the low 2, 4 or 8 bytes (the rest become known 0). */
export function tnumBswap(a: Tnum, bits: 16 | 32 | 64): Tnum {
  const bytes = bits / 8;
  const m = bits === 64 ? U64_MAX : (1n << BigInt(bits)) - 1n;
  return tnum(swab(a.value & m, bytes), swab(a.mask & m, bytes));
}

/** tnum_is_const */
export const tnumIsConst = (a: Tnum): boolean => a.mask === 0n;
/** tnum_is_unknown */
export const tnumIsUnknown = (a: Tnum): boolean => a.mask === U64_MAX;

/** tnum_subreg: the low 32 bits (upper known 0). */
export const tnumSubreg = (a: Tnum): Tnum => tnumCast(a, 4);
/** tnum_clear_subreg: the upper 32 bits (lower known 0). */
export const tnumClearSubreg = (a: Tnum): Tnum => tnumLshift(tnumRshift(a, 32), 32);
/** tnum_with_subreg: `reg`'s upper half with `subreg`'s lower half. */
export const tnumWithSubreg = (reg: Tnum, subreg: Tnum): Tnum => tnumOr(tnumClearSubreg(reg), tnumSubreg(subreg));
/** tnum_const_subreg: `a` with its low 32 bits the constant `value`. */
export const tnumConstSubreg = (a: Tnum, value: bigint): Tnum => tnumWithSubreg(a, tnumConst(value & U32_MAX_N));
/** tnum_subreg_is_const */
export const tnumSubregIsConst = (a: Tnum): boolean => tnumSubreg(a).mask === 0n;

/** %#llx as the kernel's vsnprintf prints it: always with the 0x prefix, 0 included ("(0x0; 0xff)"). */
export function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}


/**
 * __reg_bound_offset's tnum: `varOff` narrowed to the u64 range [umin, umax] and its low half to the u32
 * range [u32min, u32max] (the ranges 6.18 keeps as intervals, or 7.x's arcs read as them).
 */
export function boundVarOff(varOff: Tnum, umin: bigint, umax: bigint, u32min: bigint, u32max: bigint): Tnum {
  const var64 = tnumIntersect(varOff, tnumRange(umin, umax));
  const var32 = tnumIntersect(tnumSubreg(var64), tnumRange(u32min, u32max));
  return tnumOr(tnumClearSubreg(var64), var32);
}
