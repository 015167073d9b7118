// The packet helpers (net/core/filter.c) on a test run's packet (packet.ts): the ones that move or resize
// it, rewrite it, bpf_redirect and bpf_redirect_map, and bpf_fib_lookup (fib-lookup.ts). helpers.ts callHelper
// delegates every id listed here.
import { HelperErrno } from './helper-errno.js';
import { ETH_HLEN, EthType, IPV4_HLEN, IPV6_HLEN } from '../../uapi/net.js';
import { helperIdByName } from '../../uapi/helpers.js';
import type { Vm } from './interpreter.js';
import { ProgramFault } from './memory.js';
import { RedirectMapTable } from '../maps/redirect-map.js';
import type { ProgramMap } from '../maps/program-map.js';
import { fibLookup } from './fib-lookup.js';
import { BPF_SKB_MAX_LEN, SkbPacket, XDP_FRAME_SIZE, XdpFrame, type RunPacket } from './packet.js';
import { csumFrom32to16, csumPartial, csumReplace2, csumReplace4, csumReplaceByDiff, csumSub } from './csum.js';
import { AdjRoomFlags, AdjRoomMode, SkbFlags, TcAction, XdpAction } from '../../uapi/bpf.js';

/**
 * net/core/filter.c bpf_helper_changes_pkt_data: the helpers after which packet pointers are stale
 * (the verifier clears them, kernel/bpf/verifier.c clear_all_pkt_pointers; compiled code drops the
 * inline caches it holds of the packet's region).
 */
export const changesPktData: ReadonlySet<number> = new Set(
  ['clone_redirect', 'l3_csum_replace', 'l4_csum_replace', 'lwt_push_encap', 'lwt_seg6_action', 'lwt_seg6_adjust_srh',
    'lwt_seg6_store_bytes', 'msg_pop_data', 'msg_pull_data', 'msg_push_data', 'skb_adjust_room', 'skb_change_head',
    'skb_change_proto', 'skb_change_tail', 'skb_pull_data', 'skb_store_bytes', 'skb_vlan_pop', 'skb_vlan_push',
    'store_hdr_opt', 'xdp_adjust_head', 'xdp_adjust_meta', 'xdp_adjust_tail',
    // "tail-called program could call any of the above" (6.12's tree has it, as 6.13 onwards)
    'tail_call'].map(helperIdByName),
);

const id = (name: string): number => helperIdByName(name);
export const PacketHelperId = {
  Redirect: id('redirect'), XdpAdjustHead: id('xdp_adjust_head'), XdpAdjustMeta: id('xdp_adjust_meta'),
  XdpAdjustTail: id('xdp_adjust_tail'), XdpGetBuffLen: id('xdp_get_buff_len'), SkbStoreBytes: id('skb_store_bytes'),
  L3CsumReplace: id('l3_csum_replace'), L4CsumReplace: id('l4_csum_replace'), CsumDiff: id('csum_diff'),
  SkbPullData: id('skb_pull_data'), SkbChangeTail: id('skb_change_tail'), SkbChangeHead: id('skb_change_head'),
  SkbAdjustRoom: id('skb_adjust_room'), RedirectMap: id('redirect_map'), FibLookup: id('fib_lookup'),
} as const;

/** How many of r1..r5 each packet helper reads (its BPF_CALL_n): helpers.ts helperArity takes them. */
export const packetHelperArity: Readonly<Record<number, number>> = {
  [PacketHelperId.Redirect]: 2, [PacketHelperId.XdpAdjustHead]: 2, [PacketHelperId.XdpAdjustMeta]: 2,
  [PacketHelperId.XdpAdjustTail]: 2, [PacketHelperId.XdpGetBuffLen]: 1, [PacketHelperId.SkbStoreBytes]: 5,
  [PacketHelperId.L3CsumReplace]: 5, [PacketHelperId.L4CsumReplace]: 5, [PacketHelperId.CsumDiff]: 5,
  [PacketHelperId.SkbPullData]: 2, [PacketHelperId.SkbChangeTail]: 3, [PacketHelperId.SkbChangeHead]: 3,
  [PacketHelperId.SkbAdjustRoom]: 4, [PacketHelperId.RedirectMap]: 3, [PacketHelperId.FibLookup]: 4,
};

