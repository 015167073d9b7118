// Which bpf_func_proto a program gets for a helper id: each program type's get_func_proto (struct
// bpf_verifier_ops) with its fallbacks, written from the kernel's switch statements. A function returns the
// prototype's variable name (protos.ts) or undefined (NULL: "program of this type cannot use helper").
// Capabilities are root's (bpf_token_capable true for CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN); the kernel's
// config and lockdown come in a HostConfig. Version boundaries are kernel-version.ts's.
//
// Sources (7.2; where 6.12 differs, the older rule is kept behind its version):
//   net/core/filter.c         sk_filter, tc_cls_act, xdp, cg_skb, lwt_*, sock_filter, sock_addr, sock_ops,
//                             sk_msg, sk_skb, flow_dissector, sk_reuseport, sk_lookup, bpf_sk_base_func_proto
//   kernel/trace/bpf_trace.c  bpf_tracing_func_proto, kprobe, tp, pe, raw_tp, tracing_prog_func_proto
//   kernel/bpf/helpers.c      bpf_base_func_proto
//   kernel/bpf/cgroup.c       cgroup_common (and 6.12's cgroup_current), cgroup_dev, sysctl, cg_sockopt
//   kernel/bpf/syscall.c      syscall_prog_func_proto;  kernel/bpf/bpf_lsm.c bpf_lsm_func_proto
//   drivers/media/rc/bpf-lirc.c lirc_mode2_func_proto;   net/netfilter/nf_bpf_link.c bpf_nf_func_proto
import { helperNames } from '../../../uapi/helpers.js';
import { AttachType as AT, KernelProgramType as PT } from '../../../uapi/program-type.js';
import {
  getFuncArgInRawTp, helpersInBaseFuncProto, netnsCookieInSkFilterAndTc, sockCreateSockopt, stableSockoptAndPullDataFixes,
} from '../../kernel-version.js';

/** The kernel's build and lockdown, as far as get_func_proto looks at them. */
export interface HostConfig {
  /** security_locked_down(): 'integrity' refuses LOCKDOWN_BPF_WRITE_USER, 'confidentiality' also LOCKDOWN_BPF_READ_KERNEL. */
  lockdown: 'none' | 'integrity' | 'confidentiality';
  /** CONFIG_BPF_KPROBE_OVERRIDE: bpf_override_return in kprobes. */
  kprobeOverride: boolean;
  /** CONFIG_IPV6_SEG6_BPF: the lwt_seg6 helpers in lwt_seg6local. */
  seg6Bpf: boolean;
  /** CONFIG_BPF_LIRC_MODE2: the program type exists at all (else BPF_PROG_LOAD refuses it, EINVAL). */
  lircMode2: boolean;
}

/**
 * This project's test machine (Linux 6.18, /proc/config.gz): lockdown at integrity (bpf_probe_write_user is
 * refused, bpf_probe_read_kernel is not), no kprobe override, no seg6 BPF, no lirc. Everything else the
 * get_func_proto functions test (CONFIG_NET, INET, CGROUPS, XFRM, SYN_COOKIES, CGROUP_NET_CLASSID,
 * SOCK_CGROUP_DATA, ARCH_HAS_NON_OVERLAPPING_ADDRESS_SPACE on x86) is built in, as on distribution kernels.
 */
export const defaultHostConfig: HostConfig = { lockdown: 'integrity', kprobeOverride: false, seg6Bpf: false, lircMode2: false };

/** What get_func_proto reads of the program being loaded. */
export interface ProgContext {
  type: number;
  attachType: number;
  /** BPF_F_SLEEPABLE. */
  sleepable: boolean;
  version: string;
  config: HostConfig;
  /** The attach target's name in vmlinux BTF (LSM hook `bpf_lsm_file_open`, iter `bpf_iter_tcp`, fentry target). */
  attachBtfName?: string;
}

/** A helper's name (enum bpf_func_id without BPF_FUNC_) → the proto's variable name. */
type Table = Readonly<Record<string, string>>;
type Getter = (name: string, prog: ProgContext) => string | undefined;

const lookup = (table: Table, name: string): string | undefined => (Object.hasOwn(table, name) ? table[name] : undefined);
/** `table`, else `fallback`: the shape of most get_func_proto switches (`default: return fallback(...)`). */
const orElse = (table: Table, fallback: Getter): Getter => (name, prog) => lookup(table, name) ?? fallback(name, prog);

// --- kernel/bpf/helpers.c bpf_base_func_proto ----------------------------------------------------------

const baseAny: Table = {
  map_lookup_elem: 'bpf_map_lookup_elem_proto', map_update_elem: 'bpf_map_update_elem_proto',
  map_delete_elem: 'bpf_map_delete_elem_proto', map_push_elem: 'bpf_map_push_elem_proto',
  map_pop_elem: 'bpf_map_pop_elem_proto', map_peek_elem: 'bpf_map_peek_elem_proto',
  map_lookup_percpu_elem: 'bpf_map_lookup_percpu_elem_proto', get_prandom_u32: 'bpf_get_prandom_u32_proto',
  get_smp_processor_id: 'bpf_get_raw_smp_processor_id_proto', get_numa_node_id: 'bpf_get_numa_node_id_proto',
  tail_call: 'bpf_tail_call_proto', ktime_get_ns: 'bpf_ktime_get_ns_proto', ktime_get_boot_ns: 'bpf_ktime_get_boot_ns_proto',
  ktime_get_tai_ns: 'bpf_ktime_get_tai_ns_proto', ringbuf_output: 'bpf_ringbuf_output_proto',
  ringbuf_reserve: 'bpf_ringbuf_reserve_proto', ringbuf_submit: 'bpf_ringbuf_submit_proto',
  ringbuf_discard: 'bpf_ringbuf_discard_proto', ringbuf_query: 'bpf_ringbuf_query_proto', strncmp: 'bpf_strncmp_proto',
  strtol: 'bpf_strtol_proto', strtoul: 'bpf_strtoul_proto', get_current_pid_tgid: 'bpf_get_current_pid_tgid_proto',
  get_ns_current_pid_tgid: 'bpf_get_ns_current_pid_tgid_proto',
};
/** Since the tracing-helpers move (kernel-version.ts helpersInBaseFuncProto). */
const baseAnyNew: Table = { get_current_uid_gid: 'bpf_get_current_uid_gid_proto' };

