// The emulator's CPUs: runAsync runs on one worker thread per possible CPU, so runs issued together run on
// different CPUs at once; bpf_get_smp_processor_id answers the run's CPU, and per-CPU maps use its slot.
// A synchronous run runs on this thread as the Emulator's currentCpu.
import { expect, test } from 'vitest';
import { array, createMap, Emulator, loadProgram, ProgramType, u32, u64 } from '../../src/index.js';
import { AtomicOp, asm, encodeInsns, JmpOp } from '../../src/uapi/isa.js';
import { lookupKey0 } from '../helpers/lookup-key0.js';

/** *percpu_array[0] += 1 on this CPU; returns bpf_get_smp_processor_id(). */
const countOnThisCpu = encodeInsns([
  ...lookupKey0,
  asm.jmpImm(JmpOp.Jeq, 0, 0, 2),
  asm.mov64Imm(1, 1),
  asm.atomic(8, AtomicOp.Add, 0, 1, 0),
  asm.call(8), // bpf_get_smp_processor_id
  asm.exit(),
]);

test('runs issued together run on different CPUs; each counts into its own per-CPU slot', async () => {
  const emulator = new Emulator({ possibleCpus: 2, currentCpu: 1 });
  using counts = createMap({ type: 'percpu_array', key: u32, value: u64, maxEntries: 1, engine: emulator });
  using prog = loadProgram({ type: ProgramType.Syscall, insns: countOnThisCpu, maps: [counts], engine: emulator });
  // Long enough that the second is issued while the first still runs: they must be on different CPUs.
  const runs = await Promise.all([prog.runAsync({ ctx: new Uint8Array(8), repeat: 20_000 }), prog.runAsync({ ctx: new Uint8Array(8), repeat: 20_000 })]);
  expect(runs.map((r) => r.retval).sort()).toEqual([0, 1]);
  expect(counts.get(0)).toEqual([20_000n, 20_000n]);
  // This thread runs as currentCpu.
  expect(prog.run({ ctx: new Uint8Array(8) }).retval).toBe(1);
  expect(counts.get(0)).toEqual([20_000n, 20_001n]);
});

/**
 * Three 64-bit atomic adds on one ARRAY value per run: v[0] += 0x90000001 (carries across 2^32 every other
 * run or so), v[1] += 1 (from just below 2^32: crosses it once, the high word unchanged otherwise), v[2]
 * fetch-add 0x80000001, the fetched value kept in r3. Returns bpf_get_smp_processor_id().
 */
const atomicAdds = encodeInsns([
  ...lookupKey0,
  asm.jmpImm(JmpOp.Jeq, 0, 0, 7),
  ...asm.ldImm64(1, 0x9000_0001n),
  asm.atomic(8, AtomicOp.Add, 0, 1, 0),
  asm.mov64Imm(1, 1),
  asm.atomic(8, AtomicOp.Add, 0, 1, 8),
  asm.mov64Imm(3, 0x7fff_ffff),
  asm.atomic(8, AtomicOp.Add | AtomicOp.Fetch, 0, 3, 16),
  asm.call(8), // bpf_get_smp_processor_id
  asm.exit(),
]);

const u64Array3 = array(u64, 3);

test.each(['compiled', 'interpreter'] as const)('64-bit atomic adds crossing 2^32 from 2 CPUs at once lose nothing (%s)', async (execution) => {
  const emulator = new Emulator({ possibleCpus: 2, execution });
  using values = createMap({ type: 'array', key: u32, value: u64Array3, maxEntries: 1, engine: emulator });
  const start = 0xffff_ffffn - 1000n;
  values.set(0, [0n, start, 0n]);
  using prog = loadProgram({ type: ProgramType.Syscall, insns: atomicAdds, maps: [values], engine: emulator });
  const runs = 50_000;
  // Issued together, long enough to overlap: on different CPUs, adding to the same words at the same time.
  const ctx = new Uint8Array(8);
  const cpus = await Promise.all([prog.runAsync({ ctx, repeat: runs }), prog.runAsync({ ctx, repeat: runs })]);
  expect(cpus.map((r) => r.retval).sort()).toEqual([0, 1]);
  const total = BigInt(2 * runs);
  expect(values.get(0)).toEqual([BigInt.asUintN(64, total * 0x9000_0001n), start + total, BigInt.asUintN(64, total * 0x7fff_ffffn)]);
});
