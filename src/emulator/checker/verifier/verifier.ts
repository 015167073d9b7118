// The verifier's walk (kernel/bpf/verifier.c do_check_common, do_check, push_stack/pop_stack,
// is_state_visited): every path of the program from its entry with an abstract state, in the kernel's
// order (a conditional jump goes on with the fall-through and leaves the taken branch for later), states
// compared at the kernel's prune points, the kernel's instruction budget. The rules each instruction is
// checked by live beside this file: alu.ts, mem.ts, jmp.ts, calls.ts.
import { E2BIG, EFAULT, EINVAL, ENOTSUPP } from '../../../uapi/errno.js';
import { Class, classOf, JmpOp, LD_IMM64, Mode, modeOf, opOf, type Insn } from '../../../uapi/isa.js';
import { RegType, type RegState } from '../reg-state.js';
import type { CheckFailure, CheckInput, Verified } from '../types.js';
import { ProgFlags } from '../../../uapi/prog-flags.js';
import { cpuV4Instructions, DEFAULT_KERNEL_VERSION, precisionPruning, scalarRules } from '../../kernel-version.js';
import { withScalarRules } from '../scalar.js';
import { fieldRefusal } from '../structure.js';
import { OutOfModel, VerifierRefusal } from './errors.js';
import { prepareProgram, type Program } from './program.js';
import { FP, FuncState, NOT_INIT, VerifierState } from './state.js';
import { pointer } from './regs.js';
import { preciseInOld, statesEqual } from './prune.js';
import { checkAlu } from './alu.js';
import { checkAtomic, checkLoad, checkStore, checkStoreImm } from './mem.js';
import { checkCondJmp } from './jmp.js';
import { checkCall, checkLdAbs, checkLdImm64, processExit } from './calls.js';
import { VerifierLog } from './log.js';
import { Backtrack, markAllImprecise, markChainPrecision, markStatePrecise, recordFlags } from './precision.js';
import { checkCallDepth } from './call-depth.js';

/** include/linux/bpf.h BPF_COMPLEXITY_LIMIT_INSNS. */
export const BPF_COMPLEXITY_LIMIT_INSNS = 1_000_000;
/** kernel/bpf/verifier.c BPF_COMPLEXITY_LIMIT_JMP_SEQ: pending branches at once. */
const BPF_COMPLEXITY_LIMIT_JMP_SEQ = 8192;

/** states_maybe_looping: the current frame's registers are the same (a cheap test before states_equal). */
function maybeLooping(old: VerifierState, cur: VerifierState): boolean {
  if (old.frames.length !== cur.frames.length) return false;
  const a = old.cur.regs;
  const b = cur.cur.regs;
  for (let r = 0; r < a.length; r++) {
    const x = a[r]!;
    const y = b[r]!;
    if (x.type !== y.type || x.off !== y.off || x.value.varOff.value !== y.value.varOff.value || x.value.varOff.mask !== y.value.varOff.mask) return false;
  }
  return true;
}

/** A state kept at a prune point (struct bpf_verifier_state_list). */
export class Checkpoint {
  /** Paths that go through this state and are not finished (branches). */
  branches = 1;
  hits = 0;
  misses = 0;
  /** Dropped from the explored list while paths still went through it (kept on the free list). */
  evicted = false;
  constructor(readonly state: VerifierState, readonly insn: number, readonly parent: Checkpoint | undefined) {}
}

/** The walk's current path: its state and the checkpoint it last passed. */
interface Path {
  state: VerifierState;
  pc: number;
  prevPc: number;
  parent: Checkpoint | undefined;
  /** Where the log stood when the branch was pushed (push_stack's log_pos). */
  logPos: number;
}

export class Verifier {
  readonly p: Program;
  readonly version: string;
  readonly v4: boolean;
  readonly log: VerifierLog;
  /** The state being walked (env->cur_state). */
  cur!: VerifierState;
  /** The instruction being checked (env->insn_idx) and the one before it on the path. */
  pc = 0;
  prevPc = -1;
  #parent: Checkpoint | undefined;
  idGen = 0;
  processed = 0;
  /** prog->aux->max_ctx_offset: check_ctx_access remembers the end of the furthest access it allowed. */
  maxCtxOffset = 0;
  #jmpsProcessed = 0;
  #prevJmps = 0;
  #prevInsns = 0;
  totalStates = 0;
  peakStates = 0;
  /** States kept: explored, and dropped but not yet freeable (update_peak_states' explored + free list). */
  #keptStates = 0;
  maxStatesPerInsn = 0;
  readonly #explored = new Map<number, Checkpoint[]>();
  readonly #pending: Path[] = [];
  /** insn_aux_data's ptr_type: the pointer type each load or store first accessed (save_aux_ptr_type). */
  readonly ptrTypes = new Map<number, number>();
  /** Something the kernel would accept and the emulator cannot run (reported if nothing is refused). */
  unsupported: string | undefined;
  /** BPF_F_STRICT_ALIGNMENT: every pointer's accesses aligned, not only the stack's. */
  readonly strictAlignment: boolean;
  /** BPF_F_TEST_STATE_FREQ: a checkpoint at every prune point. */
  readonly #everyCheckpoint: boolean;
  /** The version's pruning is the model's (precision and liveness as 6.18's): scalars are compared as marked. */
  readonly #precisionPruning: boolean;
  /** Each subprogram's deepest stack use (grow_stack_state's subprog_info[].stack_depth). */
  readonly stackDepth: number[];
  /** The call chains (subprograms, outermost first) that used the stack. */
  readonly #callChains = new Set<string>(['0']);
  readonly #insnsBySubprog: number[];
  readonly #started = performance.now();
  /** The program writes packet data through helpers (bpf_helper_changes_pkt_data): packet pointers die. */
  readonly input: CheckInput;

