// When a state reaching a prune point is no more than one already verified there (kernel/bpf/verifier.c
// states_equal, func_states_equal, regsafe, stacksafe, refsafe, check_ids). Scalars the checkpoint has not
// marked precise (precision.ts) match any scalar. Registers and slots are compared only where the program
// may still read them (static liveness, as the kernel's compute_live_registers).
import { baseType, RegType, type RegState } from '../reg-state.js';
import { scalarWithin } from '../scalar-branch.js';
import { known, unknown } from './regs.js';
import { isSlotLive, type LiveStack } from '../stack-liveness.js';
import { FP, isSpilledScalar, MAX_BPF_REG, REG_SIZE, SlotType, type FuncState, type StackSlot, type VerifierState } from './state.js';
import type { Backtrack } from './precision.js';

/** enum exact_level. */
export type Exactness = 'notExact' | 'exact';

interface LiveHost {
  readonly pc: number;
  readonly p: { readonly live: Uint16Array; readonly liveStack: LiveStack | undefined; readonly insns: { length: number } };
}

/** struct bpf_idmap: ids of the old state mapped to ids of the current one, consistently. */
class IdMap {
  readonly #old = new Map<number, number>();
  readonly #cur = new Map<number, number>();
  #tmp = 1 << 30;

  check(oldId: number, curId: number): boolean {
    if ((oldId === 0) !== (curId === 0)) return false;
    if (oldId === 0) return true;
    const mapped = this.#old.get(oldId);
    if (mapped !== undefined) return mapped === curId;
    if (this.#cur.has(curId)) return false;
    this.#old.set(oldId, curId);
    this.#cur.set(curId, oldId);
    return true;
  }

  /** check_scalar_ids: an id of 0 is distinct from every other id. */
  checkScalar(oldId: number, curId: number): boolean {
    return this.check(oldId || ++this.#tmp, curId || ++this.#tmp);
  }
}

const sameScalar = (a: RegState, b: RegState): boolean =>
  a.value.smin === b.value.smin && a.value.smax === b.value.smax && a.value.umin === b.value.umin && a.value.umax === b.value.umax
  && a.value.s32min === b.value.s32min && a.value.s32max === b.value.s32max && a.value.u32min === b.value.u32min
  && a.value.u32max === b.value.u32max && a.value.varOff.value === b.value.varOff.value && a.value.varOff.mask === b.value.varOff.mask;

/** regs_exact: everything but the ids equal, the ids consistently mapped. */
function regsExact(a: RegState, b: RegState, ids: IdMap): boolean {
  return a.type === b.type && a.off === b.off && a.range === b.range && a.map === b.map && a.frameno === b.frameno
    && a.target === b.target && sameScalar(a, b) && ids.check(a.id, b.id) && ids.check(a.refObjId, b.refObjId);
}

const within = (old: RegState, cur: RegState): boolean => scalarWithin(old.value, cur.value);

export function regsafe(old: RegState, cur: RegState, ids: IdMap, exact: Exactness): boolean {
  if (exact === 'exact') return regsExact(old, cur, ids);
  if (old.type === RegType.NotInit) return exact === 'notExact' || cur.type === RegType.NotInit;
  if (old.type !== cur.type) return false;
  switch (baseType(old.type)) {
    case RegType.Scalar:
      if (!old.precise && exact === 'notExact') return true;
      return ids.checkScalar(old.id, cur.id) && within(old, cur);
    case RegType.MapKey: case RegType.MapValue: case RegType.Mem: case RegType.Buf: case RegType.TpBuffer:
      return old.off === cur.off && old.map === cur.map && old.range === cur.range && within(old, cur)
        && ids.check(old.id, cur.id) && ids.check(old.refObjId, cur.refObjId);
    case RegType.PacketMeta: case RegType.Packet:
      if (old.range < 0 || cur.range < 0) {
        if (old.range !== cur.range) return false;
      } else if (old.range > cur.range) {
        return false;
      }
      return old.off === cur.off && ids.check(old.id, cur.id) && within(old, cur);
    case RegType.Stack:
      return regsExact(old, cur, ids) && old.frameno === cur.frameno;
    case RegType.Arena:
      return true;
    default:
      return regsExact(old, cur, ids);
  }
}

/** scalar_reg_for_stack: a slot holding a scalar (a 64-bit spill, 8 MISC bytes, 8 ZERO bytes). */
function scalarOfSlot(slot: StackSlot | undefined, misc: RegState, zero: RegState): RegState | undefined {
  if (!slot) return undefined;
  if (slot.types.every((t) => t === SlotType.Spill) && slot.spilled.type === RegType.Scalar) return slot.spilled;
  if (slot.types.every((t) => t === SlotType.Misc)) return misc;
  if (slot.types.every((t) => t === SlotType.Zero)) return zero;
  return undefined;
}

function stacksafe(
  old: FuncState, cur: FuncState, ids: IdMap, exact: Exactness, misc: RegState, zero: RegState, live: LiveStack | undefined, pc: number,
): boolean {
  for (let spi = 0; spi < old.stack.length; spi++) {
    if (live && exact === 'notExact' && !isSlotLive(live, pc, spi)) continue; // never touched again
    const o = old.stack[spi];
    const c = cur.stack[spi];
    const oTypes = o?.types ?? INVALID_BYTES;
    const cTypes = c?.types ?? INVALID_BYTES;
    if (exact !== 'notExact' && oTypes.some((t, i) => t !== cTypes[i])) return false;
    if (oTypes.every((t) => t === SlotType.Invalid || t === SlotType.Misc)) continue; // root may read uninit stack
    if (spi >= cur.stack.length) return false;
    const os = scalarOfSlot(o, misc, zero);
    const cs = scalarOfSlot(c, misc, zero);
    if (os && cs) {
      if (!regsafe(os, cs, ids, exact)) return false;
      continue;
    }
    for (let i = 0; i < REG_SIZE; i++) {
      const ot = oTypes[i]!;
      const ct = cTypes[i]!;
      if (ot === SlotType.Invalid || ot === SlotType.Misc) continue;
      if (ot !== ct) return false;
    }
    if (oTypes[REG_SIZE - 1] === SlotType.Spill && !regsafe(o!.spilled, c!.spilled, ids, exact)) return false;
    if (oTypes[REG_SIZE - 1] === SlotType.IrqFlag && !ids.check(o!.spilled.refObjId, c!.spilled.refObjId)) return false;
  }
  return true;
}

/** Eight STACK_ZERO bytes hold exactly 0: a fake register precise so that only a 0 matches it. */
const ZERO_SLOT: RegState = { ...known(0n), precise: true };

const INVALID_BYTES: readonly number[] = Array<number>(REG_SIZE).fill(SlotType.Invalid);

/** states_equal: `old` covers `cur` at the current instruction. */
export function statesEqual(host: LiveHost, old: VerifierState, cur: VerifierState, exact: Exactness): boolean {
  if (old.frames.length !== cur.frames.length) return false;
  const ids = new IdMap();
  if (!refsafe(old, cur, ids)) return false;
  const misc = unknown();
  const zero = ZERO_SLOT;
  for (let f = 0; f < old.frames.length; f++) {
    const of = old.frames[f]!;
    const cf = cur.frames[f]!;
    if (of.callsite !== cf.callsite) return false;
    const live = liveMask(host, cur, f);
    for (let r = 0; r < MAX_BPF_REG; r++) {
      if (exact === 'notExact' && r !== FP && !(live & (1 << r))) continue;
      if (!regsafe(of.regs[r]!, cf.regs[r]!, ids, exact)) return false;
    }
    // The stack of a caller is live as at its call (which includes what the call may touch through its arguments).
    const at = f === cur.frames.length - 1 ? host.pc : cur.frames[f + 1]!.callsite;
    if (!stacksafe(of, cf, ids, exact, misc, zero, host.p.liveStack, at)) return false;
  }
  return true;
}

/** refsafe: the same references held, their ids consistently mapped (before the registers, as the kernel). */
function refsafe(old: VerifierState, cur: VerifierState, ids: IdMap): boolean {
  return old.refs.length === cur.refs.length && old.refs.every((r, i) => ids.check(r.id, cur.refs[i]!.id));
}

/** Registers of frame `f` the program may still read: at the current instruction, or at a caller's return site. */
function liveMask(host: LiveHost, s: VerifierState, f: number): number {
  if (f === s.frames.length - 1) return host.p.live[host.pc] ?? 0xffff;
  const back = s.frames[f + 1]!.callsite + 1;
  return back < host.p.insns.length ? (host.p.live[back] ?? 0xffff) & ~0x3f : 0;
}

/**
 * propagate_precision's request: the precise scalars of `old` (registers and spilled slots, of every frame)
 * where the continuation may read them.
 */
export function preciseInOld(host: LiveHost, old: VerifierState, cur: VerifierState, bt: Backtrack): void {
  for (let f = 0; f < old.frames.length; f++) {
    const func = old.frames[f]!;
    const live = liveMask(host, cur, f);
    for (let r = 0; r < FP; r++) {
      const reg = func.regs[r]!;
      if (reg.type === RegType.Scalar && reg.precise && (live & (1 << r))) bt.setReg(f, r);
    }
    const at = f === cur.frames.length - 1 ? host.pc : cur.frames[f + 1]!.callsite;
    const liveStack = host.p.liveStack;
    for (let spi = 0; spi < func.stack.length; spi++) {
      const slot = func.stack[spi];
      if (!slot || !isSpilledScalar(slot) || !slot.spilled.precise) continue;
      if (!liveStack || isSlotLive(liveStack, at, spi)) bt.setSlot(f, spi);
    }
  }
}

export { IdMap };

