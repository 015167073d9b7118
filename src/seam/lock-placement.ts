// Where a lock may live in a map value. The kernel refuses a misplaced lock with a bare errno (and libbpf,
// seeing EOPNOTSUPP, retries without BTF and blames the missing BTF), so bpfkit checks first and names the rule.
import { MapType, mapTypeName } from '../uapi/bpf.js';
import type { LockField } from './engine.js';
import { E2BIG, EINVAL, EOPNOTSUPP } from '../uapi/errno.js';

export interface LockRuleViolation {
  /** The errno the kernel gives for this violation (negative). */
  errno: number;
  rule: string;
}

const lockName = { spin: 'bpf_spin_lock', res: 'bpf_res_spin_lock' } as const;

// kernel/bpf/syscall.c map_check_btf: spin and res locks are allowed in hash and array values and in the
// local storages (cgroup_storage 19, sk_storage 24, inode_storage 28, task_storage 29, cgrp_storage 32),
// which bpfkit does not create but objects may define.
const lockMapTypes: ReadonlySet<number> = new Set([MapType.Hash, MapType.Array, 19, 24, 28, 29, 32]);

/**
 * The rule a value's lock fields break in a map of `type`, or undefined. Checked in the kernel's order:
 * the value's BTF is parsed (kernel/bpf/btf.c btf_parse_fields) before the map type is looked at.
 */
export function lockRuleViolation(type: number, locks: readonly LockField[]): LockRuleViolation | undefined {
  if (locks.length === 0) return undefined;
  const kinds = new Set(locks.map((l) => l.kind));
  if (kinds.size > 1) {
    // kernel/bpf/btf.c btf_parse_fields: a bpf_spin_lock and a bpf_res_spin_lock in one value → EINVAL.
    return { errno: EINVAL, rule: 'a value may not hold both a bpf_spin_lock and a bpf_res_spin_lock' };
  }
  const name = lockName[locks[0]!.kind];
  if (locks.length > 1) {
    // kernel/bpf/btf.c btf_get_field_type: at most one lock of each kind per value, else E2BIG.
    return { errno: E2BIG, rule: `a value may hold at most one ${name} (found ${locks.length})` };
  }
  if (!lockMapTypes.has(type)) {
    return {
      errno: EOPNOTSUPP,
      rule: `a value holding a ${name} is allowed only in hash and array maps (and local storages), not in ${mapTypeName(type)} (kernel/bpf/syscall.c map_check_btf)`,
    };
  }
  return undefined;
}
