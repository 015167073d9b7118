// The program types a BpfProgram reports by name (enum bpf_prog_type).
/** enum bpf_prog_type (include/uapi/linux/bpf.h), the types a BpfProgram reports by name. */
export const ProgramType = {
  SocketFilter: 1,
  Kprobe: 2,
  SchedCls: 3,
  SchedAct: 4,
  Tracepoint: 5,
  Xdp: 6,
  PerfEvent: 7,
  CgroupSkb: 8,
  RawTracepoint: 17,
  FlowDissector: 22,
  Tracing: 26,
  StructOps: 27,
  Lsm: 29,
  SkLookup: 30,
  Syscall: 31,
  Netfilter: 32,
} as const;

export function programTypeName(type: number): string {
  for (const [name, id] of Object.entries(ProgramType)) if (id === type) return name;
  return `unknown(${type})`;
}
