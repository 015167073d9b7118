// What changed between kernel versions, in one place: each rule says which version changed it and where in
// the kernel's source the behaviour lives. The emulator (Emulator.kernelVersion) answers through these, and
// kernel tests use them through `features.emulatorKernelVersion()`, so both sides agree on each version.
//
// Versions are 'MAJOR.MINOR' (the form Emulator's kernelVersion takes). A rule that was backported to a
// stable series counts for the whole series when its newest stable release has it: that is what a
// distribution kernel of the series runs (Debian's 6.12.117 has the LRU change below, its 6.1 does not).
// Measured in bpfkit vm on Debian's 6.1.0-57 (6.1), 6.12.117, 7.2.13 and on this machine's 6.18.
import { EACCES, EINVAL, ENOTSUPP, EOPNOTSUPP } from '../uapi/errno.js';

/** '6.18' → [6, 18]. Throws a TypeError naming the expected form. */
export function parseKernelVersion(version: string): readonly [number, number] {
  const m = /^(\d+)\.(\d+)$/.exec(version);
  if (!m) throw new TypeError(`kernelVersion must look like '6.18', got '${version}'`);
  return [Number(m[1]), Number(m[2])];
}

/** `version` is `since` or newer. */
export function versionAtLeast(version: string, since: string): boolean {
  const [a, b] = parseKernelVersion(version);
  const [c, d] = parseKernelVersion(since);
  return a !== c ? a > c : b >= d;
}

/**
 * BPF_MAP_FREEZE on a map that is already frozen. kernel/bpf/syscall.c map_freeze: since 6.5 ("bpf: drop
 * unnecessary bpf_capable() check in BPF_MAP_FREEZE command") the fd must have write access, checked
 * before `frozen`, and a frozen map's fds have none (map_get_sys_perms), so a second freeze is EPERM;
 * before, `frozen` was checked first: EBUSY (measured: 6.1 EBUSY, 6.12 EPERM).
 */
export function freezeChecksWriteAccess(version: string): boolean {
  return versionAtLeast(version, '6.5');
}

/**
 * BPF_MAP_LOOKUP_ELEM on an fd without read access and with flags it refuses: EINVAL on 6.18 (flags are
 * checked first in kernel/bpf/syscall.c map_lookup_elem), EPERM on 7.2 (the fd's access first). Bounded
 * by measurement only (test/diff in bpfkit vm: 6.18 EINVAL, 7.2 EPERM).
 */
export function lookupChecksAccessFirst(version: string): boolean {
  return versionAtLeast(version, '7.2');
}

/**
 * A per-CPU map's syscall lookup returns the padding of each CPU's round_up(value_size, 8) slot as an
 * update stored it: until 7.0 an update copied whole slots from the caller (copy_map_value_long), so the
 * caller's padding bytes round-trip. Since 7.0 (the BPF_F_CPU series below: hashtab.c pcpu_copy_value,
 * arraymap.c bpf_percpu_array_update use copy_map_value) an update stores value_size bytes of each slot, so
 * a lookup's whole-slot copy returns zeros in the padding. Measured: 6.18 round-trips it; 7.2 returns zeros
 * (a probe with 0xaa-filled lookup buffers in bpfkit vm).
 */
export function percpuLookupCopiesPadding(version: string): boolean {
  return !versionAtLeast(version, '7.0');
}

/**
 * The element flags BPF_F_CPU (8, the CPU in the flags' upper 32 bits) and BPF_F_ALL_CPUS (16) on
 * PERCPU_HASH, LRU_PERCPU_HASH and PERCPU_ARRAY: "bpf: Introduce BPF_F_CPU and BPF_F_ALL_CPUS flags for
 * percpu maps" (Leon Hwang, v13 applied to bpf-next on 2026-01-07, so merged for 7.0). include/linux/bpf.h
 * bpf_map_check_op_flags checks them (EINVAL on other maps or both together, ERANGE for a CPU that is not
 * possible); lookup and lookup batch take BPF_F_CPU, update and update batch both, and with either the
 * value buffer is one value_size value (kernel/bpf/syscall.c bpf_map_value_size). The same series let
 * per-CPU updates take flags up to BPF_F_ALL_CPUS (hashtab.c htab_map_check_update_flags), so 3 is
 * accepted there as BPF_ANY. Before, every such flag was EINVAL. Measured: 6.18 refuses them, 7.2 accepts.
 */
export function percpuCpuFlags(version: string): boolean {
  return versionAtLeast(version, '7.0');
}

