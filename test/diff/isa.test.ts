// The instruction set, kernel vs emulator: every case of test/emulator/isa-cases.ts is loaded with
// loadProgram() as a SEC("syscall") program on both engines and run once. The kernel's retval (the low
// 32 bits of r0) must equal the emulator's and the table's expectation; the emulator's full r0 must equal
// the expectation (the "[hi]" twin of a case checks the kernel's upper 32 bits).
import { expect, test } from 'vitest';
import { Emulator, features, loadProgram, ProgramType } from '../../src/index.js';
import { encodeInsns } from '../../src/uapi/isa.js';
import { EXECUTIONS } from '../../src/emulator/programs/compiler.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { describeKernel } from '../helpers/kernel.js';
import { isaCases } from '../emulator/isa-cases.js';

const asI32 = (v: bigint) => Number(BigInt.asIntN(32, v));

function versionAtLeast(release: string, wanted: string): boolean {
  const [a = 0, b = 0] = release.split(/[.-]/).map(Number);
  const [c = 0, d = 0] = wanted.split('.').map(Number);
  return a > c || (a === c && b >= d);
}

describeKernel('the ISA: kernel and emulator agree on every case', () => {
  const release = features.kernelRelease();
  // Both of the emulator's executions: the reference interpreter and the compiler.
  const emulators = EXECUTIONS.map((execution) => new Emulator({ execution, kernelVersion: features.emulatorKernelVersion() }));
  const runnable = isaCases.filter((c) => !c.since || versionAtLeast(release, c.since));
  const tooNew = isaCases.length - runnable.length;
  if (tooNew > 0) console.log(`skipped: ${tooNew} ISA cases need a kernel newer than ${release}`);

  test(`${runnable.length} cases, each on both engines`, () => {
    const mismatches: string[] = [];
    for (const c of runnable) {
      const insns = encodeInsns(c.insns);
      using k = loadProgram({ type: ProgramType.Syscall, insns, name: 'isa', engine: getKernelEngine() });
      const kernelRun = k.run({});
      const kernel = kernelRun.retval;
      // The kernel's r0 is its retval's 32 bits, zero-extended: BPF_PROG_TEST_RUN reports no more.
      if (kernelRun.r0 !== BigInt(kernel >>> 0)) mismatches.push(`${c.name}: kernel r0 ${kernelRun.r0} is not its retval ${kernel} zero-extended`);
      for (const emulator of emulators) {
        using e = loadProgram({ type: ProgramType.Syscall, insns, name: 'isa', engine: emulator });
        const { retval: emu, r0 } = e.run({});
        if (kernel !== asI32(c.expect) || emu !== kernel || r0 !== BigInt.asUintN(64, c.expect)) {
          mismatches.push(`${c.name}: kernel ${kernel}, emulator (${emulator.execution}) ${emu} (r0 ${r0}), expected ${c.expect}${c.note ? ` — ${c.note}` : ''}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(runnable.length).toBeGreaterThan(200);
  });
});
