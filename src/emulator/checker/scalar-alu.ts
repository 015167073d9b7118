// ALU instructions on scalars: kernel/bpf/verifier.c adjust_scalar_min_max_vals and its scalar*_min_max_*
// helpers, and the scalar cases of check_alu_op (MOV, MOVSX, NEG, END), as Linux 6.18 has them. Each
// operation takes immutable Scalars and returns the destination after zero-extension (ALU32),
// reg_bounds_sync and check_alu_op's closing reg_bounds_sanity_check.
//
// Register ids (linked copies, BPF_ADD_CONST) are the caller's: results say what the kernel does with
// the destination's id where an operation decides it (`unknown`, `fork.keepsId`, `mutates`).
import { AluOp } from '../../uapi/isa.js';
import {
  U64_MAX, tnumAdd, tnumAnd, tnumArshift, tnumBswap, tnumIsConst, tnumLshift, tnumMul, tnumNeg,
  tnumOr, tnumRshift, tnumSub, tnumSubreg, tnumSubregIsConst, tnumXor,
} from './tnum.js';
import {
  S32_MAX, S32_MIN, S64_MAX, S64_MIN, U32_MAX, boundsViolation, coerceRegToSize, coerceRegToSizeSx,
  coerceSubregToSizeSx, copyReg, freeze, mark32Unbounded, mark64Unbounded, markKnown, markKnown32,
  markUnbounded, regBoundsSync, s32, s64, scalarRulesInForce, scalarConst, scalarConst32, scalarUnknown, u32, u64,
  updateRegBounds, zext32To64, type Reg, type Scalar,
} from './scalar.js';
import { divModRanges, type Division } from './scalar-divmod.js';

export interface AluResult {
  readonly dst: Scalar;
  /** check_alu_op's reg_bounds_sanity_check failed: the message it logs (`dst` is then unbounded). */
  readonly violation?: string;
  /**
   * The destination came from __mark_reg_unknown (an operation the kernel does not track, or a shift
   * by an amount it cannot bound): a fresh unknown scalar, id cleared.
   */
  readonly unknown?: boolean;
  /**
   * maybe_fork_scalars: AND/OR with a constant of a register known to be 0 or -1 (s64 or s32 range
   * [-1, 0]). The kernel continues with the register as -1 (`dst` above is that result) and pushes a
   * state that runs this same instruction again with the register's value replaced by `fork.dst` (0).
   * `keepsId`: the 32-bit case (__mark_reg32_known) keeps the register's id, the 64-bit one clears it.
   */
  readonly fork?: { readonly dst: Scalar; readonly keepsId: boolean };
}

function finish(r: Reg, extra: Omit<AluResult, 'dst' | 'violation'> = {}): AluResult {
  const dst = freeze(r);
  const violation = boundsViolation(dst, 'alu');
  if (violation === undefined) return { dst, ...extra };
  markUnbounded(r);
  return { dst: freeze(r), violation, ...extra };
}

const inS32 = (x: number): boolean => x >= S32_MIN && x <= S32_MAX;
const inS64 = (x: bigint): boolean => x >= S64_MIN && x <= S64_MAX;

// ---- add, sub: the signed bounds are lost on any overflow; the unsigned ones keep the wrapped sums
// when both ends overflow alike (6.17 "bpf, verifier: Improve precision for BPF_ADD and BPF_SUB").

/** scalar32_min_max_add */
function add32(d: Reg, s: Scalar): void {
  const lo = d.s32min + s.s32min;
  const hi = d.s32max + s.s32max;
  if (!inS32(lo) || !inS32(hi)) {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  } else {
    d.s32min = lo;
    d.s32max = hi;
  }
  const minOverflow = d.u32min + s.u32min > U32_MAX;
  const maxOverflow = d.u32max + s.u32max > U32_MAX;
  d.u32min = u32(d.u32min + s.u32min);
  d.u32max = u32(d.u32max + s.u32max);
  if (scalarRulesInForce().wrappingAddSub ? !minOverflow && maxOverflow : minOverflow || maxOverflow) {
    d.u32min = 0;
    d.u32max = U32_MAX;
  }
}

