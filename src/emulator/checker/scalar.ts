// The scalar part of struct bpf_reg_state, kernel/bpf/verifier.c as Linux 6.18 computes it: a tnum
// (var_off) and eight bounds, 64-bit signed/unsigned as bigints, 32-bit signed/unsigned as exact JS
// numbers. Values are immutable; each exported operation copies its inputs into a mutable working
// register, applies the kernel's steps to it in the kernel's order (the bounds are allowed to become
// inconsistent in between, as in C), and returns a frozen copy.
//
// The bounds refinement (reg_bounds_sync), the ALU transfer functions and zero-extension are here;
// branches, moves, loads and the log's text form are in scalar-branch.ts and scalar-format.ts.
import {
  TNUM_UNKNOWN, U64_MAX, boundVarOff, hex, tnumCast, tnumConst, tnumConstSubreg,
  tnumIntersect, tnumIsConst, tnumRange, tnumStep, tnumSubreg, tnumSubregIsConst, type Tnum,
} from './tnum.js';
import { circularBoundsSync } from './scalar-cnum.js';

export interface Scalar {
  readonly varOff: Tnum;
  /** s64 */
  readonly smin: bigint;
  readonly smax: bigint;
  /** u64 */
  readonly umin: bigint;
  readonly umax: bigint;
  /** s32 */
  readonly s32min: number;
  readonly s32max: number;
  /** u32 */
  readonly u32min: number;
  readonly u32max: number;
}

/** A register being worked on, as the C code mutates it. */
export type Reg = { -readonly [K in keyof Scalar]: Scalar[K] };

export const S64_MIN = -(1n << 63n);
export const S64_MAX = (1n << 63n) - 1n;
export const S32_MIN = -0x80000000;
export const S32_MAX = 0x7fffffff;
export const U32_MAX = 0xffffffff;

// C conversions. s64()/u64() wrap a bigint; s32()/u32() wrap a number that is an exact integer.
export const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
export const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
export const s32 = (x: number): number => x | 0;
export const u32 = (x: number): number => x >>> 0;
/** (s32)x and (u32)x of a 64-bit value. */
const s32of = (x: bigint): number => Number(BigInt.asIntN(32, x));
const u32of = (x: bigint): number => Number(BigInt.asUintN(32, x));
const maxB = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const minB = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const LOW32 = 0xffffffffn;
/** The upper 32 bits of a u64. */
const HIGH = ~LOW32 & U64_MAX;

export const copyReg = (s: Scalar): Reg => ({ ...s });
// A copy, not Object.freeze: the type keeps it read-only, and freezing costs the verifier a tenth of its time.
export const freeze = (r: Reg): Scalar => ({ ...r });

// ---- marking (verifier.c ___mark_reg_known, __mark_reg32_known, __mark_reg*_unbounded) ----

/** ___mark_reg_known: every bound and the tnum say `imm` (taken as u64). */
export function markKnown(r: Reg, imm: bigint): void {
  const v = u64(imm);
  r.varOff = tnumConst(v);
  r.smin = r.smax = s64(v);
  r.umin = r.umax = v;
  r.s32min = r.s32max = s32of(v);
  r.u32min = r.u32max = u32of(v);
}

/** __mark_reg32_known: the low 32 bits are `imm`; the 64-bit bounds are left as they are. */
export function markKnown32(r: Reg, imm: bigint): void {
  r.varOff = tnumConstSubreg(r.varOff, imm);
  r.s32min = r.s32max = s32of(imm);
  r.u32min = r.u32max = u32of(imm);
}

export function mark64Unbounded(r: Reg): void {
  r.smin = S64_MIN;
  r.smax = S64_MAX;
  r.umin = 0n;
  r.umax = U64_MAX;
}

export function mark32Unbounded(r: Reg): void {
  r.s32min = S32_MIN;
  r.s32max = S32_MAX;
  r.u32min = 0;
  r.u32max = U32_MAX;
}

/** __mark_reg_unbounded: the bounds only; var_off is kept. */
export function markUnbounded(r: Reg): void {
  mark64Unbounded(r);
  mark32Unbounded(r);
}

/** A constant (ld_imm64, mov64 imm sign-extended by the caller, __mark_reg_known). */
export function scalarConst(v: bigint): Scalar {
  const r = unknownReg();
  markKnown(r, v);
  return freeze(r);
}

