// The emulator's fast executor: translates a linked program into one JavaScript function (new Function),
// once per ExecProgram, with the reference interpreter's semantics bit for bit (interpreter.ts is the
// reference and cites the kernel for every rule; compiled-runtime.ts restates its arithmetic on pairs).
//
// Shape of the generated code:
//  - registers are locals, each a pair of int32 words (h0/l0 … h10/l10) and a tag (p0 … p10: the region it
//    points into, 0 for a scalar; memory.ts): 64-bit add, sub, multiply, logic, shifts and compares run
//    inline without BigInt; division goes through small runtime functions;
//  - control flow is a `switch (pc)` over basic blocks inside `for (;;)`: straight-line code falls through,
//    a jump sets pc and continues. All instructions are one function; a bpf-to-bpf call (and a callback from
//    bpf_loop & co) recurses into it with a new frame, as the interpreter's runFrame does;
//  - the instruction limit is counted per block; when a block would cross it, a precise copy of that block
//    runs instead and faults at the very instruction the interpreter would;
//  - memory: each load/store has an inline cache in locals (the region id it last reached, its DataView,
//    base, bound and spill tags), hit when the register's tag and high word are that id; filled by
//    FastMemory on a miss; anything unusual takes Memory's own path and messages.
//    Helpers and kfuncs go through env.callHelper/callKfunc with a Vm whose regs and pc are those of the
//    call (bpf_map_lookup_elem through env.mapLookup, on words, when the environment has it);
//  - the instruction budget is a local of each frame, handed back to the run around calls and at exit.
// Programs using registers above r10 run on the interpreter instead (its behaviour there is JavaScript's,
// not the kernel's: the verifier refuses them), as do programs longer than MAX_COMPILED_INSNS.
import {
  AluOp, AtomicOp, BPF_MAX_LOOPS, CallKind, Class, JmpOp, LD_IMM64, MAX_BPF_STACK, MAX_CALL_FRAMES, Mode, PseudoLd,
  sizeBytes, Source, type Insn,
} from '../../uapi/isa.js';
import { HelperId } from '../../uapi/helpers.js';
import {
  DEFAULT_INSN_LIMIT, execute, interpreterRunner, type ExecEnv, type ExecProgram, type Vm,
} from './interpreter.js';
import * as rt from './compiled-runtime.js';
import { changesPktData } from './packet-helpers.js';
import { atomicCode, inlineAtomic } from './compiled-atomics.js';
import { clearSpills, Memory, ProgramFault, retag, stackBytes, type ByteRegion } from './memory.js';
import { isBranch, type CoverageRow } from './coverage-counters.js';

/** Longer programs stay on the interpreter: V8 does not optimise functions past ~60 KiB of bytecode anyway. */
export const MAX_COMPILED_INSNS = 50_000;

const X = Source.X;

/** Runs `program` like interpreter.ts execute(), compiled. */
export function executeCompiled(program: ExecProgram, env: ExecEnv, r1: bigint): bigint {
  return compiledRunner(program, env)(r1);
}

/**
 * A runner for many runs of `program` in `env` (BPF_PROG_TEST_RUN's repeat): what a run needs (the Vm,
 * its stacks and their regions, the register arrays helpers see) is made once and reused by every run.
 */
export function compiledRunner(program: ExecProgram, env: ExecEnv): (r1: bigint) => bigint {
  const compiled = compile(program);
  if (compiled === null) return interpreterRunner(program, env);
  const vm = new CompiledVm(program, env, compiled);
  return (r1) => vm.runOnce(r1);
}

// ---- the run-time side ----

/** What one compiled program exports: its frame function, over the state of the run set by begin(). */
interface CompiledCode {
  /** Sets the run's state; faults and the limit count from here. */
  begin(vm: CompiledVm, limit: number): void;
  /** The run's state, and putting it back (CompiledVm.nested). */
  save(): unknown;
  restore(state: unknown): void;
  /** A new frame at `entry` with r1..r5 = the pairs, tagged; returns r0's low word, its high word in hiOut, its tag in tagOut. */
  frame(entry: number, a1h: number, a1l: number, a2h: number, a2l: number, a3h: number, a3l: number,
    a4h: number, a4l: number, a5h: number, a5l: number, a1p: number, a2p: number, a3p: number, a4p: number, a5p: number): number;
}

interface Compiled {
  /** The program's coverage row is the generated code's too when it was compiled with coverage (ExecProgram.coverage). */
  factory: (rt: unknown, coverage: CoverageRow | undefined) => CompiledCode;
  /** Instance per thread: the generated function holds the current run's state. */
  code?: CompiledCode;
}

/** A stack frame's memory, made once per call depth and registered again (same entry) in every run. */
interface Stack {
  bytes: Uint8Array;
  region: ByteRegion & { tags: Int32Array };
  /** Its region id (a pointer's high word) in run `run`. */
  hi: number;
  run: number;
}

/** Implements Vm for helpers: regs materialised as BigInts at each call, frames and stacks as the interpreter's. */
class CompiledVm implements Vm {
  regs: bigint[] = [];
  tags: Int32Array = new Int32Array(11);
  r0Tag = 0;
  tailReturn = false;
  pc = 0;
  readonly memory: Memory;
  readonly fast: rt.FastMemory;
  private readonly code: CompiledCode;
  private readonly stacks: Stack[] = [];
  /** The registers helpers see, one array per call depth (a callback's helpers must not clobber its caller's). */
  private readonly regsByDepth: bigint[][] = [];
  private readonly tagsByDepth: Int32Array[] = [];
  private run = 0;

  constructor(readonly program: ExecProgram, readonly env: ExecEnv, compiled: Compiled) {
    this.memory = env.memory;
    compiled.code ??= compiled.factory(runtime, program.coverage);
    this.fast = new rt.FastMemory(env.memory);
    this.code = compiled.code;
  }

  /** One run: its stack frames and whatever its helpers add are run regions, released when it returns. */
  runOnce(r1: bigint): bigint {
    const mark = this.memory.mark();
    this.run++;
    try {
      this.code.begin(this, this.env.insnLimit ?? DEFAULT_INSN_LIMIT);
      const lo = rt.split(r1);
      // r1 is the ctx pointer the emulator made (or 0): its high word is its region, hence its tag.
      const hi = rt.hiOut[0]!;
      const r0lo = this.code.frame(0, hi, lo, 0, 0, 0, 0, 0, 0, 0, 0, hi, 0, 0, 0, 0);
      return rt.big(rt.hiOut[0]!, r0lo);
    } finally {
      this.memory.release(mark);
    }
  }