/** scalar_min_max_add */
function add64(d: Reg, s: Scalar): void {
  const lo = d.smin + s.smin;
  const hi = d.smax + s.smax;
  if (!inS64(lo) || !inS64(hi)) {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  } else {
    d.smin = lo;
    d.smax = hi;
  }
  const minOverflow = d.umin + s.umin > U64_MAX;
  const maxOverflow = d.umax + s.umax > U64_MAX;
  d.umin = u64(d.umin + s.umin);
  d.umax = u64(d.umax + s.umax);
  if (scalarRulesInForce().wrappingAddSub ? !minOverflow && maxOverflow : minOverflow || maxOverflow) {
    d.umin = 0n;
    d.umax = U64_MAX;
  }
}

/** scalar32_min_max_sub */
function sub32(d: Reg, s: Scalar): void {
  const lo = d.s32min - s.s32max;
  const hi = d.s32max - s.s32min;
  if (!inS32(lo) || !inS32(hi)) {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  } else {
    d.s32min = lo;
    d.s32max = hi;
  }
  const minUnderflow = d.u32min < s.u32max;
  const maxUnderflow = d.u32max < s.u32min;
  d.u32min = u32(d.u32min - s.u32max);
  d.u32max = u32(d.u32max - s.u32min);
  if (scalarRulesInForce().wrappingAddSub ? minUnderflow && !maxUnderflow : minUnderflow) {
    d.u32min = 0;
    d.u32max = U32_MAX;
  }
}

/** scalar_min_max_sub */
function sub64(d: Reg, s: Scalar): void {
  const lo = d.smin - s.smax;
  const hi = d.smax - s.smin;
  if (!inS64(lo) || !inS64(hi)) {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  } else {
    d.smin = lo;
    d.smax = hi;
  }
  const minUnderflow = d.umin < s.umax;
  const maxUnderflow = d.umax < s.umin;
  d.umin = u64(d.umin - s.umax);
  d.umax = u64(d.umax - s.umin);
  if (scalarRulesInForce().wrappingAddSub ? minUnderflow && !maxUnderflow : minUnderflow) {
    d.umin = 0n;
    d.umax = U64_MAX;
  }
}

// ---- mul: unsigned from the ends when neither product overflows, signed from the four corner
// products (6.14 "bpf: Improve precision of BPF_MUL").

/** scalar32_min_max_mul */
function mul32(d: Reg, s: Scalar): void {
  const umax = BigInt(d.u32max) * BigInt(s.u32max);
  const umin = BigInt(d.u32min) * BigInt(s.u32min);
  if (umax > BigInt(U32_MAX) || umin > BigInt(U32_MAX)) {
    d.u32min = 0;
    d.u32max = U32_MAX;
  } else {
    d.u32min = Number(umin);
    d.u32max = Number(umax);
  }
  const exact = [[d.s32min, s.s32min], [d.s32min, s.s32max], [d.s32max, s.s32min], [d.s32max, s.s32max]].map(([a, b]) => BigInt(a!) * BigInt(b!));
  if (exact.some((x) => x < BigInt(S32_MIN) || x > BigInt(S32_MAX))) {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  } else {
    d.s32min = Number(exact.reduce((a, b) => (a < b ? a : b)));
    d.s32max = Number(exact.reduce((a, b) => (a > b ? a : b)));
  }
}

