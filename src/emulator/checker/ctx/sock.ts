// The socket-side contexts of net/core/filter.c: xdp_md, bpf_sock (cgroup_sock), bpf_sock_addr
// (cgroup_sock_addr), bpf_sock_ops, sk_msg_md, sk_reuseport_md and bpf_sk_lookup.
import { AttachType as A } from '../../../uapi/program-type.js';
import { sockOpsSkbHwtstamp } from '../../kernel-version.js';
import {
  BpfSkLookup as L, BpfSock as K, BpfTcpSock as T, BpfXdpSock as XS, BpfSockAddr as SA, BpfSockOps as SO, SkMsgMd as M, SkReuseportMd as R, XdpMd as X,
  SK_BUFF_PROTOCOL_SIZE, endOf, inField, inFields, misaligned, narrowAccessOk, wideAccessOk,
} from './layouts.js';
import type { IsValidAccess } from './types.js';

const SIZE_DEFAULT = 4;

/** net/core/filter.c __is_valid_xdp_access */
const xdpAccessOk = (off: number, size: number): boolean =>
  off >= 0 && off < X.size && !misaligned(off, size) && size === 4;

/**
 * net/core/filter.c xdp_is_valid_access: 4-byte reads; egress_ifindex only in devmap programs. Writes only
 * to rx_queue_index of an offloaded program, which bpfkit never loads.
 */
export const xdpIsValidAccess: IsValidAccess = (off, size, write, prog, info) => {
  if (prog.attachType !== A.XdpDevmap && off === X.egress_ifindex.off) return false;
  if (write) return false;
  if ((off === X.data_meta.off || off === X.data.off || off === X.data_end.off) && info.isLdsx) return false;
  if (off === X.data.off) info.regType = 'PTR_TO_PACKET';
  else if (off === X.data_meta.off) info.regType = 'PTR_TO_PACKET_META';
  else if (off === X.data_end.off) info.regType = 'PTR_TO_PACKET_END';
  return xdpAccessOk(off, size);
};

/** net/core/filter.c bpf_sock_is_valid_access: struct bpf_sock as a context (and as a socket pointer). */
function bpfSockIsValidAccess(off: number, size: number, info: Parameters<IsValidAccess>[4]): boolean {
  if (off < 0 || off >= K.size) return false;
  if (misaligned(off, size)) return false;
  if (off === K.state.off || off === K.family.off || off === K.type.off || off === K.protocol.off
    || off === K.src_port.off || off === K.rx_queue_mapping.off || inField(off, K.src_ip4)
    || inFields(off, K.src_ip6_0, K.src_ip6_3) || inField(off, K.dst_ip4) || inFields(off, K.dst_ip6_0, K.dst_ip6_3)) {
    info.ctxFieldSize = SIZE_DEFAULT;
    return narrowAccessOk(size, SIZE_DEFAULT);
  }
  if (inField(off, K.dst_port)) {
    // A 4-byte load of the 16-bit dst_port still works (it was a u32 before 5.18).
    const fieldSize = size === SIZE_DEFAULT ? SIZE_DEFAULT : K.dst_port.size;
    info.ctxFieldSize = fieldSize;
    return narrowAccessOk(size, fieldSize);
  }
  // The zero padding after dst_port.
  if (off >= endOf(K.dst_port) && off < K.dst_ip4.off) return false;
  return size === SIZE_DEFAULT;
}

/** The structs a socket pointer reads through (kernel/bpf/verifier.c check_sock_access, by register type). */
export type SocketKind = 'sock_common' | 'sock' | 'tcp_sock' | 'xdp_sock';

/**
 * check_sock_access's is_valid_access by the pointer's type (net/core/filter.c bpf_sock_common_is_valid_access,
 * bpf_sock_is_valid_access, bpf_tcp_sock_is_valid_access, bpf_xdp_sock_is_valid_access); reads only, the
 * verifier refuses writes before it asks.
 */
export function socketIsValidAccess(kind: SocketKind, off: number, size: number): boolean {
  const info = { regType: 'SCALAR_VALUE' as const, ctxFieldSize: 0, isLdsx: false };
  switch (kind) {
    case 'sock_common':
      // Only the fields a request or timewait socket has too: not type .. priority.
      if (inFields(off, K.type, K.priority)) return false;
      return bpfSockIsValidAccess(off, size, info);
    case 'sock':
      return bpfSockIsValidAccess(off, size, info);
    case 'tcp_sock':
      if (off < 0 || off >= endOf(T.icsk_retransmits) || misaligned(off, size)) return false;
      return off === T.bytes_received.off || off === T.bytes_acked.off ? size === 8 : size === 4;
    case 'xdp_sock':
      return off >= 0 && off < endOf(XS.queue_id) && !misaligned(off, size) && size === 4;
  }
}

