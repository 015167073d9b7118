import type { Engine } from './engine.js';
import { getEmulator } from './emulator/index.js';
import { describeValue } from './errors.js';
import { getKernelEngine, kernelUnavailableReasons } from './kernel/engine.js';

/** `engine:` on every constructor: a name, or an engine instance (e.g. `new Emulator({ possibleCpus: 4 })`). */
export type EngineOption = 'kernel' | 'emulator' | Engine;

/**
 * The engine for an operation. Without an explicit choice: BPFKIT_ENGINE, else the kernel where the
 * addon loads and bpf() is permitted, else the emulator. An explicit 'kernel' that cannot work throws
 * one error listing every reason; it never falls back silently. `operation` names the caller in a
 * TypeError for anything that is not an engine.
 */
export function resolveEngine(option?: EngineOption, operation = 'resolveEngine'): Engine {
  if (option === undefined) return byName(defaultEngineName());
  if (option === 'kernel' || option === 'emulator') return byName(option);
  if (option !== null && typeof option === 'object' && isEngine(option)) return option;
  throw new TypeError(`${operation}: engine must be 'kernel', 'emulator' or an Engine (such as new Emulator()), got ${describeValue(option)}`);
}

function byName(name: 'kernel' | 'emulator'): Engine {
  return name === 'kernel' ? getKernelEngine() : getEmulator();
}

/** The Engine seam's shape (src/engine.ts), checked without calling anything. */
function isEngine(e: object): e is Engine {
  const x = e as Partial<Record<keyof Engine, unknown>>;
  return (
    (x.kind === 'kernel' || x.kind === 'emulator') &&
    typeof x.possibleCpus === 'function' &&
    typeof x.createMap === 'function' &&
    typeof x.openPinned === 'function' &&
    typeof x.openMapById === 'function'
  );
}

function defaultEngineName(): 'kernel' | 'emulator' {
  const env = process.env.BPFKIT_ENGINE;
  if (env !== undefined && env !== '') {
    if (env !== 'kernel' && env !== 'emulator') throw new TypeError(`BPFKIT_ENGINE must be 'kernel' or 'emulator', got '${env}'`);
    return env;
  }
  return kernelUnavailableReasons().length === 0 ? 'kernel' : 'emulator';
}
