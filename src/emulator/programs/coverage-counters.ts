// Coverage counters of one loaded program (bpfkit issue 25): how often each instruction ran, how often each
// conditional jump went to its target and fell through, how often each function was entered. They live in
// one SharedArrayBuffer per program with a row per thread that runs it (the Emulator's own thread, each
// worker CPU): a thread only ever writes its own row, so no write is lost and none needs an atomic; a reader
// sums the rows. Both executions fill them identically (interpreter.ts, compiler.ts).
import { Class, JmpOp, type Insn } from '../../uapi/isa.js';

/** Counters per instruction in a row: executed, jumped to the target, fell through, function entered. */
const FIELDS = 4;

/** One thread's row of a program's counters, with which instructions are branches. */
export interface CoverageRow {
  /** Times instruction i ran (an ld_imm64 counts once, at its first slot). */
  executed: Float64Array;
  /** A branch at i (isBranch): times it jumped to its target. */
  taken: Float64Array;
  /** A branch at i: times it fell through to i + 1. */
  notTaken: Float64Array;
  /** Times a frame started at i (the program, a subprogram called, a callback). */
  entered: Float64Array;
  /** 1 where instruction i is a branch. */
  branches: Uint8Array;
}

/**
 * A conditional jump with two different destinations: JMP/JMP32 compares and may_goto with a non-zero
 * offset. One with offset 0 goes to the same instruction either way and is no branch.
 */
export function isBranch(insn: Insn): boolean {
  const cls = insn.code & 0x07;
  if ((cls !== Class.Jmp && cls !== Class.Jmp32) || insn.off === 0) return false;
  const op = insn.code & 0xf0;
  if (op === JmpOp.Call || op === JmpOp.Exit || op === JmpOp.Ja || op === 0xf0) return false;
  return op !== JmpOp.Jcond || cls === Class.Jmp;
}

/** Counters for a program of `n` instructions run by `threads` threads (Float64: exact to 2^53 runs). */
export function coverageBuffer(n: number, threads: number): SharedArrayBuffer {
  return new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT * FIELDS * Math.max(1, n) * threads);
}

/** Row `thread` of `buffer`, for the program `insns`. */
export function coverageRow(buffer: SharedArrayBuffer, insns: readonly Insn[], thread: number): CoverageRow {
  const n = Math.max(1, insns.length);
  const threads = buffer.byteLength / (Float64Array.BYTES_PER_ELEMENT * FIELDS * n);
  if (!Number.isInteger(threads) || thread < 0 || thread >= threads) {
    throw new RangeError(`coverage: no row ${thread} in counters for ${threads} threads of a ${insns.length}-instruction program`);
  }
  const at = (field: number): Float64Array => new Float64Array(buffer, Float64Array.BYTES_PER_ELEMENT * n * (thread * FIELDS + field), n);
  return {
    executed: at(0), taken: at(1), notTaken: at(2), entered: at(3),
    branches: Uint8Array.from(insns, (i) => (isBranch(i) ? 1 : 0)),
  };
}

/** Every thread's rows of `buffer` summed: the program's counts. */
export function coverageTotals(buffer: SharedArrayBuffer, insns: readonly Insn[]): CoverageRow {
  const n = Math.max(1, insns.length);
  const threads = buffer.byteLength / (Float64Array.BYTES_PER_ELEMENT * FIELDS * n);
  const total = coverageRow(new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT * FIELDS * n), insns, 0);
  for (let t = 0; t < threads; t++) {
    const row = coverageRow(buffer, insns, t);
    for (let i = 0; i < n; i++) {
      total.executed[i]! += row.executed[i]!;
      total.taken[i]! += row.taken[i]!;
      total.notTaken[i]! += row.notTaken[i]!;
      total.entered[i]! += row.entered[i]!;
    }
  }
  return total;
}

/**
 * This thread's row in every program's counters: 0 on the thread that made the Emulator, cpu + 1 on a
 * worker CPU (cpus/worker.ts sets it). Module state is per thread, which is what it describes.
 */
let threadRow = 0;

export function setCoverageThread(row: number): void {
  threadRow = row;
}

export function coverageThread(): number {
  return threadRow;
}
