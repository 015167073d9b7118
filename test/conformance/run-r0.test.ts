// RunResult.r0: the r0 of the run it belongs to, on every engine (the emulator's whole register, the
// kernel's low 32 bits: BPF_PROG_TEST_RUN's retval is a __u32), also when runs overlap on several CPUs.
import { expect, test } from 'vitest';
import { asm, encodeInsns } from '../../src/uapi/isa.js';
import { loadProgram, ProgramType } from '../../src/index.js';
import { describeEngines } from '../helpers/engines.js';

// A SEC("syscall") program returning the u64 its ctx holds: r0 = *(u64 *)(r1 + 0); exit.
const echo = encodeInsns([asm.ldx(8, 0, 1, 0), asm.exit()]);
const ctxOf = (v: bigint) => new Uint8Array(new BigUint64Array([v]).buffer);

describeEngines('RunResult.r0', (engine, name) => {
  // What each engine can know of r0: all 64 bits on the emulator, retval's 32 bits on the kernel.
  const seen = (v: bigint) => (name === 'emulator' ? v : v & 0xffffffffn);

  test('is the run\'s r0 as a u64 beside retval, the same value read as a C int', () => {
    using prog = loadProgram({ type: ProgramType.Syscall, insns: echo, name: 'echo', engine: engine() });
    const result = prog.run({ ctx: ctxOf(0x1234_5678_ffff_fffen) });
    expect(result.retval).toBe(-2);
    expect(result.r0).toBe(seen(0x1234_5678_ffff_fffen));
    expect(prog.run({ ctx: ctxOf(7n) }).r0).toBe(7n);
  });

  test('runs in flight at once each get their own r0', async () => {
    using prog = loadProgram({ type: ProgramType.Syscall, insns: echo, name: 'echo', engine: engine() });
    const values = Array.from({ length: 24 }, (_, i) => (BigInt(i + 1) << 40n) | BigInt(1000 + i));
    const results = await Promise.all(values.map((v) => prog.runAsync({ ctx: ctxOf(v), repeat: 200 })));
    expect(results.map((r) => r.r0)).toEqual(values.map(seen));
    expect(results.map((r) => r.retval)).toEqual(values.map((_, i) => 1000 + i));
  });
});
