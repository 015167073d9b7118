// Every helper prototype (struct bpf_func_proto) a modelled get_func_proto returns (program-types.ts; the
// struct_ops-only ones, such as net/ipv4/bpf_tcp_ca.c's bpf_tcp_send_ack_proto, are left out with struct_ops), by
// the kernel's variable name, with the file that defines it: its return type, argument types with their flags,
// gpl_only, pkt_access, might_sleep, allow_fastcall, the sizes (MEM_FIXED_SIZE) and BTF types (ARG_PTR_TO_BTF_ID...)
// the kernel fixes, and its `allowed` callback. Read from Linux 7.2's sources (net/core/filter.c,
// net/core/sock_map.c, kernel/trace/bpf_trace.c, kernel/bpf/*.c); the files that tree lacks
// (net/core/bpf_sk_storage.c, drivers/media/rc/bpf-lirc.c) from Debian's 6.12.118. Where 6.12's prototype
// differs, `protoBefore613` holds it (kernel-version.ts helperProtoFlags613 says which a version gets).
// BTF ids are the kernel's BTF_ID lists resolved to their type names (btf_sock_ids[BTF_SOCK_TYPE_TCP] is
// tcp_sock); BPF_PTR_POISON is the kernel's "decided at the call" marker (bpf_spin_lock, bpf_kptr_xchg).
import { ArgType as A, RetType as R, TypeFlag as F } from './types.js';

export interface HelperProto {
  /** The kernel's variable name, e.g. `bpf_map_lookup_elem_proto`. */
  readonly name: string;
  /** enum bpf_func_id. */
  readonly id: number;
  /** enum bpf_return_type with flags. */
  readonly ret: number;
  /** enum bpf_arg_type with flags, arg1 first; the kernel's ARG_DONTCARE tail is left off. */
  readonly args: readonly number[];
  readonly gplOnly: boolean;
  readonly pktAccess: boolean;
  readonly mightSleep: boolean;
  readonly allowFastcall: boolean;
  /** argN_size where the kernel fixes it (MEM_FIXED_SIZE arguments), by argument index. */
  readonly argSize?: readonly (number | undefined)[];
  /** argN_btf_id as the struct's name (or 'BPF_PTR_POISON'), by argument index. */
  readonly argBtf?: readonly (string | undefined)[];
  /** ret_btf_id as the struct's name. */
  readonly retBtf?: string;
  /** The name of the proto's `allowed` callback (fn->allowed), when it has one. */
  readonly allowed?: string;
}

interface Opts {
  gplOnly?: boolean; pktAccess?: boolean; mightSleep?: boolean; allowFastcall?: boolean;
  argSize?: (number | undefined)[]; argBtf?: (string | undefined)[]; retBtf?: string; allowed?: string;
}

type Entry = Omit<HelperProto, 'name'>;
const p = (id: number, ret: number, args: number[], o: Opts = {}): Entry => ({
  id, ret, args, gplOnly: o.gplOnly ?? false, pktAccess: o.pktAccess ?? false, mightSleep: o.mightSleep ?? false,
  allowFastcall: o.allowFastcall ?? false,
  ...(o.argSize ? { argSize: o.argSize } : {}), ...(o.argBtf ? { argBtf: o.argBtf } : {}),
  ...(o.retBtf ? { retBtf: o.retBtf } : {}), ...(o.allowed ? { allowed: o.allowed } : {}),
});

const named = (table: Record<string, Entry>): ReadonlyMap<string, HelperProto> =>
  new Map(Object.entries(table).map(([name, e]) => [name, { name, ...e }]));

