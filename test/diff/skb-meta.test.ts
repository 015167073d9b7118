// bpf/skb_meta.bpf.c on the kernel and on the emulator (both executions): the helpers that change an skb's
// metadata (net/core/filter.c). Scripts of bpf_skb_vlan_push / _vlan_pop / _change_proto / _change_type
// over untagged, tagged and double-tagged packets, with each step's result and the __sk_buff fields after it
// (len, protocol, vlan_present, vlan_tci, vlan_proto, pkt_type, data_end - data) and the packet out;
// bpf_skb_get_tunnel_key before and after bpf_skb_set_tunnel_key, for every size and flag; and the hash
// helpers. The kernel's flow hash is seeded at random at boot, so for the hash what is compared is the
// pattern of each run's values (0, the value set, and which flows share a hash), not the values.
import { expect, test } from 'vitest';
import { openObject, type BpfObject } from '../../src/index.js';
import { EXECUTIONS } from '../../src/emulator/programs/compiler.js';
import { describeKernel } from '../helpers/kernel.js';
import { fixture } from '../kernel/bpf-fixtures.js';
import { engineFor, type Side } from './program-sides.js';

const Op = { Push: 1, Pop: 2, ChangeProto: 3, ChangeType: 4 } as const;
/** __be16 EtherTypes as a program passes them (bpf_htons on this little-endian host). */
const be = (type: number): bigint => BigInt(((type & 0xff) << 8) | (type >> 8));

/** An Ethernet frame to 02:..:01 (PACKET_OTHERHOST on the loopback device) of `types` (tags, then the EtherType). */
function frame(types: number[], length = 80): Uint8Array {
  const p = new Uint8Array(length);
  p.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]);
  let at = 12;
  for (const [i, type] of types.entries()) {
    p.set([type >> 8, type & 0xff], at);
    at += 2;
    if (i < types.length - 1) {
      p.set([0x10 + i, 0x20 + i], at); // the tag's TCI
      at += 2;
    }
  }
  for (let i = at; i < length; i++) p[i] = i;
  if (types.at(-1) === 0x0800) p[at] = 0x45;
  return p;
}

type Step = [op: number, arg1?: bigint, arg2?: bigint];
const scripts: { packet: Uint8Array; steps: Step[] }[] = [
  { packet: frame([0x0800]), steps: [[Op.Push, be(0x8100), 5n], [Op.Push, be(0x88a8), 0x1234n], [Op.Pop], [Op.Pop], [Op.Pop]] },
  // An unknown proto is 802.1Q; the TCI is a u16.
  { packet: frame([0x0800]), steps: [[Op.Push, 0x1234n, 0xffff7n], [Op.Push, be(0x8100), 9n], [Op.Push, be(0x88a8), 10n]] },
  { packet: frame([0x8100, 0x0800]), steps: [[Op.Pop], [Op.Pop]] },
  { packet: frame([0x88a8, 0x8100, 0x0800]), steps: [[Op.Pop], [Op.Pop], [Op.Pop]] },
  { packet: frame([0x8100, 0x0800]), steps: [[Op.Push, be(0x8100), 7n], [Op.Push, be(0x8100), 8n], [Op.Pop], [Op.Pop], [Op.Pop]] },
  // A tag around an 802.3 length field: ETH_P_802_2, or ETH_P_802_3 before 0xffff.
  { packet: frame([0x8100, 0x0040]), steps: [[Op.Pop]] },
  { packet: new Uint8Array([...frame([0x8100, 0x0040], 18), 0xff, 0xff, 1, 2]), steps: [[Op.Pop]] },
  // Too short for skb_ensure_writable of a tagged header.
  { packet: frame([0x8100], 16), steps: [[Op.Pop]] },
  { packet: frame([0x0800]), steps: [[Op.ChangeProto, be(0x86dd), 0n], [Op.ChangeProto, be(0x0800), 0n], [Op.ChangeProto, be(0x0800), 1n], [Op.ChangeProto, be(0x0800), 0n], [Op.ChangeProto, be(0x1234), 0n]] },
  { packet: frame([0x86dd], 60), steps: [[Op.ChangeProto, be(0x0800), 0n], [Op.ChangeProto, be(0x86dd), 0n]] },
  { packet: frame([0x0800]), steps: [[Op.Push, be(0x8100), 1n], [Op.ChangeProto, be(0x86dd), 0n], [Op.Push, be(0x8100), 2n], [Op.ChangeProto, be(0x0800), 0n], [Op.Pop], [Op.ChangeProto, be(0x0800), 0n]] },
  { packet: frame([0x0800]), steps: [[Op.ChangeType, 1n], [Op.ChangeType, 4n], [Op.ChangeType, 0n], [Op.ChangeType, 2n], [Op.ChangeType, 1n << 32n], [Op.ChangeType, 3n]] },
];

