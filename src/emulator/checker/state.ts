// The abstract state the walk (walk.ts) carries along one path, as kernel/bpf/verifier.c models it
// (struct bpf_verifier_state: frames of registers and stack slots, the acquired lock and irq references),
// cut down to what the checker's rules depend on. Values are immutable; states are copied on write.
import type { Range } from './ranges.js';

/** A register or spilled value. */
export type Value =
  /** NOT_INIT: never written, or clobbered by a call. */
  | { readonly k: 'none' }
  /** SCALAR_VALUE with signed bounds; `id` links copies (kernel sync_linked_regs), 0 when unlinked. */
  | { readonly k: 'scalar'; readonly r: Range; readonly id: number }
  /** CONST_PTR_TO_MAP: `map` indexes the checker's map table. */
  | { readonly k: 'map'; readonly map: number }
  /**
   * PTR_TO_MAP_VALUE (or _OR_NULL when `nullable`) with its offset bounds. `id` is the lookup's id: the
   * kernel keeps it after the null check for values holding a lock, and a lock is named by (id, map).
   */
  | { readonly k: 'value'; readonly map: number; readonly off: Range; readonly id: number; readonly nullable: boolean }
  /** PTR_TO_STACK of call frame `frame` at offset bounds `off` from that frame's r10. */
  | { readonly k: 'stack'; readonly frame: number; readonly off: Range }
  | { readonly k: 'ctx' }
  /** A callback's address (ld_imm64 BPF_PSEUDO_FUNC). */
  | { readonly k: 'func'; readonly target: number }
  /** An untrusted pointer to a kernel struct (PTR_TO_BTF_ID | PTR_UNTRUSTED, from bpf_rdonly_cast). */
  | { readonly k: 'btf' }
  /** Outside the model: a packet or BTF pointer, or a scalar, or a load from the context. */
  | { readonly k: 'any' };

/** An 8-byte stack slot: a spilled register, bytes of no known type, or a saved irq flag. */
export type Slot =
  | { readonly k: 'spill'; readonly v: Value }
  | { readonly k: 'misc' }
  | { readonly k: 'irq'; readonly id: number; readonly cls: IrqClass };

/** kernel/bpf/verifier.c IRQ_NATIVE_KFUNC (bpf_local_irq_save) and IRQ_LOCK_KFUNC (res lock irqsave). */
export type IrqClass = 'native' | 'lock';

export interface Frame {
  readonly regs: readonly Value[];
  /** Slot index (stack offset / 8, negative) → slot. */
  readonly stack: ReadonlyMap<number, Slot>;
  /** The call instruction that entered this frame (-1 for the entry frame). */
  readonly callsite: number;
}

/** REF_TYPE_LOCK, REF_TYPE_RES_LOCK, REF_TYPE_RES_LOCK_IRQ. */
export type LockType = 'spin' | 'res' | 'resIrq';

export interface HeldLock {
  readonly type: LockType;
  readonly id: number;
  readonly map: number;
}

export interface State {
  readonly frames: readonly Frame[];
  /** Held locks, oldest first: the last is the kernel's active_lock_id/ptr. */
  readonly locks: readonly HeldLock[];
  /** Saved irq flags by reference id, oldest first: the last is active_irq_id. */
  readonly irqs: readonly { readonly id: number; readonly insn: number }[];
}

export const NONE: Value = { k: 'none' };
export const ANY: Value = { k: 'any' };

export function entryFrame(regs: Value[], callsite: number): Frame {
  return { regs, stack: new Map(), callsite };
}

export const topFrame = (s: State): Frame => s.frames[s.frames.length - 1]!;

export function withTopRegs(s: State, regs: readonly Value[]): State {
  const frames = s.frames.slice();
  frames[frames.length - 1] = { ...topFrame(s), regs };
  return { ...s, frames };
}

export function withFrame(s: State, index: number, frame: Frame): State {
  const frames = s.frames.slice();
  frames[index] = frame;
  return { ...s, frames };
}

/** Replaces every register and spill for which `f` returns a value (null checks, linked scalars). */
export function mapValues(s: State, f: (v: Value) => Value | undefined): State {
  const frames = s.frames.map((fr) => {
    let regs: Value[] | undefined;
    fr.regs.forEach((v, i) => {
      const w = f(v);
      if (w) (regs ??= fr.regs.slice())[i] = w;
    });
    let stack: Map<number, Slot> | undefined;
    for (const [i, slot] of fr.stack) {
      if (slot.k !== 'spill') continue;
      const w = f(slot.v);
      if (w) (stack ??= new Map(fr.stack)).set(i, { k: 'spill', v: w });
    }
    return regs || stack ? { ...fr, regs: regs ?? fr.regs, stack: stack ?? fr.stack } : fr;
  });
  return { ...s, frames };
}

/**
 * A string equal for equal states, at instruction `pc`: ids renumbered in order of appearance (they come
 * from one counter, so two paths give the same shape different numbers), dead registers left out.
 */
export function stateKey(s: State, live: (frameIndex: number) => number): string {
  const ids = new Map<number, number>();
  const id = (n: number): number => {
    if (n === 0) return 0;
    let c = ids.get(n);
    if (c === undefined) ids.set(n, (c = ids.size + 1));
    return c;
  };
  const val = (v: Value): string => {
    switch (v.k) {
      case 'none': return '_';
      case 'scalar': return `s${v.r.min}:${v.r.max}#${id(v.id)}`;
      case 'map': return `m${v.map}`;
      case 'value': return `v${v.map}@${v.off.min}:${v.off.max}#${id(v.id)}${v.nullable ? '?' : ''}`;
      case 'stack': return `f${v.frame}@${v.off.min}:${v.off.max}`;
      case 'ctx': return 'c';
      case 'func': return `F${v.target}`;
      case 'btf': return 'b';
      case 'any': return '*';
    }
  };
  const parts: string[] = [];
  s.frames.forEach((fr, fi) => {
    const mask = live(fi);
    parts.push(`|${fr.callsite}:`);
    fr.regs.forEach((v, r) => { if (r === 10 || mask & (1 << r)) parts.push(val(v)); else parts.push('-'); });
    const slots = [...fr.stack.entries()].sort((a, b) => a[0] - b[0]);
    for (const [i, slot] of slots) {
      parts.push(`[${i}]${slot.k === 'spill' ? val(slot.v) : slot.k === 'irq' ? `irq${slot.cls}#${id(slot.id)}` : 'm'}`);
    }
  });
  parts.push('L');
  for (const l of s.locks) parts.push(`${l.type}${l.map}#${id(l.id)}`);
  parts.push('I');
  for (const q of s.irqs) parts.push(`${id(q.id)}`);
  return parts.join(',');
}