/** bpf_token_capable(CAP_BPF). */
const baseBpf: Table = {
  spin_lock: 'bpf_spin_lock_proto', spin_unlock: 'bpf_spin_unlock_proto', jiffies64: 'bpf_jiffies64_proto',
  per_cpu_ptr: 'bpf_per_cpu_ptr_proto', this_cpu_ptr: 'bpf_this_cpu_ptr_proto', timer_init: 'bpf_timer_init_proto',
  timer_set_callback: 'bpf_timer_set_callback_proto', timer_start: 'bpf_timer_start_proto',
  timer_cancel: 'bpf_timer_cancel_proto', kptr_xchg: 'bpf_kptr_xchg_proto', for_each_map_elem: 'bpf_for_each_map_elem_proto',
  loop: 'bpf_loop_proto', user_ringbuf_drain: 'bpf_user_ringbuf_drain_proto',
  ringbuf_reserve_dynptr: 'bpf_ringbuf_reserve_dynptr_proto', ringbuf_submit_dynptr: 'bpf_ringbuf_submit_dynptr_proto',
  ringbuf_discard_dynptr: 'bpf_ringbuf_discard_dynptr_proto', dynptr_from_mem: 'bpf_dynptr_from_mem_proto',
  dynptr_read: 'bpf_dynptr_read_proto', dynptr_write: 'bpf_dynptr_write_proto', dynptr_data: 'bpf_dynptr_data_proto',
  cgrp_storage_get: 'bpf_cgrp_storage_get_proto', cgrp_storage_delete: 'bpf_cgrp_storage_delete_proto',
  get_current_cgroup_id: 'bpf_get_current_cgroup_id_proto',
  get_current_ancestor_cgroup_id: 'bpf_get_current_ancestor_cgroup_id_proto',
};
const baseBpfNew: Table = {
  current_task_under_cgroup: 'bpf_current_task_under_cgroup_proto', get_cgroup_classid: 'bpf_get_cgroup_classid_curr_proto',
  task_storage_get: 'bpf_task_storage_get_proto', task_storage_delete: 'bpf_task_storage_delete_proto',
};

/** bpf_token_capable(CAP_PERFMON); probe_read_kernel(_str) also need lockdown below confidentiality. */
const basePerfmon: Table = {
  trace_printk: 'bpf_trace_printk_proto', get_current_task: 'bpf_get_current_task_proto',
  get_current_task_btf: 'bpf_get_current_task_btf_proto', probe_read_user: 'bpf_probe_read_user_proto',
  probe_read_kernel: 'bpf_probe_read_kernel_proto', probe_read_user_str: 'bpf_probe_read_user_str_proto',
  probe_read_kernel_str: 'bpf_probe_read_kernel_str_proto', snprintf_btf: 'bpf_snprintf_btf_proto',
  snprintf: 'bpf_snprintf_proto', task_pt_regs: 'bpf_task_pt_regs_proto', trace_vprintk: 'bpf_trace_vprintk_proto',
};
const basePerfmonNew: Table = {
  get_current_comm: 'bpf_get_current_comm_proto', copy_from_user: 'bpf_copy_from_user_proto',
  copy_from_user_task: 'bpf_copy_from_user_task_proto', perf_event_read_value: 'bpf_perf_event_read_value_proto',
  perf_event_read: 'bpf_perf_event_read_proto', send_signal: 'bpf_send_signal_proto',
  send_signal_thread: 'bpf_send_signal_thread_proto', get_branch_snapshot: 'bpf_get_branch_snapshot_proto',
  find_vma: 'bpf_find_vma_proto',
};

const readKernelLocked = (prog: ProgContext): boolean => prog.config.lockdown === 'confidentiality';
const writeUserLocked = (prog: ProgContext): boolean => prog.config.lockdown !== 'none';
const getTaskStack = (prog: ProgContext): string => (prog.sleepable ? 'bpf_get_task_stack_sleepable_proto' : 'bpf_get_task_stack_proto');

const baseFuncProto: Getter = (name, prog) => {
  const moved = helpersInBaseFuncProto(prog.version);
  const any = lookup(baseAny, name) ?? (moved ? lookup(baseAnyNew, name) : undefined);
  if (any) return any;
  const bpf = lookup(baseBpf, name) ?? (moved ? lookup(baseBpfNew, name) : undefined);
  if (bpf) return bpf;
  if ((name === 'probe_read_kernel' || name === 'probe_read_kernel_str') && readKernelLocked(prog)) return undefined;
  if (moved && name === 'get_task_stack') return getTaskStack(prog);
  return lookup(basePerfmon, name) ?? (moved ? lookup(basePerfmonNew, name) : undefined);
};

// --- kernel/bpf/cgroup.c -------------------------------------------------------------------------------

/** Attach types whose cgroup hooks have no return value to read or set (cgroup_common_func_proto). */
const noRetval: ReadonlySet<number> = new Set([
  AT.CgroupInetIngress, AT.CgroupInetEgress, AT.CgroupSockOps, AT.CgroupUdp4Recvmsg, AT.CgroupUdp6Recvmsg,
  AT.CgroupUnixRecvmsg, AT.CgroupInet4Getpeername, AT.CgroupInet6Getpeername, AT.CgroupUnixGetpeername,
  AT.CgroupInet4Getsockname, AT.CgroupInet6Getsockname, AT.CgroupUnixGetsockname,
]);

const cgroupCommon: Getter = (name, prog) => {
  if (name === 'get_local_storage') return 'bpf_get_local_storage_proto';
  if (name === 'get_retval') return noRetval.has(prog.attachType) ? undefined : 'bpf_get_retval_proto';
  if (name === 'set_retval') return noRetval.has(prog.attachType) ? undefined : 'bpf_set_retval_proto';
  return undefined;
};

/** cgroup_current_func_proto (6.5 up to the tracing-helpers move, which folded it into bpf_base_func_proto). */
const cgroupCurrentTable: Table = {
  get_current_uid_gid: 'bpf_get_current_uid_gid_proto', get_current_comm: 'bpf_get_current_comm_proto',
  get_cgroup_classid: 'bpf_get_cgroup_classid_curr_proto', current_task_under_cgroup: 'bpf_current_task_under_cgroup_proto',
};
/** The start every cgroup get_func_proto shares: cgroup_common, then (before the move) cgroup_current. */
const cgroupFirst = (name: string, prog: ProgContext): string | undefined =>
  cgroupCommon(name, prog) ?? (helpersInBaseFuncProto(prog.version) ? undefined : lookup(cgroupCurrentTable, name));
