// The reference interpreter: executes verified eBPF exactly as the kernel does. The arithmetic follows
// kernel/bpf/core.c ___bpf_prog_run PLUS the rewrites the verifier applies before any program runs
// (kernel/bpf/verifier.c do_misc_fixups: division by zero and by -1), because a loaded program never
// executes the raw instruction. Registers are BigInts normalised to unsigned 64 bits; 32-bit ALU and JMP32
// work on JS numbers. Memory is the tagged address space of memory.ts.
import {
  AluOp, AtomicOp, BPF_MAX_LOOPS, CallKind, Class, JmpOp, MAX_BPF_STACK, MAX_CALL_FRAMES, Mode, PseudoLd, Size,
  sizeBytes,
} from './isa.js';
import { fixedBytes, Memory, ProgramFault, type AccessSize, type AtomicRmwOp, type ByteRegion } from './memory.js';
import type { Insn } from './types.js';

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
   * Optional: bpf_map_lookup_elem on pointer words, without BigInts (helpers.ts mapLookup), for compiled
   * code. Returns the value pointer's high word (its low word is 0), or 0 for NULL.
   */
  mapLookup?(mapHi: number, mapLo: number, keyHi: number, keyLo: number): number;
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
  readonly memory: Memory;
  readonly program: ExecProgram;
  /** The instruction being executed (the call, while a helper runs). */
  readonly pc: number;
  /** Runs the subprogram at `entryIndex` in a new frame with r1.. = args; returns its r0 (bpf_loop & co). */
  callFunction(entryIndex: number, args: readonly bigint[]): bigint;
}

/**
 * The default runaway guard: far above anything the verifier lets a program do in one run (1M verified
 * insns; bpf_loop/may_goto cap at 8M iterations), yet an emulated infinite loop ends in seconds.
 */
export const DEFAULT_INSN_LIMIT = 100_000_000;

/** Runs `program` from insn 0 with r1 = `r1` (usually the ctx pointer); returns r0 as unsigned 64 bits. */
export function execute(program: ExecProgram, env: ExecEnv, r1: bigint): bigint {
  return interpreterRunner(program, env)(r1);
}

/** execute() for many runs of `program` in `env` (BPF_PROG_TEST_RUN's repeat): one Machine, stacks reused. */
export function interpreterRunner(program: ExecProgram, env: ExecEnv): (r1: bigint) => bigint {
  const machine = new Machine(program, env, decode(program.insns));
  const args = [0n];
  return (r1) => {
    // Stack frames are run regions; anything the caller added before (ctx, packet) survives this run.
    const mark = env.memory.mark();
    machine.begin();
    args[0] = r1;
    try {
      return runFrame(machine, 0, args);
    } finally {
      env.memory.release(mark);
    }
  };
}

/** For helpers implementing callbacks: runs a subprogram to its exit in a new frame. */
export function callFunction(vm: Vm, entryIndex: number, args: readonly bigint[]): bigint {
  return vm.callFunction(entryIndex, args);
}

// ---- decoding: fields once into parallel arrays, so the dispatch loop allocates nothing to read them ----

interface Decoded {
  n: number;
  code: Uint8Array;
  dst: Uint8Array;
  src: Uint8Array;
  off: Int16Array;
  imm: Int32Array;
  /** imm sign-extended to 64 bits (the K operand of ALU64/JMP and of ST DW), as unsigned. */
  imm64: bigint[];
  /** off as a BigInt, for address arithmetic. */
  offBig: bigint[];
  /** ld_imm64: imm | next.imm << 32. */
  wide: bigint[];
}

const decodedByInsns = new WeakMap<Insn[], Decoded>();

