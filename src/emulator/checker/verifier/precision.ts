// Precision (kernel/bpf/verifier.c __mark_chain_precision, backtrack_insn, mark_all_scalars_precise,
// propagate_precision). A scalar is imprecise until its exact value decides something (a branch, a pointer's
// offset, a helper's size, a return code); then it is marked precise in every checkpoint above the current
// state, and so is everything it came from, followed backwards through the path's instructions: registers,
// 64-bit stack spills and fills (by the history's stack-access records), bpf-to-bpf calls and returns, and
// the registers a conditional jump linked. The current state itself is never marked (its marks would not
// matter: see the comment before __mark_chain_precision). State pruning (prune.ts regsafe) then ignores the
// scalars no checkpoint marked. What the backtracking cannot follow is answered as the kernel answers
// -ENOTSUPP and its "verifier bug" cases here: every scalar of every checkpoint above becomes precise.
import { AluOp, AtomicOp, CallKind, Class, classOf, JmpOp, LD_IMM64, Mode, modeOf, opOf, Source, srcOf, type Insn } from '../../../uapi/isa.js';
import { RegType, type RegState } from '../reg-state.js';
import { BPF_ADD_CONST } from './alu.js';
import { MAX_CALL_FRAMES } from './call-depth.js';
import { syncCallbackHelpers, type Subprog } from './program.js';
import { FP, isSpilledScalar, type FuncState, type VerifierState } from './state.js';

// A history entry is the instruction's index plus, above PC_LIMIT, the kernel's insn_hist_entry flags
// (INSN_F_STACK_ACCESS with the frame and slot, INSN_F_SRC_REG_STACK, INSN_F_DST_REG_STACK).
const PC_LIMIT = 2 ** 20; // more than BPF_COMPLEXITY_LIMIT_INSNS instructions cannot be loaded
const F_STACK_ACCESS = 1;
const F_SRC_REG_STACK = 2;
const F_DST_REG_STACK = 4;
const FRAME_UNIT = 8; // bits 3-5: the frame number
const SPI_UNIT = 64; // bits 6-11: the slot (512 / 8 slots)

export const historyPc = (entry: number): number => entry % PC_LIMIT;
const historyFlags = (entry: number): number => Math.floor(entry / PC_LIMIT);

/** insn_stack_access_flags: the instruction spilled to or filled from slot `spi` of frame `frameno`. */
export const stackAccessFlags = (frameno: number, spi: number): number => F_STACK_ACCESS + frameno * FRAME_UNIT + spi * SPI_UNIT;
/** check_cond_jmp_op's INSN_F_SRC_REG_STACK / INSN_F_DST_REG_STACK: an operand was a stack pointer. */
export const jmpStackFlags = (srcIsStack: boolean, dstIsStack: boolean): number => (srcIsStack ? F_SRC_REG_STACK : 0) + (dstIsStack ? F_DST_REG_STACK : 0);

/** ORs `flags` into the history entry of the instruction being verified (push_insn_history). */
export function recordFlags(s: VerifierState, flags: number): void {
  const h = s.history;
  if (flags === 0 || h.length === 0) return;
  const e = h[h.length - 1]!;
  h[h.length - 1] = historyPc(e) + (historyFlags(e) | flags) * PC_LIMIT;
}

/** One member of a linked_regs record: a register or a spilled slot of a frame. */
export interface LinkedReg {
  readonly frameno: number;
  readonly regno: number;
  /** -1 for a register. */
  readonly spi: number;
}

/** kernel/bpf/verifier.c LINKED_REGS_MAX: the copies one jump collects. */
const LINKED_REGS_MAX = 6;

/**
 * collect_linked_regs: the scalars sharing `id` (its BPF_ADD_CONST flags aside), each frame from the current
 * one out: its registers that `live(frame)` has, then its spilled scalars. With `limit` (6.11+), a copy past
 * LINKED_REGS_MAX loses its id in `s` (clear_scalar_id) and is not synced.
 */