const cgroupThen = (table: Table | ((name: string, prog: ProgContext) => string | undefined), fallback: Getter): Getter => (name, prog) => {
  const first = cgroupFirst(name, prog);
  if (first) return first;
  const own = typeof table === 'function' ? table(name, prog) : lookup(table, name);
  return own ?? fallback(name, prog);
};

const cgroupDev = cgroupThen({ perf_event_output: 'bpf_event_output_data_proto' }, baseFuncProto);

const sysctl = cgroupThen({
  sysctl_get_name: 'bpf_sysctl_get_name_proto', sysctl_get_current_value: 'bpf_sysctl_get_current_value_proto',
  sysctl_get_new_value: 'bpf_sysctl_get_new_value_proto', sysctl_set_new_value: 'bpf_sysctl_set_new_value_proto',
  ktime_get_coarse_ns: 'bpf_ktime_get_coarse_ns_proto', perf_event_output: 'bpf_event_output_data_proto',
}, baseFuncProto);

const cgSockopt = cgroupThen((name, prog) => {
  // Both refer to BPF_CGROUP_SETSOCKOPT in the kernel, getsockopt included.
  if (name === 'setsockopt') return prog.attachType === AT.CgroupSetsockopt ? 'bpf_sk_setsockopt_proto' : undefined;
  if (name === 'getsockopt') return prog.attachType === AT.CgroupSetsockopt ? 'bpf_sk_getsockopt_proto' : undefined;
  return lookup({
    get_netns_cookie: 'bpf_get_netns_cookie_sockopt_proto', sk_storage_get: 'bpf_sk_storage_get_proto',
    sk_storage_delete: 'bpf_sk_storage_delete_proto', tcp_sock: 'bpf_tcp_sock_proto',
    perf_event_output: 'bpf_event_output_data_proto',
  }, name);
}, baseFuncProto);

// --- net/core/filter.c ---------------------------------------------------------------------------------

const skBaseTable: Table = {
  skc_to_tcp6_sock: 'bpf_skc_to_tcp6_sock_proto', skc_to_tcp_sock: 'bpf_skc_to_tcp_sock_proto',
  skc_to_tcp_timewait_sock: 'bpf_skc_to_tcp_timewait_sock_proto', skc_to_tcp_request_sock: 'bpf_skc_to_tcp_request_sock_proto',
  skc_to_udp6_sock: 'bpf_skc_to_udp6_sock_proto', skc_to_unix_sock: 'bpf_skc_to_unix_sock_proto',
  skc_to_mptcp_sock: 'bpf_skc_to_mptcp_sock_proto',
};
/** bpf_sk_base_func_proto: the skc_to_* casts (CAP_PERFMON), ktime_get_coarse_ns, then bpf_base_func_proto. */
const skBase: Getter = (name, prog) => {
  if (name === 'ktime_get_coarse_ns') return 'bpf_ktime_get_coarse_ns_proto';
  return lookup(skBaseTable, name) ?? baseFuncProto(name, prog);
};

const skFilterTable = (prog: ProgContext): Table => ({
  skb_load_bytes: 'bpf_skb_load_bytes_proto', skb_load_bytes_relative: 'bpf_skb_load_bytes_relative_proto',
  get_socket_cookie: 'bpf_get_socket_cookie_proto', get_socket_uid: 'bpf_get_socket_uid_proto',
  perf_event_output: 'bpf_skb_event_output_proto',
  ...(netnsCookieInSkFilterAndTc(prog.version) ? { get_netns_cookie: 'bpf_get_netns_cookie_proto' } : {}),
});
const skFilter: Getter = (name, prog) => lookup(skFilterTable(prog), name) ?? skBase(name, prog);

const tcClsActTable: Table = {
  skb_store_bytes: 'bpf_skb_store_bytes_proto', skb_load_bytes: 'bpf_skb_load_bytes_proto',
  skb_load_bytes_relative: 'bpf_skb_load_bytes_relative_proto', skb_pull_data: 'bpf_skb_pull_data_proto',
  csum_diff: 'bpf_csum_diff_proto', csum_update: 'bpf_csum_update_proto', csum_level: 'bpf_csum_level_proto',
  l3_csum_replace: 'bpf_l3_csum_replace_proto', l4_csum_replace: 'bpf_l4_csum_replace_proto',
  clone_redirect: 'bpf_clone_redirect_proto', get_cgroup_classid: 'bpf_get_cgroup_classid_proto',
  skb_vlan_push: 'bpf_skb_vlan_push_proto', skb_vlan_pop: 'bpf_skb_vlan_pop_proto',
  skb_change_proto: 'bpf_skb_change_proto_proto', skb_change_type: 'bpf_skb_change_type_proto',
  skb_adjust_room: 'bpf_skb_adjust_room_proto', skb_change_tail: 'bpf_skb_change_tail_proto',
  skb_change_head: 'bpf_skb_change_head_proto', skb_get_tunnel_key: 'bpf_skb_get_tunnel_key_proto',
  skb_set_tunnel_key: 'bpf_skb_set_tunnel_key_proto', skb_get_tunnel_opt: 'bpf_skb_get_tunnel_opt_proto',
  skb_set_tunnel_opt: 'bpf_skb_set_tunnel_opt_proto', redirect: 'bpf_redirect_proto',
  redirect_neigh: 'bpf_redirect_neigh_proto', redirect_peer: 'bpf_redirect_peer_proto',
  get_route_realm: 'bpf_get_route_realm_proto', get_hash_recalc: 'bpf_get_hash_recalc_proto',
  set_hash_invalid: 'bpf_set_hash_invalid_proto', set_hash: 'bpf_set_hash_proto',
  perf_event_output: 'bpf_skb_event_output_proto', get_smp_processor_id: 'bpf_get_smp_processor_id_proto',
  skb_under_cgroup: 'bpf_skb_under_cgroup_proto', get_socket_cookie: 'bpf_get_socket_cookie_proto',
  get_socket_uid: 'bpf_get_socket_uid_proto', fib_lookup: 'bpf_skb_fib_lookup_proto',
  check_mtu: 'bpf_skb_check_mtu_proto', sk_fullsock: 'bpf_sk_fullsock_proto', sk_storage_get: 'bpf_sk_storage_get_proto',
  sk_storage_delete: 'bpf_sk_storage_delete_proto', skb_get_xfrm_state: 'bpf_skb_get_xfrm_state_proto',
  skb_cgroup_classid: 'bpf_skb_cgroup_classid_proto', skb_cgroup_id: 'bpf_skb_cgroup_id_proto',
  skb_ancestor_cgroup_id: 'bpf_skb_ancestor_cgroup_id_proto', sk_lookup_tcp: 'bpf_tc_sk_lookup_tcp_proto',
  sk_lookup_udp: 'bpf_tc_sk_lookup_udp_proto', sk_release: 'bpf_sk_release_proto', tcp_sock: 'bpf_tcp_sock_proto',
  get_listener_sock: 'bpf_get_listener_sock_proto', skc_lookup_tcp: 'bpf_tc_skc_lookup_tcp_proto',
  tcp_check_syncookie: 'bpf_tcp_check_syncookie_proto', skb_ecn_set_ce: 'bpf_skb_ecn_set_ce_proto',
  tcp_gen_syncookie: 'bpf_tcp_gen_syncookie_proto', sk_assign: 'bpf_sk_assign_proto',
  skb_set_tstamp: 'bpf_skb_set_tstamp_proto', tcp_raw_gen_syncookie_ipv4: 'bpf_tcp_raw_gen_syncookie_ipv4_proto',
  tcp_raw_gen_syncookie_ipv6: 'bpf_tcp_raw_gen_syncookie_ipv6_proto',
  tcp_raw_check_syncookie_ipv4: 'bpf_tcp_raw_check_syncookie_ipv4_proto',
  tcp_raw_check_syncookie_ipv6: 'bpf_tcp_raw_check_syncookie_ipv6_proto',
};
const tcClsAct: Getter = (name, prog) => {
  if (name === 'get_netns_cookie' && netnsCookieInSkFilterAndTc(prog.version)) return 'bpf_get_netns_cookie_proto';
  return lookup(tcClsActTable, name) ?? skBase(name, prog);
};

