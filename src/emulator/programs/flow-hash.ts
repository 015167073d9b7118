// The software flow hash skb_get_hash computes when an skb has none (net/core/flow_dissector.c __skb_get_hash:
// skb_flow_dissect_flow_keys with FLOW_DISSECTOR_F_STOP_AT_FLOW_LABEL, __flow_hash_consistentify, then
// jhash2 of the keys). The kernel seeds it with hashrnd, drawn at random once per boot, so no two kernels
// agree on the value: the emulator's seed is its own. What a program may rely on holds: the hash is never 0,
// is the same for both directions of a flow and for any payload, and follows the flow's EtherType, IP
// protocol, addresses, VLAN id, and ports (TCP, UDP, UDP-Lite, SCTP, DCCP; none for a fragment or past a
// non-zero IPv6 flow label, which is hashed instead).
import { EthType, IpProto, IPV4_HLEN, IPV6_HLEN } from '../../uapi/net.js';
import { jhash2 } from '../maps/jhash.js';
import type { SkbPacket } from './packet.js';

/** The emulator's hashrnd. */
const HASH_SEED = 0x9e3779b9;
/** include/uapi/linux/ip.h IP_MF | IP_OFFSET: a fragment's bits of frag_off. */
const IP_FRAGMENT = 0x3fff;
const PORT_PROTOS: ReadonlySet<number> = new Set(Object.values(IpProto));
/** The keys hashed: n_proto and ip_proto, vlan, flow label, ports, up to two IPv6 addresses. */
const KEY_WORDS = 4 + 8;

/** __skb_get_hash's value for `skb` as it is now; never 0. Also whether the keys had ports (l4_hash). */
export function flowHash(skb: SkbPacket): { hash: number; l4: boolean } {
  const key = new Uint8Array(KEY_WORDS * 4);
  const view = new DataView(key.buffer);
  const bytes = skb.buffer;
  const at = skb.network;
  const end = skb.end;
  const be16 = (off: number): number => (bytes[off]! << 8) | bytes[off + 1]!;
  // skb->protocol as the wire has it.
  const nProto = ((skb.protocol & 0xff) << 8) | (skb.protocol >> 8);
  let ipProto = 0;
  let label = 0;
  let l4At = -1;
  let addrs: [Uint8Array, Uint8Array] | null = null;
  if (nProto === EthType.Ipv4 && at + IPV4_HLEN <= end) {
    const ihl = (bytes[at]! & 0xf) * 4;
    ipProto = bytes[at + 9]!;
    addrs = [bytes.slice(at + 12, at + 16), bytes.slice(at + 16, at + 20)];
    if (ihl >= IPV4_HLEN && (be16(at + 6) & IP_FRAGMENT) === 0) l4At = at + ihl;
  } else if (nProto === EthType.Ipv6 && at + IPV6_HLEN <= end) {
    ipProto = bytes[at + 6]!;
    addrs = [bytes.slice(at + 8, at + 24), bytes.slice(at + 24, at + 40)];
    label = ((bytes[at + 1]! & 0xf) << 16) | be16(at + 2);
    if (label === 0) l4At = at + IPV6_HLEN;
  }
  view.setUint32(0, nProto | (ipProto << 16), true);
  if (skb.vlanPresent) view.setUint32(4, (skb.vlanTci & 0xfff) | (skb.vlanProto << 16), true);
  view.setUint32(8, label, true);
  const l4 = l4At >= 0 && PORT_PROTOS.has(ipProto) && l4At + 4 <= end;
  if (l4) {
    // __flow_hash_consistentify: the smaller port first, and the smaller address.
    const [a, b] = [be16(l4At), be16(l4At + 2)].sort((x, y) => x - y);
    view.setUint32(12, a! | (b! << 16), true);
  }
  if (addrs !== null) {
    if (compare(addrs[1], addrs[0]) < 0) addrs.reverse();
    key.set(addrs[0], 16);
    key.set(addrs[1], 16 + addrs[0].length);
  }
  const hash = jhash2(key, 0, key.length, HASH_SEED);
  // __flow_hash_from_keys: a hash of 0 becomes 1 (0 means "no hash").
  return { hash: hash === 0 ? 1 : hash, l4 };
}

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}
