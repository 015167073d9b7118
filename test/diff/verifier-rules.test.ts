// The emulator's verifier model against the kernel's verifier (issue 20): one small program per rule
// family — uninitialised registers, the frame pointer, stack bounds and alignment, map values (NULL
// checks, bounds, read-only maps, variable offsets), packets (ranges from data_end), the context,
// pointer arithmetic, helper arguments, return codes, loops — loaded on both engines; the verdict, the
// errno and the reason must be the kernel's. Programs that must load are in the table too.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { asm, encodeInsns, PseudoLd, type Insn } from '../../src/uapi/isa.js';
import { MapFlags } from '../../src/uapi/bpf.js';
import { KernelProgramType } from '../../src/uapi/program-type.js';
import type { Engine } from '../../src/seam/engine.js';
import { BpfError, BpfVerifierError, createMap, Emulator, features, loadProgram, ProgramType, type BpfMap } from '../../src/index.js';
import { bytes, u32 } from '../../src/codec/codec.js';
import { lastMeaningfulLine } from '../../src/errors/verifier-log.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { kernelSkipReason } from '../helpers/kernel.js';

const skip = kernelSkipReason();
if (skip) console.log(`skipped: verifier rules against the kernel: ${skip}`);

const exit0 = [asm.mov64Imm(0, 0), asm.exit()];
/** r0 = bpf_map_lookup_elem(map 0, &(u32)0 at fp-4). */
const lookup = (map = 0): Insn[] => [
  asm.st(4, 10, -4, 0), ...asm.ldImm64(1, BigInt(map), PseudoLd.MapIdx), asm.mov64Reg(2, 10), asm.alu64Imm(0x00, 2, -4), asm.call(1),
];
const ifNull = (skipCount: number): Insn => asm.jmpImm(0x15, 0, 0, skipCount); // if r0 == 0 goto +n
/** tc: r2 = skb->data, r3 = skb->data_end. */
const tcPacket = [asm.ldx(4, 2, 1, 76), asm.ldx(4, 3, 1, 80)];
/** xdp, r6 = ctx: r7 = data, r8 = data_end, 14 bytes checked, else `skipCount` instructions on. */
const xdpChecked = (skipCount: number): Insn[] => [
  asm.ldx(4, 7, 6, 0), asm.ldx(4, 8, 6, 4), asm.mov64Reg(4, 7), asm.alu64Imm(0x00, 4, 14), asm.jmpReg(0x2d, 4, 8, skipCount),
];
/** tc: r0 = bpf_sk_lookup_tcp(skb, &zeroed ipv4 tuple at fp-16, 12, 0, 0), a socket reference or NULL. */
const skLookup = [
  asm.st(8, 10, -16, 0), asm.st(8, 10, -8, 0), asm.mov64Reg(2, 10), asm.alu64Imm(0x00, 2, -16), asm.mov64Imm(3, 12),
  asm.mov64Imm(4, 0), asm.mov64Imm(5, 0), asm.call(84),
];
/** bpf_sk_release(r1). */
const skRelease = asm.call(86);

interface Case {
  name: string;
  type?: number;
  /** Maps by index: 0 an ARRAY of 16-byte values, 1 the same read-only to programs, 2 a HASH of them. */
  insns: Insn[];
}

