// The kernel as the oracle for bpfkit's packet checksums: frames built by `packet` are sent out of the
// loopback device of a private network namespace through an AF_PACKET socket (test/helpers/packet-inject.c),
// so the kernel receives them as from a wire (the skb CHECKSUM_NONE) and its own receive path checks every
// checksum: ip_rcv_core the IPv4 header's (IpExt InCsumErrors), __udp4_lib_rcv / __udp6_lib_rcv, tcp_v4_rcv /
// tcp_v6_rcv, icmp_rcv and icmpv6_rcv theirs with the pseudo-header (Udp/Udp6/Tcp/Icmp/Icmp6 InCsumErrors).
// A frame it accepts moves a counter past that check instead: UDP NoPorts (no socket listens), TCP OutRsts
// (a SYN to a closed port is answered with a reset), ICMP InEchos. Every case also runs with one checksum
// broken, which the kernel must count as a checksum error: the oracle is shown able to say no.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { packet, type TcpOption } from '../../src/index.js';
import { packageRoot } from '../../src/package-root.js';
import { describeUnless } from '../helpers/skip.js';

const SEED = Number(process.env.BPFKIT_PACKET_SEED ?? 20261208);

function skipReason(): string | undefined {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root (a network namespace and an AF_PACKET socket)';
  for (const tool of ['unshare', 'nsenter', 'ip', 'gcc']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' });
    } catch {
      return `needs ${tool} on PATH`;
    }
  }
  return undefined;
}

/** Where the namespace's loopback device answers: 192.0.2.1 and 2001:db8::1; frames come from beyond it. */
const HERE4 = '192.0.2.1';
const HERE6 = '2001:db8::1';
const PEER4 = '198.51.100.7';
const PEER6 = '2001:db8:ff::7';
/** The loopback device's MAC: a frame to any other is PACKET_OTHERHOST and dropped before IP. */
const LO = { src: '00:00:00:00:00:00', dst: '00:00:00:00:00:00' };

let dir = '';
let inject = '';
let ns: ChildProcess | undefined;

/** The namespace's SNMP counters ('Udp.NoPorts', 'IpExt.InCsumErrors', 'Udp6InCsumErrors', ...), read through its holder's /proc. */
function counters(): Map<string, number> {
  const out = new Map<string, number>();
  for (const file of ['snmp', 'netstat']) {
    const lines = readFileSync(`/proc/${ns!.pid}/net/${file}`, 'utf8').trim().split('\n');
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const [group, ...names] = lines[i]!.split(/\s+/);
      const values = lines[i + 1]!.split(/\s+/).slice(1);
      names.forEach((n, j) => out.set(`${group!.replace(':', '')}.${n}`, Number(values[j])));
    }
  }
  for (const line of readFileSync(`/proc/${ns!.pid}/net/snmp6`, 'utf8').trim().split('\n')) {
    const [name, value] = line.split(/\s+/);
    out.set(name!, Number(value));
  }
  return out;
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Sends `frame` and waits for the kernel's verdict: which of `accepted` (a counter past the checksum checks)
 * or `csumError` moved. The wait ends on the first change; its bound only keeps a lost frame from hanging the run.
 */
function verdict(frame: Uint8Array, accepted: string, csumError: string): 'accepted' | 'checksum error' {
  const before = counters();
  for (const key of [accepted, csumError]) if (!before.has(key)) throw new Error(`no counter ${key} in this namespace`);
  execFileSync('nsenter', ['-t', String(ns!.pid), '-n', inject, Buffer.from(frame).toString('hex')], { stdio: 'pipe' });
  for (let waited = 0; waited < 10_000; waited += 2) {
    const now = counters();
    const moved = (key: string): number => now.get(key)! - before.get(key)!;
    if (moved(accepted) || moved(csumError)) {
      expect([moved(accepted), moved(csumError)].sort()).toEqual([0, 1]); // one frame, one verdict, counted once
      return moved(accepted) ? 'accepted' : 'checksum error';
    }
    Atomics.wait(pause, 0, 0, 2);
  }
  throw new Error(`the kernel counted neither ${accepted} nor ${csumError} for the frame ${Buffer.from(frame).toString('hex')}`);
}

