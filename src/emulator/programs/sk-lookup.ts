// BPF_PROG_TEST_RUN of an sk_lookup program (net/bpf/test_run.c bpf_prog_test_run_sk_lookup): a struct
// bpf_sk_lookup ctx_in (required) describes the lookup, the program reads it as net/core/filter.c
// sk_lookup_convert_ctx_access reads the kernel's struct bpf_sk_lookup_kern, and the verdict comes back as
// BPF_PROG_SK_LOOKUP_RUN_ARRAY gives it, with the ctx_in as ctx_out and its cookie that of the selected
// socket. The emulator has no sockets (bpf_sk_assign is not emulated), so none is ever selected: cookie 0.
import { EAFNOSUPPORT, EINVAL, ERANGE } from '../../uapi/errno.js';
import { AddressFamily } from '../../uapi/net.js';
import { BpfSkLookup as L } from '../checker/ctx/layouts.js';
import { ctxInit } from './ctx-init.js';
import { ctxFault, narrowCtxLoad } from './ctx-load.js';
import type { Memory, VirtualRegion } from './memory.js';
import type { PreparedContext, TestRunInput } from './run-input.js';

const U16_MAX = 0xffff;
/** include/uapi/linux/bpf.h enum sk_action. */
const SK_DROP = 0;
const SK_PASS = 1;
/** offsetofend(struct bpf_sk_lookup, local_port): the ctx_in must be zero from here on. */
const ZERO_FROM = L.local_port.off + L.local_port.size;
const IP6_WORDS = L.remote_ip6_3.off + 4 - L.remote_ip6_0.off;

export function skLookupContext(input: TestRunInput, memory: Memory): PreparedContext | number {
  // No packet in or out (cpu and flags were refused before: contexts.ts).
  if ((input.data && input.data.length > 0) || input.dataOut) return EINVAL;
  const user = ctxInit(input.ctx, input.ctxOut, L.size);
  if (typeof user === 'number') return user;
  if (!user) return EINVAL;
  const view = new DataView(user.buffer);
  // A selected socket (the cookie) may not be given, nor ingress_ifindex or anything past local_port.
  if (view.getBigUint64(L.sk.off, true) !== 0n || user.subarray(ZERO_FROM).some((b) => b !== 0)) return EINVAL;
  const localPort = view.getUint32(L.local_port.off, true);
  if (localPort > U16_MAX) return ERANGE;
  // bpf_sk_lookup_kern keeps family and protocol as u16s (the ctx_in's high halves are dropped), the ports
  // as __be16 sport and u16 dport, the IPv4 addresses by value and the IPv6 ones by pointer into the ctx_in.
  const family = view.getUint16(L.family.off, true);
  if (family !== AddressFamily.Inet && family !== AddressFamily.Inet6) return EAFNOSUPPORT;
  const v4 = family === AddressFamily.Inet;
  const u32 = (off: number): bigint => BigInt(view.getUint32(off, true));
  // The kernel member behind each 4-byte field (its value and size), or undefined for none.
  const member = (field: number): [bigint, number] | undefined => {
    if (field === L.family.off) return [BigInt(family), 2];
    if (field === L.protocol.off) return [BigInt(view.getUint16(L.protocol.off, true)), 2];
    if (field === L.remote_ip4.off || field === L.local_ip4.off) return [v4 ? u32(field) : 0n, 4];
    // v6.saddr / v6.daddr: NULL for an IPv4 lookup, which the converted load reads as 0.
    if (inIp6(field, L.remote_ip6_0.off) || inIp6(field, L.local_ip6_0.off)) return [v4 ? 0n : u32(field), 4];
    if (field === L.local_port.off) return [BigInt(localPort), 2];
    // The test run leaves ingress_ifindex 0.
    if (field === L.ingress_ifindex.off) return [0n, 4];
    return undefined;
  };
  const sport = BigInt(view.getUint16(L.remote_port.off, true));
  const region: VirtualRegion = {
    name: 'ctx (struct bpf_sk_lookup)',
    size: L.size,
    load(off, size) {
      // ctx->sk: selected_sk, NULL at the start of every run.
      if (off === L.sk.off && size === 8) return 0n;
      // remote_port: 2 bytes (or a 4-byte load of them), then 2 bytes of padding that read as 0.
      if (off >= L.remote_port.off && off < L.local_ip4.off) {
        return off >= L.remote_port.off + 2 ? 0n : narrowCtxLoad(sport, 2, off - L.remote_port.off, size);
      }
      const field = off & ~3;
      const m = size <= 4 ? member(field) : undefined;
      if (m) return narrowCtxLoad(m[0], m[1], off - field, size);
      return ctxFault(off);
    },
    store(off) {
      ctxFault(off, 'written');
    },
  };
  return {
    r1: memory.addRegion(region, 'run'),
    // BPF_PROG_SK_LOOKUP_RUN_ARRAY over the one program: SK_DROP only when it returned SK_DROP and selected
    // nothing (it cannot select anything here).
    retval: (r0) => (Number(r0 & 0xffffffffn) === SK_DROP ? SK_DROP : SK_PASS),
    dataOut: () => null,
    // user_ctx->cookie = 0 (no socket selected), then bpf_ctx_finish: the struct as the ctx_in gave it.
    ctxOut: () => user,
  };
}

function inIp6(field: number, start: number): boolean {
  return field >= start && field < start + IP6_WORDS;
}
