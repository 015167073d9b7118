// Instruction-level cases as DATA, so the same programs can be replayed on the kernel (BPF_PROG_TEST_RUN
// of a BPF_PROG_TYPE_SYSCALL program, loaded with BPF_F_SLEEPABLE: the kernel refuses non-sleepable
// syscall programs) for a differential check. Every case is a complete program the
// verifier accepts: r0 set before exit, no read of an unset register, stack read only after it was
// written, aligned stack access, no helpers. `expect` is the full 64-bit r0; the kernel reports only its
// low 32 bits as retval, so 64-bit results come as a pair of cases: "<name>" and "<name> [hi]" (r0 >> 32).
import { AluOp, AtomicOp, JmpOp, asm, type Insn } from '../../src/uapi/isa.js';

export interface IsaCase {
  name: string;
  insns: Insn[];
  /** r0 as the emulator returns it (unsigned 64 bits). Compare `expect & 0xffffffffn` with the kernel's retval. */
  expect: bigint;
  /** The first kernel with every instruction used: cpu v4 (sdiv, movsx, bswap, memsx, gotol) 6.6, may_goto 6.9, load-acquire 6.15. */
  since?: string;
  /** Why a kernel might disagree. */
  note?: string;
}

const { Add, Sub, Mul, Div, Mod, Or, And, Xor, Lsh, Rsh, Arsh } = AluOp;
const { Jeq, Jne, Jgt, Jge, Jlt, Jle, Jset, Jsgt, Jsge, Jslt, Jsle } = JmpOp;
const { Fetch, Xchg, Cmpxchg } = AtomicOp;
const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const u32 = (v: bigint): bigint => BigInt.asUintN(32, v);
const V4 = '6.6';

export const isaCases: IsaCase[] = [];
type Extra = Pick<IsaCase, 'since' | 'note'>;

/** A body leaving its result in r0: one case returning r0, and one returning r0 >> 32 when that matters. */
function ret(name: string, body: Insn[], value: bigint, extra: Extra = {}): void {
  const expect = u64(value);
  isaCases.push({ name, insns: [...body, asm.exit()], expect, ...extra });
  isaCases.push({ name: `${name} [hi]`, insns: [...body, asm.alu64Imm(Rsh, 0, 32), asm.exit()], expect: expect >> 32n, ...extra });
}

/** r0 = 1 if the jump is taken, else 0. */
function branch(name: string, setup: Insn[], jump: Insn, taken: boolean, extra: Extra = {}): void {
  isaCases.push({ name, insns: [...setup, asm.mov64Imm(0, 1), jump, asm.mov64Imm(0, 0), asm.exit()], expect: taken ? 1n : 0n, ...extra });
}

const ld = (reg: number, value: bigint): Insn[] => asm.ldImm64(reg, value);
const INT64_MIN = 1n << 63n;
const PATTERN = 0x1122334455667788n;

// ---- ld_imm64 and mov ----
ret('ld_imm64', ld(0, 0x0123456789abcdefn), 0x0123456789abcdefn);
ret('ld_imm64 negative low half', ld(0, 0xffffffff80000000n), 0xffffffff80000000n);
ret('mov64 imm sign-extends', [asm.mov64Imm(0, -1)], -1n);
ret('mov32 imm zero-extends', [asm.mov64Imm(0, 7), asm.mov32Imm(0, -1)], 0xffffffffn);
ret('mov32 reg zero-extends', [...ld(2, 0xffffffff12345678n), asm.mov32Reg(0, 2)], 0x12345678n);