/** scalar_min_max_mul */
function mul64(d: Reg, s: Scalar): void {
  const umax = d.umax * s.umax;
  const umin = d.umin * s.umin;
  if (umax > U64_MAX || umin > U64_MAX) {
    d.umin = 0n;
    d.umax = U64_MAX;
  } else {
    d.umin = umin;
    d.umax = umax;
  }
  const p = [d.smin * s.smin, d.smin * s.smax, d.smax * s.smin, d.smax * s.smax];
  if (p.some((x) => !inS64(x))) {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  } else {
    d.smin = p.reduce((a, b) => (a < b ? a : b));
    d.smax = p.reduce((a, b) => (a > b ? a : b));
  }
}

// ---- and, or, xor: one unsigned end from var_off, the other from the operands; signed from unsigned
// when the unsigned range does not cross the sign boundary.

function signedFromUnsigned32(d: Reg): void {
  if (s32(d.u32min) <= s32(d.u32max)) {
    d.s32min = s32(d.u32min);
    d.s32max = s32(d.u32max);
  } else {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  }
}

function signedFromUnsigned64(d: Reg): void {
  if (s64(d.umin) <= s64(d.umax)) {
    d.smin = s64(d.umin);
    d.smax = s64(d.umax);
  } else {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  }
}

const sub32Of = (r: Reg) => tnumSubreg(r.varOff);

/** scalar32_min_max_and / _or / _xor (var_off already combined). */
function bitwise32(op: number, d: Reg, s: Scalar): void {
  const t = sub32Of(d);
  if (tnumSubregIsConst(s.varOff) && tnumSubregIsConst(d.varOff)) {
    markKnown32(d, t.value);
    return;
  }
  if (op === AluOp.And) {
    d.u32min = Number(t.value);
    d.u32max = Math.min(d.u32max, s.u32max);
  } else if (op === AluOp.Or) {
    d.u32min = Math.max(d.u32min, s.u32min);
    d.u32max = Number(t.value | t.mask);
  } else {
    d.u32min = Number(t.value);
    d.u32max = Number(t.value | t.mask);
  }
  signedFromUnsigned32(d);
}

/** scalar_min_max_and / _or / _xor (var_off already combined). */
function bitwise64(op: number, d: Reg, s: Scalar): void {
  if (tnumIsConst(s.varOff) && tnumIsConst(d.varOff)) {
    markKnown(d, d.varOff.value);
    return;
  }
  if (op === AluOp.And) {
    d.umin = d.varOff.value;
    d.umax = d.umax < s.umax ? d.umax : s.umax;
  } else if (op === AluOp.Or) {
    d.umin = d.umin > s.umin ? d.umin : s.umin;
    d.umax = d.varOff.value | d.varOff.mask;
  } else {
    d.umin = d.varOff.value;
    d.umax = d.varOff.value | d.varOff.mask;
  }
  signedFromUnsigned64(d);
  updateRegBounds(d);
}

// ---- shifts (by a constant below the width; is_safe_to_compute_dst_reg_range checks that first) ----

/** __scalar32_min_max_lsh */
function lsh32Bounds(d: Reg, uminVal: bigint, umaxVal: bigint): void {
  d.s32min = S32_MIN;
  d.s32max = S32_MAX;
  if (umaxVal > 31n || BigInt(d.u32max) > 1n << (31n - umaxVal)) {
    d.u32min = 0;
    d.u32max = U32_MAX;
  } else {
    d.u32min = Number(BigInt.asUintN(32, BigInt(d.u32min) << uminVal));
    d.u32max = Number(BigInt.asUintN(32, BigInt(d.u32max) << umaxVal));
  }
}

/** scalar32_min_max_lsh */
function lsh32(d: Reg, s: Scalar): void {
  const sub = tnumSubreg(d.varOff);
  lsh32Bounds(d, BigInt(s.u32min), BigInt(s.u32max));
  d.varOff = tnumSubreg(tnumLshift(sub, s.u32min));
  mark64Unbounded(d);
  updateRegBounds32(d);
}

