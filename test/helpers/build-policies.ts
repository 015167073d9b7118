// Helpers a kernel's build may refuse though its source offers them to the program type: this project's
// hardened 6.18 test host refuses bpf_xdp_adjust_meta in XDP programs (net/core/filter.c xdp_func_proto
// offers it). Tests comparing the emulator's helper tables with the kernel leave such a pair out, saying so,
// only where the running kernel does refuse it (features.helper); everywhere else they compare.
import { features } from '../../src/index.js';
import { funcIdName, helperIdByName } from '../../src/uapi/helpers.js';
import { ProgramType } from '../../src/uapi/program-type.js';

const candidates: readonly { type: number; id: number }[] = [{ type: ProgramType.Xdp, id: helperIdByName('xdp_adjust_meta') }];

let refused: { type: number; id: number }[] | undefined;

/** The (program type, helper) pairs this kernel's build refuses though its source offers them; printed once. */
export function buildRefusals(): readonly { type: number; id: number }[] {
  if (refused === undefined) {
    refused = candidates.filter((c) => !features.helper(c.type, c.id));
    for (const r of refused) console.log(`skipped: ${funcIdName(r.id)} in program type ${r.type}: this kernel's build refuses it; its source offers it`);
  }
  return refused;
}

/** Whether this kernel's build refuses helper `id` to programs of `type` (any attach type) against its source. */
export const refusedByBuild = (type: number, id: number): boolean => buildRefusals().some((r) => r.type === type && r.id === id);
