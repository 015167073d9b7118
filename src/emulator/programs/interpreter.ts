// The reference interpreter: executes verified eBPF exactly as the kernel does. The arithmetic follows
// kernel/bpf/core.c ___bpf_prog_run PLUS the rewrites the verifier applies before any program runs
// (kernel/bpf/verifier.c do_misc_fixups: division by zero and by -1), because a loaded program never
// executes the raw instruction. Registers are pairs of int32 words (word-pairs.ts): the common instructions
// run on them without allocating; the rest (signed division, movsx, byte swaps, atomics) run on BigInts
// normalised to unsigned 64 bits, as alu64/alu32/endian/atomic below state the rules. Memory is the tagged
// address space of memory.ts, reached on words for plain bytes (word-memory.ts). Every register carries a tag
// beside its value (memory.ts): the region it points into, 0 for a scalar; only a tagged register reaches memory.
import {
  AluOp, AtomicOp, BPF_MAX_LOOPS, CallKind, Class, JmpOp, LD_IMM64, MAX_BPF_STACK, MAX_CALL_FRAMES, Mode, PseudoLd,
  sizeBytes, Source, type Insn,
} from '../../uapi/isa.js';
import { clearSpills, Memory, ProgramFault, regionTag, stackBytes, type AccessSize, type AtomicRmwOp, type ByteRegion } from './memory.js';
import { WordMemory } from './word-memory.js';
import { mulHigh64, pairToBig, splitBig, splitHi } from './word-pairs.js';
import type { CoverageRow } from './coverage-counters.js';

/** A program ready to run: ld_imm64 relocations already patched to plain 64-bit constants. */
export interface ExecProgram {
  insns: Insn[];
  /** Subprogram entries (kept for the compiler; the interpreter follows call offsets). */
  functions?: { start: number }[];
  name: string;
  /**
   * Loaded for a kernel whose inlined map ops return `int` (kernel-version.ts mapOpResultIsInt): helpers.ts
   * zero-extends their 32-bit result into r0.
   */
  mapOpResultIsInt?: boolean;
  /**
   * The bpf_loop call instructions the kernel's verifier would inline (checker/loop-inline.ts): helpers.ts
   * bpfLoop answers for those as the inlined loop does, and as the helper for every other call.
   */
  inlinedLoopCalls?: ReadonlySet<number>;
  /**
   * The ld_imm64 instructions whose constant is a pointer the linker made (a map, a global's value): their
   * value carries the tag of its region (memory.ts). Every other constant is a scalar.
   */
  pointerLoads?: ReadonlySet<number>;
  /** The sizes of the program BTF's structs by type id: what bpf_obj_new allocates (kfuncs.ts). */
  allocSizes?: ReadonlyMap<number, number>;
  /** This thread's row of the program's coverage counters, when the Emulator records coverage. */
  coverage?: CoverageRow;
}

export interface ExecEnv {
  memory: Memory;
  /** A helper call (src_reg 0): arguments in vm.regs[1..5]; returns r0. */
  callHelper(id: number, vm: Vm): bigint;
  /** A kfunc call (src_reg 2, imm as the linker assigned it): arguments in vm.regs[1..5]; returns r0. */
  callKfunc(insn: Insn, vm: Vm): bigint;
  /** Instructions one execute() may run before it faults; DEFAULT_INSN_LIMIT when absent. */
  insnLimit?: number;
  /**
   * Optional: bpf_map_lookup_elem on pointer words and tags, without BigInts (helpers.ts mapLookup), for
   * compiled code. Returns the value pointer's high word (its low word is 0; it is also its tag), or 0 for NULL.
   */
  mapLookup?(mapTag: number, mapHi: number, mapLo: number, keyTag: number, keyHi: number, keyLo: number): number;
  /**
   * Optional: how many of r1..r5 each helper reads (helpers.ts helperArity), so compiled code makes only
   * those BigInts. A helper not listed, and every helper when this is absent, sees all of r0..r10.
   */
  helperArity?: Readonly<Record<number, number>>;
}

/** What helpers see of a running program. */
export interface Vm {
  /** The current frame's r0..r10. */
  readonly regs: bigint[];
  /** Their tags (memory.ts): which region each points into, 0 for a scalar. */
  readonly tags: ArrayLike<number>;
  readonly memory: Memory;
  readonly program: ExecProgram;
  /** The instruction being executed (the call, while a helper runs). */
  readonly pc: number;
  /**
   * A helper or kfunc that returns a pointer it made (a map value) sets its tag here, as an int32 like every
   * tag (regionTag); 0 before each call.
   */
  r0Tag: number;
  /**
   * Runs the subprogram at `entryIndex` in a new frame with r1.. = args, tagged `tags` (a pointer the helper
   * made itself: regionTag(pointer); one of the program's: its register's tag); returns its r0 (bpf_loop & co).
   */
  callFunction(entryIndex: number, args: readonly bigint[], tags: readonly number[]): bigint;
  /** Set by a tail call that ran its target: the calling frame returns the target's r0 (tail-call.ts). */
  tailReturn: boolean;
  /** Runs another run (a tail call's target) inside the current one, which carries on unharmed after. */
  nested<T>(run: () => T): T;
}

/**
 * The default runaway guard: far above anything the verifier lets a program do in one run (1M verified
 * insns; bpf_loop/may_goto cap at 8M iterations), yet an emulated infinite loop ends in seconds.
 */
export const DEFAULT_INSN_LIMIT = 100_000_000;

/**
 * Runs `program` from insn 0 with r1 = `r1` (usually the ctx pointer, which the emulator made: its tag is
 * its region's); returns r0 as unsigned 64 bits.
 */
export function execute(program: ExecProgram, env: ExecEnv, r1: bigint): bigint {
  return interpreterRunner(program, env)(r1);
}

/** execute() for many runs of `program` in `env` (BPF_PROG_TEST_RUN's repeat): one Machine, stacks reused. */
export function interpreterRunner(program: ExecProgram, env: ExecEnv): (r1: bigint) => bigint {
  const machine = new Machine(program, env, decode(program));
  const args = [0n];
  const tags = [0];
  return (r1) => {
    // Stack frames are run regions; anything the caller added before (ctx, packet) survives this run.
    const mark = env.memory.mark();
    machine.begin();
    args[0] = r1;
    tags[0] = regionTag(r1);
    try {
      return runFrame(machine, 0, args, tags);
    } finally {
      env.memory.release(mark);
    }
  };
}

/** For helpers implementing callbacks: runs a subprogram to its exit in a new frame. */
export function callFunction(vm: Vm, entryIndex: number, args: readonly bigint[], tags: readonly number[]): bigint {
  return vm.callFunction(entryIndex, args, tags);
}

// ---- decoding: once per program, each instruction's fields into parallel typed arrays plus `op`, a small
// number naming exactly what the instruction does, so the dispatch loop is one switch and allocates nothing ----

/**
 * op = kind << 4 | (code >> 4), the low nibble being the AluOp/JmpOp: kind 1 ALU64 K, 2 ALU64 X, 3 ALU K,
 * 4 ALU X, 5 JMP K, 6 JMP X, 7 JMP32 K, 8 JMP32 X; then 0x90 LDX MEM, 0x91 LDX MEMSX, 0x92 ST MEM, 0x93 STX MEM,
 * 0x94 ld_imm64 of a constant. GENERIC is everything else (byte swaps, signed division, movsx, atomics, code
 * addresses, malformed instructions): bigStep() runs it on BigInts, as the arithmetic is written below.
 */