/** Every bpf_func_proto, by variable name (7.2's definition, or 6.12's for a file 7.2's tree lacks). */
export const protos: ReadonlyMap<string, HelperProto> = named({
  // drivers/media/rc/bpf-lirc.c (from 6.12: this file is not in the 7.2 tree read)
  rc_repeat_proto: p(77, R.RET_INTEGER, [A.ARG_PTR_TO_CTX], { gplOnly: true }),
  rc_keydown_proto: p(78, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_ANYTHING, A.ARG_ANYTHING], { gplOnly: true }),
  rc_pointer_rel_proto: p(92, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_ANYTHING], { gplOnly: true }),
  // kernel/bpf/bpf_cgrp_storage.c
  bpf_cgrp_storage_get_proto: p(210, R.RET_PTR_TO_MAP_VALUE_OR_NULL, [A.ARG_CONST_MAP_PTR, A.ARG_PTR_TO_BTF_ID_OR_NULL, A.ARG_PTR_TO_MAP_VALUE_OR_NULL, A.ARG_ANYTHING], { argBtf: [undefined, 'cgroup'] }),
  bpf_cgrp_storage_delete_proto: p(211, R.RET_INTEGER, [A.ARG_CONST_MAP_PTR, A.ARG_PTR_TO_BTF_ID_OR_NULL], { argBtf: [undefined, 'cgroup'] }),
  // kernel/bpf/bpf_inode_storage.c
  bpf_inode_storage_get_proto: p(145, R.RET_PTR_TO_MAP_VALUE_OR_NULL, [A.ARG_CONST_MAP_PTR, A.ARG_PTR_TO_BTF_ID_OR_NULL, A.ARG_PTR_TO_MAP_VALUE_OR_NULL, A.ARG_ANYTHING], { argBtf: [undefined, 'inode'] }),
  bpf_inode_storage_delete_proto: p(146, R.RET_INTEGER, [A.ARG_CONST_MAP_PTR, A.ARG_PTR_TO_BTF_ID_OR_NULL], { argBtf: [undefined, 'inode'] }),
  // kernel/bpf/bpf_iter.c
  bpf_for_each_map_elem_proto: p(164, R.RET_INTEGER, [A.ARG_CONST_MAP_PTR, A.ARG_PTR_TO_FUNC, A.ARG_PTR_TO_STACK_OR_NULL, A.ARG_ANYTHING]),
  bpf_loop_proto: p(181, R.RET_INTEGER, [A.ARG_SCALAR, A.ARG_PTR_TO_FUNC, A.ARG_PTR_TO_STACK_OR_NULL, A.ARG_ANYTHING]),
  // kernel/bpf/bpf_lsm.c
  bpf_bprm_opts_set_proto: p(159, R.RET_INTEGER, [A.ARG_PTR_TO_BTF_ID, A.ARG_ANYTHING], { argBtf: ['linux_binprm'] }),
  bpf_ima_inode_hash_proto: p(161, R.RET_INTEGER, [A.ARG_PTR_TO_BTF_ID, A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE], { mightSleep: true, argBtf: ['inode'], allowed: 'bpf_ima_inode_hash_allowed' }),
  bpf_ima_file_hash_proto: p(193, R.RET_INTEGER, [A.ARG_PTR_TO_BTF_ID, A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE], { mightSleep: true, argBtf: ['file'], allowed: 'bpf_ima_inode_hash_allowed' }),
  bpf_get_attach_cookie_proto: p(174, R.RET_INTEGER, [A.ARG_PTR_TO_CTX]),
  // kernel/bpf/bpf_task_storage.c
  bpf_task_storage_get_proto: p(156, R.RET_PTR_TO_MAP_VALUE_OR_NULL, [A.ARG_CONST_MAP_PTR, A.ARG_PTR_TO_BTF_ID_OR_NULL, A.ARG_PTR_TO_MAP_VALUE_OR_NULL, A.ARG_ANYTHING], { argBtf: [undefined, 'task_struct'] }),
  bpf_task_storage_delete_proto: p(157, R.RET_INTEGER, [A.ARG_CONST_MAP_PTR, A.ARG_PTR_TO_BTF_ID_OR_NULL], { argBtf: [undefined, 'task_struct'] }),
  bpf_task_storage_get_recur_proto: p(156, R.RET_PTR_TO_MAP_VALUE_OR_NULL, [A.ARG_CONST_MAP_PTR, A.ARG_PTR_TO_BTF_ID_OR_NULL, A.ARG_PTR_TO_MAP_VALUE_OR_NULL, A.ARG_ANYTHING], { argBtf: [undefined, 'task_struct'] }),
  bpf_task_storage_delete_recur_proto: p(157, R.RET_INTEGER, [A.ARG_CONST_MAP_PTR, A.ARG_PTR_TO_BTF_ID_OR_NULL], { argBtf: [undefined, 'task_struct'] }),
  // kernel/bpf/btf.c
  bpf_btf_find_by_name_kind_proto: p(167, R.RET_INTEGER, [A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE, A.ARG_ANYTHING, A.ARG_ANYTHING], { mightSleep: true }),
  // kernel/bpf/cgroup.c
  bpf_get_local_storage_proto: p(81, R.RET_PTR_TO_MAP_VALUE, [A.ARG_CONST_MAP_PTR, A.ARG_ANYTHING]),
  bpf_get_retval_proto: p(186, R.RET_INTEGER, []),
  bpf_set_retval_proto: p(187, R.RET_INTEGER, [A.ARG_ANYTHING]),
  bpf_sysctl_get_name_proto: p(101, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_MEM | F.MEM_WRITE, A.ARG_CONST_SIZE, A.ARG_ANYTHING]),
  bpf_sysctl_get_current_value_proto: p(102, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE]),
  bpf_sysctl_get_new_value_proto: p(103, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE]),
  bpf_sysctl_set_new_value_proto: p(104, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE]),
  bpf_get_netns_cookie_sockopt_proto: p(122, R.RET_INTEGER, [A.ARG_PTR_TO_CTX_OR_NULL]),
  // kernel/bpf/core.c
  bpf_tail_call_proto: p(12, R.RET_VOID, [A.ARG_PTR_TO_CTX, A.ARG_CONST_MAP_PTR, A.ARG_ANYTHING]),
  // kernel/bpf/helpers.c
  bpf_map_lookup_elem_proto: p(1, R.RET_PTR_TO_MAP_VALUE_OR_NULL, [A.ARG_CONST_MAP_PTR, A.ARG_PTR_TO_MAP_KEY], { pktAccess: true }),
  bpf_map_update_elem_proto: p(2, R.RET_INTEGER, [A.ARG_CONST_MAP_PTR, A.ARG_PTR_TO_MAP_KEY, A.ARG_PTR_TO_MAP_VALUE, A.ARG_ANYTHING], { pktAccess: true }),
  bpf_map_delete_elem_proto: p(3, R.RET_INTEGER, [A.ARG_CONST_MAP_PTR, A.ARG_PTR_TO_MAP_KEY], { pktAccess: true }),
  bpf_map_push_elem_proto: p(87, R.RET_INTEGER, [A.ARG_CONST_MAP_PTR, A.ARG_PTR_TO_MAP_VALUE, A.ARG_ANYTHING], { pktAccess: true }),
  bpf_map_pop_elem_proto: p(88, R.RET_INTEGER, [A.ARG_CONST_MAP_PTR, A.ARG_PTR_TO_MAP_VALUE | F.MEM_UNINIT | F.MEM_WRITE]),
  bpf_map_peek_elem_proto: p(89, R.RET_INTEGER, [A.ARG_CONST_MAP_PTR, A.ARG_PTR_TO_MAP_VALUE | F.MEM_UNINIT | F.MEM_WRITE]),
  bpf_map_lookup_percpu_elem_proto: p(195, R.RET_PTR_TO_MAP_VALUE_OR_NULL, [A.ARG_CONST_MAP_PTR, A.ARG_PTR_TO_MAP_KEY, A.ARG_ANYTHING], { pktAccess: true }),
  bpf_get_prandom_u32_proto: p(7, R.RET_INTEGER, []),
  bpf_get_smp_processor_id_proto: p(8, R.RET_INTEGER, [], { allowFastcall: true }),
  bpf_get_numa_node_id_proto: p(42, R.RET_INTEGER, []),
  bpf_ktime_get_ns_proto: p(5, R.RET_INTEGER, []),
  bpf_ktime_get_boot_ns_proto: p(125, R.RET_INTEGER, []),
  bpf_ktime_get_coarse_ns_proto: p(160, R.RET_INTEGER, []),
  bpf_ktime_get_tai_ns_proto: p(208, R.RET_INTEGER, []),
  bpf_get_current_pid_tgid_proto: p(14, R.RET_INTEGER, []),
  bpf_get_current_uid_gid_proto: p(15, R.RET_INTEGER, []),
  bpf_get_current_comm_proto: p(16, R.RET_INTEGER, [A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE]),
  bpf_spin_lock_proto: p(93, R.RET_VOID, [A.ARG_PTR_TO_SPIN_LOCK], { argBtf: ['BPF_PTR_POISON'] }),
  bpf_spin_unlock_proto: p(94, R.RET_VOID, [A.ARG_PTR_TO_SPIN_LOCK], { argBtf: ['BPF_PTR_POISON'] }),
  bpf_jiffies64_proto: p(118, R.RET_INTEGER, []),
  bpf_get_current_cgroup_id_proto: p(80, R.RET_INTEGER, []),
  bpf_get_current_ancestor_cgroup_id_proto: p(123, R.RET_INTEGER, [A.ARG_ANYTHING]),
  bpf_strtol_proto: p(105, R.RET_INTEGER, [A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE, A.ARG_ANYTHING, A.ARG_PTR_TO_FIXED_SIZE_MEM | F.MEM_UNINIT | F.MEM_WRITE | F.MEM_ALIGNED], { argSize: [undefined, undefined, undefined, 8] }),
  bpf_strtoul_proto: p(106, R.RET_INTEGER, [A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE, A.ARG_ANYTHING, A.ARG_PTR_TO_FIXED_SIZE_MEM | F.MEM_UNINIT | F.MEM_WRITE | F.MEM_ALIGNED], { argSize: [undefined, undefined, undefined, 8] }),
  bpf_strncmp_proto: p(182, R.RET_INTEGER, [A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE, A.ARG_PTR_TO_CONST_STR]),
  bpf_get_ns_current_pid_tgid_proto: p(120, R.RET_INTEGER, [A.ARG_ANYTHING, A.ARG_ANYTHING, A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE]),
  bpf_get_raw_smp_processor_id_proto: p(8, R.RET_INTEGER, []),
  bpf_event_output_data_proto: p(25, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_CONST_MAP_PTR, A.ARG_ANYTHING, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO], { gplOnly: true }),
  bpf_copy_from_user_proto: p(148, R.RET_INTEGER, [A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING], { mightSleep: true }),
  bpf_copy_from_user_task_proto: p(191, R.RET_INTEGER, [A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING, A.ARG_PTR_TO_BTF_ID, A.ARG_ANYTHING], { gplOnly: true, mightSleep: true, argBtf: [undefined, undefined, undefined, 'task_struct'] }),
  bpf_per_cpu_ptr_proto: p(153, R.RET_PTR_TO_MEM_OR_BTF_ID | F.PTR_MAYBE_NULL | F.MEM_RDONLY, [A.ARG_PTR_TO_PERCPU_BTF_ID, A.ARG_ANYTHING]),
  bpf_this_cpu_ptr_proto: p(154, R.RET_PTR_TO_MEM_OR_BTF_ID | F.MEM_RDONLY, [A.ARG_PTR_TO_PERCPU_BTF_ID]),
  bpf_snprintf_proto: p(165, R.RET_INTEGER, [A.ARG_PTR_TO_MEM_OR_NULL | F.MEM_WRITE, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_PTR_TO_CONST_STR, A.ARG_PTR_TO_MEM | F.PTR_MAYBE_NULL | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO], { gplOnly: true }),
  bpf_timer_init_proto: p(169, R.RET_INTEGER, [A.ARG_PTR_TO_TIMER, A.ARG_CONST_MAP_PTR, A.ARG_ANYTHING], { gplOnly: true }),
  bpf_timer_set_callback_proto: p(170, R.RET_INTEGER, [A.ARG_PTR_TO_TIMER, A.ARG_PTR_TO_FUNC], { gplOnly: true }),
  bpf_timer_start_proto: p(171, R.RET_INTEGER, [A.ARG_PTR_TO_TIMER, A.ARG_ANYTHING, A.ARG_ANYTHING], { gplOnly: true }),
  bpf_timer_cancel_proto: p(172, R.RET_INTEGER, [A.ARG_PTR_TO_TIMER], { gplOnly: true }),
  bpf_kptr_xchg_proto: p(194, R.RET_PTR_TO_BTF_ID_OR_NULL, [A.ARG_KPTR_XCHG_DEST, A.ARG_PTR_TO_BTF_ID_OR_NULL | F.OBJ_RELEASE], { argBtf: [undefined, 'BPF_PTR_POISON'], retBtf: 'BPF_PTR_POISON' }),
  bpf_dynptr_from_mem_proto: p(197, R.RET_INTEGER, [A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING, A.ARG_PTR_TO_DYNPTR | F.DYNPTR_TYPE_LOCAL | F.MEM_UNINIT | F.MEM_WRITE]),
  bpf_dynptr_read_proto: p(201, R.RET_INTEGER, [A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_PTR_TO_DYNPTR, A.ARG_ANYTHING, A.ARG_ANYTHING]),
  bpf_dynptr_write_proto: p(202, R.RET_INTEGER, [A.ARG_PTR_TO_DYNPTR, A.ARG_ANYTHING, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING]),
  bpf_dynptr_data_proto: p(203, R.RET_PTR_TO_DYNPTR_MEM_OR_NULL, [A.ARG_PTR_TO_DYNPTR, A.ARG_ANYTHING, A.ARG_CONST_ALLOC_SIZE_OR_ZERO]),
  bpf_current_task_under_cgroup_proto: p(37, R.RET_INTEGER, [A.ARG_CONST_MAP_PTR, A.ARG_ANYTHING]),
  // kernel/bpf/ringbuf.c
  bpf_ringbuf_reserve_proto: p(131, R.RET_PTR_TO_RINGBUF_MEM_OR_NULL, [A.ARG_CONST_MAP_PTR, A.ARG_CONST_ALLOC_SIZE_OR_ZERO, A.ARG_ANYTHING]),
  bpf_ringbuf_submit_proto: p(132, R.RET_VOID, [A.ARG_PTR_TO_RINGBUF_MEM | F.OBJ_RELEASE, A.ARG_ANYTHING]),
  bpf_ringbuf_discard_proto: p(133, R.RET_VOID, [A.ARG_PTR_TO_RINGBUF_MEM | F.OBJ_RELEASE, A.ARG_ANYTHING]),
  bpf_ringbuf_output_proto: p(130, R.RET_INTEGER, [A.ARG_CONST_MAP_PTR, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING]),
  bpf_ringbuf_query_proto: p(134, R.RET_INTEGER, [A.ARG_CONST_MAP_PTR, A.ARG_ANYTHING]),
  bpf_ringbuf_reserve_dynptr_proto: p(198, R.RET_INTEGER, [A.ARG_CONST_MAP_PTR, A.ARG_ANYTHING, A.ARG_ANYTHING, A.ARG_PTR_TO_DYNPTR | F.DYNPTR_TYPE_RINGBUF | F.MEM_UNINIT | F.MEM_WRITE]),
  bpf_ringbuf_submit_dynptr_proto: p(199, R.RET_VOID, [A.ARG_PTR_TO_DYNPTR | F.DYNPTR_TYPE_RINGBUF | F.OBJ_RELEASE, A.ARG_ANYTHING]),
  bpf_ringbuf_discard_dynptr_proto: p(200, R.RET_VOID, [A.ARG_PTR_TO_DYNPTR | F.DYNPTR_TYPE_RINGBUF | F.OBJ_RELEASE, A.ARG_ANYTHING]),
  bpf_user_ringbuf_drain_proto: p(209, R.RET_INTEGER, [A.ARG_CONST_MAP_PTR, A.ARG_PTR_TO_FUNC, A.ARG_PTR_TO_STACK_OR_NULL, A.ARG_ANYTHING]),
  // kernel/bpf/stackmap.c
  bpf_get_stackid_proto: p(27, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_CONST_MAP_PTR, A.ARG_ANYTHING], { gplOnly: true }),
  bpf_get_stackid_proto_pe: p(27, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_CONST_MAP_PTR, A.ARG_ANYTHING]),
  bpf_get_stack_proto: p(67, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING], { gplOnly: true }),
  bpf_get_stack_sleepable_proto: p(67, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING], { gplOnly: true, mightSleep: true }),
  bpf_get_task_stack_proto: p(141, R.RET_INTEGER, [A.ARG_PTR_TO_BTF_ID, A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING], { argBtf: ['task_struct'] }),
  bpf_get_task_stack_sleepable_proto: p(141, R.RET_INTEGER, [A.ARG_PTR_TO_BTF_ID, A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING], { mightSleep: true, argBtf: ['task_struct'] }),
  bpf_get_stack_proto_pe: p(67, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING], { gplOnly: true }),
  // kernel/bpf/syscall.c
  bpf_sys_bpf_proto: p(166, R.RET_INTEGER, [A.ARG_ANYTHING, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE], { mightSleep: true }),
  bpf_sys_close_proto: p(168, R.RET_INTEGER, [A.ARG_ANYTHING], { mightSleep: true }),
  bpf_kallsyms_lookup_name_proto: p(179, R.RET_INTEGER, [A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING, A.ARG_PTR_TO_FIXED_SIZE_MEM | F.MEM_UNINIT | F.MEM_WRITE | F.MEM_ALIGNED], { argSize: [undefined, undefined, undefined, 8] }),
  // kernel/bpf/task_iter.c
  bpf_find_vma_proto: p(180, R.RET_INTEGER, [A.ARG_PTR_TO_BTF_ID, A.ARG_ANYTHING, A.ARG_PTR_TO_FUNC, A.ARG_PTR_TO_STACK_OR_NULL, A.ARG_ANYTHING], { argBtf: ['task_struct'] }),
  // kernel/trace/bpf_trace.c
  bpf_override_return_proto: p(58, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING], { gplOnly: true }),
  bpf_probe_read_user_proto: p(112, R.RET_INTEGER, [A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING], { gplOnly: true }),
  bpf_probe_read_user_str_proto: p(114, R.RET_INTEGER, [A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING], { gplOnly: true }),
  bpf_probe_read_kernel_proto: p(113, R.RET_INTEGER, [A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING], { gplOnly: true }),
  bpf_probe_read_kernel_str_proto: p(115, R.RET_INTEGER, [A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING], { gplOnly: true }),
  bpf_probe_read_compat_proto: p(4, R.RET_INTEGER, [A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING], { gplOnly: true }),
  bpf_probe_read_compat_str_proto: p(45, R.RET_INTEGER, [A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING], { gplOnly: true }),
  bpf_probe_write_user_proto: p(36, R.RET_INTEGER, [A.ARG_ANYTHING, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE], { gplOnly: true }),
  bpf_trace_printk_proto: p(6, R.RET_INTEGER, [A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE], { gplOnly: true }),
  bpf_trace_vprintk_proto: p(177, R.RET_INTEGER, [A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE, A.ARG_PTR_TO_MEM | F.PTR_MAYBE_NULL | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO], { gplOnly: true }),
  bpf_seq_printf_proto: p(126, R.RET_INTEGER, [A.ARG_PTR_TO_BTF_ID, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE, A.ARG_PTR_TO_MEM | F.PTR_MAYBE_NULL | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO], { gplOnly: true, argBtf: ['seq_file'] }),
  bpf_seq_write_proto: p(127, R.RET_INTEGER, [A.ARG_PTR_TO_BTF_ID, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO], { gplOnly: true, argBtf: ['seq_file'] }),
  bpf_seq_printf_btf_proto: p(150, R.RET_INTEGER, [A.ARG_PTR_TO_BTF_ID, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING], { gplOnly: true, argBtf: ['seq_file'] }),
  bpf_perf_event_read_proto: p(22, R.RET_INTEGER, [A.ARG_CONST_MAP_PTR, A.ARG_ANYTHING], { gplOnly: true }),
  bpf_perf_event_read_value_proto: p(55, R.RET_INTEGER, [A.ARG_CONST_MAP_PTR, A.ARG_ANYTHING, A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE], { gplOnly: true }),
  bpf_perf_event_output_proto: p(25, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_CONST_MAP_PTR, A.ARG_ANYTHING, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO], { gplOnly: true }),
  bpf_get_current_task_proto: p(35, R.RET_INTEGER, [], { gplOnly: true }),
  bpf_get_current_task_btf_proto: p(158, R.RET_PTR_TO_BTF_ID_TRUSTED, [], { gplOnly: true, retBtf: 'task_struct' }),
  bpf_task_pt_regs_proto: p(175, R.RET_PTR_TO_BTF_ID, [A.ARG_PTR_TO_BTF_ID], { gplOnly: true, argBtf: ['task_struct'], retBtf: 'pt_regs' }),
  bpf_send_signal_proto: p(109, R.RET_INTEGER, [A.ARG_ANYTHING]),
  bpf_send_signal_thread_proto: p(117, R.RET_INTEGER, [A.ARG_ANYTHING]),
  bpf_d_path_proto: p(147, R.RET_INTEGER, [A.ARG_PTR_TO_BTF_ID, A.ARG_PTR_TO_MEM | F.MEM_WRITE, A.ARG_CONST_SIZE_OR_ZERO], { argBtf: ['path'], allowed: 'bpf_d_path_allowed' }),
  bpf_snprintf_btf_proto: p(149, R.RET_INTEGER, [A.ARG_PTR_TO_MEM | F.MEM_WRITE, A.ARG_CONST_SIZE, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE, A.ARG_ANYTHING]),
  bpf_get_func_ip_proto_tracing: p(173, R.RET_INTEGER, [A.ARG_PTR_TO_CTX], { gplOnly: true }),
  bpf_get_func_ip_proto_kprobe: p(173, R.RET_INTEGER, [A.ARG_PTR_TO_CTX], { gplOnly: true }),
  bpf_get_func_ip_proto_kprobe_multi: p(173, R.RET_INTEGER, [A.ARG_PTR_TO_CTX]),
  bpf_get_attach_cookie_proto_kmulti: p(174, R.RET_INTEGER, [A.ARG_PTR_TO_CTX]),
  bpf_get_func_ip_proto_uprobe_multi: p(173, R.RET_INTEGER, [A.ARG_PTR_TO_CTX]),
  bpf_get_attach_cookie_proto_umulti: p(174, R.RET_INTEGER, [A.ARG_PTR_TO_CTX]),
  bpf_get_attach_cookie_proto_trace: p(174, R.RET_INTEGER, [A.ARG_PTR_TO_CTX]),
  bpf_get_attach_cookie_proto_pe: p(174, R.RET_INTEGER, [A.ARG_PTR_TO_CTX]),
  bpf_get_attach_cookie_proto_tracing: p(174, R.RET_INTEGER, [A.ARG_PTR_TO_CTX]),
  bpf_get_branch_snapshot_proto: p(176, R.RET_INTEGER, [A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE_OR_ZERO], { gplOnly: true }),
  bpf_get_func_arg_proto: p(183, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_PTR_TO_FIXED_SIZE_MEM | F.MEM_UNINIT | F.MEM_WRITE | F.MEM_ALIGNED], { argSize: [undefined, undefined, 8] }),
  bpf_get_func_ret_proto: p(184, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_FIXED_SIZE_MEM | F.MEM_UNINIT | F.MEM_WRITE | F.MEM_ALIGNED], { argSize: [undefined, 8] }),
  bpf_get_func_arg_cnt_proto: p(185, R.RET_INTEGER, [A.ARG_PTR_TO_CTX]),
  bpf_perf_event_output_proto_tp: p(25, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_CONST_MAP_PTR, A.ARG_ANYTHING, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO], { gplOnly: true }),
  bpf_get_stackid_proto_tp: p(27, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_CONST_MAP_PTR, A.ARG_ANYTHING], { gplOnly: true }),
  bpf_get_stack_proto_tp: p(67, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING], { gplOnly: true }),
  bpf_perf_prog_read_value_proto: p(56, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE], { gplOnly: true }),
  bpf_read_branch_records_proto: p(119, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_MEM_OR_NULL | F.MEM_WRITE, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING], { gplOnly: true }),
  bpf_perf_event_output_proto_raw_tp: p(25, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_CONST_MAP_PTR, A.ARG_ANYTHING, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO], { gplOnly: true }),
  bpf_get_stackid_proto_raw_tp: p(27, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_CONST_MAP_PTR, A.ARG_ANYTHING], { gplOnly: true }),
  bpf_get_stack_proto_raw_tp: p(67, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING], { gplOnly: true }),
  // net/core/bpf_sk_storage.c (from 6.12: this file is not in the 7.2 tree read)
  bpf_sk_storage_get_proto: p(107, R.RET_PTR_TO_MAP_VALUE_OR_NULL, [A.ARG_CONST_MAP_PTR, A.ARG_PTR_TO_BTF_ID_SOCK_COMMON, A.ARG_PTR_TO_MAP_VALUE_OR_NULL, A.ARG_ANYTHING]),
  bpf_sk_storage_get_cg_sock_proto: p(107, R.RET_PTR_TO_MAP_VALUE_OR_NULL, [A.ARG_CONST_MAP_PTR, A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_MAP_VALUE_OR_NULL, A.ARG_ANYTHING]),
  bpf_sk_storage_delete_proto: p(108, R.RET_INTEGER, [A.ARG_CONST_MAP_PTR, A.ARG_PTR_TO_BTF_ID_SOCK_COMMON]),
  bpf_sk_storage_get_tracing_proto: p(107, R.RET_PTR_TO_MAP_VALUE_OR_NULL, [A.ARG_CONST_MAP_PTR, A.ARG_PTR_TO_BTF_ID_OR_NULL, A.ARG_PTR_TO_MAP_VALUE_OR_NULL, A.ARG_ANYTHING], { argBtf: [undefined, 'sock_common'], allowed: 'bpf_sk_storage_tracing_allowed' }),
  bpf_sk_storage_delete_tracing_proto: p(108, R.RET_INTEGER, [A.ARG_CONST_MAP_PTR, A.ARG_PTR_TO_BTF_ID_OR_NULL], { argBtf: [undefined, 'sock_common'], allowed: 'bpf_sk_storage_tracing_allowed' }),
  // net/core/filter.c
  bpf_skb_store_bytes_proto: p(9, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE, A.ARG_ANYTHING]),
  bpf_skb_load_bytes_proto: p(26, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE]),
  bpf_flow_dissector_load_bytes_proto: p(26, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE]),
  bpf_skb_load_bytes_relative_proto: p(68, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE, A.ARG_ANYTHING]),
  bpf_skb_pull_data_proto: p(39, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING]),
  bpf_sk_fullsock_proto: p(95, R.RET_PTR_TO_SOCKET_OR_NULL, [A.ARG_PTR_TO_SOCK_COMMON]),
  sk_skb_pull_data_proto: p(39, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING]),
  bpf_l3_csum_replace_proto: p(10, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_ANYTHING, A.ARG_ANYTHING, A.ARG_ANYTHING]),
  bpf_l4_csum_replace_proto: p(11, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_ANYTHING, A.ARG_ANYTHING, A.ARG_ANYTHING]),
  bpf_csum_diff_proto: p(28, R.RET_INTEGER, [A.ARG_PTR_TO_MEM | F.PTR_MAYBE_NULL | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_PTR_TO_MEM | F.PTR_MAYBE_NULL | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING], { pktAccess: true }),
  bpf_csum_update_proto: p(40, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING]),
  bpf_csum_level_proto: p(135, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING]),
  bpf_clone_redirect_proto: p(13, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_ANYTHING]),
  bpf_redirect_proto: p(23, R.RET_INTEGER, [A.ARG_ANYTHING, A.ARG_ANYTHING]),
  bpf_redirect_peer_proto: p(155, R.RET_INTEGER, [A.ARG_ANYTHING, A.ARG_ANYTHING]),
  bpf_redirect_neigh_proto: p(152, R.RET_INTEGER, [A.ARG_ANYTHING, A.ARG_PTR_TO_MEM | F.PTR_MAYBE_NULL | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING]),
  bpf_msg_apply_bytes_proto: p(61, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING]),
  bpf_msg_cork_bytes_proto: p(62, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING]),
  bpf_msg_pull_data_proto: p(63, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_ANYTHING, A.ARG_ANYTHING]),
  bpf_msg_push_data_proto: p(90, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_ANYTHING, A.ARG_ANYTHING]),
  bpf_msg_pop_data_proto: p(91, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_ANYTHING, A.ARG_ANYTHING]),
  bpf_get_cgroup_classid_curr_proto: p(17, R.RET_INTEGER, []),
  bpf_skb_cgroup_classid_proto: p(151, R.RET_INTEGER, [A.ARG_PTR_TO_CTX]),
  bpf_get_cgroup_classid_proto: p(17, R.RET_INTEGER, [A.ARG_PTR_TO_CTX]),
  bpf_get_route_realm_proto: p(24, R.RET_INTEGER, [A.ARG_PTR_TO_CTX]),
  bpf_get_hash_recalc_proto: p(34, R.RET_INTEGER, [A.ARG_PTR_TO_CTX]),
  bpf_set_hash_invalid_proto: p(41, R.RET_INTEGER, [A.ARG_PTR_TO_CTX]),
  bpf_set_hash_proto: p(48, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING]),
  bpf_skb_vlan_push_proto: p(18, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_ANYTHING]),
  bpf_skb_vlan_pop_proto: p(19, R.RET_INTEGER, [A.ARG_PTR_TO_CTX]),
  bpf_skb_change_proto_proto: p(31, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_ANYTHING]),
  bpf_skb_change_type_proto: p(32, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING]),
  sk_skb_adjust_room_proto: p(50, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_ANYTHING, A.ARG_ANYTHING]),
  bpf_skb_adjust_room_proto: p(50, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_ANYTHING, A.ARG_ANYTHING]),
  bpf_skb_change_tail_proto: p(38, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_ANYTHING]),
  sk_skb_change_tail_proto: p(38, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_ANYTHING]),
  bpf_skb_change_head_proto: p(43, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_ANYTHING]),
  sk_skb_change_head_proto: p(43, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_ANYTHING]),
  bpf_xdp_get_buff_len_proto: p(188, R.RET_INTEGER, [A.ARG_PTR_TO_CTX]),
  bpf_xdp_get_buff_len_trace_proto: p(188, R.RET_INTEGER, [A.ARG_PTR_TO_BTF_ID], { argBtf: ['xdp_buff'] }),
  bpf_xdp_adjust_head_proto: p(44, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING]),
  bpf_xdp_load_bytes_proto: p(189, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE]),
  bpf_xdp_store_bytes_proto: p(190, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE]),
  bpf_xdp_adjust_tail_proto: p(65, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING]),
  bpf_xdp_adjust_meta_proto: p(54, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING]),
  bpf_xdp_redirect_proto: p(23, R.RET_INTEGER, [A.ARG_ANYTHING, A.ARG_ANYTHING]),
  bpf_xdp_redirect_map_proto: p(51, R.RET_INTEGER, [A.ARG_CONST_MAP_PTR, A.ARG_ANYTHING, A.ARG_ANYTHING]),
  bpf_skb_event_output_proto: p(25, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_CONST_MAP_PTR, A.ARG_ANYTHING, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO], { gplOnly: true }),
  bpf_skb_output_proto: p(111, R.RET_INTEGER, [A.ARG_PTR_TO_BTF_ID, A.ARG_CONST_MAP_PTR, A.ARG_ANYTHING, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO], { gplOnly: true, argBtf: ['sk_buff'] }),
  bpf_skb_get_tunnel_key_proto: p(20, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE, A.ARG_ANYTHING]),
  bpf_skb_get_tunnel_opt_proto: p(29, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE]),
  bpf_skb_set_tunnel_key_proto: p(21, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE, A.ARG_ANYTHING]),
  bpf_skb_set_tunnel_opt_proto: p(30, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE]),
  bpf_skb_under_cgroup_proto: p(33, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_CONST_MAP_PTR, A.ARG_ANYTHING]),
  bpf_skb_cgroup_id_proto: p(79, R.RET_INTEGER, [A.ARG_PTR_TO_CTX]),
  bpf_skb_ancestor_cgroup_id_proto: p(83, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING]),
  bpf_sk_cgroup_id_proto: p(128, R.RET_INTEGER, [A.ARG_PTR_TO_BTF_ID_SOCK_COMMON]),
  bpf_sk_ancestor_cgroup_id_proto: p(129, R.RET_INTEGER, [A.ARG_PTR_TO_BTF_ID_SOCK_COMMON, A.ARG_ANYTHING]),
  bpf_xdp_event_output_proto: p(25, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_CONST_MAP_PTR, A.ARG_ANYTHING, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO], { gplOnly: true }),
  bpf_xdp_output_proto: p(121, R.RET_INTEGER, [A.ARG_PTR_TO_BTF_ID, A.ARG_CONST_MAP_PTR, A.ARG_ANYTHING, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO], { gplOnly: true, argBtf: ['xdp_buff'] }),
  bpf_get_socket_cookie_proto: p(46, R.RET_INTEGER, [A.ARG_PTR_TO_CTX]),
  bpf_get_socket_cookie_sock_addr_proto: p(46, R.RET_INTEGER, [A.ARG_PTR_TO_CTX]),
  bpf_get_socket_cookie_sock_proto: p(46, R.RET_INTEGER, [A.ARG_PTR_TO_CTX]),
  bpf_get_socket_ptr_cookie_proto: p(46, R.RET_INTEGER, [A.ARG_PTR_TO_BTF_ID_SOCK_COMMON | F.PTR_MAYBE_NULL]),
  bpf_get_socket_cookie_sock_ops_proto: p(46, R.RET_INTEGER, [A.ARG_PTR_TO_CTX]),
  bpf_get_netns_cookie_proto: p(122, R.RET_INTEGER, [A.ARG_PTR_TO_CTX_OR_NULL]),
  bpf_get_netns_cookie_sock_proto: p(122, R.RET_INTEGER, [A.ARG_PTR_TO_CTX_OR_NULL]),
  bpf_get_netns_cookie_sock_addr_proto: p(122, R.RET_INTEGER, [A.ARG_PTR_TO_CTX_OR_NULL]),
  bpf_get_netns_cookie_sock_ops_proto: p(122, R.RET_INTEGER, [A.ARG_PTR_TO_CTX_OR_NULL]),
  bpf_get_netns_cookie_sk_msg_proto: p(122, R.RET_INTEGER, [A.ARG_PTR_TO_CTX_OR_NULL]),
  bpf_get_socket_uid_proto: p(47, R.RET_INTEGER, [A.ARG_PTR_TO_CTX]),
  bpf_sk_setsockopt_proto: p(49, R.RET_INTEGER, [A.ARG_PTR_TO_BTF_ID_SOCK_COMMON, A.ARG_ANYTHING, A.ARG_ANYTHING, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE]),
  bpf_sk_getsockopt_proto: p(57, R.RET_INTEGER, [A.ARG_PTR_TO_BTF_ID_SOCK_COMMON, A.ARG_ANYTHING, A.ARG_ANYTHING, A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE]),
  bpf_unlocked_sk_setsockopt_proto: p(49, R.RET_INTEGER, [A.ARG_PTR_TO_BTF_ID_SOCK_COMMON, A.ARG_ANYTHING, A.ARG_ANYTHING, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE]),
  bpf_unlocked_sk_getsockopt_proto: p(57, R.RET_INTEGER, [A.ARG_PTR_TO_BTF_ID_SOCK_COMMON, A.ARG_ANYTHING, A.ARG_ANYTHING, A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE]),
  bpf_sock_addr_setsockopt_proto: p(49, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_ANYTHING, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE]),
  bpf_sock_addr_getsockopt_proto: p(57, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_ANYTHING, A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE]),
  bpf_sock_create_setsockopt_proto: p(49, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_ANYTHING, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE]),
  bpf_sock_create_getsockopt_proto: p(57, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_ANYTHING, A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE]),
  bpf_sock_ops_setsockopt_proto: p(49, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_ANYTHING, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE]),
  bpf_sock_ops_getsockopt_proto: p(57, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_ANYTHING, A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE]),
  bpf_sock_ops_cb_flags_set_proto: p(59, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING]),
  bpf_bind_proto: p(64, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE]),
  bpf_skb_get_xfrm_state_proto: p(66, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE, A.ARG_ANYTHING]),
  bpf_xdp_fib_lookup_proto: p(69, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_MEM | F.MEM_WRITE, A.ARG_CONST_SIZE, A.ARG_ANYTHING], { gplOnly: true }),
  bpf_skb_fib_lookup_proto: p(69, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_MEM | F.MEM_WRITE, A.ARG_CONST_SIZE, A.ARG_ANYTHING], { gplOnly: true }),
  bpf_skb_check_mtu_proto: p(163, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_PTR_TO_FIXED_SIZE_MEM | F.MEM_WRITE | F.MEM_ALIGNED, A.ARG_ANYTHING, A.ARG_ANYTHING], { gplOnly: true, argSize: [undefined, undefined, 4] }),
  bpf_xdp_check_mtu_proto: p(163, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_PTR_TO_FIXED_SIZE_MEM | F.MEM_WRITE | F.MEM_ALIGNED, A.ARG_ANYTHING, A.ARG_ANYTHING], { gplOnly: true, argSize: [undefined, undefined, 4] }),
  bpf_lwt_in_push_encap_proto: p(73, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE]),
  bpf_lwt_xmit_push_encap_proto: p(73, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE]),
  bpf_lwt_seg6_store_bytes_proto: p(74, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE]),
  bpf_lwt_seg6_action_proto: p(76, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE]),
  bpf_lwt_seg6_adjust_srh_proto: p(75, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_ANYTHING]),
  bpf_skc_lookup_tcp_proto: p(99, R.RET_PTR_TO_SOCK_COMMON_OR_NULL, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING, A.ARG_ANYTHING], { pktAccess: true }),
  bpf_sk_lookup_tcp_proto: p(84, R.RET_PTR_TO_SOCKET_OR_NULL, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING, A.ARG_ANYTHING], { pktAccess: true }),
  bpf_sk_lookup_udp_proto: p(85, R.RET_PTR_TO_SOCKET_OR_NULL, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING, A.ARG_ANYTHING], { pktAccess: true }),
  bpf_tc_skc_lookup_tcp_proto: p(99, R.RET_PTR_TO_SOCK_COMMON_OR_NULL, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING, A.ARG_ANYTHING], { pktAccess: true }),
  bpf_tc_sk_lookup_tcp_proto: p(84, R.RET_PTR_TO_SOCKET_OR_NULL, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING, A.ARG_ANYTHING], { pktAccess: true }),
  bpf_tc_sk_lookup_udp_proto: p(85, R.RET_PTR_TO_SOCKET_OR_NULL, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING, A.ARG_ANYTHING], { pktAccess: true }),
  bpf_sk_release_proto: p(86, R.RET_INTEGER, [A.ARG_PTR_TO_BTF_ID_SOCK_COMMON | F.OBJ_RELEASE]),
  bpf_xdp_sk_lookup_udp_proto: p(85, R.RET_PTR_TO_SOCKET_OR_NULL, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING, A.ARG_ANYTHING], { pktAccess: true }),
  bpf_xdp_skc_lookup_tcp_proto: p(99, R.RET_PTR_TO_SOCK_COMMON_OR_NULL, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING, A.ARG_ANYTHING], { pktAccess: true }),
  bpf_xdp_sk_lookup_tcp_proto: p(84, R.RET_PTR_TO_SOCKET_OR_NULL, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING, A.ARG_ANYTHING], { pktAccess: true }),
  bpf_sock_addr_skc_lookup_tcp_proto: p(99, R.RET_PTR_TO_SOCK_COMMON_OR_NULL, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING, A.ARG_ANYTHING]),
  bpf_sock_addr_sk_lookup_tcp_proto: p(84, R.RET_PTR_TO_SOCKET_OR_NULL, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING, A.ARG_ANYTHING]),
  bpf_sock_addr_sk_lookup_udp_proto: p(85, R.RET_PTR_TO_SOCKET_OR_NULL, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING, A.ARG_ANYTHING]),
  bpf_tcp_sock_proto: p(96, R.RET_PTR_TO_TCP_SOCK_OR_NULL, [A.ARG_PTR_TO_SOCK_COMMON]),
  bpf_get_listener_sock_proto: p(98, R.RET_PTR_TO_SOCKET_OR_NULL, [A.ARG_PTR_TO_SOCK_COMMON]),
  bpf_skb_ecn_set_ce_proto: p(97, R.RET_INTEGER, [A.ARG_PTR_TO_CTX]),
  bpf_tcp_check_syncookie_proto: p(100, R.RET_INTEGER, [A.ARG_PTR_TO_BTF_ID_SOCK_COMMON, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE], { gplOnly: true, pktAccess: true }),
  bpf_tcp_gen_syncookie_proto: p(110, R.RET_INTEGER, [A.ARG_PTR_TO_BTF_ID_SOCK_COMMON, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE], { gplOnly: true, pktAccess: true }),
  bpf_sk_assign_proto: p(124, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_BTF_ID_SOCK_COMMON, A.ARG_ANYTHING]),
  bpf_sock_ops_load_hdr_opt_proto: p(142, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_MEM | F.MEM_WRITE, A.ARG_CONST_SIZE, A.ARG_ANYTHING]),
  bpf_sock_ops_store_hdr_opt_proto: p(143, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE, A.ARG_ANYTHING]),
  bpf_sock_ops_reserve_hdr_opt_proto: p(144, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_ANYTHING]),
  bpf_skb_set_tstamp_proto: p(192, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_ANYTHING]),
  bpf_tcp_raw_gen_syncookie_ipv4_proto: p(204, R.RET_INTEGER, [A.ARG_PTR_TO_FIXED_SIZE_MEM | F.MEM_RDONLY, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO], { gplOnly: true, pktAccess: true, argSize: [20] }),
  bpf_tcp_raw_gen_syncookie_ipv6_proto: p(205, R.RET_INTEGER, [A.ARG_PTR_TO_FIXED_SIZE_MEM | F.MEM_RDONLY, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO], { gplOnly: true, pktAccess: true, argSize: [40] }),
  bpf_tcp_raw_check_syncookie_ipv4_proto: p(206, R.RET_INTEGER, [A.ARG_PTR_TO_FIXED_SIZE_MEM | F.MEM_RDONLY, A.ARG_PTR_TO_FIXED_SIZE_MEM | F.MEM_RDONLY], { gplOnly: true, pktAccess: true, argSize: [20, 20] }),
  bpf_tcp_raw_check_syncookie_ipv6_proto: p(207, R.RET_INTEGER, [A.ARG_PTR_TO_FIXED_SIZE_MEM | F.MEM_RDONLY, A.ARG_PTR_TO_FIXED_SIZE_MEM | F.MEM_RDONLY], { gplOnly: true, pktAccess: true, argSize: [40, 20] }),
  sk_select_reuseport_proto: p(82, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_CONST_MAP_PTR, A.ARG_PTR_TO_MAP_KEY, A.ARG_ANYTHING]),
  sk_reuseport_load_bytes_proto: p(26, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE]),
  sk_reuseport_load_bytes_relative_proto: p(68, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_ANYTHING, A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE, A.ARG_ANYTHING]),
  bpf_sk_lookup_assign_proto: p(124, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_SOCKET_OR_NULL, A.ARG_ANYTHING]),
  bpf_skc_to_tcp6_sock_proto: p(136, R.RET_PTR_TO_BTF_ID_OR_NULL, [A.ARG_PTR_TO_BTF_ID_SOCK_COMMON], { retBtf: 'tcp6_sock' }),
  bpf_skc_to_tcp_sock_proto: p(137, R.RET_PTR_TO_BTF_ID_OR_NULL, [A.ARG_PTR_TO_BTF_ID_SOCK_COMMON], { retBtf: 'tcp_sock' }),
  bpf_skc_to_tcp_timewait_sock_proto: p(138, R.RET_PTR_TO_BTF_ID_OR_NULL, [A.ARG_PTR_TO_BTF_ID_SOCK_COMMON], { retBtf: 'tcp_timewait_sock' }),
  bpf_skc_to_tcp_request_sock_proto: p(139, R.RET_PTR_TO_BTF_ID_OR_NULL, [A.ARG_PTR_TO_BTF_ID_SOCK_COMMON], { retBtf: 'tcp_request_sock' }),
  bpf_skc_to_udp6_sock_proto: p(140, R.RET_PTR_TO_BTF_ID_OR_NULL, [A.ARG_PTR_TO_BTF_ID_SOCK_COMMON], { retBtf: 'udp6_sock' }),
  bpf_skc_to_unix_sock_proto: p(178, R.RET_PTR_TO_BTF_ID_OR_NULL, [A.ARG_PTR_TO_BTF_ID_SOCK_COMMON], { retBtf: 'unix_sock' }),
  bpf_skc_to_mptcp_sock_proto: p(196, R.RET_PTR_TO_BTF_ID_OR_NULL, [A.ARG_PTR_TO_SOCK_COMMON], { retBtf: 'mptcp_sock' }),
  bpf_sock_from_file_proto: p(162, R.RET_PTR_TO_BTF_ID_OR_NULL, [A.ARG_PTR_TO_BTF_ID], { argBtf: ['file'], retBtf: 'socket' }),
  // net/core/sock_map.c
  bpf_sock_map_update_proto: p(53, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_CONST_MAP_PTR, A.ARG_PTR_TO_MAP_KEY, A.ARG_ANYTHING], { pktAccess: true }),
  bpf_sk_redirect_map_proto: p(52, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_CONST_MAP_PTR, A.ARG_ANYTHING, A.ARG_ANYTHING]),
  bpf_msg_redirect_map_proto: p(60, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_CONST_MAP_PTR, A.ARG_ANYTHING, A.ARG_ANYTHING]),
  bpf_sock_hash_update_proto: p(70, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_CONST_MAP_PTR, A.ARG_PTR_TO_MAP_KEY, A.ARG_ANYTHING], { pktAccess: true }),
  bpf_sk_redirect_hash_proto: p(72, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_CONST_MAP_PTR, A.ARG_PTR_TO_MAP_KEY, A.ARG_ANYTHING]),
  bpf_msg_redirect_hash_proto: p(71, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_CONST_MAP_PTR, A.ARG_PTR_TO_MAP_KEY, A.ARG_ANYTHING]),
});

