// The verifier's state along one path (include/linux/bpf_verifier.h struct bpf_verifier_state,
// bpf_func_state, bpf_stack_state, bpf_reference_state). Registers and stack slots are immutable values;
// frames and states are copied when the walk forks (push_stack) and changed in place on the path itself.
import { RegType, type RegState } from '../reg-state.js';
import { scalarUnknown } from '../scalar.js';
import type { LinkedReg } from './precision.js';

/** A conditional jump's linked registers (the kernel's insn_hist_entry.linked_regs), by history index. */
export interface LinkedRecord {
  readonly at: number;
  readonly regs: readonly LinkedReg[];
}

/** enum bpf_stack_slot_type. */
export const SlotType = { Invalid: 0, Spill: 1, Misc: 2, Zero: 3, Dynptr: 4, Iter: 5, IrqFlag: 6 } as const;

/** include/linux/bpf_verifier.h BPF_REG_SIZE; the frame pointer is r10. */
export const REG_SIZE = 8;
export const FP = 10;
export const MAX_BPF_REG = 11;

/**
 * Eight bytes of stack (struct bpf_stack_state), indexed as the kernel's slot_type: the byte at frame
 * offset `off` is `types[(-off - 1) % 8]`, so types[7] is the slot's lowest address (where a spill
 * starts); `spilled` is the register saved there.
 */
export interface StackSlot {
  readonly types: readonly number[];
  readonly spilled: RegState;
}

/** is_spilled_scalar_reg: the slot holds a spilled scalar (its lowest byte a spill). */
export const isSpilledScalar = (slot: StackSlot): boolean => slot.types[REG_SIZE - 1] === SlotType.Spill && slot.spilled.type === RegType.Scalar;

export const NOT_INIT: RegState = {
  type: RegType.NotInit, value: scalarUnknown(), off: 0, id: 0, refObjId: 0, range: 0, map: -1, frameno: 0, target: 0, precise: false,
};

export class FuncState {
  regs: RegState[];
  /** stack[spi] holds bytes [-(spi + 1) * 8, -spi * 8) of the frame. */
  stack: (StackSlot | undefined)[];
  constructor(
    readonly frameno: number,
    /** The call instruction that entered this frame; -1 for the entry frame. */
    readonly callsite: number,
    /** The subprogram (its index in the program's subprogram list). */
    readonly subprog: number,
    regs?: RegState[],
    stack?: (StackSlot | undefined)[],
  ) {
    this.regs = regs ?? Array.from({ length: MAX_BPF_REG }, () => NOT_INIT);
    this.stack = stack ?? [];
  }

  clone(): FuncState {
    return new FuncState(this.frameno, this.callsite, this.subprog, this.regs.slice(), this.stack.slice());
  }

  /** Bytes of stack in use (allocated_stack): the deepest slot written or read. */
  get allocatedStack(): number {
    return this.stack.length * REG_SIZE;
  }
}

/** An acquired reference (struct bpf_reference_state, REF_TYPE_PTR): its id and the call that took it. */
export interface Reference {
  readonly id: number;
  readonly insn: number;
}

export class VerifierState {
  constructor(
    public frames: FuncState[],
    /** acquired_refs: references the path holds, oldest first (one list for all frames, as since 6.14). */
    public refs: readonly Reference[] = [],
    /**
     * The instructions this path ran since its last checkpoint (the kernel's insn_hist, expanded to every
     * instruction), each with its flags (precision.ts historyPc, recordFlags).
     */
    public history: number[] = [],
    /** jmp_history_cnt: jump points passed since the last checkpoint. */
    public jmpHistoryCnt = 0,
    /** The linked registers of the history's conditional jumps, in history order. */
    public linked: LinkedRecord[] = [],
  ) {}

  get cur(): FuncState {
    return this.frames[this.frames.length - 1]!;
  }

  clone(): VerifierState {
    return new VerifierState(this.frames.map((f) => f.clone()), this.refs, this.history.slice(), this.jmpHistoryCnt, this.linked.slice());
  }
}

/** Every register and spilled register of every frame of `s`, to be replaced by `f`'s answer. */
export function forEachReg(s: VerifierState, f: (r: RegState) => RegState): void {
  for (const frame of s.frames) {
    for (let i = 0; i < frame.regs.length; i++) frame.regs[i] = f(frame.regs[i]!);
    for (let spi = 0; spi < frame.stack.length; spi++) {
      const slot = frame.stack[spi];
      if (slot && slot.types[REG_SIZE - 1] === SlotType.Spill) frame.stack[spi] = { ...slot, spilled: f(slot.spilled) };
    }
  }
}
