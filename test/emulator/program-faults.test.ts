// What the verifier refuses at load, on both engines, and what only the emulator refuses (an unemulated
// helper); what a program past the checker cannot reach of a packet a helper moved.
import { describe, expect, test } from 'vitest';
import { AluOp, asm, encodeInsns, JmpOp, type Insn } from '../../src/uapi/isa.js';
import { Emulator, errnoByCode, loadProgram, ProgramType } from '../../src/index.js';
import { linkProgram } from '../../src/emulator/link.js';
import { ProgramRunner, runTest } from '../../src/emulator/programs/test-run.js';
import { EXECUTIONS, type Execution } from '../../src/emulator/programs/compiler.js';
import { DEFAULT_KERNEL_VERSION } from '../../src/emulator/kernel-version.js';
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

describe('a moved packet bounds what a program reaches, whatever the checker let through', () => {
  // Programs run straight past the checker (linkProgram, runTest), on both executions. The one memory
  // instruction runs twice: before bpf_xdp_adjust_tail shrinks the frame to 14 bytes and after, through the
  // pointer loaded before (stale: the verifier refuses its use, verifier-rules.test.ts).
  const r6ctx = [asm.mov64Reg(6, 1), asm.ldx(4, 7, 6, 0), asm.mov64Imm(9, 2)];
  const shrinkAndLoop = (back: number) => [
    asm.alu64Imm(AluOp.Sub, 9, 1), asm.jmpImm(JmpOp.Jeq, 9, 0, 4),
    asm.mov64Reg(1, 6), asm.mov64Imm(2, -50), asm.call(65), asm.ja(back), asm.exit(),
  ];
  const programs: Record<string, Insn[]> = {
    // r0 = *(u8 *)(data + 20): in the 64-byte frame, past the 14 bytes left.
    'a stale data pointer past the new data_end': [...r6ctx, asm.ldx(1, 0, 7, 20), ...shrinkAndLoop(-7)],
    // The headroom before data is not the packet's either.
    'a read before data': [...r6ctx, asm.ldx(1, 0, 7, -1), asm.exit()],
  };
  const run = (insns: Insn[], execution: Execution) => {
    const emulator = new Emulator({ execution });
    const linked = linkProgram({
      name: 'stale', type: ProgramType.Xdp, expectedAttachType: 0, xdpHasFrags: false, insns, relocs: [], functions: [], lines: new Map(), maps: [],
      kernelVersion: DEFAULT_KERNEL_VERSION, inlinedLoopCalls: [], maxCtxOffset: 0,
    }, () => undefined);
    if (!('exec' in linked)) throw new Error('link failed');
    const args = { data: new Uint8Array(64), dataOut: new Uint8Array(4096), ctx: null, ctxOut: null, repeat: 1, cpu: 0, flags: 0, out: new Uint32Array(4) };
    return runTest(new ProgramRunner(linked, emulator.helperContext()), emulator.helperContext(), emulator.mainCpuLocks, args);
  };
  for (const execution of EXECUTIONS) {
    test(`${execution}: the first read succeeds, the stale one faults (EFAULT)`, () => {
      const outcome = run(programs['a stale data pointer past the new data_end']!, execution);
      expect(outcome.rc).toBe(-errnoByCode.EFAULT);
      expect(outcome.fault).toMatch(/invalid read of 1 bytes at offset 20 of packet \(size 14\) at insn 3/);
    });
    test(`${execution}: a read before data faults`, () => {
      const outcome = run(programs['a read before data']!, execution);
      expect(outcome.rc).toBe(-errnoByCode.EFAULT);
      expect(outcome.fault).toMatch(/invalid read of 1 bytes at offset -1 of packet \(size 64\)/);
    });
  }
});