  /**
   * The generated code keeps its run's state in its closure, which another Vm of the same program (a tail
   * call's target that is this program again) overwrites: saved around the other run and put back.
   */
  nested<T>(run: () => T): T {
    const saved = this.code.save();
    try {
      return run();
    } finally {
      this.code.restore(saved);
    }
  }

  callFunction(entryIndex: number, args: readonly bigint[], tags: readonly number[]): bigint {
    if (!Number.isInteger(entryIndex) || entryIndex < 0 || entryIndex >= this.program.insns.length) {
      throw new ProgramFault(`callback entry ${entryIndex} is outside the program`);
    }
    const w: number[] = [];
    const p: number[] = [];
    for (let i = 0; i < 5; i++) {
      const lo = i < args.length ? rt.split(BigInt.asUintN(64, args[i]!)) : 0;
      w.push(i < args.length ? rt.hiOut[0]! : 0, lo);
      p.push(i < args.length ? tags[i] ?? 0 : 0);
    }
    const lo = this.code.frame(entryIndex, w[0]!, w[1]!, w[2]!, w[3]!, w[4]!, w[5]!, w[6]!, w[7]!, w[8]!, w[9]!, p[0]!, p[1]!, p[2]!, p[3]!, p[4]!);
    return rt.big(rt.hiOut[0]!, lo);
  }

  /** The high word (and tag) of the frame pointer of a zeroed 512-byte stack at `depth` (interpreter.ts newFrame). */
  framePointer(depth: number): number {
    let stack = this.stacks[depth];
    if (stack === undefined) {
      const bytes = new Uint8Array(MAX_BPF_STACK);
      const region = stackBytes(depth === 0 ? 'stack' : `stack of frame ${depth}`, bytes) as ByteRegion & { tags: Int32Array };
      this.stacks[depth] = stack = { bytes, region, hi: 0, run: 0 };
    } else {
      stack.bytes.fill(0);
      clearSpills(stack.region.tags);
    }
    if (stack.run !== this.run) {
      stack.hi = this.memory.addRunRegion(stack.region) | 0;
      stack.run = this.run;
    }
    return stack.hi;
  }

  /** The array a helper called at `depth` sees as vm.regs: r1..r`arity` from the pairs, the rest stale or 0. */
  regsAt(depth: number): bigint[] {
    return (this.regsByDepth[depth] ??= new Array<bigint>(11).fill(0n));
  }

  /** The array a helper called at `depth` sees as vm.tags, which compiled code fills before the call. */
  tagsAt(depth: number): Int32Array {
    return (this.tagsByDepth[depth] ??= new Int32Array(11));
  }
}

/**
 * A helper or kfunc call from compiled code: the Vm sees this frame's registers and the call's pc. Only the
 * registers the helper reads become BigInts when the environment says which (ExecEnv.helperArity); the
 * array is this depth's, reused.
 */
function callOut(vm: CompiledVm, pc: number, depth: number, h0: number, l0: number, h1: number, l1: number,
  h2: number, l2: number, h3: number, l3: number, h4: number, l4: number, h5: number, l5: number, h6: number,
  l6: number, h7: number, l7: number, h8: number, l8: number, h9: number, l9: number, h10: number, l10: number): number {
  const insn = vm.program.insns[pc]!;
  const regs = vm.regsAt(depth);
  const arity = insn.src === CallKind.Helper ? vm.env.helperArity?.[insn.imm] ?? 6 : 6;
  if (arity > 0) regs[1] = rt.big(h1, l1);
  if (arity > 1) regs[2] = rt.big(h2, l2);
  if (arity > 2) regs[3] = rt.big(h3, l3);
  if (arity > 3) regs[4] = rt.big(h4, l4);
  if (arity > 4) regs[5] = rt.big(h5, l5);
  if (arity > 5) {
    regs[0] = rt.big(h0, l0);
    regs[6] = rt.big(h6, l6);
    regs[7] = rt.big(h7, l7);
    regs[8] = rt.big(h8, l8);
    regs[9] = rt.big(h9, l9);
    regs[10] = rt.big(h10, l10);
  }
  vm.pc = pc;
  vm.regs = regs;
  vm.tags = vm.tagsAt(depth);
  vm.r0Tag = 0;
  let r0: bigint;
  try {
    r0 = insn.src === CallKind.Helper ? vm.env.callHelper(insn.imm, vm) : vm.env.callKfunc(insn, vm);
  } catch (e) {
    throw rt.faultAt(e, pc);
  }
  return rt.split(r0);
}

/**
 * bpf_map_lookup_elem from compiled code, on words (helpers.ts mapLookup through env.mapLookup), as callOut
 * returns r0. Environments without mapLookup take callOut.
 */
function lookupOut(vm: CompiledVm, pc: number, depth: number, h0: number, l0: number, h1: number, l1: number, h2: number,
  l2: number, h3: number, l3: number, h4: number, l4: number, h5: number, l5: number, h6: number, l6: number, h7: number,
  l7: number, h8: number, l8: number, h9: number, l9: number, h10: number, l10: number): number {
  const lookup = vm.env.mapLookup;
  if (lookup === undefined) {
    return callOut(vm, pc, depth, h0, l0, h1, l1, h2, l2, h3, l3, h4, l4, h5, l5, h6, l6, h7, l7, h8, l8, h9, l9, h10, l10);
  }
  const tags = vm.tagsAt(depth);
  try {
    // The value pointer the helper made: its high word is its region id, hence its tag (0: NULL).
    rt.hiOut[0] = lookup(tags[1]!, h1, l1, tags[2]!, h2, l2);
    vm.r0Tag = rt.hiOut[0]!; // as an int32, as every tag is
  } catch (e) {
    throw rt.faultAt(e, pc);
  }
  return 0;
}

/** BPF_PSEUDO_FUNC: the code address of insn `target` (verifier.c check_ld_imm), split. */
function codePointer(vm: CompiledVm, target: number): number {
  return rt.split(vm.memory.codePointer(vm.program, target));
}

/** An atomic compiled code does not do itself (compiled-atomics.ts), or that missed: Memory's path. */
function atomicOut(vm: CompiledVm, code: number, imm: number, dp: number, dh: number, dl: number, sp: number, sh: number, sl: number,
  r0h: number, r0l: number, off: number, pc: number): number {
  const v = rt.atomic(vm.memory, code, imm, dp, rt.big(dh, dl), sp, rt.big(sh, sl), rt.big(r0h, r0l), off, pc);
  return v === undefined ? 0 : rt.split(v);
}

const runtime = {
  ...rt, callOut, lookupOut, codePointer, atomicOut, retag, ProgramFault, MAX_CALL_FRAMES, BPF_MAX_LOOPS,
};

// ---- compilation ----

const compiledByInsns = new WeakMap<Insn[], Compiled | null>();

