// Precision (kernel/bpf/verifier.c mark_chain_precision, backtrack_insn): a scalar whose exact value
// decided something is marked precise, and so is every register it came from, back through the path's
// instructions and into the checkpoints along it. This model compares every scalar as precise when it
// prunes, so the marks only show in the log (`R2=P0`); it follows registers within one frame and stops
// at what it does not follow (stack fills, calls), where the kernel would go on.
import { AluOp, Class, classOf, JmpOp, LD_IMM64, opOf, Source, srcOf, type Insn } from '../../../uapi/isa.js';
import { RegType } from '../reg-state.js';
import type { VerifierState } from './state.js';

interface Ancestor {
  readonly state: VerifierState;
  readonly parent: Ancestor | undefined;
}

export function markChainPrecision(insns: readonly Insn[], cur: VerifierState, parent: Ancestor | undefined, regno: number): void {
  let mask = 1 << regno;
  const depth = cur.frames.length;
  mark(cur, mask, depth);
  let history = cur.history;
  for (let cp = parent; ; cp = cp.parent) {
    for (let i = history.length - 1; i >= 0 && mask !== 0; i--) mask = backtrack(insns[history[i]!]!, mask);
    if (mask === 0 || !cp || cp.state.frames.length !== depth) return;
    // Already precise there: the marks above it were made when it was (the kernel's new_marks test).
    if (!mark(cp.state, mask, depth)) return;
    history = cp.state.history;
  }
}

/** Marks the scalars of `mask` precise; whether any was not yet. */
function mark(s: VerifierState, mask: number, depth: number): boolean {
  const regs = s.frames[depth - 1]!.regs;
  let changed = false;
  for (let r = 0; r < regs.length; r++) {
    if ((mask & (1 << r)) && regs[r]!.type === RegType.Scalar && !regs[r]!.precise) {
      regs[r] = { ...regs[r]!, precise: true };
      changed = true;
    }
  }
  return changed;
}

/** backtrack_insn: the registers that must be precise before `insn`, given those after it. */
function backtrack(insn: Insn, mask: number): number {
  const cls = classOf(insn.code);
  const dst = 1 << insn.dst;
  const src = 1 << insn.src;
  if (cls === Class.Alu || cls === Class.Alu64) {
    if (!(mask & dst)) return mask;
    const op = opOf(insn.code);
    if (op === AluOp.Mov) return srcOf(insn.code) === Source.X ? (mask & ~dst) | src : mask & ~dst;
    return srcOf(insn.code) === Source.X ? mask | src : mask;
  }
  if (cls === Class.Ldx || insn.code === LD_IMM64) return mask & ~dst;
  if ((cls === Class.Jmp || cls === Class.Jmp32) && opOf(insn.code) === JmpOp.Call) return mask & 0x3e ? 0 : mask & ~1;
  if (cls === Class.Jmp && opOf(insn.code) === JmpOp.Exit) return 0;
  return mask;
}