/** The constant a 32-bit mov writes (mov32 imm: __mark_reg_known((u32)imm)). */
export function scalarConst32(v: number | bigint): Scalar {
  return scalarConst(BigInt.asUintN(32, BigInt(v)));
}

/** __mark_reg_unknown: any 64-bit value. */
export function scalarUnknown(): Scalar {
  return freeze(unknownReg());
}

function unknownReg(): Reg {
  return { varOff: TNUM_UNKNOWN, smin: S64_MIN, smax: S64_MAX, umin: 0n, umax: U64_MAX, s32min: S32_MIN, s32max: S32_MAX, u32min: 0, u32max: U32_MAX };
}

export const isConst = (s: Scalar): boolean => tnumIsConst(s.varOff);

/** is_reg_const / reg_const_value for a scalar, at the width of the comparison or operation. */
export const isConstAt = (s: Scalar, is32: boolean): boolean => (is32 ? tnumSubregIsConst(s.varOff) : tnumIsConst(s.varOff));
export const constValueAt = (s: Scalar, is32: boolean): bigint => (is32 ? s.varOff.value & LOW32 : s.varOff.value);

// ---- reg_bounds_sync and its parts ----

/** __update_reg32_bounds: bounds implied by the low 32 bits of var_off. */
function updateReg32Bounds(r: Reg): void {
  const t = tnumSubreg(r.varOff);
  r.s32min = Math.max(r.s32min, s32of(t.value | (t.mask & 0x80000000n)));
  r.s32max = Math.min(r.s32max, s32of(t.value | (t.mask & 0x7fffffffn)));
  r.u32min = Math.max(r.u32min, u32of(t.value));
  r.u32max = Math.min(r.u32max, u32of(t.value | t.mask));
}

/**
 * __update_reg64_bounds, with the 6.18 stable backport of "bpf: Improve bounds when tnum has a single
 * possible value" (tnum_step): when the u64 range and var_off share exactly one value, the register
 * becomes that constant.
 */
function updateReg64Bounds(r: Reg): void {
  const t = r.varOff;
  r.smin = maxB(r.smin, s64(t.value | (t.mask & (1n << 63n))));
  r.smax = minB(r.smax, s64(t.value | (t.mask & S64_MAX)));
  r.umin = maxB(r.umin, t.value);
  r.umax = minB(r.umax, t.value | t.mask);

  const next = tnumStep(r.varOff, r.umin);
  const uminIn = (r.umin & ~r.varOff.mask & U64_MAX) === r.varOff.value;
  const tmax = r.varOff.value | r.varOff.mask;
  if (uminIn && next > r.umax) markKnown(r, r.umin);
  else if (!uminIn && next === tmax) markKnown(r, tmax);
  else if (!uminIn && next <= r.umax && tnumStep(r.varOff, next) > r.umax) markKnown(r, next);
}

/** __update_reg_bounds */
export function updateRegBounds(r: Reg): void {
  updateReg32Bounds(r);
  updateReg64Bounds(r);
}

