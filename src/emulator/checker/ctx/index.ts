// The verifier's context-access rules (kernel/bpf/verifier.c check_mem_access on a PTR_TO_CTX register, and
// check_atomic / do_check before it): for one load or store through the context pointer of a program type,
// whether the kernel allows it and what the destination register becomes, or the refusal in the kernel's
// words. The program type's own rules are its struct bpf_verifier_ops is_valid_access, one family per file
// here; this file applies what the verifier does around them, in the order it does.
import { AttachType as A, KernelProgramType as P } from '../../../uapi/program-type.js';
import { EACCES, EINVAL } from '../../../uapi/errno.js';
import { ctxRegOffsetAllowed, ctxStoreImmAllowed } from '../../kernel-version.js';
import { U16_MAX } from './layouts.js';
import {
  cgSkbIsValidAccess, flowDissectorIsValidAccess, lwtIsValidAccess, skFilterIsValidAccess, skSkbIsValidAccess,
  tcClsActIsValidAccess,
} from './skb.js';
import {
  skLookupIsValidAccess, skMsgIsValidAccess, skReuseportIsValidAccess, sockAddrIsValidAccess, sockFilterIsValidAccess,
  sockOpsIsValidAccess, xdpIsValidAccess,
} from './sock.js';
import { cgSockoptIsValidAccess, cgroupDevIsValidAccess, sysctlIsValidAccess } from './cgroup.js';
import {
  kprobeIsValidAccess, lircMode2IsValidAccess, netfilterIsValidAccess, perfEventIsValidAccess,
  rawTracepointIsValidAccess, rawTracepointWritableIsValidAccess, syscallIsValidAccess, tracepointIsValidAccess,
} from './trace.js';
import type { AccessInfo, CtxAccess, CtxAccessResult, CtxInsnForm, CtxResult, IsValidAccess } from './types.js';

export type {
  CtxAccess, CtxAccessResult, CtxInsnForm, CtxPointerType, CtxResult,
} from './types.js';

interface ProgOps {
  isValidAccess: IsValidAccess;
  /** The ops have a convert_ctx_access (context loads are rewritten, so the pointer must stay unmoved). */
  converts: boolean;
}

const ops = (isValidAccess: IsValidAccess, converts = true): ProgOps => ({ isValidAccess, converts });

/** The verifier ops of each modelled program type (include/linux/bpf_types.h → *_verifier_ops). */
const PROG_OPS: ReadonlyMap<number, ProgOps> = new Map([
  [P.SocketFilter, ops(skFilterIsValidAccess)],
  [P.Kprobe, ops(kprobeIsValidAccess, false)],
  [P.SchedCls, ops(tcClsActIsValidAccess)],
  [P.SchedAct, ops(tcClsActIsValidAccess)],
  [P.Tracepoint, ops(tracepointIsValidAccess, false)],
  [P.Xdp, ops(xdpIsValidAccess)],
  [P.PerfEvent, ops(perfEventIsValidAccess)],
  [P.CgroupSkb, ops(cgSkbIsValidAccess)],
  [P.CgroupSock, ops(sockFilterIsValidAccess)],
  [P.LwtIn, ops(lwtIsValidAccess)],
  [P.LwtOut, ops(lwtIsValidAccess)],
  [P.LwtXmit, ops(lwtIsValidAccess)],
  [P.LwtSeg6local, ops(lwtIsValidAccess)],
  [P.SockOps, ops(sockOpsIsValidAccess)],
  [P.SkSkb, ops(skSkbIsValidAccess)],
  [P.CgroupDevice, ops(cgroupDevIsValidAccess, false)],
  [P.SkMsg, ops(skMsgIsValidAccess)],
  [P.RawTracepoint, ops(rawTracepointIsValidAccess, false)],
  [P.CgroupSockAddr, ops(sockAddrIsValidAccess)],
  [P.LircMode2, ops(lircMode2IsValidAccess, false)],
  [P.SkReuseport, ops(skReuseportIsValidAccess)],
  [P.FlowDissector, ops(flowDissectorIsValidAccess)],
  [P.CgroupSysctl, ops(sysctlIsValidAccess)],
  [P.RawTracepointWritable, ops(rawTracepointWritableIsValidAccess, false)],
  [P.CgroupSockopt, ops(cgSockoptIsValidAccess)],
  [P.SkLookup, ops(skLookupIsValidAccess)],
  [P.Syscall, ops(syscallIsValidAccess, false)],
  [P.Netfilter, ops(netfilterIsValidAccess, false)],
]);

