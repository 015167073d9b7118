// ns per increment of a shared counter from two CPUs at once: bpf_spin_lock vs bpf_res_spin_lock, HASH
// vs ARRAY, against the unlocked control (which is faster and wrong: it loses updates).
import { features } from '../src/kernel/features.js';
import { lockVariants, runLockVariant } from '../examples/lock-variants.js';
import { printTable } from '../examples/table.js';

export async function runLockBench(): Promise<void> {
  const res = features.kfunc('bpf_res_spin_lock');
  const runs = lockVariants.filter((v) => v.lock !== 'res' || res);
  const rows: string[][] = [];
  let control = 0;
  const results = [];
  for (const v of runs) {
    // Best of 3: the least disturbed by the rest of the machine.
    let best = Infinity;
    let lost = 0n;
    for (let i = 0; i < 3; i++) {
      const r = await runLockVariant(v, 2, 1_000_000, 1);
      if (r.nsPerIteration < best) best = r.nsPerIteration;
      lost = r.expected - r.got - r.failures;
    }
    if (v.lock === 'none') control = best;
    results.push({ v, best, lost });
  }
  for (const { v, best, lost } of results) {
    rows.push([v.name, best.toFixed(1), control ? `${(best / control).toFixed(2)}×` : '-', String(lost)]);
  }
  console.log('\nLocked increments, 2 CPUs × 10^6 runs each (bench/locks.ts):');
  printTable(['variant', 'ns/increment', 'vs unlocked', 'lost updates'], rows);
}
