// What changed between kernel versions, in one place: each rule says which version changed it and where in
// the kernel's source the behaviour lives. The emulator (Emulator.kernelVersion) answers through these, and
// kernel tests use them through `features.emulatorKernelVersion()`, so both sides agree on each version.
//
// Versions are 'MAJOR.MINOR' (the form Emulator's kernelVersion takes). A rule that was backported to a
// stable series counts for the whole series when its newest stable release has it: that is what a
// distribution kernel of the series runs (Debian's 6.12.117 has the LRU change below, its 6.1 does not).
// Measured in bpfkit vm on Debian's 6.1.0-57 (6.1), 6.12.117, 7.2.13 and on this machine's 6.18.
import { EACCES, EINVAL, ENOTSUPP, EOPNOTSUPP } from '../uapi/errno.js';
import { BPF_FUNC_MAX_ID } from '../uapi/helpers.js';
import { PROG_LOAD_FLAGS, ProgFlags } from '../uapi/prog-flags.js';
import type { TnumConstForm } from './checker/scalar-format.js';
import type { ScalarRules } from './checker/scalar.js';

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
 * The prog_flags BPF_PROG_LOAD accepts (kernel/bpf/syscall.c bpf_prog_load; any other bit is EINVAL):
 * BPF_F_XDP_DEV_BOUND_ONLY arrived in 6.3, BPF_F_TEST_REG_INVARIANTS in 6.8, BPF_F_TOKEN_FD in 6.9.
 */
export function progLoadFlags(version: string): number {
  let flags = PROG_LOAD_FLAGS;
  if (!versionAtLeast(version, '6.3')) flags &= ~ProgFlags.XdpDevBoundOnly;
  if (!versionAtLeast(version, '6.8')) flags &= ~ProgFlags.TestRegInvariants;
  if (!versionAtLeast(version, '6.9')) flags &= ~ProgFlags.TokenFd;
  return flags;
}

/**
 * A pointer register's fixed offset went into its var_off (the log's states print "imm=8" where they printed
 * "off=8"), so the alignment messages print one offset tnum: "misaligned packet access off 2+6+1" where
 * 6.18 printed "off 2+0+6+1". Measured in bpfkit vm: 6.18 old, 7.2 and 7.3 new.
 */
export function pointerOffsetInVarOff(version: string): boolean {
  return versionAtLeast(version, '7.2');
}

/**
 * print_verification_stats with BPF_LOG_STATS: 6.18 prints "stack depth A+B"; 7.2 "stack depth A+B max M"
 * then "insns processed N"; 7.3 "stack depth max M" then a line per subprogram ("subprog 0 (name) main
 * insns_self N insns_total N stack A"). Measured in bpfkit vm on single-function programs.
 */
export function verificationStatsForm(version: string): '6.1' | '7.2' | '7.3' {
  return versionAtLeast(version, '7.3') ? '7.3' : versionAtLeast(version, '7.2') ? '7.2' : '6.1';
}

/**
 * The versions whose verifier work (processed instructions, total and peak states) the model reproduces
 * instruction for instruction: precision, stack liveness, the checkpoint and eviction heuristics of 6.18.
 * Other versions prune by other rules (bpf/parser.bpf.c, measured in bpfkit vm: 6.1 23,507 insns, 6.12
 * 23,600, 6.18 23,726, 7.2 23,927; and 6.12 walks paths 6.18 prunes, where random programs hide a refusal):
 * for them the model compares every scalar as precise and keeps stack slots live across stores, so it
 * prunes no path such a kernel walks, at the cost of more work.
 */
export function verifierWorkExact(version: string): boolean {
  return versionAtLeast(version, '6.18') && !versionAtLeast(version, '6.19');
}

/**
 * The versions whose pruning the model follows (precision tracking, stack slots dead before a whole
 * store): 6.18 exactly (verifierWorkExact); 7.2 prunes by the same precision marks (its parser count,
 * 23,927, is near 6.18's 23,726 and far from the 55,837 of comparing every scalar exactly), and a model
 * that prunes less walks paths 7.2 never reaches and refuses what 7.2 loads (make matrix, test/diff on
 * 7.2). 6.12 and older walk paths 6.18 prunes: for them every scalar compares exactly.
 */
export function precisionPruning(version: string): boolean {
  return versionAtLeast(version, '6.18');
}

/**
 * Which additions of a constant keep a scalar linked to its copies (adjust_reg_min_max_vals, BPF_ADD_CONST):
 * none before 6.11 ("bpf: Track delta between "linked" registers"; copies are linked only while equal),
 * 64-bit additions from 6.11, also subtractions and 32-bit additions (BPF_ADD_CONST32, zero-extended when
 * synced) in 6.18 (6.18.44 has them) and 7.x. From 6.11 a jump syncs at most LINKED_REGS_MAX copies, the
 * ones it collected (before, find_equal_scalars synced every copy). Measured in bpfkit vm: 6.1 none, 6.12
 * 64-bit additions, 6.18 and 7.2 all three.
 */
export function linkedConstOps(version: string): 'none' | 'add64' | 'all' {
  return versionAtLeast(version, '6.18') ? 'all' : versionAtLeast(version, '6.11') ? 'add64' : 'none';
}

/**
 * sync_linked_regs compares ids without their BPF_ADD_CONST flag on both sides, so a bound learned through a
 * copy moved by a constant reaches the others; when links arrived (6.11), a known register that was such a
 * copy synced nothing (its id, flag included, matched no other). The fix reached the 6.12 stable series:
 * measured in bpfkit vm, Debian's 6.12.117 synced nothing from "r1 = r6 + 63" checked, its 6.12.118 (the
 * kernel `bpfkit vm --kernel 6.12` boots now; its source strips the flag on both sides) and 6.18 sync.
 */
