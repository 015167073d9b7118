// The verifier's lock rules on every engine: each bpf/reject_*.bpf.c fixture is refused at load with the
// kernel's own message (the reason line of BpfVerifierError's log and message), the failing program's
// name, and the kernel's errno. On the emulator the refusal comes from its static checker
// (src/emulator/checker/lock-rules.ts); the kernel run is the oracle that fixes each expectation.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { BpfVerifierError, Emulator, features, openObject } from '../../src/index.js';
import { refusalAt } from '../../src/emulator/kernel-version.js';
import { lastMeaningfulLine } from '../../src/errors/verifier-log.js';
import { packageRoot } from '../../src/package-root.js';
import { describeEngines } from '../helpers/engines.js';
import { fixture, resLockSkipReason } from '../kernel/bpf-fixtures.js';

interface RejectCase {
  program: string;
  /** Linux 6.18's words: exact (two lines for a two-line message), or a pattern where they hold ids. */
  reason: string | RegExp;
  errno: number;
  /** Uses the res-lock or local-irq kfuncs (Linux 6.15+ on the kernel engine). */
  res?: boolean;
}

const EINVAL = -22;
const EACCES = -13;

/** Every reject fixture, with what Linux 6.18 says about it (kernel/bpf/verifier.c); older kernels: expected(). */
const rejects: Record<string, RejectCase> = {
  reject_exit_locked: { program: 'exit_locked', reason: 'BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region', errno: EINVAL },
  reject_helper_in_lock: { program: 'helper_in_lock', reason: 'function calls are not allowed while holding a lock', errno: EINVAL },
  reject_lock_access: { program: 'lock_access', reason: 'bpf_spin_lock cannot be accessed directly by load/store', errno: EACCES },
  reject_res_unchecked: { program: 'res_unchecked', reason: 'bpf_res_spin_unlock without taking a lock', errno: EINVAL, res: true },
  reject_res_out_of_order: { program: 'res_out_of_order', reason: 'bpf_res_spin_unlock cannot be out of order', errno: EINVAL, res: true },
  reject_res_global_out_of_order: {
    program: 'res_global_out_of_order', reason: 'bpf_res_spin_unlock cannot be out of order', errno: EINVAL, res: true,
  },
  reject_res_aa: { program: 'res_aa', reason: 'Acquiring the same lock again, AA deadlock detected', errno: EINVAL, res: true },
  reject_unlock_different: { program: 'unlock_different', reason: 'bpf_spin_unlock of different lock', errno: EINVAL },
  reject_unlock_unlocked: { program: 'unlock_unlocked', reason: 'bpf_spin_unlock without taking a lock', errno: EINVAL },
  // Two lines in the kernel's log; BpfVerifierError.message carries both, joined.
  reject_global_call_locked: {
    program: 'global_call_locked', reason: 'global function calls are not allowed while holding a lock,\nuse static function instead', errno: EINVAL,
  },
  reject_lock_offset: { program: 'lock_offset', reason: "off 8 doesn't point to 'struct bpf_spin_lock' that is at 0", errno: EINVAL },
  reject_lock_var_offset: {
    program: 'lock_var_offset', reason: "R1 doesn't have constant offset. bpf_spin_lock has to be at the constant offset", errno: EINVAL,
  },
  reject_lock_no_field: { program: 'lock_no_field', reason: "map 'counter' has no valid bpf_spin_lock", errno: EINVAL },
  reject_res_irq_mismatch: {
    program: 'res_irq_mismatch', reason: 'irq flag acquired by native kfuncs cannot be restored with lock kfuncs', errno: EINVAL, res: true,
  },
  reject_irq_out_of_order: {
    program: 'irq_out_of_order', reason: /^cannot restore irq state out of order, expected id=\d+ acquired at insn_idx=\d+$/, errno: EACCES, res: true,
  },
  reject_exit_irq_saved: {
    program: 'exit_irq_saved', reason: 'BPF_EXIT instruction in main prog cannot be used inside bpf_local_irq_save-ed region', errno: EINVAL, res: true,
  },
  reject_global_exit_locked: {
    program: 'global_exit_locked', reason: 'BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region', errno: EINVAL, res: true,
  },
  reject_ld_abs_locked: { program: 'ld_abs_locked', reason: 'BPF_LD_[ABS|IND] cannot be used inside bpf_spin_lock-ed region', errno: EINVAL },
};

/**
 * What `version` says: 6.18's refusal reworded where the kernel changed it (kernel-version.ts refusalAt,
 * measured on 6.1 and 6.12), as a pattern for the reason (a two-line refusal joined as lastMeaningfulLine
 * joins it).
 */
function expected(version: string, c: RejectCase): { reason: RegExp; errno: number } {
  if (c.reason instanceof RegExp) return { reason: c.reason, errno: c.errno };
  const r = refusalAt(version, { reason: c.reason, errno: c.errno });
  const joined = r.reason.split('\n').join(' ');
  return { reason: new RegExp(`^${joined.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`), errno: r.errno };
}

describe('lock-rule fixtures', () => {
  test('every bpf/reject_*.bpf.c has an expectation here', () => {
    const onDisk = readdirSync(join(packageRoot(), 'bpf')).filter((f) => /^reject_.*\.bpf\.c$/.test(f)).map((f) => f.replace(/\.bpf\.c$/, ''));
    expect(onDisk.sort()).toEqual(Object.keys(rejects).sort());
  });
});

describeEngines('the verifier refuses each lock-rule violation with the kernel\'s message', (engine, name) => {
  const resSkip = name === 'kernel' ? resLockSkipReason() : undefined;
  for (const [file, c] of Object.entries(rejects)) {
    const skip = c.res === true && resSkip !== undefined;
    if (skip) console.log(`skipped: ${file} [${name}]: ${resSkip}`);
    test.skipIf(skip)(file, () => {
      const e = engine();
      const want = expected(e instanceof Emulator ? e.kernelVersion : features.emulatorKernelVersion(), c);
      let error: unknown;
      try {
        openObject(fixture(file), { engine: e }).close();
      } catch (e) {
        error = e;
      }
      expect(error, `${file} loaded on the ${name} engine`).toBeInstanceOf(BpfVerifierError);
      const v = error as BpfVerifierError;
      expect(v.program).toBe(c.program);
      expect(v.errno).toBe(want.errno);
      expect(lastMeaningfulLine(v.log)).toMatch(want.reason);
      expect(v.message).toContain(`program '${c.program}'`);
      expect(v.message).toMatch(new RegExp(want.reason.source.replace(/^\^|\$$/g, '')));
    });
  }
});
