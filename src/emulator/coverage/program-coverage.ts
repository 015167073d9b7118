// One loaded program's coverage by C source line: its counters (programs/coverage-counters.ts) mapped
// through the program's line_info (an instruction belongs to the last line_info record at or before it,
// as in the kernel's bpf_prog_linfo and llvm-objdump -S) and func_info (its functions' entries).
import type { ParsedProgram } from '../../elf/spec.js';
import type { Insn } from '../../uapi/isa.js';
import { mergeCoverage, type BranchCount, type FileCoverage, type FunctionCount } from '../../coverage/lcov.js';
import { coverageTotals, type CoverageRow } from '../programs/coverage-counters.js';

/** A program as coverage knows it: what it is made of and its counters. */
export interface CoveredProgram {
  name: string;
  /** The object file it was loaded from; none for a raw program. */
  object?: string;
  insns: readonly Insn[];
  lines: ParsedProgram['lines'];
  functions: readonly { name: string; start: number }[];
  counters: SharedArrayBuffer;
}

/** What one program's runs executed, summed over every thread that ran it. */
export interface ProgramCoverage {
  /** The program's name (its C function). */
  name: string;
  /** The object file it came from; absent for a raw program. */
  object?: string;
  /** Per instruction (as loaded, subprograms after the main function): the times it ran. */
  executed: Float64Array;
  /** Per instruction that is a conditional jump: the times it jumped, and fell through. 0 elsewhere. */
  taken: Float64Array;
  notTaken: Float64Array;
  /** Per function (func_info), the times it was entered. */
  functions: { name: string; start: number; count: number }[];
  /** The same by source file and line (none for a raw program: it has no line_info). */
  files: FileCoverage[];
}

export function programCoverage(p: CoveredProgram): ProgramCoverage {
  const totals = coverageTotals(p.counters, p.insns);
  return {
    name: p.name,
    ...(p.object !== undefined ? { object: p.object } : {}),
    executed: totals.executed.slice(0, p.insns.length),
    taken: totals.taken.slice(0, p.insns.length),
    notTaken: totals.notTaken.slice(0, p.insns.length),
    functions: p.functions.map((f) => ({ name: f.name, start: f.start, count: totals.entered[f.start] ?? 0 })),
    files: byLine(p, totals),
  };
}

/**
 * DA: a line's code may sit in several places (each inlined copy of a function, a `for`'s test and its
 * step): each place counts how often it ran (its busiest instruction, as a jump may enter it midway), and
 * the line the sum of its places. BRDA: each conditional jump on the line it belongs to. FN: a function at
 * the line of its first instruction.
 */
function byLine(p: CoveredProgram, totals: CoverageRow): FileCoverage[] {
  const n = p.insns.length;
  const starts = [...p.lines.keys()].filter((i) => i >= 0 && i < n).sort((a, b) => a - b);
  if (starts.length === 0) return [];
  const files = new Map<string, { lines: Map<number, number>; functions: FunctionCount[]; branches: BranchCount[]; blocks: Map<number, number> }>();
  const fileOf = (name: string) => {
    let f = files.get(name);
    if (!f) files.set(name, (f = { lines: new Map(), functions: [], branches: [], blocks: new Map() }));
    return f;
  };
  const entries = new Map(p.functions.map((f) => [f.start, f.name]));
  /** The place being walked: consecutive records of one line are one place. */
  let place: { file: string; line: number; most: number } | undefined;
  const endPlace = (): void => {
    if (!place) return;
    const lines = fileOf(place.file).lines;
    lines.set(place.line, (lines.get(place.line) ?? 0) + place.most);
    place = undefined;
  };
  for (let k = 0; k < starts.length; k++) {
    const { file, line } = p.lines.get(starts[k]!)!;
    if (place && (place.file !== file || place.line !== line)) endPlace();
    // Line 0 is code the compiler made up (no source line): not counted anywhere.
    if (line <= 0) continue;
    const f = fileOf(file);
    place ??= { file, line, most: 0 };
    const end = k + 1 < starts.length ? starts[k + 1]! : n;
    for (let i = starts[k]!; i < end; i++) {
      place.most = Math.max(place.most, totals.executed[i]!);
      const name = entries.get(i);
      if (name !== undefined) f.functions.push({ name, line, count: totals.entered[i]! });
      if (totals.branches[i] === 1) {
        const block = f.blocks.get(line) ?? 0;
        f.blocks.set(line, block + 1);
        const ran = totals.executed[i]! > 0;
        f.branches.push({ line, block, branch: 0, taken: ran ? totals.taken[i]! : undefined });
        f.branches.push({ line, block, branch: 1, taken: ran ? totals.notTaken[i]! : undefined });
      }
    }
  }
  endPlace();
  return mergeCoverage([[...files].map(([file, f]) => ({
    file, lines: [...f.lines].map(([line, count]) => ({ line, count })), functions: f.functions, branches: f.branches,
  }))]);
}
