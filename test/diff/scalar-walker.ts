// Replays a verifier log (log_level 2) of a scalar-only program (scalar-programs.ts) against the
// emulator's scalar domain (src/emulator/checker/scalar*.ts). The walker executes the program as the
// kernel does, path by path: fall-through first, pushed states (undecided jumps, maybe_fork_scalars)
// popped last-in first-out. It takes from the log only what is not the scalar domain's to decide: where
// a path was pruned ("safe"), and the registers live before each instruction (the log's liveness table,
// which limits linked-register syncing). Everything printed about a register or a stack slot is compared
// with the walker's own state, rendered by formatScalar, and every path step (which instruction runs
// next, which state is popped) must match.
import { AluOp, Class, JmpOp, LD_IMM64, Mode, classOf, modeOf, opOf, sizeBytes, srcOf, type Insn } from '../../src/uapi/isa.js';
import { immOperand, linkedAdd, movKeepsLink, scalarAlu, scalarEnd, scalarMov, scalarMovImm, scalarNeg } from '../../src/emulator/checker/scalar-alu.js';
import { branchTaken, branchTakenByRefinement as decideByRefinement, refineBoth } from '../../src/emulator/checker/scalar-branch.js';
import { formatScalar, formatScalarId } from '../../src/emulator/checker/scalar-format.js';
import {
  S32_MAX, S32_MIN, U32_MAX, coerceToSize, constValueAt, isConst, isConstAt, scalarConst, scalarUnknown, withScalarRules, type Scalar,
} from '../../src/emulator/checker/scalar.js';
import { tnumIsConst } from '../../src/emulator/checker/tnum.js';
import { branchTakenByRefinement, divModTracked, negEndTracked, scalarRules } from '../../src/emulator/kernel-version.js';
import { features } from '../../src/index.js';

/** A register as the walker tracks it; ids are the kernel's (env->id_gen), `add` is a BPF_ADD_CONST link. */
type Reg =
  | { readonly k: 'none' }
  | { readonly k: 'ctx' }
  | { readonly k: 'fp' }
  | { readonly k: 'scalar'; readonly s: Scalar; readonly id: number; readonly add?: { readonly off: number; readonly w: 32 | 64 } };
type ScalarReg = Extract<Reg, { k: 'scalar' }>;

/** One 8-byte stack slot: slot_type[0..7] as the kernel indexes it (0 = highest address), and the spill. */
interface Slot {
  readonly types: string;
  readonly spilled?: ScalarReg;
}

interface State {
  regs: Reg[];
  /** By spi (slot index: fp-8 is 0). */
  stack: Map<number, Slot>;
  pc: number;
}

/** kernel/bpf/verifier.c LINKED_REGS_MAX: how many registers one jump syncs. */
const LINKED_REGS_MAX = 6;

/** One collected linked register: a register number or a stack slot (spi). */
type Link = { readonly reg: number; readonly spi?: undefined } | { readonly spi: number; readonly reg?: undefined };

interface Pushed {
  from: number;
  to: number;
  state: State;
}

const NONE: Reg = { k: 'none' };
const sc = (s: Scalar, id = 0, add?: ScalarReg['add']): ScalarReg => (add ? { k: 'scalar', s, id, add } : { k: 'scalar', s, id });

function clone(st: State): State {
  return { regs: st.regs.slice(), stack: new Map(st.stack), pc: st.pc };
}

function renderReg(r: Reg): string {
  switch (r.k) {
    case 'ctx': return 'ctx()';
    case 'fp': return 'fp0';
    case 'none': return '<not init>';
    case 'scalar': return formatScalar(r.s, { fields: r.id ? [formatScalarId(r.id, r.add?.off)] : [] });
  }
}

function renderSlot(slot: Slot): string | undefined {
  if (!/[^?]/.test(slot.types)) return undefined;
  if (slot.types[7] === 'r' && slot.spilled) return slot.types.slice(0, slot.types.indexOf('r')) + renderReg(slot.spilled);
  return slot.types;
}

/** One log event (see parseLog). */
export type LogEvent =
  | { e: 'insn'; idx: number; text: string; state?: string }
  | { e: 'state'; idx: number; state: string }
  | { e: 'from'; from: number; to: number; state?: string; safe: boolean }
  | { e: 'safe'; idx: number }
  | { e: 'violation'; text: string };

export interface ParsedLog {
  events: LogEvent[];
  /** Registers live before each instruction (the "Live regs before insn:" table), as bit masks. */
  live: Map<number, number>;
}

