// bpf_skb_adjust_room on both engines: room made and taken at the mac and network layers, at and past its
// limits (0xfff bytes, the base header, BPF_SKB_MAX_LEN), the encap flags (the skb encapsulated: a second
// encap is EALREADY, bpf_skb_change_tail ENOTSUPP; GRE/UDP set the transport header, which bounds a later
// shrink), decap flags, bad modes and flags, non-IP packets. Each run's retval (the helper's result with
// skb->len and the second call's result folded in), data_out and errno must be the kernel's.
import { expect, test } from 'vitest';
import { BpfError, Emulator, features, loadProgram, ProgramType, type Engine } from '../../src/index.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { EXECUTIONS, type Execution } from '../../src/emulator/programs/compiler.js';
import { AluOp, asm, encodeInsns, type Insn } from '../../src/uapi/isa.js';
import { AdjRoomFlags, AdjRoomMode } from '../../src/uapi/bpf.js';
import { describeKernel } from '../helpers/kernel.js';

type Side = 'kernel' | Execution;
const engineFor = (side: Side): Engine =>
  side === 'kernel' ? getKernelEngine() : new Emulator({ execution: side, kernelVersion: features.emulatorKernelVersion() });

const ADJUST_ROOM = 50;
const CHANGE_TAIL = 38;
const { Net: NET, Mac: MAC } = AdjRoomMode;
const A = AdjRoomFlags;
const F = {
  fixed: A.FixedGso, e4: A.EncapL3Ipv4, e6: A.EncapL3Ipv6, gre: A.EncapL4Gre, udp: A.EncapL4Udp, noCsum: A.NoCsumReset, eth: A.EncapL2Eth,
  d4: A.DecapL3Ipv4, d6: A.DecapL3Ipv6, l2: (n: number) => BigInt(n) << 56n, // BPF_F_ADJ_ROOM_ENCAP_L2(n)
};

/** r7 ^= helper(skb, ...) << shift, r6 = skb. */
const call = (helper: number, args: (number | bigint)[], shift: number): Insn[] => [
  asm.mov64Reg(1, 6), ...args.flatMap((a, i) => (typeof a === 'bigint' ? asm.ldImm64(i + 2, a) : [asm.mov64Imm(i + 2, a)])),
  asm.call(helper), asm.alu64Imm(AluOp.Lsh, 0, shift), asm.alu64Reg(AluOp.Xor, 7, 0),
];
/** adjust_room(diff, mode, flags), then what `then` adds; r0 = the results ^ skb->len << 16. */
const program = (diff: number, mode: number, flags: bigint, then: Insn[] = []): Uint8Array => encodeInsns([
  asm.mov64Reg(6, 1), asm.mov64Imm(7, 0), ...call(ADJUST_ROOM, [diff, mode, flags], 0), ...then,
  asm.ldx(4, 1, 6, 0), asm.alu64Imm(AluOp.Lsh, 1, 16), asm.alu64Reg(AluOp.Xor, 7, 1), asm.mov64Reg(0, 7), asm.exit(),
]);

function frame(length: number, etherType: number): Uint8Array {
  const d = Uint8Array.from({ length }, (_, i) => (i * 7 + 1) & 0xff);
  d[12] = etherType >> 8;
  d[13] = etherType & 0xff;
  d[14] = etherType === 0x86dd ? 0x60 : 0x45;
  return d;
}
const ip4 = frame(100, 0x0800);
const ip6 = frame(120, 0x86dd);

