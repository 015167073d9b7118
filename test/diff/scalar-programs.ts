// Seeded random programs that do only scalar work, for the scalar-domain differential test
// (scalar-bounds.test.ts): socket filters whose registers are all scalars after a short prologue, with
// ALU64/ALU32 ops in register and immediate forms, MOV/MOVSX/NEG/END, stack spills, fills and loads of
// unknown bytes, and forward conditional jumps (JMP and JMP32) that split ranges. Every program is valid
// by construction: no division by an immediate zero, shifts by an immediate in range, stack reads only
// of bytes the prologue wrote.
import { AluOp, JmpOp, asm, type Insn } from '../../src/uapi/isa.js';
import { Prng } from './random-programs.js';

/** Slots the prologue fills with ST DW imm (spilled constants); the body spills and fills them. */
export const SPILL_SLOTS = [-8, -16, -24, -32] as const;
/** A slot of STACK_MISC bytes: the prologue stores 4-byte values at -44 and -36 (not at a slot start). */
export const MISC_OFFS = [-44, -36] as const;

const BIN_OPS = [AluOp.Add, AluOp.Sub, AluOp.Mul, AluOp.Div, AluOp.Or, AluOp.And, AluOp.Lsh, AluOp.Rsh, AluOp.Mod, AluOp.Xor, AluOp.Arsh];
const COND_OPS = [JmpOp.Jeq, JmpOp.Jgt, JmpOp.Jge, JmpOp.Jset, JmpOp.Jne, JmpOp.Jsgt, JmpOp.Jsge, JmpOp.Jlt, JmpOp.Jle, JmpOp.Jslt, JmpOp.Jsle];
const REGS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

/** Immediates that make interesting ranges: small, masks, edges of 8/16/32-bit, negative. */
function imm(r: Prng): number {
  switch (r.int(8)) {
    case 0: return r.range(-4, 4);
    case 1: return r.range(0, 300);
    case 2: return (1 << r.int(31)) - r.int(2);
    case 3: return r.pick([0xff, 0xffff, 0x7f, 0x7fff, 0x80, 0x8000, 0x7fffffff, -0x80000000, -1, -128, -32768]);
    case 4: return -r.range(1, 70000);
    case 5: return r.u32() | 0;
    case 6: return r.pick([0xf0, 0xff00, 0xe00, 0x3, 0x6, 0xc, 0x1000]);
    default: return r.range(-1000, 1000);
  }
}

function aluInsn(r: Prng): Insn {
  const alu64 = r.chance(0.6);
  const dst = r.pick(REGS);
  const op = r.pick(BIN_OPS);
  const shift = op === AluOp.Lsh || op === AluOp.Rsh || op === AluOp.Arsh;
  const signed = (op === AluOp.Div || op === AluOp.Mod) && r.chance(0.3) ? 1 : 0;
  if (r.chance(0.45)) {
    // Register source (shifts by a register: often unknown amounts, which the kernel cannot bound).
    const src = r.pick(REGS);
    return alu64 ? asm.alu64Reg(op, dst, src, signed) : asm.alu32Reg(op, dst, src, signed);
  }
  let k = imm(r);
  if (shift) k = r.int(alu64 ? 64 : 32);
  if ((op === AluOp.Div || op === AluOp.Mod) && k === 0) k = 7;
  return alu64 ? asm.alu64Imm(op, dst, k, signed) : asm.alu32Imm(op, dst, k, signed);
}

