// bpf/tc_rewrite.bpf.c on the kernel and on the emulator (both executions): an IPv4 destination rewritten
// with bpf_csum_diff, bpf_l3_csum_replace, bpf_l4_csum_replace and bpf_skb_store_bytes, then the skb pulled,
// its tail and head moved (bpf_skb_pull_data, _change_tail, _change_head) at and past their limits, and
// bpf_redirect, over UDP and TCP packets, a zero UDP checksum, packets the program leaves alone, with and
// without a ctx_in. Each run's retval, data_out (bytes and size), ctx_out, errno and the helpers' results
// (the program's globals) must be the kernel's; the rewritten checksums must verify. And the data_out of the
// skb types that see the packet from its network header.
import { expect, test } from 'vitest';
import { BpfError, Emulator, features, loadProgram, openObject, ProgramType, type Engine } from '../../src/index.js';
import { asm, encodeInsns } from '../../src/uapi/isa.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { EXECUTIONS, type Execution } from '../../src/emulator/programs/compiler.js';
import { describeKernel } from '../helpers/kernel.js';
import { fixture } from '../kernel/bpf-fixtures.js';

type Side = 'kernel' | Execution;
const engineFor = (side: Side): Engine =>
  side === 'kernel' ? getKernelEngine() : new Emulator({ execution: side, kernelVersion: features.emulatorKernelVersion() });

const be16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];
/** The Internet checksum of `bytes` (RFC 1071), as the value to store. */
function inetChecksum(bytes: number[]): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
const SRC = [10, 0, 0, 1];
const DST = [10, 0, 0, 2];

/** Ethernet + IPv4 + a UDP (17) or TCP (6) header and payload, every checksum valid (UDP's 0 if asked). */
function packet(proto: 6 | 17, payloadLength: number, zeroUdpChecksum = false): Uint8Array {
  const payload = Array.from({ length: payloadLength }, (_, i) => (i * 13 + 5) & 0xff);
  const l4 = proto === 17
    ? [...be16(40000), ...be16(53), ...be16(8 + payloadLength), 0, 0, ...payload]
    : [...be16(40000), ...be16(80), 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, ...be16(512), 0, 0, 0, 0, ...payload];
  const checkAt = proto === 17 ? 6 : 16;
  const pseudo = [...SRC, ...DST, 0, proto, ...be16(l4.length)];
  const l4sum = zeroUdpChecksum ? 0 : inetChecksum([...pseudo, ...l4]);
  l4[checkAt] = l4sum >> 8;
  l4[checkAt + 1] = l4sum & 0xff;
  const ip = [0x45, 0, ...be16(20 + l4.length), 0x12, 0x34, 0, 0, 64, proto, 0, 0, ...SRC, ...DST];
  const ipsum = inetChecksum(ip);
  ip[10] = ipsum >> 8;
  ip[11] = ipsum & 0xff;
  return Uint8Array.from([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00, ...ip, ...l4]);
}

interface Case {
  name: string;
  data: Uint8Array;
  l4Flags?: bigint;
  pull?: number;
  tail?: number;
  head?: number;
  redirect?: [number, bigint];
  /** An __sk_buff ctx_in: mark 7, and a GSO skb's gso_size and gso_segs when given. */
  ctx?: { gso?: [number, number] };
}

const udp = packet(17, 22);
const cases: Case[] = [
  { name: 'udp', data: udp },
  { name: 'tcp', data: packet(6, 30) },
  { name: 'udp, the smallest', data: packet(17, 0) },
  { name: 'udp with a zero checksum (kept: BPF_F_MARK_MANGLED_0)', data: packet(17, 10, true) },
  { name: 'udp with a zero checksum, BPF_F_MARK_ENFORCE', data: packet(17, 10, true), l4Flags: 0x40n },
  { name: 'l4 flags BPF_F_IPV6', data: udp, l4Flags: 0x80n },
  { name: 'l4 flags with an unknown bit', data: udp, l4Flags: 0x100n },
  { name: 'not IPv4', data: Uint8Array.from([...udp.subarray(0, 12), 0x86, 0xdd, ...udp.subarray(14)]) },
  { name: 'pull the whole packet', data: udp, pull: 64 },
  { name: 'pull past the packet', data: udp, pull: 65 },
  { name: 'tail to the Ethernet header', data: udp, tail: 14 },
  { name: 'tail below the network header', data: udp, tail: 13 },
  { name: 'tail grown', data: udp, tail: 200 },
  { name: 'tail to BPF_SKB_MAX_LEN', data: udp, tail: 16064 },
  { name: 'tail past BPF_SKB_MAX_LEN', data: udp, tail: 16065 },
  { name: 'head pushed', data: udp, head: 16 },
  { name: 'head and tail', data: udp, tail: 40, head: 30 },
  { name: 'head past BPF_SKB_MAX_LEN', data: udp, head: 16001 },
  { name: 'head of a negative int', data: udp, head: 0x8000_0000 },
  { name: 'redirect', data: udp, redirect: [1, 0n] },
  { name: 'redirect to ingress', data: udp, redirect: [1, 1n] },
  { name: 'redirect with an unknown flag', data: udp, redirect: [1, 2n] },
  { name: 'with a ctx_in', data: packet(6, 12), tail: 100, ctx: {} },
  // A ctx_in's gso_size makes the skb GSO: change_tail resets it (gso_segs out), change_head has no limit.
  { name: 'GSO, tail grown', data: udp, tail: 100, ctx: { gso: [1400, 3] } },
  { name: 'GSO, head past BPF_SKB_MAX_LEN', data: udp, head: 16001, ctx: { gso: [1400, 3] } },
  { name: 'GSO of a gso_size past u16', data: udp, ctx: { gso: [0x10005, 2] } },
];

