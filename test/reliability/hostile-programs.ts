// Seeded random instruction streams that the verifier would mostly refuse: pointer arithmetic by 2^32 and
// by arbitrary 64-bit constants, scalars that look like pointers, dereferences of unchecked lookups, of
// scalars, of the ctx past its end, stores into read-only globals, spills and fills of pointers, partial
// overwrites of spilled pointers, atomics anywhere, and the valid shapes among them (NULL-checked lookups,
// in-bounds accesses). They run on the emulator's executors directly, past the load-time checker, to test
// the memory model on its own (test/reliability/isolation.test.ts).
import { AluOp, AtomicOp, JmpOp, PseudoLd, asm, type Insn } from '../../src/uapi/isa.js';
import type { Prng } from '../diff/random-programs.js';

/** The maps a hostile program refers to, by index (ld_imm64 src_reg 5/6). */
export const HostileMap = { Array: 0, Hash: 1, Global: 2, ReadOnly: 3 } as const;
export const HOSTILE_MAPS = 4;

export interface HostileProgram {
  /** enum bpf_prog_type: SchedCls (a packet, __sk_buff) or Syscall (a ctx of bytes). */
  type: 3 | 31;
  insns: Insn[];
  data?: Uint8Array;
  ctx?: Uint8Array;
}

/** Numbers that move a pointer out of its region, or almost. */
const FAR = [1n << 32n, (1n << 32n) + 8n, -(1n << 32n), 1n << 31n, (1n << 31n) - 8n, 0xffff_ffffn, 1n << 63n, 1n << 40n, 16n, 512n, -512n];
const OFFSETS = [0, 4, 8, 16, 24, -8, -16, -512, 508, 512, 32767, -32768, 76, 80, 140, 192];
const ALU_OPS = [AluOp.Add, AluOp.Sub, AluOp.Mul, AluOp.Or, AluOp.And, AluOp.Xor, AluOp.Lsh, AluOp.Rsh, AluOp.Arsh, AluOp.Mov, AluOp.Div, AluOp.Mod, AluOp.Neg];
const JMP_OPS = [JmpOp.Jeq, JmpOp.Jne, JmpOp.Jgt, JmpOp.Jge, JmpOp.Jlt, JmpOp.Jle, JmpOp.Jset, JmpOp.Jsgt, JmpOp.Jslt];
const SIZES = [1, 2, 4, 8] as const;
const ATOMICS = [AtomicOp.Add, AtomicOp.Add | AtomicOp.Fetch, AtomicOp.Or, AtomicOp.Xor | AtomicOp.Fetch, AtomicOp.Xchg, AtomicOp.Cmpxchg];