const cases: Case[] = [
  { name: 'an uninitialised register', insns: [asm.mov64Reg(0, 5), asm.exit()] },
  { name: 'r0 never set', insns: [asm.exit()] },
  { name: 'a write to r10', insns: [asm.mov64Imm(10, 0), ...exit0] },
  { name: 'a stack read above the frame', insns: [asm.ldx(8, 0, 10, 8), asm.exit()] },
  { name: 'a stack write below 512 bytes', insns: [asm.st(8, 10, -520, 0), ...exit0] },
  { name: 'a misaligned stack store', insns: [asm.st(8, 10, -4, 0), ...exit0] },
  { name: 'a spilled pointer filled with the wrong size', insns: [asm.stx(8, 10, 1, -8), asm.ldx(4, 0, 10, -8), asm.exit()] },
  { name: 'a spilled pointer filled back: loads through it', insns: [asm.mov64Reg(6, 10), asm.stx(8, 10, 6, -16), asm.ldx(8, 7, 10, -16), asm.st(8, 7, -8, 1), asm.ldx(8, 0, 7, -8), asm.exit()] },
  { name: 'a hash lookup used without a NULL check', insns: [...lookup(2), asm.ldx(8, 0, 0, 0), asm.exit()] },
  { name: 'an array lookup with a constant key in range, used without a NULL check', insns: [...lookup(), asm.ldx(8, 0, 0, 0), asm.exit()] },
  {
    name: 'an array lookup with a key out of range, used without a NULL check',
    insns: [asm.st(4, 10, -4, 1), ...asm.ldImm64(1, 0n, PseudoLd.MapIdx), asm.mov64Reg(2, 10), asm.alu64Imm(0x00, 2, -4), asm.call(1), asm.ldx(8, 0, 0, 0), asm.exit()],
  },
  { name: 'a lookup NULL-checked, then read', insns: [...lookup(), ifNull(1), asm.ldx(8, 0, 0, 8), asm.exit()] },
  { name: 'a map value read past its end', insns: [...lookup(), ifNull(1), asm.ldx(8, 0, 0, 16), asm.exit()] },
  { name: 'a map value read before its start', insns: [...lookup(), ifNull(1), asm.ldx(4, 0, 0, -4), asm.exit()] },
  { name: 'a store into a read-only map', insns: [...lookup(1), ifNull(1), asm.st(8, 0, 0, 1), ...exit0] },
  { name: 'pointer arithmetic on a maybe-NULL value', insns: [...lookup(2), asm.alu64Imm(0x00, 0, 8), ...exit0] },
  { name: 'a map value pointer plus 2^32', insns: [...lookup(), ifNull(3), ...asm.ldImm64(1, 1n << 32n), asm.alu64Reg(0x00, 0, 1), ...exit0] },
  {
    name: 'a map value plus an unbounded index',
    insns: [...lookup(), ifNull(3), asm.ldx(8, 1, 0, 0), asm.alu64Reg(0x00, 0, 1), asm.ldx(1, 0, 0, 0), asm.exit()],
  },
  {
    name: 'a map value plus an index checked < 16: loads',
    insns: [...lookup(), ifNull(5), asm.ldx(8, 1, 0, 0), asm.jmpImm(0x35, 1, 16, 3), asm.alu64Reg(0x00, 0, 1), asm.ldx(1, 0, 0, 0), asm.exit(), ...exit0],
  },
  {
    name: 'a map value plus an index checked <= 16: one byte past the end',
    insns: [...lookup(), ifNull(5), asm.ldx(8, 1, 0, 0), asm.jmpImm(0x25, 1, 16, 3), asm.alu64Reg(0x00, 0, 1), asm.ldx(1, 0, 0, 0), asm.exit(), ...exit0],
  },
  {
    name: 'a map value plus an index of unknown sign',
    insns: [...lookup(), ifNull(5), asm.ldx(8, 1, 0, 0), asm.jmpImm(0x65, 1, 8, 3), asm.alu64Reg(0x00, 0, 1), asm.ldx(1, 0, 0, 0), asm.exit(), ...exit0],
  },
  // Linked copies (kernel-version.ts linkedConstOps, linkedRegsLiveOnly): a bound learned through one copy
  // reaches the others as each version links them.
  {
    name: 'a copy moved by a subtraction, bounded through the original',
    insns: [...lookup(), ifNull(7), asm.ldx(8, 1, 0, 0), asm.mov64Reg(2, 1), asm.alu64Imm(0x10, 2, -4), asm.jmpImm(0x35, 1, 8, 3),
      asm.alu64Reg(0x00, 0, 2), asm.ldx(1, 0, 0, 0), asm.exit(), ...exit0],
  },
  {
    name: 'a copy moved by a 32-bit addition, bounded through the original',
    insns: [...lookup(), ifNull(7), asm.ldx(4, 1, 0, 0), asm.mov64Reg(2, 1), asm.alu32Imm(0x00, 2, 4), asm.jmpImm(0x35, 1, 8, 3),
      asm.alu64Reg(0x00, 0, 2), asm.ldx(1, 0, 0, 0), asm.exit(), ...exit0],
  },
  {
    name: 'seven copies of a checked index: the seventh is past LINKED_REGS_MAX',
    insns: [...lookup(), ifNull(17), asm.ldx(8, 1, 0, 0), ...[2, 3, 4, 5, 6, 7].map((r) => asm.mov64Reg(r, 1)), asm.jmpImm(0x35, 1, 8, 9),
      asm.alu64Reg(0x00, 0, 7), asm.ldx(1, 0, 0, 0), ...[2, 3, 4, 5, 6].map((r) => asm.alu64Reg(0x00, 0, r)), asm.alu64Reg(0x00, 0, 1), asm.exit(), ...exit0],
  },
  { name: 'a map pointer read at a negative offset', insns: [...asm.ldImm64(1, 0n, PseudoLd.MapIdx), asm.ldx(4, 0, 1, -8), asm.exit()] },
  // struct bpf_map's head: 6.18 reads bytes of its sha here, older kernels refuse a narrow read of ops.
  { name: 'a map pointer read 4 bytes at its start', insns: [...asm.ldImm64(1, 0n, PseudoLd.MapIdx), asm.ldx(4, 0, 1, 0), ...exit0] },
  { name: 'a map pointer read across a member\'s end', insns: [...asm.ldImm64(1, 0n, PseudoLd.MapIdx), asm.ldx(8, 0, 1, 28), ...exit0] },
  { name: 'a store through a map pointer', insns: [...asm.ldImm64(1, 0n, PseudoLd.MapIdx), asm.st(4, 1, 0, 0), ...exit0] },
  { name: 'a scalar dereferenced', insns: [asm.mov64Imm(1, 64), asm.ldx(8, 0, 1, 0), asm.exit()] },
  { name: 'a helper given a scalar for its map', insns: [asm.mov64Imm(1, 0), asm.mov64Reg(2, 10), asm.alu64Imm(0x00, 2, -8), asm.call(1), ...exit0] },
  { name: 'a lookup key out of the stack', insns: [...asm.ldImm64(1, 0n, PseudoLd.MapIdx), asm.mov64Reg(2, 10), asm.alu64Imm(0x00, 2, -2), asm.call(1), ...exit0] },
  {
    name: 'a helper size that is not bounded',
    type: ProgramType.SchedCls,
    insns: [asm.ldx(4, 4, 1, 0), asm.mov64Imm(2, 0), asm.mov64Reg(3, 10), asm.alu64Imm(0x00, 3, -8), asm.call(26), ...exit0],
  },
  {
    name: 'a helper size bounded above but possibly zero',
    type: ProgramType.SchedCls,
    insns: [asm.ldx(4, 4, 1, 0), asm.jmpImm(0x25, 4, 8, 4), asm.mov64Imm(2, 0), asm.mov64Reg(3, 10), asm.alu64Imm(0x00, 3, -8), asm.call(26), ...exit0],
  },
  {
    name: 'a helper size in [1, 8]: loads',
    type: ProgramType.SchedCls,
    insns: [asm.ldx(4, 4, 1, 0), asm.alu64Imm(0x50, 4, 7), asm.alu64Imm(0x00, 4, 1), asm.mov64Imm(2, 0), asm.mov64Reg(3, 10), asm.alu64Imm(0x00, 3, -8), asm.call(26), ...exit0],
  },
  {
    name: 'a helper size of 9 into 8 bytes of stack',
    type: ProgramType.SchedCls,
    insns: [asm.mov64Imm(4, 9), asm.mov64Imm(2, 0), asm.mov64Reg(3, 10), asm.alu64Imm(0x00, 3, -8), asm.call(26), ...exit0],
  },
  {
    // maybe_fork_scalars: r1 is -1 or 0, so r1 & 8 is 8 (this path: loads) or 0 (the pushed one: 8 bytes before the value).
    name: 'a [-1, 0] register ANDed with a constant: both values are walked',
    insns: [
      asm.mov64Reg(6, 1), ...lookup(), ifNull(7), asm.ldx(8, 1, 6, 0), asm.alu64Imm(0xc0, 1, 63), asm.alu64Imm(0x50, 1, 8),
      asm.alu64Imm(0x00, 0, -8), asm.alu64Reg(0x00, 0, 1), asm.ldx(8, 0, 0, 0), asm.exit(), ...exit0,
    ],
  },
  {
    // do_refine_retval_range: the result is at most the size argument (16), or an errno.
    name: 'a string helper\'s result used as an index: bounded by its size argument',
    insns: [
      ...lookup(), ifNull(11), asm.mov64Reg(6, 0), asm.mov64Reg(1, 10), asm.alu64Imm(0x00, 1, -32), asm.mov64Imm(2, 16), asm.mov64Imm(3, 0),
      asm.call(115), asm.jmpImm(0xc5, 0, 0, 3), asm.alu64Reg(0x00, 6, 0), asm.ldx(1, 0, 6, 0), asm.exit(), ...exit0,
    ],
  },
  { name: 'a packet read with no bounds check', type: ProgramType.SchedCls, insns: [...tcPacket, asm.ldx(1, 0, 2, 0), asm.exit()] },
  {
    name: 'a packet read inside the checked range: loads',
    type: ProgramType.SchedCls,
    insns: [...tcPacket, asm.mov64Reg(4, 2), asm.alu64Imm(0x00, 4, 8), asm.jmpReg(0x2d, 4, 3, 2), asm.ldx(4, 0, 2, 4), asm.exit(), ...exit0],
  },
  {
    name: 'a packet read one byte past the checked range',
    type: ProgramType.SchedCls,
    insns: [...tcPacket, asm.mov64Reg(4, 2), asm.alu64Imm(0x00, 4, 8), asm.jmpReg(0x2d, 4, 3, 2), asm.ldx(4, 0, 2, 5), asm.exit(), ...exit0],
  },
  {
    name: 'a packet read on the wrong side of the check',
    type: ProgramType.Xdp,
    insns: [asm.ldx(4, 2, 1, 0), asm.ldx(4, 3, 1, 4), asm.mov64Reg(4, 2), asm.alu64Imm(0x00, 4, 14), asm.jmpReg(0x2d, 4, 3, 1), ...exit0, asm.ldx(1, 0, 2, 0), asm.exit()],
  },
  {
    name: 'packet memory given to a helper that is not declared for packets',
    type: ProgramType.SchedCls,
    insns: [...tcPacket, asm.mov64Reg(4, 2), asm.alu64Imm(0x00, 4, 8), asm.jmpReg(0x2d, 4, 3, 3), asm.mov64Reg(1, 2), asm.mov64Imm(2, 4), asm.call(6), ...exit0],
  },
  {
    name: 'a packet pointer used after bpf_xdp_adjust_head',
    type: ProgramType.Xdp,
    insns: [asm.mov64Reg(6, 1), ...xdpChecked(5), asm.mov64Reg(1, 6), asm.mov64Imm(2, 4), asm.call(44), asm.ldx(1, 0, 7, 0), asm.exit(), ...exit0],
  },
  {
    name: 'a packet pointer loaded again after bpf_xdp_adjust_tail and checked: loads',
    type: ProgramType.Xdp,
    insns: [asm.mov64Reg(6, 1), asm.mov64Imm(2, -4), asm.call(65), ...xdpChecked(2), asm.ldx(1, 0, 7, 13), asm.exit(), ...exit0],
  },
  {
    name: 'a packet pointer spilled before bpf_xdp_adjust_head and filled after',
    type: ProgramType.Xdp,
    insns: [
      asm.mov64Reg(6, 1), ...xdpChecked(7), asm.stx(8, 10, 7, -8), asm.mov64Reg(1, 6), asm.mov64Imm(2, -4), asm.call(44),
      asm.ldx(8, 7, 10, -8), asm.ldx(1, 0, 7, 0), asm.exit(), ...exit0,
    ],
  },
  {
    name: 'a packet pointer used after bpf_skb_pull_data',
    type: ProgramType.SchedCls,
    insns: [
      asm.mov64Reg(6, 1), asm.ldx(4, 7, 6, 76), asm.ldx(4, 8, 6, 80), asm.mov64Reg(4, 7), asm.alu64Imm(0x00, 4, 14), asm.jmpReg(0x2d, 4, 8, 5),
      asm.mov64Reg(1, 6), asm.mov64Imm(2, 0), asm.call(39), asm.ldx(1, 0, 7, 0), asm.exit(), ...exit0,
    ],
  },
  { name: 'pointer arithmetic on pkt_end', type: ProgramType.SchedCls, insns: [...tcPacket, asm.alu64Imm(0x00, 3, 4), ...exit0] },
  { name: 'a packet write from a socket filter', type: ProgramType.SocketFilter, insns: [asm.ldx(4, 2, 1, 76), asm.st(1, 2, 0, 0), ...exit0] },
  { name: 'a store to skb->len', type: ProgramType.SchedCls, insns: [asm.st(4, 1, 0, 0), ...exit0] },
  { name: 'a context read past its end', type: ProgramType.SchedCls, insns: [asm.ldx(4, 0, 1, 1024), asm.exit()] },
  { name: 'a moved context pointer', type: ProgramType.SchedCls, insns: [asm.alu64Imm(0x00, 1, 4), asm.ldx(4, 0, 1, 0), asm.exit()] },
  { name: 'a context read through a kprobe', type: ProgramType.Kprobe, insns: [asm.ldx(8, 0, 1, 8), ...exit0] },
  { name: 'a cgroup_skb return of 5', type: ProgramType.CgroupSkb, insns: [asm.mov64Imm(0, 5), asm.exit()] },
  { name: 'a cgroup_skb return of a packet field', type: ProgramType.CgroupSkb, insns: [asm.ldx(4, 0, 1, 0), asm.exit()] },
  { name: 'a jump to itself', insns: [asm.mov64Imm(0, 0), asm.ja(-1), asm.exit()] },
  {
    name: 'a loop of ten rounds: loads',
    insns: [asm.mov64Imm(0, 0), asm.mov64Imm(1, 0), asm.alu64Imm(0x00, 1, 1), asm.alu64Reg(0x00, 0, 1), asm.jmpImm(0xa5, 1, 10, -3), asm.exit()],
  },
  {
    name: 'a loop whose counter never moves',
    insns: [asm.mov64Imm(0, 0), asm.mov64Imm(1, 0), asm.alu64Imm(0x00, 0, 1), asm.jmpImm(0xa5, 1, 10, -2), asm.exit()],
  },
  { name: 'register 15', insns: [asm.mov64Reg(0, 15), asm.exit()] },
  {
    name: 'a subprogram call whose result is used',
    insns: [asm.mov64Imm(1, 3), asm.callLocal(1), asm.exit(), asm.mov64Reg(0, 1), asm.alu64Imm(0x00, 0, 1), asm.exit()],
  },
  { name: 'a subprogram returning a stack pointer', insns: [asm.callLocal(2), asm.ldx(8, 0, 0, 0), asm.exit(), asm.mov64Reg(0, 10), asm.exit()] },
  {
    // The walk sees the recursion end after 4 calls; the static call graph (check_max_stack_depth) nests it past 8 frames.
    name: 'a recursion bounded by its argument',
    insns: [asm.mov64Imm(1, 0), asm.callLocal(1), asm.exit(), asm.alu64Imm(0x00, 1, 1), asm.mov64Reg(0, 1), asm.jmpImm(0xa5, 1, 4, 1), asm.exit(), asm.callLocal(-5), asm.exit()],
  },
  { name: 'a socket looked up and never released', type: ProgramType.SchedCls, insns: [...skLookup, ...exit0] },
  {
    name: 'a socket looked up, NULL-checked and released: loads',
    type: ProgramType.SchedCls,
    insns: [...skLookup, ifNull(2), asm.mov64Reg(1, 0), skRelease, ...exit0],
  },
  { name: 'a socket released before its NULL check', type: ProgramType.SchedCls, insns: [...skLookup, asm.mov64Reg(1, 0), skRelease, ...exit0] },
  {
    name: 'a socket read after its release',
    type: ProgramType.SchedCls,
    insns: [...skLookup, ifNull(4), asm.mov64Reg(6, 0), asm.mov64Reg(1, 0), skRelease, asm.ldx(4, 0, 6, 4), ...exit0],
  },
  {
    name: 'a socket released twice',
    type: ProgramType.SchedCls,
    insns: [...skLookup, ifNull(4), asm.mov64Reg(6, 0), asm.mov64Reg(1, 0), skRelease, asm.mov64Reg(1, 6), skRelease, ...exit0],
  },
  {
    name: 'a socket field read past struct bpf_sock',
    type: ProgramType.SchedCls,
    insns: [...skLookup, ifNull(3), asm.ldx(4, 2, 0, 80), asm.mov64Reg(1, 0), skRelease, ...exit0],
  },
  {
    name: 'a socket\'s protocol read, then released: loads',
    type: ProgramType.SchedCls,
    insns: [...skLookup, ifNull(3), asm.ldx(4, 2, 0, 12), asm.mov64Reg(1, 0), skRelease, ...exit0],
  },
  { name: 'a store into a socket', type: ProgramType.SchedCls, insns: [...skLookup, ifNull(3), asm.st(4, 0, 0, 1), asm.mov64Reg(1, 0), skRelease, ...exit0] },
  { name: 'a socket pointer moved', type: ProgramType.SchedCls, insns: [...skLookup, ifNull(3), asm.alu64Imm(0x00, 0, 4), asm.mov64Reg(1, 0), skRelease, ...exit0] },
  {
    name: 'the skb\'s own socket given to bpf_sk_release',
    type: ProgramType.SchedCls,
    insns: [asm.ldx(8, 1, 1, 168), asm.jmpImm(0x15, 1, 0, 1), skRelease, ...exit0],
  },
  {
    name: 'a legacy packet load while holding a socket',
    type: ProgramType.SchedCls,
    insns: [asm.mov64Reg(6, 1), ...skLookup, { code: 0x20, dst: 0, src: 0, off: 0, imm: 0 }, ...exit0],
  },
  {
    name: 'a context pointer moved back, given to a helper',
    type: ProgramType.SchedCls,
    insns: [asm.alu64Imm(0x00, 1, -8), asm.call(34), ...exit0],
  },
  {
    name: 'bpf_get_local_storage given an array map',
    type: ProgramType.CgroupSkb,
    insns: [...asm.ldImm64(1, 0n, PseudoLd.MapIdx), asm.mov64Imm(2, 0), asm.call(81), ...exit0],
  },
  {
    name: 'bpf_get_local_storage given flags',
    type: ProgramType.CgroupSkb,
    insns: [...asm.ldImm64(1, 0n, PseudoLd.MapIdx), asm.mov64Imm(2, 1), asm.call(81), ...exit0],
  },
  {
    name: 'one load through the context on one path and the stack on the other',
    type: ProgramType.SchedCls,
    insns: [asm.st(8, 10, -8, 0), asm.ldx(4, 2, 1, 0), asm.jmpImm(0x15, 2, 0, 2), asm.mov64Reg(1, 10), asm.alu64Imm(0x00, 1, -16), asm.ldx(4, 0, 1, 8), asm.exit()],
  },
  {
    name: 'one load through two map values on two paths: loads',
    insns: [
      ...lookup(), ifNull(11), asm.mov64Reg(6, 0), ...lookup(2), asm.jmpImm(0x15, 0, 0, 1), asm.mov64Reg(6, 0), asm.ldx(4, 0, 6, 0), asm.exit(), ...exit0,
    ],
  },
  {
    name: 'a NULL buffer for a helper with a size that may not be zero',
    type: ProgramType.SchedCls,
    insns: [asm.ldx(4, 2, 1, 0), asm.alu64Imm(0x50, 2, 64), asm.mov64Imm(1, 0), asm.mov64Imm(3, 0), asm.mov64Imm(4, 0), asm.mov64Imm(5, 0), asm.call(28), ...exit0],
  },
  {
    name: 'a zero-sized helper write through a stack pointer that may point above the frame',
    insns: [
      ...lookup(), ifNull(7), asm.ldx(1, 1, 0, 0), asm.alu64Imm(0x50, 1, 63), asm.alu64Imm(0x00, 1, -16), asm.alu64Reg(0x00, 1, 10),
      asm.mov64Imm(2, 0), asm.mov64Imm(3, 0), asm.call(113), ...exit0,
    ],
  },
  {
    name: 'a legacy packet load in a subprogram of a program without BTF',
    type: ProgramType.SocketFilter,
    insns: [asm.callLocal(3), asm.jmpImm(0x55, 0, 0, 1), asm.mov64Reg(0, 9), asm.exit(), asm.mov64Reg(6, 1), { code: 0x20, dst: 0, src: 0, off: 0, imm: 0 }, asm.exit()],
  },
  {
    name: 'a writable tracepoint\'s buffer written at a fixed offset: loads',
    type: KernelProgramType.RawTracepointWritable,
    insns: [asm.ldx(8, 6, 1, 0), asm.st(1, 6, 4, 1), ...exit0],
  },
  {
    name: 'a writable tracepoint\'s buffer read at a variable offset',
    type: KernelProgramType.RawTracepointWritable,
    insns: [asm.ldx(8, 6, 1, 0), asm.ldx(8, 0, 1, 8), asm.alu64Imm(0x50, 0, 7), asm.alu64Reg(0x00, 6, 0), asm.ldx(1, 0, 6, 0), asm.exit()],
  },
  {
    name: 'a branch the kernel proves dead hides a bad access',
    insns: [asm.mov64Imm(1, 5), asm.jmpImm(0x25, 1, 9, 1), ...exit0.slice(0, 1), asm.exit(), asm.ldx(8, 0, 1, 0), asm.exit()],
  },
];

