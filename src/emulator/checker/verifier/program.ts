// What the walk knows about the program before it starts (kernel/bpf/verifier.c add_subprog_and_kfunc,
// check_cfg's prune and jump points, resolve_pseudo_ldimm64): subprograms, the value each ld_imm64
// loads, the kfunc each call names, and where states are compared.
import { MapTable } from '../map-table.js';
import { CallKind, Class, classOf, JmpOp, LD_IMM64, opOf, PseudoLd, type Insn } from '../../../uapi/isa.js';
import { HelperId } from '../../../uapi/helpers.js';
import type { CheckedMap, CheckInput } from '../types.js';
import { liveRegisters } from '../liveness.js';
import { changesPktData } from './pkt-data.js';
import { liveStackSlots, type LiveStack } from '../stack-liveness.js';
import { DEFAULT_KERNEL_VERSION, precisionPruning } from '../../kernel-version.js';

/** What an ld_imm64 loads. */
export type Ldimm =
  | { kind: 'scalar'; value: bigint }
  | { kind: 'map'; map: number }
  | { kind: 'mapValue'; map: number; off: number }
  | { kind: 'func'; target: number }
  | { kind: 'ksym'; name: string }
  | { kind: 'unknown' };

export interface Subprog {
  start: number;
  /** One past the last instruction. */
  end: number;
  name: string;
  /** Verified on its own (BTF FUNC linkage global), not inlined into its callers' walk. */
  global: boolean;
  /** It, or a function it calls, calls a helper that changes packet data (changes_pkt_data). */
  changesPktData: boolean;
}

/** Helpers whose call runs a callback the verifier walks as part of the call (is_sync_callback_calling_insn). */
export const syncCallbackHelpers: ReadonlySet<number> = new Set([
  HelperId.Loop, HelperId.ForEachMapElem, HelperId.FindVma, HelperId.UserRingbufDrain,
]);

export interface Program {
  insns: readonly Insn[];
  type: number;
  attachType: number;
  maps: CheckedMap[];
  ldimm: Map<number, Ldimm>;
  kfuncs: Map<number, string>;
  subprogs: Subprog[];
  /** Registers each instruction's future may read (static liveness, per function). */
  live: Uint16Array;
  /** Stack slots each instruction's future may touch, per frame (undefined: all of them). */
  liveStack: LiveStack | undefined;
  prunePoint: Uint8Array;
  forceCheckpoint: Uint8Array;
  jmpPoint: Uint8Array;
  input: CheckInput;
}

/** Subprograms' first instructions: the entry and every bpf-to-bpf call or callback target (add_subprog_and_kfunc). */
export function subprogStarts(insns: readonly Insn[]): number[] {
  const starts = new Set<number>([0]);
  insns.forEach((insn, i) => {
    if (insn.code === (Class.Jmp | JmpOp.Call) && insn.src === CallKind.Local) starts.add(i + 1 + insn.imm);
    if (insn.code === LD_IMM64 && insn.src === PseudoLd.Func) starts.add(i + 1 + insn.imm);
  });
  return [...starts].filter((s) => s >= 0 && s < insns.length).sort((a, b) => a - b);
}

/**
 * check_cfg's mark_subprog_changes_pkt_data and merge_callee_effects: a function that calls such a helper,
 * or calls (directly or not) a function that does. The kernel refuses unreachable instructions, so every
 * call in a program it loads counts.
 */
function markChangesPktData(insns: readonly Insn[], subprogs: Subprog[]): void {
  const of = (pc: number): Subprog | undefined => subprogs.find((s) => pc >= s.start && pc < s.end);
  const calls: [Subprog, Subprog][] = [];
  insns.forEach((insn, i) => {
    if (insn.code !== (Class.Jmp | JmpOp.Call)) return;
    const caller = of(i);
    if (!caller) return;
    if (insn.src === CallKind.Helper && changesPktData.has(insn.imm)) caller.changesPktData = true;
    const callee = insn.src === CallKind.Local ? of(i + 1 + insn.imm) : undefined;
    if (callee) calls.push([caller, callee]);
  });
  for (let changed = true; changed;) {
    changed = false;
    for (const [caller, callee] of calls) {
      if (callee.changesPktData && !caller.changesPktData) changed = caller.changesPktData = true;
    }
  }
}

