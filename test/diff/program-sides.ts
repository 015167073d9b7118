// The sides a program differential compares: the kernel, and the emulator in each execution (the interpreter
// and the compiler), at the kernel's version; and a fixture program's load verdict on one of them.
import { BpfError, BpfVerifierError, Emulator, features, openObject, type Engine } from '../../src/index.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { lastMeaningfulLine } from '../../src/errors/verifier-log.js';
import type { Execution } from '../../src/emulator/programs/compiler.js';
import { fixture } from '../kernel/bpf-fixtures.js';

export type Side = 'kernel' | Execution;

export const engineFor = (side: Side): Engine =>
  side === 'kernel' ? getKernelEngine() : new Emulator({ execution: side, kernelVersion: features.emulatorKernelVersion() });

/** The outcome of loading fixture `object`'s `program` alone: loaded, or the refusal's errno and reason. */
export function loadOutcome(side: Side, object: string, program: string): string {
  try {
    openObject(fixture(object), { engine: engineFor(side), programs: [program] }).close();
    return 'loaded';
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    return `${e.code}: ${e instanceof BpfVerifierError ? lastMeaningfulLine(e.log) : e.message}`;
  }
}
