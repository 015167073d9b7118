// The packet builders: packet.ethernet(...).ipv4(...).tcp(...).payload(...).build(). Each call checks its
// fields at once (a TypeError or RangeError naming the builder and field) and returns a new builder, so a
// prefix can be shared; build() writes the layers from the innermost out, since each header holds the
// length, type or checksum of what it carries.
import { parseIpv4, parseIpv6, parseMac } from './address.js';
import { checkArray, checkBool, checkObject, checkUint } from './check.js';
import { describeValue } from '../errors/errors.js';
import { internetChecksum, pseudoHeaderSum } from './checksum.js';
import { encodeIpv4Options, encodeIpv6TlvOptions, encodeTcpOptions } from './options.js';
import type { EthernetFields, IcmpFields, Ipv4Fields, Ipv6Extension, Ipv6Fields, TcpFields, TcpFlag, UdpFields, Vlan } from './types.js';
import { EthType, IcmpProto, IpProto, Ipv6ExtHeader, IPV4_HLEN, IPV6_HLEN } from '../uapi/net.js';

/** The TCP flags in their header bits' order (RFC 9293 section 3.1, RFC 3168 for ece and cwr). */
export const TCP_FLAGS: readonly TcpFlag[] = ['fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'ece', 'cwr'];
/** RFC 3692: the protocol number for experiments, an IPv4 header's default before a bare payload. */
const EXPERIMENTAL_PROTOCOL = 253;
const IP_MAX = 0xffff;
/** RFC 791: the flags and fragment offset word's bits. */
export const IPV4_DF = 0x4000;
export const IPV4_MF = 0x2000;
export const IPV4_OFFSET_MASK = 0x1fff;

type Layer =
  | { kind: 'ethernet'; src: Uint8Array; dst: Uint8Array; vlans: Required<Vlan>[]; type: number | undefined }
  | { kind: 'ipv4'; src: Uint8Array; dst: Uint8Array; ttl: number; tos: number; id: number; flagsOffset: number; options: Uint8Array; protocol: number | undefined; checksum: number | undefined }
  | { kind: 'ipv6'; src: Uint8Array; dst: Uint8Array; finalDst: Uint8Array; hopLimit: number; trafficClass: number; flowLabel: number; extensions: Ext[]; nextHeader: number | undefined }
  | { kind: 'tcp'; header: Uint8Array; checksum: number | undefined }
  | { kind: 'udp'; sport: number; dport: number; checksum: number | undefined }
  | { kind: 'icmp' | 'icmpv6'; type: number; code: number; rest: number; checksum: number | undefined }
  | { kind: 'payload'; data: Uint8Array };

/** An extension header: its protocol number and its bytes after the next-header byte. */
interface Ext {
  proto: number;
  body: Uint8Array;
}

/** What any builder can do: give the bytes. */
export interface PacketBuilder {
  build(): Uint8Array;
}

/** A builder whose last layer may carry a payload. */
export interface PayloadStage extends PacketBuilder {
  /** The bytes after the last header; a string is written as UTF-8. */
  payload(data: Uint8Array | string): PacketBuilder;
}

export interface Ipv4Stage extends PayloadStage {
  tcp(fields: TcpFields): PayloadStage;
  udp(fields: UdpFields): PayloadStage;
  icmp(fields?: IcmpFields): PayloadStage;
}

export interface Ipv6Stage extends PayloadStage {
  tcp(fields: TcpFields): PayloadStage;
  udp(fields: UdpFields): PayloadStage;
  icmpv6(fields?: IcmpFields): PayloadStage;
}

export interface EthernetStage extends PayloadStage {
  ipv4(fields: Ipv4Fields): Ipv4Stage;
  ipv6(fields: Ipv6Fields): Ipv6Stage;
}

/** Which layer may follow which: the builders' types say it, and this says it to JavaScript callers. */
const FOLLOWS: Record<Layer['kind'], readonly Layer['kind'][]> = {
  ethernet: ['ipv4', 'ipv6', 'payload'],
  ipv4: ['tcp', 'udp', 'icmp', 'payload'],
  ipv6: ['tcp', 'udp', 'icmpv6', 'payload'],
  tcp: ['payload'],
  udp: ['payload'],
  icmp: ['payload'],
  icmpv6: ['payload'],
  payload: [],
};

function stage(layers: readonly Layer[]): EthernetStage & Ipv4Stage & Ipv6Stage {
  const add = (next: Layer): EthernetStage & Ipv4Stage & Ipv6Stage => {
    const last = layers[layers.length - 1]!;
    if (!FOLLOWS[last.kind].includes(next.kind)) throw new TypeError(`packet.${next.kind}: cannot follow ${last.kind === 'payload' ? 'the payload' : `the ${last.kind} header`}`);
    return stage([...layers, next]);
  };
  return {
    ipv4: (fields) => add(ipv4Layer(fields)),
    ipv6: (fields) => add(ipv6Layer(fields)),
    tcp: (fields) => add(tcpLayer(fields)),
    udp: (fields) => add(udpLayer(fields)),
    icmp: (fields = {}) => add(icmpLayer('icmp', fields)),
    icmpv6: (fields = {}) => add(icmpLayer('icmpv6', fields)),
    payload: (data) => add(payloadLayer(data)),
    build: () => serialize(layers),
  };
}

export const ethernet = (fields: EthernetFields = {}): EthernetStage => stage([ethernetLayer(fields)]);
export const ipv4 = (fields: Ipv4Fields): Ipv4Stage => stage([ipv4Layer(fields)]);
export const ipv6 = (fields: Ipv6Fields): Ipv6Stage => stage([ipv6Layer(fields)]);

const opt = <T>(v: T | undefined, fallback: T): T => (v === undefined ? fallback : v);
const optUint = (op: string, what: string, v: unknown, bits: number, fallback: number): number => checkUint(op, what, opt(v, fallback), bits);
const optChecksum = (op: string, v: unknown): number | undefined => (v === undefined ? undefined : checkUint(op, 'checksum', v, 16));

function ethernetLayer(fields: EthernetFields): Layer {
  const op = 'packet.ethernet';
  const f = checkObject(op, 'fields', fields) as EthernetFields;
  const tags = f.vlan === undefined ? [] : Array.isArray(f.vlan) ? f.vlan : [f.vlan];
  const vlans = (tags as (number | Vlan)[]).map((t, i): Required<Vlan> => {
    const v = typeof t === 'number' ? { id: t } : (checkObject(op, `vlan[${i}]`, t) as unknown as Vlan);
    return {
      id: checkUint(op, `vlan[${i}].id`, v.id, 12),
      pcp: optUint(op, `vlan[${i}].pcp`, v.pcp, 3, 0),
      dei: checkBool(op, `vlan[${i}].dei`, opt(v.dei, false)),
      tpid: optUint(op, `vlan[${i}].tpid`, v.tpid, 16, EthType.Vlan8021Q),
    };
  });
  return {
    kind: 'ethernet',
    src: parseMac(op, 'src', opt(f.src, '02:00:00:00:00:01')),
    dst: parseMac(op, 'dst', opt(f.dst, '02:00:00:00:00:02')),
    vlans,
    type: f.type === undefined ? undefined : checkUint(op, 'type', f.type, 16),
  };
}

function ipv4Layer(fields: Ipv4Fields): Layer {
  const op = 'packet.ipv4';
  const f = checkObject(op, 'fields', fields) as unknown as Ipv4Fields;
  const offset = optUint(op, 'fragmentOffset', f.fragmentOffset, 16, 0);
  if (offset % 8 !== 0 || offset / 8 > IPV4_OFFSET_MASK) throw new RangeError(`${op}: fragmentOffset must be a multiple of 8 up to ${IPV4_OFFSET_MASK * 8}, got ${offset}`);
  const df = checkBool(op, 'dontFragment', opt(f.dontFragment, false));
  const mf = checkBool(op, 'moreFragments', opt(f.moreFragments, false));
  return {
    kind: 'ipv4',
    src: parseIpv4(op, 'src', f.src),
    dst: parseIpv4(op, 'dst', f.dst),
    ttl: optUint(op, 'ttl', f.ttl, 8, 64),
    tos: optUint(op, 'tos', f.tos, 8, 0),
    id: optUint(op, 'id', f.id, 16, 0),
    flagsOffset: (df ? IPV4_DF : 0) | (mf ? IPV4_MF : 0) | (offset / 8),
    options: encodeIpv4Options(op, opt(f.options, [])),
    protocol: f.protocol === undefined ? undefined : checkUint(op, 'protocol', f.protocol, 8),
    checksum: optChecksum(op, f.checksum),
  };
}

function ipv6Layer(fields: Ipv6Fields): Layer {
  const op = 'packet.ipv6';
  const f = checkObject(op, 'fields', fields) as unknown as Ipv6Fields;
  const dst = parseIpv6(op, 'dst', f.dst);
  let finalDst = dst;
  const extensions = checkArray<Ipv6Extension>(op, 'extensions', opt(f.extensions, [])).map((e, i): Ext => {
    const what = `extensions[${i}]`;
    const x = checkObject(op, what, e) as unknown as Ipv6Extension;
    switch (x.type) {
      case 'hop-by-hop':
      case 'destination':
        return { proto: x.type === 'hop-by-hop' ? Ipv6ExtHeader.HopByHop : Ipv6ExtHeader.Destination, body: withLength(encodeIpv6TlvOptions(`${op}: ${what}`, opt(x.options, []))) };
      case 'routing': {
        const addresses = checkArray<string>(op, `${what}.addresses`, opt(x.addresses, [])).map((a, j) => parseIpv6(op, `${what}.addresses[${j}]`, a));
        const segmentsLeft = optUint(op, `${what}.segmentsLeft`, x.segmentsLeft, 8, 0);
        // RFC 8200 section 8.1: the pseudo-header's destination is the final one, the routing header's last address.
        if (segmentsLeft > 0 && addresses.length > 0) finalDst = addresses[addresses.length - 1]!;
        const body = new Uint8Array(6 + 16 * addresses.length);
        body[0] = optUint(op, `${what}.routingType`, x.routingType, 8, 0);
        body[1] = segmentsLeft;
        addresses.forEach((a, j) => body.set(a, 6 + 16 * j));
        return { proto: Ipv6ExtHeader.Routing, body: withLength(body) };
      }
      case 'fragment': {
        const offset = optUint(op, `${what}.offset`, x.offset, 16, 0);
        if (offset % 8 !== 0) throw new RangeError(`${op}: ${what}.offset must be a multiple of 8, got ${offset}`);
        const body = new Uint8Array(7); // RFC 8200 section 4.5: reserved, offset and M flag, identification
        const view = new DataView(body.buffer);
        view.setUint16(1, offset | (checkBool(op, `${what}.more`, opt(x.more, false)) ? 1 : 0));
        view.setUint32(3, optUint(op, `${what}.id`, x.id, 32, 0));
        return { proto: Ipv6ExtHeader.Fragment, body };
      }
      default:
        throw new TypeError(`${op}: ${what}.type must be 'hop-by-hop', 'destination', 'routing' or 'fragment', got ${JSON.stringify((x as { type: unknown }).type)}`);
    }
  });
  return {
    kind: 'ipv6',
    src: parseIpv6(op, 'src', f.src),
    dst,
    finalDst,
    hopLimit: optUint(op, 'hopLimit', f.hopLimit, 8, 64),
    trafficClass: optUint(op, 'trafficClass', f.trafficClass, 8, 0),
    flowLabel: optUint(op, 'flowLabel', f.flowLabel, 20, 0),
    extensions,
    nextHeader: f.nextHeader === undefined ? undefined : checkUint(op, 'nextHeader', f.nextHeader, 8),
  };
}

/** A hop-by-hop, destination or routing header's body with its length byte first (8-byte units past the first 8). */
function withLength(rest: Uint8Array): Uint8Array {
  const body = new Uint8Array(1 + rest.length);
  body[0] = (rest.length + 2) / 8 - 1;
  body.set(rest, 1);
  return body;
}

function tcpLayer(fields: TcpFields): Layer {
  const op = 'packet.tcp';
  const f = checkObject(op, 'fields', fields) as unknown as TcpFields;
  const options = encodeTcpOptions(op, opt(f.options, []));
  const header = new Uint8Array(20 + options.length);
  const view = new DataView(header.buffer);
  view.setUint16(0, checkUint(op, 'sport', f.sport, 16));
  view.setUint16(2, checkUint(op, 'dport', f.dport, 16));
  view.setUint32(4, optUint(op, 'seq', f.seq, 32, 0));
  view.setUint32(8, optUint(op, 'ack', f.ack, 32, 0));
  header[12] = (header.length / 4) << 4;
  for (const [i, flag] of checkArray<TcpFlag>(op, 'flags', opt(f.flags, [])).entries()) {
    const bit = TCP_FLAGS.indexOf(flag);
    if (bit < 0) throw new RangeError(`${op}: flags[${i}] must be one of ${TCP_FLAGS.join(', ')}, got ${JSON.stringify(flag)}`);
    header[13]! |= 1 << bit;
  }
  view.setUint16(14, optUint(op, 'window', f.window, 16, 65535));
  view.setUint16(18, optUint(op, 'urgent', f.urgent, 16, 0));
  header.set(options, 20);
  return { kind: 'tcp', header, checksum: optChecksum(op, f.checksum) };
}

function udpLayer(fields: UdpFields): Layer {
  const op = 'packet.udp';
  const f = checkObject(op, 'fields', fields) as unknown as UdpFields;
  return { kind: 'udp', sport: checkUint(op, 'sport', f.sport, 16), dport: checkUint(op, 'dport', f.dport, 16), checksum: optChecksum(op, f.checksum) };
}

function icmpLayer(kind: 'icmp' | 'icmpv6', fields: IcmpFields): Layer {
  const op = `packet.${kind}`;
  const f = checkObject(op, 'fields', fields) as IcmpFields;
  // RFC 792 and RFC 4443: echo request is type 8, and 128 in ICMPv6.
  const type = optUint(op, 'type', f.type, 8, kind === 'icmp' ? 8 : 128);
  const rest = (optUint(op, 'id', f.id, 16, 0) << 16) | optUint(op, 'sequence', f.sequence, 16, 0);
  return { kind, type, code: optUint(op, 'code', f.code, 8, 0), rest: rest >>> 0, checksum: optChecksum(op, f.checksum) };
}

function payloadLayer(data: unknown): Layer {
  if (typeof data === 'string') return { kind: 'payload', data: new TextEncoder().encode(data) };
  if (data instanceof Uint8Array) return { kind: 'payload', data: data.slice() };
  throw new TypeError(`packet.payload: data must be a Uint8Array or a string, got ${describeValue(data)}`);
}

const PROTOCOL_OF: Partial<Record<Layer['kind'], number>> = { tcp: IpProto.Tcp, udp: IpProto.Udp, icmp: IcmpProto.Icmp, icmpv6: IcmpProto.Icmpv6 };
const ETHERTYPE_OF: Partial<Record<Layer['kind'], number>> = { ipv4: EthType.Ipv4, ipv6: EthType.Ipv6 };

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The layers' bytes, innermost first: each layer wraps what follows it. */
function serialize(layers: readonly Layer[]): Uint8Array {
  let inner: Uint8Array = new Uint8Array(0);
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    const next = layers[i + 1];
    const outer = layers[i - 1];
    inner = wrap(layer, inner, next, outer);
  }
  return inner;
}