const GENERIC = 0;
const OP_LDX = 0x90;
const OP_LDX_SX = 0x91;
const OP_ST = 0x92;
const OP_STX = 0x93;
const OP_LD_IMM64 = 0x94;

interface Decoded {
  n: number;
  op: Uint8Array;
  code: Uint8Array;
  dst: Uint8Array;
  src: Uint8Array;
  off: Int16Array;
  imm: Int32Array;
  /** ld_imm64: the next slot's imm (the constant's high word). */
  imm2: Int32Array;
  /** Loads and stores: the access size in bytes. */
  size: Uint8Array;
  /** ld_imm64: the constant's tag (its high word for a pointer the linker made, else 0). */
  tag: Int32Array;
}

const decodedByInsns = new WeakMap<Insn[], Decoded>();

function decode(program: ExecProgram): Decoded {
  const insns = program.insns;
  const cached = decodedByInsns.get(insns);
  if (cached !== undefined) return cached;
  const n = insns.length;
  const d: Decoded = {
    n, op: new Uint8Array(n), code: new Uint8Array(n), dst: new Uint8Array(n), src: new Uint8Array(n),
    off: new Int16Array(n), imm: new Int32Array(n), imm2: new Int32Array(n), size: new Uint8Array(n), tag: new Int32Array(n),
  };
  for (let i = 0; i < n; i++) {
    const insn = insns[i]!;
    d.code[i] = insn.code;
    d.dst[i] = insn.dst;
    d.src[i] = insn.src;
    d.off[i] = insn.off;
    d.imm[i] = insn.imm;
    d.imm2[i] = insn.code === LD_IMM64 && i + 1 < n ? insns[i + 1]!.imm : 0;
    d.tag[i] = program.pointerLoads?.has(i) === true ? d.imm2[i]! : 0;
    d.size[i] = sizeBytes(insn.code);
    d.op[i] = opOf(insn.code, insn.dst, insn.src, insn.off, i + 1 >= n);
  }
  decodedByInsns.set(insns, d);
  return d;
}

const LAST_REG = 10;

/**
 * The fast op of an instruction, or GENERIC. An instruction naming a register past r10 is GENERIC too
 * (the verifier refuses it; bigStep behaves as this interpreter always has).
 */
function opOf(code: number, dst: number, src: number, off: number, isLast: boolean): number {
  const x = (code & X) !== 0;
  const op = code & 0xf0;
  const regsOk = dst <= LAST_REG && (!x || src <= LAST_REG);
  switch (code & 0x07) {
    case Class.Alu64:
    case Class.Alu: {
      if (!regsOk || op === AluOp.End) return GENERIC;
      // off selects signed DIV/MOD and MOVSX (cpu v4): BigInt path.
      if ((op === AluOp.Div || op === AluOp.Mod || op === AluOp.Mov) && off !== 0) return GENERIC;
      // NEG reads no source: the X form computes the same (alu64/alu32 below ignore b).
      const kind = (code & 0x07) === Class.Alu64 ? (x && op !== AluOp.Neg ? 2 : 1) : (x && op !== AluOp.Neg ? 4 : 3);
      return (kind << 4) | (op >> 4);
    }
    case Class.Jmp: {
      if (op === JmpOp.Exit || op === JmpOp.Call || op === JmpOp.Ja) return x ? GENERIC : 0x50 | (op >> 4);
      if (op === JmpOp.Jcond) return !x && src === 0 ? 0x5e : GENERIC;
      if (op === 0xf0 || !regsOk) return GENERIC;
      return ((x ? 6 : 5) << 4) | (op >> 4);
    }
    case Class.Jmp32: {
      if (op === JmpOp.Ja) return x ? GENERIC : 0x70;
      if (op === JmpOp.Call || op === JmpOp.Exit || op === JmpOp.Jcond || op === 0xf0 || !regsOk) return GENERIC;
      return ((x ? 8 : 7) << 4) | (op >> 4);
    }
    case Class.Ldx: {
      if (dst > LAST_REG || src > LAST_REG) return GENERIC;
      const mode = code & 0xe0;
      if (mode === Mode.Mem) return OP_LDX;
      return mode === Mode.MemSx && sizeBytes(code) !== 8 ? OP_LDX_SX : GENERIC;
    }
    case Class.St:
      return (code & 0xe0) === Mode.Mem && dst <= LAST_REG ? OP_ST : GENERIC;
    case Class.Stx:
      return (code & 0xe0) === Mode.Mem && dst <= LAST_REG && src <= LAST_REG ? OP_STX : GENERIC;
    default:
      return code === LD_IMM64 && !isLast && src !== PseudoLd.Func && dst <= LAST_REG ? OP_LD_IMM64 : GENERIC;
  }
}

// ---- frames ----


/** A frame's r0..r10 as int32 word pairs: r_i = (h[i], l[i]), tagged t[i] (memory.ts). */
interface Frame {
  h: Int32Array;
  l: Int32Array;
  t: Int32Array;
}

class Machine implements Vm {
  /** What helpers see as r0..r10: the calling frame's registers as BigInts, made at each call. */
  regs: bigint[] = [];
  r0Tag = 0;
  /** And their tags. */
  tags: Int32Array = new Int32Array(11);
  pc = 0;
  depth = 0;
  executed = 0;
  /** The high word and the tag of r0 of the frame that last returned (runFrame returns its low word). */
  retHi = 0;
  retTag = 0;
  tailReturn = false;
  readonly memory: Memory;
  readonly words: WordMemory;
  readonly limit: number;
  /** The coverage counters runs fill (ExecProgram.coverage), or none. */
  readonly cov: CoverageRow | undefined;
  /** One stack per call depth, reused by every frame at that depth; registered again (same entry) each run. */
  private readonly stacks: { id: number; bytes: Uint8Array; region: ByteRegion & { tags: Int32Array }; run: number }[] = [];
  /** Registers per call depth (frames at one depth never coexist), and the BigInt arrays helpers see. */
  private readonly frames: Frame[] = [];
  private readonly helperRegs: bigint[][] = [];
  private readonly helperTags: Int32Array[] = [];
  /** bigStep's registers. */
  readonly scratch: bigint[] = new Array<bigint>(11).fill(0n);

  private run = 0;

  constructor(readonly program: ExecProgram, readonly env: ExecEnv, readonly code: Decoded) {
    this.memory = env.memory;
    this.words = new WordMemory(env.memory);
    this.limit = env.insnLimit ?? DEFAULT_INSN_LIMIT;
    this.cov = program.coverage;
  }

  callFunction(entryIndex: number, args: readonly bigint[], tags: readonly number[]): bigint {
    if (!Number.isInteger(entryIndex) || entryIndex < 0 || entryIndex >= this.code.n) {
      throw new ProgramFault(`callback entry ${entryIndex} is outside the program`);
    }
    return runFrame(this, entryIndex, args, tags);
  }

  /** A Machine's state is its own: another run (on another Machine) leaves it as it was. */
  nested<T>(run: () => T): T {
    return run();
  }

  /** A new run: the instruction count starts again, the stacks are registered anew. */
  begin(): void {
    this.executed = 0;
    this.depth = 0;
    this.run++;
  }