/** __sk_buff with mark 7 and gso_size / gso_segs. */
function skbCtx(gso: [number, number] = [0, 0]): Uint8Array {
  const ctx = new Uint8Array(192);
  const view = new DataView(ctx.buffer);
  view.setUint32(8, 7, true);
  view.setUint32(176, gso[0], true);
  view.setUint32(164, gso[1], true);
  return ctx;
}

const text = (v: unknown): string => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? Buffer.from(x).toString('hex') : x));
const RESULTS = ['rc_l4_addr', 'rc_l3', 'rc_store_addr', 'rc_l4_port', 'rc_store_port', 'rc_pull', 'rc_tail', 'rc_head', 'addr_diff', 'seen_len', 'seen_linear'];

interface Outcome {
  name: string;
  retval?: number;
  data?: Uint8Array;
  ctx?: Uint8Array;
  errno?: string;
  seen: Record<string, unknown>;
}

function runCases(side: Side): Outcome[] {
  using obj = openObject(fixture('tc_rewrite'), { engine: engineFor(side) });
  const globals = obj.globals as Record<string, unknown>;
  const prog = obj.program('tc_rewrite');
  globals.new_daddr = 0x0900000a; // 10.0.0.9, network order
  globals.new_dport = 0x901f; // 8080
  return cases.map((c) => {
    globals.l4_flags = c.l4Flags ?? 0n;
    globals.pull_len = c.pull ?? 0;
    globals.tail_len = c.tail ?? 0;
    globals.head_room = c.head ?? 0;
    globals.redirect_ifindex = c.redirect?.[0] ?? 0;
    globals.redirect_flags = c.redirect?.[1] ?? 0n;
    for (const name of RESULTS) globals[name] = typeof globals[name] === 'bigint' ? -1n : 0xffffffff;
    const ctx = c.ctx ? skbCtx(c.ctx.gso) : undefined;
    let out: Omit<Outcome, 'name' | 'seen'>;
    try {
      const r = prog.run({ data: c.data, ctx, dataOutSize: 20000 });
      out = { retval: r.retval, data: r.data?.slice(), ctx: r.ctx?.slice() };
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      out = { errno: e.code };
    }
    return { name: c.name, ...out, seen: Object.fromEntries(RESULTS.map((n) => [n, globals[n]])) };
  });
}

/** Whether an IPv4 packet's header checksum and its UDP/TCP checksum (pseudo header included) verify. */
function checksumsVerify(data: Uint8Array): boolean {
  const ip = [...data.subarray(14, 34)];
  const l4 = [...data.subarray(34, 14 + ((data[16]! << 8) | data[17]!))];
  const pseudo = [...ip.slice(12, 20), 0, ip[9]!, ...be16(l4.length)];
  return inetChecksum(ip) === 0 && inetChecksum([...pseudo, ...l4]) === 0;
}

/** The data_out of a program that returns 1 (cgroup_skb: allow; socket filter: keep a byte). */
function dataOutOf(side: Side, type: number): string {
  using p = loadProgram({ type, insns: encodeInsns([asm.mov64Imm(0, 1), asm.exit()]), engine: engineFor(side) });
  return Buffer.from(p.run({ data: udp }).data!).toString('hex');
}

test('the emulator rewrites a UDP packet with valid checksums', () => {
  const [first] = runCases('interpreter');
  expect(first!.retval).toBe(0); // TC_ACT_OK
  expect([...first!.data!.subarray(30, 34)]).toEqual([10, 0, 0, 9]);
  expect(checksumsVerify(first!.data!.subarray(0, first!.data!.length))).toBe(true);
});

describeKernel('tc_rewrite: the emulator answers as the kernel does', () => {
  test('every case: retval, data_out, ctx_out, errno and the helpers\' results', () => {
    const kernel = runCases('kernel');
    for (const execution of EXECUTIONS) expect(runCases(execution).map(text), execution).toEqual(kernel.map(text));
    // Not vacuous: the rewrites verify on the kernel, and the cases reach each helper's refusals.
    const byName = new Map(kernel.map((o) => [o.name, o]));
    for (const name of ['udp', 'tcp', 'udp, the smallest']) expect(checksumsVerify(byName.get(name)!.data!), name).toBe(true);
    expect(byName.get('l4 flags with an unknown bit')!.seen.rc_l4_addr).toBe(-22n);
    expect(byName.get('pull past the packet')!.seen.rc_pull).toBe(-12n);
    expect(byName.get('tail past BPF_SKB_MAX_LEN')!.seen.rc_tail).toBe(-22n);
    expect(byName.get('tail to BPF_SKB_MAX_LEN')!.data!.length).toBe(16064);
    expect(byName.get('redirect')!.retval).toBe(7); // TC_ACT_REDIRECT
    expect(byName.get('redirect with an unknown flag')!.retval).toBe(2); // TC_ACT_SHOT
    expect(byName.get('GSO, head past BPF_SKB_MAX_LEN')!.seen.rc_head).toBe(0n);
    expect(new DataView(byName.get('GSO, tail grown')!.ctx!.buffer).getUint32(164, true)).toBe(0); // gso_segs reset
  });

  test('cgroup_skb and socket filters: data_out gets its Ethernet header back zeroed', () => {
    for (const type of [ProgramType.CgroupSkb, ProgramType.SocketFilter]) {
      const kernel = dataOutOf('kernel', type);
      expect(kernel.slice(0, 28)).toBe('0'.repeat(28));
      for (const execution of EXECUTIONS) expect(dataOutOf(execution, type), execution).toBe(kernel);
    }
  });
});
