// An atomic fetch from a stack slot holding a different constant on two paths, then a branch on the
// fetched value: both branches are live. The random-program differential once diverged on programs like
// this (seed 12345, #23854 and #68025, on an earlier kernel): kernel/bpf/verifier.c backtrack_insn took
// BPF_ATOMIC | BPF_FETCH for a plain store, so the precision the branch asked of the fetched register never
// reached the slot; at the join the second path's state then looked like the checkpoint's (the slot's
// constant imprecise) and was pruned, the branch only it takes was never seen, and the privileged
// program's dead-code pass (opt_hard_wire_dead_code_branches) turned the conditional jump into a plain
// one. Fixed by 179ee84a8911 "bpf: Fix incorrect pruning due to atomic fetch precision tracking"
// (CVE-2026-43009); 6.18.44 has the fix (its log marks fp-8 precise through the fetch). A kernel without
// it fails here, and this test names its version.
import { expect, test } from 'vitest';
import { Emulator, features, ProgramType, type EngineOption } from '../../src/index.js';
import { asm, AtomicOp, encodeInsns, JmpOp } from '../../src/uapi/isa.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { loadProgram } from '../../src/object/program.js';
import { describeKernel } from '../helpers/kernel.js';

const insns = [
  asm.ldx(4, 6, 1, 0), // r6 = the first word of the ctx
  // Ten instructions and two jumps before the join: the kernel only keeps a checkpoint there after that
  // much work since the last one (is_state_visited's add_new_state heuristic).
  asm.mov64Imm(7, 0),
  ...Array.from({ length: 10 }, () => asm.alu64Imm(0x00, 7, 1)),
  asm.jmpImm(JmpOp.Jeq, 6, 0, 2),
  asm.st(8, 10, -8, 1), // fp-8 = 1 on one path,
  asm.ja(1),
  asm.st(8, 10, -8, 2), // 2 on the other
  asm.mov64Imm(1, 0), // the join
  asm.atomic(8, AtomicOp.Add | AtomicOp.Fetch, 10, 1, -8), // r1 = fp-8 (+= 0)
  asm.jmpImm(JmpOp.Jeq, 1, 1, 2),
  asm.mov64Imm(0, 10),
  asm.exit(),
  asm.mov64Imm(0, 20),
  asm.exit(),
];

/** The program's return for a ctx whose first byte is each of `firsts`. */
function run(engine: EngineOption, firsts: number[]): number[] {
  const prog = loadProgram({ type: ProgramType.Syscall, insns: encodeInsns(insns), name: 'fetch_prune', engine });
  try {
    return firsts.map((b) => prog.run({ ctx: Uint8Array.of(b, 0, 0, 0, 0, 0, 0, 0) }).retval);
  } finally {
    prog.close();
  }
}

describeKernel('an atomic fetch from a stack constant decides a branch', () => {
  test('both branches run on both engines', () => {
    const emulator = run(new Emulator({ kernelVersion: features.emulatorKernelVersion() }), [0, 1]);
    // fp-8 = 2 → 10; fp-8 = 1 → 20.
    expect(emulator).toEqual([10, 20]);
    expect(run(getKernelEngine(), [0, 1]), `kernel ${features.kernelRelease()} pruned a live branch (no 179ee84a8911?)`).toEqual(emulator);
  });
});