/** The pseudo-header's sum for a transport layer over `outer` (none for ICMPv4 or without an IP layer). */
function pseudoSum(outer: Layer | undefined, protocol: number, length: number): number {
  if (outer?.kind === 'ipv4') return pseudoHeaderSum(outer.src, outer.dst, protocol, length);
  if (outer?.kind === 'ipv6') return pseudoHeaderSum(outer.src, outer.finalDst, protocol, length);
  return 0;
}

function wrap(layer: Layer, inner: Uint8Array, next: Layer | undefined, outer: Layer | undefined): Uint8Array {
  switch (layer.kind) {
    case 'payload':
      return layer.data;
    case 'tcp': {
      const seg = concat(layer.header, inner);
      if (seg.length > IP_MAX) throw new RangeError(`packet.tcp: the segment is ${seg.length} bytes, more than an IP packet holds`);
      const sum = layer.checksum ?? internetChecksum(seg, pseudoSum(outer, IpProto.Tcp, seg.length));
      new DataView(seg.buffer).setUint16(16, sum);
      return seg;
    }
    case 'udp': {
      const seg = concat(new Uint8Array(8), inner);
      if (seg.length > IP_MAX) throw new RangeError(`packet.udp: the datagram is ${seg.length} bytes, more than its length field holds`);
      const view = new DataView(seg.buffer);
      view.setUint16(0, layer.sport);
      view.setUint16(2, layer.dport);
      view.setUint16(4, seg.length);
      // RFC 768: a computed 0 is sent as all ones (0 means "no checksum").
      view.setUint16(6, layer.checksum ?? (internetChecksum(seg, pseudoSum(outer, IpProto.Udp, seg.length)) || 0xffff));
      return seg;
    }
    case 'icmp':
    case 'icmpv6': {
      const msg = concat(new Uint8Array(8), inner);
      const view = new DataView(msg.buffer);
      msg[0] = layer.type;
      msg[1] = layer.code;
      view.setUint32(4, layer.rest);
      // RFC 792: ICMP sums the message alone; RFC 4443 section 2.3: ICMPv6 adds the IPv6 pseudo-header.
      const initial = layer.kind === 'icmpv6' ? pseudoSum(outer, IcmpProto.Icmpv6, msg.length) : 0;
      view.setUint16(2, layer.checksum ?? internetChecksum(msg, initial));
      return msg;
    }
    case 'ipv4': {
      const hlen = IPV4_HLEN + layer.options.length;
      const total = hlen + inner.length;
      if (total > IP_MAX) throw new RangeError(`packet.ipv4: the packet is ${total} bytes, more than its total length field holds`);
      const header = new Uint8Array(hlen);
      const view = new DataView(header.buffer);
      header[0] = 0x40 | (hlen / 4);
      header[1] = layer.tos;
      view.setUint16(2, total);
      view.setUint16(4, layer.id);
      view.setUint16(6, layer.flagsOffset);
      header[8] = layer.ttl;
      header[9] = layer.protocol ?? PROTOCOL_OF[next?.kind ?? 'payload'] ?? EXPERIMENTAL_PROTOCOL;
      header.set(layer.src, 12);
      header.set(layer.dst, 16);
      header.set(layer.options, IPV4_HLEN);
      view.setUint16(10, layer.checksum ?? internetChecksum(header));
      return concat(header, inner);
    }
    case 'ipv6': {
      // Each extension header's first byte is the protocol of what follows it.
      const last = layer.nextHeader ?? PROTOCOL_OF[next?.kind ?? 'payload'] ?? Ipv6ExtHeader.NoNext;
      const exts = layer.extensions.map((e, j) => concat(Uint8Array.of(layer.extensions[j + 1]?.proto ?? last), e.body));
      const payload = concat(...exts, inner);
      if (payload.length > IP_MAX) throw new RangeError(`packet.ipv6: the payload is ${payload.length} bytes, more than its payload length field holds`);
      const header = new Uint8Array(IPV6_HLEN);
      const view = new DataView(header.buffer);
      view.setUint32(0, ((6 << 28) | (layer.trafficClass << 20) | layer.flowLabel) >>> 0);
      view.setUint16(4, payload.length);
      header[6] = layer.extensions[0]?.proto ?? last;
      header[7] = layer.hopLimit;
      header.set(layer.src, 8);
      header.set(layer.dst, 24);
      return concat(header, payload);
    }
    case 'ethernet': {
      const type = ETHERTYPE_OF[next?.kind ?? 'payload'] ?? layer.type;
      if (type === undefined) throw new TypeError('packet.ethernet: type (the EtherType) is needed before a payload that is not IP');
      const header = new Uint8Array(14 + 4 * layer.vlans.length);
      const view = new DataView(header.buffer);
      header.set(layer.dst, 0);
      header.set(layer.src, 6);
      layer.vlans.forEach((v, j) => {
        view.setUint16(12 + 4 * j, v.tpid);
        view.setUint16(14 + 4 * j, (v.pcp << 13) | (v.dei ? 0x1000 : 0) | v.id);
      });
      view.setUint16(12 + 4 * layer.vlans.length, type);
      return concat(header, inner);
    }
  }
}
