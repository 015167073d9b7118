// struct __sk_buff contexts (net/core/filter.c): socket filters, tc classifiers and actions, cgroup_skb,
// the lwt family, sk_skb and flow_dissector. Each type's is_valid_access narrows the common
// bpf_skb_is_valid_access: fields it hides, the few it lets a program write, and which of data / data_end /
// data_meta become packet pointers.
import { SkBuff as S, inField, inFields, endOf, misaligned, narrowAccessOk } from './layouts.js';
import type { AccessInfo, IsValidAccess } from './types.js';

const SIZE_DEFAULT = 4;

/** The cb[0..4] scratch words. */
const inCb = (off: number): boolean => inFields(off, S.cb0, S.cb4);
/** family .. local_port: the socket fields, which only sk_skb and cgroup_skb may read. */
const inSockFields = (off: number): boolean => inFields(off, S.family, S.local_port);

/** net/core/filter.c bpf_skb_is_valid_access: the rules every __sk_buff type ends with. */
function skbIsValidAccess(off: number, size: number, write: boolean, info: AccessInfo): boolean {
  if (off < 0 || off >= S.size) return false;
  if (misaligned(off, size)) return false;
  if (inCb(off)) return off + size <= endOf(S.cb4);
  if (inField(off, S.data) || inField(off, S.data_meta) || inField(off, S.data_end)) {
    return !info.isLdsx && size === SIZE_DEFAULT;
  }
  if (inFields(off, S.remote_ip6_0, S.remote_ip6_3) || inFields(off, S.local_ip6_0, S.local_ip6_3)
    || inField(off, S.remote_ip4) || inField(off, S.local_ip4)) {
    return size === SIZE_DEFAULT;
  }
  if (inField(off, S.flow_keys)) return false;
  if (inField(off, S.hwtstamp)) return !write && size === 8;
  if (inField(off, S.tstamp)) return size === 8;
  if (inField(off, S.sk)) {
    if (write || size !== 8) return false;
    info.regType = 'PTR_TO_SOCK_COMMON_OR_NULL';
    return true;
  }
  if (off === S.tstamp_type.off) return false;
  // The padding between tstamp_type and hwtstamp.
  if (off >= endOf(S.tstamp_type) && off < S.hwtstamp.off) return false;
  // Every other field: 4-byte writes; reads of 1, 2 or 4 bytes (narrow loads of the u32).
  if (write) return size === SIZE_DEFAULT;
  info.ctxFieldSize = SIZE_DEFAULT;
  return narrowAccessOk(size, SIZE_DEFAULT);
}

/** net/core/filter.c sk_filter_is_valid_access: BPF_PROG_TYPE_SOCKET_FILTER. */
export const skFilterIsValidAccess: IsValidAccess = (off, size, write, _prog, info) => {
  if (inField(off, S.tc_classid) || inField(off, S.data) || inField(off, S.data_meta) || inField(off, S.data_end)
    || inSockFields(off) || inField(off, S.tstamp) || inField(off, S.wire_len) || inField(off, S.hwtstamp)) {
    return false;
  }
  if (write && !inCb(off)) return false;
  return skbIsValidAccess(off, size, write, info);
};

/**
 * net/core/filter.c cg_skb_is_valid_access: BPF_PROG_TYPE_CGROUP_SKB. data / data_end and tstamp writes
 * need CAP_BPF (bpf_token_capable); the model is a privileged loader, as bpfkit's kernel engine is.
 */
export const cgSkbIsValidAccess: IsValidAccess = (off, size, write, _prog, info) => {
  if (inField(off, S.tc_classid) || inField(off, S.data_meta) || inField(off, S.wire_len)) return false;
  if (write && !(inField(off, S.mark) || inField(off, S.priority) || inCb(off) || inField(off, S.tstamp))) return false;
  if (inField(off, S.data)) info.regType = 'PTR_TO_PACKET';
  else if (inField(off, S.data_end)) info.regType = 'PTR_TO_PACKET_END';
  return skbIsValidAccess(off, size, write, info);
};

/** net/core/filter.c lwt_is_valid_access: lwt_in, lwt_out, lwt_xmit, lwt_seg6local. */
export const lwtIsValidAccess: IsValidAccess = (off, size, write, _prog, info) => {
  if (inField(off, S.tc_classid) || inSockFields(off) || inField(off, S.data_meta) || inField(off, S.tstamp)
    || inField(off, S.wire_len) || inField(off, S.hwtstamp)) {
    return false;
  }
  if (write && !(inField(off, S.mark) || inField(off, S.priority) || inCb(off))) return false;
  if (inField(off, S.data)) info.regType = 'PTR_TO_PACKET';
  else if (inField(off, S.data_end)) info.regType = 'PTR_TO_PACKET_END';
  return skbIsValidAccess(off, size, write, info);
};

/** net/core/filter.c tc_cls_act_is_valid_access: sched_cls and sched_act (tc, tcx, netkit). */
export const tcClsActIsValidAccess: IsValidAccess = (off, size, write, _prog, info) => {
  if (write && !(inField(off, S.mark) || inField(off, S.tc_index) || inField(off, S.priority)
    || inField(off, S.tc_classid) || inCb(off) || inField(off, S.tstamp) || inField(off, S.queue_mapping))) {
    return false;
  }
  if (inField(off, S.data)) info.regType = 'PTR_TO_PACKET';
  else if (inField(off, S.data_meta)) info.regType = 'PTR_TO_PACKET_META';
  else if (inField(off, S.data_end)) info.regType = 'PTR_TO_PACKET_END';
  else if (inSockFields(off)) return false;
  // tstamp_type: a one-byte read (it also marks the program as reading it: prog->tstamp_type_access).
  else if (off === S.tstamp_type.off) return size === 1;
  return skbIsValidAccess(off, size, write, info);
};

/** net/core/filter.c sk_skb_is_valid_access: BPF_PROG_TYPE_SK_SKB (stream parser / verdict). */
export const skSkbIsValidAccess: IsValidAccess = (off, size, write, _prog, info) => {
  if (inField(off, S.tc_classid) || inField(off, S.data_meta) || inField(off, S.tstamp) || inField(off, S.wire_len)
    || inField(off, S.hwtstamp)) {
    return false;
  }
  if (write && !(inField(off, S.tc_index) || inField(off, S.priority))) return false;
  if (inField(off, S.mark)) return false;
  if (inField(off, S.data)) info.regType = 'PTR_TO_PACKET';
  else if (inField(off, S.data_end)) info.regType = 'PTR_TO_PACKET_END';
  return skbIsValidAccess(off, size, write, info);
};

/**
 * net/core/filter.c flow_dissector_is_valid_access: read-only data, data_end and the 8-byte flow_keys
 * pointer, nothing else.
 */
export const flowDissectorIsValidAccess: IsValidAccess = (off, size, write, _prog, info) => {
  if (off < 0 || off >= S.size) return false;
  if (misaligned(off, size)) return false;
  if (write) return false;
  if (inField(off, S.data) || inField(off, S.data_end)) {
    if (info.isLdsx || size !== SIZE_DEFAULT) return false;
    info.regType = inField(off, S.data) ? 'PTR_TO_PACKET' : 'PTR_TO_PACKET_END';
    return true;
  }
  if (inField(off, S.flow_keys)) {
    if (size !== 8) return false;
    info.regType = 'PTR_TO_FLOW_KEYS';
    return true;
  }
  return false;
};