/** scalar_min_max_lsh (__scalar64_min_max_lsh first: it reads the unshifted 32-bit bounds) */
function lsh64(d: Reg, s: Scalar): void {
  const uminVal = s.umin;
  const umaxVal = s.umax;
  // <<32 keeps the s32 bounds' sign: a compiler's sign-extension idiom (<<32 s>>32).
  if (uminVal === 32n && umaxVal === 32n) {
    d.smax = s64(BigInt(d.s32max) << 32n);
    d.smin = s64(BigInt(d.s32min) << 32n);
  } else {
    d.smax = S64_MAX;
    d.smin = S64_MIN;
  }
  if (d.umax > 1n << (63n - umaxVal)) {
    d.umin = 0n;
    d.umax = U64_MAX;
  } else {
    d.umin = u64(d.umin << uminVal);
    d.umax = u64(d.umax << umaxVal);
  }
  lsh32Bounds(d, uminVal, umaxVal);
  d.varOff = tnumLshift(d.varOff, Number(uminVal));
  updateRegBounds(d);
}

/** scalar32_min_max_rsh */
function rsh32(d: Reg, s: Scalar): void {
  const sub = tnumSubreg(d.varOff);
  d.s32min = S32_MIN;
  d.s32max = S32_MAX;
  d.varOff = tnumRshift(sub, s.u32min);
  d.u32min = d.u32min >>> s.u32max;
  d.u32max = d.u32max >>> s.u32min;
  mark64Unbounded(d);
  updateRegBounds32(d);
}

/** scalar_min_max_rsh */
function rsh64(d: Reg, s: Scalar): void {
  d.smin = S64_MIN;
  d.smax = S64_MAX;
  d.varOff = tnumRshift(d.varOff, Number(s.umin));
  d.umin >>= s.umax;
  d.umax >>= s.umin;
  mark32Unbounded(d);
  updateRegBounds(d);
}

/** scalar32_min_max_arsh */
function arsh32(d: Reg, s: Scalar): void {
  const k = s.u32min;
  d.s32min = d.s32min >> k;
  d.s32max = d.s32max >> k;
  d.varOff = tnumArshift(tnumSubreg(d.varOff), k, 32);
  d.u32min = 0;
  d.u32max = U32_MAX;
  mark64Unbounded(d);
  updateRegBounds32(d);
}

/** scalar_min_max_arsh */
function arsh64(d: Reg, s: Scalar): void {
  const k = s.umin;
  d.smin >>= k;
  d.smax >>= k;
  d.varOff = tnumArshift(d.varOff, Number(k), 64);
  d.umin = 0n;
  d.umax = U64_MAX;
  mark32Unbounded(d);
  updateRegBounds(d);
}

/** __update_reg32_bounds alone (the 32-bit shift helpers call only it). */
function updateRegBounds32(d: Reg): void {
  // updateRegBounds does 32 then 64; the 64-bit half must not run here (its tnum_step rule could fire).
  const t = tnumSubreg(d.varOff);
  d.s32min = Math.max(d.s32min, Number(BigInt.asIntN(32, t.value | (t.mask & 0x80000000n))));
  d.s32max = Math.min(d.s32max, Number(BigInt.asIntN(32, t.value | (t.mask & 0x7fffffffn))));
  d.u32min = Math.max(d.u32min, Number(t.value));
  d.u32max = Math.min(d.u32max, Number(t.value | t.mask));
}

/**
 * is_safe_to_compute_dst_reg_range: which ops the kernel tracks. Shifts need a constant amount below the
 * width (the constant checked at the instruction's width, the bound against the 64-bit umax); DIV and
 * MOD need a constant divisor where they are tracked (`division`: 7.x), and are not in 6.18.
 */
