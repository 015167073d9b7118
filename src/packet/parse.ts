// packet.parse: the inverse of the builders. It reads the headers it knows (Ethernet with 802.1Q/802.1ad
// tags, IPv4 with options, IPv6 with hop-by-hop, routing, fragment and destination headers, TCP, UDP,
// ICMP, ICMPv6) and checks every checksum; a header cut short or a length that does not fit is a
// RangeError naming the layer and its offset, never a partial answer.
import { formatIpv4, formatIpv6, formatMac } from './address.js';
import { checksumOk, pseudoHeaderSum } from './checksum.js';
import { IPV4_DF, IPV4_MF, IPV4_OFFSET_MASK, TCP_FLAGS } from './build.js';
import { decodeIpv4Options, decodeIpv6TlvOptions, decodeTcpOptions } from './options.js';
import type { IcmpHeader, Ipv6Header, LayerName, ParsedIpv6Extension, ParsedPacket, ParseOptions, Vlan } from './types.js';
import { checkBytes } from '../errors/errors.js';
import { EthType, IcmpProto, IpProto, Ipv6ExtHeader, IPV4_HLEN, IPV6_HLEN } from '../uapi/net.js';

const bad = (layer: string, at: number, why: string): RangeError => new RangeError(`packet.parse: ${layer} header at offset ${at}: ${why}`);

/** `n` bytes at `at`, or the RangeError saying how many there are. */
function need(b: Uint8Array, layer: string, at: number, n: number, end = b.length): void {
  if (at + n > end) throw bad(layer, at, `needs ${n} bytes, ${Math.max(0, end - at)} remain`);
}