/**
 * The compiled form of `program` (cached per instruction array, which belongs to one linked program and so
 * has coverage or not), or null when it stays on the interpreter. With coverage it is a variant of its own
 * that counts; without, the generated code has no trace of it.
 */
export function compile(program: ExecProgram): Compiled | null {
  const insns = program.insns;
  let compiled = compiledByInsns.get(insns);
  if (compiled !== undefined) return compiled;
  compiled = compilable(insns) ? generate(program) : null;
  compiledByInsns.set(insns, compiled);
  return compiled;
}

function compilable(insns: Insn[]): boolean {
  if (insns.length > MAX_COMPILED_INSNS) return false;
  for (let i = 0; i < insns.length; i++) {
    const insn = insns[i]!;
    const isLdImm64Tail = i > 0 && insns[i - 1]!.code === LD_IMM64;
    // The tail of ld_imm64 still executes as an instruction if something jumps to it; its registers
    // are only read then, so they must be real registers too.
    if (insn.dst > 10 || insn.src > 10) {
      if (isLdImm64Tail && insn.dst === 0 && insn.src === 0) continue;
      return false;
    }
  }
  return true;
}

const isTerminator = (code: number): boolean => {
  const cls = code & 0x07;
  return cls === Class.Jmp || cls === Class.Jmp32;
};

/** Where control may arrive other than by falling through: block starts. */
function leadersOf(program: ExecProgram): Set<number> {
  const insns = program.insns;
  const n = insns.length;
  const leaders = new Set<number>([0]);
  for (const f of program.functions ?? []) if (f.start >= 0 && f.start < n) leaders.add(f.start);
  const add = (t: number): void => {
    if (t >= 0 && t < n) leaders.add(t);
  };
  for (let pc = 0; pc < n; pc++) {
    const { code, src, off, imm } = insns[pc]!;
    const cls = code & 0x07;
    if (cls === Class.Jmp || cls === Class.Jmp32) {
      const op = code & 0xf0;
      add(pc + 1);
      if (op === JmpOp.Call) {
        if (src === CallKind.Local) add(pc + imm + 1);
      } else if (cls === Class.Jmp32 && op === JmpOp.Ja) add(pc + 1 + imm);
      else if (op !== JmpOp.Exit) add(pc + 1 + off);
    } else if (code === LD_IMM64 && src === PseudoLd.Func) add(pc + imm + 1);
  }
  return leaders;
}

interface Block {
  start: number;
  /** Instruction indices executed in order (an ld_imm64 counts once). */
  pcs: number[];
  /** Where control falls to after the last instruction if it is not a terminator (may be n). */
  next: number;
}

function blocksOf(program: ExecProgram, leaders: Set<number>): Block[] {
  const insns = program.insns;
  const n = insns.length;
  const blocks: Block[] = [];
  for (const start of [...leaders].sort((a, b) => a - b)) {
    const pcs: number[] = [];
    let pc = start;
    let next = n;
    for (;;) {
      pcs.push(pc);
      const code = insns[pc]!.code;
      next = pc + (code === LD_IMM64 && pc + 1 < n ? 2 : 1);
      // A terminator's fall-through (not-taken branch, return from a call) is its next slot.
      if (isTerminator(code) || next >= n || leaders.has(next)) break;
      pc = next;
    }
    blocks.push({ start, pcs, next });
  }
  return blocks;
}

/**
 * Memory instructions up to this many get an inline cache in locals (region id, view, base, bound); a
 * program with more calls FastMemory for each access (a function that large is past V8's optimiser anyway).
 */
const MAX_INLINE_CACHES = 256;