/** The lines of a level-2 log the walker uses; mark_precise and statistics lines are skipped. */
export function parseLog(text: string): ParsedLog {
  const events: LogEvent[] = [];
  const live = new Map<number, number>();
  for (const line of text.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /^\s+(\d+): ([0-9.]{10}) \(/.exec(line))) {
      let mask = 0;
      for (let j = 0; j < 10; j++) if (m[2]![j] !== '.') mask |= 1 << j;
      live.set(Number(m[1]), mask);
    } else if ((m = /^(\d+): \(([0-9a-f]{2})\) (.*?)(?:\s+; (.*))?$/.exec(line))) {
      events.push({ e: 'insn', idx: Number(m[1]), text: m[3]!, ...(m[4] !== undefined ? { state: m[4] } : {}) });
    } else if ((m = /^(\d+): safe$/.exec(line))) {
      events.push({ e: 'safe', idx: Number(m[1]) });
    } else if ((m = /^(\d+): ((?:R\d|fp-).*)$/.exec(line))) {
      events.push({ e: 'state', idx: Number(m[1]), state: m[2]! });
    } else if ((m = /^from (\d+) to (\d+): safe$/.exec(line))) {
      events.push({ e: 'from', from: Number(m[1]), to: Number(m[2]), safe: true });
    } else if ((m = /^from (\d+) to (\d+): (.*)$/.exec(line))) {
      events.push({ e: 'from', from: Number(m[1]), to: Number(m[2]), state: m[3]!, safe: false });
    } else if (/REG INVARIANTS VIOLATION/.test(line)) {
      events.push({ e: 'violation', text: line.replace(/^.*?REG INVARIANTS/, 'REG INVARIANTS').replace(/\(1\)$/, '') });
    }
  }
  return { events, live };
}

