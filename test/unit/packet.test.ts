// packet builders and packet.parse: known answers (RFC 1071's own example header), checksums checked by an
// independent computation (the emulator's port of x86-64 csum_partial and csum_fold, another algorithm
// over the same bytes), seeded property runs of build → parse over random field values, every truncation
// and bad length a RangeError naming the layer and offset, and bad builder input a TypeError/RangeError.
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { packet, type Ipv6Extension, type ParsedPacket, type TcpFlag, type TcpOption } from '../../src/index.js';
import { csumFold, csumPartial } from '../../src/emulator/programs/csum.js';
import { formatIpv6, parseIpv6 } from '../../src/packet/address.js';

const SEED = Number(process.env.BPFKIT_PACKET_SEED ?? 20261208);
const RUNS = Number(process.env.BPFKIT_PACKET_RUNS ?? 300);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** x86-64 Linux's checksum of `parts` (csum_partial, then csum_fold): 0 when the region's checksum is right. */
const linuxFold = (...parts: Uint8Array[]): number => csumFold(parts.reduce((sum, p) => csumPartial(p, sum), 0));
const be32 = (n: number): Uint8Array => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);

test('an IPv4 header gets the checksum of the classic worked example (c0a8 0001 → c0a8 00c7: 0xb861)', () => {
  const frame = packet.ipv4({ src: '192.168.0.1', dst: '192.168.0.199', id: 0, dontFragment: true, protocol: 17 }).payload(new Uint8Array(95)).build();
  expect(hex(frame.subarray(0, 20))).toBe('45000073000040004011b861c0a80001c0a800c7');
  // packet.checksum: RFC 1071 over any bytes; the header with its checksum field zeroed gives that field back.
  const zeroed = frame.slice(0, 20);
  zeroed.fill(0, 10, 12);
  expect(packet.checksum(zeroed)).toBe(0xb861);
  expect(packet.checksum(frame.subarray(0, 20))).toBe(0);
  expect(packet.checksum(Uint8Array.of(0xff))).toBe(0x00ff); // an odd byte is the high half of a word
});

