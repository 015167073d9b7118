// The cpu v4 instructions against the running kernel: each loads and runs on both engines (6.6+), or both
// refuse it with the same words (before 6.6: kernel-version.ts cpuV4Instructions; measured on 6.1 in bpfkit vm).
import { expect, test } from 'vitest';
import { Emulator, features, loadProgram, ProgramType, type EngineOption } from '../../src/index.js';
import { AluOp, asm, encodeInsns, type Insn } from '../../src/uapi/isa.js';
import { cpuV4Instructions } from '../../src/emulator/kernel-version.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { describeKernel } from '../helpers/kernel.js';

// r0 = 5, r1 = 3, *(u64 *)(r10 - 8) = r0; then the instruction; exit.
const pre: Insn[] = [asm.mov64Imm(0, 5), asm.mov64Imm(1, 3), asm.stx(8, 10, 0, -8)];
const cases: [string, Insn][] = [
  ['sign-extending load', asm.ldxsx(4, 0, 10, -8)],
  ['movsx (64-bit)', asm.movsx64(0, 1, 8)],
  ['movsx (32-bit)', asm.movsx32(0, 1, 8)],
  ['signed division', asm.alu64Reg(AluOp.Div, 0, 1, 1)],
  ['signed modulo by an immediate', asm.alu32Imm(AluOp.Mod, 0, 3, 1)],
  ['bswap64', asm.bswap(0, 64)],
];

/** 'retval N', or the verifier's last line. */
function answer(insn: Insn, engine: EngineOption): string {
  try {
    using p = loadProgram({ type: ProgramType.Syscall, insns: encodeInsns([...pre, insn, asm.exit()]), engine });
    return `retval ${p.run({ ctx: new Uint8Array(8) }).retval}`;
  } catch (e) {
    return (e as Error).message.split('\n').pop()!.replace(/^.*: /, '');
  }
}

describeKernel('cpu v4 instructions: the emulator at the kernel\'s version answers as the kernel', () => {
  test.each(cases)('%s', (_name, insn) => {
    const kernel = answer(insn, getKernelEngine());
    const version = features.emulatorKernelVersion();
    // Not vacuous: the kernel ran it where it has v4, and refused it where it does not.
    expect(kernel.startsWith('retval'), `kernel ${version}: ${kernel}`).toBe(cpuV4Instructions(version));
    expect(answer(insn, new Emulator({ kernelVersion: version }))).toBe(kernel);
  });
});
