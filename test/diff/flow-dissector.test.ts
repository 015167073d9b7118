// bpf/flow_dissect.bpf.c on the kernel and on the emulator (both executions): BPF_PROG_TEST_RUN of a flow
// dissector (net/bpf/test_run.c bpf_prog_test_run_flow_dissector, net/core/flow_dissector.c bpf_flow_dissect)
// over IPv4, IPv6, VLAN, fragments, short and truncated packets, with each ctx_in flag; the dissector
// tail-calls its parsers. The verdicts and the flow keys (data_out) must be the kernel's, byte for byte, as
// must test_run's refusals of bad input and the verifier's refusal of an access past the keys.
import { expect, test } from 'vitest';
import { BpfError, BpfVerifierError, Emulator, features, openObject, type Engine } from '../../src/index.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { lastMeaningfulLine } from '../../src/errors/verifier-log.js';
import { EXECUTIONS, type Execution } from '../../src/emulator/programs/compiler.js';
import { describeKernel } from '../helpers/kernel.js';
import { fixture } from '../kernel/bpf-fixtures.js';

type Side = 'kernel' | Execution;

const engineFor = (side: Side): Engine =>
  side === 'kernel' ? getKernelEngine() : new Emulator({ execution: side, kernelVersion: features.emulatorKernelVersion() });

function ipv4(length = 74, fragment = 0): Uint8Array {
  const p = new Uint8Array(74);
  p.set([0x08, 0x00, 0x45, 0, 0, 60, 0, 1, fragment >> 8, fragment & 0xff, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0x1f, 0x90, 0, 80], 12);
  return p.subarray(0, length);
}

function ipv6(label = 0): Uint8Array {
  const p = new Uint8Array(94);
  p.set([0x86, 0xdd, 0x60 | 0, label >> 16, (label >> 8) & 0xff, label & 0xff, 0, 40, 17, 64], 12);
  p[14 + 8 + 15] = 1;
  p[14 + 24 + 15] = 2;
  p.set([0x00, 0x35, 0xc0, 0x00], 54);
  return p;
}

function vlan(inner: Uint8Array): Uint8Array {
  const p = new Uint8Array(inner.length + 4);
  p.set(inner.subarray(0, 12));
  p.set([0x81, 0x00, 0x00, 0x05], 12);
  p.set(inner.subarray(12), 16);
  return p;
}

const packets: [string, Uint8Array][] = [
  ['ipv4', ipv4()], ['ipv4 short', ipv4(30)], ['ipv4 ports past the end', ipv4(36)], ['ipv4 first fragment', ipv4(74, 0x2000)],
  ['ipv4 later fragment', ipv4(74, 0x0010)], ['ipv6', ipv6()], ['ipv6 labelled', ipv6(0x12345)], ['vlan ipv4', vlan(ipv4())],
  ['arp', new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x06, 0, 0])],
];
// BPF_FLOW_DISSECTOR_F_PARSE_1ST_FRAG, _STOP_AT_FLOW_LABEL, _STOP_AT_ENCAP.
const flagSets = [0, 1, 2, 4];

/** A run's answer: its verdict and flow keys, or the errno BPF_PROG_TEST_RUN refused it with. */
function answer(f: () => { retval: number; data?: Uint8Array | null }): string {
  try {
    const r = f();
    return JSON.stringify([r.retval, Array.from(r.data ?? [])]);
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    return e instanceof BpfVerifierError ? `${e.code}: ${lastMeaningfulLine(e.log)}` : e.code;
  }
}

function runs(side: Side): string[] {
  using obj = openObject(fixture('flow_dissect'), { engine: engineFor(side) });
  const dissect = obj.program('dissect');
  const out = packets.flatMap(([name, data]) => flagSets.map((flags) => {
    const ctx = new Uint8Array(56);
    new DataView(ctx.buffer).setUint32(48, flags, true);
    return `${name} flags ${flags}: ${answer(() => dissect.run({ data, ctx, repeat: 2 }))}`;
  }));
  // test_run's refusals: no Ethernet header, a ctx_in with more than flags set, one too long, one over a page
  // (E2BIG even when zero); and a short one, whose ctx out is the whole keys (ENOSPC for the short buffer).
  const badCtx = new Uint8Array(56);
  badCtx[0] = 1;
  const longCtx = new Uint8Array(60);
  longCtx[58] = 1;
  out.push(answer(() => dissect.run({ data: new Uint8Array(13) })), answer(() => dissect.run({ data: ipv4(), ctx: badCtx })), answer(() => dissect.run({ data: ipv4(), ctx: longCtx })));
  out.push(answer(() => dissect.run({ data: ipv4(), ctx: new Uint8Array(4097) })), answer(() => dissect.run({ data: ipv4(), ctx: new Uint8Array(52) })));
  out.push(answer(() => openObject(fixture('flow_dissect'), { engine: obj.engine, programs: ['past_keys'] }).close() as never));
  return out;
}

describeKernel('flow dissector test runs: the emulator answers as the kernel does', () => {
  test('verdicts and flow keys for every packet and flag, test_run\'s and the verifier\'s refusals', () => {
    const kernel = runs('kernel');
    // Not vacuous: IPv4 was dissected to its ports, ARP dropped.
    expect(kernel[0]).toBe(`ipv4 flags 0: ${JSON.stringify([0, [14, 0, 34, 0, 0, 8, 0, 0, 0, 6, 8, 0, 31, 144, 0, 80, 10, 0, 0, 1, 10, 0, 0, 2, ...Array(32).fill(0)]])}`);
    expect(kernel.at(-1)).toBe('EACCES: invalid access to flow keys off=56 size=4');
    for (const execution of EXECUTIONS) expect(runs(execution), execution).toEqual(kernel);
  });
});
