// Conditional jumps (kernel/bpf/verifier.c check_cond_jmp_op): whether the jump is decided
// (is_branch_taken), the other side pushed for later (push_stack), what each side learns — scalar bounds
// (reg_set_min_max, sync_linked_regs), NULL checks (mark_ptr_or_null_regs), packet ranges
// (try_match_pkt_pointers, find_good_pkt_pointers) — as a privileged program sees them.
import { EINVAL } from '../../../uapi/errno.js';
import { Class, classOf, JmpOp, opOf, Source, srcOf, type Insn } from '../../../uapi/isa.js';
import { baseType, RegType, type RegState } from '../reg-state.js';
import { mapNumber } from '../map-table.js';
import { branchTaken, branchTakenByRefinement as decideByRefinement, refineBoth } from '../scalar-branch.js';
import { immOperand, linkedAdd } from '../scalar-alu.js';
import { isConstAt, constValueAt } from '../scalar.js';
import { BPF_ADD_CONST, BPF_ADD_CONST32, checkRead } from './alu.js';
import { branchTakenByRefinement, linkedConstOps, linkedRegsLiveOnly, linkedSyncFromDelta } from '../../kernel-version.js';
import { OutOfModel, refuse } from './errors.js';
import { ALLOC_OBJECT, isPktPointer, isPointer, mayBeNull, scalarReg, withoutNull } from './regs.js';
import { forEachReg, type VerifierState } from './state.js';
import { dropReference } from './refs.js';
import { localObjectType } from '../local-objects.js';
import { collectLinkedRegs, jmpStackFlags, type LinkedReg } from './precision.js';
import type { Verifier } from './verifier.js';

/** include/linux/bpf_verifier.h: a packet pointer compared beyond (range_open) or at pkt_end. */
const AT_PKT_END = -1;
const BEYOND_PKT_END = -2;
/** kernel/bpf/verifier.c MAX_PACKET_OFF. */
const MAX_PACKET_OFF = 0xffff;