const MAX_OPS = 6;
const text = (v: unknown): string => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? Buffer.from(x).toString('hex') : x));
const pad = <T>(xs: T[], fill: T): T[] => [...xs, ...Array<T>(MAX_OPS).fill(fill)].slice(0, MAX_OPS);

function runScripts(obj: BpfObject): string[] {
  const g = obj.globals as Record<string, unknown>;
  return scripts.map(({ packet, steps }) => {
    g.ops = pad(steps.map((s) => s[0]), 0);
    g.arg1 = pad(steps.map((s) => s[1] ?? 0n), 0n);
    g.arg2 = pad(steps.map((s) => s[2] ?? 0n), 0n);
    const { retval, data } = obj.program('skb_meta').run({ data: packet });
    const seen = (g.seen as unknown[]).slice(0, steps.length);
    return text({ steps, retval, data, seen });
  });
}

const ipv4 = (src: number, dst: number, sport: number, dport: number, proto = 17, payload = 0): Uint8Array => {
  const p = frame([0x0800], 64);
  p.set([0x45, 0, 0, 50, 0, 0, 0, 0, 64, proto, 0, 0, 10, 0, 0, src, 10, 0, 0, dst, sport >> 8, sport & 0xff, dport >> 8, dport & 0xff], 14);
  p[50] = payload;
  return p;
};
const ipv6 = (label: number, sport: number, dport: number): Uint8Array => {
  const p = frame([0x86dd], 80);
  p.set([0x60 | (label >> 16), (label >> 8) & 0xff, label & 0xff, 0, 0, 26, 17, 64], 14);
  p.set([sport >> 8, sport & 0xff, dport >> 8, dport & 0xff], 54);
  return p;
};
const hashPackets = [
  ipv4(1, 2, 1000, 2000), ipv4(2, 1, 2000, 1000), ipv4(1, 2, 1000, 2000, 17, 9), ipv4(1, 2, 2000, 1000), ipv4(1, 2, 1000, 2001),
  ipv4(1, 3, 1000, 2000), ipv4(1, 2, 1000, 2000, 6), ipv6(5, 1, 2), ipv6(5, 3, 4), ipv6(0, 1, 2), ipv6(0, 3, 4), frame([0x0806], 64),
];
const SET_HASH = 0xabcdef;

/** Each run's hashes as a pattern: 0, 'set' for the value bpf_set_hash set, else the flow's letter. */
function hashPatterns(obj: BpfObject): string[] {
  const g = obj.globals as Record<string, unknown>;
  g.set_hash_to = SET_HASH;
  const letters = new Map<number, string>();
  return hashPackets.map((data) => {
    obj.program('skb_hash').run({ data });
    return (g.hashes as number[]).map((h) => {
      if (h === 0 || h === SET_HASH) return h === 0 ? '0' : 'set';
      if (!letters.has(h)) letters.set(h, String.fromCharCode(65 + letters.size));
      return letters.get(h)!;
    }).join(' ');
  });
}

