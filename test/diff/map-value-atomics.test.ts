// BPF_ATOMIC on a map value, kernel vs emulator: each atomic op, 32 and 64 bits, with and without fetch, on an
// ARRAY map's value (shared memory in the emulator: compiled code takes 32-bit Atomics where they are exact
// and one 64-bit Atomics op elsewhere, programs/compiled-atomics.ts), with operands chosen for each of those
// paths: no carry, a carry across 2^32, a negative operand whose carry leaves the high word as it is, and/or/xor
// touching one half or both. The value's 16 bytes afterwards (the word, then the register the atomic wrote,
// stored beside it) must be the same on the kernel and on both of the emulator's executions.
import { expect, test } from 'vitest';
import { bytes, createMap, Emulator, features, loadProgram, ProgramType, u32, type Engine } from '../../src/index.js';
import { AtomicOp, asm, encodeInsns, JmpOp } from '../../src/uapi/isa.js';
import { lookupKey0 } from '../helpers/lookup-key0.js';
import { EXECUTIONS } from '../../src/emulator/programs/compiler.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { describeKernel } from '../helpers/kernel.js';

const { Add, And, Or, Xor, Fetch, Xchg, Cmpxchg } = AtomicOp;

/** value[0..8) op= operand (at `off` within it, `size` bytes); value[8..16) = the register the atomic wrote. */
function program(size: 4 | 8, op: number, off: number, operand: bigint, expected: bigint): Uint8Array {
  const wrote = op === Cmpxchg ? 0 : 2;
  return encodeInsns([
    ...lookupKey0,
    asm.jmpImm(JmpOp.Jne, 0, 0, 2),
    asm.mov64Imm(0, 1),
    asm.exit(),
    asm.mov64Reg(6, 0),
    ...asm.ldImm64(2, operand),
    ...asm.ldImm64(0, expected),
    asm.atomic(size, op, 6, 2, off),
    asm.stx(8, 6, wrote, 8),
    asm.mov64Imm(0, 0),
    asm.exit(),
  ]);
}

interface Case { name: string; size: 4 | 8; op: number; off?: number; init: bigint; operand: bigint; expected?: bigint }

const NEG = (v: bigint): bigint => BigInt.asUintN(64, -v);
const rmw: [string, number][] = [['add', Add], ['and', And], ['or', Or], ['xor', Xor]];
const operands: [string, bigint, bigint][] = [
  ['no carry', 0x00000005_00000010n, 0x20n],
  ['carry across 2^32', 0x00000001_fffffff0n, 0x20n],
  ['negative, high word kept', 0x00000007_00000010n, NEG(3n)],
  ['negative, borrow', 0x00000007_00000001n, NEG(3n)],
  ['high half only', 0x0f0f0f0f_f0f0f0f0n, 0x12345678_00000000n],
  ['low half only (and)', 0x0f0f0f0f_f0f0f0f0n, 0xffffffff_0000ff00n],
  ['both halves', 0x8000000f_00000003n, 0x00000011_80000005n],
];
const cases: Case[] = [];
for (const [opName, op] of rmw) {
  for (const fetch of [0, Fetch]) {
    for (const [what, init, operand] of operands) {
      cases.push({ name: `${opName}${fetch ? ' fetch' : ''} dw, ${what}`, size: 8, op: op | fetch, init, operand });
      cases.push({ name: `${opName}${fetch ? ' fetch' : ''} w, ${what}`, size: 4, op: op | fetch, init, operand });
      cases.push({ name: `${opName}${fetch ? ' fetch' : ''} w on the high half, ${what}`, size: 4, op: op | fetch, off: 4, init, operand });
    }
  }
}
for (const [what, init, operand] of operands) {
  cases.push({ name: `xchg dw, ${what}`, size: 8, op: Xchg, init, operand });
  cases.push({ name: `xchg w, ${what}`, size: 4, op: Xchg, init, operand });
  for (const [outcome, expected] of [['equal', init], ['high word differs', init ^ (1n << 40n)], ['low word differs', init ^ 1n]] as const) {
    cases.push({ name: `cmpxchg dw, ${what}, ${outcome}`, size: 8, op: Cmpxchg, init, operand, expected });
    cases.push({ name: `cmpxchg w, ${what}, ${outcome}`, size: 4, op: Cmpxchg, init, operand, expected });
  }
}

function run(engine: Engine, c: Case): string {
  using map = createMap({ type: 'array', key: u32, value: bytes(16), maxEntries: 1, engine });
  const value = new Uint8Array(16);
  new DataView(value.buffer).setBigUint64(0, c.init, true);
  map.set(0, value);
  using prog = loadProgram({ type: ProgramType.Syscall, insns: program(c.size, c.op, c.off ?? 0, c.operand, c.expected ?? 0n), maps: [map], engine });
  const { retval } = prog.run({});
  const v = new DataView(map.get(0)!.buffer);
  return `retval ${retval}, word 0x${v.getBigUint64(0, true).toString(16)}, register 0x${v.getBigUint64(8, true).toString(16)}`;
}

describeKernel('BPF_ATOMIC on a map value: kernel and both emulator executions agree', () => {
  test(`${cases.length} cases`, () => {
    const emulators = EXECUTIONS.map((execution) => new Emulator({ execution, kernelVersion: features.emulatorKernelVersion() }));
    const kernel = getKernelEngine();
    const mismatches: string[] = [];
    for (const c of cases) {
      const k = run(kernel, c);
      expect(k.startsWith('retval 0,'), `${c.name}: the kernel's run (${k})`).toBe(true);
      for (const e of emulators) {
        const got = run(e, c);
        if (got !== k) mismatches.push(`${c.name}: kernel ${k}; emulator (${e.execution}) ${got}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});