export function hostileProgram(rng: Prng): HostileProgram {
  const type = rng.chance(0.6) ? 3 : 31;
  const out: Insn[] = [asm.mov64Reg(9, 1)];
  const reg = (): number => rng.int(10); // r0..r9; r10 is the frame pointer (read only)
  const off = (): number => (rng.chance(0.7) ? rng.pick(OFFSETS) : (rng.u32() << 16) >> 16);
  // Half the programs are mostly the valid shapes, so runs that return are common too.
  const tame = rng.chance(0.5);
  const items = rng.range(4, tame ? 16 : 40);
  for (let i = 0; i < items; i++) {
    if (tame && rng.chance(0.85)) {
      out.push(...tameItem(rng));
      continue;
    }
    switch (rng.int(14)) {
      case 0: // a map, a global's value, a read-only global's value, or a constant that looks like a pointer
        if (rng.chance(0.25)) out.push(...asm.ldImm64(reg(), rng.u64()));
        else if (rng.chance(0.4)) out.push(...asm.ldImm64(reg(), BigInt(rng.int(2)), PseudoLd.MapIdx));
        else out.push(...asm.ldImm64(reg(), BigInt(rng.pick([HostileMap.Global, HostileMap.ReadOnly, HostileMap.Array])) | (BigInt(rng.int(24)) << 32n), PseudoLd.MapIdxValue));
        break;
      case 1: { // a lookup: key on the stack, r0 maybe NULL-checked
        const map = rng.int(2);
        out.push(asm.st(4, 10, -8, rng.chance(0.8) ? rng.int(6) : rng.u32() | 0));
        out.push(...asm.ldImm64(1, BigInt(map), PseudoLd.MapIdx), asm.mov64Reg(2, 10), asm.alu64Imm(AluOp.Add, 2, -8), asm.call(1));
        if (rng.chance(0.6)) out.push(asm.jmpImm(JmpOp.Jeq, 0, 0, 1), asm.mov64Reg(rng.range(6, 8), 0));
        break;
      }
      case 2: { // pointer arithmetic, far or near, on a register likely to hold a pointer; then an access through it
        const far = rng.pick(FAR);
        const r = rng.chance(0.6) ? rng.pick([9, 6, 7, 8, 1, 2]) : reg();
        if (far >= -(1n << 31n) && far < 1n << 31n && rng.chance(0.5)) out.push(asm.alu64Imm(rng.pick([AluOp.Add, AluOp.Sub]), r, Number(far)));
        else out.push(...asm.ldImm64(0, far), asm.alu64Reg(rng.pick([AluOp.Add, AluOp.Sub]), r, 0));
        if (rng.chance(0.6)) out.push(rng.chance(0.5) ? asm.st(rng.pick(SIZES), r, rng.pick([0, 8, -8]), 0x5a) : asm.ldx(rng.pick(SIZES), 5, r, rng.pick([0, 8, -8])));
        break;
      }
      case 3: { // ALU on anything
        const op = rng.pick(ALU_OPS);
        const is64 = rng.chance(0.8);
        if (rng.chance(0.5)) out.push(is64 ? asm.alu64Reg(op, reg(), reg()) : asm.alu32Reg(op, reg(), reg()));
        else out.push(is64 ? asm.alu64Imm(op, reg(), rng.u32() | 0) : asm.alu32Imm(op, reg(), rng.u32() | 0));
        break;
      }
      case 4: // load through anything
        out.push(asm.ldx(rng.pick(SIZES), reg(), rng.chance(0.2) ? 10 : reg(), off()));
        break;
      case 5: // store a register through anything
        out.push(asm.stx(rng.pick(SIZES), rng.chance(0.2) ? 10 : reg(), reg(), off()));
        break;
      case 6: // store an immediate through anything
        out.push(asm.st(rng.pick(SIZES), rng.chance(0.2) ? 10 : reg(), off(), rng.u32() | 0));
        break;
      case 7: { // spill a register, maybe overwrite part of the slot, fill it back
        const slot = -8 * rng.range(1, 8);
        out.push(asm.stx(8, 10, reg(), slot));
        if (rng.chance(0.3)) out.push(asm.st(rng.pick([1, 2, 4] as const), 10, slot + rng.int(4), 0x41));
        out.push(asm.ldx(8, reg(), 10, slot));
        break;
      }
      case 8: // the packet pointers (tc) or a ctx field
        out.push(asm.ldx(4, reg(), 9, type === 3 ? rng.pick([76, 80, 140, 0, 8, 48]) : rng.pick([0, 4, 8, 60])));
        break;
      case 9: // an atomic anywhere
        out.push(asm.atomic(rng.pick([4, 8] as const), rng.pick(ATOMICS), rng.chance(0.3) ? 10 : reg(), reg(), off()));
        break;
      case 10: // a forward branch over the next few instructions
        out.push(rng.chance(0.5) ? asm.jmpImm(rng.pick(JMP_OPS), reg(), rng.u32() | 0, rng.range(0, 2)) : asm.jmpReg(rng.pick(JMP_OPS), reg(), reg(), rng.range(0, 2)));
        out.push(asm.mov64Imm(reg(), rng.int(64)), asm.mov64Reg(reg(), reg()));
        break;
      case 11: // a copy of r10 moved around: stack pointers into other frames' reach
        out.push(asm.mov64Reg(rng.range(1, 8), 10), asm.alu64Imm(AluOp.Add, rng.range(1, 8), -8 * rng.range(0, 80)));
        break;
      case 12: // in-bounds use of a checked lookup (the valid shape)
        out.push(...asm.ldImm64(1, BigInt(HostileMap.Array), PseudoLd.MapIdx), asm.st(4, 10, -8, rng.int(4)), asm.mov64Reg(2, 10),
          asm.alu64Imm(AluOp.Add, 2, -8), asm.call(1), asm.jmpImm(JmpOp.Jeq, 0, 0, 2), asm.st(8, 0, 8 * rng.int(3), rng.u32() | 0), asm.ldx(8, 6, 0, 0));
        break;
      default: // 32-bit moves and partial copies of pointers
        out.push(asm.mov32Reg(reg(), reg()));
        break;
    }
  }
  out.push(asm.mov64Imm(0, 0), asm.exit());
  const program: HostileProgram = { type, insns: out };
  if (type === 3) {
    program.data = rng.bytes(rng.range(60, 200));
    program.data[12] = 0x88; // not IPv4/IPv6: any length from 14 bytes is a valid test_run packet
  } else program.ctx = rng.bytes(rng.range(0, 64));
  return program;
}

/** What a verifiable program does: in-bounds stack traffic, checked lookups, globals, scalar ALU. */
function tameItem(rng: Prng): Insn[] {
  const r = rng.range(1, 5);
  switch (rng.int(5)) {
    case 0:
      return [asm.stx(8, 10, rng.range(0, 9), -8 * rng.range(2, 60)), asm.ldx(rng.pick(SIZES), r, 10, -8 * rng.range(2, 60))];
    case 1:
      return [asm.st(4, 10, -8, rng.int(6)), ...asm.ldImm64(1, BigInt(rng.int(2)), PseudoLd.MapIdx), asm.mov64Reg(2, 10),
        asm.alu64Imm(AluOp.Add, 2, -8), asm.call(1), asm.jmpImm(JmpOp.Jeq, 0, 0, 2), asm.ldx(8, 6, 0, 8 * rng.int(2)),
        asm.stx(4, 0, 6, 4 * rng.int(4))];
    case 2:
      return [...asm.ldImm64(r, BigInt(rng.pick([HostileMap.Global, HostileMap.ReadOnly])) | (BigInt(8 * rng.int(3)) << 32n), PseudoLd.MapIdxValue),
        asm.ldx(8, 7, r, 0)];
    case 3:
      return [asm.alu64Imm(rng.pick([AluOp.Add, AluOp.Xor, AluOp.Mul, AluOp.Lsh]), rng.range(6, 8), rng.int(1000)), asm.mov64Imm(r, rng.int(100))];
    default:
      return [asm.mov64Reg(r, 10), asm.alu64Imm(AluOp.Add, r, -16), asm.st(8, r, 0, rng.u32() | 0), asm.ldx(8, 8, r, 0)];
  }
}