/**
 * net/core/filter.c __sock_filter_check_attach_type: bound_dev_if, mark and priority are writable at socket
 * creation and release only; the source address and port are read-only and only after bind.
 */
function sockFilterAttachTypeOk(off: number, write: boolean, attachType: number): boolean {
  if (off === K.bound_dev_if.off || off === K.mark.off || off === K.priority.off) {
    return attachType === A.CgroupInetSockCreate || attachType === A.CgroupInetSockRelease;
  }
  if (inField(off, K.src_ip4)) return attachType === A.CgroupInet4PostBind && !write;
  if (inFields(off, K.src_ip6_0, K.src_ip6_3)) return attachType === A.CgroupInet6PostBind && !write;
  if (inField(off, K.src_port)) {
    return (attachType === A.CgroupInet4PostBind || attachType === A.CgroupInet6PostBind) && !write;
  }
  return !write;
}

/** net/core/filter.c sock_filter_is_valid_access: BPF_PROG_TYPE_CGROUP_SOCK. */
export const sockFilterIsValidAccess: IsValidAccess = (off, size, write, prog, info) =>
  bpfSockIsValidAccess(off, size, info) && sockFilterAttachTypeOk(off, write, prog.attachType);

const INET4_ADDR_HOOKS: readonly number[] = [
  A.CgroupInet4Bind, A.CgroupInet4Connect, A.CgroupInet4Getpeername, A.CgroupInet4Getsockname,
  A.CgroupUdp4Sendmsg, A.CgroupUdp4Recvmsg,
];
const INET6_ADDR_HOOKS: readonly number[] = [
  A.CgroupInet6Bind, A.CgroupInet6Connect, A.CgroupInet6Getpeername, A.CgroupInet6Getsockname,
  A.CgroupUdp6Sendmsg, A.CgroupUdp6Recvmsg,
];

/**
 * net/core/filter.c sock_addr_is_valid_access: BPF_PROG_TYPE_CGROUP_SOCK_ADDR. The address fields of the
 * attach type's family only (unix hooks have none); they and user_port are readable 1/2/4 bytes (8 inside
 * the IPv6 arrays) and writable 4 (8 inside the arrays); the rest is read-only.
 */
export const sockAddrIsValidAccess: IsValidAccess = (off, size, write, prog, info) => {
  if (off < 0 || off >= SA.size) return false;
  if (misaligned(off, size)) return false;
  const at = prog.attachType;
  if (inField(off, SA.user_ip4) && !INET4_ADDR_HOOKS.includes(at)) return false;
  if (inFields(off, SA.user_ip6_0, SA.user_ip6_3) && !INET6_ADDR_HOOKS.includes(at)) return false;
  if (inField(off, SA.msg_src_ip4) && at !== A.CgroupUdp4Sendmsg) return false;
  if (inFields(off, SA.msg_src_ip6_0, SA.msg_src_ip6_3) && at !== A.CgroupUdp6Sendmsg) return false;

  if (inField(off, SA.user_ip4) || inFields(off, SA.user_ip6_0, SA.user_ip6_3) || inField(off, SA.msg_src_ip4)
    || inFields(off, SA.msg_src_ip6_0, SA.msg_src_ip6_3) || inField(off, SA.user_port)) {
    if (!write) info.ctxFieldSize = SIZE_DEFAULT;
    if (wideAccessOk(off, size, SA.user_ip6) || wideAccessOk(off, size, SA.msg_src_ip6)) return true;
    return write ? size === SIZE_DEFAULT : narrowAccessOk(size, SIZE_DEFAULT);
  }
  if (inField(off, SA.sk)) {
    if (write || size !== 8) return false;
    info.regType = 'PTR_TO_SOCKET';
    return true;
  }
  if (inField(off, SA.user_family) || inField(off, SA.family) || inField(off, SA.type) || inField(off, SA.protocol)) {
    return !write && size === SIZE_DEFAULT;
  }
  return false;
};

/**
 * net/core/filter.c sock_ops_is_valid_access: BPF_PROG_TYPE_SOCK_OPS. Writes to reply and sk_txhash only;
 * reads are 4 bytes except the u64 counters, the three pointers and skb_tcp_flags (narrow).
 */
