// What a differential suite of map traces sets up: how many ops each configuration runs, and the two engines it
// compares (the kernel, and an emulator at the kernel's version with its possible CPUs), counting divergences.
import { afterAll, beforeAll } from 'vitest';
import type { Engine } from '../../src/seam/engine.js';
import { Emulator } from '../../src/emulator/index.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { features } from '../../src/index.js';

/** Ops per configuration: 10^4 in `make test`, more when `make difftest` sets BPFKIT_DIFF_OPS (a tenth over them all). */
export function opsPerConfig(configs: number): number {
  const total = Number(process.env.BPFKIT_DIFF_OPS ?? 0);
  return Math.max(10_000, Math.ceil(total / 10 / configs));
}

export interface DiffEngines {
  readonly kernel: Engine;
  readonly emulator: Engine;
  divergences: number;
}

/**
 * The engines, made before the suite's tests (inside describeKernel, so a machine without the kernel engine
 * never makes them); after them, `summary` and the divergence count are printed.
 */
export function diffEngines(summary: () => string): DiffEngines {
  const engines = { divergences: 0 } as { kernel: Engine; emulator: Engine; divergences: number };
  beforeAll(() => {
    engines.kernel = getKernelEngine();
    engines.emulator = new Emulator({ possibleCpus: engines.kernel.possibleCpus(), kernelVersion: features.emulatorKernelVersion() });
  });
  afterAll(() => {
    console.log(`${summary()}, ${engines.divergences} divergence(s)`);
  });
  return engines;
}