  constructor(input: CheckInput) {
    this.input = input;
    this.p = prepareProgram(input);
    this.version = input.kernelVersion ?? DEFAULT_KERNEL_VERSION;
    this.v4 = cpuV4Instructions(this.version);
    // Level 0 still logs at level 1: a refusal's log is what libbpf's retry at level 1 would get.
    this.log = new VerifierLog(input.logLevel || 1, this);
    const flags = input.progFlags ?? 0;
    this.strictAlignment = (flags & ProgFlags.StrictAlignment) !== 0;
    this.#everyCheckpoint = (flags & ProgFlags.TestStateFreq) !== 0;
    this.#precisionPruning = precisionPruning(this.version);
    this.stackDepth = this.p.subprogs.map(() => 0);
    this.#insnsBySubprog = this.p.subprogs.map(() => 0);
  }

  /** Microseconds since the walk began (print_verification_stats's "verification time"). */
  get usec(): number {
    return Math.round((performance.now() - this.#started) * 1000);
  }

  /** grow_stack_state: the frame's subprogram now uses the stack down to `minOff` (rounded to a slot). */
  growStack(frameno: number, minOff: number): void {
    const sub = this.cur.frames[frameno]!.subprog;
    const depth = Math.ceil(-minOff / 8) * 8;
    if (depth > this.stackDepth[sub]!) this.stackDepth[sub] = depth;
    this.#callChains.add(this.cur.frames.map((f) => f.subprog).join(','));
  }

  /**
   * check_max_stack_depth's answer: the deepest call chain walked, each frame's depth rounded up to 16
   * (round_up_stack_depth with the JIT).
   */
  get stackMax(): number {
    let max = 0;
    for (const chain of this.#callChains) {
      max = Math.max(max, chain.split(',').reduce((sum, s) => sum + Math.ceil(this.stackDepth[Number(s)]! / 16) * 16, 0));
    }
    return max;
  }

  /** Each subprogram as 7.3's statistics name it, with the instructions processed in it. */
  get subprogStats(): { name: string; kind: string; self: number; total: number; stack: number }[] {
    return this.p.subprogs.map((sp, i) => ({
      name: this.input.funcInfo ?? this.input.functions.length > 0 ? sp.name : '<unknown>',
      kind: i === 0 ? 'main' : sp.global ? 'global' : 'static',
      self: this.#insnsBySubprog[i]!,
      total: i === 0 ? this.processed : this.#insnsBySubprog[i]!,
      stack: this.stackDepth[i]!,
    }));
  }

  mapAt(index: number): { name: string; keySize: number; valueSize: number } | undefined {
    return this.p.maps[index];
  }

  lineOf(pc: number): { file: string; line: number; text: string } | undefined {
    return this.input.lines?.get(pc);
  }

  get regs(): RegState[] {
    return this.cur.cur.regs;
  }

  newId(): number {
    return ++this.idGen;
  }

  /** do_check_common on the main program (global functions' own verification is not in this model). */
  run(): CheckFailure | Verified {
    try {
      this.#checkCommon(0);
      checkCallDepth(this.p.insns, this.p.subprogs);
    } catch (e) {
      if (e instanceof VerifierRefusal) return this.log.failure(e);
      throw e;
    }
    if (this.unsupported !== undefined) return { errno: ENOTSUPP, log: `${this.unsupported}\n`, notEmulated: true };
    return { errno: 0, log: this.input.logLevel ? this.log.success() : '', maxCtxOffset: this.maxCtxOffset };
  }

  /** The entry state of subprogram `subprog` verified as a program (init_func_state, btf_prepare_func_args). */
  #entryState(subprog: number): VerifierState {
    const frame = new FuncState(0, -1, subprog);
    frame.regs[FP] = pointer(RegType.Stack, { frameno: 0 });
    if (subprog === 0) {
      frame.regs[1] = pointer(RegType.Ctx);
    } else {
      // A global function's arguments by its BTF prototype; without the prototype, unknown scalars.
      for (let r = 1; r <= 5; r++) frame.regs[r] = { ...NOT_INIT, type: RegType.Scalar };
    }
    return new VerifierState([frame]);
  }

  #checkCommon(subprog: number): void {
    this.cur = this.#entryState(subprog);
    this.pc = this.p.subprogs[subprog]!.start;
    this.prevPc = -1;
    this.#parent = undefined;
    this.#pending.length = 0;
    for (;;) {
      const ended = this.#walkPath();
      this.#pathEnded();
      if (!ended) return; // the budget ran out inside the model: the kernel refuses (refusal thrown) or it ended
      const next = this.#pending.pop();
      if (!next) return;
      this.cur = next.state;
      this.pc = next.pc;
      this.prevPc = next.prevPc;
      this.#parent = next.parent;
      this.log.popped(this.prevPc, this.pc, this.cur, next.logPos);
    }
  }