// ---- ALU64 ----
ret('add64 wraps', [...ld(0, -1n), asm.alu64Imm(Add, 0, 2)], 1n);
ret('sub64 below zero', [asm.mov64Imm(0, 0), asm.alu64Imm(Sub, 0, 1)], -1n);
ret('mul64 wraps', [...ld(0, 0x100000001n), ...ld(2, 0x100000001n), asm.alu64Reg(Mul, 0, 2)], 0x200000001n);
ret('mul64 by negative imm', [asm.mov64Imm(0, 3), asm.alu64Imm(Mul, 0, -2)], -6n);
ret('or/and/xor64', [...ld(0, 0xf0f0f0f0_0000ffffn), ...ld(2, 0x0ff00ff0_ffff0000n), asm.alu64Reg(Or, 0, 2),
  asm.alu64Imm(And, 0, -16), ...ld(3, 0x8000000000000001n), asm.alu64Reg(Xor, 0, 3)],
((0xf0f0f0f0_0000ffffn | 0x0ff00ff0_ffff0000n) & u64(-16n)) ^ 0x8000000000000001n);
ret('udiv64 by zero register', [...ld(0, 0xdeadbeefcafen), asm.mov64Imm(2, 0), asm.alu64Reg(Div, 0, 2)], 0n);
ret('umod64 by zero register keeps dst', [...ld(0, 0x123456789abcdef0n), asm.mov64Imm(2, 0), asm.alu64Reg(Mod, 0, 2)], 0x123456789abcdef0n);
ret('udiv64 imm -1 is by 2^64-1', [...ld(0, -1n), asm.alu64Imm(Div, 0, -1)], 1n);
ret('udiv64 small by imm -1', [asm.mov64Imm(0, 5), asm.alu64Imm(Div, 0, -1)], 0n);
ret('umod64 by imm -1', [asm.mov64Imm(0, 5), asm.alu64Imm(Mod, 0, -1)], 5n);
ret('udiv64 unsigned', [asm.mov64Imm(0, -8), asm.alu64Imm(Div, 0, 2)], u64(-8n) / 2n);
ret('sdiv64 truncates toward zero', [asm.mov64Imm(0, -7), asm.mov64Imm(2, 2), asm.alu64Reg(Div, 0, 2, 1)], -3n, { since: V4 });
ret('sdiv64 by negative imm', [asm.mov64Imm(0, 7), asm.alu64Imm(Div, 0, -2, 1)], -3n, { since: V4 });
ret('smod64 has the dividend sign', [asm.mov64Imm(0, -7), asm.mov64Imm(2, 2), asm.alu64Reg(Mod, 0, 2, 1)], -1n, { since: V4 });
ret('smod64 by negative imm', [asm.mov64Imm(0, 7), asm.alu64Imm(Mod, 0, -2, 1)], 1n, { since: V4 });
ret('sdiv64 INT64_MIN / -1 register', [...ld(0, INT64_MIN), asm.mov64Imm(2, -1), asm.alu64Reg(Div, 0, 2, 1)], INT64_MIN, { since: V4 });
ret('sdiv64 INT64_MIN / -1 imm', [...ld(0, INT64_MIN), asm.alu64Imm(Div, 0, -1, 1)], INT64_MIN, { since: V4 });
ret('smod64 INT64_MIN % -1 register', [...ld(0, INT64_MIN), asm.mov64Imm(2, -1), asm.alu64Reg(Mod, 0, 2, 1)], 0n, { since: V4 });
ret('smod64 INT64_MIN % -1 imm', [...ld(0, INT64_MIN), asm.alu64Imm(Mod, 0, -1, 1)], 0n, { since: V4 });
ret('sdiv64 by zero register', [asm.mov64Imm(0, -5), asm.mov64Imm(2, 0), asm.alu64Reg(Div, 0, 2, 1)], 0n, { since: V4 });
ret('smod64 by zero register keeps dst', [asm.mov64Imm(0, -5), asm.mov64Imm(2, 0), asm.alu64Reg(Mod, 0, 2, 1)], -5n, { since: V4 });
ret('lsh64 by register 65 is masked to 1', [asm.mov64Imm(0, 1), asm.mov64Imm(2, 65), asm.alu64Reg(Lsh, 0, 2)], 2n);
ret('rsh64 by register 64 is masked to 0', [...ld(0, PATTERN), asm.mov64Imm(2, 64), asm.alu64Reg(Rsh, 0, 2)], PATTERN);
ret('lsh64 by 63', [asm.mov64Imm(0, 1), asm.alu64Imm(Lsh, 0, 63)], INT64_MIN);
ret('rsh64 is logical', [asm.mov64Imm(0, -16), asm.alu64Imm(Rsh, 0, 2)], u64(-16n) >> 2n);
ret('arsh64 of a negative', [asm.mov64Imm(0, -16), asm.alu64Imm(Arsh, 0, 2)], -4n);
ret('arsh64 by register 127 is masked to 63', [asm.mov64Imm(0, -16), asm.mov64Imm(2, 127), asm.alu64Reg(Arsh, 0, 2)], -1n);
ret('neg64', [asm.mov64Imm(0, 5), asm.neg64(0)], -5n);
ret('neg64 INT64_MIN', [...ld(0, INT64_MIN), asm.neg64(0)], INT64_MIN);
ret('movsx64 s8', [asm.mov64Imm(2, 0x180), asm.movsx64(0, 2, 8)], -128n, { since: V4 });
ret('movsx64 s8 positive', [asm.mov64Imm(2, 0x17f), asm.movsx64(0, 2, 8)], 127n, { since: V4 });
ret('movsx64 s16', [asm.mov64Imm(2, 0x8001), asm.movsx64(0, 2, 16)], -32767n, { since: V4 });
ret('movsx64 s32', [...ld(2, 0x7777777780000000n), asm.movsx64(0, 2, 32)], -(2n ** 31n), { since: V4 });