const { EINVAL, EACCES, EFAULT, ENOMEM, ENOTSUPP, EALREADY } = HelperErrno;

/** What the packet helpers need of the run: its packet and the emulated kernel's rules. */
export interface PacketRun {
  packet: RunPacket;
  /** kernel-version.ts xdpMetaMax. */
  xdpMetaMax: number;
  /** kernel-version.ts csumDiffFolds. */
  csumDiffFolds: boolean;
  /** kernel-version.ts tunnelKeyNoKeyFlag. */
  tunnelKeyNoKeyFlag: boolean;
  /** kernel-version.ts adjustRoomDecapL3. */
  adjustRoomDecapL3: boolean;
  /** kernel-version.ts fibLookupFlagMask. */
  fibLookupFlagMask: number;
}

/** An `int` argument (BPF_CALL_n's int: the register's low 32 bits, signed). */
const int = (r: bigint): number => Number(BigInt.asIntN(32, r));

/** Runs packet helper `helper` (one of packetHelperArity's). */
export function callPacketHelper(helper: number, vm: Vm, run: PacketRun): bigint {
  const r = vm.regs;
  switch (helper) {
    case PacketHelperId.XdpAdjustHead:
      return xdpAdjustHead(xdpOf(run, helper), int(r[2]!));
    case PacketHelperId.XdpAdjustTail:
      return xdpAdjustTail(xdpOf(run, helper), int(r[2]!));
    case PacketHelperId.XdpAdjustMeta:
      return xdpAdjustMeta(xdpOf(run, helper), int(r[2]!), run.xdpMetaMax);
    case PacketHelperId.XdpGetBuffLen: {
      // xdp_get_buff_len: the linear part (test_run's frames here have no fragments).
      const xdp = xdpOf(run, helper);
      return BigInt(xdp.end - xdp.data);
    }
    case PacketHelperId.Redirect:
      // bpf_xdp_redirect: any flag aborts; bpf_redirect (tc): any flag but BPF_F_INGRESS is TC_ACT_SHOT. The
      // target is recorded for the caller (xdp_do_redirect, skb_do_redirect), which a test run never calls,
      // so only the verdict shows.
      if (run.packet instanceof XdpFrame) return BigInt(r[2] === 0n ? XdpAction.Redirect : XdpAction.Aborted);
      if (run.packet instanceof SkbPacket) return BigInt((r[2]! & ~BPF_F_INGRESS) === 0n ? TcAction.Redirect : TcAction.Shot);
      throw new ProgramFault('bpf_redirect needs an XDP or skb packet');
    case PacketHelperId.RedirectMap: {
      // bpf_xdp_redirect_map: the map's map_redirect (maps/redirect-map.ts), for XDP alone.
      xdpOf(run, helper);
      const map = vm.memory.handleOf(vm.tags[1]!, r[1]!) as ProgramMap;
      if (!(map.table instanceof RedirectMapTable)) throw new ProgramFault('bpf_redirect_map needs a devmap, cpumap or xskmap');
      return map.table.redirect(r[2]!, r[3]!);
    }
    case PacketHelperId.FibLookup:
      return fibLookup(vm, run.fibLookupFlagMask);
    case PacketHelperId.CsumDiff:
      return csumDiff(vm, run.csumDiffFolds);
    case PacketHelperId.SkbStoreBytes:
      return skbStoreBytes(vm, skbOf(run, helper));
    case PacketHelperId.L3CsumReplace:
    case PacketHelperId.L4CsumReplace:
      return csumReplace(helper === PacketHelperId.L4CsumReplace, skbOf(run, helper), r);
    case PacketHelperId.SkbPullData:
      return skbPullData(skbOf(run, helper), Number(r[2]! & 0xffffffffn));
    case PacketHelperId.SkbChangeTail:
      return skbChangeTail(skbOf(run, helper), Number(r[2]! & 0xffffffffn), r[3]!);
    case PacketHelperId.SkbChangeHead:
      return skbChangeHead(skbOf(run, helper), Number(r[2]! & 0xffffffffn), r[3]!);
    case PacketHelperId.SkbAdjustRoom:
      return skbAdjustRoom(skbOf(run, helper), int(r[2]!), Number(r[3]! & 0xffffffffn), r[4]!, run.adjustRoomDecapL3);
    default:
      throw new ProgramFault(`helper #${helper} is not a packet helper`);
  }
}

