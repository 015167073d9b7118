// Packets for bpf/parser.bpf.c (test/diff/parser.test.ts, bench/verifier.ts): each layer the parser knows,
// with options and extension headers, tunnelled, tagged, and malformed. Built from bytes, not captured.

const u16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];
const u32 = (v: number): number[] => [...u16(v >>> 16), ...u16(v & 0xffff)];

const ETH_IP = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_ARP = 0x0806;
const ETH_8021Q = 0x8100;
const ETH_8021AD = 0x88a8;
const TCP = 6;
const UDP = 17;
const ICMP = 1;

function eth(proto: number, vlans: number[] = []): number[] {
  const out = [0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2];
  vlans.forEach((vid, i) => out.push(...u16(i === 0 && vlans.length > 1 ? ETH_8021AD : ETH_8021Q), ...u16(vid)));
  return [...out, ...u16(proto)];
}

/** IPv4 with `options` (padded to 4 bytes), `frag` the flags and offset field. */
function ipv4(proto: number, payload: number[], options: number[] = [], frag = 0, src = 0x0a000001, dst = 0x0a000002): number[] {
  const opts = [...options, ...Array<number>((4 - (options.length % 4)) % 4).fill(0)];
  const ihl = 5 + opts.length / 4;
  return [0x40 | ihl, 0x28, ...u16(ihl * 4 + payload.length), ...u16(0x1234), ...u16(frag), 64, proto, 0, 0, ...u32(src), ...u32(dst), ...opts, ...payload];
}

/** IPv6 with extension headers, each [type, body] (body padded so the header is a multiple of 8). */
function ipv6(proto: number, payload: number[], exts: [number, number[]][] = [], hopLimit = 32): number[] {
  const headers: number[] = [];
  exts.forEach(([, body], i) => {
    const next = exts[i + 1]?.[0] ?? proto;
    if (exts[i]![0] === 44) headers.push(next, 0, ...body.slice(0, 6));
    else {
      const len = Math.ceil((body.length + 2) / 8) * 8;
      headers.push(next, len / 8 - 1, ...body, ...Array<number>(len - 2 - body.length).fill(0));
    }
  });
  const first = exts[0]?.[0] ?? proto;
  const addr = (last: number) => [0x20, 0x01, 0x0d, 0xb8, ...Array<number>(11).fill(0), last];
  return [0x60, 0x00, 0x00, 0x00, ...u16(headers.length + payload.length), first, hopLimit, ...addr(1), ...addr(2), ...headers, ...payload];
}

function tcp(sport: number, dport: number, flags: number, options: number[] = []): number[] {
  const opts = [...options, ...Array<number>((4 - (options.length % 4)) % 4).fill(0)];
  const doff = 5 + opts.length / 4;
  return [...u16(sport), ...u16(dport), ...u32(1000), ...u32(0), doff << 4, flags, ...u16(65535), 0, 0, 0, 0, ...opts];
}

const udp = (sport: number, dport: number, payload: number[] = []): number[] => [...u16(sport), ...u16(dport), ...u16(8 + payload.length), 0, 0, ...payload];
const icmpEcho = (id: number): number[] => [8, 0, 0, 0, ...u16(id), ...u16(1)];
const vxlan = (vni: number, inner: number[]): number[] => [0x08, 0, 0, 0, ...u32(vni << 8), ...inner];

const SYN = 0x02;
const ACK = 0x10;
const FIN = 0x01;
/** MSS 1460, SACK permitted, timestamps, NOP, window scale 7: a Linux SYN's options. */
const SYN_OPTIONS = [2, 4, 0x05, 0xb4, 4, 2, 8, 10, ...u32(0x01020304), ...u32(0), 1, 3, 3, 7];

/** A packet padded to at least 64 bytes, as a NIC delivers it. */
const frame = (bytes: number[]): Uint8Array => {
  const p = new Uint8Array(Math.max(64, bytes.length));
  p.set(bytes);
  return p;
};

export function parserPackets(): { name: string; data: Uint8Array }[] {
  return [
    { name: 'tcp4 syn with options', data: frame([...eth(ETH_IP), ...ipv4(TCP, tcp(40000, 80, SYN, SYN_OPTIONS))]) },
    { name: 'tcp4 ack, same flow', data: frame([...eth(ETH_IP), ...ipv4(TCP, tcp(40000, 80, ACK, [1, 1, 8, 10, ...u32(0x01020305), ...u32(7)]))]) },
    { name: 'udp4 with router alert', data: frame([...eth(ETH_IP), ...ipv4(UDP, udp(5000, 6000, [1, 2, 3]), [148, 4, 0, 0, 1, 0])]) },
    { name: 'udp4 to a blocked port', data: frame([...eth(ETH_IP), ...ipv4(UDP, udp(5001, 53))]) },
    { name: 'icmp4 echo, QinQ', data: frame([...eth(ETH_IP, [100, 200]), ...ipv4(ICMP, icmpEcho(0x4242))]) },
    { name: 'tcp4 fragment (not first)', data: frame([...eth(ETH_IP), ...ipv4(TCP, [0xde, 0xad, 0xbe, 0xef], [], 0x0010)]) },
    { name: 'tcp6 via hop-by-hop and fragment', data: frame([...eth(ETH_IPV6), ...ipv6(TCP, tcp(443, 50000, ACK | FIN), [[0, [1, 4, 0, 0, 0, 0]], [44, [0, 1, ...u32(0xabcdef)]]])]) },
    { name: 'udp6 via routing and dest options, vlan', data: frame([...eth(ETH_IPV6, [7]), ...ipv6(UDP, udp(53, 9999), [[43, [0, 0, 0, 0, 0, 0]], [60, [1, 2, 0, 0, 0, 0]]])]) },
    { name: 'vxlan: udp4 carrying tcp6', data: frame([...eth(ETH_IP), ...ipv4(UDP, udp(33333, 4789, vxlan(0x123456, [...eth(ETH_IPV6), ...ipv6(TCP, tcp(22, 60000, SYN, [2, 4, 0x05, 0x8c]))])))]) },
    { name: 'vxlan: udp4 carrying icmp4 with options', data: frame([...eth(ETH_IP), ...ipv4(UDP, udp(33334, 4789, vxlan(7, [...eth(ETH_IP), ...ipv4(ICMP, icmpEcho(9), [1, 1, 148, 4, 0, 0], 0, 0xc0a80001, 0xc0a80002)])))]) },
    { name: 'arp', data: frame([...eth(ETH_ARP), 0, 1, 8, 0, 6, 4, 0, 1]) },
    { name: 'malformed: strict source route', data: frame([...eth(ETH_IP), ...ipv4(UDP, udp(1, 2), [137, 7, 4, 10, 0, 0, 1])]) },
    { name: 'malformed: tcp options past the header', data: frame([...eth(ETH_IP), ...ipv4(TCP, tcp(1, 2, SYN, [8, 40, 0, 0]))]) },
    { name: 'malformed: truncated ipv4', data: frame([...eth(ETH_IP), 0x4f, 0, 0, 60]).subarray(0, 20) },
    { name: 'malformed: syn+fin', data: frame([...eth(ETH_IP), ...ipv4(TCP, tcp(1, 2, SYN | FIN))]) },
  ];
}