// ---- ALU (32-bit): results zero-extend into 64 bits ----
ret('add32 wraps and clears the high half', [...ld(0, 0xaaaaaaaaffffffffn), asm.alu32Imm(Add, 0, 2)], 1n);
ret('sub32', [asm.mov64Imm(0, 0), asm.alu32Imm(Sub, 0, 1)], 0xffffffffn);
ret('mul32 wraps', [asm.mov32Imm(0, 0x10001), asm.mov32Imm(2, 0x10001), asm.alu32Reg(Mul, 0, 2)], 0x20001n);
ret('udiv32 by zero register', [...ld(0, 0xdeadbeef12345678n), asm.mov64Imm(2, 0), asm.alu32Reg(Div, 0, 2)], 0n);
ret('udiv32 by register whose low half is zero', [asm.mov64Imm(0, 100), ...ld(2, 0x100000000n), asm.alu32Reg(Div, 0, 2)], 0n);
ret('umod32 by zero register zero-extends dst', [...ld(0, 0xdeadbeef12345678n), asm.mov64Imm(2, 0), asm.alu32Reg(Mod, 0, 2)], 0x12345678n);
ret('udiv32 is unsigned', [asm.mov32Imm(0, -8), asm.alu32Imm(Div, 0, 2)], 0x7ffffffcn);
ret('umod32 by imm', [asm.mov64Imm(0, 100), asm.alu32Imm(Mod, 0, 7)], 2n);
ret('sdiv32 truncates toward zero', [asm.mov32Imm(0, -7), asm.mov32Imm(2, 2), asm.alu32Reg(Div, 0, 2, 1)], u32(-3n), { since: V4 });
ret('sdiv32 INT_MIN / -1 register', [asm.mov32Imm(0, -0x80000000), asm.mov32Imm(2, -1), asm.alu32Reg(Div, 0, 2, 1)], 0x80000000n, { since: V4 });
ret('sdiv32 INT_MIN / -1 imm', [asm.mov32Imm(0, -0x80000000), asm.alu32Imm(Div, 0, -1, 1)], 0x80000000n, { since: V4 });
ret('smod32 INT_MIN % -1 register', [asm.mov32Imm(0, -0x80000000), asm.mov32Imm(2, -1), asm.alu32Reg(Mod, 0, 2, 1)], 0n, { since: V4 });
ret('smod32 INT_MIN % -1 imm', [asm.mov32Imm(0, -0x80000000), asm.alu32Imm(Mod, 0, -1, 1)], 0n, { since: V4 });
ret('sdiv32 INT_MIN / 2', [asm.mov32Imm(0, -0x80000000), asm.mov32Imm(2, 2), asm.alu32Reg(Div, 0, 2, 1)], 0xc0000000n, {
  since: V4, note: 'JIT answer; the interpreter (JIT off) got S32_MIN dividends wrong before the abs_s32() fix (CVE-2026-31525)',
});
ret('smod32 INT_MIN % 3', [asm.mov32Imm(0, -0x80000000), asm.alu32Imm(Mod, 0, 3, 1)], u32(-2n), {
  since: V4, note: 'JIT answer; see sdiv32 INT_MIN / 2',
});
ret('sdiv32 by zero register', [asm.mov32Imm(0, -7), asm.mov64Imm(2, 0), asm.alu32Reg(Div, 0, 2, 1)], 0n, { since: V4 });
ret('smod32 by zero register zero-extends dst', [asm.mov64Imm(0, -7), asm.mov64Imm(2, 0), asm.alu32Reg(Mod, 0, 2, 1)], 0xfffffff9n, { since: V4 });
ret('smod32 has the dividend sign', [asm.mov32Imm(0, -7), asm.alu32Imm(Mod, 0, 2, 1)], 0xffffffffn, { since: V4 });
ret('smod32 by negative', [asm.mov32Imm(0, 7), asm.alu32Imm(Mod, 0, -2, 1)], 1n, { since: V4 });
ret('lsh32 by register 33 is masked to 1', [asm.mov64Imm(0, 1), asm.mov64Imm(2, 33), asm.alu32Reg(Lsh, 0, 2)], 2n);
ret('rsh32 by register 32 is masked to 0', [...ld(0, 0x1234567887654321n), asm.mov64Imm(2, 32), asm.alu32Reg(Rsh, 0, 2)], 0x87654321n);
ret('arsh32 of a negative', [asm.mov32Imm(0, -0x80000000), asm.alu32Imm(Arsh, 0, 4)], 0xf8000000n);
ret('arsh32 ignores the high half', [...ld(0, 0x0000000180000000n), asm.alu32Imm(Arsh, 0, 31)], 0xffffffffn);
ret('neg32', [asm.mov64Imm(0, 1), asm.neg32(0)], 0xffffffffn);
ret('xor32 clears the high half', [asm.mov64Imm(0, -1), asm.alu32Imm(Xor, 0, 0x0f)], 0xfffffff0n);
ret('movsx32 s8', [asm.mov64Imm(2, 0xff80), asm.movsx32(0, 2, 8)], 0xffffff80n, { since: V4 });
ret('movsx32 s16', [asm.mov64Imm(2, 0x18000), asm.movsx32(0, 2, 16)], 0xffff8000n, { since: V4 });

