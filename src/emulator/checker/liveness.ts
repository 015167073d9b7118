// Which registers an instruction's future may read, and where paths meet: what the lock checker's state
// pruning needs. The kernel prunes a state when an equivalent one was already verified at a prune point,
// ignoring registers that are never read again (kernel/bpf/verifier.c is_state_visited, liveness marks);
// this is the same idea computed ahead of time by a backward data-flow pass, within each function. A
// helper call reads as many registers as its prototype has arguments (compute_insn_live_regs,
// bpf_get_call_summary); any other call conservatively reads r1-r5. Every call clobbers r0-r5.
import { AluOp, Class, classOf, JmpOp, LD_IMM64, Mode, modeOf, opOf, Source, srcOf, type Insn } from '../../uapi/isa.js';
import { protoBefore613, protos } from './helper-protos/protos.js';

const ARGS = 0b111110; // r1-r5
const CALLER_SAVED = 0b111111; // r0-r5
const bit = (r: number): number => 1 << r;

/**
 * Registers a helper call reads, by helper id: r1 up to its last argument. A helper with prototypes of
 * different lengths (per program type) gets the longest, which never leaves a read argument dead.
 */
const helperUses: ReadonlyMap<number, number> = (() => {
  const uses = new Map<number, number>();
  for (const proto of [...protos.values(), ...protoBefore613.values()]) uses.set(proto.id, (uses.get(proto.id) ?? 0) | (ARGS & ((1 << (proto.args.length + 1)) - 1)));
  return uses;
})();

/** What one instruction reads and writes (register bit masks) and where control goes next. */
export interface Effect {
  uses: number;
  defs: number;
  next: number[];
}

export function effectOf(insns: readonly Insn[], i: number): Effect {
  const insn = insns[i]!;
  const cls = classOf(insn.code);
  const fall = [i + 1];
  switch (cls) {
    case Class.Alu:
    case Class.Alu64: {
      const op = opOf(insn.code);
      if (op === AluOp.Mov) return { uses: srcOf(insn.code) === Source.X ? bit(insn.src) : 0, defs: bit(insn.dst), next: fall };
      const uses = bit(insn.dst) | (srcOf(insn.code) === Source.X && op !== AluOp.Neg && op !== AluOp.End ? bit(insn.src) : 0);
      return { uses, defs: bit(insn.dst), next: fall };
    }
    case Class.Ldx:
      return { uses: bit(insn.src), defs: bit(insn.dst), next: fall };
    case Class.St:
      return { uses: bit(insn.dst), defs: 0, next: fall };
    case Class.Stx: {
      let uses = bit(insn.dst) | bit(insn.src);
      let defs = 0;
      if (modeOf(insn.code) === Mode.Atomic) {
        if (insn.imm === 0xf1) { uses |= 1; defs |= 1; } // cmpxchg compares with and returns in r0
        else if (insn.imm === 0x100) { uses = bit(insn.src); defs = bit(insn.dst); } // load-acquire
        else if (insn.imm & 0x01) defs |= bit(insn.src); // fetch variants
      }
      return { uses, defs, next: fall };
    }
    case Class.Ld:
      if (insn.code === LD_IMM64) return { uses: 0, defs: bit(insn.dst), next: [i + 2] };
      // LD_ABS / LD_IND read the skb in r6 (and src for IND), return in r0 and clobber r1-r5.
      return { uses: bit(6) | (modeOf(insn.code) === Mode.Ind ? bit(insn.src) : 0), defs: CALLER_SAVED, next: fall };
    case Class.Jmp:
    case Class.Jmp32: {
      const op = opOf(insn.code);
      if (op === JmpOp.Exit) return { uses: 1, defs: 0, next: [] };
      if (op === JmpOp.Call) return { uses: insn.src === 0 ? helperUses.get(insn.imm) ?? ARGS : ARGS, defs: CALLER_SAVED, next: fall };
      if (op === JmpOp.Ja) return { uses: 0, defs: 0, next: [i + 1 + (cls === Class.Jmp32 ? insn.imm : insn.off)] };
      if (op === JmpOp.Jcond) return { uses: 0, defs: 0, next: [i + 1, i + 1 + insn.off] };
      const uses = bit(insn.dst) | (srcOf(insn.code) === Source.X ? bit(insn.src) : 0);
      return { uses, defs: 0, next: [i + 1, i + 1 + insn.off] };
    }
    default:
      return { uses: 0, defs: 0, next: fall };
  }
}

/** Per instruction: a bit mask of the registers live on entry (r0-r9; r10 is always live). */
export function liveRegisters(insns: readonly Insn[]): Uint16Array {
  const n = insns.length;
  const effects = insns.map((_, i) => effectOf(insns, i));
  const liveIn = new Uint16Array(n);
  const preds: number[][] = Array.from({ length: n }, () => []);
  effects.forEach((e, i) => { for (const s of e.next) if (s >= 0 && s < n) preds[s]!.push(i); });
  const work: number[] = [];
  const queued = new Uint8Array(n);
  for (let i = n - 1; i >= 0; i--) { work.push(i); queued[i] = 1; }
  while (work.length > 0) {
    const i = work.pop()!;
    queued[i] = 0;
    const e = effects[i]!;
    let out = 0;
    for (const s of e.next) if (s >= 0 && s < n) out |= liveIn[s]!;
    const inn = (e.uses | (out & ~e.defs)) & 0x3ff;
    if (inn !== liveIn[i]) {
      liveIn[i] = inn;
      for (const p of preds[i]!) if (!queued[p]) { queued[p] = 1; work.push(p); }
    }
  }
  return liveIn;
}

/** Where the checker looks for an already-seen state: jump targets, fall-throughs of branches, returns. */
export function prunePoints(insns: readonly Insn[]): Uint8Array {
  const points = new Uint8Array(insns.length + 1);
  insns.forEach((insn, i) => {
    const cls = classOf(insn.code);
    if (cls !== Class.Jmp && cls !== Class.Jmp32) return;
    const op = opOf(insn.code);
    if (op === JmpOp.Exit) return;
    if (op === JmpOp.Call) {
      points[i + 1] = 1;
      if (insn.src === 1) { const t = i + 1 + insn.imm; if (t >= 0 && t < insns.length) points[t] = 1; }
      return;
    }
    const target = i + 1 + (op === JmpOp.Ja && cls === Class.Jmp32 ? insn.imm : insn.off);
    if (target >= 0 && target < insns.length) points[target] = 1;
    points[i + 1] = 1;
  });
  return points;
}
