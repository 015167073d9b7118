// A netfilter program (Linux 6.4+) on the kernel and on the emulator (both executions): BPF_PROG_TEST_RUN as
// net/bpf/test_run.c bpf_prog_test_run_nf runs it. The program records the hook state it is given (hook,
// protocol family, whether `in`, `out` and the skb are set) and returns NF_ACCEPT at local-out or for IPv6,
// else NF_DROP; verdicts, records and the runner's refusals (packet sizes, the ctx_in's pointers and family,
// EtherTypes against the family) must be the kernel's. Debian's libbpf knows no SEC("netfilter") (and an
// object's program cannot be given its expected attach type), so the program is raw instructions here.
import { expect, test } from 'vitest';
import {
  AttachType, BpfError, bytes, createMap, Emulator, features, loadProgram, ProgramType, u32, type Engine, type RunOptions,
} from '../../src/index.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { AluOp, asm, encodeInsns, JmpOp, PseudoLd, type Insn } from '../../src/uapi/isa.js';
import { EXECUTIONS, type Execution } from '../../src/emulator/programs/compiler.js';
import { describeUnless } from '../helpers/skip.js';
import { kernelSkipReason } from '../helpers/kernel.js';

type Side = 'kernel' | Execution;

const engineFor = (side: Side): Engine =>
  side === 'kernel' ? getKernelEngine() : new Emulator({ execution: side, kernelVersion: features.emulatorKernelVersion() });

const RECORD = 24; // hook, pf, has_in, has_out, has_skb, runs: u32 each

/** struct bpf_nf_ctx { state; skb }, struct nf_hook_state { u8 hook; u8 pf; in @8; out @16 } (vmlinux BTF). */
function program(): Insn[] {
  const flag = (dst: number, reg: number, at: number): Insn[] => [
    asm.mov64Imm(dst, 1), asm.jmpImm(JmpOp.Jne, reg, 0, 1), asm.mov64Imm(dst, 0), asm.stx(4, 8, dst, at),
  ];
  return [
    asm.ldx(8, 6, 1, 0), // r6 = ctx->state
    asm.ldx(8, 7, 1, 8), // r7 = ctx->skb
    ...asm.ldImm64(8, 0n, PseudoLd.MapIdxValue), // r8 = &record
    asm.ldx(1, 2, 6, 0), asm.stx(4, 8, 2, 0), // hook
    asm.ldx(1, 2, 6, 1), asm.stx(4, 8, 2, 4), // pf
    asm.ldx(8, 3, 6, 8), ...flag(2, 3, 8), // in != NULL
    asm.ldx(8, 3, 6, 16), ...flag(2, 3, 12), // out != NULL
    ...flag(2, 7, 16), // skb != NULL
    asm.ldx(4, 2, 8, 20), asm.alu64Imm(AluOp.Add, 2, 1), asm.stx(4, 8, 2, 20), // runs++
    asm.mov64Imm(0, 1),
    asm.ldx(1, 2, 6, 0), asm.jmpImm(JmpOp.Jeq, 2, 3, 3), // NF_INET_LOCAL_OUT: accept
    asm.ldx(1, 2, 6, 1), asm.jmpImm(JmpOp.Jeq, 2, 10, 1), // NFPROTO_IPV6: accept
    asm.mov64Imm(0, 0),
    asm.exit(),
  ];
}

function ipv4(eth: boolean): Uint8Array {
  const ip = [0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, ...Array<number>(20).fill(0)];
  return new Uint8Array(eth ? [...Array<number>(12).fill(0), 0x08, 0x00, ...ip] : ip);
}

function ipv6(eth: boolean): Uint8Array {
  const ip = [0x60, 0, 0, 0, 0, 0, 6, 64, ...Array<number>(32).fill(0), ...Array<number>(20).fill(0)];
  return new Uint8Array(eth ? [...Array<number>(12).fill(0), 0x86, 0xdd, ...ip] : ip);
}

/** struct nf_hook_state as a ctx_in: hook, pf, and bytes to set elsewhere (offset → value). */
function hookState(hook: number, pf: number, raw: Record<number, number> = {}): Uint8Array {
  const ctx = new Uint8Array(48);
  ctx[0] = hook;
  ctx[1] = pf;
  for (const [off, b] of Object.entries(raw)) ctx[Number(off)] = b;
  return ctx;
}

