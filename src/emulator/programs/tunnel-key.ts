// bpf_skb_set_tunnel_key and bpf_skb_get_tunnel_key (net/core/filter.c) on a test run's skb. Setting the key
// attaches the per-CPU metadata dst holding it (struct ip_tunnel_info, SkbPacket.tunnel), which a tunnel
// device's transmit would read; a test run has none, so only bpf_skb_get_tunnel_key shows it, from then on
// in the same run (its repeats share the skb). The info is the transmit side's, which the getter reads as
// the receive side's: the key's remote address comes back as local and its local address as remote.
import { BPF_F_TUNINFO_FLAGS, BPF_TUNNEL_KEY_OLD_SIZES, BPF_TUNNEL_KEY_SIZE, TunnelKeyFlags, TunnelKeyOffset } from '../../uapi/bpf.js';
import { TunnelFlag } from '../../uapi/net.js';
import type { Vm } from './interpreter.js';
import type { SkbPacket, TunnelInfo } from './packet.js';
import { HelperErrno } from './helper-errno.js';

const { EINVAL, EPROTO } = HelperErrno;
const K = TunnelKeyOffset;
/** include/net/ipv6.h IPV6_FLOWLABEL_MASK (host order): the label's 20 bits. */
const IPV6_FLOWLABEL_MASK = 0xfffff;
/** offsetof(struct bpf_tunnel_key, remote_ipv6[1]): the IPv4-only layout bpf_skb_get_tunnel_key still fills. */
const IPV4_ONLY_KEY_SIZE = 8;

/**
 * bpf_skb_set_tunnel_key: its flags, the key's size (struct bpf_tunnel_key, or one of its older layouts,
 * zero-extended), no tunnel_label without BPF_F_TUNINFO_IPV6 and no tunnel_ext; then the info, with
 * TUNNEL_NOCACHE and the flags' TUNNEL_* bits (TUNNEL_KEY unless BPF_F_NO_TUNNEL_KEY, TUNNEL_CSUM unless
 * BPF_F_ZERO_CSUM_TX). `noKeyFlag`: kernel-version.ts tunnelKeyNoKeyFlag.
 */
export function setTunnelKey(vm: Vm, skb: SkbPacket, noKeyFlag: boolean): bigint {
  const r = vm.regs;
  const size = Number(r[3]! & 0xffffffffn);
  const flags = r[4]!;
  const known = BigInt(TunnelKeyFlags.TuninfoIpv6 | TunnelKeyFlags.ZeroCsumTx | TunnelKeyFlags.DontFragment | TunnelKeyFlags.SeqNumber
    | (noKeyFlag ? TunnelKeyFlags.NoTunnelKey : 0));
  if ((flags & ~known) !== 0n) return EINVAL;
  if (size !== BPF_TUNNEL_KEY_SIZE && !BPF_TUNNEL_KEY_OLD_SIZES.includes(size)) return EINVAL;
  const key = new Uint8Array(BPF_TUNNEL_KEY_SIZE);
  key.set(vm.memory.read(vm.tags[2]!, r[2]!, size));
  const view = new DataView(key.buffer);
  const f = Number(flags);
  const ipv6 = (f & TunnelKeyFlags.TuninfoIpv6) !== 0;
  const label = view.getUint32(K.TunnelLabel, true);
  if ((!ipv6 && label !== 0) || view.getUint16(K.TunnelExt, true) !== 0) return EINVAL;
  const addrLen = ipv6 ? 16 : 4;
  skb.tunnel = {
    ipv6,
    id: view.getUint32(K.TunnelId, true),
    tos: key[K.Tos]!,
    ttl: key[K.Ttl]!,
    label: ipv6 ? label & IPV6_FLOWLABEL_MASK : 0,
    flags: TunnelFlag.NoCache | (f & TunnelKeyFlags.DontFragment ? TunnelFlag.DontFragment : 0)
      | (f & TunnelKeyFlags.ZeroCsumTx ? 0 : TunnelFlag.Csum) | (f & TunnelKeyFlags.SeqNumber ? TunnelFlag.Seq : 0)
      | (noKeyFlag && f & TunnelKeyFlags.NoTunnelKey ? 0 : TunnelFlag.Key),
    // info->key.u.ipv4/ipv6: dst is the key's remote address, src its local one.
    dst: key.slice(K.Remote, K.Remote + addrLen),
    src: key.slice(K.Local, K.Local + addrLen),
  };
  return 0n;
}

/**
 * bpf_skb_get_tunnel_key(skb, to, size, flags): no tunnel info or an unknown flag is EINVAL, an address
 * family other than the info's EPROTO, a size other than the struct's or its older layouts' EINVAL (the
 * IPv4-only layout for an IPv6 tunnel too); each failure zeroes the size bytes at `to`. Else the key as
 * the info gives it, tunnel_ext 0 or (BPF_F_TUNINFO_FLAGS) the __be16 tunnel flags, its first size bytes.
 */
export function getTunnelKey(vm: Vm, skb: SkbPacket): bigint {
  const r = vm.regs;
  const size = Number(r[3]! & 0xffffffffn);
  const flags = r[4]!;
  const info = skb.tunnel;
  const rc = info === null || (flags & ~BigInt(TunnelKeyFlags.TuninfoIpv6 | BPF_F_TUNINFO_FLAGS)) !== 0n ? EINVAL
    : info.ipv6 !== ((flags & BigInt(TunnelKeyFlags.TuninfoIpv6)) !== 0n) ? EPROTO
      : size !== BPF_TUNNEL_KEY_SIZE && (!BPF_TUNNEL_KEY_OLD_SIZES.includes(size) || (size === IPV4_ONLY_KEY_SIZE && info.ipv6)) ? EINVAL
        : 0n;
  const out = rc === 0n ? keyOf(info!, (flags & BigInt(BPF_F_TUNINFO_FLAGS)) !== 0n) : new Uint8Array(BPF_TUNNEL_KEY_SIZE);
  vm.memory.write(vm.tags[2]!, r[2]!, out.subarray(0, size));
  return rc;
}

/** struct bpf_tunnel_key from the info: remote is its src, local its dst (the address words past IPv4's zeroed). */
function keyOf(info: TunnelInfo, withFlags: boolean): Uint8Array {
  const key = new Uint8Array(BPF_TUNNEL_KEY_SIZE);
  const view = new DataView(key.buffer);
  view.setUint32(K.TunnelId, info.id, true);
  key[K.Tos] = info.tos;
  key[K.Ttl] = info.ttl;
  if (withFlags) view.setUint16(K.TunnelExt, info.flags, false);
  view.setUint32(K.TunnelLabel, info.label, true);
  key.set(info.src, K.Remote);
  key.set(info.dst, K.Local);
  return key;
}