/** Generates the program's JavaScript. */
function generate(program: ExecProgram): Compiled {
  const insns = program.insns;
  const n = insns.length;
  const blocks = blocksOf(program, leadersOf(program));
  const slotOf = new Map<number, number>();
  const atomicSlotOf = new Map<number, number>();
  for (let pc = 0; pc < n; pc++) {
    const { code, imm } = insns[pc]!;
    const cls = code & 0x07;
    if (cls !== Class.Ldx && cls !== Class.St && cls !== Class.Stx) continue;
    if ((code & 0xe0) !== Mode.Atomic) slotOf.set(pc, slotOf.size);
    else if (cls === Class.Stx && inlineAtomic(sizeBytes(code), imm)) atomicSlotOf.set(pc, atomicSlotOf.size);
  }
  const caches = slotOf.size <= MAX_INLINE_CACHES ? slotOf.size : 0;
  const atomicCaches = atomicSlotOf.size <= MAX_INLINE_CACHES ? atomicSlotOf.size : 0;
  const covered = program.coverage !== undefined;
  const e = new Emitter(program, caches > 0 ? slotOf : null, atomicCaches > 0 ? atomicSlotOf : null, covered);
  const out: string[] = [];
  for (let b = 0; b < blocks.length; b++) {
    const block = blocks[b]!;
    const count = block.pcs.length;
    out.push(`case ${block.start}:`);
    out.push(`if ((left -= ${count}) < 0) { left += ${count}; pc = ${n + block.start}; continue; }`);
    for (const pc of block.pcs) out.push(e.insn(pc));
    // Falling out of the block (a not-taken branch, after a call, or straight-line code): into the next
    // case when that is where control goes, else a jump. Unreachable after exit/ja, which is harmless.
    const last = block.pcs[count - 1]!;
    if (block.next >= n) out.push(`throw fault('fell off the end of the program', ${last});`);
    else if (blocks[b + 1]?.start !== block.next) out.push(`pc = ${block.next}; continue;`);
  }
  // The precise copies: run the block up to the instruction the limit stops, then fault there.
  for (const block of blocks) {
    out.push(`case ${n + block.start}: { const k = left;`);
    block.pcs.forEach((pc, j) => {
      const limitFault = `throw fault('instruction limit reached (' + limit + ')', ${pc});`;
      if (j === block.pcs.length - 1) out.push(limitFault);
      else out.push(`if (k === ${j}) ${limitFault}`, e.insn(pc));
    });
    out.push('}');
  }
  const regs = Array.from({ length: 11 }, (_, i) => `h${i} = 0, l${i} = 0, p${i} = 0`).join(', ');
  const cacheDecl = Array.from({ length: caches }, (_, k) => `, ic${k} = 0, iv${k} = DV, ib${k} = 0, io${k} = 0, im${k} = -1, it${k} = null`).join('')
    + Array.from({ length: atomicCaches }, (_, k) => `, ac${k} = 0, aw${k} = NW, ab${k} = 0, ao${k} = 0, am${k} = -1, at${k} = null, as${k} = false, aq${k} = null`).join('');
  const source = `"use strict";
const { hiOut, tagOut, fault, unknownOpcode, faultAt, lsh64, rsh64, arsh64, div64, div32, bswap16, bswap32,
  callOut, lookupOut, codePointer, atomicOut, retag, ProgramFault, MAX_CALL_FRAMES, BPF_MAX_LOOPS } = rt;
const imul = Math.imul, DV = new DataView(new ArrayBuffer(8)), NW = new Int32Array(0);
${covered ? '// Coverage (coverage-counters.ts): instructions run, branches taken and not, frames entered.\nconst cvE = cov.executed, cvT = cov.taken, cvN = cov.notTaken, cvF = cov.entered;' : ''}
// The run's state. \`budget\` is the instructions left; a frame keeps it in a local (left) and hands it
// back around everything that may run instructions of its own (calls, callbacks) and at exit.
let vm = null, M = null, limit = 0, budget = 0, depth = 0;
function begin(v, lim) { vm = v; M = v.fast; limit = lim; budget = lim; depth = 0; }
function save() { return [vm, M, limit, budget, depth]; }
function restore(s) { vm = s[0]; M = s[1]; limit = s[2]; budget = s[3]; depth = s[4]; }
function frame(entry, a1h, a1l, a2h, a2l, a3h, a3l, a4h, a4l, a5h, a5l, a1p, a2p, a3p, a4p, a5p) {
  if (depth >= MAX_CALL_FRAMES) throw new ProgramFault('call stack of ' + (depth + 1) + ' frames is too deep (MAX_CALL_FRAMES is ' + MAX_CALL_FRAMES + ')');
  const fp = vm.framePointer(depth);${covered ? '\n  cvF[entry]++;' : ''}
  const callerRegs = vm.regs, callerTags = vm.tags, callerPc = vm.pc;
  depth++;
  try {
    return body(entry, fp, a1h, a1l, a2h, a2l, a3h, a3l, a4h, a4l, a5h, a5l, a1p, a2p, a3p, a4p, a5p);
  } finally {
    depth--;
    vm.regs = callerRegs;
    vm.tags = callerTags;
    vm.pc = callerPc;
  }
}
function local(target, pc, a1h, a1l, a2h, a2l, a3h, a3l, a4h, a4l, a5h, a5l, a1p, a2p, a3p, a4p, a5p) {
  vm.pc = pc;
  try {
    return frame(target, a1h, a1l, a2h, a2l, a3h, a3l, a4h, a4l, a5h, a5l, a1p, a2p, a3p, a4p, a5p);
  } catch (e) {
    throw faultAt(e, pc);
  }
}
function body(pc, fp, a1h, a1l, a2h, a2l, a3h, a3l, a4h, a4l, a5h, a5l, a1p, a2p, a3p, a4p, a5p) {
  let ${regs};
  h1 = a1h; l1 = a1l; h2 = a2h; l2 = a2l; h3 = a3h; l3 = a3l; h4 = a4h; l4 = a4l; h5 = a5h; l5 = a5l;
  p1 = a1p; p2 = a2p; p3 = a3p; p4 = a4p; p5 = a5p;
  h10 = fp; l10 = ${MAX_BPF_STACK}; p10 = fp;
  const tg = vm.tagsAt(depth);
  let mg = BPF_MAX_LOOPS, left = budget, t = 0, u = 0, c = 0, tv = 0, tw = 0, tq = 0${cacheDecl};
  for (;;) switch (pc) {
${out.join('\n')}
  default: throw new Error('compiled program ' + ${JSON.stringify(JSON.stringify(program.name))} + ': no block starts at insn ' + pc);
  }
}
return { begin, frame, save, restore };
`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function('rt', 'cov', source) as Compiled['factory'];
  return { factory };
}

/** The JavaScript of single instructions, in the interpreter's order of checks. */
class Emitter {
  private readonly n: number;
  /**
   * What a call that may move the packet does to the inline caches: forgets them all (a cache holds the
   * packet region's bounds as they were). Empty when the program calls no helper that moves it.
   */
  private readonly dropCaches: string;
  /**
   * slotOf: each plain memory instruction's inline cache, atomicSlotOf each inline atomic's (compiled-atomics.ts),
   * or null when the program has too many.
   */
  constructor(
    private readonly program: ExecProgram,
    private readonly slotOf: Map<number, number> | null,
    private readonly atomicSlotOf: Map<number, number> | null,
    /** Counting for coverage (coverage-counters.ts): each instruction, each branch's two ways. */
    private readonly covered = false,
  ) {
    this.n = program.insns.length;
    const movesPacket = program.insns.some((i) => (i.code & 0x07) === Class.Jmp && (i.code & 0xf0) === JmpOp.Call
      && i.src === CallKind.Helper && changesPktData.has(i.imm));
    this.dropCaches = !movesPacket ? ''
      : Array.from({ length: slotOf?.size ?? 0 }, (_, k) => `ic${k} = 0; im${k} = -1; `).join('')
        + Array.from({ length: atomicSlotOf?.size ?? 0 }, (_, k) => `ac${k} = 0; am${k} = -1; `).join('');
  }

  /**
   * The caches to forget after a call: one of the helpers that move the packet (packet-helpers.ts
   * changesPktData), or anything that may run code calling one (a subprogram, a kfunc, a callback helper).
   */
  private dropAfter(src: number, imm: number): string {
    if (this.dropCaches === '') return '';
    const mayMove = src !== CallKind.Helper || changesPktData.has(imm) || imm === HelperId.Loop || imm === HelperId.ForEachMapElem;
    return mayMove ? this.dropCaches : '';
  }

  insn(pc: number): string {
    const code = this.program.insns[pc]!.code;
    // Counted on entry, as the interpreter counts: a faulting instruction ran.
    return this.covered ? `cvE[${pc}]++; ${this.body(pc, code)}` : this.body(pc, code);
  }

  private body(pc: number, code: number): string {
    const insn = this.program.insns[pc]!;
    switch (code & 0x07) {
      case Class.Alu64: return this.alu64(pc, insn);
      case Class.Alu: return this.alu32(pc, insn);
      case Class.Jmp: return this.jmp(pc, insn);
      case Class.Jmp32: return this.jmp32(pc, insn);
      case Class.Ldx: return this.ldx(pc, insn);
      case Class.St: return this.st(pc, insn);
      case Class.Stx: return this.stx(pc, insn);
      default: return this.ld(pc, insn);
    }
  }

  private unknown(pc: number, code: number): string {
    return `throw unknownOpcode(${code}, ${pc});`;
  }

  /** The 64-bit operand: src register or imm sign-extended. */
  private operand64(insn: Insn): [string, string] {
    if (insn.code & X) return [`h${insn.src}`, `l${insn.src}`];
    return [insn.imm < 0 ? '-1' : '0', `${insn.imm | 0}`];
  }

