// ALU instructions (kernel/bpf/verifier.c check_alu_op, adjust_reg_min_max_vals, adjust_ptr_min_max_vals,
// check_reg_sane_offset), as a privileged program sees them: pointer leaks and Spectre sanitation are the
// unprivileged rules and do not apply. Scalar arithmetic is scalar-alu.ts's (adjust_scalar_min_max_vals).
import { EACCES, EINVAL } from '../../../uapi/errno.js';
import { KernelMapType } from '../../../uapi/bpf.js';
import { AluOp, BPF_ADDR_SPACE_CAST, Class, classOf, opOf, Source, srcOf, type Insn } from '../../../uapi/isa.js';
import { baseType, hasFlag, RegType, TypeFlag, type RegState } from '../reg-state.js';
import { immOperand, movKeepsLink, scalarAlu, scalarEnd, scalarMov, scalarMovImm, scalarNeg, type AluResult } from '../scalar-alu.js';
import { constValueAt, isConstAt, S64_MAX, S64_MIN, type Scalar } from '../scalar.js';
import { tnumAdd, tnumSub, U64_MAX } from '../tnum.js';
import { divModTracked, linkedConstOps, negEndTracked } from '../../kernel-version.js';
import { OutOfModel, refuse } from './errors.js';
import { BPF_MAX_VAR_OFF, isPktPointer, regTypeStr, scalarReg, unknown } from './regs.js';
import type { Verifier } from './verifier.js';

/**
 * include/linux/bpf_verifier.h BPF_ADD_CONST64 / BPF_ADD_CONST32: a linked scalar that is its base plus a
 * constant (`off`), by a 64-bit or a 32-bit addition; BPF_ADD_CONST is either.
 */
export const BPF_ADD_CONST64 = 2 ** 31;
export const BPF_ADD_CONST32 = 2 ** 30;
export const BPF_ADD_CONST = BPF_ADD_CONST64 + BPF_ADD_CONST32;

/** kernel/bpf/verifier.c bpf_alu_string, by op >> 4. */
const aluString = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', 'neg', '%=', '^=', '=', 's>>=', 'endian'];

/** check_reg_arg(SRC_OP): the register was written on this path. */
export function checkRead(v: Verifier, regno: number): RegState {
  if (regno >= 11) refuse(EINVAL, `R${regno} is invalid`);
  const r = v.regs[regno]!;
  if (r.type === RegType.NotInit) refuse(EACCES, `R${regno} !read_ok`);
  return r;
}

/** check_reg_arg(DST_OP): the frame pointer may not be written. */
export function checkWrite(regno: number): void {
  if (regno >= 11) refuse(EINVAL, `R${regno} is invalid`);
  if (regno === 10) refuse(EACCES, 'frame pointer is read only');
}

/** assign_scalar_id_before_mov: an unknown scalar about to be copied gets an id its copies share. */
export function linkScalar(v: Verifier, regno: number): RegState {
  const r = v.regs[regno]!;
  if (r.type !== RegType.Scalar || r.id !== 0 || r.value.varOff.mask === 0n) return r;
  const linked = { ...r, id: v.newId() };
  v.regs[regno] = linked;
  return linked;
}

/** A scalar ALU result as a register; a range the kernel finds inconsistent is logged, as it does. */
function fromAlu(v: Verifier, r: AluResult, id = 0): RegState {
  if (r.violation) v.log.line(r.violation);
  return scalarReg(r.dst, r.unknown ? 0 : id);
}

/**
 * maybe_fork_scalars (kernel/bpf/verifier.c, AND/OR of a [-1, 0] register with a constant): this path goes
 * on with -1 (scalarAlu's result); push_stack(env, env->insn_idx, env->insn_idx, false) leaves a path that
 * runs this instruction again with the register 0 (__mark_reg_known clears its id, __mark_reg32_known
 * keeps it). The pushed path starts at this instruction since "bpf: Fix unsound scalar forking in
 * maybe_fork_scalars() for BPF_OR" (6.18.44 walks the AND again); before, it started after it with 0, wrong for OR.
 */
function forkScalars(v: Verifier, regno: number, dst: RegState, fork: NonNullable<AluResult['fork']>): void {
  const other = v.cur.clone();
  other.history.pop(); // the instruction is walked again on that path
  other.cur.regs[regno] = { ...dst, value: fork.dst, id: fork.keepsId ? dst.id : 0 };
  v.push(v.pc, other);
}