export function parse(bytes: Uint8Array, options: ParseOptions = {}): ParsedPacket {
  checkBytes('packet.parse', 'bytes', bytes);
  const from = options.from ?? 'ethernet';
  if (from !== 'ethernet' && from !== 'ipv4' && from !== 'ipv6') throw new TypeError(`packet.parse: from must be 'ethernet', 'ipv4' or 'ipv6', got ${JSON.stringify(from)}`);
  const b = bytes;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: ParsedPacket = { layers: [], payload: new Uint8Array(0), trailer: new Uint8Array(0), checksumsValid: true };
  const layer = (name: LayerName): void => void out.layers.push(name);
  let at = 0;
  let ethertype: number | undefined;

  if (from === 'ethernet') {
    need(b, 'ethernet', 0, 14);
    const vlans: Required<Vlan>[] = [];
    let type = view.getUint16(12);
    at = 14;
    while (type === EthType.Vlan8021Q || type === EthType.Vlan8021AD) {
      need(b, 'vlan', at - 2, 6);
      const tci = view.getUint16(at);
      vlans.push({ id: tci & 0xfff, pcp: tci >> 13, dei: (tci & 0x1000) !== 0, tpid: type });
      type = view.getUint16(at + 2);
      at += 4;
    }
    out.ethernet = { src: formatMac(b.subarray(6, 12)), dst: formatMac(b.subarray(0, 6)), vlan: vlans, type };
    layer('ethernet');
    ethertype = type;
  } else ethertype = from === 'ipv4' ? EthType.Ipv4 : EthType.Ipv6;

  // The transport layer: its protocol, where it starts and ends, and its pseudo-header's sum (undefined: a fragment, not checked).
  let transport: { proto: number; start: number; end: number; pseudo: (len: number) => number; v6: boolean; whole: boolean } | undefined;
  let end = b.length;
  if (ethertype === EthType.Ipv4) {
    const start = at;
    need(b, 'ipv4', start, IPV4_HLEN);
    const version = b[start]! >> 4;
    if (version !== 4) throw bad('ipv4', start, `version is ${version}, not 4`);
    const hlen = (b[start]! & 0xf) * 4;
    if (hlen < IPV4_HLEN) throw bad('ipv4', start, `header length ${hlen} is below 20`);
    need(b, 'ipv4', start, hlen);
    const total = view.getUint16(start + 2);
    if (total < hlen) throw bad('ipv4', start, `total length ${total} is below its header length ${hlen}`);
    if (start + total > b.length) throw bad('ipv4', start, `total length ${total} is more than the ${b.length - start} bytes from the header on`);
    const flagsOffset = view.getUint16(start + 6);
    const src = b.slice(start + 12, start + 16);
    const dst = b.slice(start + 16, start + 20);
    const fragmentOffset = (flagsOffset & IPV4_OFFSET_MASK) * 8;
    const moreFragments = (flagsOffset & IPV4_MF) !== 0;
    out.ipv4 = {
      src: formatIpv4(src),
      dst: formatIpv4(dst),
      ttl: b[start + 8]!,
      tos: b[start + 1]!,
      id: view.getUint16(start + 4),
      dontFragment: (flagsOffset & IPV4_DF) !== 0,
      moreFragments,
      fragmentOffset,
      options: decodeIpv4Options(b.subarray(start + IPV4_HLEN, start + hlen), start + IPV4_HLEN),
      protocol: b[start + 9]!,
      headerLength: hlen,
      totalLength: total,
      checksum: view.getUint16(start + 10),
      checksumValid: checksumOk(b.subarray(start, start + hlen)),
    };
    layer('ipv4');
    end = start + total;
    at = start + hlen;
    // A fragment after the first carries no transport header.
    if (fragmentOffset === 0) transport = { proto: b[start + 9]!, start: at, end, pseudo: (len) => pseudoHeaderSum(src, dst, b[start + 9]!, len), v6: false, whole: !moreFragments };
  } else if (ethertype === EthType.Ipv6) {
    const start = at;
    need(b, 'ipv6', start, IPV6_HLEN);
    const word = view.getUint32(start);
    if (word >>> 28 !== 6) throw bad('ipv6', start, `version is ${word >>> 28}, not 6`);
    const payloadLength = view.getUint16(start + 4);
    if (start + IPV6_HLEN + payloadLength > b.length) throw bad('ipv6', start, `payload length ${payloadLength} is more than the ${b.length - start - IPV6_HLEN} bytes after the header`);
    end = start + IPV6_HLEN + payloadLength;
    const src = b.slice(start + 8, start + 24);
    let finalDst = b.slice(start + 24, start + 40);
    let next = b[start + 6]!;
    at = start + IPV6_HLEN;
    const extensions: ParsedIpv6Extension[] = [];
    let whole = true;
    let later = false;
    for (;;) {
      if (next === Ipv6ExtHeader.HopByHop || next === Ipv6ExtHeader.Destination || next === Ipv6ExtHeader.Routing) {
        const name = next === Ipv6ExtHeader.HopByHop ? 'hop-by-hop' : next === Ipv6ExtHeader.Destination ? 'destination' : 'routing';
        need(b, `ipv6 ${name}`, at, 8, end);
        const len = (b[at + 1]! + 1) * 8;
        need(b, `ipv6 ${name}`, at, len, end);
        if (name === 'routing') {
          if ((len - 8) % 16 !== 0) throw bad('ipv6 routing', at, `length ${len} is not 8 + 16n (the type 0 layout)`);
          const addresses = Array.from({ length: (len - 8) / 16 }, (_, j) => b.slice(at + 8 + 16 * j, at + 24 + 16 * j));
          const segmentsLeft = b[at + 3]!;
          if (segmentsLeft > 0 && addresses.length > 0) finalDst = addresses[addresses.length - 1]!;
          extensions.push({ type: 'routing', routingType: b[at + 2]!, segmentsLeft, addresses: addresses.map(formatIpv6) });
        } else extensions.push({ type: name, options: decodeIpv6TlvOptions(`ipv6 ${name}`, b.subarray(at + 2, at + len), at + 2) });
        next = b[at]!;
        at += len;
      } else if (next === Ipv6ExtHeader.Fragment) {
        need(b, 'ipv6 fragment', at, 8, end);
        const word = view.getUint16(at + 2);
        const offset = word & 0xfff8;
        const more = (word & 1) !== 0;
        extensions.push({ type: 'fragment', offset, more, id: view.getUint32(at + 4) });
        if (offset !== 0 || more) whole = false;
        if (offset !== 0) later = true;
        next = b[at]!;
        at += 8;
      } else break;
    }
    const dstFinal = finalDst;
    const header: Ipv6Header = {
      src: formatIpv6(src),
      dst: formatIpv6(b.subarray(start + 24, start + 40)),
      hopLimit: b[start + 7]!,
      trafficClass: (word >>> 20) & 0xff,
      flowLabel: word & 0xfffff,
      extensions,
      nextHeader: next,
      payloadLength,
    };
    out.ipv6 = header;
    layer('ipv6');
    transport = later ? undefined : { proto: next, start: at, end, pseudo: (len) => pseudoHeaderSum(src, dstFinal, next, len), v6: true, whole };
  }
  out.trailer = b.slice(end);

  let payloadEnd = end;
  if (transport) [at, payloadEnd] = parseTransport(b, view, out, transport);
  out.payload = b.slice(at, payloadEnd);
  // Bytes past a UDP datagram's length inside the IP packet come before the frame's own trailer.
  if (payloadEnd < end) out.trailer = b.slice(payloadEnd);
  out.checksumsValid = [out.ipv4, out.tcp, out.udp, out.icmp, out.icmpv6].every((h) => h === undefined || h.checksumValid);
  return out;
}