/**
 * The prototypes whose flags differ in 6.12 (Debian's 6.12.118): MEM_WRITE on written memory (d_path,
 * fib_lookup, snprintf, snprintf_btf, sysctl_get_name, read_branch_records), MEM_RDONLY on read-only memory
 * (kallsyms_lookup_name, the tcp_raw syncookie helpers) and on the dynptr of dynptr_read/write/data (7.2:
 * any dynptr), get_stack in raw tracepoints writing its buffer (ARG_PTR_TO_UNINIT_MEM).
 */
export const protoBefore613: ReadonlyMap<string, HelperProto> = named({
  bpf_sysctl_get_name_proto: p(101, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_MEM, A.ARG_CONST_SIZE, A.ARG_ANYTHING]),
  bpf_snprintf_proto: p(165, R.RET_INTEGER, [A.ARG_PTR_TO_MEM_OR_NULL, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_PTR_TO_CONST_STR, A.ARG_PTR_TO_MEM | F.PTR_MAYBE_NULL | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO], { gplOnly: true }),
  bpf_dynptr_read_proto: p(201, R.RET_INTEGER, [A.ARG_PTR_TO_UNINIT_MEM, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_PTR_TO_DYNPTR | F.MEM_RDONLY, A.ARG_ANYTHING, A.ARG_ANYTHING]),
  bpf_dynptr_write_proto: p(202, R.RET_INTEGER, [A.ARG_PTR_TO_DYNPTR | F.MEM_RDONLY, A.ARG_ANYTHING, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING]),
  bpf_dynptr_data_proto: p(203, R.RET_PTR_TO_DYNPTR_MEM_OR_NULL, [A.ARG_PTR_TO_DYNPTR | F.MEM_RDONLY, A.ARG_ANYTHING, A.ARG_CONST_ALLOC_SIZE_OR_ZERO]),
  bpf_kallsyms_lookup_name_proto: p(179, R.RET_INTEGER, [A.ARG_PTR_TO_MEM, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING, A.ARG_PTR_TO_FIXED_SIZE_MEM | F.MEM_UNINIT | F.MEM_WRITE | F.MEM_ALIGNED], { argSize: [undefined, undefined, undefined, 8] }),
  bpf_d_path_proto: p(147, R.RET_INTEGER, [A.ARG_PTR_TO_BTF_ID, A.ARG_PTR_TO_MEM, A.ARG_CONST_SIZE_OR_ZERO], { argBtf: ['path'], allowed: 'bpf_d_path_allowed' }),
  bpf_snprintf_btf_proto: p(149, R.RET_INTEGER, [A.ARG_PTR_TO_MEM, A.ARG_CONST_SIZE, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE, A.ARG_ANYTHING]),
  bpf_read_branch_records_proto: p(119, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_MEM_OR_NULL, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING], { gplOnly: true }),
  bpf_get_stack_proto_raw_tp: p(67, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_MEM | F.MEM_RDONLY, A.ARG_CONST_SIZE_OR_ZERO, A.ARG_ANYTHING], { gplOnly: true }),
  bpf_xdp_fib_lookup_proto: p(69, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_MEM, A.ARG_CONST_SIZE, A.ARG_ANYTHING], { gplOnly: true }),
  bpf_skb_fib_lookup_proto: p(69, R.RET_INTEGER, [A.ARG_PTR_TO_CTX, A.ARG_PTR_TO_MEM, A.ARG_CONST_SIZE, A.ARG_ANYTHING], { gplOnly: true }),
  bpf_tcp_raw_gen_syncookie_ipv4_proto: p(204, R.RET_INTEGER, [A.ARG_PTR_TO_FIXED_SIZE_MEM, A.ARG_PTR_TO_MEM, A.ARG_CONST_SIZE_OR_ZERO], { gplOnly: true, pktAccess: true, argSize: [20] }),
  bpf_tcp_raw_gen_syncookie_ipv6_proto: p(205, R.RET_INTEGER, [A.ARG_PTR_TO_FIXED_SIZE_MEM, A.ARG_PTR_TO_MEM, A.ARG_CONST_SIZE_OR_ZERO], { gplOnly: true, pktAccess: true, argSize: [40] }),
  bpf_tcp_raw_check_syncookie_ipv4_proto: p(206, R.RET_INTEGER, [A.ARG_PTR_TO_FIXED_SIZE_MEM, A.ARG_PTR_TO_FIXED_SIZE_MEM], { gplOnly: true, pktAccess: true, argSize: [20, 20] }),
  bpf_tcp_raw_check_syncookie_ipv6_proto: p(207, R.RET_INTEGER, [A.ARG_PTR_TO_FIXED_SIZE_MEM, A.ARG_PTR_TO_FIXED_SIZE_MEM], { gplOnly: true, pktAccess: true, argSize: [40, 20] }),
});

/** bpf_loop as it was before nr_loops became ARG_SCALAR (kernel-version.ts loopCountIsScalar). */
export const loopProtoAnything: HelperProto = {
  ...protos.get('bpf_loop_proto')!, args: [A.ARG_ANYTHING, A.ARG_PTR_TO_FUNC, A.ARG_PTR_TO_STACK_OR_NULL, A.ARG_ANYTHING],
};
