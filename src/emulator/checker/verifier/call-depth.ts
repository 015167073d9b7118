// check_max_stack_depth_subprog (kernel/bpf/verifier.c), run once the walk has found nothing to refuse: the
// static call graph from the main program, through every bpf-to-bpf call and every callback a program
// names (ld_imm64 of a function), whether or not a path takes it. A recursion the walk saw end (the
// argument bounded it) still nests past MAX_CALL_FRAMES here.
import { E2BIG } from '../../../uapi/errno.js';
import { CALL, CallKind, LD_IMM64, PseudoLd, type Insn } from '../../../uapi/isa.js';
import { refuse } from './errors.js';
import type { Subprog } from './program.js';

/** include/linux/bpf_verifier.h MAX_CALL_FRAMES. */
export const MAX_CALL_FRAMES = 8;


/** The subprogram a call or function reference at `pc` enters, or undefined for any other instruction. */
function callee(insns: readonly Insn[], subprogs: readonly Subprog[], pc: number): number | undefined {
  const insn = insns[pc]!;
  const call = insn.code === CALL && insn.src === CallKind.Local;
  const func = insn.code === LD_IMM64 && insn.src === PseudoLd.Func;
  if (!call && !func) return undefined;
  const target = pc + insn.imm + 1;
  const index = subprogs.findIndex((s) => s.start === target);
  return index < 0 ? undefined : index;
}

export function checkCallDepth(insns: readonly Insn[], subprogs: readonly Subprog[]): void {
  const visit = (index: number, frame: number): void => {
    const { start, end } = subprogs[index]!;
    for (let pc = start; pc < end; pc++) {
      const next = callee(insns, subprogs, pc);
      if (next === undefined) continue;
      if (frame + 1 >= MAX_CALL_FRAMES) refuse(E2BIG, `the call stack of ${frame + 1} frames is too deep !`);
      visit(next, frame + 1);
    }
  };
  visit(0, 0);
}