export function linkedSyncFromDelta(version: string): boolean {
  return versionAtLeast(version, '6.12');
}

/**
 * collect_linked_regs takes only the registers live at the jump (insn_aux_data's live_regs_before); 6.12
 * still syncs copies that are dead there (measured in bpfkit vm: 6.1 and 6.12 sync them, 6.18 does not).
 */
export function linkedRegsLiveOnly(version: string): boolean {
  return versionAtLeast(version, '6.16');
}

/**
 * net/bpf/test_run.c convert___skb_to_skb: an __sk_buff ctx_in may hold data_end ("allowed, but not copied
 * to skb") in 7.2's source; 6.18 refuses it with EINVAL (measured). Versions between are not measured.
 */
export function skbCtxInDataEnd(version: string): boolean {
  return versionAtLeast(version, '7.2');
}

/**
 * verbose_linfo writes a source line as "; text @ file:line"; 6.1 wrote "; text" alone. Measured in bpfkit
 * vm: 6.1 without, 6.12 with (the change came with 6.4's verifier log rework; versions between are not modelled).
 */
export function linfoFileLine(version: string): boolean {
  return versionAtLeast(version, '6.4');
}

/**
 * sort_subprogs_topo: 7.2 refuses a bpf-to-bpf recursion before the walk ("recursive call from f() to g()",
 * EINVAL), where 6.18 walked it until the call stack was too deep (E2BIG). Measured in bpfkit vm: 6.18
 * without, 7.2 and 7.3 with (verifier-rules: 'a recursion bounded by its argument').
 */
export function staticRecursionCheck(version: string): boolean {
  return versionAtLeast(version, '7.2');
}

/**
 * check_func_arg's words for an unreferenced pointer given to a release helper: 7.2 "release helper
 * bpf_sk_release expects referenced PTR_TO_BTF_ID passed to R1"; 6.18 "R1 must be referenced when passed
 * to release function". Measured in bpfkit vm: 6.18 old, 7.2 and 7.3 new.
 */
export function releaseHelperWords(version: string): boolean {
  return versionAtLeast(version, '7.2');
}

/**
 * struct bpf_map in vmlinux BTF begins with `u8 sha[32]` and `u32 excl` before `ops` from 6.18 ("bpf:
 * Implement exclusive map creation"), so a program's narrow read at a map pointer's offset 0 reads bytes of
 * the hash where 6.12 refused it as part of the ops pointer. Measured: 6.12 without (bpfkit vm, make matrix
 * test/diff pointer-arith), 6.18 and 7.2's source with.
 */
export function bpfMapShaHead(version: string): boolean {
  return versionAtLeast(version, '6.18');
}

/**
 * is_scalar_branch_taken in 7.2 also decides a register compared with itself, and a compare whose refined
 * false or true side leaves an operand no value (simulate_both_branches_taken); 6.18 walks both sides of
 * both (scalar-branch.ts branchTakenByRefinement). Measured in bpfkit vm: 6.18 without, 7.2 with
 * (test/diff refused-programs: `if r0 < r0` hid a misaligned stack read that 7.2 never reaches).
 */
export function branchTakenByRefinement(version: string): boolean {
  return versionAtLeast(version, '7.2');
}

/**
 * adjust_scalar_min_max_vals tracks BPF_DIV and BPF_MOD by a constant from 7.0 (scalar-divmod.ts); 6.18
 * makes their result an unknown scalar. Measured in bpfkit vm: 6.18 without, 7.2 with (test/diff
 * refused-programs: `w8 s%= 65` decided a branch 7.2 never walks).
 */
export function divModTracked(version: string): boolean {
  return versionAtLeast(version, '7.0');
}

/**
 * 7.x keeps a scalar's ranges as one circular arc per width (kernel/bpf/cnum.c) where 6.18 kept unsigned
 * and signed intervals (scalar-cnum.ts): after `r |= 37` 7.2 prints umin=37 alone, 6.18 also
 * smin=0x8000000000000025. 7.2's source has them (copyright 2026); 6.18 does not. Versions between are not
 * measured.
 */
export function circularRanges(version: string): boolean {
  return versionAtLeast(version, '7.2');
}

/**
 * scalar_min_max_add/_sub: from 6.17 ("bpf, verifier: Improve precision for BPF_ADD and BPF_SUB") an unsigned
 * range whose ends both wrap stays a range; before, any wrap made it unbounded. Measured: Debian's 6.12.118
 * source and bpfkit vm (test/diff refused-programs, a linked copy synced by -63) without, 6.18 with.
 */
export function wrappingAddSub(version: string): boolean {
  return versionAtLeast(version, '6.17');
}

/** The scalar domain of a kernel version (scalar.ts withScalarRules). */
export function scalarRules(version: string): ScalarRules {
  return { circularRanges: circularRanges(version), wrappingAddSub: wrappingAddSub(version) };
}

/**
 * How tnum_strn prints a constant tnum (scalar-format.ts): 6.1 printed every tnum as "(%#llx; %#llx)"
 * ("off 2+(0x0; 0x0)+0+0"); 6.4's log rework printed a constant as verbose_unum does ("off 2+0+0+0");
 * 7.2's log.c also prints small negatives in decimal ("misaligned stack access off -55+-94", where 6.18
 * printed 0xffffffffffffffc9). Measured in bpfkit vm: 6.1 hex, 6.12 and 6.18 unsigned, 7.2 signed.
 */
