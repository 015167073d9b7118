// The section names libbpf maps to program types (src/libbpf.c section_defs, SEC_DEF(...)): which program
// type and expected attach type an object's `SEC("...")` gives its programs.
import { AttachType as A, KernelProgramType as P, type KernelProgramTypeName } from '../uapi/program-type.js';
import { ProgFlags } from '../uapi/prog-flags.js';

export interface SectionDef {
  pattern: string;
  progType: number;
  attachType: number;
}

/** SEC_DEF(pattern, PROG_TYPE, ATTACH_TYPE): an attach type of 0 where libbpf gives none. */
const sec = (pattern: string, progType: number, attachType = 0): SectionDef => ({ pattern, progType, attachType });

/**
 * libbpf's table, in its order. Matching (sec_def_matches): a pattern ending in '/' is a prefix; one ending in
 * '+' matches exactly or followed by '/...'; anything else must be equal. First match wins, so order matters
 * (e.g. "xdp.frags/devmap" before "xdp.frags" before "xdp").
 */
const SECTION_DEFS: readonly SectionDef[] = [
  sec('socket', P.SocketFilter),
  sec('sk_reuseport/migrate', P.SkReuseport, A.SkReuseportSelectOrMigrate),
  sec('sk_reuseport', P.SkReuseport, A.SkReuseportSelect),
  sec('kprobe+', P.Kprobe),
  sec('uprobe+', P.Kprobe),
  sec('uprobe.s+', P.Kprobe),
  sec('kretprobe+', P.Kprobe),
  sec('uretprobe+', P.Kprobe),
  sec('uretprobe.s+', P.Kprobe),
  sec('kprobe.multi+', P.Kprobe, A.TraceKprobeMulti),
  sec('kretprobe.multi+', P.Kprobe, A.TraceKprobeMulti),
  sec('kprobe.session+', P.Kprobe, A.TraceKprobeSession),
  sec('uprobe.multi+', P.Kprobe, A.TraceUprobeMulti),
  sec('uretprobe.multi+', P.Kprobe, A.TraceUprobeMulti),
  sec('uprobe.session+', P.Kprobe, A.TraceUprobeSession),
  sec('uprobe.multi.s+', P.Kprobe, A.TraceUprobeMulti),
  sec('uretprobe.multi.s+', P.Kprobe, A.TraceUprobeMulti),
  sec('uprobe.session.s+', P.Kprobe, A.TraceUprobeSession),
  sec('ksyscall+', P.Kprobe),
  sec('kretsyscall+', P.Kprobe),
  sec('usdt+', P.Kprobe),
  sec('usdt.s+', P.Kprobe),
  sec('tc/ingress', P.SchedCls, A.TcxIngress),
  sec('tc/egress', P.SchedCls, A.TcxEgress),
  sec('tcx/ingress', P.SchedCls, A.TcxIngress),
  sec('tcx/egress', P.SchedCls, A.TcxEgress),
  sec('tc', P.SchedCls),
  sec('classifier', P.SchedCls),
  sec('action', P.SchedAct),
  sec('netkit/primary', P.SchedCls, A.NetkitPrimary),
  sec('netkit/peer', P.SchedCls, A.NetkitPeer),
  sec('tracepoint+', P.Tracepoint),
  sec('tp+', P.Tracepoint),
  sec('tracepoint.s+', P.Tracepoint),
  sec('tp.s+', P.Tracepoint),
  sec('raw_tracepoint+', P.RawTracepoint),
  sec('raw_tp+', P.RawTracepoint),
  sec('raw_tracepoint.s+', P.RawTracepoint),
  sec('raw_tp.s+', P.RawTracepoint),
  sec('raw_tracepoint.w+', P.RawTracepointWritable),
  sec('raw_tp.w+', P.RawTracepointWritable),
  sec('tp_btf+', P.Tracing, A.TraceRawTp),
  sec('tp_btf.s+', P.Tracing, A.TraceRawTp),
  sec('fentry+', P.Tracing, A.TraceFentry),
  sec('fmod_ret+', P.Tracing, A.ModifyReturn),
  sec('fexit+', P.Tracing, A.TraceFexit),
  sec('fentry.s+', P.Tracing, A.TraceFentry),
  sec('fmod_ret.s+', P.Tracing, A.ModifyReturn),
  sec('fexit.s+', P.Tracing, A.TraceFexit),
  sec('fsession+', P.Tracing, A.TraceFsession),
  sec('fsession.s+', P.Tracing, A.TraceFsession),
  sec('fsession.multi+', P.Tracing, A.TraceFsessionMulti),
  sec('fsession.multi.s+', P.Tracing, A.TraceFsessionMulti),
  sec('fentry.multi+', P.Tracing, A.TraceFentryMulti),
  sec('fexit.multi+', P.Tracing, A.TraceFexitMulti),
  sec('fentry.multi.s+', P.Tracing, A.TraceFentryMulti),
  sec('fexit.multi.s+', P.Tracing, A.TraceFexitMulti),
  sec('freplace+', P.Ext),
  sec('lsm+', P.Lsm, A.LsmMac),
  sec('lsm.s+', P.Lsm, A.LsmMac),
  sec('lsm_cgroup+', P.Lsm, A.LsmCgroup),
  sec('iter+', P.Tracing, A.TraceIter),
  sec('iter.s+', P.Tracing, A.TraceIter),
  sec('syscall', P.Syscall),
  sec('xdp.frags/devmap', P.Xdp, A.XdpDevmap),
  sec('xdp/devmap', P.Xdp, A.XdpDevmap),
  sec('xdp.frags/cpumap', P.Xdp, A.XdpCpumap),
  sec('xdp/cpumap', P.Xdp, A.XdpCpumap),
  sec('xdp.frags', P.Xdp, A.Xdp),
  sec('xdp', P.Xdp, A.Xdp),
  sec('perf_event', P.PerfEvent),
  sec('lwt_in', P.LwtIn),
  sec('lwt_out', P.LwtOut),
  sec('lwt_xmit', P.LwtXmit),
  sec('lwt_seg6local', P.LwtSeg6local),
  sec('sockops', P.SockOps, A.CgroupSockOps),
  sec('sk_skb/stream_parser', P.SkSkb, A.SkSkbStreamParser),
  sec('sk_skb/stream_verdict', P.SkSkb, A.SkSkbStreamVerdict),
  sec('sk_skb/verdict', P.SkSkb, A.SkSkbVerdict),
  sec('sk_skb', P.SkSkb),
  sec('sk_msg', P.SkMsg, A.SkMsgVerdict),
  sec('lirc_mode2', P.LircMode2, A.LircMode2),
  sec('flow_dissector', P.FlowDissector, A.FlowDissector),
  sec('cgroup_skb/ingress', P.CgroupSkb, A.CgroupInetIngress),
  sec('cgroup_skb/egress', P.CgroupSkb, A.CgroupInetEgress),
  sec('cgroup/skb', P.CgroupSkb),
  sec('cgroup/sock_create', P.CgroupSock, A.CgroupInetSockCreate),
  sec('cgroup/sock_release', P.CgroupSock, A.CgroupInetSockRelease),
  sec('cgroup/sock', P.CgroupSock, A.CgroupInetSockCreate),
  sec('cgroup/post_bind4', P.CgroupSock, A.CgroupInet4PostBind),
  sec('cgroup/post_bind6', P.CgroupSock, A.CgroupInet6PostBind),
  sec('cgroup/bind4', P.CgroupSockAddr, A.CgroupInet4Bind),
  sec('cgroup/bind6', P.CgroupSockAddr, A.CgroupInet6Bind),
  sec('cgroup/connect4', P.CgroupSockAddr, A.CgroupInet4Connect),
  sec('cgroup/connect6', P.CgroupSockAddr, A.CgroupInet6Connect),
  sec('cgroup/connect_unix', P.CgroupSockAddr, A.CgroupUnixConnect),
  sec('cgroup/sendmsg4', P.CgroupSockAddr, A.CgroupUdp4Sendmsg),
  sec('cgroup/sendmsg6', P.CgroupSockAddr, A.CgroupUdp6Sendmsg),
  sec('cgroup/sendmsg_unix', P.CgroupSockAddr, A.CgroupUnixSendmsg),
  sec('cgroup/recvmsg4', P.CgroupSockAddr, A.CgroupUdp4Recvmsg),
  sec('cgroup/recvmsg6', P.CgroupSockAddr, A.CgroupUdp6Recvmsg),
  sec('cgroup/recvmsg_unix', P.CgroupSockAddr, A.CgroupUnixRecvmsg),
  sec('cgroup/getpeername4', P.CgroupSockAddr, A.CgroupInet4Getpeername),
  sec('cgroup/getpeername6', P.CgroupSockAddr, A.CgroupInet6Getpeername),
  sec('cgroup/getpeername_unix', P.CgroupSockAddr, A.CgroupUnixGetpeername),
  sec('cgroup/getsockname4', P.CgroupSockAddr, A.CgroupInet4Getsockname),
  sec('cgroup/getsockname6', P.CgroupSockAddr, A.CgroupInet6Getsockname),
  sec('cgroup/getsockname_unix', P.CgroupSockAddr, A.CgroupUnixGetsockname),
  sec('cgroup/sysctl', P.CgroupSysctl, A.CgroupSysctl),
  sec('cgroup/getsockopt', P.CgroupSockopt, A.CgroupGetsockopt),
  sec('cgroup/setsockopt', P.CgroupSockopt, A.CgroupSetsockopt),
  sec('cgroup/dev', P.CgroupDevice, A.CgroupDevice),
  sec('struct_ops+', P.StructOps),
  sec('struct_ops.s+', P.StructOps),
  sec('sk_lookup', P.SkLookup, A.SkLookup),
  sec('netfilter', P.Netfilter, A.Netfilter),
];