// ---- byte order ----
ret('bswap16', [...ld(0, PATTERN), asm.bswap(0, 16)], 0x8877n, { since: V4 });
ret('bswap32', [...ld(0, PATTERN), asm.bswap(0, 32)], 0x88776655n, { since: V4 });
ret('bswap64', [...ld(0, PATTERN), asm.bswap(0, 64)], 0x8877665544332211n, { since: V4 });
ret('le16 truncates', [...ld(0, PATTERN), asm.endian(0, 16, 'le')], 0x7788n);
ret('le32 truncates', [...ld(0, PATTERN), asm.endian(0, 32, 'le')], 0x55667788n);
ret('le64 is a no-op', [...ld(0, PATTERN), asm.endian(0, 64, 'le')], PATTERN);
ret('be16 swaps', [...ld(0, PATTERN), asm.endian(0, 16, 'be')], 0x8877n);
ret('be32 swaps', [...ld(0, PATTERN), asm.endian(0, 32, 'be')], 0x88776655n);
ret('be64 swaps', [...ld(0, PATTERN), asm.endian(0, 64, 'be')], 0x8877665544332211n);

// ---- JMP / JMP32 ----
const minus1 = [asm.mov64Imm(2, -1)];
branch('jgt is unsigned: -1 > 1', minus1, asm.jmpImm(Jgt, 2, 1, 1), true);
branch('jsgt is signed: -1 > 1', minus1, asm.jmpImm(Jsgt, 2, 1, 1), false);
branch('jge equal', minus1, asm.jmpImm(Jge, 2, -1, 1), true);
branch('jlt unsigned', minus1, asm.jmpImm(Jlt, 2, 1, 1), false);
branch('jle unsigned', [asm.mov64Imm(2, 1)], asm.jmpImm(Jle, 2, -1, 1), true);
branch('jslt signed', minus1, asm.jmpImm(Jslt, 2, 0, 1), true);
branch('jsle signed', minus1, asm.jmpImm(Jsle, 2, -2, 1), false);
branch('jsge signed', minus1, asm.jmpImm(Jsge, 2, -1, 1), true);
branch('jne', minus1, asm.jmpImm(Jne, 2, -1, 1), false);
branch('jeq imm sign-extends: 0xffffffff != -1', [asm.mov32Imm(2, -1)], asm.jmpImm(Jeq, 2, -1, 1), false);
branch('jmp32 jeq: 0xffffffff == -1', [asm.mov32Imm(2, -1)], asm.jmp32Imm(Jeq, 2, -1, 1), true);
branch('jgt sees the high half', ld(2, 0x100000000n), asm.jmpImm(Jgt, 2, 0, 1), true);
branch('jmp32 jgt ignores the high half', ld(2, 0x100000000n), asm.jmp32Imm(Jgt, 2, 0, 1), false);
branch('jslt 64: 0x80000000 is positive', [asm.mov32Imm(2, -0x80000000)], asm.jmpImm(Jslt, 2, 0, 1), false);
branch('jmp32 jslt: 0x80000000 is negative', [asm.mov32Imm(2, -0x80000000)], asm.jmp32Imm(Jslt, 2, 0, 1), true);
branch('jset imm sign-extends to bit 63', ld(2, INT64_MIN), asm.jmpImm(Jset, 2, -0x80000000, 1), true);
branch('jmp32 jset sees only the low half', ld(2, INT64_MIN), asm.jmp32Imm(Jset, 2, -0x80000000, 1), false);
const regPair = [asm.mov64Imm(2, -5), asm.mov64Imm(3, 3)];
branch('jgt reg unsigned', regPair, asm.jmpReg(Jgt, 2, 3, 1), true);
branch('jsgt reg signed', regPair, asm.jmpReg(Jsgt, 2, 3, 1), false);
branch('jslt reg', regPair, asm.jmpReg(Jslt, 2, 3, 1), true);
branch('jsge reg', regPair, asm.jmpReg(Jsge, 3, 2, 1), true);
branch('jle reg', regPair, asm.jmpReg(Jle, 3, 2, 1), true);
branch('jlt reg', regPair, asm.jmpReg(Jlt, 2, 3, 1), false);
branch('jge reg', regPair, asm.jmpReg(Jge, 2, 3, 1), true);
branch('jsle reg', regPair, asm.jmpReg(Jsle, 2, 3, 1), true);
branch('jeq reg', regPair, asm.jmpReg(Jeq, 2, 3, 1), false);
branch('jne reg', regPair, asm.jmpReg(Jne, 2, 3, 1), true);
branch('jset reg', regPair, asm.jmpReg(Jset, 2, 3, 1), true);
const regPair32 = [...ld(2, 0x00000001_fffffffbn), ...ld(3, 0xffffffff_00000003n)];
branch('jmp32 jsgt reg', regPair32, asm.jmp32Reg(Jsgt, 2, 3, 1), false);
branch('jmp32 jgt reg', regPair32, asm.jmp32Reg(Jgt, 2, 3, 1), true);
branch('jmp32 jslt reg', regPair32, asm.jmp32Reg(Jslt, 2, 3, 1), true);
branch('jmp32 jle reg', regPair32, asm.jmp32Reg(Jle, 3, 2, 1), true);
branch('jmp32 jne reg', regPair32, asm.jmp32Reg(Jne, 2, 3, 1), true);
branch('jmp32 jset reg', regPair32, asm.jmp32Reg(Jset, 2, 3, 1), true);
branch('jmp32 jge imm', [asm.mov32Imm(2, -1)], asm.jmp32Imm(Jge, 2, -1, 1), true);
branch('jmp32 jlt imm', [asm.mov32Imm(2, 5)], asm.jmp32Imm(Jlt, 2, -1, 1), true);
branch('jmp32 jsle imm', [asm.mov32Imm(2, 5)], asm.jmp32Imm(Jsle, 2, -1, 1), false);
branch('jmp32 jsge imm', [asm.mov32Imm(2, 5)], asm.jmp32Imm(Jsge, 2, -1, 1), true);
isaCases.push({
  name: 'backward jump loop', expect: 30n,
  insns: [asm.mov64Imm(0, 0), asm.mov64Imm(2, 10), asm.alu64Imm(Add, 0, 3), asm.alu64Imm(Sub, 2, 1), asm.jmpImm(Jne, 2, 0, -3), asm.exit()],
});
// The skipped insn must stay reachable in the CFG (the verifier refuses unreachable code): a never-taken branch reaches it.
const skipped = (jump: Insn): Insn[] =>
  [asm.mov64Imm(0, 1), asm.mov64Imm(2, 0), asm.jmpImm(Jne, 2, 0, 1), jump, asm.mov64Imm(0, 2), asm.exit()];
