// Kernel tests run only where the kernel engine works; elsewhere they are skipped with the reason
// printed, never passed.
import { kernelUnavailableReasons } from '../../src/kernel/engine.js';
import { describeUnless } from './skip.js';

/** Why kernel tests cannot run here, or undefined when they can. */
export function kernelSkipReason(): string | undefined {
  if (process.env.BPFKIT_ENGINE === 'emulator') return 'BPFKIT_ENGINE=emulator';
  const reasons = kernelUnavailableReasons();
  return reasons.length > 0 ? reasons.join('; ') : undefined;
}

/** describe() for tests that need the real kernel; prints `skipped: <name>: <reason>` when skipped. */
export function describeKernel(name: string, fn: () => void): void {
  describeUnless(kernelSkipReason(), name, fn);
}