  /** The jump to `target` from `pc`, or the interpreter's out-of-range fault (reported at the jump). */
  private goto(pc: number, target: number): string {
    if (target < 0 || target >= this.n) {
      return `throw fault(${JSON.stringify(target === this.n ? 'fell off the end of the program' : `jump out of range to insn ${target}`)}, ${pc});`;
    }
    return `{ pc = ${target}; continue; }`;
  }

  /**
   * A conditional jump; with coverage, its two ways counted as the interpreter counts them: on arriving, so
   * a way that leaves the program (it faults) is not counted.
   */
  private branch(pc: number, cond: string, target: number): string {
    const jump = this.goto(pc, target);
    if (!this.covered || !isBranch(this.program.insns[pc]!)) return `if (${cond}) ${jump}`;
    const taken = target >= 0 && target < this.n ? `{ cvT[${pc}]++; ${jump} }` : jump;
    return `if (${cond}) ${taken}${pc + 1 < this.n ? ` cvN[${pc}]++;` : ''}`;
  }

  private alu64(pc: number, insn: Insn): string {
    const { code, dst, off, imm } = insn;
    const [bh, bl] = this.operand64(insn);
    const h = `h${dst}`;
    const l = `l${dst}`;
    switch (code & 0xf0) {
      // In int32 throughout: the carry is the low sum wrapping below an addend, the borrow b > a unsigned.
      case AluOp.Add: return `${this.addTag(insn)}c = (${l} + ${bl}) | 0; ${h} = (${h} + ${bh} + ((c >>> 0) < (${l} >>> 0) ? 1 : 0)) | 0; ${l} = c;`;
      case AluOp.Sub: return `${this.subTag(insn)}c = (${l} - ${bl}) | 0; ${h} = (${h} - ${bh} - ((${bl} >>> 0) > (${l} >>> 0) ? 1 : 0)) | 0; ${l} = c;`;
      case AluOp.Mul: return this.mul64(h, l, bh, bl, insn);
      case AluOp.Or: return `${h} |= ${bh}; ${l} |= ${bl};`;
      case AluOp.And: return `${h} &= ${bh}; ${l} &= ${bl};`;
      case AluOp.Xor: return `${h} ^= ${bh}; ${l} ^= ${bl};`;
      case AluOp.Lsh: case AluOp.Rsh: case AluOp.Arsh:
        return code & X ? this.shiftReg(code & 0xf0, h, l, bl) : this.shiftConst(code & 0xf0, h, l, imm & 63);
      case AluOp.Neg: return `t = ${l}; ${l} = -t | 0; ${h} = (~${h} + (t === 0 ? 1 : 0)) | 0;`;
      case AluOp.Div: case AluOp.Mod:
        if (off !== 0 && off !== 1) break;
        return `${l} = div64(${h}, ${l}, ${bh}, ${bl}, ${off === 1}, ${(code & 0xf0) === AluOp.Mod}); ${h} = hiOut[0];`;
      case AluOp.Mov: {
        // A move copies the tag; movsx and a constant make a scalar.
        const tag = off === 0 && code & X ? `p${insn.src}` : '0';
        if (off === 0) return `${h} = ${bh}; ${l} = ${bl}; p${dst} = ${tag};`;
        if (off === 8) return `${l} = (${bl} << 24) >> 24; ${h} = ${l} >> 31; p${dst} = 0;`;
        if (off === 16) return `${l} = (${bl} << 16) >> 16; ${h} = ${l} >> 31; p${dst} = 0;`;
        if (off === 32) return `${l} = ${bl} | 0; ${h} = ${l} >> 31; p${dst} = 0;`;
        break;
      }
      case AluOp.End:
        if ((code & X) === 0) return this.bswap(pc, h, l, imm);
        break;
    }
    return this.unknown(pc, code);
  }

  /** ADD X's tag: scalar + pointer is a pointer, pointer + pointer a scalar (verifier.c adjust_reg_min_max_vals). */
  private addTag(insn: Insn): string {
    if ((insn.code & X) === 0) return '';
    return `if (p${insn.src} !== 0) p${insn.dst} = p${insn.dst} !== 0 ? 0 : p${insn.src}; `;
  }

  /** SUB X's tag: pointer - pointer is a scalar, pointer - scalar stays a pointer. */
  private subTag(insn: Insn): string {
    if ((insn.code & X) === 0) return '';
    return `if (p${insn.src} !== 0 && p${insn.dst} !== 0) p${insn.dst} = 0; `;
  }

  /**
   * The low 64 bits of a * b (core.c ALU64_MUL) inline, in int32 operations where V8 has them: the high word
   * of the low words' product from their 16-bit halves (a0*b0 >>> 16, then the middle sum, < 2^34, exact in
   * a double), plus the cross terms, which only reach the high word. Every term is read before either word
   * of the destination is written (dst may be src).
   */
  private mul64(h: string, l: string, bh: string, bl: string, insn: Insn): string {
    const constant = (insn.code & X) === 0;
    const b0 = constant ? `${insn.imm & 0xffff}` : 'tv';
    const b1 = constant ? `${(insn.imm >>> 16) & 0xffff}` : 'tw';
    const split = constant ? '' : `tv = ${bl} & 0xffff; tw = ${bl} >>> 16; `;
    return `t = ${l} & 0xffff; u = ${l} >>> 16; ${split}tq = (imul(u, ${b0}) >>> 0) + (imul(t, ${b1}) >>> 0) + (imul(t, ${b0}) >>> 16); `
      + `${h} = (imul(u, ${b1}) + ((tq / 65536) >>> 0) + imul(${h}, ${bl}) + imul(${l}, ${bh})) | 0; ${l} = imul(${l}, ${bl});`;
  }

  private shiftConst(op: number, h: string, l: string, s: number): string {
    if (s === 0) return '';
    if (op === AluOp.Lsh) {
      return s < 32 ? `${h} = (${h} << ${s}) | (${l} >>> ${32 - s}); ${l} = ${l} << ${s};` : `${h} = ${l} << ${s - 32}; ${l} = 0;`;
    }
    if (op === AluOp.Rsh) {
      return s < 32 ? `${l} = (${l} >>> ${s}) | (${h} << ${32 - s}); ${h} = (${h} >>> ${s}) | 0;` : `${l} = (${h} >>> ${s - 32}) | 0; ${h} = 0;`;
    }
    return s < 32 ? `${l} = (${l} >>> ${s}) | (${h} << ${32 - s}); ${h} = ${h} >> ${s};` : `${l} = ${h} >> ${s - 32}; ${h} = ${h} >> 31;`;
  }

