// What coverage costs (issue 25: at most 2× with it on, nothing measurable off): the program bench's
// fixtures (bench/programs.ts) on both executions, with `new Emulator({ coverage: true })` and without,
// ns per run (best of ROUNDS) and the ratio on/off. Printed, never asserted: timings belong to the host.
import { Emulator } from '../src/index.js';
import { cases, measure } from './programs.js';
import { printTable } from '../examples/table.js';

export function runCoverageBench(): void {
  const rows: string[][] = [];
  for (const c of cases) {
    for (const execution of ['compiled', 'interpreter'] as const) {
      const repeat = execution === 'compiled' ? c.repeat : Math.max(100, c.repeat >> 5);
      const off = measure(new Emulator({ execution, coverage: false }), c, repeat);
      const on = measure(new Emulator({ execution, coverage: true }), c, repeat);
      if (on.retval !== off.retval) throw new Error(`${c.program} (${execution}): coverage changed the retval: ${off.retval} → ${on.retval}`);
      rows.push([c.program, execution, off.run.toFixed(0), on.run.toFixed(0), `${(on.run / off.run).toFixed(2)}×`]);
    }
  }
  console.log('\nCoverage, ns per run on the emulator (off vs new Emulator({ coverage: true }); target ≤ 2×; bench/coverage.ts):');
  printTable(['program', 'execution', 'coverage off', 'coverage on', 'on / off'], rows);
}

// Alone: node build/tools/bench/coverage.js (make bench runs it from run.ts).
if (import.meta.url === `file://${process.argv[1]}`) runCoverageBench();
