// The verifier's lock discipline (kernel/bpf/verifier.c, Linux 6.18), checked by walking every path of
// a program with an abstract state, as do_check does: which register points into which map value (and
// with which lookup id), which bpf_spin_lock / bpf_res_spin_lock is held, which irq flags are saved. The
// rules and their messages are the kernel's; each Refusal names the kernel function it comes from.
//
// The walk is depth first in the kernel's order (a branch continues with the fall-through and leaves the
// jump target for later; a res-lock call continues with success and leaves failure for later), so the
// first violation found is the one the kernel reports. What the model does not know (packet pointers,
// kfuncs it cannot name, callbacks) ends that path quietly: the checker may miss a violation there, but
// never refuses a program the kernel accepts. Work is capped; a program too big to finish is accepted.
import { EACCES, EINVAL } from '../../errno.js';
import { ProgType } from '../programs/contexts.js';
import { AluOp, Class, classOf, JmpOp, LD_IMM64, Mode, modeOf, opOf, sizeBytes, Source, srcOf } from '../programs/isa.js';
import type { Insn } from '../programs/types.js';
import type { CheckedMap, CheckFailure, CheckInput } from './index.js';
import { liveRegisters, prunePoints } from './liveness.js';
import {
  ANY, entryFrame, type Frame, type HeldLock, type IrqClass, type LockType, mapValues, NONE, type Slot, type State,
  stateKey, topFrame, type Value, withFrame, withTopRegs,
} from './lock-state.js';
import {
  aluRange, constant, decide, isConst, loadedRange, low32, narrow, negRange, type Range, signExtend, unknown64, zext32,
} from './ranges.js';

/** include/linux/bpf.h BPF_COMPLEXITY_LIMIT_INSNS: the kernel's budget; past it this checker accepts. */
const INSN_BUDGET = 1_000_000;
/** include/linux/bpf_verifier.h MAX_CALL_FRAMES. */
const MAX_CALL_FRAMES = 8;
/** include/linux/err.h MAX_ERRNO: a failed res lock returns a value in [-MAX_ERRNO, -1]. */
const MAX_ERRNO = 4095n;

/** Helper ids (include/uapi/linux/bpf.h). */
const Helper = { MapLookupElem: 1, TailCall: 12, GetLocalStorage: 81, SpinLock: 93, SpinUnlock: 94 } as const;

/** Program types that may use BPF_LD_[ABS|IND] (kernel/bpf/verifier.c may_access_skb). */
const skbProgramTypes: ReadonlySet<number> = new Set([ProgType.SocketFilter, ProgType.SchedCls, ProgType.SchedAct]);
/**
 * kernel/bpf/verifier.c is_tracing_prog_type: KPROBE, TRACEPOINT, PERF_EVENT, RAW_TRACEPOINT,
 * RAW_TRACEPOINT_WRITABLE (enum bpf_prog_type; the emulator runs none of them, so no shared name exists).
 */
const tracingProgramTypes: ReadonlySet<number> = new Set([2, 5, 7, 17, 24]);

/** kfuncs callable while a lock is held (kernel/bpf/verifier.c kfunc_spin_allowed): graph API, bpf_iter_num_*, res locks. */
const kfuncsAllowedLocked: ReadonlySet<string> = new Set([
  'bpf_list_push_front_impl', 'bpf_list_push_back_impl', 'bpf_list_pop_front', 'bpf_list_pop_back', 'bpf_list_front',
  'bpf_list_back', 'bpf_rbtree_add_impl', 'bpf_rbtree_remove', 'bpf_rbtree_first', 'bpf_rbtree_root', 'bpf_rbtree_left',
  'bpf_rbtree_right', 'bpf_refcount_acquire_impl', 'bpf_iter_num_new', 'bpf_iter_num_next', 'bpf_iter_num_destroy',
  'bpf_res_spin_lock', 'bpf_res_spin_unlock', 'bpf_res_spin_lock_irqsave', 'bpf_res_spin_unlock_irqrestore',
]);


/** A violation found on the current path. */
class Refusal {
  constructor(readonly pc: number, readonly message: string, readonly errno: number) {}
}

/** The current path leaves the model (the kernel may refuse it for a reason outside these rules). */
class OutOfModel {}
const OUT = new OutOfModel();

type Step = { next: number; state: State; fork?: { pc: number; state: State } } | 'end';

interface Program {
  insns: readonly Insn[];
  type: number;
  maps: CheckedMap[];
  /** ld_imm64 instruction → its value (object relocations resolved through mapOf). */
  loads: Map<number, Value>;
  kfuncs: Map<number, string>;
  globals: Set<number>;
  live: Uint16Array;
  prune: Uint8Array;
}

const scalar = (r: Range, id = 0): Value => ({ k: 'scalar', r, id });
const unknownScalar = (): Value => scalar(unknown64());
const lockStr = (res: boolean): string => (res ? 'bpf_res_spin' : 'bpf_spin');
const fieldName = { spin: 'bpf_spin_lock', res: 'bpf_res_spin_lock' } as const;

export function checkLocks(input: CheckInput): CheckFailure | undefined {
  const program = prepare(input);
  const checker = new Walker(program);
  return checker.run();
}

