// The kernel is the oracle: the full 64-bit r0 of the inlined map helpers bpf_map_delete_elem and
// bpf_map_update_elem, failing and succeeding (bpf_for_each_map_elem: the for_each fixture in programs.test.ts), on the running kernel and on the
// emulator at its version (features.emulatorKernelVersion(); the rule is kernel-version.ts mapOpResultIsInt).
import { expect, test } from 'vitest';
import { Emulator, features } from '../../src/index.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { EXECUTIONS } from '../../src/emulator/programs/compiler.js';
import { EINVAL } from '../../src/uapi/errno.js';
import { describeKernel } from '../helpers/kernel.js';
import { MAP_OP_CALLS, runMapOpProgram } from '../helpers/map-op-program.js';

const label = (values: bigint[]) => values.map((v, i) => `${MAP_OP_CALLS[i]}: 0x${v.toString(16)}`);

describeKernel('inlined map helpers: r0 as the kernel leaves it', () => {
  test('kernel and emulator agree on every recorded r0', async () => {
    const kernel = await runMapOpProgram(getKernelEngine(), { forEach: false });
    // Not vacuous: the array delete failed with EINVAL in one of the two widths.
    expect([BigInt.asUintN(64, BigInt(EINVAL)), BigInt.asUintN(32, BigInt(EINVAL))]).toContain(kernel[0]);
    console.log(`kernel ${features.emulatorKernelVersion()}: ${label(kernel).join(', ')}`);
    for (const execution of EXECUTIONS) {
      const emulator = await runMapOpProgram(new Emulator({ kernelVersion: features.emulatorKernelVersion(), execution }), { forEach: false });
      expect(label(emulator), execution).toEqual(label(kernel));
    }
  });

  test('a raw program taking a callback\'s address (no BTF func_info) is refused by both', async () => {
    const words = async (engine: Parameters<typeof runMapOpProgram>[0]) =>
      runMapOpProgram(engine, { forEach: true }).then(() => 'loaded', (e: Error) => e.message.split('\n').pop());
    const kernel = await words(getKernelEngine());
    expect(kernel).toMatch(/missing btf func_info/);
    expect(await words(new Emulator({ kernelVersion: features.emulatorKernelVersion() }))).toBe(kernel);
  });
});