/** __reg32_deduce_bounds: u32/s32 from the 64-bit bounds, and from each other. */
function reg32DeduceBounds(r: Reg): void {
  // The 64-bit bounds do not change here: their halves are taken once (the low half as u32; `| 0` is
  // its s32).
  const uminHi = r.umin >> 32n;
  const umaxHi = r.umax >> 32n;
  const sminHi = r.smin >> 32n;
  const smaxHi = r.smax >> 32n;
  const uminLo = u32of(r.umin);
  const umaxLo = u32of(r.umax);
  const sminLo = u32of(r.smin);
  const smaxLo = u32of(r.smax);
  // Upper halves equal over the u64 (or s64) range: the low halves form a range too.
  if (uminHi === umaxHi) {
    r.u32min = Math.max(r.u32min, uminLo);
    r.u32max = Math.min(r.u32max, umaxLo);
    if ((uminLo | 0) <= (umaxLo | 0)) {
      r.s32min = Math.max(r.s32min, uminLo | 0);
      r.s32max = Math.min(r.s32max, umaxLo | 0);
    }
  }
  if (sminHi === smaxHi) {
    if (sminLo <= smaxLo) {
      r.u32min = Math.max(r.u32min, sminLo);
      r.u32max = Math.min(r.u32max, smaxLo);
    }
    if ((sminLo | 0) <= (smaxLo | 0)) {
      r.s32min = Math.max(r.s32min, sminLo | 0);
      r.s32max = Math.min(r.s32max, smaxLo | 0);
    }
  }
  // Upper halves two consecutive numbers while the low halves go from negative to non-negative s32.
  if (u32(u32of(uminHi) + 1) === u32of(umaxHi) && (uminLo | 0) < 0 && (umaxLo | 0) >= 0) {
    r.s32min = Math.max(r.s32min, uminLo | 0);
    r.s32max = Math.min(r.s32max, umaxLo | 0);
  }
  if (u32(u32of(sminHi) + 1) === u32of(smaxHi) && (sminLo | 0) < 0 && (smaxLo | 0) >= 0) {
    r.s32min = Math.max(r.s32min, sminLo | 0);
    r.s32max = Math.min(r.s32max, smaxLo | 0);
  }
  // A u32 range that does not cross the s32 sign boundary is an s32 range.
  if (s32(r.u32min) <= s32(r.u32max)) {
    r.s32min = Math.max(r.s32min, s32(r.u32min));
    r.s32max = Math.min(r.s32max, s32(r.u32max));
  }
  if (u32(r.s32min) <= u32(r.s32max)) {
    r.u32min = Math.max(u32(r.s32min), r.u32min);
    r.u32max = Math.min(u32(r.s32max), r.u32max);
  } else if (r.u32max < u32(r.s32min)) {
    // The s32 range wraps and the u32 range overlaps only its non-negative part.
    r.s32min = s32(r.u32min);
    r.u32max = Math.min(r.u32max, u32(r.s32max));
  } else if (u32(r.s32max) < r.u32min) {
    // ... or only its negative part.
    r.s32max = s32(r.u32max);
    r.u32min = Math.max(r.u32min, u32(r.s32min));
  }
}

/** __reg64_deduce_bounds: s64 from u64 and back, including the sign-boundary-crossing cases. */
function reg64DeduceBounds(r: Reg): void {
  if (s64(r.umin) <= s64(r.umax)) {
    r.smin = maxB(r.smin, s64(r.umin));
    r.smax = minB(r.smax, s64(r.umax));
  }
  if (u64(r.smin) <= u64(r.smax)) {
    r.umin = maxB(u64(r.smin), r.umin);
    r.umax = minB(u64(r.smax), r.umax);
  } else if (r.umax < u64(r.smin)) {
    r.smin = s64(r.umin);
    r.umax = minB(r.umax, u64(r.smax));
  } else if (u64(r.smax) < r.umin) {
    r.smax = s64(r.umax);
    r.umin = maxB(r.umin, u64(r.smin));
  }
}

/** __reg_deduce_mixed_bounds: tighten the 64-bit bounds with the 32-bit ones. */
function regDeduceMixedBounds(r: Reg): void {
  // u32 -> u64 and u32 -> s64: the low half of each bound replaced by the u32 bound.
  r.umin = maxB(r.umin, (r.umin & HIGH) | BigInt(r.u32min));
  r.umax = minB(r.umax, (r.umax & HIGH) | BigInt(r.u32max));
  r.smin = maxB(r.smin, s64((u64(r.smin) & HIGH) | BigInt(r.u32min)));
  r.smax = minB(r.smax, s64((u64(r.smax) & HIGH) | BigInt(r.u32max)));
  // s32 -> u64 and s32 -> s64 when the s32 range is a valid u32 range.
  if (u32(r.s32min) <= u32(r.s32max)) {
    const lo = BigInt(u32(r.s32min));
    const hi = BigInt(u32(r.s32max));
    r.umin = maxB(r.umin, (r.umin & HIGH) | lo);
    r.umax = minB(r.umax, (r.umax & HIGH) | hi);
    r.smin = maxB(r.smin, s64((u64(r.smin) & HIGH) | lo));
    r.smax = minB(r.smax, s64((u64(r.smax) & HIGH) | hi));
  }
  // After a sign-extending load: a non-negative s32 range inside [S32_MIN, S32_MAX] as s64 means the
  // upper half cannot be all ones.
  if (r.s32min >= 0 && r.smin >= BigInt(S32_MIN) && r.smax <= BigInt(S32_MAX)) {
    r.smin = BigInt(r.s32min);
    r.smax = BigInt(r.s32max);
    // C converts the s32 bounds to u64: on a dead branch's inverted range (s32max < 0) that is a huge umax.
    r.umin = u64(BigInt(r.s32min));
    r.umax = u64(BigInt(r.s32max));
    r.varOff = tnumIntersect(r.varOff, tnumRange(u64(r.smin), u64(r.smax)));
  }
}

