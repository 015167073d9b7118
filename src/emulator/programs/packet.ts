// The packet of a test run as the packet helpers move it (net/core/filter.c): an XDP frame (struct xdp_buff
// over one page) or an skb's linear data. The program reaches it through one byte region whose window is
// always the current packet — [data_meta, data_end) for XDP, [mac header, data_end) for skb — so a pointer
// computed before a move cannot reach bytes outside the packet as it is now, whatever the checker let
// through. A packet pointer is (region id << 32) + its offset in the buffer, which is past the headroom the
// kernel's test run reserves (the window's ByteRegion.origin): like a kernel pointer, its low word is never
// 0. The context's data/data_meta/data_end loads read the offsets as they are at that moment.
import { ETH_HLEN } from '../../uapi/net.js';
import { regionTag, type ByteRegion, type Memory } from './memory.js';

/**
 * The window a packet's region shows: mutable, the region object stays for the run (ids do not move). Its
 * origin is where it starts in the buffer, as a packet pointer's low word is its buffer offset.
 */
interface PacketRegion extends ByteRegion {
  size: number;
  origin: number;
  buffer: Uint8Array;
}

function packetRegion(buffer: Uint8Array, start: number, size: number): PacketRegion {
  const region: PacketRegion = {
    name: 'packet', size, writable: true, origin: start, buffer,
    bytes: () => region.buffer,
    base: () => region.origin,
  };
  return region;
}

/** What the ctx regions and the packet helpers share: the region and the pointers into it. */
export abstract class RunPacket {
  protected readonly region: PacketRegion;
  /** The region's id: every packet pointer's high word, and its tag. */
  readonly hi: number;
  constructor(protected readonly memory: Memory, buffer: Uint8Array, start: number, size: number) {
    this.region = packetRegion(buffer, start, size);
    this.hi = regionTag(memory.addRegion(this.region, 'run'));
  }

  /** The pointer to buffer offset `at` (its low word; the high word is `hi`). */
  protected low(at: number): number {
    return at | 0;
  }

  /** The same as a BigInt. */
  protected pointer(at: number): bigint {
    return (BigInt(this.hi >>> 0) << 32n) | BigInt(at >>> 0);
  }

  /** Buffer offsets of skb->data / xdp->data and data_end. */
  abstract data: number;
  abstract end: number;

  /** The data and data_end pointers as loadWords() gives them: the low word, the high word in hi[0]. */
  dataWords(hi: Int32Array): number {
    hi[0] = this.hi;
    return this.low(this.data);
  }
  endWords(hi: Int32Array): number {
    hi[0] = this.hi;
    return this.low(this.end);
  }
  get dataPtr(): bigint {
    return this.pointer(this.data);
  }
  get endPtr(): bigint {
    return this.pointer(this.end);
  }

  /** Shows [start, end) of `buffer` from now on; pointers made before keep their buffer offsets. */
  protected show(buffer: Uint8Array, start: number, end: number): void {
    this.region.buffer = buffer;
    this.region.origin = start;
    this.region.size = end - start;
    // Executors that cached the region's bounds or bytes (compiled-runtime.ts FastMemory) look again.
    this.memory.regionChanged();
  }
}

/**
 * struct ip_tunnel_info as bpf_skb_set_tunnel_key fills it: the key's id, tos, ttl, flow label, addresses
 * (src and dst: 4 bytes for IPv4, 16 for IPv6, as the key gave them) and tun_flags (the __be16 form).
 */
export interface TunnelInfo {
  ipv6: boolean;
  id: number;
  tos: number;
  ttl: number;
  label: number;
  flags: number;
  src: Uint8Array;
  dst: Uint8Array;
}

/** PAGE_SIZE on x86-64: test_run's frame (rxqueue->xdp_rxq.frag_size, xdp_init_buff's frame_sz). */
export const PAGE_SIZE = 4096;
/** SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on x86-64: the tailroom every frame and skb keeps. */
export const SHINFO_SIZE = 320;
/** sizeof(struct xdp_frame), kept at the frame's start (data_hard_start): measured 40 on 6.18 (x86-64). */
export const XDP_FRAME_SIZE = 40;

/**
 * struct xdp_buff over one page, as bpf_prog_test_run_xdp builds it: data_hard_start at offset 0, the
 * frame's end PAGE_SIZE on (xdp_data_hard_end reserves the shared info), offsets of data_meta, data and
 * data_end in the page.
 */
export class XdpFrame extends RunPacket {
  readonly page: Uint8Array;
  meta: number;
  data: number;
  end: number;
  constructor(memory: Memory, page: Uint8Array, meta: number, data: number, end: number) {
    super(memory, page, meta, end - meta);
    this.page = page;
    this.meta = meta;
    this.data = data;
    this.end = end;
  }

  /** include/net/xdp.h xdp_data_hard_end: data_end may grow up to here. */
  get hardEnd(): number {
    return PAGE_SIZE - SHINFO_SIZE;
  }

  /** The bytes from data_meta to data_end (what data_out receives). */
  bytes(): Uint8Array {
    return this.page.subarray(this.meta, this.end);
  }

  /** After data_meta, data or data_end moved: the region shows the new packet. */
  moved(): void {
    this.show(this.page, this.meta, this.end);
  }

  metaWords(hi: Int32Array): number {
    hi[0] = this.hi;
    return this.low(this.meta);
  }
  get metaPtr(): bigint {
    return this.pointer(this.meta);
  }
}