function otherInsn(r: Prng): Insn[] {
  const dst = r.pick(REGS);
  const src = r.pick(REGS);
  switch (r.int(12)) {
    case 0: return [asm.mov64Reg(dst, src)];
    case 1: return [asm.mov32Reg(dst, src)];
    case 2: return [asm.movsx64(dst, src, r.pick([8, 16, 32] as const))];
    case 3: return [asm.movsx32(dst, src, r.pick([8, 16] as const))];
    case 4: return [r.chance(0.5) ? asm.mov64Imm(dst, imm(r)) : asm.mov32Imm(dst, imm(r))];
    case 5: return [r.chance(0.5) ? asm.neg64(dst) : asm.neg32(dst)];
    case 6: {
      const bits = r.pick([16, 32, 64] as const);
      return [r.chance(0.3) ? asm.bswap(dst, bits) : asm.endian(dst, bits, r.chance(0.5) ? 'le' : 'be')];
    }
    case 7: {
      // Spill (full or narrow, at a slot start) or fill (same size or narrower, at the slot start).
      const slot = r.pick(SPILL_SLOTS);
      const size = r.pick([8, 8, 4, 2, 1] as const);
      if (r.chance(0.5)) return [asm.stx(size, 10, src, slot)];
      if (size !== 8 && r.chance(0.3)) return [asm.ldxsx(size, dst, 10, slot)];
      return [asm.ldx(size, dst, 10, slot)];
    }
    case 8: {
      // A load of unknown bytes (STACK_MISC), sign-extending or not.
      const base = r.pick(MISC_OFFS);
      const size = r.pick([4, 2, 1] as const);
      const off = base + r.int(4 / size) * size;
      return [r.chance(0.4) ? asm.ldxsx(size, dst, 10, off) : asm.ldx(size, dst, 10, off)];
    }
    case 9: return [asm.st(8, 10, r.pick(SPILL_SLOTS), imm(r))];
    case 10: return asm.ldImm64(dst, r.u64() >> BigInt(r.int(64)));
    default: return [aluInsn(r)];
  }
}

/** One random program: prologue, `length` body instructions with forward jumps, r0 = 0; exit. */
export function scalarProgram(seed: number, length = 28): Insn[] {
  const r = new Prng(seed);
  const pro: Insn[] = [asm.call(7), asm.mov64Reg(6, 0), asm.call(7), asm.mov64Reg(7, 0)];
  // r1-r5 are not readable after the calls; give every register a value.
  for (const reg of [0, 1, 2, 3, 4, 5, 8, 9]) {
    if (r.chance(0.5)) pro.push(asm.mov64Imm(reg, imm(r)));
    else pro.push(asm.mov64Reg(reg, r.pick([6, 7])), asm.alu64Imm(r.pick([AluOp.And, AluOp.Rsh, AluOp.Or, AluOp.Add]), reg, r.int(64)));
  }
  for (const slot of SPILL_SLOTS) pro.push(asm.st(8, 10, slot, imm(r)));
  for (const off of MISC_OFFS) pro.push(asm.stx(4, 10, r.pick([6, 7]), off));

  // The body as blocks of instructions; a jump's offset is fixed once all blocks are laid out.
  const blocks: { insns: Insn[]; jumpTo?: number }[] = [];
  for (let i = 0; i < length; i++) {
    if (r.chance(0.22)) {
      const is32 = r.chance(0.3);
      const op = r.pick(COND_OPS);
      const dst = r.pick(REGS);
      const x = r.chance(0.35);
      const insn = x
        ? (is32 ? asm.jmp32Reg(op, dst, r.pick(REGS), 0) : asm.jmpReg(op, dst, r.pick(REGS), 0))
        : (is32 ? asm.jmp32Imm(op, dst, imm(r), 0) : asm.jmpImm(op, dst, imm(r), 0));
      blocks.push({ insns: [insn], jumpTo: i + 1 + r.int(Math.min(8, length - i)) });
    } else {
      blocks.push({ insns: r.chance(0.55) ? [aluInsn(r)] : otherInsn(r) });
    }
  }
  // Block start positions (in instruction slots), then the epilogue.
  const starts: number[] = [];
  let pos = pro.length;
  for (const b of blocks) {
    starts.push(pos);
    pos += b.insns.length;
  }
  starts.push(pos);
  const body: Insn[] = [];
  blocks.forEach((b, i) => {
    if (b.jumpTo === undefined) {
      body.push(...b.insns);
      return;
    }
    const target = starts[Math.min(b.jumpTo, blocks.length)]!;
    body.push({ ...b.insns[0]!, off: target - (starts[i]! + 1) });
  });
  return [...pro, ...body, asm.mov64Imm(0, 0), asm.exit()];
}