function skbOf(run: PacketRun, helper: number): SkbPacket {
  if (run.packet instanceof SkbPacket) return run.packet;
  throw new ProgramFault(`helper #${helper} needs an skb`);
}

function xdpOf(run: PacketRun, helper: number): XdpFrame {
  if (run.packet instanceof XdpFrame) return run.packet;
  throw new ProgramFault(`helper #${helper} needs an XDP frame`);
}

// net/core/filter.c bpf_xdp_adjust_head: data moves by offset, staying after the xdp_frame kept at the
// page's start and the metadata (which moves with it, memmove), and leaving an Ethernet header before
// data_end.
function xdpAdjustHead(xdp: XdpFrame, offset: number): bigint {
  const metalen = xdp.data - xdp.meta;
  const data = xdp.data + offset;
  if (data < XDP_FRAME_SIZE + metalen || data > xdp.end - ETH_HLEN) return EINVAL;
  if (metalen > 0) xdp.page.copyWithin(xdp.meta + offset, xdp.meta, xdp.data);
  xdp.meta += offset;
  xdp.data = data;
  xdp.moved();
  return 0n;
}

// bpf_xdp_adjust_tail on a linear frame: data_end up to xdp_data_hard_end (the page less the shared info)
// and down to an Ethernet header after data; grown room is zeroed.
function xdpAdjustTail(xdp: XdpFrame, offset: number): bigint {
  const end = xdp.end + offset;
  if (end > xdp.hardEnd || end < xdp.data + ETH_HLEN) return EINVAL;
  if (offset > 0) xdp.page.fill(0, xdp.end, end);
  xdp.end = end;
  xdp.moved();
  return 0n;
}

// bpf_xdp_adjust_meta: data_meta between the xdp_frame's end and data (EINVAL), the metadata a multiple of
// 4 of at most xdpMetaMax bytes (xdp_metalen_invalid: EACCES). The bytes are left as they are.
function xdpAdjustMeta(xdp: XdpFrame, offset: number, metaMax: number): bigint {
  const meta = xdp.meta + offset;
  const metalen = xdp.data - meta;
  if (meta < XDP_FRAME_SIZE || meta > xdp.data) return EINVAL;
  if (xdpMetalenInvalid(metalen, metaMax)) return EACCES;
  xdp.meta = meta;
  xdp.moved();
  return 0n;
}

/** include/net/xdp.h xdp_metalen_invalid. */
export function xdpMetalenInvalid(metalen: number, metaMax: number): boolean {
  return (metalen & 3) !== 0 || metalen > metaMax;
}

// ---- skb ----

const { RecomputeCsum, InvalidateHash, HdrFieldMask, PseudoHdr, MarkMangled0, MarkEnforce, Ipv6, Ingress } = SkbFlags;
const BPF_F_INGRESS = BigInt(Ingress);
/** include/net/checksum.h CSUM_MANGLED_0: a UDP checksum that computed to 0, as it is sent. */
const CSUM_MANGLED_0 = 0xffff;

