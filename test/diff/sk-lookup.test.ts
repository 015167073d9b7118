// bpf/sk_lookup_steer.bpf.c on the kernel and on the emulator (both executions): BPF_PROG_TEST_RUN of an
// sk_lookup program (net/bpf/test_run.c bpf_prog_test_run_sk_lookup). IPv4 and IPv6 lookups go in as struct
// bpf_sk_lookup; what the program read of each field (whole and narrow, net/core/filter.c
// sk_lookup_convert_ctx_access), its verdict (BPF_PROG_SK_LOOKUP_RUN_ARRAY) and the ctx out (cookie 0: no
// socket selected) must be the kernel's, as must the runner's refusals (no ctx, a packet, a cookie or
// ingress_ifindex given, a port past 16 bits, an unknown family, a long ctx, cpu, flags) and the verifier's
// refusal of a read past the struct. bpf_sk_assign needs sockets: the emulator refuses it by name.
import { expect, test } from 'vitest';
import { BpfError, BpfVerifierError, Emulator, features, openObject, type Engine, type RunOptions } from '../../src/index.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { lastMeaningfulLine } from '../../src/errors/verifier-log.js';
import { EXECUTIONS, type Execution } from '../../src/emulator/programs/compiler.js';
import { describeKernel } from '../helpers/kernel.js';
import { fixture } from '../kernel/bpf-fixtures.js';

type Side = 'kernel' | Execution;

const engineFor = (side: Side): Engine =>
  side === 'kernel' ? getKernelEngine() : new Emulator({ execution: side, kernelVersion: features.emulatorKernelVersion() });

interface Lookup {
  family: number;
  protocol: number;
  remote?: number[];
  local?: number[];
  remotePort?: number;
  localPort: number;
  /** Bytes to set past the fields (offset → value): the cookie, padding, ingress_ifindex. */
  raw?: Record<number, number>;
}

/** struct bpf_sk_lookup (72 bytes): addresses in network order, remote_port big-endian, local_port host order. */
function lookup(l: Lookup): Uint8Array {
  const ctx = new Uint8Array(72);
  const view = new DataView(ctx.buffer);
  view.setUint32(8, l.family, true);
  view.setUint32(12, l.protocol, true);
  const v6 = (l.remote ?? []).length === 16;
  if (l.remote) ctx.set(l.remote, v6 ? 20 : 16);
  if (l.local) ctx.set(l.local, v6 ? 44 : 40);
  view.setUint16(36, l.remotePort ?? 0, false);
  view.setUint32(60, l.localPort, true);
  for (const [off, b] of Object.entries(l.raw ?? {})) ctx[Number(off)] = b;
  return ctx;
}

const AF_INET = 2;
const AF_INET6 = 10;
const TCP = 6;
const UDP = 17;
const ip6 = (last: number): number[] => [0x20, 0x01, 0x0d, 0xb8, ...Array<number>(11).fill(0), last];
const tcp4 = (localPort: number, raw?: Record<number, number>): Uint8Array =>
  lookup({ family: AF_INET, protocol: TCP, remote: [10, 0, 0, 1], local: [10, 0, 0, 2], remotePort: 40000, localPort, ...(raw ? { raw } : {}) });

const runs: [string, RunOptions][] = [
  ['tcp4 to port 80', { ctx: tcp4(80) }],
  ['tcp4 to port 443', { ctx: tcp4(443) }],
  ['udp6', { ctx: lookup({ family: AF_INET6, protocol: UDP, remote: ip6(1), local: ip6(2), remotePort: 53, localPort: 5353 }) }],
  ['tcp6 to port 80, repeated', { ctx: lookup({ family: AF_INET6, protocol: TCP, remote: ip6(3), local: ip6(4), remotePort: 1, localPort: 80 }), repeat: 3 }],
  // bpf_sk_lookup_kern keeps family and protocol as u16s: the high halves are dropped.
  ['family and protocol with high halves', { ctx: lookup({ family: 0x10000 | AF_INET, protocol: 0x10000 | UDP, localPort: 7 }) }],
  ['the padding after remote_port set', { ctx: tcp4(80, { 38: 0xaa, 39: 0xbb }) }],
  ['a ctx_in longer than the struct, zero past it', { ctx: new Uint8Array([...tcp4(80), 0, 0, 0, 0, 0, 0, 0, 0]) }],
  ['a ctx_in longer than the struct, not zero past it', { ctx: new Uint8Array([...tcp4(80), 0, 0, 0, 1]) }],
  ['a ctx_in shorter than the struct', { ctx: tcp4(80).subarray(0, 64) }],
  ['no ctx_in', {}],
  ['a packet', { ctx: tcp4(80), data: new Uint8Array(64) }],
  ['a cookie given', { ctx: tcp4(80, { 0: 1 }) }],
  ['ingress_ifindex given', { ctx: tcp4(80, { 64: 1 }) }],
  ['local_port past 16 bits', { ctx: tcp4(0x10000) }],
  ['an unknown family', { ctx: lookup({ family: 1, protocol: TCP, localPort: 80 }) }],
  ['a cpu', { ctx: tcp4(80), cpu: 1 }],
  ['flags', { ctx: tcp4(80), flags: 1 }],
];

const json = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));

/** A run's verdict, ctx out and what the program saw, or the errno the run (or the load) was refused with. */
function answer(f: () => { retval: number; ctx?: Uint8Array }, seen: () => unknown): string {
  try {
    const r = f();
    return `${r.retval} ctx ${Buffer.from(r.ctx ?? []).toString('hex')} saw ${json(seen())}`;
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    return e instanceof BpfVerifierError ? `${e.code}: ${lastMeaningfulLine(e.log)}` : e.code;
  }
}

function results(side: Side): string[] {
  const engine = engineFor(side);
  using obj = openObject(fixture('sk_lookup_steer'), { engine, programs: ['steer'] });
  const steer = obj.program('steer');
  const out = runs.map(([name, options]) => `${name}: ${answer(() => steer.run(options), () => obj.globals.seen)}`);
  out.push(answer(() => openObject(fixture('sk_lookup_steer'), { engine, programs: ['past_struct'] }).close() as never, () => undefined));
  return out;
}

describeKernel('sk_lookup test runs: the emulator answers as the kernel does', () => {
  test('verdicts, ctx out, every field the program reads, the runner\'s and the verifier\'s refusals', () => {
    const kernel = results('kernel');
    // Not vacuous: the lookup reached the program (port 80 passes, 443 drops), and the kernel refuses bad input.
    expect(kernel[0]).toMatch(/^tcp4 to port 80: 1 ctx 0{16}0200/);
    expect(kernel[1]).toMatch(/^tcp4 to port 443: 0 /);
    expect(kernel).toContain('local_port past 16 bits: ERANGE');
    expect(kernel).toContain('an unknown family: EAFNOSUPPORT');
    expect(kernel.at(-1)).toBe('EACCES: invalid bpf_context access off=72 size=4');
    for (const execution of EXECUTIONS) expect(results(execution), execution).toEqual(kernel);
  });

  test('bpf_sk_assign: the kernel loads it; the emulator, which has no sockets, refuses it by name', () => {
    openObject(fixture('sk_lookup_steer'), { engine: getKernelEngine(), programs: ['assign'] }).close();
    const emulator = new Emulator({ kernelVersion: features.emulatorKernelVersion() });
    expect(() => openObject(fixture('sk_lookup_steer'), { engine: emulator, programs: ['assign'] }))
      .toThrowError(expect.objectContaining({ code: 'ENOTSUPP', message: expect.stringContaining('bpf_sk_assign') }));
  });
});