/** Kernel tokens `R3=...`/`fp-8=...`, with the precision mark (`P`, not this domain's) removed. */
function tokens(state: string): [string, string][] {
  const out: [string, string][] = [];
  for (const m of state.trim().matchAll(/(R\d+|fp-\d+)=(.*?)(?= (?:R\d+|fp-\d+)=|$)/g)) out.push([m[1]!, m[2]!.replace(/^([^a-zA-Z0-9-]*)P(?=scalar\(|-?\d)/, '$1')]);
  return out;
}

/**
 * Replays `log` over `insns`; returns the first divergence as text (with the log line context), or
 * undefined when every printed state and every path step matches.
 */
export function replay(insns: readonly Insn[], log: ParsedLog): string | undefined {
  return withScalarRules(scalarRules(features.emulatorKernelVersion()), () => replayIn(insns, log));
}

function replayIn(insns: readonly Insn[], log: ParsedLog): string | undefined {
  const w = new Walker(insns, log.live);
  try {
    for (const ev of log.events) w.step(ev);
    w.finish();
  } catch (e) {
    if (e instanceof Divergence) return e.message;
    throw e;
  }
  return undefined;
}

class Divergence extends Error {}

class Walker {
  #st: State | undefined;
  #stack: Pushed[] = [];
  #idGen = 0;
  #violations: string[] = [];
  #kernelViolations: string[] = [];

  constructor(readonly insns: readonly Insn[], readonly live: Map<number, number>) {
    const regs: Reg[] = Array.from({ length: 11 }, () => NONE);
    regs[1] = { k: 'ctx' };
    regs[10] = { k: 'fp' };
    this.#st = { regs, stack: new Map(), pc: 0 };
  }

  #fail(msg: string): never {
    throw new Divergence(msg);
  }

  step(ev: LogEvent): void {
    switch (ev.e) {
      case 'insn': {
        const st = this.#cur(`insn ${ev.idx}`);
        if (st.pc !== ev.idx) this.#fail(`path: the kernel ran insn ${ev.idx} (${ev.text}), the model expected insn ${st.pc}`);
        this.#exec(st);
        if (ev.state !== undefined) this.#compare(ev.state, `after ${ev.idx}: ${ev.text}`);
        break;
      }
      case 'state':
        this.#compare(ev.state, `state at ${ev.idx}`);
        break;
      case 'safe': {
        const st = this.#cur(`safe at ${ev.idx}`);
        if (st.pc !== ev.idx) this.#fail(`path: the kernel pruned at insn ${ev.idx}, the model was at insn ${st.pc}`);
        this.#st = undefined;
        break;
      }
      case 'from': {
        if (this.#st !== undefined) this.#fail(`path: the kernel popped ${ev.from}->${ev.to} while the model's path was still at insn ${this.#st.pc}`);
        const top = this.#stack.pop();
        if (!top) this.#fail(`path: the kernel popped ${ev.from}->${ev.to}, the model pushed nothing`);
        if (top.from !== ev.from || top.to !== ev.to) this.#fail(`path: the kernel popped ${ev.from}->${ev.to}, the model's next pushed state is ${top.from}->${top.to}`);
        this.#st = top.state;
        if (ev.safe) this.#st = undefined;
        else this.#compare(ev.state!, `from ${ev.from} to ${ev.to}`, true);
        break;
      }
      case 'violation':
        this.#kernelViolations.push(ev.text);
        break;
    }
  }

  finish(): void {
    if (this.#st !== undefined) this.#fail(`path: the log ended with the model's path still at insn ${this.#st.pc}`);
    if (this.#stack.length) this.#fail(`path: the model pushed states the kernel never explored: ${this.#stack.map((p) => `${p.from}->${p.to}`).join(', ')}`);
    const k = this.#kernelViolations.join('\n');
    const m = this.#violations.join('\n');
    if (k !== m) this.#fail(`invariant violations differ:\nkernel: ${k || '(none)'}\nmodel:  ${m || '(none)'}`);
  }

  #cur(what: string): State {
    if (!this.#st) this.#fail(`path: ${what} after the model's path ended`);
    return this.#st;
  }

  #compare(state: string, where: string, all = false): void {
    const st = this.#cur(where);
    const seen = new Set<string>();
    for (const [name, kernel] of tokens(state)) {
      seen.add(name);
      const mine = this.#render(st, name);
      if (mine !== kernel) this.#fail(`${where}: ${name}: kernel ${kernel}, model ${mine ?? '(nothing)'}`);
    }
    if (!all) return;
    // A full print ("from A to B:") lists every initialized register and valid slot.
    st.regs.forEach((r, i) => {
      if (r.k !== 'none' && !seen.has(`R${i}`)) this.#fail(`${where}: the model has R${i}=${renderReg(r)}, the kernel printed none`);
    });
    for (const [spi, slot] of st.stack) {
      if (renderSlot(slot) !== undefined && !seen.has(`fp-${(spi + 1) * 8}`)) this.#fail(`${where}: the model has fp-${(spi + 1) * 8}, the kernel printed none`);
    }
  }

  #render(st: State, name: string): string | undefined {
    if (name[0] === 'R') {
      const r = st.regs[Number(name.slice(1))];
      return r && r.k !== 'none' ? renderReg(r) : undefined;
    }
    const slot = st.stack.get(Number(name.slice(3)) / 8 - 1);
    return slot ? renderSlot(slot) : undefined;
  }

  #scalar(st: State, reg: number): ScalarReg {
    const r = st.regs[reg]!;
    if (r.k !== 'scalar') this.#fail(`R${reg} is not a scalar in the model (${r.k}) at insn ${st.pc}`);
    return r;
  }

  // ---- instructions ----

  #exec(st: State): void {
    const insn = this.insns[st.pc]!;
    const cls = classOf(insn.code);
    if (insn.code === LD_IMM64) {
      const hi = BigInt(this.insns[st.pc + 1]!.imm >>> 0);
      st.regs[insn.dst] = sc(scalarConst((hi << 32n) | BigInt(insn.imm >>> 0)));
      st.pc += 2;
      return;
    }
    if (cls === Class.Alu || cls === Class.Alu64) {
      this.#alu(st, insn, cls === Class.Alu64);
      st.pc++;
      return;
    }
    if (cls === Class.Ldx) return this.#load(st, insn);
    if (cls === Class.Stx || cls === Class.St) return this.#store(st, insn);
    if (cls === Class.Jmp || cls === Class.Jmp32) {
      const op = opOf(insn.code);
      if (op === JmpOp.Call) {
        st.regs[0] = sc(scalarUnknown());
        for (let i = 1; i <= 5; i++) st.regs[i] = NONE;
        st.pc++;
        return;
      }
      if (op === JmpOp.Exit) {
        this.#st = undefined;
        return;
      }
      return this.#jump(st, insn, cls === Class.Jmp32);
    }
    this.#fail(`unexpected instruction ${insn.code.toString(16)} at ${st.pc}`);
  }

  #noteViolation(v: string | undefined): void {
    if (v !== undefined) this.#violations.push(v);
  }

  /** assign_scalar_id_before_mov */
  #assignId(st: State, reg: number): void {
    let r = this.#scalar(st, reg);
    if (r.add) r = sc(r.s);
    if (!r.id && !isConst(r.s)) r = sc(r.s, ++this.#idGen);
    st.regs[reg] = r;
  }

  #alu(st: State, insn: Insn, alu64: boolean): void {
    const op = opOf(insn.code);
    const x = srcOf(insn.code) !== 0;
    if (op === AluOp.Mov) {
      if (!x) {
        st.regs[insn.dst] = sc(scalarMovImm(alu64, insn.imm));
        return;
      }
      const bits = insn.off as 0 | 8 | 16 | 32;
      const keep = movKeepsLink(alu64, this.#scalar(st, insn.src).s, bits);
      if (keep) this.#assignId(st, insn.src);
      const src = this.#scalar(st, insn.src);
      const res = scalarMov(alu64, src.s, bits);
      this.#noteViolation(res.violation);
      st.regs[insn.dst] = keep ? sc(res.dst, src.id, src.add) : sc(res.dst);
      return;
    }
    const dst = this.#scalar(st, insn.dst);
    if ((op === AluOp.Neg || op === AluOp.End) && !negEndTracked(features.emulatorKernelVersion())) {
      st.regs[insn.dst] = sc(scalarUnknown());
      return;
    }
    if (op === AluOp.Neg) {
      const res = scalarNeg(alu64, dst.s);
      this.#noteViolation(res.violation);
      st.regs[insn.dst] = sc(res.dst);
      return;
    }
    if (op === AluOp.End) {
      const res = scalarEnd(dst.s, insn.imm as 16 | 32 | 64, alu64 || srcOf(insn.code) !== 0);
      this.#noteViolation(res.violation);
      st.regs[insn.dst] = res.mutates ? sc(res.dst) : sc(res.dst, dst.id, dst.add);
      return;
    }
    const src = x ? this.#scalar(st, insn.src).s : immOperand(insn.imm);
    const division = divModTracked(features.emulatorKernelVersion()) ? (insn.off === 1 ? 'signed' : 'unsigned') : undefined;
    const res = scalarAlu(op, alu64, dst.s, src, division);
    if (res.fork) {
      // maybe_fork_scalars: the pushed state runs this instruction again with the register 0.
      const other = clone(st);
      other.regs[insn.dst] = res.fork.keepsId ? sc(res.fork.dst, dst.id, dst.add) : sc(res.fork.dst);
      this.#stack.push({ from: st.pc, to: st.pc, state: other });
    }
    this.#noteViolation(res.violation);
    // adjust_reg_min_max_vals: rX += / -= const keeps a link to rX's copies, with the delta.
    let id = 0;
    let add: ScalarReg['add'];
    if (!res.unknown && (op === AluOp.Add || op === AluOp.Sub) && dst.id && isConstAt(src, !alu64) && !(x && insn.src === insn.dst)) {
      const val = constValueAt(src, !alu64);
      let off = Number(BigInt.asIntN(32, val));
      let ok = true;
      if (alu64 && (BigInt.asIntN(64, val) < BigInt(S32_MIN) || BigInt.asIntN(64, val) > BigInt(S32_MAX))) ok = false;
      if (!alu64 && dst.s.umax > BigInt(U32_MAX)) ok = false;
      if (ok && op === AluOp.Sub) {
        if (off === S32_MIN) ok = false;
        off = -off;
      }
      if (ok && !dst.add) {
        id = dst.id;
        add = { off, w: alu64 ? 64 : 32 };
      }
    }
    st.regs[insn.dst] = sc(res.dst, id, add);
  }

  #jump(st: State, insn: Insn, is32: boolean): void {
    const op = opOf(insn.code);
    const x = srcOf(insn.code) !== 0;
    const target = st.pc + 1 + insn.off;
    const [a, b] = [this.#scalar(st, insn.dst).s, x ? this.#scalar(st, insn.src).s : immOperand(insn.imm)];
    const pred = branchTakenByRefinement(features.emulatorKernelVersion()) ? decideByRefinement(op, is32, a, b, x && insn.src === insn.dst)
      : branchTaken(op, is32, a, b);
    if (pred === 1) {
      st.pc = target;
      return;
    }
    if (pred === 0) {
      st.pc++;
      return;
    }
    // check_cond_jmp_op (6.18): the linked registers are collected only for an undecided jump, before
    // the other branch is pushed, and collecting may clear ids (so the operands are read after it).
    const ids: number[] = [];
    if (x && this.#scalar(st, insn.src).id) ids.push(this.#scalar(st, insn.src).id);
    if (this.#scalar(st, insn.dst).id) ids.push(this.#scalar(st, insn.dst).id);
    const linked = this.#collectLinked(st, ids);
    const dst = this.#scalar(st, insn.dst);
    const src = x ? this.#scalar(st, insn.src) : sc(immOperand(insn.imm));
    const other = clone(st);
    other.pc = target;
    this.#stack.push({ from: st.pc, to: target, state: other });
    const aliased = x && insn.src === insn.dst;
    const { taken, fallthrough, violations } = refineBoth(op, is32, dst.s, src.s, aliased);
    for (const v of violations) this.#violations.push(v);
    st.regs[insn.dst] = sc(fallthrough.a, dst.id, dst.add);
    other.regs[insn.dst] = sc(taken.a, dst.id, dst.add);
    if (x && !aliased) {
      st.regs[insn.src] = sc(fallthrough.b, src.id, src.add);
      other.regs[insn.src] = sc(taken.b, src.id, src.add);
    }
    // The source's copies first, then the destination's, in each branch.
    const known: number[] = [];
    if (x && src.id) known.push(insn.src);
    if (dst.id) known.push(insn.dst);
    for (const reg of known) for (const s of [st, other]) this.#syncLinked(s, reg, linked);
    st.pc++;
  }

  /**
   * collect_linked_regs, once per id (the same id twice when both operands share it): live registers
   * (before this jump) in register order, then spilled scalars by slot, into a list of at most
   * LINKED_REGS_MAX (6) entries; a register past the limit has its id cleared (clear_scalar_id).
   */
  #collectLinked(st: State, ids: number[]): Link[] {
    const out: Link[] = [];
    const live = this.live.get(st.pc) ?? 0;
    for (const id of ids) {
      for (let i = 0; i < 10; i++) {
        const r = st.regs[i]!;
        if (!(live & (1 << i)) || r.k !== 'scalar' || r.id !== id) continue;
        if (out.length < LINKED_REGS_MAX) out.push({ reg: i });
        else st.regs[i] = sc(r.s);
      }
      for (const spi of [...st.stack.keys()].sort((a, b) => a - b)) {
        const slot = st.stack.get(spi)!;
        if (slot.types[7] !== 'r' || slot.spilled?.id !== id) continue;
        if (out.length < LINKED_REGS_MAX) out.push({ spi });
        else st.stack.set(spi, { ...slot, spilled: sc(slot.spilled.s) });
      }
    }
    return out;
  }

  /** sync_linked_regs: every linked register takes the known register's range, plus its delta. */
  #syncLinked(st: State, knownReg: number, linked: Link[]): void {
    const known = this.#scalar(st, knownReg);
    const apply = (r: ScalarReg): ScalarReg => {
      if (r.id !== known.id) return r;
      if (r.add && known.add && r.add.w !== known.add.w) return r;
      if ((!r.add && !known.add) || (r.add?.off ?? 0) === (known.add?.off ?? 0)) return sc(known.s, known.id, known.add);
      const delta = BigInt((r.add?.off ?? 0) - (known.add?.off ?? 0));
      const zext = r.add?.w === 32 || known.add?.w === 32;
      const s = linkedAdd(known.s, delta, zext);
      return sc(s, r.id, r.add);
    };
    for (const e of linked) {
      if (e.reg !== undefined) {
        const r = st.regs[e.reg]!;
        if (e.reg !== knownReg && r.k === 'scalar') st.regs[e.reg] = apply(r);
        continue;
      }
      const slot = st.stack.get(e.spi!)!;
      if (slot.spilled) st.stack.set(e.spi!, { ...slot, spilled: apply(slot.spilled) });
    }
  }

  // ---- the stack (check_stack_write_fixed_off / check_stack_read_fixed_off, the cases the programs use) ----

  #store(st: State, insn: Insn): void {
    if (insn.dst !== 10 || modeOf(insn.code) !== Mode.Mem) this.#fail(`unexpected store at ${st.pc}`);
    const size = sizeBytes(insn.code);
    const off = insn.off;
    const spi = Math.floor((-off - 1) / 8);
    const slotIdx = (-off - 1) % 8;
    const old = st.stack.get(spi) ?? { types: '????????' };
    const isSt = classOf(insn.code) === Class.St;
    if (off % 8 === 0) {
      let value: ScalarReg;
      if (isSt) {
        value = sc(scalarConst(BigInt(insn.imm | 0)));
      } else {
        const reg = this.#scalar(st, insn.src);
        const fits = reg.s.umax < 1n << BigInt(size * 8) || size === 8;
        if (fits) this.#assignId(st, insn.src);
        const now = this.#scalar(st, insn.src);
        value = fits ? now : sc(now.s);
      }
      // save_register_state: the low `size` bytes become SPILL, the others MISC unless ZERO or INVALID.
      const types = old.types.split('');
      for (let i = 8; i > 8 - size; i--) types[i - 1] = 'r';
      for (let i = 8 - size; i > 0; i--) if (types[i - 1] !== '0' && types[i - 1] !== '?') types[i - 1] = 'm';
      st.stack.set(spi, { types: types.join(''), spilled: value });
    } else {
      const reg = isSt ? undefined : this.#scalar(st, insn.src);
      const zero = isSt ? insn.imm === 0 : tnumIsConst(reg!.s.varOff) && reg!.s.varOff.value === 0n;
      const types = old.types.split('');
      for (let i = 0; i < size; i++) types[(slotIdx - i + 8) % 8] = zero ? '0' : 'm';
      // A slot that was a spill and is partly overwritten keeps no spilled register's meaning.
      st.stack.set(spi, { types: types.join(''), ...(types[7] === 'r' && old.spilled ? { spilled: old.spilled } : {}) });
    }
    st.pc++;
  }

  #load(st: State, insn: Insn): void {
    if (insn.src !== 10) this.#fail(`unexpected load at ${st.pc}`);
    const size = sizeBytes(insn.code);
    const sx = modeOf(insn.code) === Mode.MemSx;
    const off = insn.off;
    const spi = Math.floor((-off - 1) / 8);
    const slotIdx = (-off - 1) % 8;
    const slot = st.stack.get(spi) ?? { types: '????????' };
    let value: ScalarReg;
    if (slot.types[7] === 'r' && slot.spilled) {
      let spillSize = 1;
      for (let i = 7; i > 0 && slot.types[i - 1] === 'r'; i--) spillSize++;
      const reg = slot.spilled;
      if (size === 8 && spillSize === 8) {
        value = reg;
      } else if (size <= spillSize && off % 8 === 0) {
        let r = reg;
        if (size === 4 && spillSize === 4 && reg.s.umax <= BigInt(U32_MAX)) {
          // assign_scalar_id_before_mov on a 4-byte fill of a 4-byte spill (6.18 links the fill to the slot).
          if (r.add) r = sc(r.s);
          if (!r.id && !isConst(r.s)) r = sc(r.s, ++this.#idGen);
          st.stack.set(spi, { ...slot, spilled: r });
        }
        value = reg.s.umax >= 1n << BigInt(size * 8) ? sc(r.s) : r;
      } else {
        let spill = 0;
        let zero = 0;
        for (let i = 0; i < size; i++) {
          const t = slot.types[(slotIdx - i + 8) % 8];
          if (t === 'r') spill++;
          else if (t === '0') zero++;
          else if (t !== 'm') this.#fail(`the program reads an uninitialized stack byte at ${st.pc}`);
        }
        if ((spill === size && tnumIsConst(reg.s.varOff) && reg.s.varOff.value === 0n) || zero === size) value = sc(scalarConst(0n));
        else value = sc(scalarUnknown());
      }
    } else {
      let zero = 0;
      for (let i = 0; i < size; i++) {
        const t = slot.types[(slotIdx - i + 8) % 8];
        if (t === '0') zero++;
        else if (t !== 'm') this.#fail(`the program reads an uninitialized stack byte at ${st.pc}`);
      }
      value = zero === size ? sc(scalarConst(0n)) : sc(scalarUnknown());
    }
    // check_mem_access: loads narrower than 8 bytes are truncated or sign-extended; a sign extension that
    // may change the value (umax not below the sign bit) drops the fill's link to the slot.
    if (size < 8) {
      const keepsLink = !sx || value.s.umax < 1n << BigInt(size * 8 - 1);
      value = keepsLink ? sc(coerceToSize(value.s, size, sx), value.id, value.add) : sc(coerceToSize(value.s, size, sx));
    }
    st.regs[insn.dst] = value;
    st.pc++;
  }
}
