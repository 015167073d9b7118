// The layers of a packet: what the builders take (fields with defaults optional) and what packet.parse
// returns (every field, lengths and checksums as they are in the bytes, and whether each checksum is right).

/** An 802.1Q tag: VLAN id (12 bits), priority (3 bits), drop eligible; `tpid` 0x8100 unless given (0x88a8 for an outer 802.1ad tag). */
export interface Vlan {
  id: number;
  pcp?: number;
  dei?: boolean;
  tpid?: number;
}

export interface EthernetFields {
  /** Default 02:00:00:00:00:01 (a locally administered address). */
  src?: string;
  /** Default 02:00:00:00:00:02. */
  dst?: string;
  /** One tag (a VLAN id or a Vlan), or several, outermost first. */
  vlan?: number | Vlan | readonly (number | Vlan)[];
  /** The EtherType; only needed before a payload that is not IP (an IP layer sets its own). */
  type?: number;
}

export interface EthernetHeader {
  src: string;
  dst: string;
  /** The tags, outermost first (empty when untagged). */
  vlan: Required<Vlan>[];
  type: number;
}

/** An IPv4 option (RFC 791): a NOP, a router alert (RFC 2113), or any other by its type byte and data. */
export type Ipv4Option = 'nop' | { routerAlert: number } | { type: number; data: Uint8Array };

export interface Ipv4Fields {
  src: string;
  dst: string;
  /** Default 64. */
  ttl?: number;
  tos?: number;
  id?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  /** In bytes, a multiple of 8. A fragment other than the first carries no transport header. */
  fragmentOffset?: number;
  /** Padded with end-of-options bytes to a multiple of 4, at most 40 bytes. */
  options?: readonly Ipv4Option[];
  /** Default: the next layer's (6, 17, 1), else 253 (RFC 3692's experimental number). */
  protocol?: number;
  /** Written instead of the right checksum (to test a program with a bad one). */
  checksum?: number;
}

export interface Ipv4Header {
  src: string;
  dst: string;
  ttl: number;
  tos: number;
  id: number;
  dontFragment: boolean;
  moreFragments: boolean;
  fragmentOffset: number;
  options: Ipv4Option[];
  protocol: number;
  headerLength: number;
  totalLength: number;
  checksum: number;
  checksumValid: boolean;
}

/** An option of a hop-by-hop or destination options header (RFC 8200 section 4.2); padding is added. */
export interface Ipv6TlvOption {
  type: number;
  data: Uint8Array;
}

/** An IPv6 extension header (RFC 8200 section 4), in the order given. */
export type Ipv6Extension =
  | { type: 'hop-by-hop'; options?: readonly Ipv6TlvOption[] }
  | { type: 'destination'; options?: readonly Ipv6TlvOption[] }
  /** The type 0 layout: 4 reserved bytes, then addresses; with segments left, the last address is the final destination. */
  | { type: 'routing'; routingType?: number; segmentsLeft?: number; addresses?: readonly string[] }
  /** `offset` in bytes, a multiple of 8. */
  | { type: 'fragment'; offset?: number; more?: boolean; id?: number };

export type ParsedIpv6Extension =
  | { type: 'hop-by-hop'; options: Ipv6TlvOption[] }
  | { type: 'destination'; options: Ipv6TlvOption[] }
  | { type: 'routing'; routingType: number; segmentsLeft: number; addresses: string[] }
  | { type: 'fragment'; offset: number; more: boolean; id: number };

export interface Ipv6Fields {
  src: string;
  dst: string;
  /** Default 64. */
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
  extensions?: readonly Ipv6Extension[];
  /** Default: the next layer's, else 59 (no next header). */
  nextHeader?: number;
}

export interface Ipv6Header {
  src: string;
  dst: string;
  hopLimit: number;
  trafficClass: number;
  flowLabel: number;
  extensions: ParsedIpv6Extension[];
  /** The protocol after the last extension header. */
  nextHeader: number;
  payloadLength: number;
}

export type TcpFlag = 'fin' | 'syn' | 'rst' | 'psh' | 'ack' | 'urg' | 'ece' | 'cwr';

/** A TCP option (RFC 9293, 7323, 2018); padded with end-of-options bytes to a multiple of 4, at most 40 bytes. */
export type TcpOption =
  | 'nop'
  | { mss: number }
  | { windowScale: number }
  | { sackPermitted: true }
  | { sack: readonly (readonly [number, number])[] }
  | { timestamp: readonly [number, number] }
  | { kind: number; data: Uint8Array };

export interface TcpFields {
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  flags?: readonly TcpFlag[];
  /** Default 65535. */
  window?: number;
  urgent?: number;
  options?: readonly TcpOption[];
  checksum?: number;
}

export interface TcpHeader {
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  /** In the header's bit order: fin, syn, rst, psh, ack, urg, ece, cwr. */
  flags: TcpFlag[];
  window: number;
  urgent: number;
  options: TcpOption[];
  headerLength: number;
  checksum: number;
  checksumValid: boolean;
}

export interface UdpFields {
  sport: number;
  dport: number;
  checksum?: number;
}

export interface UdpHeader {
  sport: number;
  dport: number;
  length: number;
  checksum: number;
  /** True also for 0 over IPv4, which means "no checksum" (RFC 768); over IPv6, 0 is invalid (RFC 8200). */
  checksumValid: boolean;
}

/** ICMP or ICMPv6: `id` and `sequence` are the second word of the header, as echo messages use it. */
export interface IcmpFields {
  /** Default: echo request (8 for ICMP, 128 for ICMPv6). */
  type?: number;
  code?: number;
  id?: number;
  sequence?: number;
  checksum?: number;
}

export interface IcmpHeader {
  type: number;
  code: number;
  id: number;
  sequence: number;
  checksum: number;
  checksumValid: boolean;
}

export type LayerName = 'ethernet' | 'ipv4' | 'ipv6' | 'tcp' | 'udp' | 'icmp' | 'icmpv6';

export interface ParsedPacket {
  /** The headers found, outermost first. */
  layers: LayerName[];
  ethernet?: EthernetHeader;
  ipv4?: Ipv4Header;
  ipv6?: Ipv6Header;
  tcp?: TcpHeader;
  udp?: UdpHeader;
  icmp?: IcmpHeader;
  icmpv6?: IcmpHeader;
  /** What follows the last header (up to the IP or UDP length). */
  payload: Uint8Array;
  /** Bytes after the datagram the IP header's length covers (an Ethernet frame's padding). */
  trailer: Uint8Array;
  /** Every checksum found is right (a fragment's transport checksum cannot be checked, and is not). */
  checksumsValid: boolean;
}

/** Where packet.parse starts: an Ethernet frame (the default; what tc and XDP programs see) or a bare IP packet. */
export interface ParseOptions {
  from?: 'ethernet' | 'ipv4' | 'ipv6';
}