/** check_cond_jmp_op: the next instruction on this path (the other side, if any, is pushed). */
export function checkCondJmp(v: Verifier, insn: Insn): number {
  const op = opOf(insn.code);
  if (op === JmpOp.Jcond) {
    // BPF_MAY_GOTO is src_reg 0, the only JCOND there is (6.18's words; 6.12 also printed the off).
    if (insn.code !== (Class.Jmp | JmpOp.Jcond) || insn.src !== 0 || insn.dst !== 0 || insn.imm !== 0) refuse(EINVAL, `invalid may_goto imm ${insn.imm}`);
    throw new OutOfModel('may_goto');
  }
  if (op > JmpOp.Jcond) refuse(EINVAL, `invalid BPF_JMP/JMP32 opcode ${op.toString(16)}`);
  const byReg = srcOf(insn.code) === Source.X;
  checkRead(v, insn.dst);
  if (byReg) checkRead(v, insn.src);
  const is32 = classOf(insn.code) === Class.Jmp32;
  const regs = v.regs;
  const dst = regs[insn.dst]!;
  const src = byReg ? regs[insn.src]! : scalarReg(immOperand(insn.imm));
  const fallthrough = v.pc + 1;
  const target = v.pc + 1 + insn.off;

  v.recordFlags(jmpStackFlags(byReg && src.type === RegType.Stack, dst.type === RegType.Stack));
  const pred = isBranchTaken(v, dst, src, op, is32, byReg && insn.src === insn.dst);
  if (pred >= 0) {
    if (dst.type === RegType.Scalar) v.markPrecise(insn.dst);
    if (byReg && v.regs[insn.src]!.type === RegType.Scalar) v.markPrecise(insn.src);
  }
  if (pred === 1) return target;
  if (pred === 0) return fallthrough;

  // The scalars sharing an id with an operand, collected before the fork so that both sides have them
  // (and the history, for precision: before 6.11 it had no such record).
  const links: LinkedReg[] = [];
  const limit = linkedConstOps(v.version) !== 'none';
  const liveOnly = linkedRegsLiveOnly(v.version);
  const frames = v.cur.frames;
  const live = (f: number): number => (!liveOnly ? 0xffff : v.p.live[f === frames.length - 1 ? v.pc : frames[f + 1]!.callsite] ?? 0xffff);
  if (byReg && src.type === RegType.Scalar && src.id) collectLinkedRegs(v.cur, src.id, live, limit, links);
  if (dst.type === RegType.Scalar && dst.id) collectLinkedRegs(v.cur, dst.id, live, limit, links);
  if (limit && links.length > 1) v.cur.linked.push({ at: v.cur.history.length - 1, regs: links });

  const other = v.cur.clone();
  const otherRegs = other.cur.regs;
  if (dst.type === RegType.Scalar && src.type === RegType.Scalar) {
    const { taken, fallthrough: ft, violations } = refineBoth(op, is32, dst.value, src.value, byReg && insn.src === insn.dst);
    for (const line of violations) v.log.line(line);
    otherRegs[insn.dst] = { ...dst, value: taken.a };
    regs[insn.dst] = { ...dst, value: ft.a };
    if (byReg) {
      otherRegs[insn.src] = { ...otherRegs[insn.src]!, value: taken.b };
      regs[insn.src] = { ...regs[insn.src]!, value: ft.b };
    }
    // Before the fix (6.12.118 has it) a copy moved by a constant synced nothing when it was the one compared (linkedSyncFromDelta).
    const syncs = (r: RegState): boolean => r.id !== 0 && (linkedSyncFromDelta(v.version) || (r.id & BPF_ADD_CONST) === 0);
    if (byReg && syncs(src)) {
      syncLinkedRegs(v.cur, regs[insn.src]!, links);
      syncLinkedRegs(other, otherRegs[insn.src]!, links);
    }
    if (syncs(dst)) {
      syncLinkedRegs(v.cur, regs[insn.dst]!, links);
      syncLinkedRegs(other, otherRegs[insn.dst]!, links);
    }
  }
  if (!is32 && byReg && isPointer(src) && isPointer(dst) && baseType(src.type) !== RegType.BtfId && baseType(dst.type) !== RegType.BtfId) {
    // Two pointers equal: a maybe-NULL one equals a pointer that is not NULL.
    const eq = op === JmpOp.Jeq ? otherRegs : op === JmpOp.Jne ? regs : undefined;
    if (eq) {
      if (regNotNull(dst) && mayBeNull(src)) eq[insn.src] = { ...eq[insn.src]!, type: withoutNull(src.type) };
      if (regNotNull(src) && mayBeNull(dst)) eq[insn.dst] = { ...eq[insn.dst]!, type: withoutNull(dst.type) };
    }
  }
  if (!is32 && !byReg && insn.imm === 0 && (op === JmpOp.Jeq || op === JmpOp.Jne) && mayBeNull(dst)) {
    markPtrOrNullRegs(v, v.cur, dst, op === JmpOp.Jne);
    markPtrOrNullRegs(v, other, dst, op === JmpOp.Jeq);
  } else {
    matchPktPointers(insn, op, is32, byReg, dst, src, v.cur, other);
  }
  v.push(target, other);
  return fallthrough;
}

/** reg_not_null: types that are never NULL (ctx, stack and packet pointers are not on the kernel's list). */
function regNotNull(r: RegState): boolean {
  if (mayBeNull(r)) return false;
  if (r.value.smin <= -(1n << 29n) || r.value.smax >= 1n << 29n) return false;
  switch (baseType(r.type)) {
    case RegType.Socket: case RegType.TcpSock: case RegType.XdpSock: case RegType.Buf: case RegType.MapValue:
    case RegType.MapKey: case RegType.SockCommon: case RegType.Mem: case RegType.ConstMapPtr:
      return true;
    default:
      return false;
  }
}