function decode(insns: Insn[]): Decoded {
  const cached = decodedByInsns.get(insns);
  if (cached !== undefined) return cached;
  const n = insns.length;
  const d: Decoded = {
    n, code: new Uint8Array(n), dst: new Uint8Array(n), src: new Uint8Array(n), off: new Int16Array(n),
    imm: new Int32Array(n), imm64: new Array<bigint>(n), offBig: new Array<bigint>(n), wide: new Array<bigint>(n),
  };
  for (let i = 0; i < n; i++) {
    const insn = insns[i]!;
    d.code[i] = insn.code;
    d.dst[i] = insn.dst;
    d.src[i] = insn.src;
    d.off[i] = insn.off;
    d.imm[i] = insn.imm;
    d.imm64[i] = BigInt.asUintN(64, BigInt(insn.imm | 0));
    d.offBig[i] = BigInt(insn.off);
    d.wide[i] = insn.code === LD_IMM64 && i + 1 < n
      ? BigInt(insn.imm >>> 0) | (BigInt(insns[i + 1]!.imm >>> 0) << 32n)
      : 0n;
  }
  decodedByInsns.set(insns, d);
  return d;
}

// ---- frames ----

const LD_IMM64 = Class.Ld | Size.DW | Mode.Imm;
const STACK_SIZE = BigInt(MAX_BPF_STACK);

class Machine implements Vm {
  regs: bigint[] = [];
  pc = 0;
  depth = 0;
  executed = 0;
  readonly memory: Memory;
  readonly limit: number;
  /** One stack per call depth, reused by every frame at that depth; registered again (same entry) each run. */
  private readonly stacks: { ptr: bigint; bytes: Uint8Array; region: ByteRegion; run: number }[] = [];
  private run = 0;

  constructor(readonly program: ExecProgram, readonly env: ExecEnv, readonly code: Decoded) {
    this.memory = env.memory;
    this.limit = env.insnLimit ?? DEFAULT_INSN_LIMIT;
  }

  callFunction(entryIndex: number, args: readonly bigint[]): bigint {
    if (!Number.isInteger(entryIndex) || entryIndex < 0 || entryIndex >= this.code.n) {
      throw new ProgramFault(`callback entry ${entryIndex} is outside the program`);
    }
    return runFrame(this, entryIndex, args);
  }

  /** A new run: the instruction count starts again, the stacks are registered anew. */
  begin(): void {
    this.executed = 0;
    this.depth = 0;
    this.run++;
  }

  /** The frame pointer (r10) of a fresh 512-byte stack at `depth`. */
  framePointer(depth: number): bigint {
    let stack = this.stacks[depth];
    if (stack === undefined) {
      const bytes = new Uint8Array(MAX_BPF_STACK);
      const region = fixedBytes(depth === 0 ? 'stack' : `stack of frame ${depth}`, bytes);
      this.stacks[depth] = stack = { ptr: 0n, bytes, region, run: 0 };
    } else {
      // The kernel's stack holds garbage, which the verifier never lets a program read; zeros are deterministic.
      stack.bytes.fill(0);
    }
    if (stack.run !== this.run) {
      stack.ptr = this.memory.addRegion(stack.region, 'run');
      stack.run = this.run;
    }
    return stack.ptr + STACK_SIZE;
  }
}

/**
 * A new frame: its own registers (so the caller's r6-r9 and r10 come back untouched, as the kernel's
 * interpreter gives every call its own regs[]: core.c __bpf_prog_run_args) and its own stack.
 */
function runFrame(m: Machine, entry: number, args: readonly bigint[]): bigint {
  // include/linux/bpf_verifier.h MAX_CALL_FRAMES: the verifier refuses deeper call chains.
  if (m.depth >= MAX_CALL_FRAMES) {
    throw new ProgramFault(`call stack of ${m.depth + 1} frames is too deep (MAX_CALL_FRAMES is ${MAX_CALL_FRAMES})`);
  }
  const fp = m.framePointer(m.depth);
  const regs = [0n, arg(args, 0), arg(args, 1), arg(args, 2), arg(args, 3), arg(args, 4), 0n, 0n, 0n, 0n, fp];
  const callerRegs = m.regs;
  const callerPc = m.pc;
  m.depth++;
  m.regs = regs;
  try {
    return run(m, regs, entry);
  } finally {
    m.depth--;
    m.regs = callerRegs;
    m.pc = callerPc;
  }
}

