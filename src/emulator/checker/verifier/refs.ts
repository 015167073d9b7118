// Reference tracking (kernel/bpf/verifier.c acquire_reference, release_reference, check_reference_leak,
// check_resource_leak): a helper that returns a counted object (a socket from bpf_sk_lookup_*) gives the
// path a reference, which the program must give back (bpf_sk_release) or prove NULL before it exits,
// tail-calls or runs a legacy packet load. Casts of the object (bpf_tcp_sock, bpf_sk_fullsock) share it.
import { EINVAL } from '../../../uapi/errno.js';
import { resourceLeakWords } from '../../kernel-version.js';
import { RegType } from '../reg-state.js';
import { VerifierRefusal } from './errors.js';
import { unknown } from './regs.js';
import { forEachReg, type VerifierState } from './state.js';
import type { Verifier } from './verifier.js';

/** acquire_reference: a new id, held by the path from the call at `insn`. */
export function acquireReference(v: Verifier, insn: number): number {
  const id = v.newId();
  v.cur.refs = [...v.cur.refs, { id, insn }];
  return id;
}

/** release_reference_nomark: the path no longer holds `id`; false when it did not hold it. */
export function dropReference(s: VerifierState, id: number): boolean {
  const kept = s.refs.filter((r) => r.id !== id);
  if (kept.length === s.refs.length) return false;
  s.refs = kept;
  return true;
}

/**
 * release_reference: the reference is gone, and so is every register and spilled register that carried
 * it (mark_reg_invalid: with allow_ptr_leaks, as root has, an unknown scalar).
 */
export function releaseReference(v: Verifier, id: number): boolean {
  if (!dropReference(v.cur, id)) return false;
  forEachReg(v.cur, (r) => (r.type !== RegType.Scalar && r.refObjId === id ? unknown() : r));
  return true;
}

/**
 * check_resource_leak's reference part (check_reference_leak): at an exit, a tail call or a legacy packet
 * load in the main program's frame, every reference must be released (a subprogram's frame is not
 * checked: its caller still holds them). `what` is the kernel's prefix for the message.
 */
export function checkReferenceLeak(v: Verifier, what: string): void {
  if (v.cur.frames.length > 1 || v.cur.refs.length === 0) return;
  const unreleased = v.cur.refs.map((r) => `Unreleased reference id=${r.id} alloc_insn=${r.insn}`);
  if (!resourceLeakWords(v.version)) {
    // Before check_resource_leak (6.14): an exit ends with the last "Unreleased reference" line, and a
    // legacy packet load says it "cannot be mixed with socket references".
    if (what === EXIT_IN_MAIN) throw new VerifierRefusal(unreleased.at(-1)!, EINVAL, unreleased.slice(0, -1));
    if (what === LD_ABS) throw new VerifierRefusal(`${LD_ABS} cannot be mixed with socket references`, EINVAL, unreleased);
  }
  throw new VerifierRefusal(`${what} would lead to reference leak`, EINVAL, unreleased);
}

/** The prefixes check_resource_leak is called with. */
export const EXIT_IN_MAIN = 'BPF_EXIT instruction in main prog';
export const TAIL_CALL = 'tail_call';
export const LD_ABS = 'BPF_LD_[ABS|IND]';
