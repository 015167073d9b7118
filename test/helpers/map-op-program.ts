// One raw program that keeps the full 64-bit r0 of the map helpers the verifier inlines into direct calls
// of the map's op (kernel/bpf/verifier.c do_misc_fixups): bpf_map_delete_elem, bpf_map_update_elem and
// bpf_for_each_map_elem, failing and succeeding. Before 6.4 those ops returned `int`, so the kernel leaves
// a negative errno zero-extended in r0 (src/emulator/kernel-version.ts mapOpResultIsInt).
import { bytes, createMap, loadProgram, ProgramType, u32, u64, type EngineOption } from '../../src/index.js';
import { AluOp, asm, encodeInsns, PseudoLd, type Insn } from '../../src/uapi/isa.js';
import { HelperId as Helper } from '../../src/uapi/helpers.js';
import { UpdateFlags } from '../../src/uapi/bpf.js';

const ARRAY_ENTRIES = 4;

/** What each recorded call does, in the order runMapOpProgram returns them (the last two only with forEach). */
export const MAP_OP_CALLS = [
  'delete from an array (EINVAL)',
  'delete a missing hash key (ENOENT)',
  'update a hash (0)',
  'update an existing hash key with BPF_NOEXIST (EEXIST)',
  'for_each over the array with flags 1 (EINVAL)',
  'for_each over the array (4 callbacks)',
] as const;

const SLOTS = MAP_OP_CALLS.length;

/**
 * maps[0] array (4 × u64), maps[1] hash (4 × u64), maps[2] results (one value of SLOTS u64s). The for_each
 * calls need a callback, which the kernel accepts only with BTF func_info ("missing btf func_info"), so a
 * raw program has them only on the emulator; the for_each fixture (test/diff/programs.test.ts) covers the kernel.
 */
function program(forEach: boolean): Insn[] {
  const key = -4;
  const value = -16;
  const stackPtr = (reg: number, off: number): Insn[] => [asm.mov64Reg(reg, 10), asm.alu64Imm(AluOp.Add, reg, off)];
  const map = (index: number): Insn[] => asm.ldImm64(1, BigInt(index), PseudoLd.MapIdx);
  const record = (slot: number): Insn => asm.stx(8, 7, 0, slot * 8); // results[slot] = r0, all 64 bits
  const insns: Insn[] = [
    ...asm.ldImm64(7, 2n, PseudoLd.MapIdxValue), // r7 = &results (callee-saved across the calls)
    asm.st(4, 10, key, 0),
    asm.st(8, 10, value, 7),
    ...map(0), ...stackPtr(2, key), asm.call(Helper.MapDeleteElem), record(0),
    ...map(1), ...stackPtr(2, key), asm.call(Helper.MapDeleteElem), record(1),
    ...map(1), ...stackPtr(2, key), ...stackPtr(3, value), asm.mov64Imm(4, 0), asm.call(Helper.MapUpdateElem), record(2),
    ...map(1), ...stackPtr(2, key), ...stackPtr(3, value), asm.mov64Imm(4, UpdateFlags.NoExist), asm.call(Helper.MapUpdateElem), record(3),
  ];
  // bpf_for_each_map_elem(array, callback, NULL, flags): the callback (after the main exit) returns 0.
  const funcLoads: number[] = [];
  for (const [flags, slot] of forEach ? ([[1, 4], [0, 5]] as const) : []) {
    insns.push(...map(0));
    funcLoads.push(insns.length);
    insns.push(...asm.ldFunc(2, 0), asm.mov64Imm(3, 0), asm.mov64Imm(4, flags), asm.call(Helper.ForEachMapElem), record(slot));
  }
  insns.push(asm.mov64Imm(0, 0), asm.exit());
  const callback = insns.length;
  if (forEach) insns.push(asm.mov64Imm(0, 0), asm.exit());
  for (const at of funcLoads) insns[at] = asm.ldFunc(2, callback - at - 1)[0];
  return insns;
}

/**
 * The r0 values (unsigned 64-bit) the program records on `engine`, six with forEach, else the first four:
 * from a run on this thread, or from runAsync (a worker CPU).
 */
export async function runMapOpProgram(engine: EngineOption, options: { forEach: boolean; how?: 'run' | 'runAsync' }): Promise<bigint[]> {
  const { forEach, how = 'run' } = options;
  using array = createMap({ type: 'array', key: u32, value: u64, maxEntries: ARRAY_ENTRIES, engine });
  using hash = createMap({ type: 'hash', key: u32, value: u64, maxEntries: 4, engine });
  using results = createMap({ type: 'array', key: u32, value: bytes(SLOTS * 8), maxEntries: 1, engine });
  using prog = loadProgram({ type: ProgramType.Syscall, insns: encodeInsns(program(forEach)), maps: [array, hash, results], engine });
  const run = how === 'run' ? prog.run({ ctx: new Uint8Array(8) }) : await prog.runAsync({ ctx: new Uint8Array(8) });
  if (run.retval !== 0) throw new Error(`the map-op program returned ${run.retval}`);
  const out = results.get(0)!;
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  return Array.from({ length: forEach ? SLOTS : SLOTS - 2 }, (_, i) => view.getBigUint64(i * 8, true));
}