const xdp = orElse({
  perf_event_output: 'bpf_xdp_event_output_proto', get_smp_processor_id: 'bpf_get_smp_processor_id_proto',
  csum_diff: 'bpf_csum_diff_proto', xdp_adjust_head: 'bpf_xdp_adjust_head_proto', xdp_adjust_meta: 'bpf_xdp_adjust_meta_proto',
  redirect: 'bpf_xdp_redirect_proto', redirect_map: 'bpf_xdp_redirect_map_proto', xdp_adjust_tail: 'bpf_xdp_adjust_tail_proto',
  xdp_get_buff_len: 'bpf_xdp_get_buff_len_proto', xdp_load_bytes: 'bpf_xdp_load_bytes_proto',
  xdp_store_bytes: 'bpf_xdp_store_bytes_proto', fib_lookup: 'bpf_xdp_fib_lookup_proto', check_mtu: 'bpf_xdp_check_mtu_proto',
  sk_lookup_udp: 'bpf_xdp_sk_lookup_udp_proto', sk_lookup_tcp: 'bpf_xdp_sk_lookup_tcp_proto',
  sk_release: 'bpf_sk_release_proto', skc_lookup_tcp: 'bpf_xdp_skc_lookup_tcp_proto',
  tcp_check_syncookie: 'bpf_tcp_check_syncookie_proto', tcp_gen_syncookie: 'bpf_tcp_gen_syncookie_proto',
  tcp_raw_gen_syncookie_ipv4: 'bpf_tcp_raw_gen_syncookie_ipv4_proto', tcp_raw_gen_syncookie_ipv6: 'bpf_tcp_raw_gen_syncookie_ipv6_proto',
  tcp_raw_check_syncookie_ipv4: 'bpf_tcp_raw_check_syncookie_ipv4_proto',
  tcp_raw_check_syncookie_ipv6: 'bpf_tcp_raw_check_syncookie_ipv6_proto',
}, skBase);

const cgSkb = cgroupThen({
  sk_fullsock: 'bpf_sk_fullsock_proto', sk_storage_get: 'bpf_sk_storage_get_proto', sk_storage_delete: 'bpf_sk_storage_delete_proto',
  perf_event_output: 'bpf_skb_event_output_proto', skb_cgroup_id: 'bpf_skb_cgroup_id_proto',
  skb_ancestor_cgroup_id: 'bpf_skb_ancestor_cgroup_id_proto', sk_cgroup_id: 'bpf_sk_cgroup_id_proto',
  sk_ancestor_cgroup_id: 'bpf_sk_ancestor_cgroup_id_proto', sk_lookup_tcp: 'bpf_sk_lookup_tcp_proto',
  sk_lookup_udp: 'bpf_sk_lookup_udp_proto', sk_release: 'bpf_sk_release_proto', skc_lookup_tcp: 'bpf_skc_lookup_tcp_proto',
  tcp_sock: 'bpf_tcp_sock_proto', get_listener_sock: 'bpf_get_listener_sock_proto', skb_ecn_set_ce: 'bpf_skb_ecn_set_ce_proto',
}, skFilter);

const lwtOut = orElse({
  skb_load_bytes: 'bpf_skb_load_bytes_proto', skb_pull_data: 'bpf_skb_pull_data_proto', csum_diff: 'bpf_csum_diff_proto',
  get_cgroup_classid: 'bpf_get_cgroup_classid_proto', get_route_realm: 'bpf_get_route_realm_proto',
  get_hash_recalc: 'bpf_get_hash_recalc_proto', perf_event_output: 'bpf_skb_event_output_proto',
  get_smp_processor_id: 'bpf_get_smp_processor_id_proto', skb_under_cgroup: 'bpf_skb_under_cgroup_proto',
}, skBase);
const lwtIn = orElse({ lwt_push_encap: 'bpf_lwt_in_push_encap_proto' }, lwtOut);
const lwtXmit = orElse({
  skb_get_tunnel_key: 'bpf_skb_get_tunnel_key_proto', skb_set_tunnel_key: 'bpf_skb_set_tunnel_key_proto',
  skb_get_tunnel_opt: 'bpf_skb_get_tunnel_opt_proto', skb_set_tunnel_opt: 'bpf_skb_set_tunnel_opt_proto',
  redirect: 'bpf_redirect_proto', clone_redirect: 'bpf_clone_redirect_proto', skb_change_tail: 'bpf_skb_change_tail_proto',
  skb_change_head: 'bpf_skb_change_head_proto', skb_store_bytes: 'bpf_skb_store_bytes_proto',
  csum_update: 'bpf_csum_update_proto', csum_level: 'bpf_csum_level_proto', l3_csum_replace: 'bpf_l3_csum_replace_proto',
  l4_csum_replace: 'bpf_l4_csum_replace_proto', set_hash_invalid: 'bpf_set_hash_invalid_proto',
  lwt_push_encap: 'bpf_lwt_xmit_push_encap_proto',
}, lwtOut);
const lwtSeg6local: Getter = (name, prog) => {
  if (name === 'skb_pull_data' && stableSockoptAndPullDataFixes(prog.version)) return undefined;
  if (prog.config.seg6Bpf) {
    const own = lookup({
      lwt_seg6_store_bytes: 'bpf_lwt_seg6_store_bytes_proto', lwt_seg6_action: 'bpf_lwt_seg6_action_proto',
      lwt_seg6_adjust_srh: 'bpf_lwt_seg6_adjust_srh_proto',
    }, name);
    if (own) return own;
  }
  return lwtOut(name, prog);
};