export function checkAlu(v: Verifier, insn: Insn): void {
  const op = opOf(insn.code);
  const alu64 = classOf(insn.code) === Class.Alu64;
  const byReg = srcOf(insn.code) === Source.X;
  const regs = v.regs;
  if (op === AluOp.Neg || op === AluOp.End) {
    const dst = checkRead(v, insn.dst);
    checkWrite(insn.dst);
    if (dst.type !== RegType.Scalar || !negEndTracked(v.version)) {
      regs[insn.dst] = unknown();
      return;
    }
    if (op === AluOp.Neg) regs[insn.dst] = fromAlu(v, scalarNeg(alu64, dst.value));
    else {
      const swap = alu64 || byReg; // ALU64|END is bswap; ALU|END|TO_BE swaps on little endian
      const r = scalarEnd(dst.value, insn.imm as 16 | 32 | 64, swap);
      regs[insn.dst] = fromAlu(v, r, r.mutates ? 0 : dst.id);
    }
    return;
  }
  if (op === AluOp.Mov) {
    if (byReg && alu64 && insn.off === BPF_ADDR_SPACE_CAST) {
      if (insn.imm !== 1 && insn.imm !== 1 << 16) refuse(EINVAL, 'addr_space_cast insn can only convert between address space 1 and 0');
      if (!v.p.maps.some((m) => m.type === KernelMapType.Arena)) refuse(EINVAL, 'addr_space_cast insn can only be used in a program that has an associated arena');
    }
    if (byReg) checkRead(v, insn.src);
    checkWrite(insn.dst);
    regs[insn.dst] = mov(v, insn, alu64);
    return;
  }
  if (byReg) checkRead(v, insn.src);
  checkRead(v, insn.dst);
  checkWrite(insn.dst);
  regs[insn.dst] = adjustRegMinMax(v, insn, op, alu64);
}

function mov(v: Verifier, insn: Insn, alu64: boolean): RegState {
  if (srcOf(insn.code) === Source.K) return scalarReg(scalarMovImm(alu64, insn.imm));
  const src = v.regs[insn.src]!;
  if (alu64 && insn.off === BPF_ADDR_SPACE_CAST) throw new OutOfModel('arena address space cast');
  if (alu64 && insn.off === 0) return linkScalar(v, insn.src); // copy_register_state: the copy shares the id
  if (src.type !== RegType.Scalar) {
    // 32-bit moves and sign extensions of a pointer: with allow_ptr_leaks (root) is_pointer_value is
    // false, and the destination is an unknown scalar.
    return unknown();
  }
  const bits = insn.off as 0 | 8 | 16 | 32;
  const keep = movKeepsLink(alu64, src.value, bits);
  const base = keep ? linkScalar(v, insn.src) : src;
  return fromAlu(v, scalarMov(alu64, base.value, bits), keep ? base.id : 0);
}

/** adjust_reg_min_max_vals: scalar op scalar, pointer op scalar, scalar op pointer, pointer op pointer. */
function adjustRegMinMax(v: Verifier, insn: Insn, op: number, alu64: boolean): RegState {
  const dst = v.regs[insn.dst]!;
  const byReg = srcOf(insn.code) === Source.X;
  const srcValue: Scalar = byReg ? v.regs[insn.src]!.value : immOperand(insn.imm);
  const src: RegState = byReg ? v.regs[insn.src]! : scalarReg(srcValue);
  if (dst.type === RegType.Arena || src.type === RegType.Arena) throw new OutOfModel('arena pointer arithmetic');
  if (src.type !== RegType.Scalar) {
    if (dst.type !== RegType.Scalar) {
      if (op === AluOp.Sub && alu64) return unknown(); // allow_ptr_leaks: pointer - pointer is a scalar
      return refuse(EACCES, `R${insn.dst} pointer ${aluString[op >> 4]} pointer prohibited`);
    }
    v.markPrecise(insn.dst); // scalar += pointer: the scalar is the offset
    return adjustPtr(v, insn, op, alu64, src, dst, true);
  }
  if (dst.type !== RegType.Scalar) {
    if (byReg) v.markPrecise(insn.src); // pointer += scalar
    return adjustPtr(v, insn, op, alu64, dst, src, false);
  }
  if (op === AluOp.Div || op === AluOp.Mod) {
    if (!byReg && insn.imm === 0) refuse(EINVAL, 'div by zero');
  }
  const result = scalarAlu(op, alu64, dst.value, srcValue, divModTracked(v.version) ? (insn.off === 1 ? 'signed' : 'unsigned') : undefined);
  if (result.fork) forkScalars(v, insn.dst, dst, result.fork);
  const link = linkedDelta(v, insn, op, alu64, dst, srcValue);
  if (link && !result.unknown) return { ...fromAlu(v, result, (dst.id & ~BPF_ADD_CONST) + link.flag), off: link.off };
  return fromAlu(v, result);
}