/**
 * net/core/filter.c bpf_try_make_writable → skb_ensure_writable: pskb_may_pull fails (ENOMEM) for more
 * than skb->len bytes; a linear, unshared test_run skb is writable otherwise.
 */
const writable = (skb: SkbPacket, writeLen: number): boolean => writeLen <= skb.len;

// bpf_skb_store_bytes: flags BPF_F_RECOMPUTE_CSUM (skb->csum, only with CHECKSUM_COMPLETE, which a test
// run's skb does not have) and BPF_F_INVALIDATE_HASH (skb_clear_hash, after the write) else EINVAL; an offset
// past INT_MAX or a write past skb->len (offset + len as a u32) is EFAULT.
function skbStoreBytes(vm: Vm, skb: SkbPacket): bigint {
  const [, , offsetReg, from, lenReg, flags] = vm.regs as [bigint, bigint, bigint, bigint, bigint, bigint];
  const len = Number(lenReg & 0xffffffffn);
  return skbStore(skb, Number(offsetReg & 0xffffffffn), () => vm.memory.read(vm.tags[3]!, from, len), len, flags);
}

/** __bpf_skb_store_bytes (bpf_skb_store_bytes, bpf_dynptr_write on an skb): `len` bytes from `from()` at `offset`. */
export function skbStore(skb: SkbPacket, offset: number, from: () => Uint8Array, len: number, flags: bigint): bigint {
  if ((flags & ~BigInt(RecomputeCsum | InvalidateHash)) !== 0n) return EINVAL;
  if (offset > 0x7fffffff) return EFAULT;
  if (!writable(skb, (offset + len) >>> 0)) return EFAULT;
  skb.bytes().set(from(), offset);
  if (flags & BigInt(InvalidateHash)) skb.clearHash();
  return 0n;
}

// bpf_l3_csum_replace / bpf_l4_csum_replace: the __sum16 at skb->data + offset (even, at most 0xffff,
// EFAULT) updated for a 2- or 4-byte field changing from `from` to `to` (flags' low nibble), or by a diff
// (0: `from` must be 0). l4: BPF_F_MARK_MANGLED_0 leaves a zero checksum alone (unless BPF_F_MARK_ENFORCE)
// and writes CSUM_MANGLED_0 for a result of 0; BPF_F_PSEUDO_HDR and BPF_F_IPV6 only touch skb->csum under
// CHECKSUM_COMPLETE (net/core/utils.c inet_proto_csum_replace*), which a test run's skb is not: its
// ip_summed is CHECKSUM_NONE, so the l4 updates are csum_replace4 / _by_diff as l3's are.
function csumReplace(l4: boolean, skb: SkbPacket, r: readonly bigint[]): bigint {
  const flags = r[5]!;
  const allowed = l4 ? MarkMangled0 | MarkEnforce | PseudoHdr | HdrFieldMask | Ipv6 : HdrFieldMask;
  if ((flags & ~BigInt(allowed)) !== 0n) return EINVAL;
  const offset = Number(r[2]! & 0xffffffffn);
  if (offset > 0xffff || (offset & 1) !== 0) return EFAULT;
  if (!writable(skb, offset + 2)) return EFAULT;
  const bytes = skb.bytes();
  const sum = bytes[offset]! | (bytes[offset + 1]! << 8);
  const f = Number(flags);
  const mangled0 = l4 && (f & MarkMangled0) !== 0;
  if (mangled0 && (f & MarkEnforce) === 0 && sum === 0) return 0n;
  const from = r[3]!;
  const to = r[4]!;
  let next: number;
  switch (f & HdrFieldMask) {
    case 0:
      if (from !== 0n) return EINVAL;
      next = csumReplaceByDiff(sum, Number(to & 0xffffffffn));
      break;
    case 2:
      // l3: csum_replace2; l4: inet_proto_csum_replace2, which is csum_replace4 of the u16s.
      next = l4 ? csumReplace4(sum, Number(from & 0xffffn), Number(to & 0xffffn)) : csumReplace2(sum, Number(from & 0xffffn), Number(to & 0xffffn));
      break;
    case 4:
      next = csumReplace4(sum, Number(from & 0xffffffffn), Number(to & 0xffffffffn));
      break;
    default:
      return EINVAL;
  }
  if (mangled0 && next === 0) next = CSUM_MANGLED_0;
  bytes[offset] = next & 0xff;
  bytes[offset + 1] = next >> 8;
  return 0n;
}

