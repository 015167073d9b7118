// `bpfkit coverage <dir|files…> [--html OUT] [--output FILE]`: merges lcov tracefiles (a BPFKIT_COVERAGE
// directory's file per process, writeLcov's, vitest's own) as `lcov -a` does and prints a summary per file
// and function. --html hands the merged file to genhtml (the Debian package lcov): the lcov file is the
// interface, and we render no HTML of our own.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { coverageTotals, formatLcov, mergeCoverage, parseLcov, type FileCoverage } from '../coverage/lcov.js';
import { formatTable } from './table.js';

const usage = 'usage: bpfkit coverage DIR|FILE.info... [--output MERGED.info] [--html OUT_DIR]\n';

/** The tracefiles named: files as given, directories' `*.info` files (not recursive), in name order. */
export function tracefiles(paths: readonly string[]): string[] {
  return paths.flatMap((p) => (statSync(p).isDirectory()
    ? readdirSync(p).filter((f) => f.endsWith('.info')).sort().map((f) => join(p, f))
    : [p]));
}

const percent = ([hit, found]: [number, number]): string => (found === 0 ? '-' : `${((100 * hit) / found).toFixed(1)}% (${hit}/${found})`);

/** The summary: a row per file (lines, functions, branches hit of found), then each function's entries. */
export function summary(files: readonly FileCoverage[]): string {
  const rows = files.map((f) => {
    const t = coverageTotals(f);
    return [f.file, percent(t.lines), percent(t.functions), percent(t.branches)];
  });
  const all = coverageTotals({
    file: '', lines: files.flatMap((f) => f.lines), functions: files.flatMap((f) => f.functions), branches: files.flatMap((f) => f.branches),
  });
  rows.push(['total', percent(all.lines), percent(all.functions), percent(all.branches)]);
  const fns = files.flatMap((f) => f.functions.map((fn) => [fn.name, `${f.file}:${fn.line}`, String(fn.count)]));
  return formatTable(['file', 'lines', 'functions', 'branches'], rows)
    + (fns.length ? `\n${formatTable(['function', 'at', 'entered'], fns)}` : '');
}

export async function coverageMain(args: readonly string[]): Promise<number> {
  const inputs: string[] = [];
  let html: string | undefined;
  let output: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--html' || a === '--output') {
      const value = args[++i];
      if (value === undefined || value === '') {
        process.stderr.write(`bpfkit coverage: ${a} needs a path\n${usage}`);
        return 2;
      }
      if (a === '--html') html = value;
      else output = value;
    } else if (a.startsWith('-')) {
      process.stderr.write(`bpfkit coverage: unknown option '${a}'\n${usage}`);
      return 2;
    } else inputs.push(a);
  }
  if (inputs.length === 0) {
    process.stderr.write(usage);
    return 2;
  }
  let merged: FileCoverage[];
  try {
    const files = tracefiles(inputs);
    if (files.length === 0) throw new Error(`no .info files in ${inputs.join(', ')}`);
    merged = mergeCoverage(files.map((f) => parseLcov(readFileSync(f, 'utf8'), f)));
  } catch (e) {
    process.stderr.write(`bpfkit coverage: ${(e as Error).message}\n`);
    return 1;
  }
  process.stdout.write(summary(merged));
  const text = formatLcov(merged);
  if (output !== undefined) writeFileSync(output, text);
  if (html === undefined) return 0;
  return genhtml(text, html, output);
}

/** Renders `text` (merged lcov) into `out` with genhtml; its file is `output` or out/bpfkit.info. */
function genhtml(text: string, out: string, output: string | undefined): number {
  mkdirSync(out, { recursive: true });
  const info = output ?? join(out, 'bpfkit.info');
  if (output === undefined) writeFileSync(info, text);
  const r = spawnSync('genhtml', ['--branch-coverage', '--quiet', '--output-directory', out, info], { encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    process.stderr.write('bpfkit coverage: --html needs genhtml, from the lcov package: sudo apt-get install lcov\n');
    return 1;
  }
  if (r.status !== 0) {
    process.stderr.write(`bpfkit coverage: genhtml failed (status ${r.status}):\n${r.stderr}`);
    return 1;
  }
  process.stdout.write(`\nhtml: ${join(out, 'index.html')}\n`);
  return 0;
}