export function tnumConstForm(version: string): TnumConstForm {
  return versionAtLeast(version, '7.2') ? 'signed' : versionAtLeast(version, '6.4') ? 'unsigned' : 'hex';
}

/**
 * The kernel version that added each kfunc the emulator runs (kernel/bpf/rqspinlock.c: the four
 * bpf_res_spin_lock kfuncs, 6.15; kernel/bpf/helpers.c: bpf_obj_new_impl and bpf_obj_drop_impl, 6.2, with
 * bpf_spin_lock allowed in the objects they allocate, and bpf_rdonly_cast; net/core/filter.c and helpers.c:
 * the skb and xdp dynptrs and bpf_dynptr_slice(_rdwr), 6.4; the bits iterator, 6.11). Before it, libbpf
 * finds no such function in the kernel's BTF.
 */
const kfuncSince: Readonly<Record<string, string>> = {
  bpf_res_spin_lock: '6.15', bpf_res_spin_unlock: '6.15', bpf_res_spin_lock_irqsave: '6.15', bpf_res_spin_unlock_irqrestore: '6.15',
  bpf_obj_new_impl: '6.2', bpf_obj_drop_impl: '6.2', bpf_rdonly_cast: '6.2',
  bpf_dynptr_from_skb: '6.4', bpf_dynptr_from_xdp: '6.4', bpf_dynptr_slice: '6.4', bpf_dynptr_slice_rdwr: '6.4',
  bpf_iter_bits_new: '6.11', bpf_iter_bits_next: '6.11', bpf_iter_bits_destroy: '6.11',
};

/** Whether a kernel of `version` has kfunc `name` (one the emulator runs: kfuncs.ts). */
export function kfuncAvailable(name: string, version: string): boolean {
  const since = kfuncSince[name];
  return since === undefined || versionAtLeast(version, since);
}

/**
 * verifier.c check_resource_leak (6.14) words a leak at an exit "BPF_EXIT instruction in main prog would lead
 * to reference leak" and at a legacy packet load "BPF_LD_[ABS|IND] would lead to reference leak"; before, an
 * exit ended at its last "Unreleased reference" line and a packet load said "cannot be mixed with socket
 * references" (measured: 6.12 old, 6.18 new).
 */
export function resourceLeakWords(version: string): boolean {
  return versionAtLeast(version, '6.14');
}

/**
 * adjust_scalar_min_max_vals tracks BPF_NEG and BPF_END (byte swaps) on scalars; before, check_alu_op only
 * marked the destination unknown (check_reg_arg DST_OP). Measured in bpfkit vm: 6.12 unknown ("r1 = bswap32
 * r1 ; R1_w=scalar()" of a constant), 6.18 tracked.
 */
export function negEndTracked(version: string): boolean {
  return versionAtLeast(version, '6.18');
}

/** The version an Emulator answers as when it is given none. */
export const DEFAULT_KERNEL_VERSION = '6.18';

/** The log levels bpf_vlog_init accepts: BPF_LOG_FIXED (8) arrived in 6.4 with the rotating log. */
export function logLevelMask(version: string): number {
  return versionAtLeast(version, '6.4') ? 15 : 7;
}

/**
 * BPF_F_TOKEN_FD (1 << 16) in map_flags, 6.9 ("bpf: add BPF token support to BPF_MAP_CREATE command"):
 * map_create clears it before the map type's flag checks and resolves map_token_fd after them; before 6.9
 * it is an unknown flag, which each type refuses with its other flags (EINVAL).
 */
export function tokenFdFlag(version: string): boolean {
  return versionAtLeast(version, '6.9');
}

/**
 * The verifier log's instruction printer (kernel/bpf/disasm.c print_bpf_insn) learnt the cpu v4 forms with
 * them in 6.6: "r1 = (s8)r2" (movsx), "s/=" and "s%=" (off 1), "*(s8 *)" loads (BPF_MEMSX), "bswap16"
 * (BPF_ALU64 | BPF_END) and "gotol pc+N" (BPF_JMP32 | BPF_JA). Before, a movsx or signed division printed
 * as the plain operation (and was refused after it: reserved fields), a BPF_MEMSX load as "BUG_ldx_91", an
 * ALU64 | END as "BUG_alu64_d7" (both without the "(code)" prefix; 6.1's bpf_opcode_in_insntable refuses
 * both before do_check prints), and JMP32 | JA fell through to the conditional form ("if w0 jmp 0x0 goto
 * pc+N").
 */
export function disasmCpuV4(version: string): boolean {
  return cpuV4Instructions(version);
}

/**
 * __BPF_FUNC_MAX_ID, the end of the helper table (func_id_str, and check_helper_call's "invalid func"):
 * 212 since 6.2 added bpf_cgrp_storage_get (210) and bpf_cgrp_storage_delete (211), the last helpers (the
 * list is frozen since); 210 on 6.1, whose last is bpf_user_ringbuf_drain (209). The printer writes
 * "unknown" for an id past it.
 */
export function helperIdLimit(version: string): number {
  return versionAtLeast(version, '6.2') ? BPF_FUNC_MAX_ID : 210;
}

/**
 * "may_goto pc+N" (BPF_JMP | BPF_JCOND, src_reg BPF_MAY_GOTO) and "r1 = addr_space_cast(r2, 0, 1)"
 * (BPF_ALU64 | BPF_MOV | BPF_X, off BPF_ADDR_SPACE_CAST) came in 6.9 with the instructions ("bpf: Introduce
 * may_goto instruction", "bpf: Introduce bpf_arena"). Before, BPF_JCOND was an unknown opcode (never
 * printed) and the cast printed as "r1 = r2".
 */