const IPV4 = 2;
const IPV6 = 10;
const runs: [string, RunOptions][] = [
  ['no ctx_in: local-out, IPv4, from the IP header', { data: ipv4(false) }],
  ['local-out', { data: ipv4(false), ctx: hookState(3, IPV4) }],
  ['pre-routing IPv4', { data: ipv4(true), ctx: hookState(0, IPV4) }],
  ['forward IPv4, repeated', { data: ipv4(true), ctx: hookState(2, IPV4), repeat: 3 }],
  ['pre-routing IPv6', { data: ipv6(true), ctx: hookState(0, IPV6) }],
  ['an unknown hook', { data: ipv4(true), ctx: hookState(9, IPV4) }],
  ['padding set in the ctx_in', { data: ipv4(true), ctx: hookState(1, IPV4, { 2: 1, 7: 1 }) }],
  ['a short ctx_in', { data: ipv4(true), ctx: hookState(4, IPV4).subarray(0, 2) }],
  ['a ctx_in longer, zero past the struct', { data: ipv4(true), ctx: new Uint8Array([...hookState(1, IPV4), 0, 0, 0, 0]) }],
  ['a ctx_in longer, not zero past it', { data: ipv4(true), ctx: new Uint8Array([...hookState(1, IPV4), 0, 1]) }],
  ['19 bytes', { data: ipv4(false).subarray(0, 19) }],
  ['a packet over the page', { data: new Uint8Array(3800) }],
  ['pre-routing, 33 bytes', { data: ipv4(true).subarray(0, 33), ctx: hookState(0, IPV4) }],
  ['pre-routing IPv6 frame, IPv4 family', { data: ipv6(true), ctx: hookState(0, IPV4) }],
  ['pre-routing IPv4 frame, IPv6 family', { data: ipv4(true), ctx: hookState(0, IPV6) }],
  ['pre-routing IPv6, short', { data: ipv6(true).subarray(0, 50), ctx: hookState(0, IPV6) }],
  ['pre-routing ARP', { data: new Uint8Array([...Array<number>(12).fill(0), 0x08, 0x06, ...Array<number>(40).fill(0)]), ctx: hookState(0, IPV4) }],
  ['family 7', { data: ipv4(false), ctx: hookState(3, 7) }],
  ['in given', { data: ipv4(false), ctx: hookState(3, IPV4, { 8: 1 }) }],
  ['okfn given', { data: ipv4(false), ctx: hookState(3, IPV4, { 47: 1 }) }],
  ['a cpu', { data: ipv4(false), cpu: 1 }],
  ['flags', { data: ipv4(false), flags: 1 }],
];

function results(side: Side): string[] {
  const engine = engineFor(side);
  using record = createMap({ type: 'array', key: u32, value: bytes(RECORD), maxEntries: 1, engine });
  using prog = loadProgram({
    type: ProgramType.Netfilter, expectedAttachType: AttachType.Netfilter, insns: encodeInsns(program()), maps: [record], engine,
  });
  return runs.map(([name, options]) => {
    try {
      const r = prog.run(options);
      const seen = new Uint32Array(record.get(0)!.slice().buffer);
      return `${name}: ${r.retval} data ${r.data?.length} ctx ${r.ctx?.length} saw ${seen.join(' ')}`;
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      return `${name}: ${e.code}`;
    }
  });
}

const skip = kernelSkipReason() ?? (features.kernelAtLeast('6.4') ? undefined : 'netfilter programs need Linux 6.4+');
describeUnless(skip, 'netfilter test runs: the emulator answers as the kernel does', () => {
  test('verdicts, the hook state the program reads, and the runner\'s refusals', () => {
    const kernel = results('kernel');
    // Not vacuous: the default hook state reached the program, the devices as the runner sets them.
    expect(kernel[0]).toBe('no ctx_in: local-out, IPv4, from the IP header: 1 data 0 ctx undefined saw 3 2 0 0 1 1');
    expect(kernel).toContain('pre-routing ARP: EPROTO');
    for (const execution of EXECUTIONS) expect(results(execution), execution).toEqual(kernel);
  });
});