/**
 * BPF_MAP_FREEZE of a map whose value holds a lock: ENOTSUPP since the 6.2 btf_record rework (map_freeze
 * refuses any map with a record); 6.1 refused only timers and kptrs and froze it (measured: 6.1 froze it).
 */
export function freezeRefusesLockMaps(version: string): boolean {
  return versionAtLeast(version, '6.2');
}

/**
 * The errno for a lock in a map type that may not hold one (an LRU value with a bpf_spin_lock).
 * kernel/bpf/syscall.c map_check_btf: ENOTSUPP (524) until the 6.2 btf_record rework, EOPNOTSUPP since
 * (measured: 6.1 524, 6.12 and 6.18 EOPNOTSUPP).
 */
export function lockInWrongMapErrno(version: string): number {
  return versionAtLeast(version, '6.2') ? EOPNOTSUPP : ENOTSUPP;
}

/**
 * lru->target_free scales with the map (kernel/bpf/bpf_lru_list.c bpf_common_lru_populate, "bpf: Adjust
 * free target to avoid global starvation of LRU map") since 6.16, backported to the 6.6 (6.6.99), 6.12 and
 * 6.15 stable series; 6.1 keeps the fixed LOCAL_FREE_TARGET (measured: 6.1 fixed, 6.12.117 scaled).
 */
export function lruTargetFreeScales(version: string): boolean {
  const [major, minor] = parseKernelVersion(version);
  if (major === 6 && (minor === 6 || minor === 12 || minor === 15)) return true;
  return versionAtLeast(version, '6.16');
}

/**
 * A program's bpf_map_update_elem, bpf_map_delete_elem and bpf_for_each_map_elem leave their result in the
 * low 32 bits of r0 with the upper 32 zero, so a negative errno reads as 0x00000000ffffffea, not -22.
 * kernel/bpf/verifier.c do_misc_fixups (JIT, 64-bit) turns such a call into a direct call of the map's op
 * (ops->map_update_elem, map_delete_elem, map_for_each_callback, also push/pop/peek/redirect), and those
 * returned `int` until 6.4 ("bpf: return long from bpf_map_ops funcs", d7ba4cc900bf): the x86-64 op set
 * only %eax. Since then they return `long`, sign-extended. Measured in bpfkit vm: 6.1 zero-extends (the
 * for_each fixture's flags=1 EINVAL, a random program's array delete), 6.12 and 6.18 sign-extend. The
 * kernel keeps the generic (sign-extending) helper at a call site that sees two different maps
 * (bpf_map_ptr_poisoned); the emulator does not track that and treats every call site as inlined.
 */
export function mapOpResultIsInt(version: string): boolean {
  return !versionAtLeast(version, '6.4');
}

/**
 * The cpu v4 instructions: sign-extending loads (BPF_MEMSX) and moves (MOVSX), signed division and modulo
 * (off 1), unconditional byte swaps (BPF_ALU64 | BPF_END) and 32-bit-offset jumps (gotol), merged together
 * for 6.6 ("bpf: Support new sign-extension load insns" and its series, kernel/bpf/verifier.c). 6.1 refuses
 * them, and the emulator's checker (checker/structure.ts) with 6.1's words: BPF_MEMSX loads and MOVSX / signed
 * DIV/MOD are reserved fields, ALU64 | END an unknown opcode (measured: test/diff/v4-instructions.test.ts in
 * bpfkit vm). gotol (JMP32 | JA) loaded on 6.1 too and is not refused.
 */
export function cpuV4Instructions(version: string): boolean {
  return versionAtLeast(version, '6.6');
}

/**
 * BPF_F_TOKEN_FD (1 << 16) in map_flags, 6.9 ("bpf: add BPF token support to BPF_MAP_CREATE command"):
 * map_create clears it before the map type's flag checks and resolves map_token_fd after them; before 6.9
 * it is an unknown flag, which each type refuses with its other flags (EINVAL).
 */
export function tokenFdFlag(version: string): boolean {
  return versionAtLeast(version, '6.9');
}

/** A verifier refusal: the reason (the log's last line, or the last lines for a two-line message) and errno. */
export interface Refusal {
  reason: string;
  errno: number;
}

