// kernel/bpf/cgroup.c contexts: cgroup_device (bpf_cgroup_dev_ctx), cgroup_sysctl (bpf_sysctl) and
// cgroup_sockopt (bpf_sockopt).
import { AttachType as A } from '../../../uapi/program-type.js';
import { BpfCgroupDevCtx as D, BpfSockopt as O, BpfSysctl as Y, inField, misaligned, narrowAccessOk } from './layouts.js';
import type { IsValidAccess } from './types.js';

const SIZE_DEFAULT = 4;

/** kernel/bpf/cgroup.c cgroup_dev_is_valid_access: read-only; access_type narrow, major and minor 4 bytes. */
export const cgroupDevIsValidAccess: IsValidAccess = (off, size, write, _prog, info) => {
  if (write) return false;
  if (off < 0 || off + size > D.size) return false;
  if (misaligned(off, size)) return false;
  if (inField(off, D.access_type)) {
    info.ctxFieldSize = SIZE_DEFAULT;
    return narrowAccessOk(size, SIZE_DEFAULT);
  }
  return size === SIZE_DEFAULT;
};

/** kernel/bpf/cgroup.c sysctl_is_valid_access: `write` read-only (narrow), file_pos narrow reads, 4-byte writes. */
export const sysctlIsValidAccess: IsValidAccess = (off, size, write, _prog, info) => {
  if (off < 0 || off + size > Y.size || misaligned(off, size)) return false;
  if (inField(off, Y.write)) {
    if (write) return false;
    info.ctxFieldSize = SIZE_DEFAULT;
    return narrowAccessOk(size, SIZE_DEFAULT);
  }
  if (inField(off, Y.file_pos)) {
    if (write) return size === SIZE_DEFAULT;
    info.ctxFieldSize = SIZE_DEFAULT;
    return narrowAccessOk(size, SIZE_DEFAULT);
  }
  return false;
};

/**
 * kernel/bpf/cgroup.c cg_sockopt_is_valid_access: sk, optval, optval_end are 8-byte pointers; retval exists
 * for getsockopt only; level and optname are writable in setsockopt, optlen in both.
 */
export const cgSockoptIsValidAccess: IsValidAccess = (off, size, write, prog, info) => {
  if (off < 0 || off >= O.size) return false;
  if (misaligned(off, size)) return false;
  const get = prog.attachType === A.CgroupGetsockopt;
  const set = prog.attachType === A.CgroupSetsockopt;
  if (write) {
    switch (off) {
      case O.retval.off: return size === SIZE_DEFAULT && get;
      case O.optname.off:
      case O.level.off: return size === SIZE_DEFAULT && set;
      case O.optlen.off: return size === SIZE_DEFAULT;
      default: return false;
    }
  }
  if (inField(off, O.sk)) {
    if (size !== 8) return false;
    info.regType = 'PTR_TO_SOCKET';
    return true;
  }
  if (inField(off, O.optval)) {
    if (size !== 8) return false;
    info.regType = 'PTR_TO_PACKET';
    return true;
  }
  if (inField(off, O.optval_end)) {
    if (size !== 8) return false;
    info.regType = 'PTR_TO_PACKET_END';
    return true;
  }
  if (inField(off, O.retval)) return size === SIZE_DEFAULT && get;
  return size === SIZE_DEFAULT;
};
