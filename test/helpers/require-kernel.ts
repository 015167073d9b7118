// Skips a test (with the reason printed) unless the running kernel has what it needs.
import { features } from '../../src/kernel/features.js';
import type { KeylessMapTypeName, MapTypeName } from '../../src/uapi/bpf.js';
import type { ProgramType } from '../../src/uapi/program-type.js';
import { kernelSkipReason } from './kernel.js';
import { describeUnless, testUnless } from './skip.js';

export interface KernelRequirement {
  kfunc?: string;
  mapType?: MapTypeName | KeylessMapTypeName;
  programType?: keyof typeof ProgramType;
}

/** Why the requirement is not met here, or undefined when it is. */
export function requireKernel(req: KernelRequirement): string | undefined {
  const base = kernelSkipReason();
  if (base) return base;
  if (req.kfunc && !features.kfunc(req.kfunc)) return `kfunc ${req.kfunc} is missing from this kernel (${features.kernelRelease()})`;
  if (req.mapType && !features.mapType(req.mapType)) return `map type ${req.mapType} is not supported by this kernel`;
  if (req.programType && !features.programType(req.programType)) return `program type ${req.programType} is not supported by this kernel`;
  return undefined;
}

export function describeRequiring(name: string, req: KernelRequirement, fn: () => void): void {
  describeUnless(requireKernel(req), name, fn);
}

export function testRequiring(name: string, req: KernelRequirement, fn: () => void | Promise<void>): void {
  testUnless(requireKernel(req), name, fn);
}
