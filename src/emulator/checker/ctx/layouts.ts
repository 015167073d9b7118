// The context structs' layouts (include/uapi/linux/bpf.h, x86-64), as offsets and sizes, once. Identical in
// 6.1 .. 7.2 apart from fields a kernel added at the end (noted where they are). Checked against the uapi
// header's offsetof by the differential test's sweeps (a wrong offset shows as a divergence).

export interface Field {
  readonly off: number;
  readonly size: number;
}
const f = (off: number, size = 4): Field => ({ off, size });

/** bpf_ctx_range(TYPE, MEMBER): off falls inside the member. */
export const inField = (off: number, m: Field): boolean => off >= m.off && off < m.off + m.size;
/** bpf_ctx_range_till(TYPE, MEMBER1, MEMBER2): off falls inside MEMBER1 .. the end of MEMBER2. */
export const inFields = (off: number, a: Field, b: Field): boolean => off >= a.off && off < b.off + b.size;
/** offsetofend(TYPE, MEMBER) */
export const endOf = (m: Field): number => m.off + m.size;

/** struct __sk_buff: 192 bytes. */
export const SkBuff = {
  size: 192,
  len: f(0), pkt_type: f(4), mark: f(8), queue_mapping: f(12), protocol: f(16), vlan_present: f(20),
  vlan_tci: f(24), vlan_proto: f(28), priority: f(32), ingress_ifindex: f(36), ifindex: f(40), tc_index: f(44),
  cb0: f(48), cb4: f(64), hash: f(68), tc_classid: f(72), data: f(76), data_end: f(80), napi_id: f(84),
  family: f(88), remote_ip4: f(92), local_ip4: f(96), remote_ip6_0: f(100), remote_ip6_3: f(112),
  local_ip6_0: f(116), local_ip6_3: f(128), remote_port: f(132), local_port: f(136), data_meta: f(140),
  flow_keys: f(144, 8), tstamp: f(152, 8), wire_len: f(160), gso_segs: f(164), sk: f(168, 8), gso_size: f(176),
  tstamp_type: f(180, 1), hwtstamp: f(184, 8),
} as const;

/** struct bpf_flow_keys: 56 bytes (the fields test_run sets). */
export const BpfFlowKeys = {
  size: 56,
  nhoff: f(0, 2), thoff: f(2, 2), n_proto: f(10, 2), flags: f(48),
} as const;

/** struct xdp_md: 24 bytes. */
export const XdpMd = {
  size: 24,
  data: f(0), data_end: f(4), data_meta: f(8), ingress_ifindex: f(12), rx_queue_index: f(16), egress_ifindex: f(20),
} as const;

/** struct bpf_sock: 80 bytes (also what a PTR_TO_SOCKET points at, for the socket-pointer access rules). */
export const BpfSock = {
  size: 80,
  bound_dev_if: f(0), family: f(4), type: f(8), protocol: f(12), mark: f(16), priority: f(20), src_ip4: f(24),
  src_ip6_0: f(28), src_ip6_3: f(40), src_port: f(44), dst_port: f(48, 2), dst_ip4: f(52), dst_ip6_0: f(56),
  dst_ip6_3: f(68), state: f(72), rx_queue_mapping: f(76),
} as const;

/** struct bpf_tcp_sock (what a PTR_TO_TCP_SOCK points at): u32 fields but for the two u64 byte counters. */
export const BpfTcpSock = { bytes_received: f(80, 8), bytes_acked: f(88, 8), icsk_retransmits: f(108) } as const;

/** struct bpf_xdp_sock (what a PTR_TO_XDP_SOCK points at). */
export const BpfXdpSock = { queue_id: f(0) } as const;

/** struct bpf_sock_addr: 72 bytes. */
export const BpfSockAddr = {
  size: 72,
  user_family: f(0), user_ip4: f(4), user_ip6: f(8, 16), user_ip6_0: f(8), user_ip6_3: f(20), user_port: f(24),
  family: f(28), type: f(32), protocol: f(36), msg_src_ip4: f(40), msg_src_ip6: f(44, 16), msg_src_ip6_0: f(44),
  msg_src_ip6_3: f(56), sk: f(64, 8),
} as const;