isaCases.push({ name: 'ja skips', expect: 1n, insns: skipped(asm.ja(1)) });
isaCases.push({ name: 'gotol (jmp32 ja) uses imm', expect: 1n, since: V4, insns: skipped(asm.gotol(1)) });
isaCases.push({
  name: 'may_goto falls through while the budget lasts', expect: 5n, since: '6.9',
  insns: [asm.mov64Imm(0, 0), asm.mov64Imm(2, 5), asm.mayGoto(3), asm.alu64Imm(Add, 0, 1), asm.alu64Imm(Sub, 2, 1), asm.jmpImm(Jne, 2, 0, -4), asm.exit()],
});

// ---- LDX / ST / STX (on the stack) ----
ret('st dw imm sign-extends', [asm.st(8, 10, -8, -1), asm.ldx(8, 0, 10, -8)], -1n);
ret('stx b truncates', [asm.st(8, 10, -8, 0), asm.mov64Imm(2, 0x1234), asm.stx(1, 10, 2, -8), asm.ldx(8, 0, 10, -8)], 0x34n);
ret('stx h / w truncate', [asm.st(8, 10, -8, 0), ...ld(2, 0x1122334455667788n), asm.stx(2, 10, 2, -8), asm.stx(4, 10, 2, -4), asm.ldx(8, 0, 10, -8)],
  0x5566778800007788n);
