// Skips a test (with the reason printed) unless the running kernel has what it needs.
import { describe, test } from 'vitest';
import { features } from '../../src/features.js';
import type { MapTypeName } from '../../src/constants.js';
import type { ProgramType } from '../../src/object.js';
import { kernelSkipReason } from './kernel.js';

export interface KernelRequirement {
  kfunc?: string;
  mapType?: MapTypeName;
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
  const reason = requireKernel(req);
  if (reason) console.log(`skipped: ${name}: ${reason}`);
  describe.skipIf(reason !== undefined)(name, fn);
}

export function testRequiring(name: string, req: KernelRequirement, fn: () => void | Promise<void>): void {
  const reason = requireKernel(req);
  if (reason) console.log(`skipped: ${name}: ${reason}`);
  test.skipIf(reason !== undefined)(name, fn);
}
