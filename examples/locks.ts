// The lock part of `make demo`: every lock fixture from two CPUs at once, the unlocked control losing
// updates, then bpf_res_spin_lock's AA and ABBA deadlock detection.
import { readFileSync } from 'node:fs';
import { bpfObjectPath } from '../src/package-root.js';
import { openObject, u32, u64 } from '../src/index.js';
import { lockVariants, runLockVariant } from './lock-variants.js';
import { printTable } from './table.js';

function hasResLock(): boolean {
  try {
    return /\sbpf_res_spin_lock$/m.test(readFileSync('/proc/kallsyms', 'utf8'));
  } catch {
    return false;
  }
}

export async function runLockDemo(print: (line: string) => void = console.log): Promise<void> {
  const runners = 2;
  const repeat = 250_000;
  const calls = 2;
  const res = hasResLock();
  const rows: string[][] = [];
  for (const v of lockVariants) {
    if (v.lock === 'res' && !res) {
      rows.push([v.name, '-', '-', '-', '-', 'skipped: kernel lacks bpf_res_spin_lock (6.15+)']);
      continue;
    }
    const r = await runLockVariant(v, runners, repeat, calls);
    rows.push([v.name, `${r.runners} × ${r.iterations}`, String(r.expected), String(r.got), String(r.expected - r.got - r.failures), r.nsPerIteration.toFixed(1)]);
  }
  print(`\nCounters incremented from ${runners} CPUs at once (async BPF_PROG_TEST_RUN, runs overlap):`);
  printTable(['variant', 'runners × iterations', 'expected', 'got', 'lost', 'ns/iteration'], rows);

  if (!res) {
    print('\nAA/ABBA detection: skipped (bpf_res_spin_lock needs Linux 6.15+).');
    return;
  }
  using obj = openObject(bpfObjectPath('res_deadlock'));
  const aa = Array.from({ length: 5 }, () => obj.program('aa_probe').run({ data: new Uint8Array(64) }).retval);
  const data = new Uint8Array(64);
  await Promise.all([obj.program('abba_ab').runAsync({ data, repeat: 200_000 }), obj.program('abba_ba').runAsync({ data, repeat: 200_000 })]);
  const stats = obj.map('stats', { key: u32, value: u64 });
  const [deadlock, timeout, , ok] = [0, 1, 2, 3].map((k) => stats.get(k) ?? 0n);
  print(`\nAA probe: 5 runs returned [${aa.join(', ')}] (-35 = -EDEADLK: the same lock taken twice is detected).`);
  print(`ABBA probe: 2 × 200000 runs taking two locks in opposite orders: ${ok} took both, ${(deadlock ?? 0n) - 5n} EDEADLK, ${timeout} ETIMEDOUT; nothing hung.`);
}