/**
 * A register reg_bounds_sync leaves as it is: a constant every bound agrees with, or a wholly unknown
 * value. Every step of the sync keeps both (each bound already is what var_off and the other bounds
 * imply), so the common cases skip its hundred-odd bigint operations: a loop counting a constant
 * spends most of its verification here otherwise.
 */
function isSettled(r: Reg): boolean {
  const t = r.varOff;
  if (t.mask === 0n) {
    const v = t.value;
    return r.umin === v && r.umax === v && r.smin === r.smax && r.smin === s64(v)
      && r.u32min === r.u32max && r.u32min === u32of(v) && r.s32min === r.s32max && r.s32min === (r.u32min | 0);
  }
  return t.mask === U64_MAX && t.value === 0n && r.umin === 0n && r.umax === U64_MAX && r.smin === S64_MIN && r.smax === S64_MAX
    && r.u32min === 0 && r.u32max === U32_MAX && r.s32min === S32_MIN && r.s32max === S32_MAX;
}

/** __reg_deduce_bounds */
function regDeduceBounds(r: Reg): void {
  reg32DeduceBounds(r);
  reg64DeduceBounds(r);
  regDeduceMixedBounds(r);
}

/** __reg_bound_offset: var_off learns from the u64 and u32 ranges. */
function regBoundOffset(r: Reg): void {
  r.varOff = boundVarOff(r.varOff, r.umin, r.umax, BigInt(r.u32min), BigInt(r.u32max));
}

/**
 * What of the scalar domain differs by kernel version (kernel-version.ts scalarRules), in force while one
 * verification runs (withScalarRules); outside one, 6.18's.
 */
export interface ScalarRules {
  /** 7.x: reg_bounds_sync over circular ranges (scalar-cnum.ts) instead of 6.18's four intervals. */
  readonly circularRanges: boolean;
  /** 6.17+: an unsigned add or subtract whose ends both wrap keeps the wrapped range; before, any wrap loses it. */
  readonly wrappingAddSub: boolean;
}

let rules: ScalarRules = { circularRanges: false, wrappingAddSub: true };

/** The rules in force (withScalarRules). */
export const scalarRulesInForce = (): ScalarRules => rules;

/** Runs `f` with the scalar domain of a kernel version (kernel-version.ts scalarRules). */
export function withScalarRules<T>(r: ScalarRules, f: () => T): T {
  const outer = rules;
  rules = r;
  try {
    return f();
  } finally {
    rules = outer;
  }
}

/** reg_bounds_sync: three rounds of deduction between two passes over var_off (6.17+). */
export function regBoundsSync(r: Reg): void {
  if (rules.circularRanges) return circularBoundsSync(r);
  if (isSettled(r)) return;
  const key = syncKey(r);
  const seen = syncCache.get(key);
  if (seen && sameScalar(seen.from, r)) {
    Object.assign(r, seen.to);
    return;
  }
  const from = freeze(r);
  updateRegBounds(r);
  // Each step is a function of the register alone: once a round of deduction changes nothing, the rounds
  // after it would not either; and with nothing deduced and var_off as it was, the last update repeats
  // the first (which is idempotent).
  let deduced = false;
  for (let round = 0; round < 3; round++) {
    const before = freeze(r);
    regDeduceBounds(r);
    if (sameScalar(before, r)) break;
    deduced = true;
  }
  const varOff = r.varOff;
  regBoundOffset(r);
  if (deduced || r.varOff.value !== varOff.value || r.varOff.mask !== varOff.mask) updateRegBounds(r);
  if (syncCache.size >= SYNC_CACHE_MAX) syncCache.clear();
  syncCache.set(key, { from, to: freeze(r) });
}

/**
 * reg_bounds_sync's results by their input. The sync is a pure function of the ten fields and costs
 * some hundred bigint operations; a verification meets few distinct inputs (a parser's 36,000 syncs
 * have 149), so each is computed once. An entry is used only when its input equals the register exactly;
 * the key is a hash, and a collision replaces the entry.
 */
const syncCache = new Map<number, { readonly from: Scalar; readonly to: Scalar }>();
const SYNC_CACHE_MAX = 4096;