// bpf_csum_diff(from, from_size, to, to_size, seed): kernel-version.ts csumDiffFolds says which helper.
function csumDiff(vm: Vm, folds: boolean): bigint {
  const [, from, fromSizeReg, to, toSizeReg, seedReg] = vm.regs as [bigint, bigint, bigint, bigint, bigint, bigint];
  const fromSize = Number(fromSizeReg & 0xffffffffn);
  const toSize = Number(toSizeReg & 0xffffffffn);
  const seed = Number(seedReg & 0xffffffffn);
  // Either pointer may be NULL with a size of 0 (ARG_PTR_TO_MEM | PTR_MAYBE_NULL).
  const fromBytes = fromSize > 0 ? vm.memory.read(vm.tags[1]!, from, fromSize) : new Uint8Array(0);
  const toBytes = toSize > 0 ? vm.memory.read(vm.tags[3]!, to, toSize) : new Uint8Array(0);
  if (folds) {
    let ret = seed;
    if (fromSize && toSize) ret = csumSub(csumPartial(toBytes, ret), csumPartial(fromBytes, 0));
    else if (toSize) ret = csumPartial(toBytes, ret);
    else if (fromSize) ret = ~csumPartial(fromBytes, ~ret >>> 0) >>> 0;
    return BigInt(csumFrom32to16(ret));
  }
  // Before 6.13: the negated from words, then the to words, summed in a 512-byte scratchpad.
  if (((fromSize | toSize) & 3) !== 0 || fromSize + toSize > 512) return EINVAL;
  const diff = new Uint8Array(fromSize + toSize);
  for (let i = 0; i < fromSize; i++) diff[i] = ~fromBytes[i]! & 0xff;
  diff.set(toBytes, fromSize);
  return BigInt(csumPartial(diff, seed));
}

// bpf_skb_pull_data: the first len bytes (0: the linear part) made writable; more than skb->len is ENOMEM.
// A test run's skb is all linear, so nothing moves.
function skbPullData(skb: SkbPacket, len: number): bigint {
  return writable(skb, len || skb.len) ? 0n : ENOMEM;
}

/** __bpf_skb_min_len: the network header's offset from data, or the transport header's once set. */
function skbMinLen(skb: SkbPacket): number {
  let minLen = Math.max(0, skb.network - skb.data);
  if (skb.transport >= 0) minLen = Math.max(minLen, skb.transport - skb.data);
  return minLen;
}

// __bpf_skb_change_tail: no flags, new_len between __bpf_skb_min_len and BPF_SKB_MAX_LEN, else EINVAL;
// an encapsulated skb is ENOTSUPP; grown bytes are zeroed.
function skbChangeTail(skb: SkbPacket, newLen: number, flags: bigint): bigint {
  if (flags !== 0n || newLen > BPF_SKB_MAX_LEN || newLen < skbMinLen(skb)) return EINVAL;
  if (skb.encapsulation) return ENOTSUPP;
  skb.reserve(0, skb.data + newLen);
  const grownFrom = skb.end;
  skb.end = skb.data + newLen;
  if (skb.end > grownFrom) skb.buffer.fill(0, grownFrom, skb.end);
  // skb_gso_reset: a GSO skb (a ctx_in's gso_size) is one no longer.
  if (skb.gsoSize !== 0) {
    skb.gsoSize = 0;
    skb.gsoSegs = 0;
  }
  skb.moved();
  return 0n;
}

