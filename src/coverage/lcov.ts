// Coverage of BPF C code by source file, and lcov, its interchange format (geninfo(1)'s tracefile: SF, FN,
// FNDA, DA, BRDA, end_of_record). The emulator's coverage (src/emulator/coverage/) is written in it, and
// `bpfkit coverage` reads it back and merges files as `lcov -a` does: counts of the same line, function or
// branch add up. Engine-neutral: this imports nothing of ours.

/** How often a source line ran. */
export interface LineCount {
  line: number;
  count: number;
}

/** How often a function was entered; `line` is where its code starts. */
export interface FunctionCount {
  name: string;
  line: number;
  count: number;
}

/**
 * One way of a conditional jump on `line`: `block` numbers the jumps of that line in program order, `branch`
 * 0 is the jump to its target and 1 the fall-through. `taken` is undefined when the jump itself never ran
 * (lcov's '-').
 */
export interface BranchCount {
  line: number;
  block: number;
  branch: number;
  taken: number | undefined;
}

export interface FileCoverage {
  file: string;
  /** Lines with code (from line_info), ascending; lines the compiler optimised away are absent. */
  lines: LineCount[];
  functions: FunctionCount[];
  branches: BranchCount[];
}

/** Coverage of the same files added up, as `lcov -a` does: by file, line, function name, and (line, block, branch). */
export function mergeCoverage(parts: readonly (readonly FileCoverage[])[]): FileCoverage[] {
  const files = new Map<string, { lines: Map<number, number>; functions: Map<string, FunctionCount>; branches: Map<string, BranchCount> }>();
  for (const part of parts) {
    for (const f of part) {
      let into = files.get(f.file);
      if (!into) files.set(f.file, (into = { lines: new Map(), functions: new Map(), branches: new Map() }));
      for (const { line, count } of f.lines) into.lines.set(line, (into.lines.get(line) ?? 0) + count);
      for (const fn of f.functions) {
        const had = into.functions.get(fn.name);
        into.functions.set(fn.name, { name: fn.name, line: had ? Math.min(had.line, fn.line) : fn.line, count: (had?.count ?? 0) + fn.count });
      }
      for (const b of f.branches) {
        const key = `${b.line},${b.block},${b.branch}`;
        const had = into.branches.get(key)?.taken;
        const taken = had === undefined ? b.taken : b.taken === undefined ? had : had + b.taken;
        into.branches.set(key, { ...b, taken });
      }
    }
  }
  return [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([file, f]) => ({
    file,
    lines: [...f.lines].sort((a, b) => a[0] - b[0]).map(([line, count]) => ({ line, count })),
    functions: [...f.functions.values()].sort((a, b) => a.line - b.line || (a.name < b.name ? -1 : 1)),
    branches: [...f.branches.values()].sort((a, b) => a.line - b.line || a.block - b.block || a.branch - b.branch),
  }));
}

/** The lcov tracefile of `files` (one record per file; `test` names the run in its TN line). */
export function formatLcov(files: readonly FileCoverage[], test = ''): string {
  const out: string[] = [];
  for (const f of files) {
    out.push(`TN:${test}`, `SF:${f.file}`);
    for (const fn of f.functions) out.push(`FN:${fn.line},${fn.name}`);
    for (const fn of f.functions) out.push(`FNDA:${fn.count},${fn.name}`);
    out.push(`FNF:${f.functions.length}`, `FNH:${f.functions.filter((fn) => fn.count > 0).length}`);
    for (const b of f.branches) out.push(`BRDA:${b.line},${b.block},${b.branch},${b.taken === undefined ? '-' : b.taken}`);
    out.push(`BRF:${f.branches.length}`, `BRH:${f.branches.filter((b) => (b.taken ?? 0) > 0).length}`);
    for (const { line, count } of f.lines) out.push(`DA:${line},${count}`);
    out.push(`LF:${f.lines.length}`, `LH:${f.lines.filter((l) => l.count > 0).length}`, 'end_of_record');
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

/**
 * The files of an lcov tracefile (anyone's: vitest's, geninfo's, ours). Records of the same file are merged;
 * lines it does not know (TN, summaries, checksums, FNL/FNA of lcov 2) are skipped. `name` is for errors.
 */
export function parseLcov(text: string, name = 'lcov'): FileCoverage[] {
  const records: FileCoverage[] = [];
  let cur: FileCoverage | undefined;
  const lines = text.split(/\r?\n/);
  const bad = (i: number, why: string): never => {
    throw new SyntaxError(`${name}:${i + 1}: ${why}: ${JSON.stringify(lines[i]!.slice(0, 80))}`);
  };
  const int = (s: string | undefined, i: number): number => {
    if (s === undefined || !/^-?\d+$/.test(s.trim())) bad(i, 'expected a number');
    return Number(s);
  };
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    if (raw === 'end_of_record') {
      if (!cur) bad(i, 'end_of_record outside a record');
      records.push(cur!);
      cur = undefined;
      continue;
    }
    const colon = raw.indexOf(':');
    const tag = colon < 0 ? raw : raw.slice(0, colon);
    const rest = colon < 0 ? '' : raw.slice(colon + 1);
    if (tag === 'SF') {
      if (cur) bad(i, 'SF inside a record (missing end_of_record)');
      cur = { file: rest, lines: [], functions: [], branches: [] };
      continue;
    }
    if (tag === 'TN' || tag === 'VER') continue;
    if (!cur) bad(i, `${tag} outside a record`);
    const f = cur!;
    const fields = rest.split(',');
    switch (tag) {
      case 'DA': f.lines.push({ line: int(fields[0], i), count: Math.max(0, int(fields[1], i)) }); break;
      // FN:<line>,<name> (lcov 1) or FN:<line>,<end line>,<name> (lcov 2).
      case 'FN': f.functions.push({ name: fields.slice(fields.length === 3 && /^\d+$/.test(fields[1]!) ? 2 : 1).join(','), line: int(fields[0], i), count: 0 }); break;
      case 'FNDA': {
        const fname = fields.slice(1).join(',');
        const count = int(fields[0], i);
        const fn = f.functions.find((x) => x.name === fname);
        if (fn) fn.count += count;
        else f.functions.push({ name: fname, line: 0, count });
        break;
      }
      case 'BRDA': {
        if (fields.length < 4) bad(i, 'BRDA needs line,block,branch,taken');
        const taken = fields[3]!.trim();
        f.branches.push({ line: int(fields[0], i), block: int(fields[1], i), branch: int(fields[2], i), taken: taken === '-' ? undefined : int(taken, i) });
        break;
      }
      default: break; // LF, LH, FNF, FNH, BRF, BRH are recomputed; lcov 2's FNL/FNA and anything newer are skipped
    }
  }
  if (cur) throw new SyntaxError(`${name}: the last record (SF:${cur.file}) has no end_of_record`);
  return mergeCoverage([records]);
}

/** Lines, functions and branches found and hit: lcov's LF/LH, FNF/FNH, BRF/BRH. */
export function coverageTotals(f: FileCoverage): { lines: [number, number]; functions: [number, number]; branches: [number, number] } {
  return {
    lines: [f.lines.filter((l) => l.count > 0).length, f.lines.length],
    functions: [f.functions.filter((fn) => fn.count > 0).length, f.functions.length],
    branches: [f.branches.filter((b) => (b.taken ?? 0) > 0).length, f.branches.length],
  };
}