/** is_branch_taken: 1 always, 0 never, -1 either way. */
function isBranchTaken(v: Verifier, a: RegState, b: RegState, op: number, is32: boolean, sameRegister: boolean): 1 | 0 | -1 {
  if (isPktPointer(a) || a.type === RegType.PacketEnd) {
    if ((isPktPointer(b) || b.type === RegType.PacketEnd) && !is32) return pktBranchTaken(a, b, op);
  }
  if (isPointer(a) || isPointer(b)) {
    if (is32) return -1;
    let [r1, r2, o] = [a, b, op];
    if (!(r2.type === RegType.Scalar && isConstAt(r2.value, false))) [r1, r2, o] = [b, a, flipOpcode(op)];
    if (!(r2.type === RegType.Scalar && isConstAt(r2.value, false))) return -1;
    if (!regNotNull(r1) || constValueAt(r2.value, false) !== 0n) return -1;
    return o === JmpOp.Jeq ? 0 : o === JmpOp.Jne ? 1 : -1;
  }
  if (branchTakenByRefinement(v.version)) return decideByRefinement(op, is32, a.value, b.value, sameRegister);
  return branchTaken(op, is32, a.value, b.value);
}

/** flip_opcode: `a op b` as `b op' a`. */
function flipOpcode(op: number): number {
  const flipped: Record<number, number> = {
    [JmpOp.Jge]: JmpOp.Jle, [JmpOp.Jgt]: JmpOp.Jlt, [JmpOp.Jle]: JmpOp.Jge, [JmpOp.Jlt]: JmpOp.Jgt,
    [JmpOp.Jsge]: JmpOp.Jsle, [JmpOp.Jsgt]: JmpOp.Jslt, [JmpOp.Jsle]: JmpOp.Jsge, [JmpOp.Jslt]: JmpOp.Jsgt,
  };
  return flipped[op] ?? op;
}

/** is_pkt_ptr_branch_taken: a packet pointer already compared at or beyond pkt_end. */
function pktBranchTaken(a: RegState, b: RegState, op: number): 1 | 0 | -1 {
  let pkt: RegState;
  if (b.type === RegType.PacketEnd) pkt = a;
  else if (a.type === RegType.PacketEnd) {
    pkt = b;
    op = flipOpcode(op);
  } else return -1;
  if (pkt.range >= 0) return -1;
  switch (op) {
    case JmpOp.Jle: case JmpOp.Jgt:
      if (pkt.range === BEYOND_PKT_END) return op === JmpOp.Jgt ? 1 : 0;
      return -1;
    case JmpOp.Jlt: case JmpOp.Jge:
      if (pkt.range === BEYOND_PKT_END || pkt.range === AT_PKT_END) return op === JmpOp.Jge ? 1 : 0;
      return -1;
    default:
      return -1;
  }
}

/**
 * sync_linked_regs: the collected copies of `known` (same id) learn its bounds, plus their constant delta
 * (zero-extended when either link is a 32-bit one); a 32-bit link and a 64-bit one are not synced.
 */
function syncLinkedRegs(s: VerifierState, known: RegState, links: readonly LinkedReg[]): void {
  for (const e of links) {
    const frame = s.frames[e.frameno]!;
    const slot = e.spi >= 0 ? frame.stack[e.spi] : undefined;
    const r = e.spi >= 0 ? slot?.spilled : frame.regs[e.regno];
    if (!r || r === known || r.type !== RegType.Scalar || (r.id & ~BPF_ADD_CONST) !== (known.id & ~BPF_ADD_CONST)) continue;
    if (((r.id ^ known.id) & BPF_ADD_CONST) === BPF_ADD_CONST) continue;
    let next: RegState;
    if (((r.id & BPF_ADD_CONST) === 0 && (known.id & BPF_ADD_CONST) === 0) || r.off === known.off) {
      next = known;
    } else {
      const zext = ((r.id | known.id) & BPF_ADD_CONST32) !== 0;
      next = { ...known, id: r.id, off: r.off, value: linkedAdd(known.value, BigInt((r.off | 0) - (known.off | 0)), zext) };
    }
    if (slot) frame.stack[e.spi] = { ...slot, spilled: next };
    else frame.regs[e.regno] = next;
  }
}