export function disasmMayGoto(version: string): boolean {
  return versionAtLeast(version, '6.9');
}
export function disasmAddrSpaceCast(version: string): boolean {
  return versionAtLeast(version, '6.9');
}

/**
 * "r1 = &(void __percpu *)(r2)": the verifier's internal per-CPU address move (BPF_ALU64 | BPF_MOV | BPF_X,
 * off BPF_ADDR_PERCPU -1), 6.10 ("bpf: add special internal-only MOV instruction to resolve per-CPU
 * addrs"). A user's such instruction prints so and is refused after it (BPF_MOV uses reserved fields;
 * measured on 6.18). Before, it printed as "r1 = r2".
 */
export function disasmPercpuAddr(version: string): boolean {
  return versionAtLeast(version, '6.10');
}

/**
 * "r1 = load_acquire((u64 *)(r2 +0))" and "store_release((u64 *)(r1 +0), r2)": BPF_ATOMIC with imm
 * BPF_LOAD_ACQ / BPF_STORE_REL, 6.15 ("bpf: Introduce load-acquire and store-release instructions").
 * Before, the printer did not know the imm and wrote "BUG_db" (no "(code)" prefix; measured on 6.18 for
 * any other unknown atomic imm), then check_atomic refused it. Measured on 6.18: printed.
 */
export function disasmLoadAcquire(version: string): boolean {
  return versionAtLeast(version, '6.15');
}

/**
 * "gotox r1": BPF_JMP | BPF_JA | BPF_X, the indirect jump through an instruction-array map ("bpf: add support
 * for indirect jumps", in 7.2's disasm.c). 6.18 refuses the opcode before printing ("unknown opcode 0d",
 * measured), and its printer would write the conditional form "if r1 jmp r0 goto pc+N". The series merged
 * for 6.19; bounded here by 6.18 (absent, measured) and 7.2 (present in the source).
 */
export function disasmGotox(version: string): boolean {
  return versionAtLeast(version, '6.19');
}

/**
 * At log_level 2 the verifier lists every instruction with the registers live before it ("Live regs before
 * insn:", compute_live_registers, 6.15: "bpf: simple DFA-based live registers analysis"; measured on 6.18).
 * Since 6.17 ("bpf: compute SCCs in program control flow graph") each line starts with the instruction's
 * strongly connected component, "%3d " inside a loop and four spaces outside (measured on 6.18).
 */
export function liveRegsSccColumn(version: string): boolean {
  return versionAtLeast(version, '6.17');
}

// --- Helper prototypes and availability (emulator/checker/helper-protos). The bounds below come from two source
// trees (Debian's 6.12.118 and 7.2) and this machine's 6.18; where a change falls between two of those, the
// first release that can have it is used and the comment says so.

/**
 * The tracing helpers' move into bpf_base_func_proto (kernel/bpf/helpers.c; "bpf: Allow some trace helpers for
 * all prog types"): get_current_uid_gid for every program; current_task_under_cgroup, get_cgroup_classid (the
 * current task's) and task_storage_get/delete with CAP_BPF; get_current_comm, copy_from_user(_task),
 * perf_event_read(_value), send_signal(_thread), get_task_stack, get_branch_snapshot, find_vma with
 * CAP_PERFMON. kernel/bpf/cgroup.c cgroup_current_func_proto and 6.12's long bpf_tracing_func_proto went with
 * it (task storage's _recur protos too). 6.12: old (source); 6.18: new (measured: a socket filter may call
 * bpf_get_current_comm). 6.16 from upstream history, not measured here.
 */
export function helpersInBaseFuncProto(version: string): boolean {
  return versionAtLeast(version, '6.16');
}

/**
 * bpf_get_netns_cookie in socket filters and tc (net/core/filter.c sk_filter_func_proto, tc_cls_act_func_proto).
 * 6.12: absent (source); 6.18: present (measured). 6.15 from upstream history, not measured here.
 */
export function netnsCookieInSkFilterAndTc(version: string): boolean {
  return versionAtLeast(version, '6.15');
}

/**
 * bpf_setsockopt / bpf_getsockopt in BPF_CGROUP_INET_SOCK_CREATE programs (sock_filter_func_proto's
 * bpf_sock_create_*sockopt_proto). 6.18: absent (measured); 7.2: present (source); 6.19 is the first that can.
 */
export function sockCreateSockopt(version: string): boolean {
  return versionAtLeast(version, '6.19');
}

/**
 * bpf_get_func_arg / bpf_get_func_arg_cnt in tp_btf programs (tracing_prog_func_proto's BPF_TRACE_RAW_TP case).
 * 6.18: absent (measured); 7.2: present (source); 6.19 is the first that can.
 */
export function getFuncArgInRawTp(version: string): boolean {
  return versionAtLeast(version, '6.19');
}

/**
 * A context as memory: compatible_reg_types' mem_types (ARG_PTR_TO_MEM, _MAP_KEY, _MAP_VALUE) accept
 * PTR_TO_CTX (kernel/bpf/verifier.c), and a BPF_PROG_TYPE_SYSCALL program's context may be read and passed
 * to helpers at fixed and variable offsets within U16_MAX (is_var_ctx_off_allowed), the same series.
 * 6.18: neither (measured: `R1 type=ctx expected=fp, ..., trusted_ptr_`); 7.2: both (source, and bpfkit vm:
 * test/diff pointer-arith); 6.19 is the first that can.
 */
