// __sk_buff cb[] in every size the verifier allows (net/core/filter.c bpf_skb_is_valid_access: naturally
// aligned, inside cb[0..4]): an 8-byte store at cb[0] and loads of its halves, on both engines (issue 19).
import { expect, test } from 'vitest';
import { Emulator, features, loadProgram, ProgramType, type EngineOption } from '../../src/index.js';
import { asm, encodeInsns } from '../../src/uapi/isa.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { describeKernel } from '../helpers/kernel.js';

const CB = 48;
const insns = encodeInsns([
  ...asm.ldImm64(2, 0x1122_3344_5566_7788n),
  asm.stx(8, 1, 2, CB), // *(u64 *)(skb->cb) = r2
  asm.st(8, 1, CB + 8, -1), // *(u64 *)(skb->cb + 8) = -1
  asm.ldx(4, 0, 1, CB + 4), // r0 = *(u32 *)(skb->cb + 4)
  asm.ldx(8, 3, 1, CB + 8),
  asm.alu64Reg(0xa0, 0, 3), // r0 ^= r3
  asm.exit(),
]);
const packet = new Uint8Array(64);
packet[12] = 0x88;

function run(engine: EngineOption): { retval: number; cb: number[] } {
  using p = loadProgram({ type: ProgramType.SchedCls, insns, engine });
  const r = p.run({ data: packet, ctx: new Uint8Array(192) });
  return { retval: r.retval, cb: [...r.ctx!.subarray(CB, CB + 20)] };
}

test('the emulator stores and loads 8 bytes of cb[]', () => {
  const r = run(new Emulator());
  expect(r.retval).toBe((0x1122_3344 ^ -1) | 0);
  expect(r.cb).toEqual([0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, ...new Array<number>(8).fill(0xff), 0, 0, 0, 0]);
});

describeKernel('cb[] on the kernel', () => {
  test('the emulator answers as the kernel', () => {
    expect(run(new Emulator({ kernelVersion: features.emulatorKernelVersion() }))).toEqual(run(getKernelEngine()));
  });
});