/** mark_ptr_or_null_regs: every copy of a maybe-NULL pointer (same id) becomes NULL or not NULL. */
function markPtrOrNullRegs(v: Verifier, s: VerifierState, ptr: RegState, isNull: boolean): void {
  const id = ptr.id;
  // The NULL side of an acquired pointer's check holds no reference: nothing was acquired.
  if (isNull && ptr.refObjId !== 0 && ptr.refObjId === id) dropReference(s, id);
  forEachReg(s, (r) => {
    if (!mayBeNull(r) || r.id !== id) return r;
    if (isNull) return scalarReg(immOperand(0));
    const type = withoutNull(r.type);
    // mark_ptr_or_null_reg: a map-in-map's value is the inner map, typed by the template (inner_map_meta).
    const inner = baseType(type) === RegType.MapValue ? v.p.maps[r.map]?.inner : undefined;
    if (inner) return { ...r, type: RegType.ConstMapPtr, map: mapNumber(v.p.maps, inner), id: 0 };
    // reg_may_point_to_spin_lock: a map value or an allocated object keeps its id, so a lock taken through it
    // is found again.
    const keepsId = baseType(type) === RegType.MapValue ? (v.p.maps[r.map]?.locks.length ?? 0) > 0
      : type === ALLOC_OBJECT && (localObjectType(v.input.btf, r.target)?.locks.length ?? 0) > 0;
    return { ...r, type, id: keepsId ? r.id : 0 };
  });
}

/** try_match_pkt_pointers: a packet pointer compared with pkt_end gives its copies a range on one side. */
function matchPktPointers(insn: Insn, op: number, is32: boolean, byReg: boolean, dst: RegState, src: RegState, thisBranch: VerifierState, otherBranch: VerifierState): void {
  if (!byReg || is32) return;
  const pktVsEnd = (a: RegState, b: RegState): boolean =>
    (a.type === RegType.Packet && b.type === RegType.PacketEnd) || (a.type === RegType.PacketMeta && b.type === RegType.Packet && b.off === 0 && b.value.varOff.mask === 0n && b.value.varOff.value === 0n);
  // `end op pkt` is `pkt op' end` (flip_opcode): one table serves both orders.
  let reg: RegState;
  let regno: number;
  if (pktVsEnd(dst, src)) [reg, regno] = [dst, insn.dst];
  else if (pktVsEnd(src, dst)) [reg, regno, op] = [src, insn.src, flipOpcode(op)];
  else return;
  // Per `pkt op end`: the side where pkt's range is learnt (and whether it is right-open), and the other
  // side, where pkt is at or beyond pkt_end (whether beyond).
  let goodSide: VerifierState, endSide: VerifierState, rightOpen: boolean, endOpen: boolean;
  if (op === JmpOp.Jgt) [goodSide, endSide, rightOpen, endOpen] = [thisBranch, otherBranch, false, true];
  else if (op === JmpOp.Jlt) [goodSide, endSide, rightOpen, endOpen] = [otherBranch, thisBranch, true, false];
  else if (op === JmpOp.Jge) [goodSide, endSide, rightOpen, endOpen] = [thisBranch, otherBranch, true, false];
  else if (op === JmpOp.Jle) [goodSide, endSide, rightOpen, endOpen] = [otherBranch, thisBranch, false, true];
  else return;
  findGoodPktPointers(goodSide, reg, rightOpen);
  // mark_pkt_end: on the other side this pointer is at (or beyond) pkt_end.
  const regs = endSide.cur.regs;
  if (regs[regno]!.type === RegType.Packet) regs[regno] = { ...regs[regno]!, range: endOpen ? BEYOND_PKT_END : AT_PKT_END };
}

/** find_good_pkt_pointers: packet pointers with `reg`'s id may read up to its offset. */
function findGoodPktPointers(s: VerifierState, reg: RegState, rightOpen: boolean): void {
  if (reg.off < 0 || (reg.off === 0 && rightOpen)) return;
  if (reg.value.umax > BigInt(MAX_PACKET_OFF) || reg.value.umax + BigInt(reg.off) > BigInt(MAX_PACKET_OFF)) return;
  const range = reg.off + (rightOpen ? 1 : 0);
  forEachReg(s, (r) => (r.type === reg.type && r.id === reg.id ? { ...r, range: Math.max(r.range, range) } : r));
}