const arg = (args: readonly bigint[], i: number): bigint => (i < args.length ? BigInt.asUintN(64, args[i]!) : 0n);

// ---- the dispatch loop ----

const X = 0x08;
const MASK32 = 0xffff_ffffn;
const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const low32 = (v: bigint): number => Number(v & MASK32);

function run(m: Machine, regs: bigint[], entry: number): bigint {
  const d = m.code;
  const { n, code: codes, dst: dsts, src: srcs } = d;
  const memory = m.memory;
  let pc = entry;
  let last = entry;
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
      last = pc;
      if (++m.executed > m.limit) throw new ProgramFault(`instruction limit reached (${m.limit})`);
      const code = codes[pc]!;
      const dst = dsts[pc]!;
      switch (code & 0x07) {
        case Class.Alu64: {
          regs[dst] = alu64(code, regs[dst]!, code & X ? regs[srcs[pc]!]! : d.imm64[pc]!, d.off[pc]!, d.imm[pc]!);
          pc++;
          continue;
        }
        case Class.Alu: {
          if ((code & 0xf0) === AluOp.End) {
            regs[dst] = endian(code, regs[dst]!, d.imm[pc]!);
          } else {
            const b = code & X ? low32(regs[srcs[pc]!]!) : d.imm[pc]! >>> 0;
            // 32-bit results are zero-extended into the 64-bit register (core.c: DST = (u32) ...).
            regs[dst] = BigInt(alu32(code, low32(regs[dst]!), b, d.off[pc]!));
          }
          pc++;
          continue;
        }
        case Class.Jmp: {
          const op = code & 0xf0;
          if (op === JmpOp.Exit) {
            if (code !== (Class.Jmp | JmpOp.Exit)) throw unknownOpcode(code);
            return regs[0]!;
          }
          if (op === JmpOp.Call) {
            if (code !== (Class.Jmp | JmpOp.Call)) throw unknownOpcode(code);
            m.pc = pc;
            regs[0] = call(m, regs, pc);
            pc++;
            continue;
          }
          if (op === JmpOp.Ja) {
            if (code !== (Class.Jmp | JmpOp.Ja)) throw unknownOpcode(code);
            pc += 1 + d.off[pc]!;
            continue;
          }
          if (op === JmpOp.Jcond) {
            // may_goto (src_reg BPF_MAY_GOTO = 0): falls through while the frame's budget lasts, then jumps.
            if (code !== (Class.Jmp | JmpOp.Jcond) || srcs[pc] !== 0) throw unknownOpcode(code);
            if (mayGotoLeft === 0) pc += 1 + d.off[pc]!;
            else {
              mayGotoLeft--;
              pc++;
            }
            continue;
          }
          const taken = compare64(op, regs[dst]!, code & X ? regs[srcs[pc]!]! : d.imm64[pc]!);
          pc += taken ? 1 + d.off[pc]! : 1;
          continue;
        }
        case Class.Jmp32: {
          const op = code & 0xf0;
          if (op === JmpOp.Ja) {
            // gotol: JMP32 | JA carries its offset in imm (core.c JMP32_JA: insn += insn->imm).
            if (code !== (Class.Jmp32 | JmpOp.Ja)) throw unknownOpcode(code);
            pc += 1 + d.imm[pc]!;
            continue;
          }
          const b = code & X ? low32(regs[srcs[pc]!]!) : d.imm[pc]! >>> 0;
          pc += compare32(code, op, low32(regs[dst]!), b) ? 1 + d.off[pc]! : 1;
          continue;
        }
        case Class.Ldx: {
          const mode = code & 0xe0;
          const size = sizeBytes(code);
          const value = memory.load(u64(regs[srcs[pc]!]! + d.offBig[pc]!), size);
          if (mode === Mode.Mem) regs[dst] = value;
          else if (mode === Mode.MemSx && size !== 8) regs[dst] = u64(BigInt.asIntN(size * 8, value));
          else throw unknownOpcode(code);
          pc++;
          continue;
        }
        case Class.St: {
          if ((code & 0xe0) !== Mode.Mem) throw unknownOpcode(code);
          memory.store(u64(regs[dst]! + d.offBig[pc]!), sizeBytes(code), d.imm64[pc]!);
          pc++;
          continue;
        }
        case Class.Stx: {
          const mode = code & 0xe0;
          if (mode === Mode.Mem) memory.store(u64(regs[dst]! + d.offBig[pc]!), sizeBytes(code), regs[srcs[pc]!]!);
          else if (mode === Mode.Atomic) atomic(memory, regs, code, dst, srcs[pc]!, d.offBig[pc]!, d.imm[pc]!);
          else throw unknownOpcode(code);
          pc++;
          continue;
        }
        default: {
          // Class.Ld: only ld_imm64 survives the verifier (LD_ABS/LD_IND are refused at load here).
          if (code !== LD_IMM64) {
            throw new ProgramFault((code & 0xe0) === Mode.Abs || (code & 0xe0) === Mode.Ind
              ? 'legacy LD_ABS/LD_IND is not supported'
              : `unknown opcode 0x${code.toString(16).padStart(2, '0')}`);
          }
          if (pc + 1 >= n) throw new ProgramFault('ld_imm64 is missing its second half');
          // BPF_PSEUDO_FUNC: the address of the subprogram at pc + imm + 1 (verifier.c check_ld_imm).
          regs[dst] = srcs[pc] === PseudoLd.Func ? memory.codePointer(m.program, pc + d.imm[pc]! + 1) : d.wide[pc]!;
          pc += 2;
          continue;
        }
      }
    }
  } catch (e) {
    if (e instanceof ProgramFault) e.at(last);
    throw e;
  }
}