function safeToCompute(op: number, alu64: boolean, src: Scalar, division: Division | undefined): boolean {
  const isConst = alu64
    ? tnumIsConst(src.varOff) && src.smin === src.smax && src.umin === src.umax
    : tnumSubregIsConst(src.varOff) && src.s32min === src.s32max && src.u32min === src.u32max;
  switch (op) {
    case AluOp.Add: case AluOp.Sub: case AluOp.And: case AluOp.Xor: case AluOp.Or: case AluOp.Mul:
      return true;
    case AluOp.Div: case AluOp.Mod:
      return division !== undefined && isConst;
    case AluOp.Lsh: case AluOp.Rsh: case AluOp.Arsh:
      return isConst && src.umax < (alu64 ? 64n : 32n);
    default:
      return false;
  }
}

/**
 * maybe_fork_scalars: with the destination's s64 (or else s32) range exactly [-1, 0], the kernel splits
 * it: this path continues with -1, a pushed one re-runs the instruction with 0.
 */
function maybeFork(d: Reg): AluResult['fork'] {
  const as64 = d.smin === -1n && d.smax === 0n;
  if (!as64 && !(d.s32min === -1 && d.s32max === 0)) return undefined;
  const other = copyReg(d);
  if (as64) {
    markKnown(other, 0n);
    markKnown(d, -1n);
  } else {
    markKnown32(other, 0n);
    markKnown32(d, -1n);
  }
  return { dst: freeze(other), keepsId: !as64 };
}

/**
 * adjust_scalar_min_max_vals for BPF_ADD .. BPF_ARSH (AluOp values): `dst op= src`, 64-bit or 32-bit.
 * For an immediate, `src` is the immediate as the kernel builds it: scalarConst of the sign-extended imm,
 * for ALU32 too. `division`: how DIV and MOD read their operands (`off` 1 is signed) on the versions that
 * track them (kernel-version.ts divModTracked); without it they give an unknown scalar, as 6.18's do.
 */
export function scalarAlu(op: number, alu64: boolean, dst: Scalar, src: Scalar, division?: Division): AluResult {
  if (!safeToCompute(op, alu64, src, division)) return finish(copyReg(scalarUnknown()), { unknown: true });
  const d = copyReg(dst);
  let fork: AluResult['fork'];
  switch (op) {
    case AluOp.Add:
      add32(d, src);
      add64(d, src);
      d.varOff = tnumAdd(d.varOff, src.varOff);
      break;
    case AluOp.Sub:
      sub32(d, src);
      sub64(d, src);
      d.varOff = tnumSub(d.varOff, src.varOff);
      break;
    case AluOp.Mul:
      d.varOff = tnumMul(d.varOff, src.varOff);
      mul32(d, src);
      mul64(d, src);
      break;
    case AluOp.And:
    case AluOp.Or:
    case AluOp.Xor:
      if (op !== AluOp.Xor && tnumIsConst(src.varOff)) fork = maybeFork(d);
      d.varOff = op === AluOp.And ? tnumAnd(d.varOff, src.varOff) : op === AluOp.Or ? tnumOr(d.varOff, src.varOff) : tnumXor(d.varOff, src.varOff);
      bitwise32(op, d, src);
      bitwise64(op, d, src);
      break;
    case AluOp.Div:
    case AluOp.Mod:
      divModRanges(d, src, op === AluOp.Mod, alu64, division!);
      break;
    case AluOp.Lsh:
      if (alu64) lsh64(d, src);
      else lsh32(d, src);
      break;
    case AluOp.Rsh:
      if (alu64) rsh64(d, src);
      else rsh32(d, src);
      break;
    case AluOp.Arsh:
      if (alu64) arsh64(d, src);
      else arsh32(d, src);
      break;
  }
  if (!alu64) zext32To64(d);
  regBoundsSync(d);
  return finish(d, fork ? { fork } : {});
}

/** The immediate operand of an ALU or JMP instruction: __mark_reg_known(insn->imm), sign-extended. */
export function immOperand(imm: number): Scalar {
  return scalarConst(BigInt(imm | 0));
}

/**
 * BPF_NEG (adjust_scalar_min_max_vals in 6.18, as 7.2): 0 - dst through the sub helpers and tnum_neg;
 * then zero-extension for the 32-bit form. The destination's id is always cleared (__mark_reg_known).
 */