/** Sees the registers of the current frame at every helper call the walk reaches, once per distinct state. */
export type HelperCallObserver = (pc: number, helper: number, regs: readonly Value[]) => void;

/**
 * The same walk for another question (loop-inline.ts): reports each helper call it reaches. True when the
 * walk saw every path of the main program and of the global functions it calls: no path left the model,
 * the budget held, nothing was refused. Callback bodies (bpf_loop & co) are not walked either way.
 */
export function observeHelperCalls(input: CheckInput, observe: HelperCallObserver): boolean {
  const walker = new Walker(prepare(input), observe);
  return walker.run() === undefined && walker.complete;
}

function prepare(input: CheckInput): Program {
  const maps: CheckedMap[] = [];
  const mapIndex = (m: CheckedMap | undefined): number | undefined => {
    if (!m) return undefined;
    let i = maps.indexOf(m);
    if (i < 0) i = maps.push(m) - 1;
    return i;
  };
  const byName = new Map<string, CheckedMap | undefined>();
  const named = (name: string): CheckedMap | undefined => {
    if (!byName.has(name)) byName.set(name, input.mapOf({ name }));
    return byName.get(name);
  };
  const byIndex = new Map<number, CheckedMap | undefined>();
  const indexed = (index: number): CheckedMap | undefined => {
    if (!byIndex.has(index)) byIndex.set(index, input.mapOf({ index }));
    return byIndex.get(index);
  };
  const loads = new Map<number, Value>();
  const kfuncs = new Map<number, string>();
  const relocs = new Map(input.relocs.map((r) => [r.insn, r]));
  input.insns.forEach((insn, i) => {
    const reloc = relocs.get(i);
    if (reloc?.kind === 'kfunc') { kfuncs.set(i, reloc.name); return; }
    if (insn.code !== LD_IMM64) return;
    const hi = input.insns[i + 1]?.imm ?? 0;
    let v: Value;
    if (reloc?.kind === 'map') {
      const m = mapIndex(named(reloc.map));
      v = m === undefined ? ANY : { k: 'map', map: m };
    } else if (reloc?.kind === 'mapValue') {
      // kernel/bpf/verifier.c check_ld_imm: global data is a PTR_TO_MAP_VALUE with id 0 (not distinct).
      const m = mapIndex(named(reloc.map));
      v = m === undefined ? ANY : { k: 'value', map: m, off: constant(BigInt(reloc.offset)), id: 0, nullable: false };
    } else if (reloc) {
      v = ANY;
    } else if (insn.src === 0) {
      v = scalar(constant(BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(insn.imm >>> 0))));
    } else if (insn.src === 5) {
      const m = mapIndex(indexed(insn.imm));
      v = m === undefined ? ANY : { k: 'map', map: m };
    } else if (insn.src === 6) {
      const m = mapIndex(indexed(insn.imm));
      v = m === undefined ? ANY : { k: 'value', map: m, off: constant(BigInt(hi)), id: 0, nullable: false };
    } else if (insn.src === 4) {
      v = { k: 'func', target: i + 1 + insn.imm };
    } else {
      v = ANY;
    }
    loads.set(i, v);
  });
  return {
    insns: input.insns, type: input.type, maps, loads, kfuncs,
    globals: new Set(input.functions.filter((f) => f.global && f.start !== 0).map((f) => f.start)),
    live: liveRegisters(input.insns), prune: prunePoints(input.insns),
  };
}

class Walker {
  readonly #p: Program;
  #idGen = 0;
  #processed = 0;
  readonly #seen = new Map<number, Set<string>>();
  /** Global subprograms met by a call: verified on their own after the entry (kernel do_check_subprogs). */
  readonly #calledGlobals: number[] = [];
  readonly #observe: HelperCallObserver | undefined;
  /** A path ended outside the model, or the budget ran out: some paths were not seen. */
  #partial = false;

  constructor(p: Program, observe?: HelperCallObserver) {
    this.#p = p;
    this.#observe = observe;
  }

  /** Every path was walked (meaningful after run()). */
  get complete(): boolean {
    return !this.#partial;
  }

