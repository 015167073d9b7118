import { resolveEngine, type EngineOption } from './engine-select.js';

/** How many slots a per-CPU value has: the kernel's possible CPUs (or the emulator's setting). */
export function possibleCpus(engine?: EngineOption): number {
  return resolveEngine(engine).possibleCpus();
}
