// Bytes per entry of a preallocated u32 → u64 HASH with 10^6 entries: the emulator's heap + ArrayBuffer
// growth against the kernel's own accounting of the same map (memlock in /proc/self/fdinfo).
import { readFileSync } from 'node:fs';
import { Emulator, createMap, u32, u64 } from '../src/index.js';
import { getKernelEngine, kernelUnavailableReasons } from '../src/kernel/engine.js';

const N = Number(process.env.BENCH_MEMORY_ENTRIES ?? 1_000_000);

function jsBytes(): number {
  globalThis.gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

export function runMemoryBench(): void {
  console.log(`\nMemory: u32 → u64 HASH, ${N} entries, bytes per entry`);
  if (!globalThis.gc) console.log('(run node with --expose-gc for a steadier emulator figure)');
  const before = jsBytes();
  const emulated = createMap({ type: 'hash', key: u32, value: u64, maxEntries: N, engine: new Emulator() });
  for (let k = 0; k < N; k++) emulated.set(k, BigInt(k));
  const emulatorPerEntry = (jsBytes() - before) / N;
  emulated.close();
  console.log(`emulator: ${emulatorPerEntry.toFixed(1)} B/entry`);
  if (kernelUnavailableReasons().length > 0) return;
  const kernel = createMap({ type: 'hash', key: u32, value: u64, maxEntries: N, engine: getKernelEngine() });
  try {
    for (let k = 0; k < N; k++) kernel.set(k, BigInt(k));
    const memlock = /memlock:\s+(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${kernel.fd}`, 'utf8'));
    const kernelPerEntry = memlock ? Number(memlock[1]) / N : NaN;
    console.log(`kernel (fdinfo memlock): ${kernelPerEntry.toFixed(1)} B/entry; emulator / kernel = ${(emulatorPerEntry / kernelPerEntry).toFixed(2)}× (target ≤ 2×)`);
  } finally {
    kernel.close();
  }
}