/** libbpf's section table, in its order (for tests that cover every program type an object can have). */
export function sectionDefs(): readonly SectionDef[] {
  return SECTION_DEFS;
}

/**
 * Program type, expected attach type and the prog_flags libbpf adds (libbpf_prepare_prog_load: SEC_SLEEPABLE
 * defs, the ".s" ones and "syscall", load BPF_F_SLEEPABLE; SEC_XDP_FRAGS, the "xdp.frags" ones,
 * BPF_F_XDP_HAS_FRAGS) for a section name ('?' already stripped); zeros when unknown.
 */
export function sectionProgramType(section: string): { type: number; expectedAttachType: number; progFlags: number } {
  for (const d of SECTION_DEFS) {
    if (!sectionMatches(d.pattern, section)) continue;
    const sleepable = /\.s[+/]?$/.test(d.pattern) || d.pattern === 'syscall';
    const frags = d.pattern.startsWith('xdp.frags');
    const progFlags = (sleepable ? ProgFlags.Sleepable : 0) | (frags ? ProgFlags.XdpHasFrags : 0);
    return { type: d.progType, expectedAttachType: d.attachType, progFlags };
  }
  return { type: 0, expectedAttachType: 0, progFlags: 0 };
}

/**
 * A program type by name: a KernelProgramType name ('Xdp', 'SchedCls'), or a section name as libbpf's SEC()
 * takes it ('xdp', 'tc', 'syscall', 'sk_lookup', 'kprobe/...'). The string type keeps editors offering the
 * KernelProgramType names.
 */
export type ProgramTypeName = KernelProgramTypeName | (string & {});

/**
 * What a program type's name loads a program with (loadProgram's and openObject's programTypes): a
 * KernelProgramType name gives the type alone; a section name what libbpf gives a program of that section
 * (sectionProgramType: its type, expected attach type and prog_flags). Undefined for neither.
 */
export function programTypeByName(name: string): { type: number; expectedAttachType: number; progFlags: number } | undefined {
  if (name !== 'Unspec' && Object.hasOwn(P, name)) return { type: P[name as KernelProgramTypeName], expectedAttachType: 0, progFlags: 0 };
  const bySection = sectionProgramType(name);
  return bySection.type === 0 ? undefined : bySection;
}

// libbpf src/libbpf.c: sec_def_matches.
function sectionMatches(pattern: string, section: string): boolean {
  if (pattern.endsWith('/')) return section.startsWith(pattern);
  if (pattern.endsWith('+')) {
    const base = pattern.slice(0, -1);
    if (!section.startsWith(base)) return false;
    return section.length === base.length || section[base.length] === '/';
  }
  return section === pattern;
}