/** struct bpf_sock_ops: 224 bytes (216 before skb_hwtstamp: kernel-version.ts sockOpsSkbHwtstamp). */
export const BpfSockOps = {
  size: 224,
  op: f(0), reply: f(4), family: f(20), sk_txhash: f(164), bytes_received: f(168, 8), bytes_acked: f(176, 8),
  sk: f(184, 8), skb_data: f(192, 8), skb_data_end: f(200, 8), skb_len: f(208), skb_tcp_flags: f(212),
  skb_hwtstamp: f(216, 8),
} as const;

/** struct sk_msg_md: 80 bytes. */
export const SkMsgMd = {
  size: 80,
  data: f(0, 8), data_end: f(8, 8), family: f(16), remote_ip4: f(20), local_ip4: f(24), remote_ip6_0: f(28),
  remote_ip6_3: f(40), local_ip6_0: f(44), local_ip6_3: f(56), remote_port: f(60), local_port: f(64), size_: f(68),
  sk: f(72, 8),
} as const;

/** struct sk_reuseport_md: 56 bytes. */
export const SkReuseportMd = {
  size: 56,
  data: f(0, 8), data_end: f(8, 8), len: f(16), eth_protocol: f(20), ip_protocol: f(24), bind_inany: f(28),
  hash: f(32), sk: f(40, 8), migrating_sk: f(48, 8),
} as const;
/** sizeof_field(struct sk_buff, protocol): sk_reuseport's eth_protocol is loaded from it. */
export const SK_BUFF_PROTOCOL_SIZE = 2;

/** struct bpf_sk_lookup: 72 bytes (8-aligned: 4 bytes of tail padding). */
export const BpfSkLookup = {
  size: 72,
  sk: f(0, 8), family: f(8), protocol: f(12), remote_ip4: f(16), remote_ip6_0: f(20), remote_ip6_3: f(32),
  remote_port: f(36, 2), local_ip4: f(40), local_ip6_0: f(44), local_ip6_3: f(56), local_port: f(60),
  ingress_ifindex: f(64),
} as const;

/** struct bpf_sysctl: 8 bytes. */
export const BpfSysctl = { size: 8, write: f(0), file_pos: f(4) } as const;

/** struct bpf_sockopt: 40 bytes. */
export const BpfSockopt = {
  size: 40,
  sk: f(0, 8), optval: f(8, 8), optval_end: f(16, 8), level: f(24), optname: f(28), optlen: f(32), retval: f(36),
} as const;

/** struct bpf_cgroup_dev_ctx: 12 bytes. */
export const BpfCgroupDevCtx = { size: 12, access_type: f(0), major: f(4), minor: f(8) } as const;

/** struct pt_regs (x86-64): 21 registers, 168 bytes. */
export const PT_REGS_SIZE = 168;

/** struct bpf_perf_event_data (x86-64): the registers, then two u64. */
export const BpfPerfEventData = { size: 184, sample_period: f(168, 8), addr: f(176, 8) } as const;

/** include/linux/trace_events.h PERF_MAX_TRACE_SIZE: a tracepoint's record, the first 8 bytes not readable. */
export const PERF_MAX_TRACE_SIZE = 8192;

/** include/linux/bpf.h MAX_BPF_FUNC_ARGS: raw tracepoint arguments, one u64 each. */
export const MAX_BPF_FUNC_ARGS = 12;

/** include/linux/limits.h U16_MAX: a syscall program's context bound. */
export const U16_MAX = 0xffff;

/** struct bpf_nf_ctx (include/net/netfilter/nf_bpf_link.h): two kernel pointers. */
export const BpfNfCtx = { size: 16, state: f(0, 8), skb: f(8, 8) } as const;

/** include/linux/filter.h bpf_ctx_narrow_access_ok: a load of `size` from a field of `fieldSize` bytes. */
export const narrowAccessOk = (size: number, fieldSize: number): boolean => size <= fieldSize && (size & (size - 1)) === 0;

/** include/linux/filter.h bpf_ctx_wide_access_ok: an aligned 8-byte access inside an array member. */
export const wideAccessOk = (off: number, size: number, m: Field): boolean =>
  size === 8 && off >= m.off && off + 8 <= endOf(m) && off % 8 === 0;

/** C's `off % size != 0` for the verifier's ints (a negative off keeps its sign; -4 % 4 is 0 as in C). */
export const misaligned = (off: number, size: number): boolean => off % size !== 0;
