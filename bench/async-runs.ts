// runAsync dispatch: 2 concurrent callers × 100k runAsync of `r0 = 2; exit` (tc), each caller keeping
// WINDOW runs in flight, on the kernel engine (a thread per run, native/prog.cc) and on the emulator's
// worker CPUs (emulator/cpus/). What it measures is the cost of dispatching a run and settling its
// promise, per run: the program itself is two instructions.
import { Emulator, loadProgram, ProgramType, type Engine } from '../src/index.js';
import { asm, encodeInsns } from '../src/uapi/isa.js';
import { getKernelEngine, kernelUnavailableReasons } from '../src/kernel/engine.js';
import { printTable } from '../examples/table.js';

const RUNS = Number(process.env.BENCH_ASYNC_RUNS ?? 100_000);
const CALLERS = 2;
/** Runs each caller has in flight at once (a window bounds the kernel engine's threads). */
const WINDOW = 1000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** Wall ns per run of CALLERS × RUNS runAsync, best of ROUNDS; checks every run's retval. */
async function dispatchCost(engine: Engine): Promise<number> {
  using prog = loadProgram({ type: ProgramType.SchedCls, insns: encodeInsns([asm.mov64Imm(0, 2), asm.exit()]), engine });
  const data = new Uint8Array(64);
  const caller = async (runs: number): Promise<void> => {
    for (let done = 0; done < runs; done += WINDOW) {
      const batch = Array.from({ length: Math.min(WINDOW, runs - done) }, () => prog.runAsync({ data }));
      for (const r of await Promise.all(batch)) if (r.retval !== 2) throw new Error(`runAsync: retval ${r.retval}, not 2`);
    }
  };
  await Promise.all(Array.from({ length: CALLERS }, () => caller(WINDOW * 4))); // warm-up: threads, compilation
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    await Promise.all(Array.from({ length: CALLERS }, () => caller(RUNS)));
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / (CALLERS * RUNS));
  }
  return best;
}

export async function runAsyncBench(): Promise<void> {
  const kernel = kernelUnavailableReasons().length === 0 ? getKernelEngine() : undefined;
  const k = kernel ? await dispatchCost(kernel) : undefined;
  const rows = [['kernel', k === undefined ? '-' : k.toFixed(0), k === undefined ? '-' : '1.00×']];
  for (const execution of ['compiled', 'interpreter'] as const) {
    const t = await dispatchCost(new Emulator({ execution, possibleCpus: 2 }));
    rows.push([`emulator, ${execution}`, t.toFixed(0), k === undefined ? '-' : `${(t / k).toFixed(2)}×`]);
  }
  console.log(`\nrunAsync, ${CALLERS} callers × ${RUNS} runs (${WINDOW} in flight each), ns per run (best of ${ROUNDS}; bench/async-runs.ts):`);
  printTable(['engine', 'ns/run', 'vs kernel'], rows);
}

// Alone: node build/tools/bench/async-runs.js (make bench runs it from run.ts).
if (import.meta.url === `file://${process.argv[1]}`) await runAsyncBench();