/** struct bpf_tunnel_key's bytes: id, remote (IPv4 in the first word), tos, ttl, label, local. */
function tunnelKey(label: number): Uint8Array {
  const key = new DataView(new ArrayBuffer(44));
  key.setUint32(0, 0x11223344, true);
  [0x0a000001, 0x20010db8, 3, 4].forEach((w, i) => key.setUint32(4 + 4 * i, w, true));
  key.setUint8(20, 7);
  key.setUint8(21, 9);
  key.setUint32(24, label, true);
  [0x0a000002, 5, 6, 7].forEach((w, i) => key.setUint32(28 + 4 * i, w, true));
  return new Uint8Array(key.buffer);
}
const F = { Ipv6: 1n, ZeroCsum: 2n, DontFragment: 4n, Seq: 8n, NoKeyOrFlags: 16n } as const;
// [set size (0: none), set flags, get size, get flags]
const tunnelCases: [number, bigint, number, bigint][] = [
  [0, 0n, 44, 0n], [0, 0n, 12, 0n], [0, 0n, 8, 0n],
  ...[44, 8, 22, 24, 28, 12].map((size): [number, bigint, number, bigint] => [44, 0n, size, 0n]),
  [44, 0n, 44, F.NoKeyOrFlags], [44, 0n, 44, F.Ipv6], [44, 0n, 44, 32n], [44, 0n, 44, 1n << 40n],
  [44, F.Ipv6, 44, F.Ipv6], [44, F.Ipv6, 44, F.Ipv6 | F.NoKeyOrFlags], [44, F.Ipv6, 44, 0n], [44, F.Ipv6, 8, F.Ipv6],
  [44, F.Ipv6, 28, F.Ipv6], [44, F.Ipv6, 22, F.Ipv6 | F.NoKeyOrFlags],
  [44, F.ZeroCsum | F.DontFragment | F.Seq, 44, F.NoKeyOrFlags], [44, F.NoKeyOrFlags, 44, F.NoKeyOrFlags], [44, 64n, 44, 0n],
  [8, 0n, 44, 0n], [28, 0n, 44, F.NoKeyOrFlags],
];

function runTunnel(obj: BpfObject): string[] {
  const g = obj.globals as Record<string, unknown>;
  return tunnelCases.map(([setSize, setFlags, getSize, getFlags]) => {
    Object.assign(g, { set_size: setSize, set_flags: setFlags, get_size: getSize, get_flags: getFlags, set_key: tunnelKey(setFlags & F.Ipv6 ? 0xfffff5 : 0) });
    obj.program('tunnel_key').run({ data: ipv4(1, 2, 1, 2) });
    return text({ setSize, setFlags, getSize, getFlags, rcSet: g.rc_set, rcGet: g.rc_get, got: g.got });
  });
}

function answers(side: Side): { scripts: string[]; hashes: string[]; tunnel: string[] } {
  using obj = openObject(fixture('skb_meta'), { engine: engineFor(side) });
  return { scripts: runScripts(obj), hashes: hashPatterns(obj), tunnel: runTunnel(obj) };
}

describeKernel('skb metadata helpers: the emulator answers as the kernel does', () => {
  test('VLAN tags, protocol and pkt_type changes, tunnel keys, hashes', () => {
    const kernel = answers('kernel');
    // Not vacuous: a second push writes the first tag into the packet; get before set is EINVAL.
    expect(kernel.scripts[0]).toContain('"len":84');
    expect(kernel.tunnel[0]).toContain('"rcGet":"-22n"');
    // Both directions of a flow and any payload share a hash; other ports do not.
    expect(kernel.hashes[0]).toBe('0 A A 0 set set A A');
    expect(kernel.hashes[1]).toBe(kernel.hashes[0]);
    expect(kernel.hashes[4]).not.toBe(kernel.hashes[0]);
    for (const execution of EXECUTIONS) {
      const emulator = answers(execution);
      expect(emulator.scripts, execution).toEqual(kernel.scripts);
      expect(emulator.tunnel, execution).toEqual(kernel.tunnel);
      expect(emulator.hashes, execution).toEqual(kernel.hashes);
    }
  });
});
