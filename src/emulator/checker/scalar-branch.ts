// Conditional jumps between scalars, kernel/bpf/verifier.c as Linux 6.18 has them: is_scalar_branch_taken
// (whether the jump is always, never or maybe taken), regs_refine_cond_op + reg_bounds_sync (what each
// side learns on each path, reg_set_min_max), and the range checks regsafe uses for pruning. For an
// immediate operand the second scalar is the immediate as the kernel builds it (immOperand).
import { JmpOp } from '../../uapi/isa.js';
import {
  tnumAnd, tnumConst, tnumIn, tnumIntersect, tnumIsConst, tnumOr, tnumOverlap, tnumSubreg, tnumWithSubreg,
} from './tnum.js';
import {
  boundsViolation, constValueAt, copyReg, freeze, isConstAt,
  markUnbounded, regBoundsSync, s32, u32, u64, type Reg, type Scalar,
} from './scalar.js';
import { U64_MAX } from './tnum.js';

/** BPF_JSET | BPF_X: the kernel's internal opcode for the false side of JSET (rev_opcode). */
const JSET_FALSE = JmpOp.Jset | 0x08;

/** flip_opcode: `a op b` as `b op' a`. */
function flipOpcode(op: number): number {
  switch (op) {
    case JmpOp.Jge: return JmpOp.Jle;
    case JmpOp.Jgt: return JmpOp.Jlt;
    case JmpOp.Jle: return JmpOp.Jge;
    case JmpOp.Jlt: return JmpOp.Jgt;
    case JmpOp.Jsge: return JmpOp.Jsle;
    case JmpOp.Jsgt: return JmpOp.Jslt;
    case JmpOp.Jsle: return JmpOp.Jsge;
    case JmpOp.Jslt: return JmpOp.Jsgt;
    default: return op;
  }
}

/** rev_opcode: the condition that holds on the fall-through path. */
function revOpcode(op: number): number {
  switch (op) {
    case JmpOp.Jeq: return JmpOp.Jne;
    case JmpOp.Jne: return JmpOp.Jeq;
    case JmpOp.Jset: return JSET_FALSE;
    case JSET_FALSE: return JmpOp.Jset;
    case JmpOp.Jge: return JmpOp.Jlt;
    case JmpOp.Jgt: return JmpOp.Jle;
    case JmpOp.Jle: return JmpOp.Jgt;
    case JmpOp.Jlt: return JmpOp.Jge;
    case JmpOp.Jsge: return JmpOp.Jslt;
    case JmpOp.Jsgt: return JmpOp.Jsle;
    case JmpOp.Jsle: return JmpOp.Jsgt;
    case JmpOp.Jslt: return JmpOp.Jsge;
    default: return 0;
  }
}

/**
 * is_scalar_branch_taken: 1 when `a op b` always holds, 0 when it never does, -1 when it depends. JMP32
 * compares the low halves (tnum_subreg and the 32-bit bounds). 6.18 has no same-register rule (7.x
 * decides `if r1 > r1`): the kernel explores both sides.
 */