  /**
   * The registers of a new frame at the current depth: all zero but r10, the frame pointer of a fresh
   * 512-byte stack. Faults past MAX_CALL_FRAMES (include/linux/bpf_verifier.h: the verifier refuses deeper
   * call chains).
   */
  newFrame(): Frame {
    const depth = this.depth;
    if (depth >= MAX_CALL_FRAMES) {
      throw new ProgramFault(`call stack of ${depth + 1} frames is too deep (MAX_CALL_FRAMES is ${MAX_CALL_FRAMES})`);
    }
    let stack = this.stacks[depth];
    if (stack === undefined) {
      const bytes = new Uint8Array(MAX_BPF_STACK);
      const region = stackBytes(depth === 0 ? 'stack' : `stack of frame ${depth}`, bytes) as ByteRegion & { tags: Int32Array };
      this.stacks[depth] = stack = { id: 0, bytes, region, run: 0 };
    } else {
      // The kernel's stack holds garbage, which the verifier never lets a program read; zeros are deterministic.
      stack.bytes.fill(0);
      clearSpills(stack.region.tags);
    }
    if (stack.run !== this.run) {
      stack.id = this.memory.addRunRegion(stack.region) | 0;
      stack.run = this.run;
    }
    let frame = this.frames[depth];
    if (frame === undefined) this.frames[depth] = frame = { h: new Int32Array(11), l: new Int32Array(11), t: new Int32Array(11) };
    else {
      frame.h.fill(0);
      frame.l.fill(0);
      frame.t.fill(0);
    }
    frame.h[10] = stack.id;
    frame.l[10] = MAX_BPF_STACK;
    frame.t[10] = stack.id;
    return frame;
  }

  /** The registers of the frame at `depth` as BigInts, and their tags, for a helper it calls (vm.regs, vm.tags). */
  enterHelper(depth: number, f: Frame): void {
    const regs = (this.helperRegs[depth] ??= new Array<bigint>(11));
    for (let i = 0; i <= LAST_REG; i++) regs[i] = pairToBig(f.h[i]!, f.l[i]!);
    const tags = (this.helperTags[depth] ??= new Int32Array(11));
    tags.set(f.t);
    this.regs = regs;
    this.tags = tags;
  }
}

/**
 * A new frame with r1.. = args: its own registers (so the caller's r6-r9 and r10 come back untouched, as the
 * kernel's interpreter gives every call its own regs[]: core.c __bpf_prog_run_args) and its own stack.
 */
function runFrame(m: Machine, entry: number, args: readonly bigint[], tags: readonly number[]): bigint {
  const f = m.newFrame();
  for (let i = 0; i < 5 && i < args.length; i++) {
    f.l[i + 1] = splitBig(args[i]!);
    f.h[i + 1] = splitHi;
    f.t[i + 1] = tags[i] ?? 0;
  }
  const lo = enter(m, f, entry);
  return pairToBig(m.retHi, lo);
}

/** Runs frame `f` from `entry`; returns r0's low word (the high one in m.retHi). */
function enter(m: Machine, f: Frame, entry: number): number {
  const callerRegs = m.regs;
  const callerTags = m.tags;
  const callerPc = m.pc;
  if (m.cov !== undefined) m.cov.entered[entry]++;
  m.depth++;
  try {
    return run(m, f, entry);
  } finally {
    m.depth--;
    m.regs = callerRegs;
    m.tags = callerTags;
    m.pc = callerPc;
  }
}

// ---- the dispatch loop ----

const X = Source.X;
const TWO_32 = 0x1_0000_0000;