const sockFilter = cgroupThen((name, prog) => {
  if (name === 'setsockopt' || name === 'getsockopt') {
    // 7.x: only BPF_CGROUP_INET_SOCK_CREATE; before, neither case existed and they fell to bpf_base_func_proto (NULL).
    if (!sockCreateSockopt(prog.version)) return undefined;
    if (prog.attachType !== AT.CgroupInetSockCreate) return 'none';
    return name === 'setsockopt' ? 'bpf_sock_create_setsockopt_proto' : 'bpf_sock_create_getsockopt_proto';
  }
  return lookup({
    get_socket_cookie: 'bpf_get_socket_cookie_sock_proto', get_netns_cookie: 'bpf_get_netns_cookie_sock_proto',
    perf_event_output: 'bpf_event_output_data_proto', sk_storage_get: 'bpf_sk_storage_get_cg_sock_proto',
    ktime_get_coarse_ns: 'bpf_ktime_get_coarse_ns_proto',
  }, name);
}, baseFuncProto);

/**
 * sock_addr_func_proto's attach types for bpf_setsockopt / bpf_getsockopt: every one, but with the fix
 * (kernel-version.ts stableSockoptAndPullDataFixes) not BPF_CGROUP_UNIX_GETPEERNAME / _GETSOCKNAME.
 */
const sockoptWithoutFix: ReadonlySet<number> = new Set([AT.CgroupUnixGetpeername, AT.CgroupUnixGetsockname]);
const sockAddrSockopt: ReadonlySet<number> = new Set([
  AT.CgroupInet4Bind, AT.CgroupInet6Bind, AT.CgroupInet4Connect, AT.CgroupInet6Connect, AT.CgroupUnixConnect,
  AT.CgroupUdp4Recvmsg, AT.CgroupUdp6Recvmsg, AT.CgroupUnixRecvmsg, AT.CgroupUdp4Sendmsg, AT.CgroupUdp6Sendmsg,
  AT.CgroupUnixSendmsg, AT.CgroupInet4Getpeername, AT.CgroupInet6Getpeername, AT.CgroupInet4Getsockname,
  AT.CgroupInet6Getsockname,
]);
const sockAddrHasSockopt = (prog: ProgContext): boolean =>
  sockAddrSockopt.has(prog.attachType) || (!stableSockoptAndPullDataFixes(prog.version) && sockoptWithoutFix.has(prog.attachType));
const sockAddr = cgroupThen((name, prog) => {
  if (name === 'bind') return prog.attachType === AT.CgroupInet4Connect || prog.attachType === AT.CgroupInet6Connect ? 'bpf_bind_proto' : 'none';
  if (name === 'setsockopt') return sockAddrHasSockopt(prog) ? 'bpf_sock_addr_setsockopt_proto' : 'none';
  if (name === 'getsockopt') return sockAddrHasSockopt(prog) ? 'bpf_sock_addr_getsockopt_proto' : 'none';
  return lookup({
    get_socket_cookie: 'bpf_get_socket_cookie_sock_addr_proto', get_netns_cookie: 'bpf_get_netns_cookie_sock_addr_proto',
    perf_event_output: 'bpf_event_output_data_proto', sk_lookup_tcp: 'bpf_sock_addr_sk_lookup_tcp_proto',
    sk_lookup_udp: 'bpf_sock_addr_sk_lookup_udp_proto', sk_release: 'bpf_sk_release_proto',
    skc_lookup_tcp: 'bpf_sock_addr_skc_lookup_tcp_proto', sk_storage_get: 'bpf_sk_storage_get_proto',
    sk_storage_delete: 'bpf_sk_storage_delete_proto',
  }, name);
}, skBase);

const sockOps = cgroupThen({
  setsockopt: 'bpf_sock_ops_setsockopt_proto', getsockopt: 'bpf_sock_ops_getsockopt_proto',
  sock_ops_cb_flags_set: 'bpf_sock_ops_cb_flags_set_proto', sock_map_update: 'bpf_sock_map_update_proto',
  sock_hash_update: 'bpf_sock_hash_update_proto', get_socket_cookie: 'bpf_get_socket_cookie_sock_ops_proto',
  perf_event_output: 'bpf_event_output_data_proto', sk_storage_get: 'bpf_sk_storage_get_proto',
  sk_storage_delete: 'bpf_sk_storage_delete_proto', get_netns_cookie: 'bpf_get_netns_cookie_sock_ops_proto',
  load_hdr_opt: 'bpf_sock_ops_load_hdr_opt_proto', store_hdr_opt: 'bpf_sock_ops_store_hdr_opt_proto',
  reserve_hdr_opt: 'bpf_sock_ops_reserve_hdr_opt_proto', tcp_sock: 'bpf_tcp_sock_proto',
}, skBase);

const skMsg = orElse({
  msg_redirect_map: 'bpf_msg_redirect_map_proto', msg_redirect_hash: 'bpf_msg_redirect_hash_proto',
  msg_apply_bytes: 'bpf_msg_apply_bytes_proto', msg_cork_bytes: 'bpf_msg_cork_bytes_proto',
  msg_pull_data: 'bpf_msg_pull_data_proto', msg_push_data: 'bpf_msg_push_data_proto', msg_pop_data: 'bpf_msg_pop_data_proto',
  perf_event_output: 'bpf_event_output_data_proto', sk_storage_get: 'bpf_sk_storage_get_proto',
  sk_storage_delete: 'bpf_sk_storage_delete_proto', get_netns_cookie: 'bpf_get_netns_cookie_sk_msg_proto',
}, skBase);

