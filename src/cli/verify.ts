// `bpfkit verify OBJECT.bpf.o [--program NAME] [--kernel-version V] [--log-level L] [--stats] [--compare OLD.csv]`:
// each program loaded alone on the emulator's verifier model and, where the kernel engine works, on the
// kernel, side by side — what a macOS user runs before pushing. `--stats` prints veristat's numbers as CSV;
// `--compare` fails when a program's verification cost grew past a budget (veristat -C). Exit 1 when any
// engine refuses a program or a cost grew too much.
import { readFileSync } from 'node:fs';
import { parseObject } from '../elf/object.js';
import { engineStatus } from '../engine-select.js';
import { BpfError, BpfVerifierError } from '../errors/errors.js';
import { lastMeaningfulLine, verifierSourceLine, verifierStats, type VerifierStats } from '../errors/verifier-log.js';
import { Emulator } from '../emulator/emulator.js';
import { getKernelEngine } from '../kernel/engine.js';
import { features } from '../kernel/features.js';
import { openObject } from '../object/object.js';
import type { Engine } from '../seam/engine.js';
import { ENOTSUPP } from '../uapi/errno.js';
import { formatTable } from './table.js';

const usage = `usage: bpfkit verify OBJECT.bpf.o [--program NAME] [--kernel-version V] [--log-level L] [--stats] [--compare OLD.csv [--threshold PCT]]
  --kernel-version V  the emulator answers as Linux V (default: the running kernel's, else its own)
  --log-level L       also print each program's verifier log at level L (1, 2, 4 = statistics, or'ed)
  --stats             CSV instead of the table: engine,program,verdict,insns,states,peak_states
  --compare OLD.csv   exit 1 when a program's processed instructions grew more than PCT percent (default 10)
                      over OLD.csv (an earlier --stats)
`;

/** BPF_LOG_LEVEL1 | BPF_LOG_STATS: the statistics of a program that loads, the failing path of one that does not. */
const STATS_LOG_LEVEL = 1 | 4;

interface Verdict {
  verdict: 'loaded' | 'refused' | 'unsupported';
  text: string;
  stats?: VerifierStats;
  log: string;
}

/** One program's verdict on one engine. */
function verdictOf(path: string, program: string, engine: Engine, logLevel: number): Verdict {
  try {
    using obj = openObject(path, { programs: [program], engine, logLevel: logLevel | STATS_LOG_LEVEL });
    const log = obj.program(program).verifierLog;
    const stats = verifierStats(log);
    return { verdict: 'loaded', text: stats ? `loaded (${stats.processedInsns} insns, ${stats.totalStates} states)` : 'loaded', stats, log };
  } catch (e) {
    if (e instanceof BpfVerifierError) {
      const at = verifierSourceLine(e.log);
      const where = at ? ` — ${at.file}:${at.line}: ${at.text}` : '';
      return { verdict: 'refused', text: `refused (${e.code}): ${lastMeaningfulLine(e.log)}${where}`, stats: verifierStats(e.log), log: e.log };
    }
    // The emulator's ENOTSUPP comes after its verifier model found nothing to refuse: a map type, helper or
    // kfunc it cannot run.
    if (e instanceof BpfError && e.errno === ENOTSUPP && engine.kind === 'emulator') {
      return { verdict: 'unsupported', text: `verifies; cannot run here: ${e.message}`, log: '' };
    }
    if (e instanceof BpfError) return { verdict: 'refused', text: `${e.code}: ${e.message}`, log: '' };
    throw e;
  }
}

interface Options {
  path: string;
  only?: string;
  kernelVersion?: string;
  logLevel: number;
  stats: boolean;
  compare?: string;
  threshold: number;
}

