// Reading verifier logs of every kernel the same way (src/errors/verifier-log.ts): the reason, the C line and
// the statistics, also from kernel 7.3's error report. The 7.3 log below is what Debian's 7.3.4 kernel
// wrote for bpf/reject_exit_locked.bpf.c under `bpfkit vm --kernel 7.3` (map address and the report's
// source excerpt trimmed).
import { expect, test } from 'vitest';
import { BpfVerifierError } from '../../src/index.js';
import { lastMeaningfulLine, verifierSourceLine, verifierStats } from '../../src/errors/verifier-log.js';

const classic = [
  '; } @ reject_exit_locked.bpf.c:14',
  '16: (bf) r0 = r1                      ; R0=0 R1=0 refs=1',
  '17: (95) exit',
  'BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region',
];
const stats = 'processed 17 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0';
const report73 = [
  '',
  'Verification failed: Execution Context Safety: Operation is not allowed in this context',
  '',
  'Reason:',
  '  The operation BPF_EXIT instruction in main prog cannot be used while this path is still inside an',
  '  active lock region (depth 1). Leave the region before this operation.',
  '',
  'At:',
  '  exit_locked @ reject_exit_locked.bpf.c:14:1',
  '  Source context:',
  '  >>> 14 | }',
  '         | ^-- error: BPF_EXIT instruction in main prog is not allowed before leaving lock region',
  '',
  'Causal path:',
  '  exit_locked @ reject_exit_locked.bpf.c:11:2',
  '  Source context:',
  '  >>> 11 |         bpf_spin_lock(&c->lock);',
  '',
  'Suggestion:',
  '  Release the BPF spin lock before this operation on every path.',
  '',
];

test.each([
  ['6.1 … 7.2', [...classic, stats, ''].join('\n')],
  ['7.3', [...classic, ...report73, stats, ''].join('\n')],
])('the reason and the C line of a %s log', (_kernel, log) => {
  expect(lastMeaningfulLine(log)).toBe('BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region');
  expect(verifierSourceLine(log)).toEqual({ file: 'reject_exit_locked.bpf.c', line: 14, text: '}' });
  expect(verifierStats(log)).toEqual({ processedInsns: 17, maxStatesPerInsn: 0, totalStates: 1, peakStates: 1 });
  expect(new BpfVerifierError('exit_locked', -22, log).message).toBe(
    "BPF_PROG_LOAD: the verifier refused program 'exit_locked': BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region — reject_exit_locked.bpf.c:14: }",
  );
});

test('a log without line info or statistics', () => {
  const log = '0: (95) exit\nR0 !read_ok\n';
  expect(verifierSourceLine(log)).toBeUndefined();
  expect(verifierStats(log)).toBeUndefined();
  expect(new BpfVerifierError('p', -13, log).message).toBe("BPF_PROG_LOAD: the verifier refused program 'p': R0 !read_ok");
});