export function ctxAsMemory(version: string): boolean {
  return versionAtLeast(version, '6.19');
}

/**
 * A map value's `__kptr` field may point to a struct of the program's own BTF (a local kptr, what bpf_obj_new
 * allocates): kernel/bpf/btf.c btf_parse_kptr took program types from 6.4 ("bpf: Support __kptr to local
 * kptrs"); before, the pointee had to be a kernel struct. The emulator's map creation does not apply it yet.
 */
export function localKptrs(version: string): boolean {
  return versionAtLeast(version, '6.4');
}

/**
 * kptr_xchg_dest_types' non-owning entries (PTR_TO_BTF_ID | MEM_ALLOC | NON_OWN_REF, and | MEM_RCU). 6.18:
 * not (measured: `expected=map_value, ptr_`); 7.2: yes (source); 6.19 is the first that can.
 */
export function kptrXchgDestNonOwning(version: string): boolean {
  return versionAtLeast(version, '6.19');
}

/**
 * The prototype flags 7.2 has and 6.12.118 lacks (helper-protos/protos.ts protoBefore613: MEM_WRITE on
 * written buffers, MEM_RDONLY on read ones, dynptr_* taking any dynptr). Not measured on 6.18 (the printed
 * register lists do not show flags); 6.13 is the first release that can have them, and 6.18 is taken to.
 */
export function helperProtoFlags613(version: string): boolean {
  return versionAtLeast(version, '6.13');
}

/**
 * Two fixes that Debian's 6.12.118 and 7.2's sources have and this machine's 6.18.44 does not (measured):
 * lwt_seg6local_func_proto returning NULL for bpf_skb_pull_data, and sock_addr_func_proto leaving
 * BPF_CGROUP_UNIX_GETPEERNAME / _GETSOCKNAME out of bpf_setsockopt / bpf_getsockopt. Taken as fixed through
 * 6.12 (its stable series, as Debian ships it) and from 6.19 on; 6.13 to 6.18 answer as 6.18.44 does (a
 * later 6.18 stable release may have them too).
 */
export function stableSockoptAndPullDataFixes(version: string): boolean {
  return !versionAtLeast(version, '6.13') || versionAtLeast(version, '6.19');
}

/**
 * bpf_loop's first argument (nr_loops) as ARG_SCALAR, so a pointer is refused (kernel/bpf/bpf_iter.c
 * bpf_loop_proto): Debian's 6.12.118 and 7.2's sources have it; this machine's 6.18.44 takes ARG_ANYTHING
 * (measured: a context pointer passes R1). Bounded as stableSockoptAndPullDataFixes is.
 */
export function loopCountIsScalar(version: string): boolean {
  return !versionAtLeast(version, '6.13') || versionAtLeast(version, '6.19');
}

/**
 * check_helper_call's refusal of a might_sleep helper outside a sleepable context: "helper call might sleep
 * in a non-sleepable prog" before the argument checks through 6.18 (measured); 7.2 says "sleepable helper
 * %s#%d in non-sleepable prog" after check_func_proto (source). 6.19 is the first that can.
 */
export function sleepableHelperNamesHelper(version: string): boolean {
  return versionAtLeast(version, '6.19');
}

/**
 * check_get_func_ip's wording for a tracing program without a trampoline: "supported only for
 * fentry/fexit/fsession/fmod_ret programs" once fsession programs exist (7.2, source), "fentry/fexit/fmod_ret"
 * before (6.12, source; 6.18, measured with tp_btf and iter programs). 6.19 is the first that can.
 */
export function getFuncIpNamesFsession(version: string): boolean {
  return versionAtLeast(version, '6.19');
}

// --- Context access (emulator/checker/ctx).

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

/**
 * The unix socket hooks of cgroup sock_addr programs (BPF_CGROUP_UNIX_CONNECT ... _RECVMSG) exist since
 * "bpf: Implement cgroup sockaddr hooks for unix sockets" (Daan De Meyer, 6.7): before, kernel/bpf/syscall.c
 * bpf_prog_load_check_attach refuses them (EINVAL).
 */
export function unixSockAddrAttachTypes(version: string): boolean {
  return versionAtLeast(version, '6.7');
}

/**
 * BPF_PROG_TYPE_NETFILTER exists since "bpf: add netfilter program type" (Florian Westphal, 6.4): before,
 * kernel/bpf/syscall.c find_prog_type has no ops for it and BPF_PROG_LOAD is EINVAL (read from the source).
 */
export function netfilterProgramType(version: string): boolean {
  return versionAtLeast(version, '6.4');
}

// --- The verifier's walk (emulator/checker/verifier).

/**
 * check_stack_access_within_bounds names a helper's stack access by its direction ("invalid read from
 * stack R2 off=-2 size=4", measured on 6.18; 7.2's source), where 6.12 said "invalid indirect access to
 * stack". 6.13 is the first release that can.
 */
export function helperStackAccessByType(version: string): boolean {
  return versionAtLeast(version, '6.13');
}

/**
 * check_helper_call drops PTR_MAYBE_NULL from bpf_map_lookup_elem's result for an ARRAY or PERCPU_ARRAY
 * looked up with a constant key below max_entries (can_elide_value_nullness, get_constant_map_key;
 * "bpf: verifier: Support eliding map lookup nullness", 6.13). Measured on 6.18.
 */
