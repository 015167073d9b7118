// kernel/bpf/syscall.c bpf_prog_load_check_attach, its expected_attach_type half: the attach types a
// program type may be loaded with, checked before the verifier (BPF_PROG_LOAD is EINVAL otherwise). The
// BTF half (attach_btf_id, attach_prog_fd) has no way in: the emulator loads no tracing attachments.
import { AttachType as A, KernelProgramType as P } from '../uapi/program-type.js';
import { unixSockAddrAttachTypes } from './kernel-version.js';

/** The program types that must name one of these attach types; every other type takes any. */
function allowedAttachTypes(type: number, version: string): readonly number[] | undefined {
  switch (type) {
    case P.CgroupSock:
      return [A.CgroupInetSockCreate, A.CgroupInetSockRelease, A.CgroupInet4PostBind, A.CgroupInet6PostBind];
    case P.CgroupSockAddr:
      return [
        A.CgroupInet4Bind, A.CgroupInet6Bind, A.CgroupInet4Connect, A.CgroupInet6Connect, A.CgroupInet4Getpeername,
        A.CgroupInet6Getpeername, A.CgroupInet4Getsockname, A.CgroupInet6Getsockname, A.CgroupUdp4Sendmsg,
        A.CgroupUdp6Sendmsg, A.CgroupUdp4Recvmsg, A.CgroupUdp6Recvmsg,
        ...(unixSockAddrAttachTypes(version)
          ? [A.CgroupUnixConnect, A.CgroupUnixGetpeername, A.CgroupUnixGetsockname, A.CgroupUnixSendmsg, A.CgroupUnixRecvmsg]
          : []),
      ];
    case P.CgroupSkb:
      return [A.CgroupInetIngress, A.CgroupInetEgress];
    case P.CgroupSockopt:
      return [A.CgroupSetsockopt, A.CgroupGetsockopt];
    case P.SkLookup:
      return [A.SkLookup];
    case P.SkReuseport:
      return [A.SkReuseportSelect, A.SkReuseportSelectOrMigrate];
    case P.Netfilter:
      return [A.Netfilter];
    case P.Syscall:
    case P.Ext:
      return [0];
    default:
      return undefined;
  }
}

/**
 * Why BPF_PROG_LOAD refuses this expected_attach_type for this program type (EINVAL), or undefined. A cgroup
 * sock or sk_reuseport program given 0 gets its type's first (bpf_prog_load_fixup_attach_type).
 */
export function attachTypeRefusal(type: number, attachType: number, version: string): string | undefined {
  if (attachType === 0 && (type === P.CgroupSock || type === P.SkReuseport)) return undefined;
  const allowed = allowedAttachTypes(type, version);
  if (allowed === undefined || allowed.includes(attachType)) return undefined;
  return `expected_attach_type ${attachType} is not one this program type loads with (bpf_prog_load_check_attach)`;
}
