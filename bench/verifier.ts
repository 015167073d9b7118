// Verification per engine: opening an object whose program the verifier must walk at length, on the
// emulator (its checker: structure, locks, the abstract interpreter) against the kernel's BPF_PROG_LOAD
// of the same program in this run. Two fixtures: bpf/parser.bpf.c (a ~2,000-instruction packet parser
// whose unrolled loops the verifier prunes) and bpf/bounded_loop.bpf.c (a loop the kernel walks for
// ~850,000 instructions). The time is openObject's on both engines, so both include creating the
// object's maps; the verifier's walk is nearly all of it.
import { Emulator, openObject, type Engine } from '../src/index.js';
import { getKernelEngine, kernelUnavailableReasons } from '../src/kernel/engine.js';
import { fixture } from '../examples/fixtures.js';
import { printTable } from '../examples/table.js';

interface Case {
  object: string;
  program: string;
  /** Opens per engine; the best is reported. */
  rounds: number;
}

const cases: Case[] = [
  { object: 'parser', program: 'xdp_parser', rounds: Number(process.env.BENCH_ROUNDS ?? 5) },
  { object: 'bounded_loop', program: 'bounded_loop', rounds: 2 },
];

/** The fastest openObject of the case's program on `engine`, in ms. */
function bestOpen(engine: () => Engine, c: Case): number {
  let best = Infinity;
  for (let r = 0; r < c.rounds; r++) {
    const t0 = process.hrtime.bigint();
    const obj = openObject(fixture(c.object), { engine: engine(), programs: [c.program] });
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
    obj.close();
  }
  return best;
}

export function runVerifierBench(): void {
  const kernel = kernelUnavailableReasons().length === 0 ? getKernelEngine() : undefined;
  if (!kernel) console.log(`\nVerifier bench: the kernel engine is unavailable (${kernelUnavailableReasons().join('; ')}); emulator only.`);
  const rows = cases.map((c) => {
    const k = kernel ? bestOpen(() => kernel, c) : undefined;
    const e = bestOpen(() => new Emulator(), c);
    return [c.program, k === undefined ? '-' : k.toFixed(1), e.toFixed(1), k === undefined ? '-' : `${(e / k).toFixed(1)}×`];
  });
  console.log('\nVerification, ms per openObject (best of the rounds; bench/verifier.ts):');
  printTable(['program', 'kernel', 'emulator', 'vs kernel'], rows);
}

// Alone: node build/tools/bench/verifier.js (make bench runs it from run.ts).
if (import.meta.url === `file://${process.argv[1]}`) runVerifierBench();
