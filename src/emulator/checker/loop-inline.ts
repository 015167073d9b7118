// Which bpf_loop calls the kernel replaces by an inlined loop, decided at load as the verifier decides it,
// so that the emulator's bpf_loop can answer as the code the kernel really runs (helpers.ts bpfLoop).
//
// kernel/bpf/verifier.c ("bpf: Inline calls to bpf_loop when callback is known", bpf-next June 2022, so
// 6.0; every version the emulator models has it): check_helper_call calls update_loop_inline_state at
// every bpf_loop call on every path do_check walks (callbacks included). The call stays fit_for_inline
// only while each visit finds flags (r4) a known constant 0 (loop_flag_is_zero: register_is_null, a
// SCALAR_VALUE with var_off the constant 0, marked precise so that state pruning keeps that true) and the
// same callback subprogram as the first visit. optimize_bpf_loop then replaces every fit call by inline_bpf_loop's code;
// nothing else gates it (not the JIT, the program type or constant blinding: it runs before all of them;
// the 24 bytes of stack it adds are not checked against MAX_BPF_STACK). A call no path reaches is not
// inlined, but it never runs either.
//
// What differs (measured by bpf/loop_results.bpf.c): the inlined code compares the full 64-bit r1 with
// BPF_MAX_LOOPS and returns -E2BIG through BPF_MOV32_IMM (zero-extended), where the helper
// (kernel/bpf/bpf_iter.c bpf_loop, u32 nr_loops) truncates r1 and returns -E2BIG sign-extended. Callback
// arguments, the stop rule and the count are the same.
//
// The decision here errs toward the helper: a call is reported as inlined only when one of two proofs holds.
//  1. Syntactic, exact: within the call's function, every definition of r4 that reaches the call is
//     `r4 = 0` (a MOV of the immediate 0, or ld_imm64 of 0) and every definition of r2 is ld_imm64 of one
//     and the same callback (BPF_PSEUDO_FUNC). No path may reach the function's entry first (an argument's
//     value is unknown here). This is what clang emits for a literal 0, anywhere, callbacks included.
//  2. Path-sensitive: the lock checker's walk (lock-rules.ts observeHelperCalls, the verifier's abstract state,
//     cut down) saw every path of the program (none left its model, the budget held), reached the call,
//     and on each visit r4 was the constant 0 and r2 the same callback. It does not walk callback bodies,
//     so it decides nothing for a call a callback can reach. Its ranges are sound but not the kernel's
//     (ranges.ts bounds a division or modulo by a constant, where the kernel's tracking may not), so a
//     flags argument computed to 0 that way could be judged inlined where the kernel calls the helper.
// Anything else is left to the helper: r4 proven zero by reasoning neither proof makes (values through
// memory other than 8-byte stack spills, precision the checker's ranges lack) is a call the kernel may
// inline that the emulator answers as the helper. That errs only for nr_loops above 2^23 or with bits
// above 32 set; the other way round (inlining a call the kernel leaves to the helper) would change the
// result for the same inputs, and for flags other than 0 would even skip the helper's EINVAL.
import { HelperId } from '../../uapi/helpers.js';
import { CallKind, Class, classOf, JmpOp, LD_IMM64, opOf, PseudoLd, type Insn } from '../../uapi/isa.js';
import type { CheckInput } from './types.js';
import type { Value } from './state.js';
import { effectOf, type Effect } from './liveness.js';
import { observeHelperCalls } from './lock-rules.js';
import { isConst } from './ranges.js';

const FLAGS_REG = 4;
const CALLBACK_REG = 2;
/** The callback of a call: a subprogram's first instruction, or unknown. */
const UNKNOWN = -1;

/** The bpf_loop call instructions (indexes into input.insns) that the kernel would inline, ascending. */
export function inlinedLoopCalls(input: CheckInput): number[] {
  // Most programs call no bpf_loop: a plain scan first (the sites themselves come from real instructions).
  if (!input.insns.some(isLoopCall)) return [];
  const cfg = controlFlow(input);
  const sites = cfg.real.filter((i) => isLoopCall(input.insns[i]!));
  const inlined = new Set(sites.filter((pc) => provenBySyntax(input.insns, cfg, pc)));
  const rest = sites.filter((pc) => !inlined.has(pc));
  if (rest.length > 0) for (const pc of provenByWalk(input, cfg, rest)) inlined.add(pc);
  return sites.filter((pc) => inlined.has(pc));
}

function isLoopCall(insn: Insn): boolean {
  return insn.code === (Class.Jmp | JmpOp.Call) && insn.src === CallKind.Helper && insn.imm === HelperId.Loop;
}

interface ControlFlow {
  /** Instruction indexes that are instructions (not the second half of an ld_imm64). */
  real: number[];
  effects: (Effect | undefined)[];
  preds: number[][];
  /** Where a function starts: 0, bpf-to-bpf call targets, callbacks, the object's subprograms. */
  entries: Set<number>;
  /** Callback entries (ld_imm64 BPF_PSEUDO_FUNC targets). */
  callbacks: Set<number>;
  /** bpf-to-bpf call instruction → the callee's first instruction. */
  callees: Map<number, number>;
}