ret('stx dw, ldx dw', [...ld(2, PATTERN), asm.stx(8, 10, 2, -16), asm.ldx(8, 0, 10, -16)], PATTERN);
ret('memory is little-endian', [asm.st(4, 10, -8, 0x11223344), asm.ldx(1, 0, 10, -8), asm.ldx(2, 2, 10, -6),
  asm.alu64Imm(Lsh, 2, 8), asm.alu64Reg(Or, 0, 2)], 0x112244n);
ret('ldx w zero-extends', [asm.st(4, 10, -4, -1), asm.ldx(4, 0, 10, -4)], 0xffffffffn);
ret('ldxsx b', [asm.st(1, 10, -1, 0x80), asm.ldxsx(1, 0, 10, -1)], -128n, { since: V4 });
ret('ldxsx b positive', [asm.st(1, 10, -1, 0x7f), asm.ldxsx(1, 0, 10, -1)], 127n, { since: V4 });
ret('ldxsx h', [asm.st(2, 10, -2, 0x8000), asm.ldxsx(2, 0, 10, -2)], -32768n, { since: V4 });
ret('ldxsx w', [asm.st(4, 10, -4, -0x80000000), asm.ldxsx(4, 0, 10, -4)], -(2n ** 31n), { since: V4 });

// ---- atomics (on the stack) ----
/** mem (8 bytes at fp-8) = init; r2 = operand; the atomic; r0 = mem, r3 = r2 afterwards; returns (r3 << 32) | low32(mem). */
function atomicCase(name: string, size: 4 | 8, op: number, init: bigint, operand: bigint, mem: bigint, fetched: bigint, extra: Extra = {}): void {
  ret(name, [
    ...ld(4, init), asm.stx(8, 10, 4, -8), ...ld(2, operand), asm.atomic(size, op, 10, 2, -8),
    asm.ldx(size, 0, 10, -8), asm.mov32Reg(0, 0), asm.mov64Reg(3, 2), asm.alu64Imm(Lsh, 3, 32), asm.alu64Reg(Or, 0, 3),
  ], (u32(fetched) << 32n) | u32(mem), extra);
}
const OP = 0x00000001_0000000fn; // a high half that 32-bit atomics must ignore
atomicCase('atomic add w', 4, AtomicOp.Add, 10n, OP, 25n, OP);
atomicCase('atomic add w fetch', 4, AtomicOp.Add | Fetch, 10n, OP, 25n, 10n);
atomicCase('atomic add w fetch wraps', 4, AtomicOp.Add | Fetch, 0xfffffff5n, OP, 4n, 0xfffffff5n);
atomicCase('atomic and w', 4, AtomicOp.And, 0xff00ff0cn, OP, 0x0cn, OP);
atomicCase('atomic and w fetch', 4, AtomicOp.And | Fetch, 0xff00ff0cn, OP, 0x0cn, 0xff00ff0cn);
atomicCase('atomic or w', 4, AtomicOp.Or, 0x100n, OP, 0x10fn, OP);
atomicCase('atomic or w fetch', 4, AtomicOp.Or | Fetch, 0x100n, OP, 0x10fn, 0x100n);
atomicCase('atomic xor w', 4, AtomicOp.Xor, 0xffn, OP, 0xf0n, OP);
atomicCase('atomic xor w fetch', 4, AtomicOp.Xor | Fetch, 0xffn, OP, 0xf0n, 0xffn);
atomicCase('atomic xchg w', 4, Xchg, 0xabcdn, OP, 0xfn, 0xabcdn);
/** 64-bit atomics: two cases pairs, the memory word and the fetched register. */
function atomic64(name: string, op: number, init: bigint, operand: bigint, mem: bigint, fetched: bigint): void {
  const body = [...ld(4, init), asm.stx(8, 10, 4, -8), ...ld(2, operand), asm.atomic(8, op, 10, 2, -8)];
  ret(`${name}: memory`, [...body, asm.ldx(8, 0, 10, -8)], mem);
  ret(`${name}: register`, [...body, asm.mov64Reg(0, 2)], fetched);
}
const A = 0x8000000f_00000003n;
const B = 0x00000011_80000005n;
atomic64('atomic add dw', AtomicOp.Add, A, B, u64(A + B), B);
atomic64('atomic add dw fetch', AtomicOp.Add | Fetch, A, B, u64(A + B), A);
atomic64('atomic and dw', AtomicOp.And, A, B, A & B, B);
atomic64('atomic and dw fetch', AtomicOp.And | Fetch, A, B, A & B, A);
atomic64('atomic or dw', AtomicOp.Or, A, B, A | B, B);
atomic64('atomic or dw fetch', AtomicOp.Or | Fetch, A, B, A | B, A);
atomic64('atomic xor dw', AtomicOp.Xor, A, B, A ^ B, B);
atomic64('atomic xor dw fetch', AtomicOp.Xor | Fetch, A, B, A ^ B, A);
atomic64('atomic xchg dw', Xchg, A, B, B, A);