function run(m: Machine, f: Frame, entry: number): number {
  const { h, l, t } = f;
  const { n, op: ops, dst: dsts, src: srcs, off: offs, imm: imms, imm2: imm2s, size: sizes, tag: tags } = m.code;
  const mem = m.words;
  const cov = m.cov;
  // With coverage, every instruction takes the limit check's slow path (limit -1), which counts it: the loop
  // asks nothing more per instruction than without (coverage is decided once per frame, here).
  const limit = cov === undefined ? m.limit : -1;
  let executed = m.executed;
  let pc = entry;
  /** The instruction before pc in this frame (-1 before the first): where a fault is reported, a branch counted. */
  let last = -1;
  // kernel/bpf/verifier.c do_misc_fixups seeds each frame's may_goto slot with BPF_MAX_LOOPS at entry.
  // (JITs with timed may_goto, e.g. recent x86-64, count 0xffff and then consult the clock: a loop that
  // exhausts the budget ends by time there, so only "ends eventually", not the count, is comparable.)
  let mayGotoLeft = BPF_MAX_LOOPS;
  try {
    for (;;) {
      if (pc < 0 || pc >= n) {
        // Reported at the instruction that jumped (or the last one, for falling off the end).
        throw new ProgramFault(pc === n ? 'fell off the end of the program' : `jump out of range to insn ${pc}`);
      }
      if (++executed > limit) {
        if (cov !== undefined && last >= 0 && cov.branches[last] === 1) (pc === last + 1 ? cov.notTaken : cov.taken)[last]++;
        if (cov === undefined || executed > m.limit) {
          last = pc;
          throw new ProgramFault(`instruction limit reached (${m.limit})`);
        }
        cov.executed[pc]++;
      }
      last = pc;
      const dst = dsts[pc]!;
      // The cases restate alu64/alu32/compare64/compare32 below on word pairs (K: imm sign-extended, so its
      // high word is imm >> 31). Every operand is read before the destination is written (src may be dst).
      switch (ops[pc]) {
        // ---- ALU64, K then X ----
        case 0x10: { // add
          const b = imms[pc]!;
          const lo = (l[dst]! >>> 0) + (b >>> 0);
          h[dst] = h[dst]! + (b >> 31) + (lo >= TWO_32 ? 1 : 0);
          l[dst] = lo;
          pc++;
          continue;
        }
        case 0x20: {
          const s = srcs[pc]!;
          // scalar + pointer is a pointer; pointer + pointer a scalar (verifier.c adjust_reg_min_max_vals).
          if (t[s] !== 0) t[dst] = t[dst] !== 0 ? 0 : t[s]!;
          const bh = h[s]!;
          const lo = (l[dst]! >>> 0) + (l[s]! >>> 0);
          h[dst] = h[dst]! + bh + (lo >= TWO_32 ? 1 : 0);
          l[dst] = lo;
          pc++;
          continue;
        }
        case 0x11: { // sub
          const b = imms[pc]!;
          const lo = (l[dst]! >>> 0) - (b >>> 0);
          h[dst] = h[dst]! - (b >> 31) - (lo < 0 ? 1 : 0);
          l[dst] = lo;
          pc++;
          continue;
        }
        case 0x21: {
          const s = srcs[pc]!;
          // pointer - pointer is a scalar; pointer - scalar stays a pointer.
          if (t[s] !== 0 && t[dst] !== 0) t[dst] = 0;
          const bh = h[s]!;
          const lo = (l[dst]! >>> 0) - (l[s]! >>> 0);
          h[dst] = h[dst]! - bh - (lo < 0 ? 1 : 0);
          l[dst] = lo;
          pc++;
          continue;
        }
        case 0x12: { // mul
          const b = imms[pc]!;
          const al = l[dst]!;
          h[dst] = mulHigh64(h[dst]!, al, b >> 31, b);
          l[dst] = Math.imul(al, b);
          pc++;
          continue;
        }
        case 0x22: {
          const s = srcs[pc]!;
          const al = l[dst]!;
          const bl = l[s]!;
          h[dst] = mulHigh64(h[dst]!, al, h[s]!, bl);
          l[dst] = Math.imul(al, bl);
          pc++;
          continue;
        }
        case 0x13: // div (unsigned; signed ones are GENERIC)
          div64(h, l, dst, imms[pc]! >> 31, imms[pc]!, false);
          pc++;
          continue;
        case 0x23:
          div64(h, l, dst, h[srcs[pc]!]!, l[srcs[pc]!]!, false);
          pc++;
          continue;
        case 0x19: // mod
          div64(h, l, dst, imms[pc]! >> 31, imms[pc]!, true);
          pc++;
          continue;
        case 0x29:
          div64(h, l, dst, h[srcs[pc]!]!, l[srcs[pc]!]!, true);
          pc++;
          continue;
        case 0x14: // or
          h[dst] = h[dst]! | (imms[pc]! >> 31);
          l[dst] = l[dst]! | imms[pc]!;
          pc++;
          continue;
        case 0x24:
          h[dst] = h[dst]! | h[srcs[pc]!]!;
          l[dst] = l[dst]! | l[srcs[pc]!]!;
          pc++;
          continue;
        case 0x15: // and
          h[dst] = h[dst]! & (imms[pc]! >> 31);
          l[dst] = l[dst]! & imms[pc]!;
          pc++;
          continue;
        case 0x25:
          h[dst] = h[dst]! & h[srcs[pc]!]!;
          l[dst] = l[dst]! & l[srcs[pc]!]!;
          pc++;
          continue;
        case 0x1a: // xor
          h[dst] = h[dst]! ^ (imms[pc]! >> 31);
          l[dst] = l[dst]! ^ imms[pc]!;
          pc++;
          continue;
        case 0x2a:
          h[dst] = h[dst]! ^ h[srcs[pc]!]!;
          l[dst] = l[dst]! ^ l[srcs[pc]!]!;
          pc++;
          continue;
        // core.c masks register shift amounts (& 63); the verifier refuses constant ones >= 64.
        case 0x16: // lsh
          lsh64(h, l, dst, imms[pc]! & 63);
          pc++;
          continue;
        case 0x26:
          lsh64(h, l, dst, l[srcs[pc]!]! & 63);
          pc++;
          continue;
        case 0x17: // rsh
          rsh64(h, l, dst, imms[pc]! & 63);
          pc++;
          continue;
        case 0x27:
          rsh64(h, l, dst, l[srcs[pc]!]! & 63);
          pc++;
          continue;
        case 0x1c: // arsh
          arsh64(h, l, dst, imms[pc]! & 63);
          pc++;
          continue;
        case 0x2c:
          arsh64(h, l, dst, l[srcs[pc]!]! & 63);
          pc++;
          continue;
        case 0x18: { // neg: -(hi, lo) = (~hi + (lo === 0), -lo)
          const al = l[dst]!;
          h[dst] = al === 0 ? -h[dst]! : ~h[dst]!;
          l[dst] = -al;
          pc++;
          continue;
        }
        case 0x1b: // mov
          h[dst] = imms[pc]! >> 31;
          l[dst] = imms[pc]!;
          t[dst] = 0;
          pc++;
          continue;
        case 0x2b:
          h[dst] = h[srcs[pc]!]!;
          l[dst] = l[srcs[pc]!]!;
          t[dst] = t[srcs[pc]!]!;
          pc++;
          continue;

        // ---- ALU (32-bit), K then X: the result is zero-extended into the register (core.c: DST = (u32) ...) ----
        case 0x30: l[dst] = l[dst]! + imms[pc]!; h[dst] = 0; pc++; continue;
        case 0x40: l[dst] = l[dst]! + l[srcs[pc]!]!; h[dst] = 0; pc++; continue;
        case 0x31: l[dst] = l[dst]! - imms[pc]!; h[dst] = 0; pc++; continue;
        case 0x41: l[dst] = l[dst]! - l[srcs[pc]!]!; h[dst] = 0; pc++; continue;
        case 0x32: l[dst] = Math.imul(l[dst]!, imms[pc]!); h[dst] = 0; pc++; continue;
        case 0x42: l[dst] = Math.imul(l[dst]!, l[srcs[pc]!]!); h[dst] = 0; pc++; continue;
        case 0x33: l[dst] = alu32(AluOp.Div, l[dst]! >>> 0, imms[pc]! >>> 0, 0); h[dst] = 0; pc++; continue;
        case 0x43: l[dst] = alu32(AluOp.Div, l[dst]! >>> 0, l[srcs[pc]!]! >>> 0, 0); h[dst] = 0; pc++; continue;
        case 0x39: l[dst] = alu32(AluOp.Mod, l[dst]! >>> 0, imms[pc]! >>> 0, 0); h[dst] = 0; pc++; continue;
        case 0x49: l[dst] = alu32(AluOp.Mod, l[dst]! >>> 0, l[srcs[pc]!]! >>> 0, 0); h[dst] = 0; pc++; continue;
        case 0x34: l[dst] = l[dst]! | imms[pc]!; h[dst] = 0; pc++; continue;
        case 0x44: l[dst] = l[dst]! | l[srcs[pc]!]!; h[dst] = 0; pc++; continue;
        case 0x35: l[dst] = l[dst]! & imms[pc]!; h[dst] = 0; pc++; continue;
        case 0x45: l[dst] = l[dst]! & l[srcs[pc]!]!; h[dst] = 0; pc++; continue;
        case 0x3a: l[dst] = l[dst]! ^ imms[pc]!; h[dst] = 0; pc++; continue;
        case 0x4a: l[dst] = l[dst]! ^ l[srcs[pc]!]!; h[dst] = 0; pc++; continue;
        // core.c masks register shift amounts with 31 for 32-bit shifts.
        case 0x36: l[dst] = l[dst]! << (imms[pc]! & 31); h[dst] = 0; pc++; continue;
        case 0x46: l[dst] = l[dst]! << (l[srcs[pc]!]! & 31); h[dst] = 0; pc++; continue;
        case 0x37: l[dst] = l[dst]! >>> (imms[pc]! & 31); h[dst] = 0; pc++; continue;
        case 0x47: l[dst] = l[dst]! >>> (l[srcs[pc]!]! & 31); h[dst] = 0; pc++; continue;
        case 0x3c: l[dst] = l[dst]! >> (imms[pc]! & 31); h[dst] = 0; pc++; continue;
        case 0x4c: l[dst] = l[dst]! >> (l[srcs[pc]!]! & 31); h[dst] = 0; pc++; continue;
        case 0x38: l[dst] = -l[dst]!; h[dst] = 0; pc++; continue;
        // A 32-bit move of a pointer is its low half: a scalar (verifier.c check_alu_op, "partial copy").
        case 0x3b: l[dst] = imms[pc]!; h[dst] = 0; t[dst] = 0; pc++; continue;
        case 0x4b: l[dst] = l[srcs[pc]!]!; h[dst] = 0; t[dst] = 0; pc++; continue;

        // ---- JMP ----
        case 0x50: // ja
          pc += 1 + offs[pc]!;
          continue;
        case 0x59: // exit
          m.executed = executed;
          m.retHi = h[0]!;
          m.retTag = t[0]!;
          return l[0]!;
        case 0x58: { // call; r1-r5 are left as they were: the verifier marks them unreadable after a call.
          m.pc = pc;
          m.executed = executed;
          l[0] = call(m, f, pc);
          h[0] = m.retHi;
          t[0] = m.retTag;
          executed = m.executed;
          if (m.tailReturn) {
            // A tail call ran its target in this frame's place: its r0 is this frame's.
            m.tailReturn = false;
            return l[0]!;
          }
          pc++;
          continue;
        }
        case 0x5e: // may_goto (src_reg BPF_MAY_GOTO = 0): falls through while the frame's budget lasts, then jumps.
          if (mayGotoLeft === 0) pc += 1 + offs[pc]!;
          else {
            mayGotoLeft--;
            pc++;
          }
          continue;
        // core.c COND_JMP on 64 bits: unsigned compares on the raw values, signed ones on (s64).
        case 0x51: pc += eq64(h[dst]!, l[dst]!, imms[pc]! >> 31, imms[pc]!) ? 1 + offs[pc]! : 1; continue;
        case 0x61: pc += eq64(h[dst]!, l[dst]!, h[srcs[pc]!]!, l[srcs[pc]!]!) ? 1 + offs[pc]! : 1; continue;
        case 0x55: pc += eq64(h[dst]!, l[dst]!, imms[pc]! >> 31, imms[pc]!) ? 1 : 1 + offs[pc]!; continue;
        case 0x65: pc += eq64(h[dst]!, l[dst]!, h[srcs[pc]!]!, l[srcs[pc]!]!) ? 1 : 1 + offs[pc]!; continue;
        case 0x52: pc += gtU64(h[dst]!, l[dst]!, imms[pc]! >> 31, imms[pc]!) ? 1 + offs[pc]! : 1; continue;
        case 0x62: pc += gtU64(h[dst]!, l[dst]!, h[srcs[pc]!]!, l[srcs[pc]!]!) ? 1 + offs[pc]! : 1; continue;
        case 0x53: pc += gtU64(imms[pc]! >> 31, imms[pc]!, h[dst]!, l[dst]!) ? 1 : 1 + offs[pc]!; continue; // a >= b: !(b > a)
        case 0x63: pc += gtU64(h[srcs[pc]!]!, l[srcs[pc]!]!, h[dst]!, l[dst]!) ? 1 : 1 + offs[pc]!; continue;
        case 0x5a: pc += gtU64(imms[pc]! >> 31, imms[pc]!, h[dst]!, l[dst]!) ? 1 + offs[pc]! : 1; continue; // a < b: b > a
        case 0x6a: pc += gtU64(h[srcs[pc]!]!, l[srcs[pc]!]!, h[dst]!, l[dst]!) ? 1 + offs[pc]! : 1; continue;
        case 0x5b: pc += gtU64(h[dst]!, l[dst]!, imms[pc]! >> 31, imms[pc]!) ? 1 : 1 + offs[pc]!; continue; // a <= b: !(a > b)
        case 0x6b: pc += gtU64(h[dst]!, l[dst]!, h[srcs[pc]!]!, l[srcs[pc]!]!) ? 1 : 1 + offs[pc]!; continue;
        case 0x54: pc += ((h[dst]! & (imms[pc]! >> 31)) | (l[dst]! & imms[pc]!)) !== 0 ? 1 + offs[pc]! : 1; continue;
        case 0x64: pc += ((h[dst]! & h[srcs[pc]!]!) | (l[dst]! & l[srcs[pc]!]!)) !== 0 ? 1 + offs[pc]! : 1; continue;
        case 0x56: pc += gtS64(h[dst]!, l[dst]!, imms[pc]! >> 31, imms[pc]!) ? 1 + offs[pc]! : 1; continue;
        case 0x66: pc += gtS64(h[dst]!, l[dst]!, h[srcs[pc]!]!, l[srcs[pc]!]!) ? 1 + offs[pc]! : 1; continue;
        case 0x57: pc += gtS64(imms[pc]! >> 31, imms[pc]!, h[dst]!, l[dst]!) ? 1 : 1 + offs[pc]!; continue;
        case 0x67: pc += gtS64(h[srcs[pc]!]!, l[srcs[pc]!]!, h[dst]!, l[dst]!) ? 1 : 1 + offs[pc]!; continue;
        case 0x5c: pc += gtS64(imms[pc]! >> 31, imms[pc]!, h[dst]!, l[dst]!) ? 1 + offs[pc]! : 1; continue;
        case 0x6c: pc += gtS64(h[srcs[pc]!]!, l[srcs[pc]!]!, h[dst]!, l[dst]!) ? 1 + offs[pc]! : 1; continue;
        case 0x5d: pc += gtS64(h[dst]!, l[dst]!, imms[pc]! >> 31, imms[pc]!) ? 1 : 1 + offs[pc]!; continue;
        case 0x6d: pc += gtS64(h[dst]!, l[dst]!, h[srcs[pc]!]!, l[srcs[pc]!]!) ? 1 : 1 + offs[pc]!; continue;

        // ---- JMP32 (core.c COND_JMP on (u32) and (s32) of both operands) ----
        case 0x70: // gotol: JMP32 | JA carries its offset in imm (core.c JMP32_JA: insn += insn->imm).
          pc += 1 + imms[pc]!;
          continue;
        case 0x71: pc += l[dst]! === imms[pc]! ? 1 + offs[pc]! : 1; continue;
        case 0x81: pc += l[dst]! === l[srcs[pc]!]! ? 1 + offs[pc]! : 1; continue;
        case 0x75: pc += l[dst]! !== imms[pc]! ? 1 + offs[pc]! : 1; continue;
        case 0x85: pc += l[dst]! !== l[srcs[pc]!]! ? 1 + offs[pc]! : 1; continue;
        case 0x72: pc += l[dst]! >>> 0 > imms[pc]! >>> 0 ? 1 + offs[pc]! : 1; continue;
        case 0x82: pc += l[dst]! >>> 0 > l[srcs[pc]!]! >>> 0 ? 1 + offs[pc]! : 1; continue;
        case 0x73: pc += l[dst]! >>> 0 >= imms[pc]! >>> 0 ? 1 + offs[pc]! : 1; continue;
        case 0x83: pc += l[dst]! >>> 0 >= l[srcs[pc]!]! >>> 0 ? 1 + offs[pc]! : 1; continue;
        case 0x7a: pc += l[dst]! >>> 0 < imms[pc]! >>> 0 ? 1 + offs[pc]! : 1; continue;
        case 0x8a: pc += l[dst]! >>> 0 < l[srcs[pc]!]! >>> 0 ? 1 + offs[pc]! : 1; continue;
        case 0x7b: pc += l[dst]! >>> 0 <= imms[pc]! >>> 0 ? 1 + offs[pc]! : 1; continue;
        case 0x8b: pc += l[dst]! >>> 0 <= l[srcs[pc]!]! >>> 0 ? 1 + offs[pc]! : 1; continue;
        case 0x74: pc += (l[dst]! & imms[pc]!) !== 0 ? 1 + offs[pc]! : 1; continue;
        case 0x84: pc += (l[dst]! & l[srcs[pc]!]!) !== 0 ? 1 + offs[pc]! : 1; continue;
        case 0x76: pc += l[dst]! > imms[pc]! ? 1 + offs[pc]! : 1; continue;
        case 0x86: pc += l[dst]! > l[srcs[pc]!]! ? 1 + offs[pc]! : 1; continue;
        case 0x77: pc += l[dst]! >= imms[pc]! ? 1 + offs[pc]! : 1; continue;
        case 0x87: pc += l[dst]! >= l[srcs[pc]!]! ? 1 + offs[pc]! : 1; continue;
        case 0x7c: pc += l[dst]! < imms[pc]! ? 1 + offs[pc]! : 1; continue;
        case 0x8c: pc += l[dst]! < l[srcs[pc]!]! ? 1 + offs[pc]! : 1; continue;
        case 0x7d: pc += l[dst]! <= imms[pc]! ? 1 + offs[pc]! : 1; continue;
        case 0x8d: pc += l[dst]! <= l[srcs[pc]!]! ? 1 + offs[pc]! : 1; continue;

        // ---- memory ----
        case OP_LDX: {
          const s = srcs[pc]!;
          l[dst] = mem.load(t[s]!, h[s]!, l[s]!, offs[pc]!, sizes[pc]! as AccessSize);
          h[dst] = mem.hi;
          t[dst] = mem.tag;
          pc++;
          continue;
        }
        case OP_LDX_SX: {
          // Sign-extends the loaded 1/2/4 bytes to 64 bits (core.c LDX_MEMSX).
          const s = srcs[pc]!;
          const size = sizes[pc]!;
          const v = mem.load(t[s]!, h[s]!, l[s]!, offs[pc]!, size as AccessSize);
          const lo = size === 1 ? (v << 24) >> 24 : size === 2 ? (v << 16) >> 16 : v | 0;
          l[dst] = lo;
          h[dst] = lo >> 31;
          t[dst] = 0;
          pc++;
          continue;
        }
        case OP_ST:
          mem.store(t[dst]!, h[dst]!, l[dst]!, offs[pc]!, sizes[pc]! as AccessSize, imms[pc]! >> 31, imms[pc]!, 0);
          pc++;
          continue;
        case OP_STX: {
          const s = srcs[pc]!;
          mem.store(t[dst]!, h[dst]!, l[dst]!, offs[pc]!, sizes[pc]! as AccessSize, h[s]!, l[s]!, t[s]!);
          pc++;
          continue;
        }
        case OP_LD_IMM64: // imm | next.imm << 32
          l[dst] = imms[pc]!;
          h[dst] = imm2s[pc]!;
          t[dst] = tags[pc]!;
          pc += 2;
          continue;
        default:
          pc = slowStep(m, f, pc);
          continue;
      }
    }
  } catch (e) {
    m.executed = executed;
    if (e instanceof ProgramFault) e.at(last < 0 ? entry : last);
    throw e;
  }
}