/** The same frame with the 16-bit field at `at` changed (a wrong checksum). */
function broken(frame: Uint8Array, at: number): Uint8Array {
  const out = frame.slice();
  out[at + 1] ^= 0x01;
  return out;
}

describeUnless(skipReason(), 'packet checksums, judged by the kernel\'s receive path', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bpfkit-inject-'));
    inject = join(dir, 'packet-inject');
    execFileSync('gcc', ['-O2', '-Wall', '-o', inject, join(packageRoot(), 'test/helpers/packet-inject.c')], { stdio: 'pipe' });
    const setup = [
      'ip link set lo up',
      `ip addr add ${HERE4}/24 dev lo`,
      `ip -6 addr add ${HERE6}/64 dev lo nodad`,
      'ip route add default dev lo',
      'ip -6 route add default dev lo',
      'echo ready',
      'exec sleep 100000',
    ].join(' && ');
    ns = spawn('unshare', ['--net', 'sh', '-c', setup], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let err = '';
      ns!.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      ns!.stdout!.once('data', () => resolve());
      ns!.once('exit', (code) => reject(new Error(`the network namespace's set-up failed (${code}): ${err}`)));
    });
  });
  afterAll(() => {
    ns?.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('IPv4 with options: the header checksum and UDP over the pseudo-header, right and wrong', () => {
    const build = (ipChecksum?: number) =>
      packet.ethernet(LO).ipv4({ src: PEER4, dst: HERE4, options: ['nop', { routerAlert: 0 }, 'nop'], checksum: ipChecksum }).udp({ sport: 40000, dport: 9 }).payload('odd length').build();
    const frame = build();
    const p = packet.parse(frame);
    expect(verdict(frame, 'Udp.NoPorts', 'Udp.InCsumErrors')).toBe('accepted');
    expect(verdict(broken(frame, 14 + p.ipv4!.headerLength + 6), 'Udp.NoPorts', 'Udp.InCsumErrors')).toBe('checksum error');
    expect(verdict(build(p.ipv4!.checksum ^ 1), 'Udp.NoPorts', 'IpExt.InCsumErrors')).toBe('checksum error');
  });

  test('TCP with options (MSS, SACK permitted, timestamps, window scale) over IPv4 and IPv6', () => {
    const options: TcpOption[] = [{ mss: 1460 }, { sackPermitted: true }, { timestamp: [1, 0] }, 'nop', { windowScale: 7 }];
    const v4 = packet.ethernet(LO).ipv4({ src: PEER4, dst: HERE4 }).tcp({ sport: 40001, dport: 81, seq: 12345, flags: ['syn'], options }).payload('syn data').build();
    expect(verdict(v4, 'Tcp.OutRsts', 'Tcp.InCsumErrors')).toBe('accepted');
    expect(verdict(broken(v4, 14 + 20 + 16), 'Tcp.OutRsts', 'Tcp.InCsumErrors')).toBe('checksum error');
    const v6 = packet.ethernet(LO).ipv6({ src: PEER6, dst: HERE6 }).tcp({ sport: 40002, dport: 82, flags: ['syn'], options }).payload('x').build();
    expect(verdict(v6, 'Tcp.OutRsts', 'Tcp.InCsumErrors')).toBe('accepted');
    expect(verdict(broken(v6, 14 + 40 + 16), 'Tcp.OutRsts', 'Tcp.InCsumErrors')).toBe('checksum error');
  });

  test('ICMP echo (its message alone) and ICMPv6 echo (with the pseudo-header)', () => {
    const v4 = packet.ethernet(LO).ipv4({ src: PEER4, dst: HERE4 }).icmp({ id: 7, sequence: 1 }).payload('ping!').build();
    expect(verdict(v4, 'Icmp.InEchos', 'Icmp.InCsumErrors')).toBe('accepted');
    expect(verdict(broken(v4, 14 + 20 + 2), 'Icmp.InEchos', 'Icmp.InCsumErrors')).toBe('checksum error');
    const v6 = packet.ethernet(LO).ipv6({ src: PEER6, dst: HERE6 }).icmpv6({ id: 7, sequence: 1 }).payload('ping!').build();
    expect(verdict(v6, 'Icmp6InEchos', 'Icmp6InCsumErrors')).toBe('accepted');
    expect(verdict(broken(v6, 14 + 40 + 2), 'Icmp6InEchos', 'Icmp6InCsumErrors')).toBe('checksum error');
  });

  test('IPv6 through hop-by-hop, routing (no segments left), atomic fragment and destination headers to UDP', () => {
    const frame = packet
      .ethernet(LO)
      .ipv6({
        src: PEER6,
        dst: HERE6,
        extensions: [
          { type: 'hop-by-hop', options: [{ type: 0x1e, data: Uint8Array.of(1, 2, 3) }] }, // skippable, unknown (RFC 8200 4.2)
          { type: 'routing', routingType: 0, segmentsLeft: 0, addresses: [PEER6] },
          { type: 'fragment', id: 99 },
          { type: 'destination', options: [{ type: 0x1e, data: new Uint8Array(9) }] },
        ],
      })
      .udp({ sport: 40003, dport: 9 })
      .payload('through the chain')
      .build();
    const p = packet.parse(frame);
    expect(p.layers).toEqual(['ethernet', 'ipv6', 'udp']);
    expect(verdict(frame, 'Udp6NoPorts', 'Udp6InCsumErrors')).toBe('accepted');
    const udpAt = frame.length - p.udp!.length;
    expect(verdict(broken(frame, udpAt + 6), 'Udp6NoPorts', 'Udp6InCsumErrors')).toBe('checksum error');
  });

  test(`seeded random packets: the kernel accepts every one, and counts each with one payload bit flipped as a checksum error (seed ${SEED})`, () => {
    const u16 = fc.integer({ min: 1, max: 0xffff });
    const arb = fc.record({
      v6: fc.boolean(),
      l4: fc.constantFrom('tcp', 'udp', 'icmp'),
      sport: u16,
      dport: u16,
      seq: fc.integer({ min: 0, max: 0xffffffff }),
      mss: fc.option(u16, { nil: undefined }),
      payload: fc.uint8Array({ minLength: 1, maxLength: 300 }),
      flip: fc.nat(),
    });
    let runs = 0;
    fc.assert(
      fc.property(arb, (d) => {
        const eth = packet.ethernet(LO);
        const options: TcpOption[] = d.mss === undefined ? [] : [{ mss: d.mss }];
        const ip = d.v6 ? eth.ipv6({ src: PEER6, dst: HERE6 }) : eth.ipv4({ src: PEER4, dst: HERE4 });
        const l4 =
          d.l4 === 'tcp' ? ip.tcp({ sport: d.sport, dport: d.dport, seq: d.seq, flags: ['syn'], options })
          : d.l4 === 'udp' ? ip.udp({ sport: d.sport, dport: d.dport })
          : d.v6 ? (ip as ReturnType<typeof eth.ipv6>).icmpv6({ id: d.sport, sequence: d.dport })
          : (ip as ReturnType<typeof eth.ipv4>).icmp({ id: d.sport, sequence: d.dport });
        const frame = l4.payload(d.payload).build();
        const [ok, bad] =
          d.l4 === 'tcp' ? ['Tcp.OutRsts', 'Tcp.InCsumErrors']
          : d.l4 === 'udp' ? (d.v6 ? ['Udp6NoPorts', 'Udp6InCsumErrors'] : ['Udp.NoPorts', 'Udp.InCsumErrors'])
          : d.v6 ? ['Icmp6InEchos', 'Icmp6InCsumErrors'] : ['Icmp.InEchos', 'Icmp.InCsumErrors'];
        expect(verdict(frame, ok, bad)).toBe('accepted');
        const flipped = frame.slice();
        flipped[frame.length - d.payload.length + (d.flip % d.payload.length)] ^= 1 << (d.flip % 8);
        expect(verdict(flipped, ok, bad)).toBe('checksum error');
        runs++;
      }),
      { seed: SEED, numRuns: 40 },
    );
    expect(runs).toBe(40);
  });
});