export function prepareProgram(input: CheckInput): Program {
  const insns = input.insns;
  const table = new MapTable(input);
  const maps = table.maps;
  const relocs = new Map(input.relocs.map((r) => [r.insn, r]));
  const ldimm = new Map<number, Ldimm>();
  const kfuncs = new Map<number, string>();
  insns.forEach((insn, i) => {
    const reloc = relocs.get(i);
    if (reloc?.kind === 'kfunc') {
      kfuncs.set(i, reloc.name);
      return;
    }
    if (insn.code !== LD_IMM64) return;
    const hi = insns[i + 1]?.imm ?? 0;
    let v: Ldimm = { kind: 'unknown' };
    if (reloc?.kind === 'map' || reloc?.kind === 'mapValue') {
      const m = table.numberOf(table.named(reloc.map));
      if (m !== undefined) v = reloc.kind === 'map' ? { kind: 'map', map: m } : { kind: 'mapValue', map: m, off: reloc.offset };
    } else if (reloc?.kind === 'extern') {
      v = reloc.externKind === 'kconfig' && reloc.map !== undefined
        ? (() => { const m = table.numberOf(table.named(reloc.map)); return m === undefined ? { kind: 'unknown' } as Ldimm : { kind: 'mapValue', map: m, off: reloc.offset ?? 0 } as Ldimm; })()
        : { kind: 'ksym', name: reloc.name };
    } else if (reloc) {
      v = { kind: 'unknown' };
    } else if (insn.src === 0) {
      v = { kind: 'scalar', value: BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(insn.imm >>> 0)) };
    } else if (insn.src === PseudoLd.MapIdx || insn.src === PseudoLd.MapFd) {
      const m = table.numberOf(table.indexed(insn.imm));
      if (m !== undefined) v = { kind: 'map', map: m };
    } else if (insn.src === PseudoLd.MapIdxValue || insn.src === PseudoLd.MapValue) {
      const m = table.numberOf(table.indexed(insn.imm));
      if (m !== undefined) v = { kind: 'mapValue', map: m, off: hi };
    } else if (insn.src === PseudoLd.Func) {
      v = { kind: 'func', target: i + 1 + insn.imm };
    }
    ldimm.set(i, v);
  });

  const sorted = subprogStarts(insns);
  const byStart = new Map(input.functions.map((f) => [f.start, f]));
  const subprogs = sorted.map((start, k) => ({
    start, end: sorted[k + 1] ?? insns.length, name: byStart.get(start)?.name ?? `func#${k}`, global: k > 0 && (byStart.get(start)?.global ?? false),
    changesPktData: false,
  }));
  markChangesPktData(insns, subprogs);

  // check_cfg / visit_insn: where is_state_visited runs.
  const prunePoint = new Uint8Array(insns.length + 2);
  const forceCheckpoint = new Uint8Array(insns.length + 2);
  /** mark_jmp_point: where a path's jump history gets an entry (it then forces a checkpoint, past 40). */
  const jmpPoint = new Uint8Array(insns.length + 2);
  insns.forEach((insn, t) => {
    if (insn.code === LD_IMM64 && insn.src === PseudoLd.Func) {
      prunePoint[t] = 1;
      prunePoint[t + 2] = 1;
      return;
    }
    const cls = classOf(insn.code);
    if (cls !== Class.Jmp && cls !== Class.Jmp32) return;
    const op = opOf(insn.code);
    if (op === JmpOp.Exit) return;
    if (op === JmpOp.Call) {
      prunePoint[t + 1] = 1;
      if (insn.src === CallKind.Local) {
        prunePoint[t] = 1;
        prunePoint[t + 1 + insn.imm] = 1; // push_insn(BRANCH) marks the callee's entry
        jmpPoint[t + 1 + insn.imm] = 1;
      }
      if (insn.src === CallKind.Helper && syncCallbackHelpers.has(insn.imm)) {
        prunePoint[t] = 1;
        forceCheckpoint[t] = 1;
      }
      if (insn.src === CallKind.Helper && insn.imm === HelperId.TimerSetCallback) prunePoint[t] = 1;
      return;
    }
    if (op === JmpOp.Ja) {
      prunePoint[t + 1 + (cls === Class.Jmp ? insn.off : insn.imm)] = 1;
      jmpPoint[t + 1 + (cls === Class.Jmp ? insn.off : insn.imm)] = 1;
      return;
    }
    prunePoint[t] = 1;
    // push_insn(BRANCH): the target is a prune point and a jump point too.
    prunePoint[t + 1 + insn.off] = 1;
    jmpPoint[t + 1 + insn.off] = 1;
    if (op === JmpOp.Jcond) forceCheckpoint[t] = 1;
  });

  return {
    insns, type: input.type, attachType: input.attachType ?? 0, maps, ldimm, kfuncs, subprogs,
    live: liveRegisters(insns), liveStack: liveStackSlots(insns, subprogs.map((s) => s.start), precisionPruning(input.kernelVersion ?? DEFAULT_KERNEL_VERSION)), prunePoint, forceCheckpoint, jmpPoint, input,
  };
}

