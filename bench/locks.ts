// ns per increment of a shared counter from two CPUs at once: bpf_spin_lock vs bpf_res_spin_lock, HASH
// vs ARRAY, against the unlocked control (which is faster and wrong: it loses updates), on the kernel and
// on the emulator's CPUs (its worker threads, cpus/cpus.ts) in the same run.
import { Emulator } from '../src/index.js';
import { features } from '../src/kernel/features.js';
import { getKernelEngine } from '../src/kernel/engine.js';
import { lockVariants, runLockVariant, type LockVariant } from '../examples/lock-variants.js';
import { printTable } from '../examples/table.js';
import type { Engine } from '../src/seam/engine.js';

const RUNS = 1_000_000;

/** Best of 3 (the least disturbed by the rest of the machine), and the updates the last round lost. */
async function best(v: LockVariant, engine: Engine): Promise<{ ns: number; lost: bigint }> {
  let ns = Infinity;
  let lost = 0n;
  for (let i = 0; i < 3; i++) {
    const r = await runLockVariant(v, 2, RUNS, 1, engine);
    ns = Math.min(ns, r.nsPerIteration);
    lost = r.expected - r.got - r.failures;
  }
  return { ns, lost };
}

export async function runLockBench(): Promise<void> {
  const res = features.kfunc('bpf_res_spin_lock');
  const kernel = getKernelEngine();
  const emulator = new Emulator({ possibleCpus: 2, kernelVersion: features.emulatorKernelVersion() });
  const rows: string[][] = [];
  for (const v of lockVariants.filter((x) => x.lock !== 'res' || res)) {
    const k = await best(v, kernel);
    const e = await best(v, emulator);
    rows.push([v.name, k.ns.toFixed(1), String(k.lost), e.ns.toFixed(1), String(e.lost), `${(e.ns / k.ns).toFixed(1)}×`]);
  }
  console.log(`\nLocked increments, 2 CPUs × ${RUNS} runs each (bench/locks.ts):`);
  printTable(['variant', 'kernel ns/increment', 'lost', 'emulator ns/increment', 'lost', 'emulator / kernel'], rows);
}

// Alone: node build/tools/bench/locks.js (make bench runs it from run.ts).
if (import.meta.url === `file://${process.argv[1]}`) await runLockBench();