export const sockOpsIsValidAccess: IsValidAccess = (off, size, write, prog, info) => {
  const structSize = sockOpsSkbHwtstamp(prog.kernelVersion) ? SO.size : SO.skb_hwtstamp.off;
  if (off < 0 || off >= structSize) return false;
  if (misaligned(off, size)) return false;
  if (write) return (off === SO.reply.off || off === SO.sk_txhash.off) && size === SIZE_DEFAULT;
  if (inFields(off, SO.bytes_received, SO.bytes_acked)) return size === 8;
  if (inField(off, SO.sk)) {
    if (size !== 8) return false;
    info.regType = 'PTR_TO_SOCKET_OR_NULL';
    return true;
  }
  if (inField(off, SO.skb_data)) {
    if (size !== 8) return false;
    info.regType = 'PTR_TO_PACKET';
    return true;
  }
  if (inField(off, SO.skb_data_end)) {
    if (size !== 8) return false;
    info.regType = 'PTR_TO_PACKET_END';
    return true;
  }
  if (off === SO.skb_tcp_flags.off) {
    info.ctxFieldSize = SIZE_DEFAULT;
    return narrowAccessOk(size, SIZE_DEFAULT);
  }
  if (inField(off, SO.skb_hwtstamp)) return size === 8;
  return size === SIZE_DEFAULT;
};

/**
 * net/core/filter.c sk_msg_is_valid_access: BPF_PROG_TYPE_SK_MSG, read-only; the 8-byte data, data_end and
 * sk pointers and 4-byte fields. (It has no bounds check of its own: anything past the struct is no field.)
 */
export const skMsgIsValidAccess: IsValidAccess = (off, size, write, _prog, info) => {
  if (write) return false;
  if (misaligned(off, size)) return false;
  if (inField(off, M.data)) {
    info.regType = 'PTR_TO_PACKET';
    return size === 8;
  }
  if (inField(off, M.data_end)) {
    info.regType = 'PTR_TO_PACKET_END';
    return size === 8;
  }
  if (inField(off, M.sk)) {
    if (size !== 8) return false;
    info.regType = 'PTR_TO_SOCKET';
    return true;
  }
  if (inFields(off, M.family, M.size_)) return size === 4;
  return false;
};

/** net/core/filter.c sk_reuseport_is_valid_access: BPF_PROG_TYPE_SK_REUSEPORT, read-only. */
export const skReuseportIsValidAccess: IsValidAccess = (off, size, write, _prog, info) => {
  if (off < 0 || off >= R.size || misaligned(off, size) || write) return false;
  switch (off) {
    case R.data.off:
      info.regType = 'PTR_TO_PACKET';
      return size === 8;
    case R.data_end.off:
      info.regType = 'PTR_TO_PACKET_END';
      return size === 8;
    case R.hash.off:
      return size === SIZE_DEFAULT;
    case R.sk.off:
      info.regType = 'PTR_TO_SOCKET';
      return size === 8;
    case R.migrating_sk.off:
      info.regType = 'PTR_TO_SOCK_COMMON_OR_NULL';
      return size === 8;
  }
  // eth_protocol is loaded from the 16-bit skb->protocol: no single-byte loads.
  if (inField(off, R.eth_protocol) && size < SK_BUFF_PROTOCOL_SIZE) return false;
  if (inField(off, R.eth_protocol) || inField(off, R.ip_protocol) || inField(off, R.bind_inany) || inField(off, R.len)) {
    info.ctxFieldSize = SIZE_DEFAULT;
    return narrowAccessOk(size, SIZE_DEFAULT);
  }
  return false;
};

/** net/core/filter.c sk_lookup_is_valid_access: BPF_PROG_TYPE_SK_LOOKUP, read-only. */
export const skLookupIsValidAccess: IsValidAccess = (off, size, write, _prog, info) => {
  if (off < 0 || off >= L.size) return false;
  if (misaligned(off, size)) return false;
  if (write) return false;
  if (inField(off, L.sk)) {
    info.regType = 'PTR_TO_SOCKET_OR_NULL';
    return size === 8;
  }
  if (inField(off, L.family) || inField(off, L.protocol) || inField(off, L.remote_ip4) || inField(off, L.local_ip4)
    || inFields(off, L.remote_ip6_0, L.remote_ip6_3) || inFields(off, L.local_ip6_0, L.local_ip6_3)
    || inField(off, L.local_port) || inField(off, L.ingress_ifindex)) {
    info.ctxFieldSize = 4;
    return narrowAccessOk(size, 4);
  }
  if (inField(off, L.remote_port)) {
    // A 4-byte load of the 16-bit remote_port, for programs older than 5.16's narrowing.
    if (size === 4) return true;
    info.ctxFieldSize = L.remote_port.size;
    return narrowAccessOk(size, L.remote_port.size);
  }
  // The zero padding after remote_port, readable for the same reason.
  if (off >= endOf(L.remote_port) && off < L.local_ip4.off) {
    info.ctxFieldSize = 2;
    return narrowAccessOk(size, 2);
  }
  return false;
};