const skSkb = orElse({
  skb_store_bytes: 'bpf_skb_store_bytes_proto', skb_load_bytes: 'bpf_skb_load_bytes_proto',
  skb_pull_data: 'sk_skb_pull_data_proto', skb_change_tail: 'sk_skb_change_tail_proto',
  skb_change_head: 'sk_skb_change_head_proto', skb_adjust_room: 'sk_skb_adjust_room_proto',
  get_socket_cookie: 'bpf_get_socket_cookie_proto', get_socket_uid: 'bpf_get_socket_uid_proto',
  sk_redirect_map: 'bpf_sk_redirect_map_proto', sk_redirect_hash: 'bpf_sk_redirect_hash_proto',
  perf_event_output: 'bpf_skb_event_output_proto', sk_lookup_tcp: 'bpf_sk_lookup_tcp_proto',
  sk_lookup_udp: 'bpf_sk_lookup_udp_proto', sk_release: 'bpf_sk_release_proto', skc_lookup_tcp: 'bpf_skc_lookup_tcp_proto',
}, skBase);

const flowDissector = orElse({ skb_load_bytes: 'bpf_flow_dissector_load_bytes_proto' }, skBase);

const skReuseport = orElse({
  sk_select_reuseport: 'sk_select_reuseport_proto', skb_load_bytes: 'sk_reuseport_load_bytes_proto',
  skb_load_bytes_relative: 'sk_reuseport_load_bytes_relative_proto', get_socket_cookie: 'bpf_get_socket_ptr_cookie_proto',
  ktime_get_coarse_ns: 'bpf_ktime_get_coarse_ns_proto',
}, baseFuncProto);

const skLookup = orElse({
  perf_event_output: 'bpf_event_output_data_proto', sk_assign: 'bpf_sk_lookup_assign_proto', sk_release: 'bpf_sk_release_proto',
}, skBase);

// --- kernel/trace/bpf_trace.c --------------------------------------------------------------------------

/** 6.12's bpf_tracing_func_proto: its own long list before bpf_base_func_proto. */
const tracingOldTable: Table = {
  map_lookup_elem: 'bpf_map_lookup_elem_proto', map_update_elem: 'bpf_map_update_elem_proto',
  map_delete_elem: 'bpf_map_delete_elem_proto', map_push_elem: 'bpf_map_push_elem_proto',
  map_pop_elem: 'bpf_map_pop_elem_proto', map_peek_elem: 'bpf_map_peek_elem_proto',
  map_lookup_percpu_elem: 'bpf_map_lookup_percpu_elem_proto', ktime_get_ns: 'bpf_ktime_get_ns_proto',
  ktime_get_boot_ns: 'bpf_ktime_get_boot_ns_proto', tail_call: 'bpf_tail_call_proto',
  get_current_task: 'bpf_get_current_task_proto', get_current_task_btf: 'bpf_get_current_task_btf_proto',
  task_pt_regs: 'bpf_task_pt_regs_proto', get_current_uid_gid: 'bpf_get_current_uid_gid_proto',
  get_current_comm: 'bpf_get_current_comm_proto', trace_printk: 'bpf_trace_printk_proto',
  get_smp_processor_id: 'bpf_get_smp_processor_id_proto', get_numa_node_id: 'bpf_get_numa_node_id_proto',
  perf_event_read: 'bpf_perf_event_read_proto', get_prandom_u32: 'bpf_get_prandom_u32_proto',
  probe_read_user: 'bpf_probe_read_user_proto', probe_read_user_str: 'bpf_probe_read_user_str_proto',
  cgrp_storage_get: 'bpf_cgrp_storage_get_proto', cgrp_storage_delete: 'bpf_cgrp_storage_delete_proto',
  current_task_under_cgroup: 'bpf_current_task_under_cgroup_proto', send_signal: 'bpf_send_signal_proto',
  send_signal_thread: 'bpf_send_signal_thread_proto', perf_event_read_value: 'bpf_perf_event_read_value_proto',
  ringbuf_output: 'bpf_ringbuf_output_proto', ringbuf_reserve: 'bpf_ringbuf_reserve_proto',
  ringbuf_submit: 'bpf_ringbuf_submit_proto', ringbuf_discard: 'bpf_ringbuf_discard_proto',
  ringbuf_query: 'bpf_ringbuf_query_proto', jiffies64: 'bpf_jiffies64_proto', copy_from_user: 'bpf_copy_from_user_proto',
  copy_from_user_task: 'bpf_copy_from_user_task_proto', snprintf_btf: 'bpf_snprintf_btf_proto',
  per_cpu_ptr: 'bpf_per_cpu_ptr_proto', this_cpu_ptr: 'bpf_this_cpu_ptr_proto', for_each_map_elem: 'bpf_for_each_map_elem_proto',
  snprintf: 'bpf_snprintf_proto', get_func_ip: 'bpf_get_func_ip_proto_tracing',
  get_branch_snapshot: 'bpf_get_branch_snapshot_proto', find_vma: 'bpf_find_vma_proto', trace_vprintk: 'bpf_trace_vprintk_proto',
};

/** include/linux/bpf.h bpf_prog_check_recur (6.12's task storage choice): not iter, LSM or struct_ops programs. */
const checkRecur = (prog: ProgContext): boolean =>
  prog.type === PT.Tracing ? prog.attachType !== AT.TraceIter : prog.type !== PT.Lsm && prog.type !== PT.StructOps;

const bpfTracing: Getter = (name, prog) => {
  // x86: CONFIG_ARCH_HAS_NON_OVERLAPPING_ADDRESS_SPACE, so the compat probe_read(_str) exist.
  if (name === 'probe_read' || name === 'probe_read_str') {
    if (readKernelLocked(prog)) return undefined;
    return name === 'probe_read' ? 'bpf_probe_read_compat_proto' : 'bpf_probe_read_compat_str_proto';
  }
  if (!helpersInBaseFuncProto(prog.version)) {
    if (name === 'probe_write_user') return writeUserLocked(prog) ? undefined : 'bpf_probe_write_user_proto';
    if (name === 'probe_read_kernel' || name === 'probe_read_kernel_str') {
      return readKernelLocked(prog) ? undefined : `bpf_${name}_proto`;
    }
    if (name === 'get_task_stack') return getTaskStack(prog);
    if (name === 'task_storage_get' || name === 'task_storage_delete') {
      return `bpf_${name}${checkRecur(prog) ? '_recur' : ''}_proto`;
    }
    return lookup(tracingOldTable, name) ?? baseFuncProto(name, prog);
  }
  if (name === 'get_smp_processor_id') return 'bpf_get_smp_processor_id_proto';
  if (name === 'get_func_ip') return 'bpf_get_func_ip_proto_tracing';
  const base = baseFuncProto(name, prog);
  if (base) return base;
  // CAP_SYS_ADMIN
  if (name === 'probe_write_user') return writeUserLocked(prog) ? undefined : 'bpf_probe_write_user_proto';
  return undefined;
};