/** A hash of the ten fields (Number() of a bigint rounds, which a hash may). */
function syncKey(r: Reg): number {
  const mix = (h: number, x: number): number => Math.imul(h ^ (x | 0) ^ ((x / 4294967296) | 0), 0x9e3779b1);
  let h = mix(0, Number(r.umin));
  h = mix(h, Number(r.umax));
  h = mix(h, Number(r.smin));
  h = mix(h, Number(r.smax));
  h = mix(h, Number(r.varOff.value));
  h = mix(h, Number(r.varOff.mask));
  h = mix(h, r.u32min);
  h = mix(h, r.u32max);
  h = mix(h, r.s32min);
  return mix(h, r.s32max);
}

function sameScalar(a: Scalar, b: Scalar): boolean {
  return a.umin === b.umin && a.umax === b.umax && a.smin === b.smin && a.smax === b.smax && a.varOff.value === b.varOff.value
    && a.varOff.mask === b.varOff.mask && a.u32min === b.u32min && a.u32max === b.u32max && a.s32min === b.s32min && a.s32max === b.s32max;
}

/**
 * reg_bounds_sanity_check: undefined when the register is consistent, else the message the kernel logs
 * ("REG INVARIANTS VIOLATION (<ctx>): <msg> u64=[..] ..."). The kernel then marks the bounds unbounded
 * (var_off stays) and goes on; `sanitize` does that.
 */
export function boundsViolation(s: Scalar, ctx: string): string | undefined {
  let msg: string | undefined;
  if (s.umin > s.umax || s.smin > s.smax || s.u32min > s.u32max || s.s32min > s.s32max) msg = 'range bounds violation';
  else if (tnumIsConst(s.varOff) && (s.umin !== s.varOff.value || s.umax !== s.varOff.value || s.smin !== s64(s.varOff.value) || s.smax !== s64(s.varOff.value))) {
    msg = 'const tnum out of sync with range bounds';
  } else if (tnumSubregIsConst(s.varOff)) {
    const v = u32of(s.varOff.value);
    if (s.u32min !== v || s.u32max !== v || s.s32min !== s32(v) || s.s32max !== s32(v)) msg = 'const subreg tnum out of sync with range bounds';
  }
  if (msg === undefined) return undefined;
  const h32 = (x: number): string => `0x${u32(x).toString(16)}`;
  return `REG INVARIANTS VIOLATION (${ctx}): ${msg} u64=[${hex(s.umin)}, ${hex(s.umax)}] s64=[${hex(u64(s.smin))}, ${hex(u64(s.smax))}] ` +
    `u32=[${h32(s.u32min)}, ${h32(s.u32max)}] s32=[${h32(s.s32min)}, ${h32(s.s32max)}] var_off=(${hex(s.varOff.value)}, ${hex(s.varOff.mask)})`;
}

// ---- zero extension and truncation ----

/** zext_32_to_64 (__reg_assign_32_into_64): an ALU32 result fills the register with zeros above. */
export function zext32To64(r: Reg): void {
  r.varOff = tnumSubreg(r.varOff);
  r.umin = BigInt(r.u32min);
  r.umax = BigInt(r.u32max);
  // Signed 32-bit bounds carry over only when both are non-negative.
  if (r.s32min >= 0 && r.s32max >= 0) {
    r.smin = BigInt(r.s32min);
    r.smax = BigInt(r.s32max);
  } else {
    r.smin = 0n;
    r.smax = BigInt(U32_MAX);
  }
}

/** coerce_reg_to_size: keep the low `size` bytes (size < 8), then reg_bounds_sync. */
export function coerceRegToSize(r: Reg, size: 1 | 2 | 4): void {
  r.varOff = tnumCast(r.varOff, size);
  const mask = (1n << BigInt(size * 8)) - 1n;
  if ((r.umin & ~mask) === (r.umax & ~mask)) {
    r.umin &= mask;
    r.umax &= mask;
  } else {
    r.umin = 0n;
    r.umax = mask;
  }
  r.smin = r.umin;
  r.smax = r.umax;
  // Below 32 bits the 32-bit bounds were truncated too; they are recomputed from the 64-bit ones.
  if (size < 4) mark32Unbounded(r);
  regBoundsSync(r);
}

const sext = (v: bigint, bytes: number): bigint => BigInt.asIntN(bytes * 8, v);

