// The tc helpers that change an skb's metadata (net/core/filter.c): its VLAN tag (bpf_skb_vlan_push/_pop),
// protocol (bpf_skb_change_proto), pkt_type (bpf_skb_change_type), hash (bpf_get_hash_recalc, bpf_set_hash,
// bpf_set_hash_invalid) and tunnel key (tunnel-key.ts). __sk_buff reads what they leave (contexts.ts);
// helpers.ts callHelper delegates every id listed here.
import { helperIdByName } from '../../uapi/helpers.js';
import { ETH_HLEN, ETH_P_802_3_MIN, EthType, IPV6_HLEN, IPV4_HLEN, PACKET_OTHERHOST, VLAN_HLEN } from '../../uapi/net.js';
import type { Vm } from './interpreter.js';
import { ProgramFault } from './memory.js';
import { SkbPacket } from './packet.js';
import { netHdrPop, netHdrPush, PROTO_IPV4, PROTO_IPV6, skbProtocol, type PacketRun } from './packet-helpers.js';
import { HelperErrno } from './helper-errno.js';
import { flowHash } from './flow-hash.js';
import { getTunnelKey, setTunnelKey } from './tunnel-key.js';

const { EINVAL, ENOMEM, ENOTSUPP } = HelperErrno;
const id = (name: string): number => helperIdByName(name);
export const SkbMetaHelperId = {
  VlanPush: id('skb_vlan_push'), VlanPop: id('skb_vlan_pop'), ChangeProto: id('skb_change_proto'), ChangeType: id('skb_change_type'),
  GetHashRecalc: id('get_hash_recalc'), SetHash: id('set_hash'), SetHashInvalid: id('set_hash_invalid'),
  SetTunnelKey: id('skb_set_tunnel_key'), GetTunnelKey: id('skb_get_tunnel_key'),
} as const;
const H = SkbMetaHelperId;

/** How many of r1..r5 each reads (its BPF_CALL_n): helpers.ts helperArity takes them. */
export const skbMetaHelperArity: Readonly<Record<number, number>> = {
  [H.VlanPush]: 3, [H.VlanPop]: 1, [H.ChangeProto]: 3, [H.ChangeType]: 2, [H.GetHashRecalc]: 1, [H.SetHash]: 2,
  [H.SetHashInvalid]: 1, [H.SetTunnelKey]: 4, [H.GetTunnelKey]: 4,
};

/** skb->vlan_proto values (SkbPacket.vlanProto, the __be16 loaded little-endian). */
const VLAN_8021Q = skbProtocol(EthType.Vlan8021Q);
const VLAN_8021AD = skbProtocol(EthType.Vlan8021AD);
/** include/linux/if_vlan.h eth_type_vlan. */
const isVlan = (proto: number): boolean => proto === VLAN_8021Q || proto === VLAN_8021AD;
/** VLAN_ETH_HLEN: the Ethernet header with one tag. */
const VLAN_ETH_HLEN = ETH_HLEN + VLAN_HLEN;
/** The two MAC addresses, which a tag goes after. */
const ETH_ADDRS_LEN = 12;
/** include/uapi/linux/if_ether.h ETH_P_802_3 and ETH_P_802_2 as skb->protocol holds them. */
const PROTO_802_3 = skbProtocol(0x0001);
const PROTO_802_2 = skbProtocol(0x0004);

/** Runs skb metadata helper `helper` (one of skbMetaHelperArity's). */
export function callSkbMetaHelper(helper: number, vm: Vm, run: PacketRun): bigint {
  const skb = run.packet;
  if (!(skb instanceof SkbPacket)) throw new ProgramFault(`helper #${helper} needs an skb`);
  const r = vm.regs;
  switch (helper) {
    case H.VlanPush:
      return vlanPush(skb, Number(r[2]! & 0xffffn), Number(r[3]! & 0xffffn));
    case H.VlanPop:
      return vlanPop(skb);
    case H.ChangeProto:
      return changeProto(skb, Number(r[2]! & 0xffffn), r[3]!);
    case H.ChangeType: {
      // bpf_skb_change_type: only between PACKET_HOST and PACKET_OTHERHOST (skb_pkt_type_ok), from and to.
      const type = Number(r[2]! & 0xffffffffn);
      if (skb.pktType > PACKET_OTHERHOST || type > PACKET_OTHERHOST) return EINVAL;
      skb.pktType = type;
      return 0n;
    }
    case H.GetHashRecalc:
      // skb_get_hash: the flow hash, computed unless a software or L4 hash is set.
      if (!skb.l4Hash && !skb.swHash) {
        const { hash, l4 } = flowHash(skb);
        setSwHash(skb, hash, l4);
      }
      return BigInt(skb.hash);
    case H.SetHash:
      setSwHash(skb, Number(r[2]! & 0xffffffffn), true);
      return 0n;
    case H.SetHashInvalid:
      skb.clearHash();
      return 0n;
    case H.SetTunnelKey:
      return setTunnelKey(vm, skb, run.tunnelKeyNoKeyFlag);
    case H.GetTunnelKey:
      return getTunnelKey(vm, skb);
    default:
      throw new ProgramFault(`helper #${helper} is not an skb metadata helper`);
  }
}

