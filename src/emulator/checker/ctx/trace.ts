// Contexts whose fields are plain memory: kernel/trace/bpf_trace.c (kprobe's pt_regs, a tracepoint's record,
// raw tracepoint arguments, bpf_perf_event_data), kernel/bpf/syscall.c (a syscall program's own buffer),
// drivers/media/rc/bpf-lirc.c (lirc_mode2's one sample) and net/netfilter/nf_bpf_link.c (bpf_nf_ctx).
import { kprobeCtxWritable, syscallCtxAnyAlignment } from '../../kernel-version.js';
import {
  BpfNfCtx as N, BpfPerfEventData as P, MAX_BPF_FUNC_ARGS, PERF_MAX_TRACE_SIZE, PT_REGS_SIZE, U16_MAX, inField,
  misaligned, narrowAccessOk,
} from './layouts.js';
import type { IsValidAccess } from './types.js';

/**
 * kernel/trace/bpf_trace.c kprobe_prog_is_valid_access: any aligned access inside pt_regs. Read-only until
 * uprobe programs could change registers (kprobeCtxWritable): since, a write marks the program
 * (prog->aux->kprobe_write_ctx) and attaching it to a kprobe is refused instead.
 */
export const kprobeIsValidAccess: IsValidAccess = (off, size, write, prog) => {
  if (off < 0 || off >= PT_REGS_SIZE) return false;
  if (write && !kprobeCtxWritable(prog.kernelVersion)) return false;
  if (misaligned(off, size)) return false;
  return off + size <= PT_REGS_SIZE;
};

/**
 * kernel/trace/bpf_trace.c tp_prog_is_valid_access: aligned reads of the record past its 8-byte header. Its
 * lower bound compares the int offset with sizeof(void *), as unsigned: a negative offset passes it (and the
 * int upper bound), so the kernel loads *(u64 *)(r1 - 8) in a tracepoint program.
 */
export const tracepointIsValidAccess: IsValidAccess = (off, size, write) => {
  if (off >>> 0 < 8 || off >= PERF_MAX_TRACE_SIZE) return false;
  if (write) return false;
  return !misaligned(off, size);
};

/** include/linux/bpf.h bpf_tracing_ctx_access: aligned reads of the u64 argument array. */
export const rawTracepointIsValidAccess: IsValidAccess = (off, size, write) => {
  if (off < 0 || off >= 8 * MAX_BPF_FUNC_ARGS) return false;
  if (write) return false;
  return !misaligned(off, size);
};

/**
 * kernel/trace/bpf_trace.c raw_tp_writable_prog_is_valid_access: the first argument is the tracepoint's
 * writable buffer (PTR_TO_TP_BUFFER), read whole.
 */
export const rawTracepointWritableIsValidAccess: IsValidAccess = (off, size, write, prog, info) => {
  if (off === 0) {
    if (size !== 8 || write) return false;
    info.regType = 'PTR_TO_TP_BUFFER';
  }
  return rawTracepointIsValidAccess(off, size, write, prog, info);
};

/**
 * kernel/trace/bpf_trace.c pe_prog_is_valid_access: read-only; the registers 8 bytes at a time (unsigned
 * long), sample_period and addr narrow.
 */
export const perfEventIsValidAccess: IsValidAccess = (off, size, write, _prog, info) => {
  if (off < 0 || off >= P.size) return false;
  if (write) return false;
  if (misaligned(off, size)) return false; // 64-bit: no 4-byte-aligned u64 exception
  if (inField(off, P.sample_period) || inField(off, P.addr)) {
    info.ctxFieldSize = 8;
    return narrowAccessOk(size, 8);
  }
  return size === 8;
};

/**
 * kernel/bpf/syscall.c syscall_prog_is_valid_access: the program's context is the caller's buffer, up to
 * U16_MAX bytes, read and written freely; aligned until syscallCtxAnyAlignment.
 */
export const syscallIsValidAccess: IsValidAccess = (off, size, _write, prog) => {
  if (off < 0 || off >= U16_MAX) return false;
  if (!syscallCtxAnyAlignment(prog.kernelVersion) && misaligned(off, size)) return false;
  return true;
};

/** drivers/media/rc/bpf-lirc.c lirc_mode2_is_valid_access: the one u32 sample, read. */
export const lircMode2IsValidAccess: IsValidAccess = (off, size, write) => !write && off === 0 && size === 4;

/**
 * net/netfilter/nf_bpf_link.c nf_is_valid_access: the two pointers, read whole, as trusted BTF pointers to
 * struct nf_hook_state and struct sk_buff. Aligned since "bpf: Check netfilter ctx accesses are aligned"
 * (6.17, also in the 6.12 stable series measured).
 */
export const netfilterIsValidAccess: IsValidAccess = (off, size, write, _prog, info) => {
  if (off < 0 || off >= N.size) return false;
  if (misaligned(off, size)) return false;
  if (write) return false;
  const field = inField(off, N.skb) ? N.skb : N.state;
  if (size !== field.size) return false;
  info.regType = 'PTR_TO_BTF_ID';
  info.btfStruct = field === N.skb ? 'sk_buff' : 'nf_hook_state';
  return true;
};
