// One conformance suite, two engines: every test in test/conformance runs against each engine that
// can run here. An engine that cannot is skipped with its reason printed, never passed.
import { describe } from 'vitest';
import type { Engine } from '../../src/seam/engine.js';
import { Emulator } from '../../src/emulator/index.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { kernelSkipReason } from './kernel.js';
import { describeUnless } from './skip.js';

export interface EngineCase {
  name: 'kernel' | 'emulator';
  /** A fresh engine for a test file (the kernel engine is one per process). */
  engine: () => Engine;
  skip: string | undefined;
}

function cases(): EngineCase[] {
  const only = process.env.BPFKIT_ENGINE;
  return [
    { name: 'kernel', engine: () => getKernelEngine(), skip: kernelSkipReason() },
    {
      name: 'emulator',
      engine: () => new Emulator(),
      skip: only === 'kernel' ? 'BPFKIT_ENGINE=kernel' : undefined,
    },
  ];
}

/** describe.each over the engines, printing why an engine is skipped. */
export function describeEngines(title: string, body: (engine: () => Engine, name: EngineCase['name']) => void): void {
  describe.each(cases())(`${title} [$name]`, (c) => {
    describeUnless(c.skip, '', () => body(c.engine, c.name), `${title} [${c.name}]`);
  });
}