/** Program types whose context is described by kernel BTF (btf_ctx_access and the attach target's types). */
const BTF_TYPED: ReadonlySet<number> = new Set([P.Tracing, P.StructOps, P.Ext, P.Lsm]);

/** The program types checkCtxAccess answers for (every type with its own context rules here). */
export const ctxModelledProgramTypes: readonly number[] = [...PROG_OPS.keys()];

/** kernel/bpf/syscall.c bpf_prog_load_fixup_attach_type: the attach type a load of 0 gets. */
function fixupAttachType(progType: number, attachType: number): number {
  if (attachType !== 0) return attachType;
  if (progType === P.CgroupSock) return A.CgroupInetSockCreate;
  if (progType === P.SkReuseport) return A.SkReuseportSelect;
  return attachType;
}

const refuse = (log: string, errno = EACCES): CtxAccessResult => ({ ok: false, log, errno });

function formOf(a: CtxAccess): CtxInsnForm {
  const form = a.form ?? (a.write ? 'stx' : 'ldx');
  const writes = form === 'stx' || form === 'st' || form === 'atomic' || form === 'store_release';
  if (writes !== a.write) throw new TypeError(`ctx access: form '${form}' is a ${writes ? 'write' : 'read'}, but write is ${a.write}`);
  return form;
}

/**
 * One access through the context pointer, as the verifier of `kernelVersion` answers it for a privileged
 * loader (CAP_BPF and CAP_PERFMON: the fields those gate are open, and storing a pointer is no leak).
 * What it does not look at: instruction-level rules met before the pointer (reserved fields; v4 opcodes
 * before 6.6 and 1- or 2-byte atomics before 6.15, unknown opcodes there), and a variable (non-constant)
 * register offset.
 */
export function checkCtxAccess(a: CtxAccess): CtxAccessResult {
  if (a.size !== 1 && a.size !== 2 && a.size !== 4 && a.size !== 8) throw new RangeError(`ctx access: size ${String(a.size)} is not 1, 2, 4 or 8`);
  const form = formOf(a);
  if (BTF_TYPED.has(a.progType)) {
    return { ok: null, notModelled: 'the context is typed by kernel BTF (btf_ctx_access): not modelled' };
  }
  const progOps = PROG_OPS.get(a.progType);
  if (!progOps) return { ok: null, notModelled: `program type ${a.progType} has no context rules here` };
  const version = a.kernelVersion;
  const reg = a.ctxReg ?? 1;
  const regOff = a.regOff ?? 0;

  // check_atomic_rmw / check_atomic_load: B and H are for load-acquire and store-release only; then
  // atomic_ptr_type_ok refuses a context pointer before any offset is looked at. check_atomic_store checks
  // the store itself first (check_store_reg), so a store-release is refused as a store where one would be.
  if (form === 'atomic' && a.size < 4) return refuse('invalid atomic operand size', EINVAL);
  if (form === 'atomic') return refuse(`BPF_ATOMIC stores into R${reg} ctx is not allowed`);
  if (form === 'load_acquire') return refuse(`BPF_ATOMIC loads from R${reg} ctx is not allowed`);
  if (form === 'store_release') {
    const asStore = checkCtxAccess({ ...a, form: 'stx' });
    return asStore.ok === true ? refuse(`BPF_ATOMIC stores into R${reg} ctx is not allowed`) : asStore;
  }
  // do_check, BPF_ST, before 6.3.
  if (form === 'st' && !ctxStoreImmAllowed(version)) return refuse(`BPF_ST stores into R${reg} ctx is not allowed`);

  // check_ptr_off_reg (__check_ptr_off_reg), or its successor in check_ctx_access.
  const offRefusal = checkRegOffset(a, progOps, reg, regOff);
  if (offRefusal) return offRefusal;

  // check_ctx_access → env->ops->is_valid_access
  const info: AccessInfo = { regType: 'SCALAR_VALUE', ctxFieldSize: 0, isLdsx: form === 'ldsx' };
  const prog = { progType: a.progType, attachType: fixupAttachType(a.progType, a.attachType), kernelVersion: version };
  if (!progOps.isValidAccess(a.off, a.size, a.write, prog, info)) {
    return refuse(`invalid bpf_context access off=${a.off} size=${a.size}`);
  }
  return { ok: true, result: resultOf(info, a.size, form), ctxFieldSize: info.regType === 'PTR_TO_BTF_ID' ? 0 : info.ctxFieldSize };
}

