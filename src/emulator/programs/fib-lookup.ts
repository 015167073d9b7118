// bpf_fib_lookup (net/core/filter.c bpf_xdp_fib_lookup / bpf_skb_fib_lookup) in a test run, whose packet
// arrives on the loopback device of the emulated network namespace: lo alone, with IPv4 and IPv6 forwarding
// off (a namespace's defaults). So a lookup ends before any route is read: the params' size and flags
// checked (EINVAL), the family (EAFNOSUPPORT for one not IPv4 or IPv6), IPv6 link-local, multicast and
// loopback addresses never forwarded (BPF_FIB_LKUP_RET_NOT_FWDED), an ifindex other than lo's ENODEV, and
// lo's BPF_FIB_LKUP_RET_FWD_DISABLED. The params are left as they were.
import { BPF_FIB_LOOKUP_SIZE, FibLookupOffset, FibLookupRet } from '../../uapi/bpf.js';
import { AddressFamily, LOOPBACK_IFINDEX } from '../../uapi/net.js';
import type { Vm } from './interpreter.js';
import { HelperErrno } from './helper-errno.js';

const { EINVAL, ENODEV, EAFNOSUPPORT } = HelperErrno;

/** bpf_fib_lookup(ctx, params, plen, flags); `flagMask`: kernel-version.ts fibLookupFlagMask. */
export function fibLookup(vm: Vm, flagMask: number): bigint {
  const r = vm.regs;
  // plen is an int compared with a size_t: a negative one is huge (the verifier's ARG_CONST_SIZE bounds it).
  const plen = Number(r[3]! & 0xffffffffn);
  if (plen < BPF_FIB_LOOKUP_SIZE) return EINVAL;
  if ((Number(r[4]! & 0xffffffffn) & ~flagMask) !== 0) return EINVAL;
  const params = vm.memory.read(vm.tags[2]!, r[2]!, BPF_FIB_LOOKUP_SIZE);
  const family = params[FibLookupOffset.Family]!;
  if (family === AddressFamily.Inet6) {
    // bpf_ipv6_fib_lookup: rt6_need_strict of the destination or the source, before the device.
    const strict = (at: number): boolean => {
      const a = params.subarray(at, at + 16);
      const loopback = a.subarray(0, 15).every((b) => b === 0) && a[15] === 1;
      return a[0] === 0xff || (a[0] === 0xfe && (a[1]! & 0xc0) === 0x80) || loopback;
    };
    if (strict(FibLookupOffset.Ipv6Dst) || strict(FibLookupOffset.Ipv6Src)) return BigInt(FibLookupRet.NotFwded);
  } else if (family !== AddressFamily.Inet) {
    return EAFNOSUPPORT;
  }
  const ifindex = new DataView(params.buffer, params.byteOffset).getUint32(FibLookupOffset.Ifindex, true);
  return ifindex === LOOPBACK_IFINDEX ? BigInt(FibLookupRet.FwdDisabled) : ENODEV;
}