/** NET_SKB_PAD + NET_IP_ALIGN on x86-64: the headroom bpf_prog_test_run_skb reserves. */
export const SKB_HEADROOM = 64;
/**
 * net/bpf/test_run.c bpf_test_init: an skb's packet must fit one page with its headroom and tailroom
 * (PAGE_SIZE - NET_SKB_PAD - NET_IP_ALIGN - SKB_DATA_ALIGN(sizeof(struct skb_shared_info))) on x86-64.
 */
export const SKB_MAX_DATA = PAGE_SIZE - SKB_HEADROOM - SHINFO_SIZE;
/**
 * net/core/filter.c BPF_SKB_MAX_LEN (SKB_MAX_ALLOC: four pages less the shared info): the longest packet
 * bpf_skb_change_tail and _change_head make (measured 16064 on 6.18).
 */
export const BPF_SKB_MAX_LEN = 4 * PAGE_SIZE - SHINFO_SIZE;

/**
 * An skb's linear data as bpf_prog_test_run_skb builds it, by offsets in `buffer`: data (skb->data: the
 * Ethernet header for tc, the network header for the other types), end (data + len), the network
 * header. The program's region starts at the Ethernet header (tc: data; the others see it before data).
 * The buffer is reallocated when a helper needs more room than it has (skb_cow, pskb_expand_head).
 */
/**
 * A test run's skb buffer, headroom zeroed, in the memory's scratch (Memory.scratch); a helper that needs more
 * room moves the skb to a buffer of its own (reserve).
 */
function skbBuffer(memory: Memory, size: number): Uint8Array {
  const buffer = new Uint8Array(memory.scratch('skb', Math.max(size, 2 * PAGE_SIZE)), 0, size);
  buffer.fill(0, 0, SKB_HEADROOM);
  return buffer;
}

export class SkbPacket extends RunPacket {
  buffer: Uint8Array;
  data: number;
  end: number;
  /** The mac, network and transport headers (-1: unset, as test_run leaves it). */
  mac: number;
  network: number;
  transport = -1;
  /** skb->protocol as __sk_buff reads it (the big-endian EtherType loaded little-endian). */
  protocol: number;
  /** skb->encapsulation: set by bpf_skb_adjust_room's encap flags. */
  encapsulation = false;
  /** skb_shinfo(skb)->gso_size and gso_segs, from a ctx_in: a non-zero gso_size makes the skb GSO. */
  gsoSize = 0;
  gsoSegs = 0;
  /** skb->pkt_type (eth_type_trans's, then bpf_skb_change_type's). */
  pktType: number;
  /** The hardware-accelerated VLAN tag: skb->vlan_proto (__be16 loaded little-endian, 0: none) and vlan_tci. */
  vlanProto = 0;
  vlanTci = 0;
  /** skb->hash and whether it is a software hash of a flow with ports (sw_hash, l4_hash). */
  hash = 0;
  swHash = false;
  l4Hash = false;
  /** The tunnel info of the metadata dst bpf_skb_set_tunnel_key attached (tunnel-key.ts), or null. */
  tunnel: TunnelInfo | null = null;
  constructor(memory: Memory, packet: Uint8Array, readonly isL2: boolean, protocol: number, pktType: number) {
    const buffer = skbBuffer(memory, SKB_HEADROOM + packet.length);
    buffer.set(packet, SKB_HEADROOM);
    super(memory, buffer, SKB_HEADROOM, packet.length);
    this.buffer = buffer;
    this.mac = SKB_HEADROOM;
    this.network = SKB_HEADROOM + ETH_HLEN;
    this.data = isL2 ? SKB_HEADROOM : this.network;
    this.end = SKB_HEADROOM + packet.length;
    this.protocol = protocol;
    this.pktType = pktType;
  }

  /** __sk_buff's vlan_present: skb->vlan_all (the tag's proto and tci) is not 0. */
  get vlanPresent(): boolean {
    return this.vlanProto !== 0 || this.vlanTci !== 0;
  }

  /** skb_clear_hash. */
  clearHash(): void {
    this.hash = 0;
    this.swHash = false;
    this.l4Hash = false;
  }

  /** skb->len (all linear here). */
  get len(): number {
    return this.end - this.data;
  }

  /** The bytes from skb->data on (bpf_skb_load_bytes and the helpers' offsets). */
  bytes(): Uint8Array {
    return this.buffer.subarray(this.data, this.end);
  }

  /**
   * What data_out receives: from skb->data; the other types' skb gets its Ethernet header pushed back
   * zeroed (bpf_prog_test_run_skb: memset(__skb_push(skb, hh_len), 0, hh_len)).
   */
  dataOut(): Uint8Array {
    if (this.isL2) return this.bytes();
    const out = new Uint8Array(ETH_HLEN + this.len);
    out.set(this.bytes(), ETH_HLEN);
    return out;
  }

  /**
   * Room for `head` bytes before data and up to `end` bytes of buffer: the buffer grows, offsets shift. A
   * grown head keeps SKB_HEADROOM before the new room (pskb_expand_head's ALIGN(delta, NET_SKB_PAD) may
   * leave less; nothing a program sees depends on it), so the packet never starts at a pointer's low word 0.
   */
  reserve(head: number, end: number): void {
    const shift = head > this.data ? head - this.data + SKB_HEADROOM : 0;
    if (shift === 0 && end <= this.buffer.length) return;
    const buffer = new Uint8Array(shift + Math.max(end, this.buffer.length));
    buffer.set(this.buffer, shift);
    this.buffer = buffer;
    this.data += shift;
    this.end += shift;
    this.mac += shift;
    this.network += shift;
    if (this.transport >= 0) this.transport += shift;
  }

  /** After data or end moved: the region shows the packet from its Ethernet header (tc: data) to end. */
  moved(): void {
    this.show(this.buffer, this.isL2 ? this.data : this.data - ETH_HLEN, this.end);
  }

}