const isKprobeMulti = (prog: ProgContext): boolean => prog.attachType === AT.TraceKprobeMulti || prog.attachType === AT.TraceKprobeSession;
const isUprobeMulti = (prog: ProgContext): boolean => prog.attachType === AT.TraceUprobeMulti || prog.attachType === AT.TraceUprobeSession;

const kprobe: Getter = (name, prog) => {
  switch (name) {
    case 'perf_event_output': return 'bpf_perf_event_output_proto';
    case 'get_stackid': return 'bpf_get_stackid_proto';
    case 'get_stack': return prog.sleepable ? 'bpf_get_stack_sleepable_proto' : 'bpf_get_stack_proto';
    case 'override_return': return prog.config.kprobeOverride ? 'bpf_override_return_proto' : bpfTracing(name, prog);
    case 'get_func_ip':
      return isKprobeMulti(prog) ? 'bpf_get_func_ip_proto_kprobe_multi'
        : isUprobeMulti(prog) ? 'bpf_get_func_ip_proto_uprobe_multi' : 'bpf_get_func_ip_proto_kprobe';
    case 'get_attach_cookie':
      return isKprobeMulti(prog) ? 'bpf_get_attach_cookie_proto_kmulti'
        : isUprobeMulti(prog) ? 'bpf_get_attach_cookie_proto_umulti' : 'bpf_get_attach_cookie_proto_trace';
    default: return bpfTracing(name, prog);
  }
};

const tracepoint = orElse({
  perf_event_output: 'bpf_perf_event_output_proto_tp', get_stackid: 'bpf_get_stackid_proto_tp',
  get_stack: 'bpf_get_stack_proto_tp', get_attach_cookie: 'bpf_get_attach_cookie_proto_trace',
}, bpfTracing);

const perfEvent = orElse({
  perf_event_output: 'bpf_perf_event_output_proto_tp', get_stackid: 'bpf_get_stackid_proto_pe',
  get_stack: 'bpf_get_stack_proto_pe', perf_prog_read_value: 'bpf_perf_prog_read_value_proto',
  read_branch_records: 'bpf_read_branch_records_proto', get_attach_cookie: 'bpf_get_attach_cookie_proto_pe',
}, bpfTracing);

const rawTp = orElse({
  perf_event_output: 'bpf_perf_event_output_proto_raw_tp', get_stackid: 'bpf_get_stackid_proto_raw_tp',
  get_stack: 'bpf_get_stack_proto_raw_tp', get_attach_cookie: 'bpf_get_attach_cookie_proto_tracing',
}, bpfTracing);

/** kernel/bpf/trampoline.c bpf_prog_has_trampoline (the 7.x multi/session attach types included). */
export const hasTrampoline = (prog: ProgContext): boolean =>
  (prog.type === PT.Tracing && ([AT.TraceFentry, AT.TraceFexit, AT.ModifyReturn, AT.TraceFsession, AT.TraceFentryMulti,
    AT.TraceFexitMulti, AT.TraceFsessionMulti] as number[]).includes(prog.attachType)) ||
  (prog.type === PT.Lsm && prog.attachType === AT.LsmMac);

/** The iter targets that have a get_func_proto of their own (bpf_iter_reg): net/ipv4/tcp_ipv4.c bpf_iter_tcp. */
const iterTarget: Getter = (name, prog) => {
  if (prog.attachBtfName !== 'bpf_iter_tcp') return undefined;
  if (name === 'setsockopt') return 'bpf_sk_setsockopt_proto';
  if (name === 'getsockopt') return 'bpf_sk_getsockopt_proto';
  return undefined;
};

const tracingProg: Getter = (name, prog) => {
  const iter = prog.attachType === AT.TraceIter;
  const rawTpBtf = prog.attachType === AT.TraceRawTp && getFuncArgInRawTp(prog.version);
  switch (name) {
    case 'seq_printf': case 'seq_write': case 'seq_printf_btf':
      return iter ? `bpf_${name}_proto` : undefined;
    case 'get_func_arg': case 'get_func_arg_cnt':
      return hasTrampoline(prog) || rawTpBtf ? `bpf_${name}_proto` : undefined;
    case 'get_func_ret': return hasTrampoline(prog) ? 'bpf_get_func_ret_proto' : undefined;
    case 'get_attach_cookie':
      if (prog.type === PT.Tracing && prog.attachType === AT.TraceRawTp) return 'bpf_get_attach_cookie_proto_tracing';
      return hasTrampoline(prog) ? 'bpf_get_attach_cookie_proto_tracing' : undefined;
    default: break;
  }
  const own = lookup({
    skb_output: 'bpf_skb_output_proto', xdp_output: 'bpf_xdp_output_proto', skc_to_tcp6_sock: 'bpf_skc_to_tcp6_sock_proto',
    skc_to_tcp_sock: 'bpf_skc_to_tcp_sock_proto', skc_to_tcp_timewait_sock: 'bpf_skc_to_tcp_timewait_sock_proto',
    skc_to_tcp_request_sock: 'bpf_skc_to_tcp_request_sock_proto', skc_to_udp6_sock: 'bpf_skc_to_udp6_sock_proto',
    skc_to_unix_sock: 'bpf_skc_to_unix_sock_proto', skc_to_mptcp_sock: 'bpf_skc_to_mptcp_sock_proto',
    sk_storage_get: 'bpf_sk_storage_get_tracing_proto', sk_storage_delete: 'bpf_sk_storage_delete_tracing_proto',
    sock_from_file: 'bpf_sock_from_file_proto', get_socket_cookie: 'bpf_get_socket_ptr_cookie_proto',
    xdp_get_buff_len: 'bpf_xdp_get_buff_len_trace_proto', d_path: 'bpf_d_path_proto',
  }, name);
  if (own) return own;
  const fn = rawTp(name, prog);
  return fn ?? (iter ? iterTarget(name, prog) : undefined);
};