test('the README example: a TCP SYN with an MSS option in a tagged frame, every field back from parse', () => {
  const frame = packet
    .ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02', vlan: 100 })
    .ipv4({ src: '10.0.0.1', dst: '10.0.0.2', ttl: 64, options: ['nop', { routerAlert: 0 }] })
    .tcp({ sport: 40000, dport: 80, flags: ['syn'], options: [{ mss: 1460 }] })
    .payload('hi')
    .build();
  expect(frame.length).toBe(18 + 28 + 24 + 2);
  const p = packet.parse(frame);
  expect(p.layers).toEqual(['ethernet', 'ipv4', 'tcp']);
  expect(p.ethernet).toEqual({ src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02", vlan: [{ id: 100, pcp: 0, dei: false, tpid: 0x8100 }], type: 0x0800 });
  expect(p.ipv4).toMatchObject({ src: '10.0.0.1', dst: '10.0.0.2', ttl: 64, protocol: 6, headerLength: 28, totalLength: 54, options: ['nop', { routerAlert: 0 }], checksumValid: true });
  expect(p.tcp).toMatchObject({ sport: 40000, dport: 80, flags: ['syn'], options: [{ mss: 1460 }], headerLength: 24, window: 65535, checksumValid: true });
  expect(new TextDecoder().decode(p.payload)).toBe('hi');
  expect(p.checksumsValid).toBe(true);
  // Independent check: Linux's own arithmetic over the IPv4 header and over pseudo-header + segment.
  expect(linuxFold(frame.subarray(18, 46))).toBe(0);
  const pseudo = Uint8Array.of(10, 0, 0, 1, 10, 0, 0, 2, 0, 6, 0, 26);
  expect(linuxFold(pseudo, frame.subarray(46))).toBe(0);
});

test('IPv6 with hop-by-hop, routing, fragment and destination headers: the chain, the lengths, the pseudo-header', () => {
  const extensions: Ipv6Extension[] = [
    { type: 'hop-by-hop', options: [{ type: 5, data: Uint8Array.of(0, 0) }] }, // router alert (RFC 2711)
    { type: 'routing', segmentsLeft: 1, addresses: ['2001:db8::99'] },
    { type: 'fragment', id: 7 },
    { type: 'destination', options: [{ type: 0x1e, data: Uint8Array.of(1, 2, 3) }] },
  ];
  const frame = packet.ethernet().ipv6({ src: '2001:db8::1', dst: '2001:db8::2', extensions }).udp({ sport: 1, dport: 2 }).payload('abc').build();
  const p = packet.parse(frame);
  expect(p.layers).toEqual(['ethernet', 'ipv6', 'udp']);
  expect(p.ipv6!.extensions).toEqual([
    { type: 'hop-by-hop', options: [{ type: 5, data: Uint8Array.of(0, 0) }] },
    { type: 'routing', routingType: 0, segmentsLeft: 1, addresses: ['2001:db8::99'] },
    { type: 'fragment', offset: 0, more: false, id: 7 },
    { type: 'destination', options: [{ type: 0x1e, data: Uint8Array.of(1, 2, 3) }] },
  ]);
  expect(p.ipv6!.payloadLength).toBe(8 + 24 + 8 + 8 + 11);
  expect(frame[14 + 6]).toBe(0); // next header: hop-by-hop
  expect(p.udp!.checksumValid).toBe(true);
  // The pseudo-header's destination is the routing header's last address (RFC 8200 section 8.1), not the IPv6 dst.
  const udp = frame.subarray(frame.length - 11);
  const pseudo = (dst: string): Uint8Array => Uint8Array.from([...parseIpv6('t', 'src', '2001:db8::1'), ...parseIpv6('t', 'dst', dst), ...be32(11), 0, 0, 0, 17]);
  expect(linuxFold(pseudo('2001:db8::99'), udp)).toBe(0);
  expect(linuxFold(pseudo('2001:db8::2'), udp)).not.toBe(0);
});

test('ICMP sums its message alone, ICMPv6 adds the pseudo-header; echo id and sequence round-trip', () => {
  const v4 = packet.ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }).icmp({ id: 0x1234, sequence: 9 }).payload('ping').build();
  expect(linuxFold(v4.subarray(20))).toBe(0);
  expect(packet.parse(v4, { from: 'ipv4' }).icmp).toEqual({ type: 8, code: 0, id: 0x1234, sequence: 9, checksum: (v4[22]! << 8) | v4[23]!, checksumValid: true });
  const v6 = packet.ipv6({ src: '::1', dst: '::1' }).icmpv6({ id: 1, sequence: 2 }).build();
  const pseudo = Uint8Array.from([...new Uint8Array(15), 1, ...new Uint8Array(15), 1, ...be32(8), 0, 0, 0, 58]);
  expect(linuxFold(pseudo, v6.subarray(40))).toBe(0);
  expect(packet.parse(v6, { from: 'ipv6' }).icmpv6).toMatchObject({ type: 128, id: 1, sequence: 2, checksumValid: true });
});

test('a given checksum is written as given and parse says it is wrong; UDP 0 is "none" over IPv4, invalid over IPv6', () => {
  const good = packet.ethernet().ipv4({ src: '1.2.3.4', dst: '5.6.7.8' }).udp({ sport: 1, dport: 2 }).payload('x').build();
  const right = packet.parse(good).udp!.checksum;
  const bad = packet.ethernet().ipv4({ src: '1.2.3.4', dst: '5.6.7.8', checksum: 0xbeef }).udp({ sport: 1, dport: 2, checksum: right ^ 1 }).payload('x').build();
  const p = packet.parse(bad);
  expect([p.ipv4!.checksum, p.ipv4!.checksumValid, p.udp!.checksumValid, p.checksumsValid]).toEqual([0xbeef, false, false, false]);
  const none4 = packet.ipv4({ src: '1.2.3.4', dst: '5.6.7.8' }).udp({ sport: 1, dport: 2, checksum: 0 }).build();
  expect(packet.parse(none4, { from: 'ipv4' }).udp!.checksumValid).toBe(true);
  const none6 = packet.ipv6({ src: '::1', dst: '::2' }).udp({ sport: 1, dport: 2, checksum: 0 }).build();
  expect(packet.parse(none6, { from: 'ipv6' }).udp!.checksumValid).toBe(false);
});

