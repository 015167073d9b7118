// bpf/lwt_route.bpf.c on the kernel and on the emulator (both executions): BPF_PROG_TEST_RUN of lightweight
// tunnel programs, which net/bpf/test_run.c bpf_prog_test_run_skb runs as it runs cgroup_skb (the packet
// from its network header, the Ethernet header given back zeroed). For lwt_in, lwt_out and lwt_xmit: the
// verdict, the packet out (lwt_xmit's direct write and helpers), the ctx out, every field the program read
// (net/core/filter.c lwt_is_valid_access) over IPv4 TCP and UDP, IPv6, a ctx_in, repeats and bad input; an
// lwt_seg6local program has no test run on either engine.
import { expect, test } from 'vitest';
import { BpfError, Emulator, features, openObject, type Engine, type RunOptions } from '../../src/index.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { EXECUTIONS, type Execution } from '../../src/emulator/programs/compiler.js';
import { describeKernel } from '../helpers/kernel.js';
import { fixture } from '../kernel/bpf-fixtures.js';

type Side = 'kernel' | Execution;

const engineFor = (side: Side): Engine =>
  side === 'kernel' ? getKernelEngine() : new Emulator({ execution: side, kernelVersion: features.emulatorKernelVersion() });

/** An Ethernet frame with an IPv4 header (a valid checksum) for `protocol`, 20 bytes of payload. */
function ipv4(protocol: number): Uint8Array {
  const p = new Uint8Array(54);
  p.set([0x08, 0x00, 0x45, 0, 0, 40, 0, 1, 0, 0, 64, protocol, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 12);
  let sum = 0;
  for (let i = 14; i < 34; i += 2) sum += (p[i]! << 8) | p[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  p[24] = (~sum >> 8) & 0xff;
  p[25] = ~sum & 0xff;
  return p;
}

function ipv6(): Uint8Array {
  const p = new Uint8Array(74);
  p.set([0x86, 0xdd, 0x60, 0, 0, 0, 0, 20, 6, 64], 12);
  return p;
}

/** An __sk_buff ctx_in: mark (8), priority (32), ingress_ifindex (36), cb[0] (48). */
function skbCtx(fields: { mark?: number; priority?: number; ingress?: number; cb0?: number }): Uint8Array {
  const ctx = new Uint8Array(192);
  const view = new DataView(ctx.buffer);
  view.setUint32(8, fields.mark ?? 0, true);
  view.setUint32(32, fields.priority ?? 0, true);
  view.setUint32(36, fields.ingress ?? 0, true);
  view.setUint32(48, fields.cb0 ?? 0, true);
  return ctx;
}

const runs: [string, RunOptions][] = [
  ['tcp4', { data: ipv4(6) }],
  ['udp4', { data: ipv4(17) }],
  ['tcp6', { data: ipv6() }],
  ['tcp4 with a ctx_in, repeated', { data: ipv4(6), ctx: skbCtx({ mark: 9, priority: 3, ingress: 1, cb0: 100 }), repeat: 3 }],
  ['an Ethernet header only', { data: ipv4(6).subarray(0, 14) }],
  ['a short IPv4 header', { data: ipv4(6).subarray(0, 30) }],
  ['a ctx_in setting data', { data: ipv4(6), ctx: (() => { const c = skbCtx({}); c[76] = 1; return c; })() }],
  ['a cpu', { data: ipv4(6), cpu: 1 }],
];

const json = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
const hex = (b?: Uint8Array): string => Buffer.from(b ?? []).toString('hex');

function results(side: Side): string[] {
  const engine = engineFor(side);
  const out: string[] = [];
  for (const [program, seen] of [['route_in', 'seen_in'], ['route_out', 'seen_out'], ['route_xmit', 'seen_xmit']] as const) {
    using obj = openObject(fixture('lwt_route'), { engine, programs: [program] });
    for (const [name, options] of runs) {
      try {
        const r = obj.program(program).run(options);
        out.push(`${program} ${name}: ${r.retval} data ${hex(r.data)} ctx ${hex(r.ctx)} saw ${json(obj.globals[seen])}`);
      } catch (e) {
        if (!(e instanceof BpfError)) throw e;
        out.push(`${program} ${name}: ${e.code}`);
      }
    }
  }
  using seg6 = openObject(fixture('lwt_route'), { engine, programs: ['seg6'] });
  try {
    out.push(`seg6: ${seg6.program('seg6').run({ data: ipv6() }).retval}`);
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    out.push(`seg6: ${e.code}`);
  }
  return out;
}

describeKernel('lightweight tunnel test runs: the emulator answers as the kernel does', () => {
  test('lwt_in, lwt_out, lwt_xmit: verdicts, packets, ctx and the fields read; lwt_seg6local has no test run', () => {
    const kernel = results('kernel');
    // Not vacuous: TCP kept (BPF_OK 0), UDP dropped (BPF_DROP 2), lwt_xmit's rewrites in its packet out.
    expect(kernel[0]).toMatch(/^route_in tcp4: 0 data 0{28}4500/);
    expect(kernel[1]).toMatch(/^route_in udp4: 2 /);
    expect(kernel.find((l) => l.startsWith('route_xmit tcp4:'))).toMatch(/ data 0{28}45100028000100003f06/);
    expect(kernel.at(-1)).toBe('seg6: ENOTSUPP');
    for (const execution of EXECUTIONS) expect(results(execution), execution).toEqual(kernel);
  });
});