// __bpf_skb_change_head: no flags, head_room a non-negative int, the new length at most BPF_SKB_MAX_LEN
// (unless GSO), else EINVAL; head_room zeroed bytes pushed before data, which becomes the mac header (the
// network header stays where it was).
function skbChangeHead(skb: SkbPacket, headRoom: number, flags: bigint): bigint {
  const newLen = skb.len + headRoom;
  if (flags !== 0n || headRoom > 0x7fffffff || (skb.gsoSize === 0 && newLen > BPF_SKB_MAX_LEN)) return EINVAL;
  skb.reserve(headRoom, skb.end);
  skb.data -= headRoom;
  skb.buffer.fill(0, skb.data, skb.data + headRoom);
  skb.mac = skb.data; // skb_reset_mac_header
  skb.moved();
  return 0n;
}

const ADJ = AdjRoomFlags;
const ADJ_ENCAP_L3 = ADJ.EncapL3Ipv4 | ADJ.EncapL3Ipv6;
const ADJ_DECAP_L3 = ADJ.DecapL3Ipv4 | ADJ.DecapL3Ipv6;
/** skb->protocol as __sk_buff reads it (SkbPacket.protocol): the big-endian EtherType, loaded little-endian. */
export const skbProtocol = (ethType: number): number => ((ethType & 0xff) << 8) | (ethType >> 8);
export const PROTO_IPV4 = skbProtocol(EthType.Ipv4);
export const PROTO_IPV6 = skbProtocol(EthType.Ipv6);

// bpf_skb_adjust_room (net/core/filter.c): len_diff bytes inserted or removed after the mac header
// (BPF_ADJ_ROOM_MAC) or after the IPv4/IPv6 base header (BPF_ADJ_ROOM_NET); the headers' offsets from data
// stay. Encap flags mark the skb encapsulated and move the network (and with GRE/UDP the transport)
// header to the new outer header; decap flags (6.3) set the protocol after the outer header goes. A ctx_in's
// gso_size makes the skb GSO with no gso_type, which both directions refuse (ENOTSUPP).
function skbAdjustRoom(skb: SkbPacket, lenDiff: number, mode: number, flags: bigint, decapL3: boolean): bigint {
  const decapMask = decapL3 ? ADJ_DECAP_L3 : 0n;
  const mask = ADJ.FixedGso | ADJ_ENCAP_L3 | ADJ.EncapL4Gre | ADJ.EncapL4Udp | ADJ.EncapL2Eth | ADJ.EncapL2Mask | decapMask;
  if ((flags & ~(mask | ADJ.NoCsumReset)) !== 0n) return EINVAL;
  const diff = Math.abs(lenDiff);
  if (diff > 0xfff) return EFAULT;
  if (skb.protocol !== PROTO_IPV4 && skb.protocol !== PROTO_IPV6) return ENOTSUPP;
  // bpf_skb_net_base_len
  const baseLen = skb.protocol === PROTO_IPV4 ? IPV4_HLEN : IPV6_HLEN;
  let off = skb.network - skb.mac;
  if (mode === AdjRoomMode.Net) off += baseLen;
  else if (mode !== AdjRoomMode.Mac) return ENOTSUPP;
  const shrink = lenDiff < 0;
  let lenMin = baseLen;
  if ((flags & decapMask) !== 0n) {
    if (!shrink) return EINVAL;
    const decap = flags & decapMask;
    if (decap === ADJ.DecapL3Ipv4) lenMin = IPV4_HLEN;
    else if (decap === ADJ.DecapL3Ipv6) lenMin = IPV6_HLEN;
    else return EINVAL;
  }
  const lenCur = skb.len - (skb.network - skb.data);
  if (shrink ? diff >= lenCur || lenCur - diff < lenMin : skb.len + diff > BPF_SKB_MAX_LEN && skb.gsoSize === 0) return ENOTSUPP;
  const rc = shrink ? adjustRoomShrink(skb, off, diff, flags, decapMask) : adjustRoomGrow(skb, off, diff, flags);
  skb.moved();
  return rc;
}