  private shiftReg(op: number, h: string, l: string, amount: string): string {
    const fn = op === AluOp.Lsh ? 'lsh64' : op === AluOp.Rsh ? 'rsh64' : 'arsh64';
    return `${l} = ${fn}(${h}, ${l}, ${amount}); ${h} = hiOut[0];`;
  }

  /** Byte swap of the low `bits`, zero-extended (interpreter.ts bswap). */
  private bswap(pc: number, h: string, l: string, bits: number): string {
    switch (bits) {
      case 16: return `${l} = bswap16(${l}); ${h} = 0;`;
      case 32: return `${l} = bswap32(${l}); ${h} = 0;`;
      case 64: return `t = bswap32(${h}); ${h} = bswap32(${l}); ${l} = t;`;
    }
    return `throw fault(${JSON.stringify(`invalid byte-swap width ${bits}`)}, ${pc});`;
  }

  private alu32(pc: number, insn: Insn): string {
    const { code, dst, src, off, imm } = insn;
    const h = `h${dst}`;
    const l = `l${dst}`;
    if ((code & 0xf0) === AluOp.End) {
      if (code & X) return this.bswap(pc, h, l, imm);
      if (imm === 16) return `${l} &= 0xffff; ${h} = 0;`;
      if (imm === 32) return `${h} = 0;`;
      if (imm === 64) return '';
      return `throw fault(${JSON.stringify(`invalid byte-order width ${imm}`)}, ${pc});`;
    }
    const b = code & X ? `l${src}` : `${imm | 0}`;
    // 32-bit results are zero-extended into the 64-bit register (core.c: DST = (u32) ...).
    const set = (expr: string): string => `${l} = ${expr}; ${h} = 0;`;
    switch (code & 0xf0) {
      case AluOp.Add: return set(`(${l} + ${b}) | 0`);
      case AluOp.Sub: return set(`(${l} - ${b}) | 0`);
      case AluOp.Mul: return set(`Math.imul(${l}, ${b})`);
      case AluOp.Or: return set(`${l} | ${b}`);
      case AluOp.And: return set(`${l} & ${b}`);
      case AluOp.Xor: return set(`${l} ^ ${b}`);
      case AluOp.Lsh: return set(`${l} << (${b} & 31)`);
      case AluOp.Rsh: return set(`(${l} >>> (${b} & 31)) | 0`);
      case AluOp.Arsh: return set(`${l} >> (${b} & 31)`);
      case AluOp.Neg: return set(`-${l} | 0`);
      case AluOp.Div: case AluOp.Mod:
        if (off !== 0 && off !== 1) break;
        return set(`div32(${l}, ${b}, ${off === 1}, ${(code & 0xf0) === AluOp.Mod})`);
      // A 32-bit move of a pointer is its low half: a scalar (verifier.c check_alu_op, "partial copy").
      case AluOp.Mov:
        if (off === 0) return `${set(b)} p${dst} = 0;`;
        if (off === 8) return `${set(`(${b} << 24) >> 24`)} p${dst} = 0;`;
        if (off === 16) return `${set(`(${b} << 16) >> 16`)} p${dst} = 0;`;
        break;
    }
    return this.unknown(pc, code);
  }

  private jmp(pc: number, insn: Insn): string {
    const { code, dst, src, off } = insn;
    const op = code & 0xf0;
    switch (op) {
      case JmpOp.Exit:
        if (code !== (Class.Jmp | JmpOp.Exit)) return this.unknown(pc, code);
        return 'budget = left; hiOut[0] = h0; tagOut[0] = p0; return l0;';
      case JmpOp.Call:
        if (code !== (Class.Jmp | JmpOp.Call)) return this.unknown(pc, code);
        return this.call(pc, insn);
      case JmpOp.Ja:
        if (code !== (Class.Jmp | JmpOp.Ja)) return this.unknown(pc, code);
        return this.goto(pc, pc + 1 + off);
      case JmpOp.Jcond:
        // may_goto: falls through while the frame's budget lasts, then jumps (interpreter.ts).
        if (code !== (Class.Jmp | JmpOp.Jcond) || src !== 0) return this.unknown(pc, code);
        return `${this.branch(pc, 'mg === 0', pc + 1 + off)} mg--;`;
    }
    const cond = this.compare64(op, dst, this.operand64(insn));
    if (cond === null) return `throw fault(${JSON.stringify(`unknown jump op 0x${op.toString(16)}`)}, ${pc});`;
    return this.branch(pc, cond, pc + 1 + off);
  }

  /** core.c COND_JMP on 64 bits, over pairs: the high words decide unless equal. */
  private compare64(op: number, dst: number, [bh, bl]: [string, string]): string | null {
    const ah = `h${dst}`;
    const al = `l${dst}`;
    const u = (s: string): string => `(${s} >>> 0)`;
    const lex = (hiCmp: string, loCmp: string): string => `(${hiCmp} || (${ah} === ${bh} && ${loCmp}))`;
    switch (op) {
      case JmpOp.Jeq: return `${al} === ${bl} && ${ah} === ${bh}`;
      case JmpOp.Jne: return `${al} !== ${bl} || ${ah} !== ${bh}`;
      case JmpOp.Jgt: return lex(`${u(ah)} > ${u(bh)}`, `${u(al)} > ${u(bl)}`);
      case JmpOp.Jge: return lex(`${u(ah)} > ${u(bh)}`, `${u(al)} >= ${u(bl)}`);
      case JmpOp.Jlt: return lex(`${u(ah)} < ${u(bh)}`, `${u(al)} < ${u(bl)}`);
      case JmpOp.Jle: return lex(`${u(ah)} < ${u(bh)}`, `${u(al)} <= ${u(bl)}`);
      case JmpOp.Jset: return `((${ah} & ${bh}) | (${al} & ${bl})) !== 0`;
      case JmpOp.Jsgt: return lex(`${ah} > ${bh}`, `${u(al)} > ${u(bl)}`);
      case JmpOp.Jsge: return lex(`${ah} > ${bh}`, `${u(al)} >= ${u(bl)}`);
      case JmpOp.Jslt: return lex(`${ah} < ${bh}`, `${u(al)} < ${u(bl)}`);
      case JmpOp.Jsle: return lex(`${ah} < ${bh}`, `${u(al)} <= ${u(bl)}`);
    }
    return null;
  }