  run(): CheckFailure | undefined {
    const incompatible = this.#incompatibleMap();
    if (incompatible) return { errno: EINVAL, log: `${incompatible}\n` };
    try {
      if (!this.#walk(0, [{ k: 'ctx' }])) return undefined;
      for (let i = 0; i < this.#calledGlobals.length; i++) {
        // A global function's arguments are checked against its BTF by the kernel; here they are unknown.
        if (!this.#walk(this.#calledGlobals[i]!, [ANY, ANY, ANY, ANY, ANY])) return undefined;
      }
      return undefined;
    } catch (e) {
      if (e instanceof Refusal) return { errno: e.errno, log: `${describeInsn(this.#p, e.pc)}\n${e.message}\n` };
      throw e;
    }
  }

  /**
   * kernel/bpf/verifier.c check_map_prog_compatibility, run for each map an ld_imm64 names before any
   * instruction is walked: socket filters and tracing programs may not use lock-bearing maps at all.
   */
  #incompatibleMap(): string | undefined {
    for (const v of this.#p.loads.values()) {
      if (v.k !== 'map' && v.k !== 'value') continue;
      if (this.#p.maps[v.map]!.locks.length === 0) continue;
      if (this.#p.type === ProgType.SocketFilter) return 'socket filter progs cannot use bpf_spin_lock yet';
      if (tracingProgramTypes.has(this.#p.type)) return 'tracing progs cannot use bpf_spin_lock yet';
    }
    return undefined;
  }

  /** Writes a register; a new unknown scalar gets an id, so that copies of it are narrowed together. */
  #setReg(s: State, r: number, v: Value): State {
    if (r === 10) throw OUT; // "frame pointer is read only"
    const regs = topFrame(s).regs.slice();
    regs[r] = this.#linkable(v);
    return withTopRegs(s, regs);
  }

  /** After a call: r0 is the result, r1-r5 are NOT_INIT (kernel clear_caller_saved_regs). */
  #clobber(s: State, r0: Value): State {
    const regs = topFrame(s).regs.slice();
    regs[0] = this.#linkable(r0);
    for (let r = 1; r <= 5; r++) regs[r] = NONE;
    return withTopRegs(s, regs);
  }

  /** kernel/bpf/verifier.c check_alu_op (BPF_MOV): a copied scalar shares an id with its source. */
  #linkable(v: Value): Value {
    return v.k === 'scalar' && v.id === 0 && !isConst(v.r) ? scalar(v.r, this.#fresh()) : v;
  }

  #fresh(): number {
    return ++this.#idGen;
  }

  /** Walks every path from `start` as a main program; false when the budget ran out. */
  #walk(start: number, args: Value[]): boolean {
    const regs: Value[] = [NONE, ...args];
    while (regs.length < 10) regs.push(NONE);
    regs[10] = { k: 'stack', frame: 0, off: constant(0n) };
    const pending: { pc: number; state: State }[] = [{ pc: start, state: { frames: [entryFrame(regs, -1)], locks: [], irqs: [] } }];
    while (pending.length > 0) {
      let { pc, state } = pending.pop()!;
      for (;;) {
        if (++this.#processed > INSN_BUDGET) {
          this.#partial = true;
          return false;
        }
        if (pc < 0 || pc >= this.#p.insns.length) break; // the structural checker reports bad jumps
        if (this.#p.prune[pc] && this.#visited(pc, state)) break;
        let step: Step;
        try {
          step = this.#step(pc, state);
        } catch (e) {
          if (e === OUT) {
            this.#partial = true;
            break;
          }
          throw e;
        }
        if (step === 'end') break;
        if (step.fork) pending.push(step.fork);
        pc = step.next;
        state = step.state;
      }
    }
    return true;
  }

  #visited(pc: number, state: State): boolean {
    const { live, insns } = this.#p;
    const key = stateKey(state, (fi) => {
      if (fi === state.frames.length - 1) return live[pc]!;
      // A caller's registers as its return site will read them: r0 is the callee's, r1-r5 are clobbered.
      const back = state.frames[fi + 1]!.callsite + 1;
      return back < insns.length ? live[back]! & ~0x3f : 0;
    });
    let set = this.#seen.get(pc);
    if (!set) this.#seen.set(pc, (set = new Set()));
    if (set.has(key)) return true;
    set.add(key);
    return false;
  }

  #step(pc: number, s: State): Step {
    const insn = this.#p.insns[pc]!;
    const cls = classOf(insn.code);
    switch (cls) {
      case Class.Alu:
      case Class.Alu64:
        return { next: pc + 1, state: this.#setReg(s, insn.dst, this.#alu(insn, s, cls === Class.Alu64)) };
      case Class.Ldx:
        return { next: pc + 1, state: this.#load(pc, insn, s) };
      case Class.St:
      case Class.Stx:
        return { next: pc + 1, state: this.#store(pc, insn, s) };
      case Class.Ld:
        if (insn.code === LD_IMM64) return { next: pc + 2, state: this.#setReg(s, insn.dst, this.#p.loads.get(pc) ?? ANY) };
        return this.#ldAbs(pc, s);
      case Class.Jmp:
      case Class.Jmp32:
        return this.#jump(pc, insn, s, cls === Class.Jmp32);
      default:
        throw OUT;
    }
  }

  // ---- ALU ---------------------------------------------------------------------------------------------

  #alu(insn: Insn, s: State, is64: boolean): Value {
    const regs = topFrame(s).regs;
    const op = opOf(insn.code);
    const dst = regs[insn.dst]!;
    const src: Value = srcOf(insn.code) === Source.X ? regs[insn.src]! : scalar(constant(BigInt(insn.imm)));
    if (op === AluOp.Mov) {
      if (srcOf(insn.code) === Source.K) return scalar(is64 ? constant(BigInt(insn.imm)) : constant(BigInt(insn.imm >>> 0)));
      if (src.k === 'scalar') {
        if (!is64) return scalar(zext32(insn.off ? signExtend(low32(src.r), insn.off as 8 | 16) : low32(src.r)));
        if (insn.off) return scalar(signExtend(src.r, insn.off as 8 | 16 | 32));
        return src; // a copy keeps the link (the id was given when the source was made)
      }
      if (!is64 || insn.off) return src.k === 'none' ? ANY : unknownScalar();
      return src;
    }
    // ALU END to little-endian, 64 bits, is the identity on this (little-endian) ISA; swaps are not tracked.
    if (op === AluOp.End) return dst.k === 'scalar' && !is64 && insn.imm === 64 && srcOf(insn.code) === Source.K ? dst : unknownScalar();
    if (op === AluOp.Neg) return dst.k === 'scalar' ? scalar(is64 ? negRange(dst.r, 64) : zext32(negRange(low32(dst.r), 32))) : unknownScalar();
    if (dst.k === 'scalar' && src.k === 'scalar') {
      if (!is64) return scalar(zext32(aluRange(op, low32(dst.r), low32(src.r), 32)));
      return scalar(aluRange(op, dst.r, src.r, 64));
    }
    // Pointer arithmetic (kernel adjust_ptr_min_max_vals): add/sub of a scalar moves the offset.
    if (is64 && (op === AluOp.Add || op === AluOp.Sub)) {
      const moved = (p: Value, d: Range, sign: 1 | -1): Value => {
        if (p.k === 'value') return { ...p, off: aluRange(sign === 1 ? AluOp.Add : AluOp.Sub, p.off, d, 64) };
        if (p.k === 'stack') return { ...p, off: aluRange(sign === 1 ? AluOp.Add : AluOp.Sub, p.off, d, 64) };
        return p;
      };
      if (src.k === 'scalar' && (dst.k === 'value' || dst.k === 'stack' || dst.k === 'ctx')) {
        if (dst.k === 'value' && dst.nullable) throw OUT; // kernel: arithmetic on map_value_or_null prohibited
        return moved(dst, src.r, op === AluOp.Add ? 1 : -1);
      }
      if (op === AluOp.Add && dst.k === 'scalar' && (src.k === 'value' || src.k === 'stack' || src.k === 'ctx')) {
        if (src.k === 'value' && src.nullable) throw OUT;
        return moved(src, dst.r, 1);
      }
    }
    if (dst.k === 'none' || src.k === 'none') throw OUT; // kernel: "!read_ok"
    // An operand outside the model is a scalar whenever the kernel accepts the program: pointer + pointer,
    // and every operator but add/sub on a pointer, are refused (adjust_ptr_min_max_vals). So a map value
    // pointer plus such an operand has an unknown offset, and other operators bound what they can.
    if (is64 && (op === AluOp.Add || op === AluOp.Sub) && dst.k === 'value' && !dst.nullable && src.k === 'any') {
      return { ...dst, off: unknown64() };
    }
    if (is64 && op === AluOp.Add && src.k === 'value' && !src.nullable && dst.k === 'any') return { ...src, off: unknown64() };
    if (op === AluOp.Add || op === AluOp.Sub) return dst.k === 'any' || src.k === 'any' ? ANY : unknownScalar();
    const asScalar = (v: Value): Range => (v.k === 'scalar' ? (is64 ? v.r : low32(v.r)) : is64 ? unknown64() : low32(unknown64()));
    const r = aluRange(op, asScalar(dst), asScalar(src), is64 ? 64 : 32);
    return scalar(is64 ? r : zext32(r));
  }

  // ---- memory ------------------------------------------------------------------------------------------

  /** kernel/bpf/verifier.c check_map_access: no load or store may touch a lock field, else -EACCES. */
  #checkMapAccess(pc: number, base: Value & { k: 'value' }, off: number, size: number): void {
    if (base.nullable) throw OUT; // "invalid mem access 'map_value_or_null'"
    const map = this.#p.maps[base.map]!;
    const lo = base.off.min + BigInt(off);
    const hi = base.off.max + BigInt(off) + BigInt(size);
    if (lo < 0n || hi > BigInt(map.valueSize)) throw OUT; // out of range: another message
    for (const lock of map.locks) {
      const at = BigInt(lock.offset);
      if (lo < at + 4n && at < hi) {
        throw new Refusal(pc, `${fieldName[lock.kind]} cannot be accessed directly by load/store`, EACCES);
      }
    }
  }

  #load(pc: number, insn: Insn, s: State): State {
    const base = topFrame(s).regs[insn.src]!;
    const size = sizeBytes(insn.code);
    const signed = modeOf(insn.code) === Mode.MemSx;
    if (modeOf(insn.code) !== Mode.Mem && !signed) throw OUT;
    let v: Value;
    switch (base.k) {
      case 'value':
        this.#checkMapAccess(pc, base, insn.off, size);
        v = scalar(loadedRange(size, signed));
        break;
      case 'stack': {
        const slot = stackSlot(s, base, insn.off, size);
        if (slot?.k === 'irq') throw OUT;
        v = slot?.k === 'spill' && size === 8 ? slot.v : scalar(loadedRange(size, signed));
        break;
      }
      case 'ctx':
      case 'any':
        v = ANY; // context fields may be packet pointers; other memory may hold anything
        break;
      default:
        throw OUT; // dereference of a scalar, a map handle, NOT_INIT: refused by the kernel, not a lock rule
    }
    return this.#setReg(s, insn.dst, v);
  }

  #store(pc: number, insn: Insn, s: State): State {
    const regs = topFrame(s).regs;
    const base = regs[insn.dst]!;
    const size = sizeBytes(insn.code);
    const mode = modeOf(insn.code);
    const isStx = classOf(insn.code) === Class.Stx;
    if (mode !== Mode.Mem && !(isStx && mode === Mode.Atomic)) throw OUT;
    const atomic = mode === Mode.Atomic;
    // BPF_LOAD_ACQ is a load: dst = *(src + off).
    if (atomic && insn.imm === 0x100) return this.#load(pc, { ...insn, code: (insn.code & ~0xe7) | Class.Ldx | Mode.Mem }, s);
    if (isStx && regs[insn.src]!.k === 'none') throw OUT;
    let out = s;
    switch (base.k) {
      case 'value':
        this.#checkMapAccess(pc, base, insn.off, size);
        break;
      case 'stack': {
        const spilled: Value | undefined = atomic || size !== 8 ? undefined
          : isStx ? regs[insn.src]! : scalar(constant(BigInt(insn.imm)));
        out = writeStack(s, base, insn.off, size, spilled);
        break;
      }
      case 'ctx':
      case 'any':
        break;
      default:
        throw OUT;
    }
    if (atomic) {
      if (insn.imm === 0xf1) out = this.#setReg(out, 0, unknownScalar()); // cmpxchg: old value into r0
      else if (insn.imm !== 0x110 && insn.imm & 0x01) out = this.#setReg(out, insn.src, unknownScalar()); // fetch: old value into src
    }
    return out;
  }

  /** kernel/bpf/verifier.c check_ld_abs: the legacy packet loads may end the program, so not while locked. */
  #ldAbs(pc: number, s: State): Step {
    const insn = this.#p.insns[pc]!;
    if (!skbProgramTypes.has(this.#p.type)) throw OUT; // "not allowed for this program type"
    // Checked first there: reserved fields, then that r6 (the skb) is readable.
    const mode = modeOf(insn.code);
    if (mode !== Mode.Abs && mode !== Mode.Ind) throw OUT;
    if (insn.dst !== 0 || insn.off !== 0 || sizeBytes(insn.code) === 8 || (mode === Mode.Abs && insn.src !== 0)) throw OUT;
    if (topFrame(s).regs[6]!.k === 'none') throw OUT;
    this.#resourceLeak(pc, s, 'BPF_LD_[ABS|IND]', true);
    return { next: pc + 1, state: this.#clobber(s, unknownScalar()) };
  }

  /** kernel/bpf/verifier.c check_resource_leak, the lock and irq parts, in its order. */
  #resourceLeak(pc: number, s: State, prefix: string, checkLock: boolean): void {
    if (checkLock && s.locks.length > 0) throw new Refusal(pc, `${prefix} cannot be used inside bpf_spin_lock-ed region`, EINVAL);
    if (checkLock && s.irqs.length > 0) throw new Refusal(pc, `${prefix} cannot be used inside bpf_local_irq_save-ed region`, EINVAL);
  }

  // ---- jumps and calls ---------------------------------------------------------------------------------

  #jump(pc: number, insn: Insn, s: State, is32: boolean): Step {
    const op = opOf(insn.code);
    if (op === JmpOp.Ja) return { next: pc + 1 + (is32 ? insn.imm : insn.off), state: s };
    if (op === JmpOp.Call) return this.#call(pc, insn, s);
    if (op === JmpOp.Exit) return this.#exit(pc, s);
    if (op === JmpOp.Jcond) return { next: pc + 1, state: s, fork: { pc: pc + 1 + insn.off, state: s } };
    const regs = topFrame(s).regs;
    const a = regs[insn.dst]!;
    const b: Value = srcOf(insn.code) === Source.X ? regs[insn.src]! : scalar(constant(BigInt(insn.imm)));
    if (a.k === 'none' || b.k === 'none') throw OUT;
    const target = pc + 1 + insn.off;
    const branches = this.#branch(op, a, b, insn, s, is32);
    const [fallthrough, taken] = branches;
    if (fallthrough && taken) return { next: pc + 1, state: fallthrough, fork: { pc: target, state: taken } };
    if (taken) return { next: target, state: taken };
    if (fallthrough) return { next: pc + 1, state: fallthrough };
    return 'end';
  }

  /** The states on the fall-through and the taken side (undefined: impossible), as check_cond_jmp_op. */
  #branch(op: number, a: Value, b: Value, insn: Insn, s: State, is32: boolean): [State | undefined, State | undefined] {
    const isZero = (v: Value): boolean => v.k === 'scalar' && isConst(v.r) && v.r.min === 0n;
    // Null checks of map lookups (mark_ptr_or_null_regs), 64-bit compares with 0 only.
    if (!is32 && (op === JmpOp.Jeq || op === JmpOp.Jne) && a.k === 'value' && isZero(b)) {
      if (!a.nullable) return op === JmpOp.Jeq ? [s, undefined] : [undefined, s];
      const isNull = this.#markNull(s, a.id, true);
      const notNull = this.#markNull(s, a.id, false);
      return op === JmpOp.Jeq ? [notNull, isNull] : [isNull, notNull];
    }
    if (a.k !== 'scalar' || b.k !== 'scalar') return [s, s];
    const ra = is32 ? low32(a.r) : a.r;
    const rb = is32 ? low32(b.r) : b.r;
    const verdict = decide(op, ra, rb, is32 ? 32 : 64);
    if (verdict === true) return [undefined, s];
    if (verdict === false) return [s, undefined];
    // Narrow the register compared with a constant, and every copy linked to it.
    const fits32 = (r: Range): boolean => r.min >= 0n && r.max < 1n << 31n;
    if (isConst(b.r) && (!is32 || (fits32(a.r) && fits32(b.r)))) {
      const on = (taken: boolean): State | undefined => {
        const r = narrow(op, a.r, b.r.min, taken);
        if (!r) return undefined;
        return this.#narrowLinked(s, a, r, insn.dst);
      };
      return [on(false), on(true)];
    }
    return [s, s];
  }