test('QinQ tags, a non-IP EtherType, Ethernet padding as the trailer, fragments carry no checked transport', () => {
  const arp = packet.ethernet({ vlan: [{ id: 10, tpid: 0x88a8 }, { id: 20, pcp: 5, dei: true }], type: 0x0806 }).payload(new Uint8Array(28)).build();
  const p = packet.parse(arp);
  expect(p.ethernet!.vlan).toEqual([{ id: 10, pcp: 0, dei: false, tpid: 0x88a8 }, { id: 20, pcp: 5, dei: true, tpid: 0x8100 }]);
  expect([p.ethernet!.type, p.layers, p.payload.length]).toEqual([0x0806, ['ethernet'], 28]);
  const short = packet.ethernet().ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).udp({ sport: 1, dport: 2 }).build();
  const padded = new Uint8Array(60);
  padded.set(short);
  expect(packet.parse(padded).trailer).toEqual(new Uint8Array(60 - short.length));
  const later = packet.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', fragmentOffset: 8, protocol: 6 }).payload('rest').build();
  expect(packet.parse(later, { from: 'ipv4' })).toMatchObject({ layers: ['ipv4'], checksumsValid: true });
  expect(() => packet.ethernet().payload('x').build()).toThrow(/packet\.ethernet: type \(the EtherType\) is needed/);
});