  private jmp32(pc: number, insn: Insn): string {
    const { code, dst, src, off, imm } = insn;
    const op = code & 0xf0;
    if (op === JmpOp.Ja) {
      // gotol: JMP32 | JA carries its offset in imm (core.c JMP32_JA).
      if (code !== (Class.Jmp32 | JmpOp.Ja)) return this.unknown(pc, code);
      return this.goto(pc, pc + 1 + imm);
    }
    const a = `l${dst}`;
    const b = code & X ? `l${src}` : `${imm | 0}`;
    const u = (s: string): string => `(${s} >>> 0)`;
    let cond: string;
    switch (op) {
      case JmpOp.Jeq: cond = `${a} === ${b}`; break;
      case JmpOp.Jne: cond = `${a} !== ${b}`; break;
      case JmpOp.Jgt: cond = `${u(a)} > ${u(b)}`; break;
      case JmpOp.Jge: cond = `${u(a)} >= ${u(b)}`; break;
      case JmpOp.Jlt: cond = `${u(a)} < ${u(b)}`; break;
      case JmpOp.Jle: cond = `${u(a)} <= ${u(b)}`; break;
      case JmpOp.Jset: cond = `(${a} & ${b}) !== 0`; break;
      case JmpOp.Jsgt: cond = `${a} > ${b}`; break;
      case JmpOp.Jsge: cond = `${a} >= ${b}`; break;
      case JmpOp.Jslt: cond = `${a} < ${b}`; break;
      case JmpOp.Jsle: cond = `${a} <= ${b}`; break;
      default: return this.unknown(pc, code);
    }
    return this.branch(pc, cond, pc + 1 + off);
  }

  /**
   * BPF_JMP | BPF_CALL by src_reg; r1-r5 stay as they were (interpreter.ts call). The frame's instruction
   * budget goes back to the run around calls that may run instructions (callbacks, subprograms).
   */
  private call(pc: number, insn: Insn): string {
    const { src, imm } = insn;
    const args = 'h1, l1, h2, l2, h3, l3, h4, l4, h5, l5, p1, p2, p3, p4, p5';
    const all = Array.from({ length: 11 }, (_, i) => `h${i}, l${i}`).join(', ');
    // Helpers read their arguments' tags from vm.tags (this depth's array, tg), and leave r0's in vm.r0Tag.
    const tags = Array.from({ length: 11 }, (_, i) => `tg[${i}] = p${i}; `).join('');
    if (src === CallKind.Helper && imm === HelperId.MapLookupElem) {
      return `budget = left; ${tags}l0 = lookupOut(vm, ${pc}, depth, ${all}); h0 = hiOut[0]; p0 = vm.r0Tag; left = budget;`;
    }
    if (src === CallKind.Helper && imm === HelperId.TailCall) {
      // A tail call that ran its target returns the target's r0 from this frame (tail-call.ts).
      return `budget = left; ${tags}l0 = callOut(vm, ${pc}, depth, ${all}); h0 = hiOut[0]; p0 = vm.r0Tag; left = budget; `
        + 'if (vm.tailReturn) { vm.tailReturn = false; hiOut[0] = h0; tagOut[0] = p0; return l0; }';
    }
    if (src === CallKind.Helper || src === CallKind.Kfunc) {
      return `budget = left; ${tags}l0 = callOut(vm, ${pc}, depth, ${all}); h0 = hiOut[0]; p0 = vm.r0Tag; left = budget; ${this.dropAfter(src, imm)}`;
    }
    if (src === CallKind.Local) {
      const target = pc + imm + 1;
      if (target < 0 || target >= this.n) return `throw fault(${JSON.stringify(`call to insn ${target}, outside the program`)}, ${pc});`;
      return `budget = left; l0 = local(${target}, ${pc}, ${args}); h0 = hiOut[0]; p0 = tagOut[0]; left = budget; ${this.dropAfter(src, imm)}`;
    }
    return `throw fault(${JSON.stringify(`call with unknown src_reg ${src}`)}, ${pc});`;
  }

  /**
   * A load of `size` bytes at (h, l) + off; `assign` turns the result's words into the code that writes
   * them. With an inline cache: the access hits when the pointer's region is the one this instruction last
   * reached and the offset from its first byte (the pointer's low word less ByteRegion.origin) is within
   * [0, region size - size]. The cached view and base stay valid for the frame's life: a byte region's
   * bytes never move (stacks, packets, map slabs fixed for the map's life), and run region ids are not
   * reused before the run ends. Anything else goes to FastMemory, which refills
   * the cache when the region is plain memory, or takes Memory's own path (same checks, same fault messages).
   */
  private load(pc: number, src: number, off: number, size: number, assign: (lo: string, hi: string, tag: string) => string): string {
    const call = `M.load(p${src}, h${src}, l${src}, ${off}, ${size}, ${pc})`;
    const k = this.slotOf?.get(pc);
    if (k === undefined) return `t = ${call}; ${assign('t', 'hiOut[0]', 'M.tag')}`;
    const at = `ib${k} + t`;
    let hit: string;
    switch (size) {
      case 1: hit = assign(`iv${k}.getUint8(${at})`, '0', '0'); break;
      case 2: hit = assign(`iv${k}.getUint16(${at}, true)`, '0', '0'); break;
      case 4: hit = assign(`iv${k}.getInt32(${at}, true)`, '0', '0'); break;
      // A 64-bit aligned load from a stack gives back the tag of the pointer spilled there.
      default: hit = `u = iv${k}.getInt32(${at} + 4, true); ${assign(`iv${k}.getInt32(${at}, true)`, 'u', `(it${k} === null || (t & 7) !== 0 ? 0 : it${k}[t >> 3])`)}`;
    }
    return `t = (l${src} >>> 0) + ${off} - io${k}; if (p${src} === ic${k} && h${src} === ic${k} && t >= 0 && t <= im${k}) { ${hit} } else { `
      + `t = ${call}; ${assign('t', 'hiOut[0]', 'M.tag')} if (M.hit) { ic${k} = M.hi; iv${k} = M.view; ib${k} = M.base; io${k} = M.origin; im${k} = M.max; it${k} = M.tags; } }`;
  }

  /**
   * A store of the low `size` bytes of (vh, vl), tagged vt, at (h, l) + off; the inline cache as load()'s
   * (writable regions only). A store to a stack records or clears the spill tags it covers (memory.ts retag).
   */
  private store(pc: number, dst: number, off: number, size: number, vh: string, vl: string, vt: string): string {
    const call = `M.store(p${dst}, h${dst}, l${dst}, ${off}, ${size}, ${vh}, ${vl}, ${vt}, ${pc});`;
    const k = this.slotOf?.get(pc);
    if (k === undefined) return call;
    const at = `ib${k} + t`;
    let hit: string;
    switch (size) {
      case 1: hit = `iv${k}.setUint8(${at}, ${vl});`; break;
      case 2: hit = `iv${k}.setUint16(${at}, ${vl}, true);`; break;
      case 4: hit = `iv${k}.setInt32(${at}, ${vl}, true);`; break;
      default: hit = `iv${k}.setInt32(${at}, ${vl}, true); iv${k}.setInt32(${at} + 4, ${vh}, true);`;
    }
    return `t = (l${dst} >>> 0) + ${off} - io${k}; if (p${dst} === ic${k} && h${dst} === ic${k} && t >= 0 && t <= im${k}) { if (it${k} !== null) retag(it${k}, t, ${size}, ${vt}); ${hit} } else { `
      + `${call} if (M.hit) { ic${k} = M.hi; iv${k} = M.view; ib${k} = M.base; io${k} = M.origin; im${k} = M.max; it${k} = M.tags; } }`;
  }