  /** update_branch_counts: the path is finished, so one fewer path goes through each checkpoint above it. */
  #pathEnded(): void {
    for (let c = this.#parent; c; c = c.parent) {
      if (--c.branches > 0) break;
      if (c.evicted) this.#keptStates--;
    }
  }

  /** push_stack: the other side of a branch, to be walked later from `pc`. */
  push(pc: number, state: VerifierState): void {
    if (this.#parent) this.#parent.branches++;
    this.#pending.push({ state, pc, prevPc: this.pc, parent: this.#parent, logPos: this.log.position });
    if (this.#pending.length > BPF_COMPLEXITY_LIMIT_JMP_SEQ) {
      throw new VerifierRefusal(`The sequence of ${this.#pending.length} jumps is too complex.`, E2BIG);
    }
  }

  /** One path to its end: true when it ended normally (exit, pruned, or left the model). */
  #walkPath(): boolean {
    const { insns } = this.p;
    for (;;) {
      if (this.pc < 0 || this.pc >= insns.length) {
        throw new VerifierRefusal(`invalid insn idx ${this.pc} insn_cnt ${insns.length}`, EFAULT);
      }
      this.#insnsBySubprog[this.cur.cur.subprog]!++;
      if (++this.processed > BPF_COMPLEXITY_LIMIT_INSNS) {
        throw new VerifierRefusal(`BPF program is too large. Processed ${this.processed} insn`, E2BIG);
      }
      if (this.p.prunePoint[this.pc] && this.#isStateVisited(this.pc)) {
        this.log.safe(this.pc);
        return true;
      }
      const insn = insns[this.pc]!;
      this.cur.history.push(this.pc);
      if (this.p.jmpPoint[this.pc]) this.cur.jmpHistoryCnt++;
      this.log.insn(insns, this.pc, this.version);
      const at = this.pc;
      try {
        const next = this.#step(insn);
        if (next === 'exit') return true;
        this.prevPc = at;
        this.pc = next;
      } catch (e) {
        if (e instanceof OutOfModel) return true; // the path ends without a verdict
        throw e;
      }
    }
  }

  /** do_check's dispatch on one instruction: the next instruction, or 'exit' where the path ends. */
  #step(insn: Insn): number | 'exit' {
    const fields = fieldRefusal(insn, this.v4);
    if (fields) throw new VerifierRefusal(fields.log.trim(), fields.errno);
    const cls = classOf(insn.code);
    switch (cls) {
      case Class.Alu:
      case Class.Alu64:
        checkAlu(this, insn);
        return this.pc + 1;
      case Class.Ldx:
        checkLoad(this, insn);
        return this.pc + 1;
      case Class.Stx:
        if (modeOf(insn.code) === Mode.Atomic) checkAtomic(this, insn);
        else checkStore(this, insn);
        return this.pc + 1;
      case Class.St:
        checkStoreImm(this, insn);
        return this.pc + 1;
      case Class.Ld:
        if (insn.code === LD_IMM64) {
          checkLdImm64(this, insn);
          return this.pc + 2;
        }
        return checkLdAbs(this, insn);
      default: {
        this.#jmpsProcessed++;
        const op = opOf(insn.code);
        if (op === JmpOp.Call) return checkCall(this, insn);
        if (op === JmpOp.Ja) return this.pc + 1 + (cls === Class.Jmp ? insn.off : insn.imm);
        if (op === JmpOp.Exit) return processExit(this);
        return checkCondJmp(this, insn);
      }
    }
  }

  /** is_state_visited: true when an equivalent state was verified here already (prune the path). */
  #isStateVisited(pc: number): boolean {
    const cur = this.cur;
    // A long jump history forces a checkpoint (is_state_visited: "avoid accumulating infinitely long jmp history").
    const force = this.#everyCheckpoint || this.p.forceCheckpoint[pc] === 1 || cur.jmpHistoryCnt > 40;
    let addNew = force || (this.#jmpsProcessed - this.#prevJmps >= 2 && this.processed - this.#prevInsns >= 8);
    const list = this.#explored.get(pc) ?? [];
    let count = 0;
    for (let i = 0; i < list.length; i++) {
      const sl = list[i]!;
      count++;
      if (sl.branches > 0) {
        // The state is on the current path: a loop. The same state again is one that never ends.
        if (maybeLooping(sl.state, cur) && statesEqual(this, sl.state, cur, 'exact')) {
          throw new VerifierRefusal(`infinite loop detected at insn ${pc}`, EINVAL, this.log.lineInfo(pc), [
            `cur state:${this.log.stateLine(cur)}`, `old state:${this.log.stateLine(sl.state)}`,
          ]);
        }
        // Loop iterations differ; a checkpoint every 100 instructions or 20 jumps is enough to prune.
        if (!force && this.#jmpsProcessed - this.#prevJmps < 20 && this.processed - this.#prevInsns < 100) addNew = false;
      } else if (statesEqual(this, sl.state, cur, 'notExact')) {
        sl.hits++;
        this.#propagatePrecision(sl.state);
        return true;
      }
      // A state that keeps missing is dropped (it costs comparisons and prunes nothing); a miss counts
      // only when a new state is added, so a loop keeps some of its early iterations' states.
      if (addNew) sl.misses++;
      const n = this.p.forceCheckpoint[pc] && sl.branches > 0 ? 64 : 3;
      if (sl.misses > sl.hits * n + n) {
        list.splice(i--, 1);
        // maybe_free_verifier_state: a state paths still go through stays until they end.
        if (sl.branches === 0) this.#keptStates--;
        else sl.evicted = true;
      }
    }
    this.maxStatesPerInsn = Math.max(this.maxStatesPerInsn, count);
    if (!addNew) return false;
    this.totalStates++;
    this.peakStates = Math.max(this.peakStates, ++this.#keptStates);
    this.#prevJmps = this.#jmpsProcessed;
    this.#prevInsns = this.processed;
    markAllImprecise(cur); // forget the marks it inherited (see __mark_chain_precision)
    const checkpoint = new Checkpoint(cur.clone(), pc, this.#parent);
    // Where the version does not prune by precision (kernel-version.ts precisionPruning), every scalar of a
    // checkpoint counts as precise: the walk then prunes no path that kernel would still walk.
    if (!this.#precisionPruning) markStatePrecise(checkpoint.state);
    cur.history = [];
    cur.linked = [];
    cur.jmpHistoryCnt = 0;
    list.unshift(checkpoint);
    this.#explored.set(pc, list);
    this.#parent = checkpoint;
    return false;
  }

  readonly #bt = new Backtrack();

  /** #bt cleared, its frame the current one. */
  #backtrack(): Backtrack {
    const bt = this.#bt;
    bt.regs.fill(0);
    bt.slotsLo.fill(0);
    bt.slotsHi.fill(0);
    bt.frame = this.cur.frames.length - 1;
    return bt;
  }

  /** mark_chain_precision: the value of scalar register `regno` decides the instruction being checked. */
  markPrecise(regno: number): void {
    const bt = this.#backtrack();
    bt.setReg(bt.frame, regno);
    markChainPrecision(this.p, this.cur, this.#parent, bt, true, this.pc);
  }

  /** The same for the scalar spilled in slot `spi` of frame `frameno` (a constant map key). */
  markSlotPrecise(frameno: number, spi: number): void {
    const bt = this.#backtrack();
    bt.setSlot(frameno, spi);
    markChainPrecision(this.p, this.cur, this.#parent, bt, true, this.pc);
  }

  /** push_insn_history's flags for the instruction being checked. */
  recordFlags(flags: number): void {
    recordFlags(this.cur, flags);
  }

  /**
   * propagate_precision: the path is pruned because `old` covers it, so what old's continuation needed
   * precise (its precise scalars the continuation may read) is needed of this path's checkpoints too.
   */
  #propagatePrecision(old: VerifierState): void {
    const bt = this.#backtrack();
    preciseInOld(this, old, this.cur, bt);
    markChainPrecision(this.p, this.cur, this.#parent, bt, false, this.pc);
  }
}

/**
 * The abstract interpreter's verdict: a refusal in the kernel's words, or undefined when every path it
 * follows is safe. A path that reaches what the model does not know (OutOfModel) is not refused for it.
 */
export function verifyProgram(input: CheckInput): CheckFailure | Verified {
  return withScalarRules(scalarRules(input.kernelVersion ?? DEFAULT_KERNEL_VERSION), () => new Verifier(input).run());
}