function controlFlow(input: CheckInput): ControlFlow {
  const { insns } = input;
  const n = insns.length;
  const real: number[] = [];
  const effects: (Effect | undefined)[] = new Array(n);
  const preds: number[][] = Array.from({ length: n }, () => []);
  const entries = new Set<number>([0, ...input.functions.map((f) => f.start)]);
  const callbacks = new Set<number>();
  const callees = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const insn = insns[i]!;
    real.push(i);
    effects[i] = effectOf(insns, i);
    const cls = classOf(insn.code);
    if (insn.code === LD_IMM64 && insn.src === PseudoLd.Func) {
      callbacks.add(i + 1 + insn.imm);
      entries.add(i + 1 + insn.imm);
    }
    if ((cls === Class.Jmp || cls === Class.Jmp32) && opOf(insn.code) === JmpOp.Call && insn.src === CallKind.Local) {
      entries.add(i + 1 + insn.imm);
      callees.set(i, i + 1 + insn.imm);
    }
    if (insn.code === LD_IMM64) i++;
  }
  for (const i of real) for (const s of effects[i]!.next) if (s >= 0 && s < n) preds[s]!.push(i);
  return { real, effects, preds, entries, callbacks, callees };
}

/**
 * The instructions that define `reg` on some path to `pc` within its function, or undefined when a path
 * reaches the function's entry (or an instruction nothing jumps to) without defining it.
 */
function reachingDefinitions(cfg: ControlFlow, pc: number, reg: number): number[] | undefined {
  if (cfg.entries.has(pc) || cfg.preds[pc]!.length === 0) return undefined;
  const defs: number[] = [];
  const seen = new Set<number>();
  const pending = [...cfg.preds[pc]!];
  while (pending.length > 0) {
    const i = pending.pop()!;
    if (seen.has(i)) continue;
    seen.add(i);
    if (cfg.effects[i]!.defs & (1 << reg)) {
      defs.push(i);
      continue;
    }
    if (cfg.entries.has(i) || cfg.preds[i]!.length === 0) return undefined;
    pending.push(...cfg.preds[i]!);
  }
  return defs;
}

function provenBySyntax(insns: readonly Insn[], cfg: ControlFlow, pc: number): boolean {
  const flags = reachingDefinitions(cfg, pc, FLAGS_REG);
  if (!flags || !flags.every((i) => setsZero(insns, i))) return false;
  const callbacks = reachingDefinitions(cfg, pc, CALLBACK_REG);
  if (!callbacks || callbacks.length === 0) return false;
  const targets = new Set(callbacks.map((i) => callbackOf(insns, i)));
  return targets.size === 1 && !targets.has(UNKNOWN);
}

/** `dst = 0` as the verifier sees a known constant: MOV (64 or 32 bits) of the immediate 0, or ld_imm64 0. */
function setsZero(insns: readonly Insn[], i: number): boolean {
  const insn = insns[i]!;
  if (insn.code === (Class.Alu64 | 0xb0) || insn.code === (Class.Alu | 0xb0)) return insn.imm === 0 && insn.off === 0;
  return insn.code === LD_IMM64 && insn.src === 0 && insn.imm === 0 && insns[i + 1]?.imm === 0;
}

function callbackOf(insns: readonly Insn[], i: number): number {
  const insn = insns[i]!;
  return insn.code === LD_IMM64 && insn.src === PseudoLd.Func ? i + 1 + insn.imm : UNKNOWN;
}

/** The calls among `sites` that the checker's walk proves inlined (proof 2 above). */
function provenByWalk(input: CheckInput, cfg: ControlFlow, sites: number[]): number[] {
  const wanted = new Set(sites);
  const seen = new Map<number, { zero: boolean; callback: number }>();
  const complete = observeHelperCalls(input, (pc, helper, regs) => {
    if (helper !== HelperId.Loop || !wanted.has(pc)) return;
    const zero = isKnownZero(regs[FLAGS_REG]!);
    const fn = regs[CALLBACK_REG]!;
    const callback = fn.k === 'func' ? fn.target : UNKNOWN;
    const before = seen.get(pc);
    seen.set(pc, before === undefined ? { zero, callback } : {
      zero: before.zero && zero,
      callback: before.callback === callback ? callback : UNKNOWN,
    });
  });
  if (!complete) return [];
  const inCallbacks = reachableFrom(cfg, cfg.callbacks);
  return sites.filter((pc) => {
    const s = seen.get(pc);
    return s !== undefined && s.zero && s.callback !== UNKNOWN && !inCallbacks.has(pc);
  });
}

/** kernel/bpf/verifier.c register_is_null: a scalar known to be 0. */
function isKnownZero(v: Value): boolean {
  return v.k === 'scalar' && isConst(v.r) && v.r.min === 0n;
}

/** Every instruction reachable from `starts`, following jumps and bpf-to-bpf calls into their callees. */
function reachableFrom(cfg: ControlFlow, starts: Iterable<number>): Set<number> {
  const out = new Set<number>();
  const pending = [...starts];
  while (pending.length > 0) {
    const i = pending.pop()!;
    const effect = cfg.effects[i];
    if (out.has(i) || effect === undefined) continue;
    out.add(i);
    pending.push(...effect.next);
    const callee = cfg.callees.get(i);
    if (callee !== undefined) pending.push(callee);
  }
  return out;
}