const syscallProg: Getter = (name, prog) => lookup({
  sys_bpf: 'bpf_sys_bpf_proto', btf_find_by_name_kind: 'bpf_btf_find_by_name_kind_proto', sys_close: 'bpf_sys_close_proto',
  kallsyms_lookup_name: 'bpf_kallsyms_lookup_name_proto',
}, name) ?? tracingProg(name, prog);

// --- kernel/bpf/bpf_lsm.c ------------------------------------------------------------------------------

/** bpf_lsm.c bpf_lsm_locked_sockopt_hooks / bpf_lsm_unlocked_sockopt_hooks (hook names without bpf_lsm_). */
const lockedSockoptHooks = new Set(['sock_graft', 'inet_csk_clone', 'inet_conn_established']);
const unlockedSockoptHooks = new Set(['socket_post_create', 'socket_socketpair']);
const lsmHook = (prog: ProgContext): string => (prog.attachBtfName ?? '').replace(/^bpf_lsm_/, '');

const lsm: Getter = (name, prog) => {
  if (prog.attachType === AT.LsmCgroup) {
    const common = cgroupCommon(name, prog);
    if (common) return common;
  }
  switch (name) {
    case 'get_attach_cookie': return hasTrampoline(prog) ? 'bpf_get_attach_cookie_proto' : undefined;
    case 'setsockopt': case 'getsockopt': {
      if (prog.attachType !== AT.LsmCgroup) return undefined;
      const op = name === 'setsockopt' ? 'setsockopt' : 'getsockopt';
      if (lockedSockoptHooks.has(lsmHook(prog))) return `bpf_sk_${op}_proto`;
      if (unlockedSockoptHooks.has(lsmHook(prog))) return `bpf_unlocked_sk_${op}_proto`;
      return undefined;
    }
    default: break;
  }
  return lookup({
    inode_storage_get: 'bpf_inode_storage_get_proto', inode_storage_delete: 'bpf_inode_storage_delete_proto',
    sk_storage_get: 'bpf_sk_storage_get_proto', sk_storage_delete: 'bpf_sk_storage_delete_proto',
    spin_lock: 'bpf_spin_lock_proto', spin_unlock: 'bpf_spin_unlock_proto', bprm_opts_set: 'bpf_bprm_opts_set_proto',
    ima_inode_hash: 'bpf_ima_inode_hash_proto', ima_file_hash: 'bpf_ima_file_hash_proto',
  }, name) ?? tracingProg(name, prog);
};

// --- drivers/media/rc/bpf-lirc.c, net/netfilter/nf_bpf_link.c -----------------------------------------

const lircMode2: Getter = (name) => lookup({
  rc_repeat: 'rc_repeat_proto', rc_keydown: 'rc_keydown_proto', rc_pointer_rel: 'rc_pointer_rel_proto',
  map_lookup_elem: 'bpf_map_lookup_elem_proto', map_update_elem: 'bpf_map_update_elem_proto',
  map_delete_elem: 'bpf_map_delete_elem_proto', map_push_elem: 'bpf_map_push_elem_proto', map_pop_elem: 'bpf_map_pop_elem_proto',
  map_peek_elem: 'bpf_map_peek_elem_proto', ktime_get_ns: 'bpf_ktime_get_ns_proto', ktime_get_boot_ns: 'bpf_ktime_get_boot_ns_proto',
  tail_call: 'bpf_tail_call_proto', get_prandom_u32: 'bpf_get_prandom_u32_proto', trace_printk: 'bpf_trace_printk_proto',
}, name);

/**
 * enum bpf_prog_type → its verifier_ops->get_func_proto. StructOps (the struct's own get_func_proto, e.g.
 * bpf_tcp_ca_get_func_proto) and Ext (the target program's type) are not modelled: undefined.
 */
const byType: ReadonlyMap<number, Getter> = new Map<number, Getter>([
  [PT.SocketFilter, skFilter], [PT.Kprobe, kprobe], [PT.SchedCls, tcClsAct], [PT.SchedAct, tcClsAct],
  [PT.Tracepoint, tracepoint], [PT.Xdp, xdp], [PT.PerfEvent, perfEvent], [PT.CgroupSkb, cgSkb], [PT.CgroupSock, sockFilter],
  [PT.LwtIn, lwtIn], [PT.LwtOut, lwtOut], [PT.LwtXmit, lwtXmit], [PT.SockOps, sockOps], [PT.SkSkb, skSkb],
  [PT.CgroupDevice, cgroupDev], [PT.SkMsg, skMsg], [PT.RawTracepoint, rawTp], [PT.CgroupSockAddr, sockAddr],
  [PT.LwtSeg6local, lwtSeg6local], [PT.LircMode2, lircMode2], [PT.SkReuseport, skReuseport],
  [PT.FlowDissector, flowDissector], [PT.CgroupSysctl, sysctl], [PT.RawTracepointWritable, rawTp],
  [PT.CgroupSockopt, cgSockopt], [PT.Tracing, tracingProg], [PT.Lsm, lsm], [PT.SkLookup, skLookup],
  [PT.Syscall, syscallProg], [PT.Netfilter, baseFuncProto],
]);

/** The program types whose get_func_proto is modelled. */
export const modelledProgramTypes: readonly number[] = [...byType.keys()];

/**
 * The prototype's variable name get_func_proto returns for helper `id`, or undefined (NULL). 'none' inside
 * the getters stands for an explicit `return NULL` that must not fall through to the next table.
 */
export function funcProtoName(id: number, prog: ProgContext): string | undefined {
  const getter = byType.get(prog.type);
  const name = helperNames[id];
  if (!getter || name === undefined || id === 0) return undefined;
  const proto = getter(name, prog);
  return proto === 'none' ? undefined : proto;
}

/**
 * may_access_direct_pkt_data for a write (kernel/bpf/verifier.c): the program types that may write packets (the
 * verifier's packet stores, bpf_dynptr_slice_rdwr, and the read-only skb dynptrs of every other type).
 */
export function directPacketWrite(type: number): boolean {
  const writers: readonly number[] = [PT.SchedCls, PT.SchedAct, PT.Xdp, PT.LwtXmit, PT.SkSkb, PT.SkMsg, PT.CgroupSockopt];
  return writers.includes(type);
}
