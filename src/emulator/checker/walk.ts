// The verifier's walk (kernel/bpf/verifier.c do_check), as far as this checker models it: every path of a
// program with an abstract state — which register holds a scalar (with its range), a map, a pointer into a
// map value (and with which lookup id), the stack, the context — in the kernel's order (a branch continues
// with the fall-through and leaves the jump target for later), with pruning of states already seen. The
// rules that refuse programs are a client's (lock-rules.ts): the walk calls them at the points where
// verifier.c applies them.
//
// What the model does not know (packet pointers, kfuncs it cannot name, callbacks) ends that path quietly:
// a client may miss a violation there, but never refuses a program the kernel accepts. Work is capped; a
// program too big to finish is accepted.
import { MapTable, mapNumber } from './map-table.js';
import { EINVAL } from '../../uapi/errno.js';
import { HelperId } from '../../uapi/helpers.js';
import { KernelProgramType as ProgType } from '../../uapi/program-type.js';
import { AluOp, AtomicOp, CallKind, Class, classOf, JmpOp, LD_IMM64, MAX_CALL_FRAMES, Mode, modeOf, opOf, PseudoLd, sizeBytes, Source, srcOf, type Insn } from '../../uapi/isa.js';
import type { CheckedMap, CheckFailure, CheckInput } from './types.js';
import { liveRegisters, prunePoints } from './liveness.js';
import { fieldRefusal } from './structure.js';
import { cpuV4Instructions, DEFAULT_KERNEL_VERSION, mapValueLoadsDistinctLocks } from '../kernel-version.js';
import { formatProgramInsnLine } from './disasm.js';
import { coveringLineInfo } from './line-info.js';
import { localObjectType } from './local-objects.js';
import type { Btf } from '../../btf/types.js';
import { ANY, entryFrame, type Frame, mapValues, NONE, type Slot, type State, stateKey, topFrame, type Value, withFrame, withTopRegs } from './state.js';
import {
  aluRange, constant, decide, isConst, loadedRange, low32, narrow, negRange, type Range, signExtend, unknown64, zext32,
} from './ranges.js';

/** include/linux/bpf.h BPF_COMPLEXITY_LIMIT_INSNS: the kernel's budget; past it the walk accepts. */
const INSN_BUDGET = 1_000_000;

/** Program types that may use BPF_LD_[ABS|IND] (kernel/bpf/verifier.c may_access_skb). */
const skbProgramTypes: ReadonlySet<number> = new Set([ProgType.SocketFilter, ProgType.SchedCls, ProgType.SchedAct]);

/** A violation found on the current path. */
export class Refusal {
  constructor(readonly pc: number, readonly message: string, readonly errno: number) {}
}

/** The current path leaves the model (the kernel may refuse it for a reason outside these rules). */
class OutOfModel {}
export const OUT = new OutOfModel();

export type Step = { next: number; state: State; fork?: { pc: number; state: State } } | 'end';

export interface Program {
  insns: readonly Insn[];
  type: number;
  maps: CheckedMap[];
  /** ld_imm64 instruction → its value (object relocations resolved through mapOf). */
  loads: Map<number, Value>;
  kfuncs: Map<number, string>;
  globals: Set<number>;
  live: Uint16Array;
  prune: Uint8Array;
  /** The kernel version has the cpu v4 instructions (their fields are not reserved). */
  v4: boolean;
  /** The kernel whose words the log takes ('6.18' unless the input names one). */
  kernelVersion: string;
  /** The C source line of an instruction (BTF line_info), for the log. */
  lines: CheckInput['lines'];
  /** The program's BTF: the struct types bpf_obj_new allocates. */
  btf: Btf | undefined;
}

export const scalar = (r: Range, id = 0): Value => ({ k: 'scalar', r, id });
export const unknownScalar = (): Value => scalar(unknown64());

/** Sees the registers of the current frame at every helper call the walk reaches, once per distinct state. */
export type HelperCallObserver = (pc: number, helper: number, regs: readonly Value[]) => void;