const cases: [string, Uint8Array, Uint8Array][] = [
  ['net grow', program(8, NET, 0n), ip4], ['mac grow', program(8, MAC, 0n), ip4], ['net shrink', program(-8, NET, 0n), ip4],
  ['mac shrink', program(-8, MAC, 0n), ip4], ['nothing', program(0, NET, 0n), ip4], ['0xfff', program(4095, MAC, 0n), ip4],
  ['0x1000', program(4096, MAC, 0n), ip4], ['-0x1000', program(-4096, MAC, 0n), ip4], ['a bad mode', program(8, 2, 0n), ip4],
  ['an unknown flag', program(8, NET, 1n << 9n), ip4], ['mac shrink to the base header', program(-66, MAC, 0n), ip4],
  ['mac shrink below it', program(-67, MAC, 0n), ip4], ['net shrink to the end', program(-66, NET, 0n), ip4],
  ['past BPF_SKB_MAX_LEN', program(4095, MAC, 0n, call(ADJUST_ROOM, [4095, MAC, 0n], 8).concat(call(ADJUST_ROOM, [4095, MAC, 0n], 8), call(ADJUST_ROOM, [4095, MAC, 0n], 8))), ip4],
  ['encap ipip', program(20, MAC, F.e4), ip4], ['encap ip6', program(40, MAC, F.e6), ip4], ['encap both L3', program(20, MAC, F.e4 | F.e6), ip4],
  ['encap udp', program(28, MAC, F.e4 | F.udp), ip4], ['encap gre', program(24, MAC, F.e4 | F.gre), ip4],
  ['encap gre and udp', program(28, MAC, F.e4 | F.gre | F.udp), ip4], ['encap eth', program(34, MAC, F.e4 | F.eth | F.l2(14)), ip4],
  ['encap eth too short', program(34, MAC, F.e4 | F.eth | F.l2(10)), ip4], ['encap inner mac past len_diff', program(10, MAC, F.e4 | F.l2(14)), ip4],
  ['encap twice', program(20, MAC, F.e4, call(ADJUST_ROOM, [20, MAC, F.e4], 8)), ip4],
  ['encap, then change_tail', program(28, MAC, F.e4 | F.udp, call(CHANGE_TAIL, [60, 0], 8)), ip4],
  ['encap udp, then shrink past the transport header', program(28, MAC, F.e4 | F.udp, call(ADJUST_ROOM, [-60, NET, 0n], 8)), ip4],
  ['decap to ipv4', program(-20, MAC, F.d4), ip4], ['decap to ipv6', program(-40, MAC, F.d6), ip4], ['decap growing', program(20, MAC, F.d4), ip4],
  ['decap both', program(-20, MAC, F.d4 | F.d6), ip4], ['decap and encap', program(-20, MAC, F.d4 | F.e4), ip4],
  ['fixed gso, no csum reset', program(8, NET, F.fixed | F.noCsum), ip4],
  ['ipv6 net grow', program(8, NET, 0n), ip6], ['ipv6 net shrink', program(-60, NET, 0n), ip6], ['ipv6 decap to ipv4', program(-40, MAC, F.d4), ip6],
  ['arp', program(8, NET, 0n), frame(60, 0x0806)],
];

function runAll(side: Side): string[] {
  const engine = engineFor(side);
  return cases.map(([name, insns, data]) => {
    using p = loadProgram({ type: ProgramType.SchedCls, insns, engine });
    try {
      const r = p.run({ data, dataOutSize: 20000 });
      return `${name}: ${r.retval} ${Buffer.from(r.data!).toString('hex')}`;
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      return `${name}: ${e.code}`;
    }
  });
}

test('the emulator makes room at the network layer', () => {
  const [first] = runAll('interpreter');
  expect(first).toMatch(/^net grow: 7077888 /); // rc 0, skb->len 108 << 16
});

describeKernel('bpf_skb_adjust_room: the emulator answers as the kernel does', () => {
  test('every case', () => {
    const kernel = runAll('kernel');
    for (const execution of EXECUTIONS) expect(runAll(execution), execution).toEqual(kernel);
    // Not vacuous: successes and refusals both (rc 0 with len 100 is 6553600; -EINVAL with it -6553622).
    expect(kernel.filter((line) => / -6553622 /.test(line)).length).toBeGreaterThanOrEqual(4);
    expect(kernel.filter((line) => /: (6553600|7077888|6029312) /.test(line)).length).toBeGreaterThanOrEqual(3);
  });
});