/**
 * adjust_reg_min_max_vals' linked scalars: `rX += const` (and, as the version has them, `-= const` and the
 * 32-bit forms) keeps rX linked to its copies with the constant as its delta; a second one, or a constant
 * out of s32, unlinks it (linkedConstOps).
 */
function linkedDelta(v: Verifier, insn: Insn, op: number, alu64: boolean, dst: RegState, src: Scalar): { flag: number; off: number } | undefined {
  const ops = linkedConstOps(v.version);
  if (ops === 'none' || dst.id === 0 || (dst.id & BPF_ADD_CONST) !== 0) return undefined;
  if (op !== AluOp.Add && !(op === AluOp.Sub && ops === 'all')) return undefined;
  if (!alu64 && ops !== 'all') return undefined;
  if (srcOf(insn.code) === Source.X && insn.src === insn.dst) return undefined;
  if (!isConstAt(src, !alu64)) return undefined;
  const val = constValueAt(src, !alu64);
  if (alu64 && (BigInt.asIntN(64, val) < -0x80000000n || BigInt.asIntN(64, val) > 0x7fffffffn)) return undefined;
  if (!alu64 && dst.value.umax > 0xffffffffn) return undefined;
  let off = Number(BigInt.asIntN(32, val));
  if (op === AluOp.Sub) {
    if (off === -0x80000000) return undefined; // negating S32_MIN overflows
    off = -off;
  }
  return { flag: alu64 ? BPF_ADD_CONST64 : BPF_ADD_CONST32, off };
}

/** check_reg_sane_offset (adjust_ptr_min_max_vals answers its false with EINVAL). */
function checkSaneOffset(r: RegState, type: number): void {
  const constant = r.value.varOff.mask === 0n;
  const val = BigInt.asIntN(64, r.value.varOff.value);
  const name = regTypeStr(type);
  if (constant && (val >= BPF_MAX_VAR_OFF || val <= -BPF_MAX_VAR_OFF)) refuse(EINVAL, `math between ${name} pointer and ${val} is not allowed`);
  if (r.off >= Number(BPF_MAX_VAR_OFF) || r.off <= -Number(BPF_MAX_VAR_OFF)) refuse(EINVAL, `${name} pointer offset ${r.off} is not allowed`);
  if (r.value.smin === S64_MIN) refuse(EINVAL, `math between ${name} pointer and register with unbounded min value is not allowed`);
  if (r.value.smin >= BPF_MAX_VAR_OFF || r.value.smin <= -BPF_MAX_VAR_OFF) refuse(EINVAL, `value ${r.value.smin} makes ${name} pointer be out of bounds`);
}

const fitsS32 = (n: bigint): boolean => n === BigInt.asIntN(32, n);