/** include/linux/skbuff.h __skb_set_sw_hash. */
function setSwHash(skb: SkbPacket, hash: number, l4: boolean): void {
  skb.hash = hash;
  skb.swHash = true;
  skb.l4Hash = l4;
}

// bpf_skb_vlan_push → net/core/skbuff.c skb_vlan_push: a proto other than 802.1Q or 802.1ad is 802.1Q. The
// tag goes to the skb (hwaccel); a tag already there is first written into the packet after the MAC
// addresses (__vlan_insert_tag), and the packet's protocol becomes that tag's.
function vlanPush(skb: SkbPacket, protoArg: number, tci: number): bigint {
  const proto = isVlan(protoArg) ? protoArg : VLAN_8021Q;
  if (skb.vlanPresent) {
    if (skb.data !== skb.mac) return EINVAL; // WARN_ONCE: data not at the mac header
    skb.reserve(VLAN_HLEN, skb.end); // skb_cow_head
    skb.data -= VLAN_HLEN;
    skb.mac -= VLAN_HLEN;
    const b = skb.buffer;
    b.copyWithin(skb.data, skb.data + VLAN_HLEN, skb.data + VLAN_HLEN + ETH_ADDRS_LEN);
    // h_vlan_proto (__be16, as skb->vlan_proto holds it) and h_vlan_TCI (htons).
    b[skb.data + ETH_ADDRS_LEN] = skb.vlanProto & 0xff;
    b[skb.data + ETH_ADDRS_LEN + 1] = skb.vlanProto >> 8;
    b[skb.data + ETH_HLEN] = skb.vlanTci >> 8;
    b[skb.data + ETH_HLEN + 1] = skb.vlanTci & 0xff;
    skb.protocol = skb.vlanProto;
    skb.moved();
  }
  skb.vlanProto = proto;
  skb.vlanTci = tci;
  return 0n;
}

// bpf_skb_vlan_pop → skb_vlan_pop: the skb's tag goes, or else the packet's first tag if its protocol is a
// VLAN's; then a packet tag left in front moves to the skb.
function vlanPop(skb: SkbPacket): bigint {
  if (skb.vlanPresent) {
    skb.vlanProto = 0;
    skb.vlanTci = 0;
  } else {
    if (!isVlan(skb.protocol)) return 0n;
    const popped = popPacketTag(skb);
    if (typeof popped === 'bigint') return popped;
  }
  if (!isVlan(skb.protocol)) return 0n;
  const proto = skb.protocol;
  const tci = popPacketTag(skb);
  if (typeof tci === 'bigint') return tci;
  skb.vlanProto = proto;
  skb.vlanTci = tci;
  return 0n;
}

// __skb_vlan_pop: the tag after the MAC addresses removed, its TCI returned (data not at the mac header is
// EINVAL, a packet too short for skb_ensure_writable ENOMEM); skb->protocol becomes the encapsulated one
// (vlan_set_encap_proto: a type below ETH_P_802_3_MIN is ETH_P_802_3 before 0xffff, else ETH_P_802_2), and
// the network header stays at least an Ethernet header past data.
function popPacketTag(skb: SkbPacket): number | bigint {
  if (skb.data !== skb.mac) return EINVAL;
  if (skb.len < VLAN_ETH_HLEN) return ENOMEM;
  const b = skb.buffer;
  const tag = skb.data + ETH_HLEN;
  const tci = (b[tag]! << 8) | b[tag + 1]!;
  const encap = (b[tag + 2]! << 8) | b[tag + 3]!;
  const raw = tag + VLAN_HLEN + 2 <= skb.end ? (b[tag + VLAN_HLEN]! << 8) | b[tag + VLAN_HLEN + 1]! : 0;
  b.copyWithin(skb.data + VLAN_HLEN, skb.data, skb.data + ETH_ADDRS_LEN);
  skb.data += VLAN_HLEN;
  skb.mac += VLAN_HLEN;
  skb.protocol = encap >= ETH_P_802_3_MIN ? skbProtocol(encap) : raw === 0xffff ? PROTO_802_3 : PROTO_802_2;
  if (skb.network - skb.data < ETH_HLEN) skb.network = skb.data + ETH_HLEN;
  skb.moved();
  return tci;
}

// bpf_skb_change_proto: no flags (EINVAL); IPv4 to IPv6 inserts the 20 bytes an IPv6 header has more after
// the mac header (bpf_skb_proto_4_to_6: skb_cow, bpf_skb_net_hdr_push), IPv6 to IPv4 removes them
// (bpf_skb_proto_6_to_4: ENOMEM when the packet is shorter); anything else is ENOTSUPP. The program writes
// the new header itself. Either way the hash is cleared.
function changeProto(skb: SkbPacket, proto: number, flags: bigint): bigint {
  if (flags !== 0n) return EINVAL;
  const lenDiff = IPV6_HLEN - IPV4_HLEN;
  const off = skb.network - skb.mac;
  if (skb.protocol === PROTO_IPV4 && proto === PROTO_IPV6) {
    netHdrPush(skb, off, lenDiff);
  } else if (skb.protocol === PROTO_IPV6 && proto === PROTO_IPV4) {
    if (netHdrPop(skb, off, lenDiff) !== 0n) return ENOMEM;
  } else {
    return ENOTSUPP;
  }
  skb.protocol = proto;
  skb.clearHash();
  skb.moved();
  return 0n;
}
