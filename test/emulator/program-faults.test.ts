// What the verifier refuses at load, on both engines, and what only the emulator refuses (an unemulated
// helper).
import { expect, test } from 'vitest';
import { asm, encodeInsns } from '../../src/uapi/isa.js';
import { Emulator, loadProgram, ProgramType } from '../../src/index.js';
import { describeEngines } from '../helpers/engines.js';

describeEngines('what the verifier refuses', (engine) => {
  test('an out-of-bounds stack read is refused at load, in the kernel\'s words', () => {
    // r0 = *(u64 *)(r10 + 8): past the top of the 512-byte frame (check_stack_access_within_bounds). Runs
    // that reach memory the program does not own fault with EFAULT: test/reliability/isolation.test.ts.
    const insns = encodeInsns([asm.mov64Imm(0, 0), asm.ldx(8, 0, 10, 8), asm.exit()]);
    expect(() => loadProgram({ type: ProgramType.Syscall, insns, name: 'oob', engine: engine() }))
      .toThrowError(expect.objectContaining({ code: 'EACCES', message: expect.stringMatching(/'oob'.*invalid read from stack R10 off=8 size=8/) }));
  });
});

test('a helper the emulator does not have is refused at load with its name', () => {
  // bpf_get_numa_node_id: the kernel lets a syscall program call it (bpf_redirect would be the
  // verifier's "program of this type cannot use helper", see structure-checks.test.ts).
  const insns = encodeInsns([asm.call(42), asm.mov64Imm(0, 0), asm.exit()]);
  expect(() => loadProgram({ type: ProgramType.Syscall, insns, name: 'numa', engine: new Emulator() }))
    .toThrowError(expect.objectContaining({ code: 'ENOTSUPP', message: expect.stringMatching(/helper bpf_get_numa_node_id \(#42\) is not emulated/) }));
});

test('bpf_trace_printk lines go to the emulator\'s trace log', () => {
  const emulator = new Emulator();
  // "hi %d\0" on the stack, then trace_printk(fp-8, 6, 42)
  const fmt = Buffer.from('hi %d\0\0\0');
  const insns = encodeInsns([
    ...asm.ldImm64(1, fmt.readBigUInt64LE(0)), asm.stx(8, 10, 1, -8),
    asm.mov64Reg(1, 10), asm.alu64Imm(0, 1, -8), asm.mov64Imm(2, 6), asm.mov64Imm(3, 42), asm.call(6),
    asm.mov64Imm(0, 0), asm.exit(),
  ]);
  using prog = loadProgram({ type: ProgramType.Syscall, insns, name: 'printk', engine: emulator });
  prog.run({});
  expect(emulator.traceLog).toEqual(['hi 42']);
});