export function collectLinkedRegs(s: VerifierState, id: number, live: (frameno: number) => number, limit: boolean, out: LinkedReg[]): void {
  const base = id & ~BPF_ADD_CONST;
  const room = (): boolean => !limit || out.length < LINKED_REGS_MAX;
  for (let f = s.frames.length - 1; f >= 0; f--) {
    const frame = s.frames[f]!;
    const mask = live(f);
    for (let r = 0; r < FP; r++) {
      const reg = frame.regs[r]!;
      if (!(mask & (1 << r)) || reg.type !== RegType.Scalar || (reg.id & ~BPF_ADD_CONST) !== base) continue;
      if (room()) out.push({ frameno: f, regno: r, spi: -1 });
      else frame.regs[r] = { ...reg, id: 0, off: 0 };
    }
    for (let spi = 0; spi < frame.stack.length; spi++) {
      const slot = frame.stack[spi];
      if (!slot || !isSpilledScalar(slot) || (slot.spilled.id & ~BPF_ADD_CONST) !== base) continue;
      if (room()) out.push({ frameno: f, regno: -1, spi });
      else frame.stack[spi] = { ...slot, spilled: { ...slot.spilled, id: 0, off: 0 } };
    }
  }
}


/** struct backtrack_state: the registers and stack slots still to be found, per frame. */
export class Backtrack {
  frame = 0;
  readonly regs = new Uint16Array(MAX_CALL_FRAMES);
  /** Slots 0-31 and 32-63 of each frame. */
  readonly slotsLo = new Uint32Array(MAX_CALL_FRAMES);
  readonly slotsHi = new Uint32Array(MAX_CALL_FRAMES);

  isReg(fr: number, r: number): boolean { return (this.regs[fr]! & (1 << r)) !== 0; }
  setReg(fr: number, r: number): void { this.regs[fr] = this.regs[fr]! | (1 << r); }
  clearReg(fr: number, r: number): void { this.regs[fr] = this.regs[fr]! & ~(1 << r); }
  isSlot(fr: number, spi: number): boolean { return spi < 32 ? (this.slotsLo[fr]! & (1 << spi)) !== 0 : (this.slotsHi[fr]! & (1 << (spi - 32))) !== 0; }
  setSlot(fr: number, spi: number): void {
    if (spi < 32) this.slotsLo[fr] = this.slotsLo[fr]! | (1 << spi);
    else this.slotsHi[fr] = this.slotsHi[fr]! | (1 << (spi - 32));
  }
  clearSlot(fr: number, spi: number): void {
    if (spi < 32) this.slotsLo[fr] = this.slotsLo[fr]! & ~(1 << spi);
    else this.slotsHi[fr] = this.slotsHi[fr]! & ~(1 << (spi - 32));
  }
  hasSlots(fr: number): boolean { return this.slotsLo[fr] !== 0 || this.slotsHi[fr] !== 0; }
  empty(): boolean {
    for (let f = 0; f <= this.frame; f++) if (this.regs[f] !== 0 || this.hasSlots(f)) return false;
    return true;
  }
}

/** A checkpoint: its state (the precision marks go there) and the one before it. */
export interface Ancestor {
  readonly state: VerifierState;
  readonly parent: Ancestor | undefined;
}

export interface PrecisionHost {
  readonly insns: readonly Insn[];
  readonly subprogs: readonly Subprog[];
}

const ARGS = 0x3e; // BPF_REGMASK_ARGS: r1-r5
/** backtrack_insn's outcome: go on, or give up and mark everything (-ENOTSUPP and the "verifier bug" cases). */
const ALL = false;

/**
 * __mark_chain_precision from the current state `cur` (whose last checkpoint is `parent`), for what `bt` asks.
 * `skipFirst`: the last instruction of cur's history is the one being verified (mark_chain_precision from
 * a check), not one already done (propagate_precision at a prune point). `next` is the instruction after the
 * history's end.
 */
export function markChainPrecision(host: PrecisionHost, cur: VerifierState, parent: Ancestor | undefined, bt: Backtrack, skipFirst: boolean, next: number): void {
  if (bt.empty()) return;
  let history = cur.history;
  let linked = cur.linked;
  let subseq = next;
  let skip = skipFirst;
  for (let cp = parent; ; cp = cp.parent) {
    let at = linked.length - 1;
    for (let i = history.length - 1; i >= 0; i--) {
      const entry = history[i]!;
      const pc = historyPc(entry);
      while (at >= 0 && linked[at]!.at > i) at--;
      const links = at >= 0 && linked[at]!.at === i ? linked[at]!.regs : undefined;
      if (skip) {
        skip = false;
      } else {
        if (!backtrackInsn(host, pc, subseq, historyFlags(entry), links, bt)) return markAllPrecise(parent);
        if (bt.empty()) return;
      }
      subseq = pc;
    }
    if (!cp) break;
    if (bt.frame >= cp.state.frames.length) return markAllPrecise(parent);
    for (let fr = bt.frame; fr >= 0; fr--) markFrame(cp.state.frames[fr]!, fr, bt);
    if (bt.empty()) return;
    history = cp.state.history;
    linked = cp.state.linked;
  }
  // Precision asked of something no instruction on the path set (a global function's argument, an access
  // the history did not record): the kernel's fallback.
  markAllPrecise(parent);
}

