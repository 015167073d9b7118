// Which stack slots of its own frame an instruction's future may still touch, so that state pruning can
// ignore the rest, as the kernel ignores stack it will not read again (kernel/bpf/liveness.c; before 6.18,
// the REG_LIVE_READ marks). Without it a register spilled once and never filled keeps two paths apart to
// the end of the program. Computed ahead of time, within each function, in two passes:
// - forward: which registers hold the frame pointer plus a known offset (fp+k), or some unknown stack
//   address (a pointer to the stack moved through arithmetic the pass does not follow);
// - backward: a slot is live where a later instruction may access it: a load or a partial store through
//   fp+k (what a store of part of a slot leaves depends on the rest), or a call given fp+k as an argument
//   (it may touch any slot from k up to the frame's top). A store of all 8 bytes of a slot makes it dead
//   before it: whatever the slot held is gone (6.18's must_write; privileged, so a spilled pointer may be
//   overwritten, and the slots whose overwriting the kernel checks, dynptrs and iterators, are not in
//   the model).
// A program that stores a stack address to memory could read the stack through it anywhere: no answer.
import { AluOp, Class, classOf, JmpOp, LD_IMM64, Mode, modeOf, opOf, Source, srcOf, type Insn } from '../../uapi/isa.js';
import { effectOf } from './liveness.js';

/** Slots a frame has: MAX_BPF_STACK 512 bytes of 8. */
const SLOTS = 64;
/** A register's value in the forward pass: fp + k for k in [-512, 0], or one of these. */
const UNSEEN = 0x4000_0000;
const NOT_FP = 0x4000_0001;
const ANY_FP = 0x4000_0002;
const FP = 10;
const REGS = 11;
/** BPF_ATOMIC imm: BPF_FETCH, BPF_CMPXCHG, BPF_LOAD_ACQ. */
const FETCH = 0x01;
const CMPXCHG = 0xf1;
const LOAD_ACQ = 0x100;

/** Per instruction, the slots (bit spi of word spi >> 5; spi 0 is bytes [-8, 0)) its future may touch. */
export interface LiveStack {
  readonly words: Uint32Array;
}

export function isSlotLive(live: LiveStack, pc: number, spi: number): boolean {
  return spi >= SLOTS || (live.words[pc * 2 + (spi >> 5)]! & (1 << (spi & 31))) !== 0;
}

export function liveStackSlots(insns: readonly Insn[], entries: readonly number[], wholeStoreKills = true): LiveStack | undefined {
  const n = insns.length;
  const regs = fpOffsets(insns, entries);
  if (!regs) return undefined;
  const words = new Uint32Array(n * 2 + 2);
  const gen = new Uint32Array(n * 2);
  const kill = new Uint32Array(n * 2);
  for (let i = 0; i < n; i++) accesses(insns[i]!, regs, i, gen, kill, wholeStoreKills);
  const preds: number[][] = Array.from({ length: n }, () => []);
  const effects = insns.map((_, i) => effectOf(insns, i));
  effects.forEach((e, i) => { for (const s of e.next) if (s >= 0 && s < n) preds[s]!.push(i); });
  const work: number[] = [];
  const queued = new Uint8Array(n);
  for (let i = 0; i < n; i++) { work.push(i); queued[i] = 1; }
  while (work.length > 0) {
    const i = work.pop()!;
    queued[i] = 0;
    let lo = 0;
    let hi = 0;
    for (const s of effects[i]!.next) if (s >= 0 && s < n) { lo |= words[s * 2]!; hi |= words[s * 2 + 1]!; }
    lo = (lo & ~kill[i * 2]!) | gen[i * 2]!;
    hi = (hi & ~kill[i * 2 + 1]!) | gen[i * 2 + 1]!;
    // `|` gives an int32: compare as the unsigned words hold them.
    if (lo >>> 0 === words[i * 2] && hi >>> 0 === words[i * 2 + 1]) continue;
    words[i * 2] = lo;
    words[i * 2 + 1] = hi;
    for (const p of preds[i]!) if (!queued[p]) { queued[p] = 1; work.push(p); }
  }
  return { words };
}

/** Marks slots [from, from + size) bytes of frame offset (all slots when unknown) in `gen` for insn i. */
function touch(gen: Uint32Array, i: number, from: number | undefined, size: number): void {
  if (from === undefined || from < -SLOTS * 8 || from + size > 0 || size <= 0) {
    gen[i * 2] = 0xffff_ffff;
    gen[i * 2 + 1] = 0xffff_ffff;
    return;
  }
  for (let spi = Math.floor((-(from + size)) / 8); spi <= Math.floor((-from - 1) / 8); spi++) gen[i * 2 + (spi >> 5)]! |= 1 << (spi & 31);
}

const SIZE_BYTES = [4, 2, 1, 8];

