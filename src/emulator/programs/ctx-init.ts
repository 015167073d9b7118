// net/bpf/test_run.c bpf_ctx_init, shared by the runners whose context is a uapi struct the caller may give:
// the struct zeroed, then as much of ctx_in as fits; a ctx_in longer than the struct must be zero past it
// (bpf_check_uarg_tail_zero: E2BIG, and E2BIG for one over a page whatever it holds). Neither ctx_in nor
// ctx_out given: no struct at all (the runner decides what that means).
import { E2BIG } from '../../uapi/errno.js';
import { PAGE_SIZE } from './packet.js';

export function ctxInit(ctxIn: Uint8Array | null, ctxOut: boolean, size: number): Uint8Array | null | number {
  if (!ctxIn && !ctxOut) return null;
  const ctx = new Uint8Array(size);
  if (!ctxIn) return ctx;
  if (ctxIn.length > PAGE_SIZE || (ctxIn.length > size && ctxIn.subarray(size).some((b) => b !== 0))) return E2BIG;
  ctx.set(ctxIn.subarray(0, size));
  return ctx;
}
