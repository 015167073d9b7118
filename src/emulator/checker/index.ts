// The emulator's load-time checks, run on every program before it is linked: what the kernel's verifier
// (kernel/bpf/verifier.c) would refuse, with the verifier's own messages, so a test written against the
// kernel sees the same BpfVerifierError on the emulator. Each rule family lives in its own file here.
import type { CheckFailure, CheckInput } from './types.js';
import { checkEmulated, checkStructure } from './structure.js';
import { checkLocks } from './lock-rules.js';
import { refusalAt } from '../kernel-version.js';
import { verifyProgram } from './verifier/verifier.js';
import { checkWithoutFuncInfo } from './btf-info.js';

type Checker = (input: CheckInput) => CheckFailure | undefined;

/** Rule families, in the order the kernel meets them (structure before data flow), then the emulator's own limits. */
const checkers: Checker[] = [checkWithoutFuncInfo, checkStructure, checkLocks, verifyProgram, checkEmulated];

export function checkProgram(input: CheckInput): CheckFailure | undefined {
  for (const check of checkers) {
    const failure = check(input);
    if (failure) return input.kernelVersion === undefined ? failure : failureAt(input.kernelVersion, failure);
  }
  return undefined;
}

/** The checkers speak 6.18; an older kernel words some refusals differently (kernel-version.ts refusalAt). */
function failureAt(version: string, failure: CheckFailure): CheckFailure {
  const lines = failure.log.replace(/\n$/, '').split('\n');
  // The reason is the last line, or the last two for the verifier's two-line messages.
  for (const n of [2, 1]) {
    if (lines.length < n) continue;
    const reason = lines.slice(-n).join('\n');
    const r = refusalAt(version, { reason, errno: failure.errno });
    if (r.reason !== reason || r.errno !== failure.errno) return { errno: r.errno, log: `${[...lines.slice(0, -n), r.reason].join('\n')}\n` };
  }
  return failure;
}