/** The stack slots instruction i may access (gen) or surely overwrites whole (kill), given the registers' fp offsets before it. */
function accesses(insn: Insn, regs: Int32Array, i: number, gen: Uint32Array, kill: Uint32Array, wholeStoreKills: boolean): void {
  const at = (r: number): number => regs[i * REGS + r]!;
  const base = (r: number): number | undefined => (at(r) === ANY_FP ? undefined : at(r));
  const cls = classOf(insn.code);
  if (cls === Class.Ldx || cls === Class.Stx || cls === Class.St) {
    const loadAcquire = cls === Class.Stx && modeOf(insn.code) === Mode.Atomic && insn.imm === LOAD_ACQ;
    const r = cls === Class.Ldx || loadAcquire ? insn.src : insn.dst;
    if (at(r) === NOT_FP || at(r) === UNSEEN) return;
    const k = base(r);
    const size = SIZE_BYTES[(insn.code >> 3) & 3]!;
    const whole = (cls === Class.St || (cls === Class.Stx && modeOf(insn.code) === Mode.Mem)) && size === 8;
    if (wholeStoreKills && whole && k !== undefined && (k + insn.off) % 8 === 0 && k + insn.off >= -SLOTS * 8 && k + insn.off < 0) {
      touch(kill, i, k + insn.off, 8);
      return;
    }
    touch(gen, i, k === undefined ? undefined : k + insn.off, size);
    return;
  }
  if ((cls === Class.Jmp || cls === Class.Jmp32) && opOf(insn.code) === JmpOp.Call) {
    for (let r = 1; r <= 5; r++) {
      if (at(r) === NOT_FP || at(r) === UNSEEN) continue;
      const k = base(r);
      touch(gen, i, k, k === undefined ? 0 : -k);
    }
  }
}

/** Forward pass: each register's fp offset before each instruction; undefined when a stack address is stored. */
function fpOffsets(insns: readonly Insn[], entries: readonly number[]): Int32Array | undefined {
  const n = insns.length;
  const regs = new Int32Array(n * REGS).fill(UNSEEN);
  const work: number[] = [];
  for (const e of entries) {
    if (e < 0 || e >= n) continue;
    for (let r = 0; r < REGS; r++) regs[e * REGS + r] = r === FP ? 0 : NOT_FP;
    work.push(e);
  }
  const out = new Int32Array(REGS);
  while (work.length > 0) {
    const i = work.pop()!;
    const insn = insns[i]!;
    for (let r = 0; r < REGS; r++) out[r] = regs[i * REGS + r]!;
    if (!transfer(insn, out)) return undefined;
    for (const s of effectOf(insns, i).next) {
      if (s < 0 || s >= n) continue;
      let changed = false;
      for (let r = 0; r < REGS; r++) {
        const old = regs[s * REGS + r]!;
        const joined = old === UNSEEN ? out[r]! : old === out[r] ? old : r === FP ? 0 : (old === NOT_FP && out[r] === NOT_FP ? NOT_FP : ANY_FP);
        if (joined !== old) { regs[s * REGS + r] = joined; changed = true; }
      }
      if (changed) work.push(s);
    }
  }
  return regs;
}

const isFp = (v: number): boolean => v !== NOT_FP && v !== UNSEEN;

/** The registers after `insn` (in place); false when it stores a stack address to memory. */
function transfer(insn: Insn, r: Int32Array): boolean {
  const cls = classOf(insn.code);
  switch (cls) {
    case Class.Alu:
    case Class.Alu64: {
      const op = opOf(insn.code);
      const x = srcOf(insn.code) === Source.X && op !== AluOp.Neg && op !== AluOp.End;
      if (op === AluOp.Mov) {
        r[insn.dst] = x && cls === Class.Alu64 && insn.off === 0 ? r[insn.src]! : x && isFp(r[insn.src]!) ? ANY_FP : NOT_FP;
        return true;
      }
      const d = r[insn.dst]!;
      const tainted = isFp(d) || (x && isFp(r[insn.src]!));
      if (!tainted) r[insn.dst] = NOT_FP;
      else if (cls === Class.Alu64 && !x && d !== ANY_FP && (op === AluOp.Add || op === AluOp.Sub)) {
        const k = op === AluOp.Add ? d + insn.imm : d - insn.imm;
        r[insn.dst] = k >= -SLOTS * 8 && k <= 0 ? k : ANY_FP;
      } else r[insn.dst] = ANY_FP;
      return true;
    }
    case Class.Ldx:
      r[insn.dst] = NOT_FP;
      return true;
    case Class.Stx: {
      const atomic = modeOf(insn.code) === Mode.Atomic;
      if (atomic && insn.imm === LOAD_ACQ) {
        r[insn.dst] = NOT_FP;
        return true;
      }
      // A stack address stored anywhere (or exchanged into memory by an atomic) escapes this analysis.
      if (isFp(r[insn.src]!)) return false;
      // What an atomic returns (in src, or r0 for cmpxchg) was loaded from memory: never a stack address.
      if (atomic && insn.imm === CMPXCHG) r[0] = NOT_FP;
      else if (atomic && insn.imm & FETCH) r[insn.src] = NOT_FP;
      return true;
    }
    case Class.Ld:
      if (insn.code === LD_IMM64) r[insn.dst] = NOT_FP;
      else for (let k = 0; k <= 5; k++) r[k] = NOT_FP;
      return true;
    case Class.Jmp:
    case Class.Jmp32:
      if (opOf(insn.code) === JmpOp.Call) for (let k = 0; k <= 5; k++) r[k] = NOT_FP;
      return true;
    default:
      return true;
  }
}