export function branchTaken(op: number, is32: boolean, a: Scalar, b: Scalar): 1 | 0 | -1 {
  let r1 = a;
  let r2 = b;
  let t1 = is32 ? tnumSubreg(a.varOff) : a.varOff;
  let t2 = is32 ? tnumSubreg(b.varOff) : b.varOff;
  const umin1 = is32 ? BigInt(a.u32min) : a.umin;
  const umax1 = is32 ? BigInt(a.u32max) : a.umax;
  const smin1 = is32 ? BigInt(a.s32min) : a.smin;
  const smax1 = is32 ? BigInt(a.s32max) : a.smax;
  const umin2 = is32 ? BigInt(b.u32min) : b.umin;
  const umax2 = is32 ? BigInt(b.u32max) : b.umax;
  const smin2 = is32 ? BigInt(b.s32min) : b.smin;
  const smax2 = is32 ? BigInt(b.s32max) : b.smax;

  switch (op) {
    case JmpOp.Jeq:
    case JmpOp.Jne: {
      const eq = op === JmpOp.Jeq;
      if (tnumIsConst(t1) && tnumIsConst(t2)) return (t1.value === t2.value) === eq ? 1 : 0;
      const never = eq ? 0 : 1;
      if (!tnumOverlap(t1, t2)) return never;
      if (umin1 > umax2 || umax1 < umin2) return never;
      if (smin1 > smax2 || smax1 < smin2) return never;
      // The 64-bit compare can still be decided by the 32-bit halves.
      if (!is32) {
        if (a.u32min > b.u32max || a.u32max < b.u32min) return never;
        if (a.s32min > b.s32max || a.s32max < b.s32min) return never;
      }
      return -1;
    }
    case JmpOp.Jset:
      if (!isConstAt(r2, is32)) {
        [r1, r2] = [r2, r1];
        [t1, t2] = [t2, t1];
      }
      if (!isConstAt(r2, is32)) return -1;
      if (~t1.mask & t1.value & t2.value) return 1;
      if (!((t1.mask | t1.value) & t2.value)) return 0;
      return -1;
    case JmpOp.Jgt: return umin1 > umax2 ? 1 : umax1 <= umin2 ? 0 : -1;
    case JmpOp.Jsgt: return smin1 > smax2 ? 1 : smax1 <= smin2 ? 0 : -1;
    case JmpOp.Jlt: return umax1 < umin2 ? 1 : umin1 >= umax2 ? 0 : -1;
    case JmpOp.Jslt: return smax1 < smin2 ? 1 : smin1 >= smax2 ? 0 : -1;
    case JmpOp.Jge: return umin1 >= umax2 ? 1 : umax1 < umin2 ? 0 : -1;
    case JmpOp.Jsge: return smin1 >= smax2 ? 1 : smax1 < smin2 ? 0 : -1;
    case JmpOp.Jle: return umax1 <= umin2 ? 1 : umin1 > umax2 ? 0 : -1;
    case JmpOp.Jsle: return smax1 <= smin2 ? 1 : smin1 > smax2 ? 0 : -1;
    default: return -1;
  }
}

const isPowerOf2 = (v: bigint): boolean => v !== 0n && (v & (v - 1n)) === 0n;

/**
 * regs_refine_cond_op: narrow `r1` and `r2` knowing `r1 op r2` holds. They may be the same object (a
 * register compared with itself), as the kernel's pointers may be.
 */