// ---- word-pair arithmetic for the loop (each restates the BigInt rule of alu64/compare64 below) ----

const eq64 = (ah: number, al: number, bh: number, bl: number): boolean => al === bl && ah === bh;
/** Unsigned a > b. */
const gtU64 = (ah: number, al: number, bh: number, bl: number): boolean =>
  ah !== bh ? ah >>> 0 > bh >>> 0 : al >>> 0 > bl >>> 0;
/** Signed a > b: the high words decide as s32, the low ones as u32. */
const gtS64 = (ah: number, al: number, bh: number, bl: number): boolean =>
  ah !== bh ? ah > bh : al >>> 0 > bl >>> 0;

function lsh64(h: Int32Array, l: Int32Array, r: number, s: number): void {
  if (s === 0) return;
  const al = l[r]!;
  if (s < 32) {
    h[r] = (h[r]! << s) | (al >>> (32 - s));
    l[r] = al << s;
  } else {
    h[r] = al << (s - 32);
    l[r] = 0;
  }
}

function rsh64(h: Int32Array, l: Int32Array, r: number, s: number): void {
  if (s === 0) return;
  const ah = h[r]!;
  if (s < 32) {
    l[r] = (l[r]! >>> s) | (ah << (32 - s));
    h[r] = ah >>> s;
  } else {
    l[r] = ah >>> (s - 32);
    h[r] = 0;
  }
}

