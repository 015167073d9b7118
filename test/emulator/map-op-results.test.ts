// The inlined map ops' results by kernel version (src/emulator/kernel-version.ts mapOpResultIsInt): before
// 6.4 a failing bpf_map_delete_elem / bpf_map_update_elem / bpf_for_each_map_elem leaves its errno
// zero-extended in r0 (the op returned `int`); since, sign-extended. Successes read the same on both.
// test/diff/map-op-results.test.ts checks the same program against the running kernel.
import { expect, test } from 'vitest';
import { Emulator, openObject } from '../../src/index.js';
import { fixture } from '../kernel/bpf-fixtures.js';
import { mapOpResultIsInt } from '../../src/emulator/kernel-version.js';
import { EXECUTIONS } from '../../src/emulator/programs/compiler.js';
import { EEXIST, EINVAL, ENOENT } from '../../src/uapi/errno.js';
import { MAP_OP_CALLS, runMapOpProgram } from '../helpers/map-op-program.js';

/** An errno (negative, from src/uapi/errno.ts) as r0 holds it: all 64 bits, or only the low 32. */
const r0 = (errno: number, int: boolean): bigint => BigInt.asUintN(int ? 32 : 64, BigInt(errno));
const expected = (int: boolean): bigint[] => [r0(EINVAL, int), r0(ENOENT, int), 0n, r0(EEXIST, int)];
const label = (values: bigint[]) => values.map((v, i) => `${MAP_OP_CALLS[i]}: 0x${v.toString(16)}`);

test('the rule flips at 6.4', () => {
  expect(['6.1', '6.3', '6.4', '6.12', '6.18', '7.2'].map(mapOpResultIsInt)).toEqual([true, true, false, false, false, false]);
});

test.each(EXECUTIONS)('%s: errnos zero-extended before 6.4, sign-extended since; successes alike', async (execution) => {
  for (const [kernelVersion, int] of [['6.1', true], ['6.3', true], ['6.4', false], ['6.18', false]] as const) {
    const got = await runMapOpProgram(new Emulator({ kernelVersion, execution }), { forEach: false });
    expect(label(got), kernelVersion).toEqual(label(expected(int)));
  }
});

test.each(EXECUTIONS)('%s: bpf_for_each_map_elem\'s errno (the for_each fixture, which has BTF for its callbacks) follows the version', (execution) => {
  for (const [kernelVersion, int] of [['6.1', true], ['6.18', false]] as const) {
    using obj = openObject(fixture('for_each'), { engine: new Emulator({ kernelVersion, execution, seed: 1 }) });
    obj.program('walk_maps').run({ ctx: new Uint8Array(8) });
    const globals = obj.globals as { bad_flags: bigint; visited_array: bigint };
    // long bad_flags = bpf_for_each_map_elem(..., flags 1): EINVAL in r0, read back as a signed long.
    expect(BigInt.asUintN(64, globals.bad_flags), kernelVersion).toBe(r0(EINVAL, int));
    expect(globals.visited_array, kernelVersion).toBeGreaterThan(0n); // a success reads the same
  }
});

test('a raw program (no BTF func_info) may not take a callback\'s address, as the kernel refuses it', async () => {
  await expect(runMapOpProgram(new Emulator(), { forEach: true })).rejects.toThrow(/missing btf func_info/);
});

test('a run on a worker CPU (runAsync) follows the version too', async () => {
  for (const [kernelVersion, int] of [['6.1', true], ['6.18', false]] as const) {
    const got = await runMapOpProgram(new Emulator({ kernelVersion, possibleCpus: 2 }), { forEach: false, how: 'runAsync' });
    expect(label(got), kernelVersion).toEqual(label(expected(int)));
  }
});