export function prepare(input: CheckInput): Program {
  const table = new MapTable(input);
  const maps = table.maps;
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
      const m = table.numberOf(table.named(reloc.map));
      v = m === undefined ? ANY : { k: 'map', map: m };
    } else if (reloc?.kind === 'mapValue') {
      // kernel/bpf/verifier.c check_ld_imm: global data is a PTR_TO_MAP_VALUE with id 0 (not distinct).
      const m = table.numberOf(table.named(reloc.map));
      v = m === undefined ? ANY : { k: 'value', map: m, off: constant(BigInt(reloc.offset)), id: 0, nullable: false };
    } else if (reloc) {
      v = ANY;
    } else if (insn.src === 0) {
      v = scalar(constant(BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(insn.imm >>> 0))));
    } else if (insn.src === PseudoLd.MapIdx) {
      const m = table.numberOf(table.indexed(insn.imm));
      v = m === undefined ? ANY : { k: 'map', map: m };
    } else if (insn.src === PseudoLd.MapIdxValue) {
      const m = table.numberOf(table.indexed(insn.imm));
      v = m === undefined ? ANY : { k: 'value', map: m, off: constant(BigInt(hi)), id: 0, nullable: false };
    } else if (insn.src === PseudoLd.Func) {
      v = { k: 'func', target: i + 1 + insn.imm };
    } else {
      v = ANY;
    }
    loads.set(i, v);
  });
  return {
    insns: input.insns, type: input.type, maps, loads, kfuncs,
    globals: new Set(input.functions.filter((f) => f.global && f.start !== 0).map((f) => f.start)),
    live: liveRegisters(input.insns), prune: prunePoints(input.insns), v4: cpuV4Instructions(input.kernelVersion ?? DEFAULT_KERNEL_VERSION),
    kernelVersion: input.kernelVersion ?? DEFAULT_KERNEL_VERSION,
    lines: input.lines, btf: input.btf,
  };
}

export abstract class Walker {
  protected readonly p: Program;
  #idGen = 0;
  #processed = 0;
  readonly #seen = new Map<number, Set<string>>();
  /** Global subprograms met by a call: verified on their own after the entry (kernel do_check_subprogs). */
  readonly #calledGlobals: number[] = [];
  readonly #observe: HelperCallObserver | undefined;
  /** A path ended outside the model, or the budget ran out: some paths were not seen. */
  #partial = false;

  constructor(p: Program, observe?: HelperCallObserver) {
    this.p = p;
    this.#observe = observe;
  }

  /** Every path was walked (meaningful after run()). */
  get complete(): boolean {
    return !this.#partial;
  }

