import type { Engine } from './engine.js';
import { getEmulator } from './emulator/index.js';
import { getKernelEngine, kernelUnavailableReasons } from './kernel/engine.js';

/** `engine:` on every constructor: a name, or an engine instance (e.g. `new Emulator({ possibleCpus: 4 })`). */
export type EngineOption = 'kernel' | 'emulator' | Engine;

/**
 * The engine for an operation. Without an explicit choice: BPFKIT_ENGINE, else the kernel where the
 * addon loads and bpf() is permitted, else the emulator. An explicit 'kernel' that cannot work throws
 * one error listing every reason; it never falls back silently.
 */
export function resolveEngine(option?: EngineOption): Engine {
  if (option !== undefined && typeof option === 'object') return option;
  const choice = option ?? defaultEngineName();
  if (choice === 'kernel') return getKernelEngine();
  if (choice === 'emulator') return getEmulator();
  throw new TypeError(`engine must be 'kernel', 'emulator' or an Engine, got ${String(choice)}`);
}

function defaultEngineName(): string {
  const env = process.env.BPFKIT_ENGINE;
  if (env !== undefined && env !== '') {
    if (env !== 'kernel' && env !== 'emulator') throw new TypeError(`BPFKIT_ENGINE must be 'kernel' or 'emulator', got '${env}'`);
    return env;
  }
  return kernelUnavailableReasons().length === 0 ? 'kernel' : 'emulator';
}