export function constKeyLookupNotNull(version: string): boolean {
  return versionAtLeast(version, '6.13');
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
    if (/^(R\d+ doesn't have constant offset\. bpf_spin_lock has to be at the constant offset|bpf_spin_unlock of different lock|bpf_spin_unlock without taking a lock|map '.*' has to have BTF in order to use bpf_spin_lock)$/.test(r.reason)) {
      return { reason: r.reason, errno: EACCES };
    }
  }
  return r;
}

/**
 * check_ld_imm before 6.2 gave each load of a map value holding a bpf_spin_lock a fresh id
 * (`if (map_value_has_spin_lock(map)) dst_reg->id = ++env->id_gen`), so a lock taken through one load and
 * released through another is "bpf_spin_unlock of different lock"; 6.2's "bpf: Allow locking bpf_spin_lock
 * global variables" names such a lock by its map and id 0. Measured: 6.1 distinct, 6.12 and 6.18 the same lock.
 */
export function mapValueLoadsDistinctLocks(version: string): boolean {
  return !versionAtLeast(version, '6.2');
}

/**
 * How check_kfunc_args names an argument in its refusals: "arg#0" through 6.18; 7.2's reg_arg_name names
 * the register ("R1 doesn't point to map value or allocated object", "expected an initialized irq flag as
 * R1"). Measured: 6.18 arg#, 7.2 R; 6.19 is the first release that can have it, and is taken to.
 */
export function kfuncArgName(version: string, regno: number): string {
  return versionAtLeast(version, '6.19') ? `R${regno}` : `arg#${regno - 1}`;
}

/**
 * BTF_KIND_TYPE_TAG and BTF_KIND_DECL_TAG records may set kind_flag (the tag is then an attribute) since 6.15:
 * "bpf: allow kind_flag for BTF type and decl tags" (bpf-next, February 2025) dropped the "Invalid btf_info
 * kind_flag" refusal from kernel/bpf/btf.c btf_ref_type_check_meta (type tags only) and
 * btf_decl_tag_check_meta, and made btf_find_kptr ignore a type tag with kind_flag. Measured: 6.18 accepts.
 */
export function btfTagKindFlag(version: string): boolean {
  return versionAtLeast(version, '6.15');
}

/**
 * BPF_BTF_LOAD parses the special fields of structs (kernel/bpf/btf.c btf_parse_struct_metas: bpf_spin_lock,
 * bpf_list_head/node, bpf_rb_root/node, bpf_refcount, kptrs) and refuses BTF whose fields it cannot parse,
 * since 6.2 ("bpf: Introduce allocated objects support" with the bpf_list_head series). 6.1 parses fields
 * only when a map is created with the BTF.
 */
export function btfStructMetas(version: string): boolean {
  return versionAtLeast(version, '6.2');
}

/**
 * kernel/bpf/btf.c btf_find_kptr knows the "uptr" type tag (BPF_UPTR, for task storage) since 6.13 ("bpf:
 * Support __uptr type tag in BTF"), and ignores a tag the caller's field mask does not ask for; before, any
 * tag but kptr, kptr_untrusted and percpu_kptr on a pointer member was EINVAL.
 */
export function btfUptrTag(version: string): boolean {
  return versionAtLeast(version, '6.13');
}

/**
 * kernel/bpf/btf.c btf_parse_fields knows bpf_res_spin_lock since 6.15 (the rqspinlock series, "bpf: Introduce
 * BPF_RES_SPIN_LOCK"): a struct with both a bpf_spin_lock and a bpf_res_spin_lock is EINVAL at BPF_BTF_LOAD
 * (measured on 6.18), and either lock may guard a bpf_list_head/bpf_rb_root.
 */
export function btfResSpinLock(version: string): boolean {
  return versionAtLeast(version, '6.15');
}

/**
 * Hardenings of kernel/bpf/btf.c's struct metas (btf_parse_struct_metas at BPF_BTF_LOAD), in two parts that
 * reached stable series separately. Unique fields: the unique special fields (bpf_spin_lock,
 * bpf_res_spin_lock) are counted per record, nested structs included (one seen_mask through btf_find_field),
 * not per struct, and bpf_refcount is unique too (E2BIG). Debian's 6.12 (6.12.118, its source and measured)
 * and 7.2 (7.2.13, its source and measured) have it; 6.18.44 does not (measured: nested duplicate
 * bpf_res_spin_locks and two bpf_refcounts are accepted, a spin lock beside them EINVAL). Which 7.x first had
 * it is not known (modelled from 7.0 on).
 */
export function btfStructMetasStrict(version: string): boolean {
  const [major, minor] = parseKernelVersion(version);
  return (major === 6 && minor === 12) || versionAtLeast(version, '7.0');
}

/**
 * The other part: ownership is checked by btf_check_ownership_depth (no chain deeper than
 * BTF_MAX_OWNERSHIP_DEPTH 8, no cycle: ELOOP) instead of btf_check_and_fixup_fields's "a type that is both a
 * graph root and a graph node owns no graph root". 6.12 and 7.2 as above; this project's 6.18 host has it
 * since its 6.18.44-fc-v1300 build (measured December 2026: a root-and-node type owning a root is accepted;
 * an earlier 6.18.44 build refused it, ELOOP). The series between (6.13 to 6.17) ended without it.
 */
export function btfOwnershipDepth(version: string): boolean {
  const [major, minor] = parseKernelVersion(version);
  return (major === 6 && minor === 12) || versionAtLeast(version, '6.18');
}