/** adjust_ptr_min_max_vals: pointer ± scalar moves the pointer's offset (fixed part or variable part). */
function adjustPtr(v: Verifier, insn: Insn, op: number, alu64: boolean, ptr: RegState, off: RegState, scalarIsDst: boolean): RegState {
  const dstno = insn.dst;
  const o = off.value;
  const knownOff = o.varOff.mask === 0n;
  if ((knownOff && (o.smin !== o.smax || o.umin !== o.umax)) || o.smin > o.smax || o.umin > o.umax) return unknown();
  if (!alu64) {
    // 32-bit ALU on a pointer makes a meaningless scalar; allow_ptr_leaks (root) permits the subtraction.
    if (op === AluOp.Sub) return unknown();
    return refuse(EACCES, `R${dstno} 32-bit pointer arithmetic prohibited`);
  }
  if (hasFlag(ptr.type, TypeFlag.MaybeNull)) {
    return refuse(EACCES, `R${dstno} pointer arithmetic on ${regTypeStr(ptr.type)} prohibited, null-check it first`);
  }
  switch (baseType(ptr.type)) {
    case RegType.Ctx: case RegType.MapValue: case RegType.MapKey: case RegType.Stack: case RegType.PacketMeta:
    case RegType.Packet: case RegType.TpBuffer: case RegType.BtfId: case RegType.Mem: case RegType.Buf:
    case RegType.Func: case RegType.ConstDynptr:
      break;
    case RegType.FlowKeys:
      if (knownOff) break;
      return refuse(EACCES, `R${dstno} pointer arithmetic on ${regTypeStr(ptr.type)} prohibited`);
    case RegType.ConstMapPtr:
      if (knownOff && o.smin === 0n && op === AluOp.Add) break;
      return refuse(EACCES, `R${dstno} pointer arithmetic on ${regTypeStr(ptr.type)} prohibited`);
    default:
      return refuse(EACCES, `R${dstno} pointer arithmetic on ${regTypeStr(ptr.type)} prohibited`);
  }
  // A linked scalar's delta was its reg->off while only additions linked (6.11-6.17); since, it is a field
  // of its own (reg->delta), which check_reg_sane_offset does not read.
  checkSaneOffset(linkedConstOps(v.version) === 'add64' ? off : { ...off, off: 0 }, ptr.type);
  checkSaneOffset(ptr, ptr.type);
  const p = ptr.value;
  let out: RegState;
  if (op === AluOp.Add) {
    if (knownOff && fitsS32(BigInt(ptr.off) + o.smin)) {
      out = { ...ptr, off: ptr.off + Number(o.smin) };
    } else {
      const smin = p.smin + o.smin;
      const smax = p.smax + o.smax;
      const umin = p.umin + o.umin;
      const umax = p.umax + o.umax;
      const sOver = smin < S64_MIN || smin > S64_MAX || smax < S64_MIN || smax > S64_MAX;
      const uOver = umin > U64_MAX || umax > U64_MAX;
      const value = pointerValue(tnumAdd(p.varOff, o.varOff), sOver ? [S64_MIN, S64_MAX] : [smin, smax], uOver ? [0n, U64_MAX] : [umin, umax]);
      out = { ...ptr, value };
      if (isPktPointer(ptr)) out = { ...out, id: v.newId(), range: 0 };
    }
  } else if (op === AluOp.Sub) {
    if (scalarIsDst) return refuse(EACCES, `R${dstno} tried to subtract pointer from scalar`);
    if (ptr.type === RegType.Stack) return refuse(EACCES, `R${dstno} subtraction from stack pointer prohibited`);
    if (knownOff && fitsS32(BigInt(ptr.off) - o.smin)) {
      out = { ...ptr, off: ptr.off - Number(o.smin) };
    } else {
      const smin = p.smin - o.smax;
      const smax = p.smax - o.smin;
      const sOver = smin < S64_MIN || smin > S64_MAX || smax < S64_MIN || smax > S64_MAX;
      const uRange: [bigint, bigint] = p.umin < o.umax ? [0n, U64_MAX] : [p.umin - o.umax, p.umax - o.umin];
      const value = pointerValue(tnumSub(p.varOff, o.varOff), sOver ? [S64_MIN, S64_MAX] : [smin, smax], uRange);
      out = { ...ptr, value };
      if (isPktPointer(ptr)) out = { ...out, id: v.newId(), range: o.smin < 0n ? 0 : ptr.range };
    }
  } else if (op === AluOp.And || op === AluOp.Or || op === AluOp.Xor) {
    return refuse(EACCES, `R${dstno} bitwise operator ${aluString[op >> 4]} on pointer prohibited`);
  } else {
    return refuse(EACCES, `R${dstno} pointer arithmetic with ${aluString[op >> 4]} operator prohibited`);
  }
  checkSaneOffset(out, ptr.type);
  return out;
}

/**
 * A pointer's variable offset after adjust_ptr_min_max_vals: 64-bit bounds and tnum, 32-bit bounds
 * unbounded (__mark_reg32_unbounded), then __update_reg_bounds/__reg_deduce_bounds/__reg_bound_offset.
 */
function pointerValue(varOff: Scalar['varOff'], s: [bigint, bigint], u: [bigint, bigint]): Scalar {
  const r = scalarAlu(AluOp.Add, true, {
    varOff, smin: s[0], smax: s[1], umin: u[0], umax: u[1], s32min: -(2 ** 31), s32max: 2 ** 31 - 1, u32min: 0, u32max: 2 ** 32 - 1,
  }, immOperand(0));
  return r.dst;
}