export function scalarNeg(alu64: boolean, dst: Scalar): AluResult {
  const d = copyReg(dst);
  markKnown(d, 0n);
  sub32(d, dst);
  sub64(d, dst);
  d.varOff = tnumNeg(dst.varOff);
  if (!alu64) zext32To64(d);
  regBoundsSync(d);
  return finish(d);
}

/**
 * BPF_END on a little-endian machine (scalar_byte_swap): `swap` for to_be (ALU | END | TO_BE) and the
 * unconditional bswap (ALU64 | END); to_le only truncates. The tnum is byte-swapped and the bounds reset
 * and re-derived; 16 and 32 bits truncate (coerce_reg_to_size). No zero-extension step. `mutates`: the
 * kernel clears the register's id (all but le64, which changes nothing).
 */
export function scalarEnd(dst: Scalar, bits: 16 | 32 | 64, swap: boolean): AluResult & { readonly mutates: boolean } {
  const d = copyReg(dst);
  if (swap) {
    d.varOff = tnumBswap(d.varOff, bits);
    markUnbounded(d);
  }
  if (bits !== 64) coerceRegToSize(d, (bits / 8) as 2 | 4);
  regBoundsSync(d);
  return { ...finish(d), mutates: swap || bits !== 64 };
}

/**
 * BPF_MOV from a register (check_alu_op). `bits` 0 is the plain copy: 64-bit as is, 32-bit zero-extended.
 * 8/16/32 is MOVSX: ALU64 sign-extends the low bits into 64 (coerce_reg_to_size_sx, no sync after);
 * ALU 8/16 sign-extends into the low 32, then zero-extends.
 */
export function scalarMov(alu64: boolean, src: Scalar, bits: 0 | 8 | 16 | 32 = 0): AluResult {
  const d = copyReg(src);
  if (alu64) {
    if (bits !== 0) coerceRegToSizeSx(d, (bits / 8) as 1 | 2 | 4);
    return finish(d);
  }
  if (bits !== 0) coerceSubregToSizeSx(d, (bits / 8) as 1 | 2);
  zext32To64(d);
  regBoundsSync(d);
  return finish(d);
}

/** BPF_MOV of an immediate: the sign-extended imm (ALU64) or the imm as u32 (ALU). */
export function scalarMovImm(alu64: boolean, imm: number): Scalar {
  return alu64 ? scalarConst(BigInt(imm | 0)) : scalarConst32(imm);
}

/**
 * Whether a MOV keeps the source's id on the copy (and gives the source one first,
 * assign_scalar_id_before_mov): the 64-bit copy always; the 32-bit copy when the value fits in 32 bits
 * (get_reg_width <= 32); MOVSX when no sign extension happens (umax < 2^(bits-1)).
 */
export function movKeepsLink(alu64: boolean, src: Scalar, bits: 0 | 8 | 16 | 32 = 0): boolean {
  if (bits !== 0) return src.umax < 1n << BigInt(bits - 1);
  if (alu64) return true;
  return src.umax <= BigInt(U32_MAX);
}

/**
 * sync_linked_regs' arithmetic: a register linked to `known` (same id) whose BPF_ADD_CONST delta differs
 * by `delta` becomes known + delta through scalar32_min_max_add, scalar_min_max_add and tnum_add, then
 * (7.x, and 6.18's backport of 32-bit links) zero-extension when either link is a 32-bit one, and
 * reg_bounds_sync.
 */
export function linkedAdd(known: Scalar, delta: bigint, zext32: boolean): Scalar {
  const d = copyReg(known);
  const c = scalarConst(delta);
  add32(d, c);
  add64(d, c);
  d.varOff = tnumAdd(d.varOff, c.varOff);
  if (zext32) zext32To64(d);
  regBoundsSync(d);
  return freeze(d);
}