/**
 * A refusal as Linux 6.18 words it (what the emulator's checker says) → as `version` words it. Only the
 * lock-rule refusals differ among the kernels measured; everything else passes through.
 * - kernel/bpf/verifier.c check_reference_leak / process_bpf_exit_full: exiting with a bpf_spin_lock held
 *   was "bpf_spin_unlock is missing" until the 6.14 lock/reference state consolidation (6.12: old).
 * - check_func_call: a global function called with a lock held was refused as any call ("function calls
 *   are not allowed while holding a lock") until 6.9 allowed static subprogs inside the lock (6.1: old,
 *   6.12: new).
 * - process_spin_lock: until the 6.2 btf_record rework check_func_arg turned every failure of it into
 *   -EACCES, and two messages were shorter (6.1: EACCES, 6.12: EINVAL and today's words).
 */
export function refusalAt(version: string, r: Refusal): Refusal {
  if (!versionAtLeast(version, '6.14') && /^BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region$/.test(r.reason)) {
    return { reason: 'bpf_spin_unlock is missing', errno: r.errno };
  }
  if (!versionAtLeast(version, '6.9') && /^global function calls are not allowed while holding a lock,\nuse static function instead$/.test(r.reason)) {
    return { reason: 'function calls are not allowed while holding a lock', errno: r.errno };
  }
  if (!versionAtLeast(version, '6.2') && r.errno === EINVAL) {
    const noField = /^map '(.*)' has no valid bpf_spin_lock$/.exec(r.reason);
    if (noField) return { reason: `map '${noField[1]}' doesn't have 'struct bpf_spin_lock'`, errno: EACCES };
    const offset = /^(off -?\d+ doesn't point to 'struct bpf_spin_lock') that is at \d+$/.exec(r.reason);
    if (offset) return { reason: offset[1]!, errno: EACCES };
    if (/^(R\d+ doesn't have constant offset\. bpf_spin_lock has to be at the constant offset|bpf_spin_unlock of different lock|bpf_spin_unlock without taking a lock)$/.test(r.reason)) {
      return { reason: r.reason, errno: EACCES };
    }
  }
  return r;
}

/**
 * A kprobe program's context (pt_regs) takes stores: kernel/trace/bpf_trace.c kprobe_prog_is_valid_access
 * dropped its read-only rule in "bpf: Allow uprobe program to change context registers" (Jiri Olsa, bpf-next
 * September 2025); a write now marks the program (prog->aux->kprobe_write_ctx) and only a uprobe attachment
 * takes it. Bounded by measurement only (test/diff/ctx-access.test.ts: 6.18 refuses the store, 7.2 loads it).
 */
export function kprobeCtxWritable(version: string): boolean {
  return versionAtLeast(version, '7.2');
}

/**
 * A syscall program's context has no alignment rule: kernel/bpf/syscall.c syscall_prog_is_valid_access lost its
 * `off % size` check. Bounded by measurement only (6.18 refuses *(u32 *)(r1 + 1), 7.2 loads it).
 */
export function syscallCtxAnyAlignment(version: string): boolean {
  return versionAtLeast(version, '7.2');
}

/**
 * The context pointer may be moved before a load or store. kernel/bpf/verifier.c check_ctx_access (the
 * series that keeps a pointer's constant offset in var_off): a syscall program's context takes any offset
 * within U16_MAX (is_var_ctx_off_allowed), and a program type without convert_ctx_access (kprobe,
 * tracepoint, raw tracepoint, cgroup_device, netfilter, ...) a constant one that is not negative; the
 * register's offset joins the instruction's before is_valid_access. Before, check_ptr_off_reg refused any
 * moved context pointer ("dereference of modified ctx ptr"). Bounded by measurement only (6.18 refuses
 * r1 += 8 before a kprobe load, 7.2 loads it).
 */
export function ctxRegOffsetAllowed(version: string): boolean {
  return versionAtLeast(version, '7.2');
}

/**
 * BPF_ST (a store of an immediate) into the context: kernel/bpf/verifier.c do_check refused it ("BPF_ST
 * stores into R1 ctx is not allowed") until "bpf: allow ctx writes using BPF_ST_MEM instruction" (Eduard
 * Zingerman, 6.3), which made convert_ctx_access rewrite BPF_ST as it does BPF_STX.
 */
export function ctxStoreImmAllowed(version: string): boolean {
  return versionAtLeast(version, '6.3');
}

/**
 * struct bpf_sock_ops ends in skb_hwtstamp (8 bytes: 224 in all) since "bpf: Add hwtstamp field for the
 * sockops prog" (Martin KaFai Lau, 6.2); before, the struct is 216 bytes and sock_ops_is_valid_access refuses
 * any offset past it (measured: 6.1 refuses *(u64 *)(r1 + 216), 6.18 loads it).
 */
export function sockOpsSkbHwtstamp(version: string): boolean {
  return versionAtLeast(version, '6.2');
}
