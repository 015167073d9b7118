// The verifier log printer (src/emulator/checker/disasm.ts) on the kernels it is not measured against here:
// the forms kernel/bpf/disasm.c print_bpf_insn learnt over time, each printed as the older printer wrote it
// (its format strings read from 6.1's, 6.12's and 7.2's disasm.c). test/diff/disasm.test.ts checks the
// newest behaviour against this machine's kernel.
import { describe, expect, test } from 'vitest';
import { formatInsn } from '../../src/emulator/checker/disasm.js';
import { AluOp, AtomicOp, asm, Class, JmpOp, Source, type Insn } from '../../src/uapi/isa.js';

const at = (kernelVersion: string, insn: Insn): string => formatInsn(insn, { kernelVersion });

describe('print_bpf_insn by kernel version', () => {
  test('cpu v4 forms (6.6): plain operations, BUG lines and the conditional form before', () => {
    const forms: [Insn, string, string][] = [
      [asm.movsx64(1, 2, 8), '(bf) r1 = (s8)r2', '(bf) r1 = r2'],
      [asm.movsx32(1, 2, 16), '(bc) w1 = (s16)w2', '(bc) w1 = w2'],
      [asm.alu64Reg(AluOp.Div, 1, 2, 1), '(3f) r1 s/= r2', '(3f) r1 /= r2'],
      [asm.alu32Imm(AluOp.Mod, 1, 3, 1), '(94) w1 s%= 3', '(94) w1 %= 3'],
      [asm.ldxsx(1, 1, 2, -4), '(91) r1 = *(s8 *)(r2 -4)', 'BUG_ldx_91'],
      [asm.bswap(3, 16), '(d7) r3 = bswap16 r3', 'BUG_alu64_d7'],
      [asm.gotol(-2), '(06) gotol pc-2', '(06) if w0 jmp 0xfffffffe goto pc+0'],
    ];
    for (const [insn, v4, before] of forms) {
      expect(at('6.6', insn)).toBe(v4);
      expect(at('6.1', insn)).toBe(before);
    }
    // ALU | END is the same on every kernel.
    expect(at('6.1', asm.endian(2, 32, 'be'))).toBe('(dc) r2 = be32 r2');
  });

  test('may_goto and addr_space_cast (6.9), the per-CPU address move (6.10)', () => {
    expect(at('6.9', asm.mayGoto(2))).toBe('(e5) may_goto pc+2');
    // bpf_jmp_string has no BPF_JCOND entry: printf's "(null)".
    expect(at('6.8', asm.mayGoto(2))).toBe('(e5) if r0 (null) 0x0 goto pc+2');
    const cast = { ...asm.alu64Reg(AluOp.Mov, 1, 2, 1), imm: 0x10000 };
    expect(at('6.9', cast)).toBe('(bf) r1 = addr_space_cast(r2, 1, 0)');
    expect(at('6.8', cast)).toBe('(bf) r1 = r2');
    const percpu = asm.alu64Reg(AluOp.Mov, 1, 2, -1);
    expect(at('6.10', percpu)).toBe('(bf) r1 = &(void __percpu *)(r2)');
    expect(at('6.9', percpu)).toBe('(bf) r1 = r2');
  });

  test('load-acquire and store-release (6.15), gotox (6.19)', () => {
    const acquire = asm.atomic(8, AtomicOp.LoadAcq, 1, 2, 8);
    const release = asm.atomic(4, AtomicOp.StoreRel, 1, 2, -8);
    expect(at('6.15', acquire)).toBe('(db) r1 = load_acquire((u64 *)(r2 +8))');
    expect(at('6.15', release)).toBe('(c3) store_release((u32 *)(r1 -8), r2)');
    expect(at('6.14', acquire)).toBe('BUG_db');
    expect(at('6.14', release)).toBe('BUG_c3');
    const gotox = asm.raw(Class.Jmp | JmpOp.Ja | Source.X, 3, 0, 0, 0);
    expect(at('7.2', gotox)).toBe('(0d) gotox r3');
    expect(at('6.18', gotox)).toBe('(0d) if r3 jmp r0 goto pc+0');
  });

  test('the helper table ends at 210 on 6.1, at 212 since 6.2 (cgroup storage)', () => {
    expect(at('6.2', asm.call(211))).toBe('(85) call bpf_cgrp_storage_delete#211');
    expect(at('6.1', asm.call(209))).toBe('(85) call bpf_user_ringbuf_drain#209');
    expect(at('6.1', asm.call(210))).toBe('(85) call unknown#210');
    expect(at('7.2', asm.call(212))).toBe('(85) call unknown#212');
  });
});