  private ldx(pc: number, insn: Insn): string {
    const { code, dst, src, off } = insn;
    const size = sizeBytes(code);
    const mode = code & 0xe0;
    if (mode === Mode.Mem) return this.load(pc, src, off, size, (lo, hi, tag) => `l${dst} = ${lo}; h${dst} = ${hi}; p${dst} = ${tag};`);
    if (mode === Mode.MemSx && size !== 8) {
      const shift = 32 - size * 8;
      return this.load(pc, src, off, size, (lo) => (shift === 0
        ? `l${dst} = ${lo}; h${dst} = l${dst} >> 31; p${dst} = 0;`
        : `l${dst} = (${lo} << ${shift}) >> ${shift}; h${dst} = l${dst} >> 31; p${dst} = 0;`));
    }
    // The interpreter loads before it looks at the mode: a bad address faults first.
    return `M.load(p${src}, h${src}, l${src}, ${off}, ${size}, ${pc}); ${this.unknown(pc, code)}`;
  }

  private st(pc: number, insn: Insn): string {
    const { code, dst, off, imm } = insn;
    if ((code & 0xe0) !== Mode.Mem) return this.unknown(pc, code);
    return this.store(pc, dst, off, sizeBytes(code), `${imm < 0 ? -1 : 0}`, `${imm | 0}`, '0');
  }

  private stx(pc: number, insn: Insn): string {
    const { code, dst, src, off, imm } = insn;
    const mode = code & 0xe0;
    if (mode === Mode.Mem) return this.store(pc, dst, off, sizeBytes(code), `h${src}`, `l${src}`, `p${src}`);
    if (mode !== Mode.Atomic) return this.unknown(pc, code);
    // Which register the atomic writes (interpreter.ts atomic): decided by imm, known here. What an atomic
    // reads back is memory's bits: a scalar.
    let target: number | null = null;
    if (imm === AtomicOp.LoadAcq) target = dst;
    else if (imm === AtomicOp.Cmpxchg) target = 0;
    else if (imm === AtomicOp.Xchg || (imm & AtomicOp.Fetch && imm !== AtomicOp.StoreRel)) target = src;
    const assign = target === null ? '' : ` h${target} = u; l${target} = c; p${target} = 0;`;
    // Cmpxchg/xchg/fetch on sizes 1/2 or unknown ops throw inside atomicOut before anything is written.
    const slow = `c = atomicOut(vm, ${code}, ${imm}, p${dst}, h${dst}, l${dst}, p${src}, h${src}, l${src}, h0, l0, ${off}, ${pc}); u = hiOut[0];`;
    const size = sizeBytes(code);
    if ((size !== 4 && size !== 8) || !inlineAtomic(size, imm)) return `${slow}${assign}`;
    const region = `M.atomicRegion(p${dst}, h${dst}, l${dst}, ${off}, ${size})`;
    const k = this.atomicSlotOf?.get(pc);
    if (k === undefined) {
      const op = atomicCode(size, imm, 'M.words', 'M.shared', 'M.words64', 'tv', `h${src}`, `l${src}`);
      return `if (${region}) { if (M.tags !== null) M.tags[M.rel >> 3] = 0; tv = (M.base + M.rel) >> 2; ${op} } else { ${slow} }${assign}`;
    }
    // The inline cache as load()'s, and aligned to the size from the region's first byte (Memory.atomicView).
    // An atomic clears the stack slot it writes: what is there is no longer a spilled pointer (memory.ts retag).
    const op = atomicCode(size, imm, `aw${k}`, `as${k}`, `aq${k}`, 'tv', `h${src}`, `l${src}`);
    return `t = (l${dst} >>> 0) + ${off} - ao${k}; if (!(p${dst} === ac${k} && h${dst} === ac${k} && t >= 0 && t <= am${k} && (t & ${size - 1}) === 0)) { `
      + `if (${region}) { ac${k} = M.hi; aw${k} = M.words; ab${k} = M.base; ao${k} = M.origin; am${k} = M.max; at${k} = M.tags; as${k} = M.shared; aq${k} = M.words64; t = M.rel; } else t = -1; } `
      + `if (t >= 0) { if (at${k} !== null) at${k}[t >> 3] = 0; tv = (ab${k} + t) >> 2; ${op} } else { ${slow} }${assign}`;
  }

  private ld(pc: number, insn: Insn): string {
    const { code, dst, src, imm } = insn;
    if (code !== LD_IMM64) {
      const mode = code & 0xe0;
      return mode === Mode.Abs || mode === Mode.Ind
        ? `throw fault('legacy LD_ABS/LD_IND is not supported', ${pc});`
        : this.unknown(pc, code);
    }
    if (pc + 1 >= this.n) return `throw fault('ld_imm64 is missing its second half', ${pc});`;
    if (src === PseudoLd.Func) return `l${dst} = codePointer(vm, ${pc + imm + 1}); h${dst} = hiOut[0]; p${dst} = h${dst};`;
    const hi = this.program.insns[pc + 1]!.imm | 0;
    // A pointer the linker made (a map, a global's value) is tagged with its region: its high word.
    const tag = this.program.pointerLoads?.has(pc) === true ? hi : 0;
    return `h${dst} = ${hi}; l${dst} = ${imm | 0}; p${dst} = ${tag};`;
  }
}

/** How the emulator runs programs: the reference interpreter, or compiled to JavaScript (the default). */
export type Execution = 'interpreter' | 'compiled';
export const EXECUTIONS: readonly Execution[] = ['interpreter', 'compiled'];

/** The executor of an execution mode (both have interpreter.ts execute()'s signature and semantics). */
export function executorOf(execution: Execution | undefined): (program: ExecProgram, env: ExecEnv, r1: bigint) => bigint {
  return execution === 'interpreter' ? execute : executeCompiled;
}

/** A runner for many runs of `program` in `env` in an execution mode (compiled by default). */
export function runnerOf(execution: Execution | undefined, program: ExecProgram, env: ExecEnv): (r1: bigint) => bigint {
  return execution === 'interpreter' ? interpreterRunner(program, env) : compiledRunner(program, env);
}