test('addresses: RFC 5952 text out, the usual forms in', () => {
  const fmt = (s: string): string => formatIpv6(parseIpv6('t', 'a', s));
  expect(fmt('2001:0DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
  expect(fmt('2001:db8:0:1:0:0:0:1')).toBe('2001:db8:0:1::1');
  expect(fmt('2001:0:0:1:0:0:0:1')).toBe('2001:0:0:1::1');
  expect(fmt('0:0:0:0:0:0:0:0')).toBe('::');
  expect(fmt('::ffff:10.0.0.1')).toBe('::ffff:a00:1');
  expect(fmt('1:2:3:4:5:6:7:0')).toBe('1:2:3:4:5:6:7:0');
  expect(() => parseIpv6('packet.ipv6', 'dst', '1::2::3')).toThrow(new RangeError('packet.ipv6: dst is not an IPv6 address (2001:db8::1), got "1::2::3"'));
});

test('bad builder input: a TypeError or RangeError naming the builder and field, before anything is built', () => {
  expect(() => packet.ethernet({ src: 'nope' })).toThrow(new RangeError('packet.ethernet: src is not a MAC address (aa:bb:cc:dd:ee:ff), got "nope"'));
  expect(() => packet.ethernet({ vlan: 4096 })).toThrow(new RangeError('packet.ethernet: vlan[0].id must fit in 12 bits, got 4096'));
  expect(() => packet.ipv4({ src: '10.0.0.256', dst: '1.1.1.1' })).toThrow(/packet\.ipv4: src is not an IPv4 address/);
  expect(() => packet.ipv4({ src: '1.1.1.1', dst: '1.1.1.1', fragmentOffset: 3 })).toThrow(/fragmentOffset must be a multiple of 8/);
  expect(() => packet.ipv4({ src: '1.1.1.1', dst: '1.1.1.1', options: [{ type: 7, data: new Uint8Array(39) }] })).toThrow(/at most 40 fit/);
  const ip = packet.ipv4({ src: '1.1.1.1', dst: '1.1.1.1' });
  expect(() => ip.tcp({ sport: 70000, dport: 1 })).toThrow(new RangeError('packet.tcp: sport must fit in 16 bits, got 70000'));
  expect(() => ip.tcp({ sport: 1, dport: 1, flags: ['syn', 'fyn' as TcpFlag] })).toThrow(/packet\.tcp: flags\[1\] must be one of fin, syn/);
  expect(() => ip.tcp({ sport: 1, dport: 1, seq: 1.5 })).toThrow(new TypeError('packet.tcp: seq must be an integer, got number 1.5'));
  expect(() => ip.udp({ sport: '1' as unknown as number, dport: 1 })).toThrow(TypeError);
  expect(() => ip.payload(new Uint8Array(65536)).build()).toThrow(/packet\.ipv4: the packet is 65556 bytes/);
  // JavaScript callers, past the types: a layer where it cannot go.
  const js = ip.udp({ sport: 1, dport: 2 }) as unknown as { tcp(f: object): unknown };
  expect(() => js.tcp({ sport: 1, dport: 2 })).toThrow(new TypeError('packet.tcp: cannot follow the udp header'));
  const done = ip.payload('x') as unknown as { payload(d: string): unknown };
  expect(() => done.payload('y')).toThrow(new TypeError('packet.payload: cannot follow the payload'));
  expect(() => ip.payload(42 as unknown as string)).toThrow(new TypeError('packet.payload: data must be a Uint8Array or a string, got number 42'));
  expect(() => packet.ipv6({ src: '::1', dst: '::1', extensions: [{ type: 'jumbo' } as unknown as Ipv6Extension] })).toThrow(/extensions\[0\]\.type must be/);
});

test('bad input to parse: a RangeError naming the layer and the offset, for every truncation and bad length', () => {
  const frame = packet.ethernet({ vlan: 5 }).ipv4({ src: '1.1.1.1', dst: '2.2.2.2', options: ['nop'] }).tcp({ sport: 1, dport: 2, options: [{ mss: 1 }] }).payload('p').build();
  for (let n = 0; n < frame.length; n++) {
    const cut = frame.slice(0, n);
    let error: unknown;
    try {
      packet.parse(cut);
    } catch (e) {
      error = e;
    }
    // Only the payload's byte may go without the IP header's length noticing: it does notice, so every cut throws.
    expect(error, `cut at ${n}`).toBeInstanceOf(RangeError);
    expect((error as Error).message).toMatch(/^packet\.parse: (ethernet|vlan|ipv4|tcp) header at offset \d+: (needs \d+ bytes, \d+ remain|total length 49 is more than the \d+ bytes from the header on)$/);
  }
  expect(() => packet.parse(new Uint8Array(10))).toThrow(new RangeError('packet.parse: ethernet header at offset 0: needs 14 bytes, 10 remain'));
  const ip = frame.slice(18);
  const withTotal = (n: number): Uint8Array => Object.assign(ip.slice(), { [2]: n >> 8, [3]: n & 0xff });
  expect(() => packet.parse(withTotal(10), { from: 'ipv4' })).toThrow(new RangeError('packet.parse: ipv4 header at offset 0: total length 10 is below its header length 24'));
  const badOption = ip.slice();
  badOption[20 + 4 + 20] = 2; // the TCP MSS option's kind stays, its length says 200
  badOption[20 + 4 + 21] = 200;
  expect(() => packet.parse(badOption, { from: 'ipv4' })).toThrow(new RangeError('packet.parse: tcp option at offset 44: kind 2 has length 200, 4 bytes remain'));
  const udp = packet.ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).udp({ sport: 1, dport: 2 }).build();
  udp[25] = 9; // UDP length 9 in an 8-byte datagram
  expect(() => packet.parse(udp, { from: 'ipv4' })).toThrow(new RangeError("packet.parse: udp header at offset 20: length 9 runs past the IP packet's end (8 bytes)"));
  expect(() => packet.parse(Uint8Array.of(0x60, 0, 0, 0), { from: 'ipv4' })).toThrow(/ipv4 header at offset 0: needs 20 bytes, 4 remain/);
  const v6 = packet.ipv6({ src: '::1', dst: '::2' }).payload('12345').build();
  expect(() => packet.parse(v6.subarray(0, 42), { from: 'ipv6' })).toThrow(new RangeError('packet.parse: ipv6 header at offset 0: payload length 5 is more than the 2 bytes after the header'));
  expect(() => packet.parse(new Uint8Array(40), { from: 'ipv6' })).toThrow(new RangeError('packet.parse: ipv6 header at offset 0: version is 0, not 6'));
  expect(() => packet.parse([1, 2] as unknown as Uint8Array)).toThrow(TypeError);
});

// Random packets: every field drawn, built, parsed back to the same fields with every checksum right, and any
// payload byte changed makes its transport checksum wrong.
const u8 = fc.integer({ min: 0, max: 255 });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const ipv4Addr = fc.tuple(u8, u8, u8, u8).map((t) => t.join('.'));
const ipv6Addr = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(formatIpv6);
const mac = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':'));
const flags = fc.subarray(['fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'ece', 'cwr'] as TcpFlag[]);
const tcpOption: fc.Arbitrary<TcpOption> = fc.oneof(
  fc.constant('nop' as const),
  u16.map((mss) => ({ mss })),
  u8.map((windowScale) => ({ windowScale })),
  fc.constant({ sackPermitted: true as const }),
  fc.tuple(u32, u32).map((timestamp) => ({ timestamp })),
  fc.array(fc.tuple(u32, u32), { minLength: 1, maxLength: 2 }).map((sack) => ({ sack })),
  fc.tuple(fc.integer({ min: 9, max: 255 }), fc.uint8Array({ maxLength: 4 })).map(([kind, data]) => ({ kind, data })),
);
const tcpOptions = fc.array(tcpOption, { maxLength: 4 }).filter((os) => sizeOf(os) <= 40);
function sizeOf(os: TcpOption[]): number {
  const n = os.reduce((s, o) => s + (o === 'nop' ? 1 : 'mss' in o ? 4 : 'windowScale' in o ? 3 : 'sackPermitted' in o ? 2 : 'timestamp' in o ? 10 : 'sack' in o ? 2 + 8 * o.sack.length : 2 + o.data.length), 0);
  return (n + 3) & ~3;
}
const tlv = fc.record({ type: fc.integer({ min: 2, max: 255 }), data: fc.uint8Array({ maxLength: 10 }) });
const extension: fc.Arbitrary<Ipv6Extension> = fc.oneof(
  fc.array(tlv, { maxLength: 3 }).map((options) => ({ type: 'hop-by-hop' as const, options })),
  fc.array(tlv, { maxLength: 3 }).map((options) => ({ type: 'destination' as const, options })),
  fc.record({ routingType: u8, segmentsLeft: u8, addresses: fc.array(ipv6Addr, { maxLength: 3 }) }).map((r) => ({ type: 'routing' as const, ...r })),
  u32.map((id) => ({ type: 'fragment' as const, id })),
);
const transport = fc.oneof(
  fc.record({ kind: fc.constant('tcp' as const), sport: u16, dport: u16, seq: u32, ack: u32, flags, window: u16, urgent: u16, options: tcpOptions }),
  fc.record({ kind: fc.constant('udp' as const), sport: u16, dport: u16 }),
  fc.record({ kind: fc.constant('icmp' as const), type: u8, code: u8, id: u16, sequence: u16 }),
);
const anyPacket = fc.record({
  eth: fc.record({ src: mac, dst: mac, vlan: fc.array(fc.record({ id: fc.integer({ min: 0, max: 4095 }), pcp: fc.integer({ min: 0, max: 7 }), dei: fc.boolean(), tpid: fc.constantFrom(0x8100, 0x88a8) }), { maxLength: 2 }) }),
  ip: fc.oneof(
    fc.record({ v: fc.constant(4 as const), src: ipv4Addr, dst: ipv4Addr, ttl: u8, tos: u8, id: u16, dontFragment: fc.boolean(), options: fc.array(fc.oneof(fc.constant('nop' as const), u16.map((routerAlert) => ({ routerAlert }))), { maxLength: 5 }) }),
    fc.record({ v: fc.constant(6 as const), src: ipv6Addr, dst: ipv6Addr, hopLimit: u8, trafficClass: u8, flowLabel: fc.integer({ min: 0, max: 0xfffff }), extensions: fc.array(extension, { maxLength: 3 }) }),
  ),
  l4: transport,
  payload: fc.uint8Array({ maxLength: 64 }),
});

type Drawn = typeof anyPacket extends fc.Arbitrary<infer T> ? T : never;

/** The drawn packet's bytes; the transport fields carry their `kind` along, which the builders ignore. */
function buildDrawn(d: Drawn): Uint8Array {
  const eth = packet.ethernet(d.eth);
  const l4 = d.l4;
  if (d.ip.v === 4) {
    const { v: _v, ...fields } = d.ip;
    const ip = eth.ipv4(fields);
    return (l4.kind === 'tcp' ? ip.tcp(l4) : l4.kind === 'udp' ? ip.udp(l4) : ip.icmp(l4)).payload(d.payload).build();
  }
  const { v: _v, ...fields } = d.ip;
  const ip = eth.ipv6(fields);
  return (l4.kind === 'tcp' ? ip.tcp(l4) : l4.kind === 'udp' ? ip.udp(l4) : ip.icmpv6(l4)).payload(d.payload).build();
}

test(`property: build → parse gives back every field, every checksum right; a changed payload byte breaks it (seed ${SEED})`, () => {
  fc.assert(
    fc.property(anyPacket, fc.nat(), (d, pick) => {
      const frame = buildDrawn(d);
      const p: ParsedPacket = packet.parse(frame);
      expect(p.ethernet).toEqual({ ...d.eth, type: d.ip.v === 4 ? 0x0800 : 0x86dd });
      const l4name = d.l4.kind === 'icmp' && d.ip.v === 6 ? 'icmpv6' : d.l4.kind;
      expect(p.layers).toEqual(['ethernet', d.ip.v === 4 ? 'ipv4' : 'ipv6', l4name]);
      if (d.ip.v === 4) {
        const { v: _v, ...fields } = d.ip;
        expect(p.ipv4).toMatchObject({ ...fields, moreFragments: false, fragmentOffset: 0 });
      } else {
        const { v: _v, ...fields } = d.ip;
        const parsedExt = fields.extensions.map((e) =>
          e.type === 'fragment' ? { type: 'fragment', offset: 0, more: false, id: e.id } : e.type === 'routing' ? { routingType: 0, segmentsLeft: 0, addresses: [], ...e } : { options: [], ...e },
        );
        expect(p.ipv6).toMatchObject({ ...fields, extensions: parsedExt });
      }
      const { kind: _k, ...l4 } = d.l4;
      expect(p[l4name]).toMatchObject(l4name === 'tcp' ? { ...l4, flags: [...(l4 as { flags: TcpFlag[] }).flags].sort((a, b) => order(a) - order(b)) } : l4);
      expect(p.payload).toEqual(d.payload);
      expect(p.checksumsValid).toBe(true);
      // The independent check: Linux's csum_partial + csum_fold over the transport (and IPv4's header) folds to 0.
      if (d.ip.v === 4) expect(linuxFold(frame.subarray(14 + 4 * d.eth.vlan.length, 14 + 4 * d.eth.vlan.length + p.ipv4!.headerLength))).toBe(0);
      if (d.payload.length > 0) {
        const at = frame.length - d.payload.length + (pick % d.payload.length);
        const changed = frame.slice();
        changed[at] ^= 1 << (pick % 8);
        const q = packet.parse(changed);
        expect(q[l4name]!.checksumValid).toBe(false);
        expect(q.checksumsValid).toBe(false);
      }
    }),
    { seed: SEED, numRuns: RUNS },
  );
});
const order = (f: TcpFlag): number => ['fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'ece', 'cwr'].indexOf(f);
