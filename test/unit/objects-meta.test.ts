// Object-level facts users read: map type names for every kernel map type, and the verifier's reason in
// BpfVerifierError.message also when the verifier prints it over two lines.
import { expect, test } from 'vitest';
import { BpfVerifierError, KernelMapType as MapType } from '../../src/index.js';
import { mapTypeName } from '../../src/uapi/bpf.js';
import { lastMeaningfulLine } from '../../src/errors/verifier-log.js';
import { openObject } from '../../src/index.js';
import { bpfObjectPath } from '../../src/package-root.js';
import { kernelSkipReason } from '../helpers/kernel.js';

test('every kernel map type has its libbpf/bpftool name', () => {
  expect(mapTypeName(MapType.CgroupStorage)).toBe('cgroup_storage'); // 19: was unknown(19)
  expect(mapTypeName(MapType.PercpuCgroupStorage)).toBe('percpu_cgroup_storage');
  expect(mapTypeName(MapType.LruPercpuHash)).toBe('lru_percpu_hash');
  expect(mapTypeName(MapType.LpmTrie)).toBe('lpm_trie');
  expect(mapTypeName(MapType.Ringbuf)).toBe('ringbuf');
  expect(mapTypeName(MapType.UserRingbuf)).toBe('user_ringbuf');
  expect(mapTypeName(MapType.CgrpStorage)).toBe('cgrp_storage');
  expect(mapTypeName(MapType.Arena)).toBe('arena');
  // enum bpf_map_type is dense from 1 (include/uapi/linux/bpf.h): no id is missing or named twice.
  const ids = Object.values(MapType);
  expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
  expect(new Set(ids.map(mapTypeName)).size).toBe(ids.length);
  expect(mapTypeName(1000)).toBe('unknown(1000)');
});

// kernel/bpf/verifier.c check_func_call: a global function called with a lock held.
const twoLineLog = [
  '0: R1=ctx() R10=fp0',
  '; bpf_spin_lock(&v->lock); @ prog.bpf.c:30',
  '9: (85) call bpf_spin_lock#93        ; refs=1',
  '10: (85) call pc+5',
  'global function calls are not allowed while holding a lock,',
  'use static function instead',
  'processed 11 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0',
  '',
].join('\n');

test('a verifier reason printed over two lines is kept whole in the message', () => {
  expect(lastMeaningfulLine(twoLineLog)).toBe('global function calls are not allowed while holding a lock, use static function instead');
  const e = new BpfVerifierError('locked_global', -22, twoLineLog);
  expect(e.message).toBe("BPF_PROG_LOAD: the verifier refused program 'locked_global': global function calls are not allowed while holding a lock, use static function instead — prog.bpf.c:30: bpf_spin_lock(&v->lock);");
  expect(e.code).toBe('EINVAL');
  expect(e.log).toBe(twoLineLog);
});

test('a one-line reason is unchanged, and the statistics lines are never the reason', () => {
  const log = '12: (85) call bpf_ktime_get_ns#5\nfunction calls are not allowed while holding a lock\nprocessed 12 insns (limit 1000000)\n';
  expect(lastMeaningfulLine(log)).toBe('function calls are not allowed while holding a lock');
  expect(lastMeaningfulLine('processed 1 insns\n')).toBe('no verifier log');
});

// The kernel is the oracle: bpf/reject_global_call_locked.bpf.c calls a global function under a lock.
const kernelSkip = kernelSkipReason();
if (kernelSkip) console.log(`skipped: two-line verifier reason [kernel]: ${kernelSkip}`);
test.skipIf(kernelSkip !== undefined)("the kernel's two-line reason reaches BpfVerifierError.message whole", () => {
  let error: unknown;
  try {
    openObject(bpfObjectPath('reject_global_call_locked'), { engine: 'kernel' });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(BpfVerifierError);
  expect((error as Error).message).toMatch(/: global function calls are not allowed while holding a lock, use static function instead — reject_global_call_locked.bpf.c:\d+: /);
  expect((error as BpfVerifierError).log).toContain('global function calls are not allowed while holding a lock,\nuse static function instead');
});