/** Marks in a checkpoint's frame what `bt` asks of frame `fr`; what is already precise there is done. */
function markFrame(func: FuncState, fr: number, bt: Backtrack): void {
  const regs = func.regs;
  for (let r = 0; r < FP; r++) {
    if (!bt.isReg(fr, r)) continue;
    const reg = regs[r]!;
    if (reg.type !== RegType.Scalar || reg.precise) bt.clearReg(fr, r);
    else regs[r] = { ...reg, precise: true };
  }
  if (!bt.hasSlots(fr)) return;
  for (let spi = 0; spi < 64; spi++) {
    if (!bt.isSlot(fr, spi)) continue;
    const slot = func.stack[spi];
    if (!slot || !isSpilledScalar(slot) || slot.spilled.precise) bt.clearSlot(fr, spi);
    else func.stack[spi] = { ...slot, spilled: { ...slot.spilled, precise: true } };
  }
}

/** mark_all_scalars_precise: every scalar register and spilled scalar of every checkpoint from `parent` up. */
export function markAllPrecise(parent: Ancestor | undefined): void {
  for (let cp = parent; cp; cp = cp.parent) markStatePrecise(cp.state);
}

/** Every scalar register and spilled scalar of `s`, precise. */
export function markStatePrecise(s: VerifierState): void {
  for (const func of s.frames) {
    for (let r = 0; r < FP; r++) {
      const reg = func.regs[r]!;
      if (reg.type === RegType.Scalar && !reg.precise) func.regs[r] = { ...reg, precise: true };
    }
    for (let spi = 0; spi < func.stack.length; spi++) {
      const slot = func.stack[spi];
      if (slot && isSpilledScalar(slot) && !slot.spilled.precise) func.stack[spi] = { ...slot, spilled: { ...slot.spilled, precise: true } };
    }
  }
}

/** mark_all_scalars_imprecise: a state about to become a checkpoint forgets the marks it inherited. */
export function markAllImprecise(s: VerifierState): void {
  const off = (r: RegState): RegState => (r.precise ? { ...r, precise: false } : r);
  for (const func of s.frames) {
    for (let r = 0; r < FP; r++) func.regs[r] = off(func.regs[r]!);
    for (let spi = 0; spi < func.stack.length; spi++) {
      const slot = func.stack[spi];
      if (slot && slot.spilled.precise) func.stack[spi] = { ...slot, spilled: off(slot.spilled) };
    }
  }
}

/** bt_sync_linked_regs: when one of a jump's linked registers is wanted, all of them are. */
function syncLinked(bt: Backtrack, links: readonly LinkedReg[] | undefined): void {
  if (!links) return;
  if (!links.some((e) => (e.spi < 0 ? bt.isReg(e.frameno, e.regno) : bt.isSlot(e.frameno, e.spi)))) return;
  for (const e of links) {
    if (e.spi < 0) bt.setReg(e.frameno, e.regno);
    else bt.setSlot(e.frameno, e.spi);
  }
}

const isLocalCall = (insn: Insn): boolean => insn.code === (Class.Jmp | JmpOp.Call) && insn.src === CallKind.Local;