/** set_sext64_default_val */
function setSext64Default(r: Reg, size: 1 | 2 | 4): void {
  const lim = 1n << BigInt(size * 8 - 1);
  r.smin = -lim;
  r.smax = lim - 1n;
  r.s32min = Number(-lim);
  r.s32max = Number(lim - 1n);
  r.umin = 0n;
  r.u32min = 0;
  r.umax = U64_MAX;
  r.u32max = U32_MAX;
  r.varOff = TNUM_UNKNOWN;
}

/** coerce_reg_to_size_sx: sign-extend the low `size` bytes into 64 bits (no reg_bounds_sync). */
export function coerceRegToSizeSx(r: Reg, size: 1 | 2 | 4): void {
  if (tnumIsConst(r.varOff)) {
    const c = u64(sext(r.varOff.value, size));
    r.varOff = tnumConst(c);
    r.smin = r.smax = s64(c);
    r.umin = r.umax = c;
    r.s32min = r.s32max = s32of(c);
    r.u32min = r.u32max = u32of(c);
    return;
  }
  const bits = BigInt(size * 8);
  if ((u64(r.smax) >> bits) << bits === (u64(r.smin) >> bits) << bits) {
    const a = sext(r.smax, size);
    const b = sext(r.smin, size);
    const hi = maxB(a, b);
    const lo = minB(a, b);
    if ((hi >= 0n) === (lo >= 0n)) {
      r.smin = lo;
      r.smax = hi;
      r.s32min = s32of(lo);
      r.s32max = s32of(hi);
      r.umin = u64(lo);
      r.umax = u64(hi);
      r.u32min = u32of(lo);
      r.u32max = u32of(hi);
      r.varOff = tnumRange(u64(lo), u64(hi));
      return;
    }
  }
  // Measured on 6.18 (not in 6.12 or 7.2's sources): when the s32 range already fits the narrower signed
  // type, the sign extension changes no value's low 32 bits, and the kernel keeps the 32-bit bounds and
  // takes the 64-bit signed ones from them (r2 = (s8)r1 with s32 [-5, 100] and unknown upper bits gives
  // [-5, 100]; (s32) with s32 [0x80000006, S32_MAX] gives smin 0xffffffff80000006, umin 6 from u32).
  const lim = 2 ** (size * 8 - 1);
  if (r.s32min >= -lim && r.s32max < lim) {
    r.smin = BigInt(r.s32min);
    r.smax = BigInt(r.s32max);
    r.umin = 0n;
    r.umax = U64_MAX;
    r.varOff = TNUM_UNKNOWN;
    regBoundsSync(r);
    return;
  }
  setSext64Default(r, size);
}

/** coerce_subreg_to_size_sx: sign-extend the low `size` bytes into the low 32 bits (w = (s8/s16)w). */
export function coerceSubregToSizeSx(r: Reg, size: 1 | 2): void {
  if (tnumIsConst(r.varOff)) {
    const c = u64(sext(r.varOff.value & LOW32, size));
    r.varOff = tnumConst(c);
    r.s32min = r.s32max = s32of(c);
    r.u32min = r.u32max = u32of(c);
    return;
  }
  const bits = size * 8;
  const top = (x: number): number => u32(u32(x) >>> bits << bits);
  if (top(r.s32max) === top(r.s32min)) {
    const a = Number(sext(BigInt(r.s32max), size));
    const b = Number(sext(BigInt(r.s32min), size));
    const hi = Math.max(a, b);
    const lo = Math.min(a, b);
    if ((lo >= 0) === (hi >= 0)) {
      r.s32min = lo;
      r.s32max = hi;
      r.u32min = u32(lo);
      r.u32max = u32(hi);
      r.varOff = tnumSubreg(tnumRange(u64(BigInt(lo)), u64(BigInt(hi))));
      return;
    }
  }
  const lim = 2 ** (bits - 1);
  r.s32min = -lim;
  r.s32max = lim - 1;
  r.u32min = 0;
  r.u32max = U32_MAX;
  r.varOff = tnumSubreg(TNUM_UNKNOWN);
}

/** coerce_reg_to_size / coerce_reg_to_size_sx on an immutable value (narrow fills, loads). */
export function coerceToSize(s: Scalar, size: 1 | 2 | 4 | 8, signed: boolean): Scalar {
  if (size === 8) return s;
  const r = copyReg(s);
  if (signed) coerceRegToSizeSx(r, size);
  else coerceRegToSize(r, size);
  return freeze(r);
}

