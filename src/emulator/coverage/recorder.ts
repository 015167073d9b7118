// What an Emulator with coverage keeps: every program it loaded, closed or not, with its counters. Under
// BPFKIT_COVERAGE=<dir> every recorder of the process is also listed here, and the process writes them all,
// merged, as one lcov file in <dir> when it exits (a file per process: `lcov -a` or `bpfkit coverage` merges).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { formatLcov, mergeCoverage, type FileCoverage } from '../../coverage/lcov.js';
import { coverageBuffer } from '../programs/coverage-counters.js';
import { programCoverage, type CoveredProgram, type ProgramCoverage } from './program-coverage.js';

/** emulator.coverage(): each program's, and all of them by source file. */
export interface EmulatorCoverage {
  programs: ProgramCoverage[];
  /** Every program's lines, functions and branches added up by file (what writeLcov writes). */
  files: FileCoverage[];
}

export class CoverageRecorder {
  readonly #programs: CoveredProgram[] = [];

  /** `threads`: the rows the counters need (the Emulator's thread and each of its CPUs). */
  constructor(readonly threads: number) {
    if (processDir() === undefined) return;
    recordersOfProcess.push(this);
    writeAtExit();
  }

  /** Counters for a program being loaded (its ProgramSource.coverage): runs on any thread fill them. */
  counters(insns: number): SharedArrayBuffer {
    return coverageBuffer(insns, this.threads);
  }

  /** A program that loaded: its counters are reported from now on (one that failed to load never is). */
  add(program: CoveredProgram): void {
    this.#programs.push(program);
  }

  report(): EmulatorCoverage {
    const programs = this.#programs.map(programCoverage);
    return { programs, files: mergeCoverage(programs.map((p) => p.files)) };
  }
}

/** BPFKIT_COVERAGE: where every process writes its coverage at exit, or undefined. */
export function processDir(): string | undefined {
  return process.env.BPFKIT_COVERAGE || undefined;
}

const recordersOfProcess: CoverageRecorder[] = [];
let exitHook = false;

/**
 * Registers, once, what writes this process's coverage under BPFKIT_COVERAGE: at exit, and on SIGTERM, which
 * ends a process without 'exit' (vitest's forks pool stops its workers so, as do service managers). After
 * writing, SIGTERM does what it would have done: the process ends by it, unless the program handles it itself.
 */
function writeAtExit(): void {
  if (exitHook || processDir() === undefined) return;
  exitHook = true;
  process.on('exit', writeProcessCoverage);
  process.once('SIGTERM', () => {
    writeProcessCoverage();
    if (process.listenerCount('SIGTERM') === 0) process.kill(process.pid, 'SIGTERM');
  });
}

/** <dir>/bpfkit-<pid>-<thread>.info: every recorder's files merged (nothing when no program was loaded). */
function writeProcessCoverage(): void {
  const dir = processDir();
  if (dir === undefined) return;
  const files = mergeCoverage(recordersOfProcess.map((r) => r.report().files));
  if (files.length === 0) return;
  mkdirSync(dir, { recursive: true });
  // pid and thread: two Emulators' threads (worker_threads of the same process) write files of their own.
  writeFileSync(join(dir, `bpfkit-${process.pid}-${threadId}.info`), formatLcov(files, 'bpfkit'));
}