/** backtrack_insn: what must be precise before instruction `idx`, given what must be after it; false gives up. */
function backtrackInsn(host: PrecisionHost, idx: number, subseq: number, flags: number, links: readonly LinkedReg[] | undefined, bt: Backtrack): boolean {
  const insn = host.insns[idx]!;
  if (insn.code === 0) return true;
  syncLinked(bt, links);
  const fr = bt.frame;
  const cls = classOf(insn.code);
  const op = opOf(insn.code);
  const dst = insn.dst;
  const src = insn.src;
  const fetch = cls === Class.Stx && modeOf(insn.code) === Mode.Atomic && (insn.imm & AtomicOp.Fetch) !== 0;
  if (cls === Class.Alu || cls === Class.Alu64) {
    if (!bt.isReg(fr, dst)) return true;
    if (op === AluOp.Neg || op === AluOp.End) return true; // dst still needs precision before
    if (op === AluOp.Mov) {
      bt.clearReg(fr, dst);
      if (srcOf(insn.code) === Source.X && src !== FP) bt.setReg(fr, src);
    } else if (srcOf(insn.code) === Source.X && src !== FP) {
      bt.setReg(fr, src);
    }
  } else if (cls === Class.Ldx || fetch) {
    const loadReg = fetch ? (insn.imm === AtomicOp.Cmpxchg ? 0 : src) : dst;
    if (!bt.isReg(fr, loadReg)) return true;
    bt.clearReg(fr, loadReg);
    // A scalar keeps its precision only through a stack spill; any other memory was loaded as it is.
    if (!(flags & F_STACK_ACCESS)) return true;
    bt.setSlot(stackFrame(flags), stackSpi(flags));
  } else if (cls === Class.Stx || cls === Class.St) {
    if (bt.isReg(fr, dst)) return ALL; // a scalar used as an address: pointer subtraction upstream
    if (!(flags & F_STACK_ACCESS)) return true;
    const sf = stackFrame(flags);
    const spi = stackSpi(flags);
    if (!bt.isSlot(sf, spi)) return true;
    bt.clearSlot(sf, spi);
    if (cls === Class.Stx) bt.setReg(fr, src);
  } else if (cls === Class.Jmp || cls === Class.Jmp32) {
    if (isLocalCall(insn)) {
      const sub = host.subprogs.find((s) => s.start === idx + insn.imm + 1);
      if (!sub) return ALL;
      if (sub.global) {
        if (bt.regs[fr]! & ARGS) return ALL;
        bt.clearReg(fr, 0); // a global function always sets r0
        return true;
      }
      // Leaving the callee backwards: only its arguments can still be wanted, and they are the caller's.
      if ((bt.regs[fr]! & ~ARGS) !== 0 || bt.hasSlots(fr) || fr === 0) return ALL;
      for (let r = 1; r <= 5; r++) if (bt.isReg(fr, r)) bt.setReg(fr - 1, r);
      bt.regs[fr] = 0;
      bt.frame--;
      return true;
    }
    if (op === JmpOp.Call) {
      if (insn.src === CallKind.Helper && syncCallbackHelpers.has(insn.imm) && idx !== subseq - 1) return ALL; // a callback's exit
      if (insn.src === CallKind.Kfunc && insn.imm === 0) return ALL;
      bt.clearReg(fr, 0);
      if (bt.regs[fr]! & ARGS) return ALL;
    } else if (op === JmpOp.Exit) {
      // Entering a callee backwards (its return to the caller); a callback's return is not followed.
      if (subseq < 1 || !isLocalCall(host.insns[subseq - 1]!)) return ALL;
      if (bt.regs[fr]! & ARGS) return ALL;
      const r0 = bt.isReg(fr, 0);
      bt.clearReg(fr, 0);
      if (fr + 1 >= MAX_CALL_FRAMES) return ALL;
      bt.frame++;
      bt.regs[fr + 1] = r0 ? 1 : 0;
      bt.slotsLo[fr + 1] = 0;
      bt.slotsHi[fr + 1] = 0;
      return true;
    } else if (srcOf(insn.code) === Source.X && op !== JmpOp.Ja) {
      if (!bt.isReg(fr, dst) && !bt.isReg(fr, src)) return true;
      if (!(flags & F_SRC_REG_STACK)) bt.setReg(fr, src);
      if (!(flags & F_DST_REG_STACK)) bt.setReg(fr, dst);
    }
  } else if (cls === Class.Ld) {
    if (insn.code === LD_IMM64) {
      bt.clearReg(fr, dst);
      return true;
    }
    // LD_ABS/LD_IND: a branch to an implicit exit; r0 is a packet load.
    if (bt.isReg(fr, 0) || subseq !== idx + 1) return ALL;
    return true;
  }
  syncLinked(bt, links);
  return true;
}

const stackFrame = (flags: number): number => Math.floor(flags / FRAME_UNIT) % 8;
const stackSpi = (flags: number): number => Math.floor(flags / SPI_UNIT) % 64;