/** The TCP, UDP, ICMP or ICMPv6 header at `t.start`; returns where its payload starts and ends. */
function parseTransport(
  b: Uint8Array,
  view: DataView,
  out: ParsedPacket,
  t: { proto: number; start: number; end: number; pseudo: (len: number) => number; v6: boolean; whole: boolean },
): [number, number] {
  const { start, end } = t;
  const seg = b.subarray(start, end);
  // A first fragment's checksum covers the reassembled datagram: it cannot be checked here.
  const ok = (initial: number): boolean => (t.whole ? checksumOk(seg, initial) : true);
  switch (t.proto) {
    case IpProto.Tcp: {
      need(b, 'tcp', start, 20, end);
      const hlen = (b[start + 12]! >> 4) * 4;
      if (hlen < 20) throw bad('tcp', start, `data offset ${hlen} is below 20`);
      need(b, 'tcp', start, hlen, end);
      out.tcp = {
        sport: view.getUint16(start),
        dport: view.getUint16(start + 2),
        seq: view.getUint32(start + 4),
        ack: view.getUint32(start + 8),
        flags: TCP_FLAGS.filter((_, bit) => (b[start + 13]! >> bit) & 1),
        window: view.getUint16(start + 14),
        urgent: view.getUint16(start + 18),
        options: decodeTcpOptions(b.subarray(start + 20, start + hlen), start + 20),
        headerLength: hlen,
        checksum: view.getUint16(start + 16),
        checksumValid: ok(t.pseudo(seg.length)),
      };
      out.layers.push('tcp');
      return [start + hlen, end];
    }
    case IpProto.Udp: {
      need(b, 'udp', start, 8, end);
      const length = view.getUint16(start + 4);
      if (length < 8) throw bad('udp', start, `length ${length} is below 8`);
      if (t.whole && start + length > end) throw bad('udp', start, `length ${length} runs past the IP packet's end (${end - start} bytes)`);
      const checksum = view.getUint16(start + 6);
      const datagram = b.subarray(start, t.whole ? start + length : end);
      out.udp = {
        sport: view.getUint16(start),
        dport: view.getUint16(start + 2),
        length,
        checksum,
        // RFC 768: 0 over IPv4 is "not computed"; RFC 8200 section 8.1: over IPv6 it is never valid.
        checksumValid: checksum === 0 ? !t.v6 : t.whole ? checksumOk(datagram, t.pseudo(length)) : true,
      };
      out.layers.push('udp');
      return [start + 8, t.whole ? start + length : end];
    }
    case IcmpProto.Icmp:
    case IcmpProto.Icmpv6: {
      const v6 = t.proto === IcmpProto.Icmpv6;
      if (v6 !== t.v6) return [start, end]; // ICMP in IPv6 or ICMPv6 in IPv4: not a header of this packet's kind
      const name = v6 ? 'icmpv6' : 'icmp';
      need(b, name, start, 8, end);
      const header: IcmpHeader = {
        type: b[start]!,
        code: b[start + 1]!,
        id: view.getUint16(start + 4),
        sequence: view.getUint16(start + 6),
        checksum: view.getUint16(start + 2),
        checksumValid: ok(v6 ? t.pseudo(seg.length) : 0),
      };
      if (v6) out.icmpv6 = header;
      else out.icmp = header;
      out.layers.push(name);
      return [start + 8, end];
    }
    default:
      return [start, end];
  }
}
