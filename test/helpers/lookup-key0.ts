// The raw test programs' way to a map value: r0 = bpf_map_lookup_elem(maps[0], &key) with a u32 key 0 at fp-4
// (NULL when there is none: the program checks r0 next).
import { AluOp, asm, PseudoLd, type Insn } from '../../src/uapi/isa.js';

export const lookupKey0: Insn[] = [
  asm.st(4, 10, -4, 0), // key = 0
  ...asm.ldImm64(1, 0n, PseudoLd.MapIdx), // r1 = maps[0]
  asm.mov64Reg(2, 10),
  asm.alu64Imm(AluOp.Add, 2, -4), // r2 = fp - 4
  asm.call(1), // bpf_map_lookup_elem
];