/**
 * A DATASEC's name may hold any printable character (kernel/bpf/btf.c btf_name_valid_section: isprint, at
 * most KSYM_NAME_LEN); before, it had to be an identifier like any other name (letters, digits, '_', '.').
 * Read in the sources: Debian's 6.1.192 has the identifier rule (and measured: 6.1 refuses ".dé" and
 * "a\tb" alike as "Invalid name"), 6.12.118 the printable one. The commit ("bpf: Allow any printable
 * characters in BTF DATASEC names") is believed to be 6.7's; no supported version lies between.
 */
export function btfDatasecPrintableNames(version: string): boolean {
  return versionAtLeast(version, '6.7');
}

// The BTF format grew in 7.x: Debian's 7.2.13 source (include/uapi/linux/btf.h, kernel/bpf/btf.c) has the
// four rules below and 6.18.44 (this machine) none of them. Where between 6.19 and 7.2 each arrived is not
// established; no supported version lies between, so they are modelled from 7.0 on.

/**
 * struct btf_type's info word: 7 bits of kind (BTF_INFO_KIND) and 24 bits of vlen (BTF_INFO_VLEN,
 * BTF_MAX_VLEN 0xffffff), and no reserved bits: btf_check_meta no longer refuses "Invalid btf_info" (before:
 * BTF_INFO_MASK 0x9f00ffff, a 5-bit kind and a 16-bit vlen). Measured on 7.2: info 0x01800000 is an INT
 * with "vlen != 0", 0x4e000000 "Invalid kind:78".
 */
export function btfWideInfo(version: string): boolean {
  return versionAtLeast(version, '7.0');
}

/**
 * struct btf_header has layout_off/layout_len (32 bytes): btf_parse_hdr copies 32 bytes and refuses only
 * non-zero bytes past them, btf_check_sec_info counts the layout section when hdr_len is 32 or more and
 * layout_len is not 0, btf_parse_layout_sec checks it (aligned, a multiple of struct btf_layout's 4 bytes,
 * inside the data), and with such a header btf_parse_str_sec no longer needs the strings at the end.
 */
export function btfLayoutSection(version: string): boolean {
  return versionAtLeast(version, '7.0');
}

/**
 * btf_check_type_tags ("Type tags don't precede modifiers") gave way to btf_check_modifier_chain_length,
 * which only bounds modifier chains: a type tag may follow a CONST (measured on 7.2: accepted).
 */
export function btfTypeTagsAnywhere(version: string): boolean {
  return versionAtLeast(version, '7.0');
}

/**
 * btf_find_kptr walks every modifier between the pointer and its pointee (btf_type_tag_walk): the kptr tags
 * (kptr, kptr_untrusted, percpu_kptr, uptr) may sit anywhere on it, other type tags are ignored (before:
 * EINVAL), two different kptr tags are EINVAL, and no kptr tag makes it no kptr. Before, the pointee itself
 * had to be the tag, with no second type tag after it.
 */
export function btfKptrTagWalk(version: string): boolean {
  return versionAtLeast(version, '7.0');
}

/**
 * queue_stack_maps.c queue_stack_map_alloc_check: E2BIG for max_entries >= U32_MAX / value_size. Measured in
 * bpfkit vm with a QUEUE of 2^30 − 1 4-byte values: Debian's 6.12.118 refuses it E2BIG (as this repository's
 * 6.15 source tree does); 6.1.0-57 and 7.2.13 try to allocate it (ENOMEM in a 2 GiB guest) and this machine's
 * 6.18.44 creates it. Bounded by measurement: the check is there from 6.12 to before 6.18.
 */
export function queueSizeChecked(version: string): boolean {
  return versionAtLeast(version, '6.12') && !versionAtLeast(version, '6.18');
}

/**
 * check_map_prog_compatibility on a sleepable program (syscall programs, BPF_F_SLEEPABLE): the map types it
 * may use. Measured (queue_pipe.bpf.c's sleepable_queue and sleepable_bloom): 6.1 refuses a QUEUE, 6.12, 6.18
 * and 7.2 take it (with STACK and the local storages); a BLOOM_FILTER never. Bounded by measurement: 6.12.
 */
export function sleepableQueueStack(version: string): boolean {
  return versionAtLeast(version, '6.12');
}

/**
 * The words of that refusal. 6.1: "Sleepable programs can only use array, hash, and ringbuf maps"; 6.12 and
 * 7.2: "... array, hash, ringbuf and local storage maps"; this machine's 6.18.44 adds ", also as inner maps".
 * Bounded by measurement: the local storages at 6.12, the inner maps from 6.18 to before 7.2.
 */
export function sleepableMapWords(version: string): string {
  if (!versionAtLeast(version, '6.12')) return 'Sleepable programs can only use array, hash, and ringbuf maps';
  const words = 'Sleepable programs can only use array, hash, ringbuf and local storage maps';
  return versionAtLeast(version, '6.18') && !versionAtLeast(version, '7.2') ? `${words}, also as inner maps` : words;
}

/**
 * The most XDP metadata a frame may carry (include/net/xdp.h xdp_metalen_invalid, for bpf_xdp_adjust_meta
 * and a test_run ctx_in): 32 bytes until "net, xdp: allow metadata > 32" (Larysa Zaremba, net-next for
 * 6.8) made it type_max(skb_shared_info.meta_len), 255. Bounded by source: 6.12.118 and 7.2 have 255; on
 * this machine's 6.18 a ctx_in of 216 bytes of metadata runs (the headroom's limit, test_run.c).
 */
export function xdpMetaMax(version: string): number {
  return versionAtLeast(version, '6.8') ? 255 : 32;
}