function arsh64(h: Int32Array, l: Int32Array, r: number, s: number): void {
  if (s === 0) return;
  const ah = h[r]!;
  if (s < 32) {
    l[r] = (l[r]! >>> s) | (ah << (32 - s));
    h[r] = ah >> s;
  } else {
    l[r] = ah >> (s - 32);
    h[r] = ah >> 31;
  }
}

/** Unsigned ALU64 DIV/MOD of register r by (bh, bl), with the verifier's rewrites (alu64 below). */
function div64(h: Int32Array, l: Int32Array, r: number, bh: number, bl: number, mod: boolean): void {
  const ah = h[r]!;
  if ((ah | bh) === 0) {
    // Both below 2^32: exact in doubles.
    const a = l[r]! >>> 0;
    const b = bl >>> 0;
    l[r] = b === 0 ? (mod ? a : 0) : mod ? a % b : Math.floor(a / b);
    return;
  }
  l[r] = splitBig(alu64(mod ? Class.Alu64 | AluOp.Mod : Class.Alu64 | AluOp.Div, pairToBig(ah, l[r]!), pairToBig(bh, bl), 0, 0));
  h[r] = splitHi;
}

/** BPF_JMP | BPF_CALL by src_reg; returns r0's low word (the high one in m.retHi). */
function call(m: Machine, f: Frame, pc: number): number {
  const d = m.code;
  const kind = d.src[pc]!;
  if (kind === CallKind.Local) {
    const target = pc + d.imm[pc]! + 1;
    if (target < 0 || target >= d.n) throw new ProgramFault(`call to insn ${target}, outside the program`);
    const callee = m.newFrame();
    for (let i = 1; i <= 5; i++) {
      callee.h[i] = f.h[i]!;
      callee.l[i] = f.l[i]!;
      callee.t[i] = f.t[i]!;
    }
    return enter(m, callee, target);
  }
  let r0: bigint;
  m.r0Tag = 0;
  if (kind === CallKind.Helper) {
    m.enterHelper(m.depth, f);
    r0 = m.env.callHelper(d.imm[pc]!, m);
  } else if (kind === CallKind.Kfunc) {
    m.enterHelper(m.depth, f);
    r0 = m.env.callKfunc(m.program.insns[pc]!, m);
  } else {
    throw new ProgramFault(`call with unknown src_reg ${kind}`);
  }
  const lo = splitBig(r0);
  m.retHi = splitHi;
  m.retTag = m.r0Tag;
  return lo;
}

// ---- everything else, on BigInts ----

/** Runs one GENERIC instruction on the frame's registers as BigInts; returns the next pc. */
function slowStep(m: Machine, f: Frame, pc: number): number {
  const regs = m.scratch;
  for (let i = 0; i <= LAST_REG; i++) regs[i] = pairToBig(f.h[i]!, f.l[i]!);
  const next = bigStep(m, regs, f.t, pc);
  for (let i = 0; i <= LAST_REG; i++) {
    f.l[i] = splitBig(regs[i]!);
    f.h[i] = splitHi;
  }
  return next;
}

const MASK32 = 0xffff_ffffn;
const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const low32 = (v: bigint): number => Number(v & MASK32);
const imm64 = (imm: number): bigint => BigInt.asUintN(64, BigInt(imm | 0));

/**
 * One instruction the fast ops leave out, on BigInt registers: signed division, movsx, byte swaps, atomics,
 * code addresses, and every malformed instruction (faulting as the loop's checks would).
 */