/** cmpxchg: mem = init; r0 = expected; r2 = desired; returns mem or r0 afterwards. */
function cmpxchg(name: string, size: 4 | 8, init: bigint, expected: bigint, desired: bigint, mem: bigint, r0: bigint): void {
  const body = [...ld(4, init), asm.stx(8, 10, 4, -8), ...ld(0, expected), ...ld(2, desired), asm.atomic(size, Cmpxchg, 10, 2, -8)];
  ret(`${name}: memory`, [...body, asm.ldx(8, 0, 10, -8)], mem);
  ret(`${name}: r0`, body, r0);
}
cmpxchg('cmpxchg dw success', 8, A, A, B, B, A);
cmpxchg('cmpxchg dw failure', 8, A, A + 1n, B, A, A);
// 32-bit: compares only r0's low half, zero-extends the old value into r0, leaves memory's high half.
cmpxchg('cmpxchg w success', 4, 0x77777777_00000005n, 0xffffffff_00000005n, 0x12345678_9abcdef0n, 0x77777777_9abcdef0n, 5n);
cmpxchg('cmpxchg w failure', 4, 0x77777777_00000005n, 0x00000000_00000006n, 0x12345678_9abcdef0n, 0x77777777_00000005n, 5n);

isaCases.push({
  name: 'load-acquire / store-release', expect: 42n, since: '6.15',
  insns: [asm.mov64Imm(2, 42), asm.atomic(8, AtomicOp.StoreRel, 10, 2, -8), asm.atomic(8, AtomicOp.LoadAcq, 0, 10, -8), asm.exit()],
});
isaCases.push({
  name: 'load-acquire b zero-extends', expect: 0xf0n, since: '6.15',
  insns: [asm.st(8, 10, -8, -16), asm.atomic(1, AtomicOp.LoadAcq, 0, 10, -8), asm.exit()],
});