/** The register's own offset: refused in the kernels before ctxRegOffsetAllowed, partly allowed since. */
function checkRegOffset(a: CtxAccess, progOps: ProgOps, reg: number, regOff: number): CtxAccessResult | undefined {
  if (ctxRegOffsetAllowed(a.kernelVersion) && a.progType === P.Syscall) {
    // is_var_ctx_off_allowed: check_mem_region_access over U16_MAX bytes, even for an unmoved pointer.
    const insnOff = a.off - regOff;
    if (regOff < 0 && insnOff + regOff < 0) {
      return refuse(`R${reg} min value is negative, either use unsigned index or do a if (index >=0) check.`);
    }
    if (a.off < 0 || a.off + a.size > U16_MAX) {
      return refuse(`invalid access to context, ctx_size=${U16_MAX} off=${a.off} size=${a.size}\nR${reg} min value is outside of the allowed memory range`);
    }
    // A negative constant is a huge unsigned one: reg_umax >= BPF_MAX_VAR_OFF.
    if (regOff < 0) return refuse(`R${reg} unbounded memory access, make sure to bounds check any such access`);
    return undefined;
  }
  if (regOff < 0) return refuse(`negative offset ctx ptr R${reg} off=${regOff} disallowed`);
  const fixedOffOk = ctxRegOffsetAllowed(a.kernelVersion) && !progOps.converts;
  if (regOff !== 0 && !fixedOffOk) return refuse(`dereference of modified ctx ptr R${reg} off=${regOff} disallowed`);
  return undefined;
}

/** check_mem_access: what the loaded register becomes (a store leaves no register). */
function resultOf(info: AccessInfo, size: 1 | 2 | 4 | 8, form: CtxInsnForm): CtxResult {
  if (info.regType === 'SCALAR_VALUE') return { type: 'SCALAR_VALUE', size, signExtended: form === 'ldsx' };
  if (info.regType === 'PTR_TO_BTF_ID') return { type: 'PTR_TO_BTF_ID', trusted: true, btfStruct: info.btfStruct! };
  return { type: info.regType };
}

/**
 * include/linux/bpf_verifier.h / kernel/bpf/log.c reg_type_str: the name the verifier's log gives a loaded
 * pointer ("pkt", "sock_or_null", "trusted_ptr_sk_buff"); "scalar" for a scalar.
 */
export function ctxResultLogName(r: CtxResult): string {
  switch (r.type) {
    case 'SCALAR_VALUE': return 'scalar';
    case 'PTR_TO_PACKET': return 'pkt';
    case 'PTR_TO_PACKET_META': return 'pkt_meta';
    case 'PTR_TO_PACKET_END': return 'pkt_end';
    case 'PTR_TO_FLOW_KEYS': return 'flow_keys';
    case 'PTR_TO_SOCKET': return 'sock';
    case 'PTR_TO_SOCKET_OR_NULL': return 'sock_or_null';
    case 'PTR_TO_SOCK_COMMON_OR_NULL': return 'sock_common_or_null';
    case 'PTR_TO_TP_BUFFER': return 'tp_buffer';
    case 'PTR_TO_BTF_ID': return `trusted_ptr_${r.btfStruct}`;
  }
}

/**
 * A loaded scalar's bounds (coerce_reg_to_size / coerce_reg_to_size_sx after mark_reg_unknown), as the
 * verifier tracks them: signed and unsigned 64-bit ranges.
 */
export function ctxScalarBounds(r: Extract<CtxResult, { type: 'SCALAR_VALUE' }>): { smin: bigint; smax: bigint; umin: bigint; umax: bigint } {
  const bits = BigInt(r.size * 8);
  if (r.size === 8) return { smin: -(1n << 63n), smax: (1n << 63n) - 1n, umin: 0n, umax: (1n << 64n) - 1n };
  if (!r.signExtended) return { smin: 0n, smax: (1n << bits) - 1n, umin: 0n, umax: (1n << bits) - 1n };
  return { smin: -(1n << (bits - 1n)), smax: (1n << (bits - 1n)) - 1n, umin: 0n, umax: (1n << 64n) - 1n };
}
