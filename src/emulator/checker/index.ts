// The emulator's load-time checks, run on every program before it is linked: what the kernel's verifier
// (kernel/bpf/verifier.c) would refuse, with the verifier's own messages, so a test written against the
// kernel sees the same BpfVerifierError on the emulator. Each rule family lives in its own file here.
import type { CheckFailure, CheckInput, Verified } from './types.js';
import { checkEmulated, checkStructure } from './structure.js';
import { checkLocks } from './lock-rules.js';
import { refusalAt } from '../kernel-version.js';
import { verifyProgram } from './verifier/verifier.js';
import { checkWithoutFuncInfo } from './btf-info.js';

type Checker = (input: CheckInput) => CheckFailure | Verified | undefined;

/**
 * Rule families, in the order the kernel meets them (structure before data flow), then the emulator's own
 * limits. The abstract interpreter (verifyProgram) writes the log of a program that verifies.
 */
const checkers: Checker[] = [checkWithoutFuncInfo, checkStructure, checkLocks, verifyProgram, checkEmulated];

/** The checks passed (a refusal's errno is negative). */
export const isVerified = (verdict: CheckFailure | Verified): verdict is Verified => verdict.errno === 0;

/** The checks' verdict: a refusal (errno < 0), or the verifier's log of a program that verifies. */
export function checkProgram(input: CheckInput): CheckFailure | Verified {
  let verified: Verified = { errno: 0, log: '', maxCtxOffset: 0 };
  for (const check of checkers) {
    const result = check(input);
    if (result === undefined) continue;
    if (result.errno === 0) verified = result as Verified;
    else return input.kernelVersion === undefined || (result as CheckFailure).notEmulated ? result : failureAt(input.kernelVersion, result);
  }
  return verified;
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