// ---- bpf-to-bpf calls ----
// main keeps r6-r9 and its stack across a call whose callee writes its own r6 and its own fp-8.
isaCases.push({
  name: 'call preserves r6-r9 and the caller stack', expect: 1699n,
  insns: [
    asm.mov64Imm(6, 7), asm.mov64Imm(7, 8), asm.mov64Imm(8, 9), asm.mov64Imm(9, 10), asm.st(8, 10, -8, 100),
    asm.mov64Imm(1, 5), asm.callLocal(7),
    asm.alu64Reg(Add, 0, 6), asm.alu64Reg(Add, 0, 7), asm.alu64Reg(Add, 0, 8), asm.alu64Reg(Add, 0, 9),
    asm.ldx(8, 2, 10, -8), asm.alu64Reg(Add, 0, 2), asm.exit(),
    // callee (insn 14): r0 = r1 * 2 + its fp-8 (555) + its r6 (1000)
    asm.mov64Imm(6, 1000), asm.st(8, 10, -8, 555), asm.mov64Reg(0, 1), asm.alu64Imm(Mul, 0, 2),
    asm.ldx(8, 2, 10, -8), asm.alu64Reg(Add, 0, 2), asm.alu64Reg(Add, 0, 6), asm.exit(),
  ],
});
// Five arguments, two levels: f(a..e) = g(a + e, b, c, d) * 10 + b, g(a..d) = a*1000 + b*100 + c*10 + d.
isaCases.push({
  name: 'nested calls pass r1-r5', expect: BigInt(((1 + 5) * 1000 + 200 + 30 + 4) * 10 + 2),
  insns: [
    asm.mov64Imm(1, 1), asm.mov64Imm(2, 2), asm.mov64Imm(3, 3), asm.mov64Imm(4, 4), asm.mov64Imm(5, 5),
    asm.callLocal(1), asm.exit(),
    // f (insn 7)
    asm.mov64Reg(6, 2), asm.alu64Reg(Add, 1, 5), asm.callLocal(3), asm.alu64Imm(Mul, 0, 10), asm.alu64Reg(Add, 0, 6), asm.exit(),
    // g (insn 13)
    asm.mov64Reg(0, 1), asm.alu64Imm(Mul, 0, 1000), asm.alu64Imm(Mul, 2, 100), asm.alu64Reg(Add, 0, 2),
    asm.alu64Imm(Mul, 3, 10), asm.alu64Reg(Add, 0, 3), asm.alu64Reg(Add, 0, 4), asm.exit(),
  ],
});
// A pointer to the caller's stack passed down: the callee writes through it.
isaCases.push({
  name: 'callee writes through a pointer to the caller stack', expect: 77n,
  insns: [
    asm.st(8, 10, -8, 0), asm.mov64Reg(1, 10), asm.alu64Imm(Add, 1, -8), asm.callLocal(2), asm.ldx(8, 0, 10, -8), asm.exit(),
    // callee (insn 6)
    asm.st(8, 1, 0, 77), asm.mov64Imm(0, 0), asm.exit(),
  ],
});
