// The kernel's verifier messages for each lock-rule violation (the emulator's checker gives the same:
// test/conformance/lock-rules.test.ts). Objects on every engine: test/conformance/object-runs.test.ts.
import { expect, test } from 'vitest';
import { BpfVerifierError, features, isBpfError, openObject } from '../../src/index.js';
import { describeKernel } from '../helpers/kernel.js';
import { fixture, resLockSkipReason } from './bpf-fixtures.js';

const rejects: [string, RegExp][] = [
  ['reject_helper_in_lock', /function calls are not allowed while holding a lock/],
  // kernel/bpf/verifier.c: do_check said "bpf_spin_unlock is missing" at BPF_EXIT until check_resource_leak (6.14).
  ['reject_exit_locked', features.kernelAtLeast('6.14') ? /cannot be used inside bpf_spin_lock-ed region/ : /bpf_spin_unlock is missing/],
  ['reject_lock_access', /bpf_spin_lock cannot be accessed directly by load\/store/],
  ['reject_res_unchecked', /bpf_res_spin_unlock without taking a lock/],
  ['reject_res_out_of_order', /bpf_res_spin_unlock cannot be out of order/],
];

describeKernel('the verifier rejects each lock-rule violation with its own message', () => {
  const resSkip = resLockSkipReason();
  for (const [name, message] of rejects) {
    test.skipIf(name.includes('_res_') && resSkip !== undefined)(name, () => {
      try {
        openObject(fixture(name));
        expect.unreachable(`${name} loaded`);
      } catch (e) {
        expect(e).toBeInstanceOf(BpfVerifierError);
        const v = e as BpfVerifierError;
        expect(v.log).toMatch(message);
        expect(v.message).toMatch(message);
        expect(v.message).toContain(`program '${v.program}'`);
        expect(isBpfError(e)).toBe(true);
      }
    });
  }
});