function refineCondOp(reg1: Reg, reg2: Reg, opcode: number, is32: boolean): void {
  let r1 = reg1;
  let r2 = reg2;
  let op = opcode;
  // GE/GT/SGE/SGT reuse the LE/LT/SLE/SLT cases with the operands swapped.
  if (op === JmpOp.Jge || op === JmpOp.Jgt || op === JmpOp.Jsge || op === JmpOp.Jsgt) {
    op = flipOpcode(op);
    [r1, r2] = [r2, r1];
  }
  switch (op) {
    case JmpOp.Jeq:
      if (is32) {
        r1.u32min = Math.max(r1.u32min, r2.u32min);
        r1.u32max = Math.min(r1.u32max, r2.u32max);
        r1.s32min = Math.max(r1.s32min, r2.s32min);
        r1.s32max = Math.min(r1.s32max, r2.s32max);
        r2.u32min = r1.u32min;
        r2.u32max = r1.u32max;
        r2.s32min = r1.s32min;
        r2.s32max = r1.s32max;
        const t = tnumIntersect(tnumSubreg(r1.varOff), tnumSubreg(r2.varOff));
        r1.varOff = tnumWithSubreg(r1.varOff, t);
        r2.varOff = tnumWithSubreg(r2.varOff, t);
      } else {
        r1.umin = r1.umin > r2.umin ? r1.umin : r2.umin;
        r1.umax = r1.umax < r2.umax ? r1.umax : r2.umax;
        r1.smin = r1.smin > r2.smin ? r1.smin : r2.smin;
        r1.smax = r1.smax < r2.smax ? r1.smax : r2.smax;
        r2.umin = r1.umin;
        r2.umax = r1.umax;
        r2.smin = r1.smin;
        r2.smax = r1.smax;
        r1.varOff = tnumIntersect(r1.varOff, r2.varOff);
        r2.varOff = r1.varOff;
      }
      break;
    case JmpOp.Jne: {
      if (!isConstAt(r2, is32)) [r1, r2] = [r2, r1];
      if (!isConstAt(r2, is32)) break;
      // A constant at an edge of the other's range moves that edge by one.
      const val = constValueAt(r2, is32);
      if (is32) {
        const v = Number(val);
        if (r1.u32min === v) r1.u32min = u32(r1.u32min + 1);
        if (r1.u32max === v) r1.u32max = u32(r1.u32max - 1);
        if (r1.s32min === s32(v)) r1.s32min = s32(r1.s32min + 1);
        if (r1.s32max === s32(v)) r1.s32max = s32(r1.s32max - 1);
      } else {
        if (r1.umin === val) r1.umin = u64(r1.umin + 1n);
        if (r1.umax === val) r1.umax = u64(r1.umax - 1n);
        const sv = BigInt.asIntN(64, val);
        if (r1.smin === sv) r1.smin = BigInt.asIntN(64, r1.smin + 1n);
        if (r1.smax === sv) r1.smax = BigInt.asIntN(64, r1.smax - 1n);
      }
      break;
    }
    case JmpOp.Jset: {
      if (!isConstAt(r2, is32)) [r1, r2] = [r2, r1];
      if (!isConstAt(r2, is32)) break;
      // Only a single tested bit tells which bit is set.
      const val = constValueAt(r2, is32);
      if (!isPowerOf2(val)) break;
      if (is32) r1.varOff = tnumWithSubreg(r1.varOff, tnumOr(tnumSubreg(r1.varOff), tnumConst(val)));
      else r1.varOff = tnumOr(r1.varOff, tnumConst(val));
      break;
    }
    case JSET_FALSE: {
      if (!isConstAt(r2, is32)) [r1, r2] = [r2, r1];
      if (!isConstAt(r2, is32)) break;
      const val = constValueAt(r2, is32);
      // The ranges are forgotten before the tnum narrows, against invariant violations on dead paths.
      markUnbounded(r1);
      if (is32) r1.varOff = tnumWithSubreg(r1.varOff, tnumAnd(tnumSubreg(r1.varOff), tnumConst(~val & U64_MAX)));
      else r1.varOff = tnumAnd(r1.varOff, tnumConst(~val & U64_MAX));
      break;
    }
    case JmpOp.Jle:
      if (is32) {
        r1.u32max = Math.min(r1.u32max, r2.u32max);
        r2.u32min = Math.max(r1.u32min, r2.u32min);
      } else {
        r1.umax = r1.umax < r2.umax ? r1.umax : r2.umax;
        r2.umin = r1.umin > r2.umin ? r1.umin : r2.umin;
      }
      break;
    case JmpOp.Jlt:
      // The kernel's `- 1` and `+ 1` wrap in the operand's type.
      if (is32) {
        r1.u32max = Math.min(r1.u32max, u32(r2.u32max - 1));
        r2.u32min = Math.max(u32(r1.u32min + 1), r2.u32min);
      } else {
        const m = u64(r2.umax - 1n);
        r1.umax = r1.umax < m ? r1.umax : m;
        const n = u64(r1.umin + 1n);
        r2.umin = n > r2.umin ? n : r2.umin;
      }
      break;
    case JmpOp.Jsle:
      if (is32) {
        r1.s32max = Math.min(r1.s32max, r2.s32max);
        r2.s32min = Math.max(r1.s32min, r2.s32min);
      } else {
        r1.smax = r1.smax < r2.smax ? r1.smax : r2.smax;
        r2.smin = r1.smin > r2.smin ? r1.smin : r2.smin;
      }
      break;
    case JmpOp.Jslt:
      if (is32) {
        r1.s32max = Math.min(r1.s32max, s32(r2.s32max - 1));
        r2.s32min = Math.max(s32(r1.s32min + 1), r2.s32min);
      } else {
        const m = BigInt.asIntN(64, r2.smax - 1n);
        r1.smax = r1.smax < m ? r1.smax : m;
        const n = BigInt.asIntN(64, r1.smin + 1n);
        r2.smin = n > r2.smin ? n : r2.smin;
      }
      break;
    default:
      break;
  }
}

export interface Refined {
  readonly a: Scalar;
  readonly b: Scalar;
  /**
   * reg_bounds_sanity_check messages for this side ("REG INVARIANTS VIOLATION (true_reg1): ..."): the
   * refined register was inconsistent, which 6.18 reports and then treats as unbounded (var_off kept).
   * That is how 6.18 ends up on a side no value can reach; it does not drop such a side.
   */
  readonly violations: readonly string[];
}

/**
 * reg_set_min_max for one side: `a op b` holds (`taken`) or does not. `aliased`: `a` and `b` are the
 * same register (`if r1 > r1`); the kernel then refines one register through both pointers, and `b` in
 * the result equals `a`.
 */