type Outcome = { ok: true } | { ok: false; code: string; reason: string };

function load(engine: Engine, c: Case, maps: BpfMap<number, Uint8Array>[]): Outcome {
  try {
    loadProgram({ type: c.type ?? ProgramType.Syscall, insns: encodeInsns(c.insns), name: 'rule', engine, maps }).close();
    return { ok: true };
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    // A program the emulator verified but cannot run (an unemulated helper) has the kernel's verdict.
    if (!(e instanceof BpfVerifierError) && e.code === 'ENOTSUPP' && engine instanceof Emulator) return { ok: true };
    return { ok: false, code: e.code, reason: e instanceof BpfVerifierError ? lastMeaningfulLine(e.log) : e.message };
  }
}

describe.skipIf(skip !== undefined)('the verifier model against the kernel', () => {
  const engines: Record<'kernel' | 'emulator', { engine: Engine; maps: BpfMap<number, Uint8Array>[] }> = {} as never;
  beforeAll(() => {
    for (const [name, engine] of [['kernel', getKernelEngine()], ['emulator', new Emulator({ kernelVersion: features.emulatorKernelVersion() })]] as const) {
      const map = (type: 'array' | 'hash', flags: number): BpfMap<number, Uint8Array> => createMap({ type, key: u32, value: bytes(16), maxEntries: 1, flags, engine });
      engines[name] = { engine, maps: [map('array', 0), map('array', MapFlags.RdonlyProg), map('hash', 0)] };
    }
  });
  afterAll(() => {
    for (const e of Object.values(engines)) for (const m of e.maps) m.close();
  });

  test.each(cases)('$name', (c) => {
    const kernel = load(engines.kernel.engine, c, engines.kernel.maps);
    const emulator = load(engines.emulator.engine, c, engines.emulator.maps);
    expect(emulator).toEqual(kernel);
    if (c.name.endsWith(': loads')) expect(kernel).toEqual({ ok: true });
  }, 600_000); // the 1,000,000-instruction loops take 3 minutes a side under QEMU's TCG (make matrix)

  test('the table has programs of both verdicts', () => {
    expect(cases.filter((c) => c.name.endsWith(': loads')).length).toBeGreaterThanOrEqual(4);
    expect(cases.length).toBeGreaterThan(40);
  });
});