function bigStep(m: Machine, regs: bigint[], tags: Int32Array, pc: number): number {
  const d = m.code;
  const code = d.code[pc]!;
  const dst = d.dst[pc]!;
  const src = d.src[pc]!;
  const off = d.off[pc]!;
  const imm = d.imm[pc]!;
  const memory = m.memory;
  // kernel/bpf/verifier.c check_reg_arg: "R%d is invalid" past r10 (MAX_BPF_REG); one that got here faults.
  const x = (code & X) !== 0;
  const cls = code & 0x07;
  const readsSrc = x || cls === Class.Ldx || cls === Class.Stx;
  if (dst > LAST_REG || (readsSrc && src > LAST_REG)) throw new ProgramFault(`R${dst > LAST_REG ? dst : src} is invalid`);
  switch (cls) {
    case Class.Alu64: {
      const op = code & 0xf0;
      regs[dst] = alu64(code, regs[dst]!, x ? regs[src]! : imm64(imm), off, imm);
      // Tags as the fast ops keep them: moves copy (movsx makes a scalar), add/sub of a scalar keep it.
      if (op === AluOp.Mov) tags[dst] = x && off === 0 ? tags[src]! : 0;
      else if (op === AluOp.Add && x && tags[src] !== 0) tags[dst] = tags[dst] !== 0 ? 0 : tags[src]!;
      else if (op === AluOp.Sub && x && tags[src] !== 0 && tags[dst] !== 0) tags[dst] = 0;
      return pc + 1;
    }
    case Class.Alu: {
      if ((code & 0xf0) === AluOp.End) {
        regs[dst] = endian(code, regs[dst]!, imm);
      } else {
        const b = x ? low32(regs[src]!) : imm >>> 0;
        // 32-bit results are zero-extended into the 64-bit register (core.c: DST = (u32) ...).
        regs[dst] = BigInt(alu32(code, low32(regs[dst]!), b, off));
        if ((code & 0xf0) === AluOp.Mov) tags[dst] = 0;
      }
      return pc + 1;
    }
    case Class.Jmp: {
      const op = code & 0xf0;
      // Only malformed ones come here (decode gives the well-formed ones fast ops).
      if (op === JmpOp.Exit || op === JmpOp.Call || op === JmpOp.Ja || op === JmpOp.Jcond) throw unknownOpcode(code);
      return compare64(op, regs[dst]!, code & X ? regs[src]! : imm64(imm)) ? pc + 1 + off : pc + 1;
    }
    case Class.Jmp32: {
      const op = code & 0xf0;
      if (op === JmpOp.Ja) throw unknownOpcode(code);
      const b = code & X ? low32(regs[src]!) : imm >>> 0;
      return compare32(code, op, low32(regs[dst]!), b) ? pc + 1 + off : pc + 1;
    }
    case Class.Ldx: {
      const mode = code & 0xe0;
      const size = sizeBytes(code);
      const value = memory.load(tags[src]!, u64(regs[src]! + BigInt(off)), size);
      if (mode === Mode.Mem) regs[dst] = value;
      else if (mode === Mode.MemSx && size !== 8) regs[dst] = u64(BigInt.asIntN(size * 8, value));
      else throw unknownOpcode(code);
      tags[dst] = mode === Mode.Mem ? memory.loadedTag : 0;
      return pc + 1;
    }
    case Class.St: {
      if ((code & 0xe0) !== Mode.Mem) throw unknownOpcode(code);
      memory.store(tags[dst]!, u64(regs[dst]! + BigInt(off)), sizeBytes(code), imm64(imm));
      return pc + 1;
    }
    case Class.Stx: {
      const mode = code & 0xe0;
      if (mode === Mode.Mem) memory.store(tags[dst]!, u64(regs[dst]! + BigInt(off)), sizeBytes(code), regs[src]!, tags[src]!);
      else if (mode === Mode.Atomic) atomic(memory, regs, tags, code, dst, src, BigInt(off), imm);
      else throw unknownOpcode(code);
      return pc + 1;
    }
    default: {
      // Class.Ld: only ld_imm64 survives the verifier (LD_ABS/LD_IND are refused at load here).
      if (code !== LD_IMM64) {
        throw new ProgramFault((code & 0xe0) === Mode.Abs || (code & 0xe0) === Mode.Ind
          ? 'legacy LD_ABS/LD_IND is not supported'
          : `unknown opcode 0x${code.toString(16).padStart(2, '0')}`);
      }
      if (pc + 1 >= d.n) throw new ProgramFault('ld_imm64 is missing its second half');
      // BPF_PSEUDO_FUNC: the address of the subprogram at pc + imm + 1 (verifier.c check_ld_imm).
      regs[dst] = src === PseudoLd.Func
        ? memory.codePointer(m.program, pc + imm + 1)
        : BigInt(imm >>> 0) | (BigInt(d.imm2[pc]! >>> 0) << 32n);
      tags[dst] = src === PseudoLd.Func ? regionTag(regs[dst]!) : d.tag[pc]!;
      return pc + 2;
    }
  }
}

function unknownOpcode(code: number): ProgramFault {
  return new ProgramFault(`unknown opcode 0x${code.toString(16).padStart(2, '0')}`);
}

// ---- ALU ----

/** ALU64 (core.c ALU64_*), with the verifier's division rewrites. */
function alu64(code: number, a: bigint, b: bigint, off: number, imm: number): bigint {
  switch (code & 0xf0) {
    case AluOp.Add: return u64(a + b);
    case AluOp.Sub: return u64(a - b);
    case AluOp.Mul: return u64(a * b);
    case AluOp.Or: return a | b;
    case AluOp.And: return a & b;
    case AluOp.Xor: return a ^ b;
    // core.c masks register shift amounts (& 63); the verifier refuses constant ones >= 64.
    case AluOp.Lsh: return u64(a << (b & 63n));
    case AluOp.Rsh: return a >> (b & 63n);
    case AluOp.Arsh: return u64(s64(a) >> (b & 63n));
    case AluOp.Neg: return u64(-a);
    case AluOp.Div:
      if (off === 0) return b === 0n ? 0n : a / b; // do_misc_fixups: "Rx div 0 -> 0"
      if (off === 1) return sdiv64(a, b);
      break;
    case AluOp.Mod:
      if (off === 0) return b === 0n ? a : a % b; // do_misc_fixups: "Rx mod 0 -> Rx"
      if (off === 1) return smod64(a, b);
      break;
    case AluOp.Mov:
      // off selects MOVSX (cpu v4): core.c ALU64_MOV_X sign-extends the low 8/16/32 bits.
      if (off === 0) return b;
      if (off === 8 || off === 16 || off === 32) return u64(BigInt.asIntN(off, b));
      break;
    case AluOp.End:
      // ALU64 | END (v4 bswap) swaps unconditionally; the TO_BE bit is reserved there.
      if ((code & X) === 0) return bswap(a, imm);
      break;
  }
  throw unknownOpcode(code);
}

/** Signed 64-bit division: truncates toward zero (div64_s64); x / 0 = 0 and LLONG_MIN / -1 = LLONG_MIN (do_misc_fixups). */
function sdiv64(a: bigint, b: bigint): bigint {
  const sb = s64(b);
  if (sb === 0n) return 0n;
  if (sb === -1n) return u64(-a); // rewritten to NEG: -LLONG_MIN wraps to LLONG_MIN
  return u64(s64(a) / sb);
}

/** Signed 64-bit remainder: the dividend's sign (C semantics); x % 0 = x and x % -1 = 0 (do_misc_fixups). */
function smod64(a: bigint, b: bigint): bigint {
  const sb = s64(b);
  if (sb === 0n) return a;
  if (sb === -1n) return 0n;
  return u64(s64(a) % sb);
}