function parseArgs(args: readonly string[]): Options | undefined {
  let path: string | undefined;
  const o: Omit<Options, 'path'> = { logLevel: 0, stats: false, threshold: 10 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = args[i + 1];
    if (a === '--stats') o.stats = true;
    else if (value === undefined || !a.startsWith('--')) {
      if (a.startsWith('-') || path !== undefined) return undefined;
      path = a;
    } else {
      i++;
      if (a === '--program') o.only = value;
      else if (a === '--kernel-version') o.kernelVersion = value;
      else if (a === '--compare') o.compare = value;
      else if (a === '--log-level' && /^\d+$/.test(value) && Number(value) <= 15) o.logLevel = Number(value);
      else if (a === '--threshold' && /^\d+(\.\d+)?$/.test(value)) o.threshold = Number(value);
      else return undefined;
    }
  }
  return path === undefined ? undefined : { path, ...o };
}

/** --stats lines by "engine,program" from an earlier run's CSV. */
function readStats(file: string): Map<string, number> {
  const rows = new Map<string, number>();
  for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
    const [engine, program, , insns] = line.split(',');
    if (engine && program && insns && insns !== '') rows.set(`${engine},${program}`, Number(insns));
  }
  return rows;
}

export function verifyMain(args: readonly string[]): number {
  const o = parseArgs(args);
  if (!o) {
    process.stderr.write(usage);
    return 2;
  }
  let names: string[];
  let old: Map<string, number> | undefined;
  try {
    names = parseObject(new Uint8Array(readFileSync(o.path)), o.path).programs.map((p) => p.name);
    if (o.compare !== undefined) old = readStats(o.compare);
  } catch (e) {
    process.stderr.write(`bpfkit verify: ${(e as Error).message}\n`);
    return 1;
  }
  if (o.only !== undefined) {
    if (!names.includes(o.only)) {
      process.stderr.write(`bpfkit verify: no program '${o.only}' in ${o.path} (it has: ${names.join(', ')})\n`);
      return 1;
    }
    names = [o.only];
  }
  // Side by side with the kernel, the emulator answers as the running kernel's version by default.
  const kernel = engineStatus().kernel;
  const version = o.kernelVersion ?? (kernel.available ? features.emulatorKernelVersion() : undefined);
  const emulator = new Emulator(version === undefined ? {} : { kernelVersion: version });
  const engines: [string, Engine][] = [[`emulator ${emulator.kernelVersion}`, emulator]];
  if (kernel.available) engines.push(['kernel', getKernelEngine()]);
  else process.stderr.write(`the kernel engine is unavailable here (${kernel.reasons.join('; ')}): the emulator's verdicts only\n`);

  const results = names.map((name) => ({ name, verdicts: engines.map(([label, engine]) => ({ label, ...verdictOf(o.path, name, engine, o.logLevel) })) }));
  let failed = results.some((r) => r.verdicts.some((v) => v.verdict === 'refused'));
  if (o.stats) {
    const csv = results.flatMap((r) => r.verdicts.map((v) => [v.label, r.name, v.verdict, v.stats?.processedInsns ?? '', v.stats?.totalStates ?? '', v.stats?.peakStates ?? ''].join(',')));
    process.stdout.write(`${['engine,program,verdict,insns,states,peak_states', ...csv].join('\n')}\n`);
  } else {
    process.stdout.write(formatTable(['program', ...engines.map(([label]) => label)], results.map((r) => [r.name, ...r.verdicts.map((v) => v.text)])));
  }
  if (o.logLevel !== 0) {
    for (const r of results) for (const v of r.verdicts) process.stdout.write(`\n--- ${r.name} on ${v.label} ---\n${v.log}`);
  }
  if (old) {
    for (const r of results) {
      for (const v of r.verdicts) {
        const before = old.get(`${v.label},${r.name}`);
        const now = v.stats?.processedInsns;
        if (before === undefined || now === undefined || now <= before * (1 + o.threshold / 100)) continue;
        process.stderr.write(`bpfkit verify: ${r.name} on ${v.label}: ${now} insns processed, was ${before} (+${(((now - before) / before) * 100).toFixed(1)}%, budget +${o.threshold}%)\n`);
        failed = true;
      }
    }
  }
  return failed ? 1 : 0;
}