// bpf_skb_net_shrink: bpf_skb_net_hdr_pop's len bytes at data + off removed (ENOMEM past skb->len).
function adjustRoomShrink(skb: SkbPacket, off: number, len: number, flags: bigint, decapMask: bigint): bigint {
  if ((flags & ~(ADJ.FixedGso | decapMask | ADJ.NoCsumReset)) !== 0n) return EINVAL;
  if (skb.gsoSize !== 0) return ENOTSUPP; // a GSO skb not TCP nor fixed UDP_L4: test_run sets no gso_type
  if (netHdrPop(skb, off, len) !== 0n) return ENOMEM;
  if (flags & ADJ.DecapL3Ipv6) skb.protocol = PROTO_IPV6;
  else if (flags & ADJ.DecapL3Ipv4) skb.protocol = PROTO_IPV4;
  return 0n;
}

// bpf_skb_net_grow: the encap flags' checks, then bpf_skb_net_hdr_push's len zeroed bytes at data + off.
function adjustRoomGrow(skb: SkbPacket, off: number, len: number, flags: bigint): bigint {
  const encap = (flags & ADJ_ENCAP_L3) !== 0n;
  const innerMacLen = Number(flags >> 56n) & 0xff;
  const macLen = skb.network - skb.mac;
  if (skb.gsoSize !== 0) return ENOTSUPP; // as in bpf_skb_net_shrink
  if (encap) {
    if ((flags & ADJ_ENCAP_L3) === ADJ_ENCAP_L3) return EINVAL;
    if ((flags & ADJ.EncapL4Gre) && (flags & ADJ.EncapL4Udp)) return EINVAL;
    if ((flags & ADJ.EncapL2Eth) && innerMacLen < ETH_HLEN) return EINVAL;
    if (skb.encapsulation) return EALREADY;
    if (innerMacLen > len) return EINVAL;
  }
  netHdrPush(skb, off, len);
  if (encap) {
    skb.encapsulation = true;
    skb.network = skb.data + macLen; // skb_set_network_header(skb, mac_len)
    if (flags & (ADJ.EncapL4Gre | ADJ.EncapL4Udp)) skb.transport = skb.network + (flags & ADJ.EncapL3Ipv6 ? IPV6_HLEN : IPV4_HLEN);
    skb.protocol = flags & ADJ.EncapL3Ipv6 ? PROTO_IPV6 : PROTO_IPV4;
  }
  return 0n;
}

/**
 * net/core/filter.c skb_cow then bpf_skb_net_hdr_push: len zeroed bytes inserted at data + off (the bytes
 * before move to the new data), the mac and network headers moved back with them (the transport header
 * too when it was the network header's).
 */
export function netHdrPush(skb: SkbPacket, off: number, len: number): void {
  const transSame = skb.transport === skb.network;
  skb.reserve(len, skb.end);
  skb.data -= len;
  skb.buffer.copyWithin(skb.data, skb.data + len, skb.data + len + off);
  skb.buffer.fill(0, skb.data + off, skb.data + off + len);
  skb.mac -= len;
  skb.network -= len;
  if (transSame) skb.transport = skb.network;
}

/** bpf_skb_net_hdr_pop: the len bytes at data + off removed, as netHdrPush's inverse; ENOMEM past skb->len. */
export function netHdrPop(skb: SkbPacket, off: number, len: number): bigint {
  if (off + len > skb.len) return ENOMEM;
  const transSame = skb.transport === skb.network;
  skb.buffer.copyWithin(skb.data + len, skb.data, skb.data + off);
  skb.data += len;
  skb.mac += len;
  skb.network += len;
  if (transSame) skb.transport = skb.network;
  return 0n;
}