  #narrowLinked(s: State, a: Value & { k: 'scalar' }, r: Range, dst: number): State {
    if (a.id === 0) return this.#setReg(s, dst, scalar(r));
    return mapValues(s, (v) => (v.k === 'scalar' && v.id === a.id ? scalar(r, a.id) : undefined));
  }

  #markNull(s: State, id: number, isNull: boolean): State {
    return mapValues(s, (v) => {
      if (v.k !== 'value' || !v.nullable || v.id !== id) return undefined;
      if (isNull) return scalar(constant(0n));
      // The id stays only where a lock may be taken through the pointer (reg_may_point_to_spin_lock).
      return { ...v, nullable: false, id: this.#p.maps[v.map]!.locks.length > 0 ? v.id : 0 };
    });
  }

  #exit(pc: number, s: State): Step {
    if (s.frames.length === 1) {
      // kernel/bpf/verifier.c process_bpf_exit_full: the lock check applies to the main frame only.
      this.#resourceLeak(pc, s, 'BPF_EXIT instruction in main prog', true);
      return 'end';
    }
    const callee = topFrame(s);
    const frames = s.frames.slice(0, -1);
    const caller = frames[frames.length - 1]!;
    const regs = caller.regs.slice();
    regs[0] = callee.regs[0]!;
    for (let r = 1; r <= 5; r++) regs[r] = NONE;
    frames[frames.length - 1] = { ...caller, regs };
    return { next: callee.callsite + 1, state: { ...s, frames } };
  }

  #call(pc: number, insn: Insn, s: State): Step {
    const kfunc = insn.src === 2 ? this.#p.kfuncs.get(pc) : undefined;
    if (insn.src === 2 && kfunc === undefined) throw OUT; // a kfunc by BTF id only: cannot tell which
    // kernel/bpf/verifier.c do_check_insn: while a lock is held, only bpf_spin_unlock and a few kfuncs.
    if (s.locks.length > 0) {
      const allowed = insn.src === 0 ? insn.imm === Helper.SpinUnlock
        : insn.src === 2 ? insn.off === 0 && kfuncsAllowedLocked.has(kfunc!)
          : true;
      if (!allowed) throw new Refusal(pc, 'function calls are not allowed while holding a lock', EINVAL);
    }
    if (insn.src === 1) return this.#callLocal(pc, insn, s);
    if (insn.src === 2) return this.#callKfunc(pc, kfunc!, s);
    if (insn.src !== 0) throw OUT;
    return this.#callHelper(pc, insn.imm, s);
  }

  #callLocal(pc: number, insn: Insn, s: State): Step {
    const target = pc + 1 + insn.imm;
    if (this.#p.globals.has(target)) {
      // kernel/bpf/verifier.c check_func_call: a global function is verified apart, assuming no lock.
      if (s.locks.length > 0) throw new Refusal(pc, 'global function calls are not allowed while holding a lock,\nuse static function instead', EINVAL);
      if (s.irqs.length > 0) throw new Refusal(pc, 'global function calls are not allowed with IRQs disabled,\nuse static function instead', EINVAL);
      if (!this.#calledGlobals.includes(target)) this.#calledGlobals.push(target);
      return { next: pc + 1, state: this.#clobber(s, unknownScalar()) };
    }
    if (s.frames.length >= MAX_CALL_FRAMES) throw OUT;
    const callerRegs = topFrame(s).regs;
    const regs: Value[] = Array.from({ length: 11 }, () => NONE);
    for (let r = 1; r <= 5; r++) regs[r] = callerRegs[r]!;
    regs[10] = { k: 'stack', frame: s.frames.length, off: constant(0n) };
    return { next: target, state: { ...s, frames: [...s.frames, entryFrame(regs, pc)] } };
  }

  #callHelper(pc: number, id: number, s: State): Step {
    const regs = topFrame(s).regs;
    this.#observe?.(pc, id, regs);
    let r0: Value = unknownScalar();
    switch (id) {
      case Helper.SpinLock:
      case Helper.SpinUnlock:
        s = this.#spinLock(pc, s, 1, { res: false, lock: id === Helper.SpinLock, irq: false });
        break;
      case Helper.MapLookupElem: {
        const m = regs[1]!;
        if (m.k !== 'map') throw OUT;
        r0 = { k: 'value', map: m.map, off: constant(0n), id: this.#fresh(), nullable: true };
        break;
      }
      case Helper.GetLocalStorage: {
        const m = regs[1]!;
        if (m.k !== 'map') throw OUT;
        // RET_PTR_TO_MAP_VALUE: never null; an id when the value holds a lock (check_helper_call).
        r0 = { k: 'value', map: m.map, off: constant(0n), id: this.#p.maps[m.map]!.locks.length > 0 ? this.#fresh() : 0, nullable: false };
        break;
      }
      case Helper.TailCall:
        // check_helper_call: a tail call leaves the program like an exit (locks were refused above).
        this.#resourceLeak(pc, s, 'tail_call', true);
        break;
      default:
        break;
    }
    return { next: pc + 1, state: this.#clobber(s, r0) };
  }

  #callKfunc(pc: number, name: string, s: State): Step {
    switch (name) {
      case 'bpf_res_spin_lock':
      case 'bpf_res_spin_lock_irqsave': {
        const irq = name === 'bpf_res_spin_lock_irqsave';
        // check_kfunc_call forks before the arguments are checked: the failure branch holds nothing and
        // sees r0 in [-MAX_ERRNO, -1]; this path goes on holding the lock with r0 = 0.
        const failed = this.#clobber(s, scalar({ min: -MAX_ERRNO, max: -1n }));
        let held = this.#spinLock(pc, s, 1, { res: true, lock: true, irq });
        if (irq) held = this.#irqFlag(pc, held, 2, true, 'lock');
        return { next: pc + 1, state: this.#clobber(held, scalar(constant(0n))), fork: { pc: pc + 1, state: failed } };
      }
      case 'bpf_res_spin_unlock':
      case 'bpf_res_spin_unlock_irqrestore': {
        const irq = name === 'bpf_res_spin_unlock_irqrestore';
        let out = this.#spinLock(pc, s, 1, { res: true, lock: false, irq });
        if (irq) out = this.#irqFlag(pc, out, 2, false, 'lock');
        return { next: pc + 1, state: this.#clobber(out, NONE) };
      }
      case 'bpf_local_irq_save':
      case 'bpf_local_irq_restore':
        return { next: pc + 1, state: this.#clobber(this.#irqFlag(pc, s, 1, name === 'bpf_local_irq_save', 'native'), NONE) };
      default:
        return { next: pc + 1, state: this.#clobber(s, ANY) };
    }
  }

  /** kernel/bpf/verifier.c process_spin_lock: where the lock is, and the held-lock bookkeeping. */
  #spinLock(pc: number, s: State, regno: number, how: { res: boolean; lock: boolean; irq: boolean }): State {
    const reg = topFrame(s).regs[regno]!;
    const str = lockStr(how.res);
    if (reg.k !== 'value') {
      // Not a map value: refused by the argument checks (check_func_arg, check_kfunc_args) before
      // process_spin_lock, with messages about types this model does not track; or an allocated object.
      throw OUT;
    }
    if (reg.nullable) throw OUT; // "R1 type=map_value_or_null expected=map_value"
    if (!isConst(reg.off)) {
      throw new Refusal(pc, `R${regno} doesn't have constant offset. ${str}_lock has to be at the constant offset`, EINVAL);
    }
    const map = this.#p.maps[reg.map]!;
    if (!map.hasBtf) throw new Refusal(pc, `map '${map.name}' has to have BTF in order to use ${str}_lock`, EINVAL);
    const field = map.locks.find((l) => l.kind === (how.res ? 'res' : 'spin'));
    if (!field) throw new Refusal(pc, `map '${map.name}' has no valid ${str}_lock`, EINVAL);
    if (BigInt(field.offset) !== reg.off.min) {
      throw new Refusal(pc, `off ${reg.off.min} doesn't point to 'struct ${str}_lock' that is at ${field.offset}`, EINVAL);
    }
    const type: LockType = how.res ? (how.irq ? 'resIrq' : 'res') : 'spin';
    if (how.lock) {
      if (!how.res && s.locks.some((l) => l.type === 'spin')) throw new Refusal(pc, 'Locking two bpf_spin_locks are not allowed', EINVAL);
      if (how.res && s.locks.some((l) => l.type !== 'spin' && l.id === reg.id && l.map === reg.map)) {
        throw new Refusal(pc, 'Acquiring the same lock again, AA deadlock detected', EINVAL);
      }
      const held: HeldLock = { type, id: reg.id, map: reg.map };
      return { ...s, locks: [...s.locks, held] };
    }
    if (s.locks.length === 0) throw new Refusal(pc, `${str}_unlock without taking a lock`, EINVAL);
    const at = s.locks.findIndex((l) => l.type === type && l.id === reg.id && l.map === reg.map);
    if (at < 0) throw new Refusal(pc, `${str}_unlock of different lock`, EINVAL);
    const top = s.locks[s.locks.length - 1]!;
    if (top.id !== reg.id || top.map !== reg.map) throw new Refusal(pc, `${str}_unlock cannot be out of order`, EINVAL);
    return { ...s, locks: s.locks.filter((_, i) => i !== at) };
  }

  /** kernel/bpf/verifier.c process_irq_flag (mark_/unmark_stack_slot_irq_flag): an 8-byte stack slot. */
  #irqFlag(pc: number, s: State, regno: number, save: boolean, cls: IrqClass): State {
    const reg = topFrame(s).regs[regno]!;
    if (reg.k !== 'stack') throw OUT; // "arg#N doesn't point to an irq flag on stack", after checks not modelled
    if (!isConst(reg.off) || reg.off.min % 8n !== 0n || reg.off.min >= 0n) throw OUT;
    const index = Number(reg.off.min / 8n);
    const frame = s.frames[reg.frame];
    if (!frame) throw OUT;
    const slot = frame.stack.get(index);
    const stack = new Map(frame.stack);
    if (save) {
      if (slot?.k === 'irq') throw new Refusal(pc, `expected uninitialized irq flag as arg#${regno - 1}`, EINVAL);
      const id = this.#fresh();
      stack.set(index, { k: 'irq', id, cls });
      return { ...withFrame(s, reg.frame, { ...frame, stack }), irqs: [...s.irqs, { id, insn: pc }] };
    }
    if (slot?.k !== 'irq') throw new Refusal(pc, `expected an initialized irq flag as arg#${regno - 1}`, EINVAL);
    if (slot.cls !== cls) throw new Refusal(pc, `irq flag acquired by ${slot.cls} kfuncs cannot be restored with ${cls} kfuncs`, EINVAL);
    const active = s.irqs[s.irqs.length - 1];
    if (!active || active.id !== slot.id) {
      // release_irq_state refuses with -EACCES when the flag is not the most recent one.
      throw new Refusal(pc, `cannot restore irq state out of order, expected id=${active?.id ?? 0} acquired at insn_idx=${active?.insn ?? 0}`, EACCES);
    }
    stack.delete(index);
    return { ...withFrame(s, reg.frame, { ...frame, stack }), irqs: s.irqs.slice(0, -1) };
  }
}

// ---- state helpers -------------------------------------------------------------------------------------

function stackSlot(s: State, base: Value & { k: 'stack' }, off: number, size: number): Slot | undefined {
  if (!isConst(base.off)) return undefined;
  const at = base.off.min + BigInt(off);
  if (at % 8n !== 0n || size !== 8) return undefined;
  return s.frames[base.frame]?.stack.get(Number(at / 8n));
}

function writeStack(s: State, base: Value & { k: 'stack' }, off: number, size: number, spilled: Value | undefined): State {
  const frame: Frame | undefined = s.frames[base.frame];
  if (!frame) throw OUT;
  const stack = new Map(frame.stack);
  if (!isConst(base.off)) {
    // A variable-offset write may hit any slot: every typed slot becomes plain bytes.
    for (const [i, slot] of stack) {
      if (slot.k === 'irq') throw OUT;
      stack.set(i, { k: 'misc' });
    }
    return withFrame(s, base.frame, { ...frame, stack });
  }
  const at = base.off.min + BigInt(off);
  if (at < -512n || at + BigInt(size) > 0n) throw OUT; // "invalid write to stack"
  const first = Number((at - ((at % 8n) + 8n) % 8n) / 8n);
  const last = Number((at + BigInt(size) - 1n - (((at + BigInt(size) - 1n) % 8n) + 8n) % 8n) / 8n);
  for (let i = first; i <= last; i++) {
    if (stack.get(i)?.k === 'irq') throw OUT; // overwriting a saved irq flag: refused by the kernel
    stack.set(i, spilled && at % 8n === 0n ? { k: 'spill', v: spilled } : { k: 'misc' });
  }
  return withFrame(s, base.frame, { ...frame, stack });
}

/** The instruction line of the log, in the kernel's "N: (code) ..." shape. */
function describeInsn(p: Program, pc: number): string {
  const insn = p.insns[pc];
  if (!insn) return `${pc}:`;
  const code = insn.code.toString(16).padStart(2, '0');
  const cls = classOf(insn.code);
  if ((cls === Class.Jmp || cls === Class.Jmp32) && opOf(insn.code) === JmpOp.Call) {
    if (insn.src === 2) return `${pc}: (${code}) call ${p.kfuncs.get(pc) ?? 'kernel-function'}#${insn.imm}`;
    if (insn.src === 1) return `${pc}: (${code}) call pc${insn.imm >= 0 ? '+' : ''}${insn.imm}`;
    return `${pc}: (${code}) call #${insn.imm}`;
  }
  if ((cls === Class.Jmp || cls === Class.Jmp32) && opOf(insn.code) === JmpOp.Exit) return `${pc}: (${code}) exit`;
  return `${pc}: (${code}) r${insn.dst} r${insn.src} off=${insn.off} imm=${insn.imm}`;
}