function unknownOpcode(code: number): ProgramFault {
  return new ProgramFault(`unknown opcode 0x${code.toString(16).padStart(2, '0')}`);
}

/** BPF_JMP | BPF_CALL by src_reg. r1-r5 are left as they were: the verifier marks them unreadable after a call. */
function call(m: Machine, regs: bigint[], pc: number): bigint {
  const d = m.code;
  const kind = d.src[pc]!;
  if (kind === CallKind.Helper) return u64(m.env.callHelper(d.imm[pc]!, m));
  if (kind === CallKind.Kfunc) return u64(m.env.callKfunc(m.program.insns[pc]!, m));
  if (kind === CallKind.Local) {
    const target = pc + d.imm[pc]! + 1;
    if (target < 0 || target >= d.n) throw new ProgramFault(`call to insn ${target}, outside the program`);
    return runFrame(m, target, [regs[1]!, regs[2]!, regs[3]!, regs[4]!, regs[5]!]);
  }
  throw new ProgramFault(`call with unknown src_reg ${kind}`);
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
function atomic(memory: Memory, regs: bigint[], code: number, dst: number, src: number, off: bigint, imm: number): void {
  const size: AccessSize = sizeBytes(code);
  if (imm === AtomicOp.LoadAcq) {
    // core.c: dst = smp_load_acquire(src + off), any size, zero-extended. One thread: a plain load.
    regs[dst] = memory.load(u64(regs[src]! + off), size);
    return;
  }
  const addr = u64(regs[dst]! + off);
  if (imm === AtomicOp.StoreRel) {
    // core.c: smp_store_release(dst + off, src), any size.
    memory.store(addr, size, regs[src]!);
    return;
  }
  if (size !== 4 && size !== 8) throw unknownOpcode(code);
  const value = regs[src]!;
  if (imm === AtomicOp.Cmpxchg) {
    regs[0] = memory.atomicCmpxchg(addr, size, regs[0]!, value);
    return;
  }
  if (imm === AtomicOp.Xchg) {
    regs[src] = memory.atomicRmw('xchg', addr, size, value);
    return;
  }
  const op = rmwOps[imm & ~AtomicOp.Fetch];
  if (op === undefined || (imm & ~0xf1) !== 0) throw new ProgramFault(`unknown atomic op 0x${imm.toString(16)}`);
  const old = memory.atomicRmw(op, addr, size, value);
  if (imm & AtomicOp.Fetch) regs[src] = old;
}