  run(): CheckFailure | undefined {
    const incompatible = this.programRefusal();
    if (incompatible) return { errno: EINVAL, log: `${incompatible}\n` };
    try {
      if (!this.#walk(0, [{ k: 'ctx' }])) return undefined;
      for (let i = 0; i < this.#calledGlobals.length; i++) {
        // A global function's arguments are checked against its BTF by the kernel; here they are unknown.
        if (!this.#walk(this.#calledGlobals[i]!, [ANY, ANY, ANY, ANY, ANY])) return undefined;
      }
      return undefined;
    } catch (e) {
      if (e instanceof Refusal) return { errno: e.errno, log: `${[coveringLineInfo(this.p.lines, e.pc, this.p.kernelVersion), describeInsn(this.p, e.pc), e.message].filter((l) => l !== undefined).join('\n')}\n` };
      throw e;
    }
  }


  /** Writes a register; a new unknown scalar gets an id, so that copies of it are narrowed together. */
  protected setReg(s: State, r: number, v: Value): State {
    if (r === 10) throw OUT; // "frame pointer is read only"
    const regs = topFrame(s).regs.slice();
    regs[r] = this.#linkable(v);
    return withTopRegs(s, regs);
  }

  /** After a call: r0 is the result, r1-r5 are NOT_INIT (kernel clear_caller_saved_regs). */
  protected clobber(s: State, r0: Value): State {
    const regs = topFrame(s).regs.slice();
    regs[0] = this.#linkable(r0);
    for (let r = 1; r <= 5; r++) regs[r] = NONE;
    return withTopRegs(s, regs);
  }

  /** kernel/bpf/verifier.c check_alu_op (BPF_MOV): a copied scalar shares an id with its source. */
  #linkable(v: Value): Value {
    return v.k === 'scalar' && v.id === 0 && !isConst(v.r) ? scalar(v.r, this.fresh()) : v;
  }

  protected fresh(): number {
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
        if (pc < 0 || pc >= this.p.insns.length) break; // the structural checker reports bad jumps
        if (this.p.prune[pc] && this.#visited(pc, state)) break;
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
    const { live, insns } = this.p;
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
    const insn = this.p.insns[pc]!;
    // Reserved fields and registers past r10 (structure.ts refuses those every path meets; here, the others).
    const fields = fieldRefusal(insn, this.p.v4);
    if (fields) throw new Refusal(pc, fields.log.trim(), fields.errno);
    const cls = classOf(insn.code);
    switch (cls) {
      case Class.Alu:
      case Class.Alu64:
        return { next: pc + 1, state: this.setReg(s, insn.dst, this.#alu(insn, s, cls === Class.Alu64)) };
      case Class.Ldx:
        return { next: pc + 1, state: this.#load(pc, insn, s) };
      case Class.St:
      case Class.Stx:
        return { next: pc + 1, state: this.#store(pc, insn, s) };
      case Class.Ld:
        if (insn.code === LD_IMM64) {
          let v = this.p.loads.get(pc) ?? ANY;
          if (v.k === 'value' && this.p.maps[v.map]!.locks.length > 0 && mapValueLoadsDistinctLocks(this.p.kernelVersion)) v = { ...v, id: this.fresh() };
          return { next: pc + 2, state: this.setReg(s, insn.dst, v) };
        }
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
    if (op === AluOp.Add || op === AluOp.Sub) return dst.k === 'any' || src.k === 'any' || dst.k === 'btf' || src.k === 'btf' ? ANY : unknownScalar();
    const asScalar = (v: Value): Range => (v.k === 'scalar' ? (is64 ? v.r : low32(v.r)) : is64 ? unknown64() : low32(unknown64()));
    const r = aluRange(op, asScalar(dst), asScalar(src), is64 ? 64 : 32);
    return scalar(is64 ? r : zext32(r));
  }

  // ---- memory ------------------------------------------------------------------------------------------

  /** kernel/bpf/verifier.c check_map_access: in bounds (else out of the model), then the client's field rules. */
  #checkMapAccess(pc: number, base: Value & { k: 'value' }, off: number, size: number): void {
    if (base.nullable) throw OUT; // "invalid mem access 'map_value_or_null'"
    const map = this.p.maps[base.map]!;
    const lo = base.off.min + BigInt(off);
    const hi = base.off.max + BigInt(off) + BigInt(size);
    if (lo < 0n || hi > BigInt(map.valueSize)) throw OUT; // out of range: another message
    this.fieldAccess(pc, map, lo, hi);
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
    return this.setReg(s, insn.dst, v);
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
    if (atomic && insn.imm === AtomicOp.LoadAcq) return this.#load(pc, { ...insn, code: (insn.code & ~0xe7) | Class.Ldx | Mode.Mem }, s);
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
      if (insn.imm === AtomicOp.Cmpxchg) out = this.setReg(out, 0, unknownScalar()); // cmpxchg: old value into r0
      else if (insn.imm !== AtomicOp.StoreRel && insn.imm & AtomicOp.Fetch) out = this.setReg(out, insn.src, unknownScalar()); // fetch: old value into src
    }
    return out;
  }

  /** kernel/bpf/verifier.c check_ld_abs: the legacy packet loads may end the program, so not while locked. */
  #ldAbs(pc: number, s: State): Step {
    const insn = this.p.insns[pc]!;
    if (!skbProgramTypes.has(this.p.type)) throw OUT; // "not allowed for this program type"
    // Checked first there: reserved fields, then that r6 (the skb) is readable.
    const mode = modeOf(insn.code);
    if (mode !== Mode.Abs && mode !== Mode.Ind) throw OUT;
    if (insn.dst !== 0 || insn.off !== 0 || sizeBytes(insn.code) === 8 || (mode === Mode.Abs && insn.src !== 0)) throw OUT;
    if (topFrame(s).regs[6]!.k === 'none') throw OUT;
    this.leaveProgram(pc, s, 'BPF_LD_[ABS|IND]');
    return { next: pc + 1, state: this.clobber(s, unknownScalar()) };
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
    if (a.id === 0) return this.setReg(s, dst, scalar(r));
    return mapValues(s, (v) => (v.k === 'scalar' && v.id === a.id ? scalar(r, a.id) : undefined));
  }

  #markNull(s: State, id: number, isNull: boolean): State {
    return mapValues(s, (v) => {
      if (v.k !== 'value' || !v.nullable || v.id !== id) return undefined;
      if (isNull) return scalar(constant(0n));
      // The id stays where a lock may be taken through the pointer (reg_may_point_to_spin_lock), and on an
      // allocated object, whose bpf_obj_drop finds its copies by it (the kernel's ref_obj_id).
      const m = this.p.maps[v.map]!;
      return { ...v, nullable: false, id: m.locks.length > 0 || m.local ? v.id : 0 };
    });
  }

  #exit(pc: number, s: State): Step {
    if (s.frames.length === 1) {
      // kernel/bpf/verifier.c process_bpf_exit_full: the lock check applies to the main frame only.
      this.leaveProgram(pc, s, 'BPF_EXIT instruction in main prog');
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
    const kfunc = insn.src === CallKind.Kfunc ? this.p.kfuncs.get(pc) : undefined;
    if (insn.src === CallKind.Kfunc && kfunc === undefined) throw OUT; // a kfunc by BTF id only: cannot tell which
    this.beforeCall(pc, insn, s, kfunc);
    if (insn.src === CallKind.Local) return this.#callLocal(pc, insn, s);
    if (kfunc === 'bpf_obj_new_impl' || kfunc === 'bpf_obj_drop_impl') return { next: pc + 1, state: this.#objectCall(kfunc, s) };
    if (kfunc === 'bpf_rdonly_cast') return { next: pc + 1, state: this.clobber(s, { k: 'btf' }) };
    if (insn.src === CallKind.Kfunc) return this.kfuncCall(pc, kfunc!, s) ?? { next: pc + 1, state: this.clobber(s, ANY) };
    if (insn.src !== CallKind.Helper) throw OUT;
    return this.#callHelper(pc, insn.imm, s);
  }

  #callLocal(pc: number, insn: Insn, s: State): Step {
    const target = pc + 1 + insn.imm;
    if (this.p.globals.has(target)) {
      // kernel/bpf/verifier.c check_func_call: a global function is verified apart.
      this.beforeGlobalCall(pc, s);
      if (!this.#calledGlobals.includes(target)) this.#calledGlobals.push(target);
      return { next: pc + 1, state: this.clobber(s, unknownScalar()) };
    }
    if (s.frames.length >= MAX_CALL_FRAMES) throw OUT;
    const callerRegs = topFrame(s).regs;
    const regs: Value[] = Array.from({ length: 11 }, () => NONE);
    for (let r = 1; r <= 5; r++) regs[r] = callerRegs[r]!;
    regs[10] = { k: 'stack', frame: s.frames.length, off: constant(0n) };
    return { next: target, state: { ...s, frames: [...s.frames, entryFrame(regs, pc)] } };
  }

  /**
   * bpf_obj_new_impl(type id, meta): a maybe-NULL object of a struct of the program's BTF, a value of its own
   * kind (CheckedMap.local) with a fresh id; bpf_obj_drop_impl(p, meta) frees it, and every copy of the
   * pointer with it (release_reference). check_kfunc_call's refusals of other arguments are not modelled.
   */
  #objectCall(kfunc: string, s: State): State {
    const arg = topFrame(s).regs[1]!;
    if (kfunc === 'bpf_obj_drop_impl') {
      if (arg.k !== 'value' || !this.p.maps[arg.map]!.local || arg.nullable || arg.id === 0) throw OUT;
      return this.clobber(mapValues(s, (v) => (v.k === 'value' && v.id === arg.id ? ANY : undefined)), NONE);
    }
    if (arg.k !== 'scalar' || !isConst(arg.r)) throw OUT; // "arg#0 must be a known constant"
    const type = localObjectType(this.p.btf, Number(arg.r.min));
    if (!type) throw OUT; // "requires prog BTF", "type ID argument must be of a struct"
    // One entry per struct (its objects are told apart by id); the type is memoized, so `local` identifies it.
    let map = this.p.maps.findIndex((m) => m.local === type);
    if (map < 0) {
      map = this.p.maps.push({ name: type.name, type: -1, keySize: 0, valueSize: type.size, maxEntries: 0, flags: 0, hasBtf: true, locks: type.locks, local: type }) - 1;
    }
    return this.clobber(s, { k: 'value', map, off: constant(0n), id: this.fresh(), nullable: true });
  }

  #callHelper(pc: number, id: number, s: State): Step {
    const regs = topFrame(s).regs;
    this.#observe?.(pc, id, regs);
    let r0: Value = unknownScalar();
    switch (id) {
      case HelperId.MapLookupElem: {
        const m = regs[1]!;
        if (m.k !== 'map') throw OUT;
        // A map-in-map's lookup gives an inner map, known by the template (the verifier's CONST_PTR_TO_MAP
        // after the NULL check; this walk's map pointers are never NULL, so the NULL branch is not taken).
        const inner = this.p.maps[m.map]!.inner;
        r0 = inner ? { k: 'map', map: mapNumber(this.p.maps, inner) } : { k: 'value', map: m.map, off: constant(0n), id: this.fresh(), nullable: true };
        break;
      }
      case HelperId.GetLocalStorage: {
        const m = regs[1]!;
        if (m.k !== 'map') throw OUT;
        // RET_PTR_TO_MAP_VALUE: never null; an id when the value holds a lock (check_helper_call).
        r0 = { k: 'value', map: m.map, off: constant(0n), id: this.p.maps[m.map]!.locks.length > 0 ? this.fresh() : 0, nullable: false };
        break;
      }
      case HelperId.TailCall:
        // check_helper_call: a tail call leaves the program like an exit (locks were refused above).
        this.leaveProgram(pc, s, 'tail_call');
        break;
      default:
        s = this.helperCall(pc, id, s);
        break;
    }
    return { next: pc + 1, state: this.clobber(s, r0) };
  }

  // ---- the rules a client adds (lock-rules.ts) ---------------------------------------------------------

  /** A refusal of the program as a whole, before any instruction is walked (message, EINVAL). */
  protected abstract programRefusal(): string | undefined;

  /** A load or store of bytes [lo, hi) of `map`'s value (check_map_access's field rules). */
  protected abstract fieldAccess(pc: number, map: CheckedMap, lo: bigint, hi: bigint): void;

  /** The program ends here: an exit from the main frame, a tail call, or a legacy packet load (check_resource_leak). */
  protected abstract leaveProgram(pc: number, s: State, prefix: string): void;

  /** Any call, before its kind is looked at; `kfunc` names a kfunc call. */
  protected abstract beforeCall(pc: number, insn: Insn, s: State, kfunc: string | undefined): void;

  /** A call of a global function, which is verified apart. */
  protected abstract beforeGlobalCall(pc: number, s: State): void;

  /** A helper the walk does not model itself: the state after it (r0 becomes an unknown scalar). */
  protected abstract helperCall(pc: number, id: number, s: State): State;

  /** A kfunc call: the step it makes, or undefined for an unknown one (r0 becomes anything). */
  protected abstract kfuncCall(pc: number, name: string, s: State): Step | undefined;
}

// ---- state helpers -------------------------------------------------------------------------------------

export function stackSlot(s: State, base: Value & { k: 'stack' }, off: number, size: number): Slot | undefined {
  if (!isConst(base.off)) return undefined;
  const at = base.off.min + BigInt(off);
  if (at % 8n !== 0n || size !== 8) return undefined;
  return s.frames[base.frame]?.stack.get(Number(at / 8n));
}

export function writeStack(s: State, base: Value & { k: 'stack' }, off: number, size: number, spilled: Value | undefined): State {
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

/**
 * The instruction line of the log ("N: (code) ..."): disasm.ts, as do_check prints it. A kfunc prints with
 * the name the object gave it; an ld_imm64 of a map with the value it encodes (the emulator has no kernel
 * addresses to print).
 */
export function describeInsn(p: Program, pc: number): string {
  if (!p.insns[pc]) return `${pc}:`;
  return formatProgramInsnLine(p.insns, pc, { kernelVersion: p.kernelVersion, kfuncName: () => p.kfuncs.get(pc) });
}

