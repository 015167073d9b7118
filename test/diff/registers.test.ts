// Registers past r10 (issue 19): the kernel refuses each instruction kind naming one with "R%d is invalid"
// (verifier.c check_reg_arg, after the reserved fields); the emulator answers the same words, never a
// TypeError, and a raw run of such code (past the checker) faults instead of throwing.
import { expect, test } from 'vitest';
import { BpfVerifierError, Emulator, features, loadProgram, ProgramType, type EngineOption } from '../../src/index.js';
import { lastMeaningfulLine } from '../../src/errors/verifier-log.js';
import { AluOp, JmpOp, asm, encodeInsns, type Insn } from '../../src/uapi/isa.js';
import { execute } from '../../src/emulator/programs/interpreter.js';
import { executeCompiled } from '../../src/emulator/programs/compiler.js';
import { Memory, ProgramFault } from '../../src/emulator/programs/memory.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { describeKernel } from '../helpers/kernel.js';

const cases: [string, Insn[]][] = [
  ['mov r11 = 1', [asm.mov64Imm(11, 1)]],
  ['mov r0 = r15', [asm.mov64Reg(0, 15)]],
  ['add r12 += r13', [asm.alu64Reg(AluOp.Add, 12, 13)]],
  ['w13 = w1', [asm.mov32Reg(13, 1)]],
  ['r0 = *(u64 *)(r14 + 0)', [asm.ldx(8, 0, 14, 0)]],
  ['*(u32 *)(r10 - 8) = r11', [asm.stx(4, 10, 11, -8)]],
  ['*(u32 *)(r12 + 0) = 1', [asm.st(4, 12, 0, 1)]],
  ['if r11 > r1', [asm.jmpReg(JmpOp.Jgt, 11, 1, 0)]],
  ['ld_imm64 r12', asm.ldImm64(12, 1n)],
];

const program = (body: Insn[]): Uint8Array => encodeInsns([asm.mov64Imm(0, 0), asm.mov64Imm(1, 1), ...body, asm.exit()]);

/** 'loaded', or the errno and the verifier's reason (the last log line). */
function answer(body: Insn[], engine: EngineOption): string {
  try {
    using _p = loadProgram({ type: ProgramType.Syscall, insns: program(body), engine });
    return 'loaded';
  } catch (e) {
    if (!(e instanceof BpfVerifierError)) throw e;
    return `${e.code}: ${lastMeaningfulLine(e.log)}`;
  }
}

test.each(cases)('the emulator refuses %s (a register past r10)', (_name, body) => {
  expect(answer(body, new Emulator())).toMatch(/^EINVAL: R1[1-5] is invalid$/);
});

describeKernel('registers past r10 on the kernel', () => {
  test.each(cases)('%s: the emulator answers as the kernel', (_name, body) => {
    const kernel = answer(body, getKernelEngine());
    expect(kernel).not.toBe('loaded');
    expect(answer(body, new Emulator({ kernelVersion: features.emulatorKernelVersion() }))).toBe(kernel);
  });
});

test.each(['interpreter', 'compiled'] as const)('a run past the checker faults on r11+ (%s), never a TypeError', (execution) => {
  const run = execution === 'interpreter' ? execute : executeCompiled;
  const env = { memory: new Memory(), callHelper: () => 0n, callKfunc: () => 0n };
  for (const [name, body] of cases) {
    const insns = [asm.mov64Imm(0, 0), asm.mov64Imm(1, 1), ...body, asm.exit()];
    let fault: unknown;
    try {
      run({ insns, name: 'regs' }, env, 0n);
    } catch (e) {
      fault = e;
    }
    expect(fault, name).toBeInstanceOf(ProgramFault);
    expect((fault as ProgramFault).reason, name).toMatch(/^R1[1-5] is invalid$/);
  }
});