function refineBranch(op: number, is32: boolean, a: Scalar, b: Scalar, taken: boolean, aliased = false): Refined {
  const r1 = copyReg(a);
  const r2 = aliased ? r1 : copyReg(b);
  refineCondOp(r1, r2, taken ? op : revOpcode(op), is32);
  // reg_set_min_max syncs both pointers; for one register compared with itself that is two syncs of it.
  regBoundsSync(r1);
  regBoundsSync(r2);
  const side = taken ? 'true' : 'false';
  const violations: string[] = [];
  // Checked in the kernel's order; for one register compared with itself the second check sees the
  // first one's reset, as through the kernel's two pointers.
  for (const [r, n] of [[r1, 1], [r2, 2]] as const) {
    const v = boundsViolation(freeze(r), `${side}_reg${n}`);
    if (v !== undefined) {
      violations.push(v);
      markUnbounded(r);
    }
  }
  return { a: freeze(r1), b: freeze(r2), violations };
}

/**
 * Both sides of a jump the kernel cannot decide, in its order: reg_set_min_max refines the
 * fall-through (false) side, then the jump (true) side, then checks true_reg1, true_reg2, false_reg1,
 * false_reg2. The violation messages come back in that order.
 */
export function refineBoth(op: number, is32: boolean, a: Scalar, b: Scalar, aliased = false): { taken: Refined; fallthrough: Refined; violations: readonly string[] } {
  const fallthrough = refineBranch(op, is32, a, b, false, aliased);
  const taken = refineBranch(op, is32, a, b, true, aliased);
  return { taken, fallthrough, violations: [...taken.violations, ...fallthrough.violations] };
}

/** A refined side with no value left: a range whose minimum passed its maximum (range_bounds_violation). */
const emptyRange = (s: Scalar): boolean => s.umin > s.umax || s.smin > s.smax || s.u32min > s.u32max || s.s32min > s.s32max;

/**
 * 7.2's is_scalar_branch_taken beyond branchTaken's rules (kernel-version.ts branchTakenByRefinement): a
 * register compared with itself is decided by the operator alone, and a compare the bounds leave open is
 * decided when refining one side leaves an operand no value (simulate_both_branches_taken: the false side
 * first). 7.2 refines circular ranges (kernel/bpf/cnum.c); this refines the four intervals, which agree on
 * whether a side is empty for the comparisons of intervals that do not wrap.
 */
export function branchTakenByRefinement(op: number, is32: boolean, a: Scalar, b: Scalar, sameRegister: boolean): 1 | 0 | -1 {
  if (sameRegister) {
    switch (op) {
      case JmpOp.Jge: case JmpOp.Jle: case JmpOp.Jsge: case JmpOp.Jsle: case JmpOp.Jeq: return 1;
      case JmpOp.Jgt: case JmpOp.Jlt: case JmpOp.Jsgt: case JmpOp.Jslt: case JmpOp.Jne: return 0;
      case JmpOp.Jset: {
        const t = is32 ? tnumSubreg(a.varOff) : a.varOff;
        if (tnumIsConst(t)) return t.value !== 0n ? 1 : 0;
        const [smin, smax] = is32 ? [BigInt(a.s32min), BigInt(a.s32max)] : [a.smin, a.smax];
        return smin <= 0n && smax >= 0n ? -1 : 1;
      }
      default: return -1;
    }
  }
  const decided = branchTaken(op, is32, a, b);
  if (decided >= 0) return decided;
  const side = (taken: boolean): boolean => {
    const r1 = copyReg(a);
    const r2 = copyReg(b);
    refineCondOp(r1, r2, taken ? op : revOpcode(op), is32);
    regBoundsSync(r1);
    regBoundsSync(r2);
    return emptyRange(r1) || emptyRange(r2);
  };
  if (side(false)) return 1;
  if (side(true)) return 0;
  return -1;
}

/** range_within: every bound of `cur` inside the same bound of `old` (regsafe, for precise scalars). */
export function rangeWithin(old: Scalar, cur: Scalar): boolean {
  return old.umin <= cur.umin && old.umax >= cur.umax && old.smin <= cur.smin && old.smax >= cur.smax &&
    old.u32min <= cur.u32min && old.u32max >= cur.u32max && old.s32min <= cur.s32min && old.s32max >= cur.s32max;
}

/** regsafe's test for a precise scalar: range_within && tnum_in(old var_off, cur var_off). */
export function scalarWithin(old: Scalar, cur: Scalar): boolean {
  return rangeWithin(old, cur) && tnumIn(old.varOff, cur.varOff);
}