/**
 * bpf_csum_diff as "bpf: bpf_csum_diff: optimize and homogenize for all archs" (Puranjay Mohan, for 6.13)
 * made it: any sizes, csum_partial of each side, the result folded to 16 bits (csum_from32to16). Before,
 * sizes had to be multiples of 4 adding up to at most 512 bytes (EINVAL), and the result was the 32-bit
 * csum_partial of the negated `from` words and the `to` words. Bounded by source (6.12.118 has the old
 * helper, 7.2 the new) and measurement (6.18 folds, takes a 3-byte size).
 */
export function csumDiffFolds(version: string): boolean {
  return versionAtLeast(version, '6.13');
}

/**
 * kernel/bpf/lpm_trie.c trie_update_elem: since 6.13 ("bpf: Handle BPF_EXIST and BPF_NOEXIST for LPM trie",
 * "bpf: Handle in-place update for full LPM trie correctly", trie_check_add_elem) BPF_NOEXIST on an element is
 * EEXIST, BPF_EXIST on none ENOENT, and a full trie still replaces an element (ENOSPC only for a new one).
 * Before, both flags were taken as BPF_ANY and a full trie refused every update ENOSPC. The fixes went to the
 * stable series: measured in bpfkit vm, Debian's 6.1.0-57 answers BPF_EXIST on a missing prefix ENOENT; the
 * 6.12.118 source has trie_check_add_elem. Series that had ended by then (6.2 to 6.11 but for 6.6) did not.
 */
export function lpmUpdateHonoursFlags(version: string): boolean {
  const [major, minor] = parseKernelVersion(version);
  if (major === 6 && (minor === 1 || minor === 6 || minor === 12)) return true;
  return versionAtLeast(version, '6.13');
}

/**
 * bpf_skb_adjust_room's BPF_F_ADJ_ROOM_DECAP_L3_IPV4 / _IPV6 ("bpf: Add ipip6 and ip6ip decap support for
 * bpf_skb_adjust_room()", Ziyang Xuan, bpf-next in January 2023, so 6.3); before, they are unknown flags
 * (EINVAL). Bounded by source: 6.12.118 and 7.2 have them.
 */
export function adjustRoomDecapL3(version: string): boolean {
  return versionAtLeast(version, '6.3');
}

/**
 * bpf_skb_set_tunnel_key takes BPF_F_NO_TUNNEL_KEY since 6.3 (upstream "bpf: Add flag BPF_F_NO_TUNNEL_KEY to
 * bpf_skb_set_tunnel_key()"); before, the flag is EINVAL. Not measured on 6.1.
 */
export function tunnelKeyNoKeyFlag(version: string): boolean {
  return versionAtLeast(version, '6.3');
}

/**
 * kernel/bpf/lpm_trie.c trie_get_next_key: since 6.13 ("bpf: Fix exact match conditions in
 * trie_get_next_key()") the key's node must match all of its prefix; before, a node on the key's path with the
 * key's prefixlen was taken for it even when its data differed, and its successor returned. In the same series
 * as lpmUpdateHonoursFlags, with the same backport.
 */
export function lpmNextKeyExactMatch(version: string): boolean {
  return lpmUpdateHonoursFlags(version);
}

/**
 * sizeof(struct lpm_trie_node) before its data, which lpm_trie.c LPM_VAL_SIZE_MAX subtracts (with
 * LPM_DATA_SIZE_MAX) from KMALLOC_MAX_SIZE: 40 bytes while the node began with a struct rcu_head (kfree_rcu),
 * 24 since 6.14 ("bpf: Switch to bpf mem allocator for LPM trie": nodes freed through bpf_mem_cache_free_rcu).
 * Read from Debian's 6.12.118 source (rcu_head) and the 7.2 source (none); measured on 6.18.
 */
export function lpmNodeHeaderSize(version: string): number {
  return versionAtLeast(version, '6.14') ? 24 : 40;
}

/**
 * map_in_map.c bpf_map_meta_alloc: an inner map's template may hold a bpf_spin_lock since 6.2 (the lock became
 * a field of the map's btf_record, which the template duplicates); 6.1 refuses it, ENOTSUPP (measured in
 * bpfkit vm on Debian's 6.1; the 6.12.118 source duplicates the record).
 */
export function innerMapLocks(version: string): boolean {
  return versionAtLeast(version, '6.2');
}

/**
 * kernel/bpf/cpumap.c __cpu_map_entry_alloc: a CPUMAP update whose value names a program it cannot take (no
 * such fd, not XDP, not BPF_XDP_CPUMAP) answers that error (EBADF, EINVAL) since upstream "bpf: cpumap:
 * propagate underlying error in cpu_map_update_elem()", which 7.2's tree has; before, the entry's allocation
 * failed as a whole, ENOMEM (measured on 6.18). The first release with it is taken to be 6.19, not measured.
 */
export function cpumapEntryErrno(version: string): boolean {
  return versionAtLeast(version, '6.19');
}

/**
 * net/core/filter.c BPF_FIB_LOOKUP_MASK, the flags bpf_fib_lookup takes (others are EINVAL): BPF_FIB_LOOKUP_MARK
 * since 6.10 (upstream "bpf: Add support for mark with bpf_fib_lookup"); Debian 6.1's uapi lists DIRECT to SRC.
 * 6.18's mask measured; the others read from those sources, not measured.
 */
export function fibLookupFlagMask(version: string): number {
  return versionAtLeast(version, '6.10') ? 0x3f : 0x1f;
}
