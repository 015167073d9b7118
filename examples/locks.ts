// The lock part of `make demo`: every lock fixture from two CPUs at once, the unlocked control losing
// updates, then bpf_res_spin_lock's AA and ABBA deadlock detection.
import { features, openObject, resolveEngine, u32, u64, type Engine } from 'bpfkit';
import { fixture } from './fixtures.js';
import { lockVariants, runLockVariant } from './lock-variants.js';
import { printTable } from './table.js';

/** The emulator runs the res-lock kfuncs; a kernel has them from 6.15 (its BTF lists every kfunc). */
function hasResLock(engine: Engine): boolean {
  return engine.kind !== 'kernel' || features.kfunc('bpf_res_spin_lock');
}

export async function runLockDemo(print: (line: string) => void = console.log, engine: Engine = resolveEngine()): Promise<void> {
  const runners = 2;
  const repeat = 250_000;
  const calls = 2;
  const res = hasResLock(engine);
  const rows: string[][] = [];
  for (const v of lockVariants) {
    if (v.lock === 'res' && !res) {
      rows.push([v.name, '-', '-', '-', '-', 'skipped: kernel lacks bpf_res_spin_lock (6.15+)']);
      continue;
    }
    const r = await runLockVariant(v, runners, repeat, calls, engine);
    rows.push([v.name, `${r.runners} × ${r.iterations}`, String(r.expected), String(r.got), String(r.expected - r.got - r.failures), r.nsPerIteration.toFixed(1)]);
  }
  print(`\nCounters incremented from ${runners} CPUs at once (async BPF_PROG_TEST_RUN, runs overlap):`);
  printTable(['variant', 'runners × iterations', 'expected', 'got', 'lost', 'ns/iteration'], rows);

  if (!res) {
    print('\nAA/ABBA detection: skipped (bpf_res_spin_lock needs Linux 6.15+).');
    return;
  }
  using obj = openObject(fixture('res_deadlock'), { engine });
  const aa = Array.from({ length: 5 }, () => obj.program('aa_probe').run({ data: new Uint8Array(64) }).retval);
  const data = new Uint8Array(64);
  // The emulator's runs are slower, so its CPUs collide in ABBA far more often, and each collision waits
  // the kernel's 1 ms before the deadlock check: fewer runs there keep the demo short.
  const abbaRuns = engine.kind === 'kernel' ? 200_000 : 20_000;
  await Promise.all([obj.program('abba_ab').runAsync({ data, repeat: abbaRuns }), obj.program('abba_ba').runAsync({ data, repeat: abbaRuns })]);
  const stats = obj.map('stats', { key: u32, value: u64, perCpu: false });
  const [deadlock, timeout, , ok] = [0, 1, 2, 3].map((k) => stats.get(k) ?? 0n);
  print(`\nAA probe: 5 runs returned [${aa.join(', ')}] (-35 = -EDEADLK: the same lock taken twice is detected).`);
  print(`ABBA probe: 2 × ${abbaRuns} runs taking two locks in opposite orders: ${ok} took both, ${(deadlock ?? 0n) - 5n} EDEADLK, ${timeout} ETIMEDOUT; nothing hung.`);
}