/** ALU (32-bit) on u32 numbers; returns a u32 (core.c ALU_*). */
function alu32(code: number, a: number, b: number, off: number): number {
  switch (code & 0xf0) {
    case AluOp.Add: return (a + b) >>> 0;
    case AluOp.Sub: return (a - b) >>> 0;
    case AluOp.Mul: return Math.imul(a, b) >>> 0;
    case AluOp.Or: return (a | b) >>> 0;
    case AluOp.And: return (a & b) >>> 0;
    case AluOp.Xor: return (a ^ b) >>> 0;
    // core.c masks register shift amounts with 31 for 32-bit shifts.
    case AluOp.Lsh: return (a << (b & 31)) >>> 0;
    case AluOp.Rsh: return a >>> (b & 31);
    case AluOp.Arsh: return ((a | 0) >> (b & 31)) >>> 0;
    case AluOp.Neg: return -a >>> 0;
    case AluOp.Div:
      if (off === 0) return b === 0 ? 0 : Math.floor(a / b); // "Wx div 0 -> 0"
      if (off === 1) return sdiv32(a, b);
      break;
    case AluOp.Mod:
      if (off === 0) return b === 0 ? a : a % b; // "Wx mod 0 -> Wx", zero-extended (MOV32 dst, dst)
      if (off === 1) return smod32(a, b);
      break;
    case AluOp.Mov:
      if (off === 0) return b;
      if (off === 8) return ((b << 24) >> 24) >>> 0;
      if (off === 16) return ((b << 16) >> 16) >>> 0;
      break;
  }
  throw unknownOpcode(code);
}

/**
 * Signed 32-bit division, truncating toward zero; x / 0 = 0, INT_MIN / -1 = INT_MIN (do_misc_fixups).
 * The exact quotient also for INT_MIN dividends: that is the JIT's idiv, and core.c since the abs_s32()
 * fix (CVE-2026-31525: abs() of S32_MIN in the interpreter's sdiv32/smod32 went wrong before it).
 */
function sdiv32(a: number, b: number): number {
  const sb = b | 0;
  if (sb === 0) return 0;
  if (sb === -1) return -a >>> 0;
  return Math.trunc((a | 0) / sb) >>> 0;
}

/** Signed 32-bit remainder with the dividend's sign; x % 0 = x, x % -1 = 0 (do_misc_fixups). */
function smod32(a: number, b: number): number {
  const sb = b | 0;
  if (sb === 0) return a;
  if (sb === -1) return 0;
  return ((a | 0) % sb) >>> 0;
}

/**
 * ALU | END (core.c ALU_END_TO_BE / ALU_END_TO_LE) on a little-endian host, as the kernels this project
 * targets (x86-64, arm64): to-LE only truncates to the width, to-BE swaps.
 */
function endian(code: number, a: bigint, imm: number): bigint {
  if (code & X) return bswap(a, imm);
  if (imm === 16) return a & 0xffffn;
  if (imm === 32) return a & MASK32;
  if (imm === 64) return a;
  throw new ProgramFault(`invalid byte-order width ${imm}`);
}

const swapView = new DataView(new ArrayBuffer(8));

/** Byte-swaps the low `bits` of a; the result is zero-extended (core.c: (u16) __swab16(DST), ...). */
function bswap(a: bigint, bits: number): bigint {
  switch (bits) {
    case 16:
      swapView.setUint16(0, Number(a & 0xffffn), true);
      return BigInt(swapView.getUint16(0, false));
    case 32:
      swapView.setUint32(0, low32(a), true);
      return BigInt(swapView.getUint32(0, false));
    case 64:
      swapView.setBigUint64(0, a, true);
      return swapView.getBigUint64(0, false);
  }
  throw new ProgramFault(`invalid byte-swap width ${bits}`);
}

// ---- JMP ----

/** core.c COND_JMP on 64 bits: unsigned compares on the raw values, signed ones on (s64). */
function compare64(op: number, a: bigint, b: bigint): boolean {
  switch (op) {
    case JmpOp.Jeq: return a === b;
    case JmpOp.Jne: return a !== b;
    case JmpOp.Jgt: return a > b;
    case JmpOp.Jge: return a >= b;
    case JmpOp.Jlt: return a < b;
    case JmpOp.Jle: return a <= b;
    case JmpOp.Jset: return (a & b) !== 0n;
    case JmpOp.Jsgt: return s64(a) > s64(b);
    case JmpOp.Jsge: return s64(a) >= s64(b);
    case JmpOp.Jslt: return s64(a) < s64(b);
    case JmpOp.Jsle: return s64(a) <= s64(b);
  }
  throw new ProgramFault(`unknown jump op 0x${op.toString(16)}`);
}

/** core.c COND_JMP on the low 32 bits (JMP32): (u32) and (s32) of both operands. */
function compare32(code: number, op: number, a: number, b: number): boolean {
  switch (op) {
    case JmpOp.Jeq: return a === b;
    case JmpOp.Jne: return a !== b;
    case JmpOp.Jgt: return a > b;
    case JmpOp.Jge: return a >= b;
    case JmpOp.Jlt: return a < b;
    case JmpOp.Jle: return a <= b;
    case JmpOp.Jset: return (a & b) !== 0;
    case JmpOp.Jsgt: return (a | 0) > (b | 0);
    case JmpOp.Jsge: return (a | 0) >= (b | 0);
    case JmpOp.Jslt: return (a | 0) < (b | 0);
    case JmpOp.Jsle: return (a | 0) <= (b | 0);
  }
  throw unknownOpcode(code);
}

// ---- atomics (core.c STX_ATOMIC_W / STX_ATOMIC_DW) ----

const rmwOps: Record<number, AtomicRmwOp> = {
  [AtomicOp.Add]: 'add', [AtomicOp.And]: 'and', [AtomicOp.Or]: 'or', [AtomicOp.Xor]: 'xor',
};

/**
 * BPF_STX | BPF_ATOMIC. W-sized fetches zero-extend the old value into the register ((u32) atomic_fetch_*),
 * 32-bit cmpxchg compares the low half of r0 and zero-extends the old value into r0.
 */
function atomic(memory: Memory, regs: bigint[], tags: Int32Array, code: number, dst: number, src: number, off: bigint, imm: number): void {
  const size: AccessSize = sizeBytes(code);
  if (imm === AtomicOp.LoadAcq) {
    // core.c: dst = smp_load_acquire(src + off), any size, zero-extended. One thread: a plain load.
    regs[dst] = memory.load(tags[src]!, u64(regs[src]! + off), size);
    tags[dst] = 0;
    return;
  }
  const addr = u64(regs[dst]! + off);
  const at = tags[dst]!;
  if (imm === AtomicOp.StoreRel) {
    // core.c: smp_store_release(dst + off, src), any size.
    memory.store(at, addr, size, regs[src]!);
    return;
  }
  if (size !== 4 && size !== 8) throw unknownOpcode(code);
  const value = regs[src]!;
  // What an atomic reads back is memory's bits: a scalar.
  if (imm === AtomicOp.Cmpxchg) {
    regs[0] = memory.atomicCmpxchg(at, addr, size, regs[0]!, value);
    tags[0] = 0;
    return;
  }
  if (imm === AtomicOp.Xchg) {
    regs[src] = memory.atomicRmw('xchg', at, addr, size, value);
    tags[src] = 0;
    return;
  }
  const op = rmwOps[imm & ~AtomicOp.Fetch];
  if (op === undefined || (imm & ~0xf1) !== 0) throw new ProgramFault(`unknown atomic op 0x${imm.toString(16)}`);
  const old = memory.atomicRmw(op, at, addr, size, value);
  if (imm & AtomicOp.Fetch) {
    regs[src] = old;
    tags[src] = 0;
  }
}

