// The eBPF instruction set as numbers (RFC 9669; include/uapi/linux/bpf.h, bpf_common.h), the 8-byte
// wire format, and a compact assembler for tests and hand-written programs.

/** One 8-byte eBPF instruction, decoded (RFC 9669 §3). ld_imm64 occupies two slots; the second is kept. */
export interface Insn {
  code: number;
  dst: number;
  src: number;
  /** Signed 16-bit. */
  off: number;
  /** Signed 32-bit. */
  imm: number;
}

/** Instruction classes: the low 3 bits of the opcode. */
export const Class = { Ld: 0x00, Ldx: 0x01, St: 0x02, Stx: 0x03, Alu: 0x04, Jmp: 0x05, Jmp32: 0x06, Alu64: 0x07 } as const;

/** Load/store access sizes (bits 3-4). */
export const Size = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;

/** Load/store modes (bits 5-7). ABS/IND are the legacy packet loads, which this project refuses at load. */
export const Mode = { Imm: 0x00, Abs: 0x20, Ind: 0x40, Mem: 0x60, MemSx: 0x80, Atomic: 0xc0 } as const;

/** ALU/JMP operand source (bit 3): the immediate (K) or src_reg (X). For ALU END it is the byte order. */
export const Source = { K: 0x00, X: 0x08 } as const;
export const Endian = { ToLe: 0x00, ToBe: 0x08 } as const;

export const AluOp = {
  Add: 0x00, Sub: 0x10, Mul: 0x20, Div: 0x30, Or: 0x40, And: 0x50, Lsh: 0x60, Rsh: 0x70,
  Neg: 0x80, Mod: 0x90, Xor: 0xa0, Mov: 0xb0, Arsh: 0xc0, End: 0xd0,
} as const;

export const JmpOp = {
  Ja: 0x00, Jeq: 0x10, Jgt: 0x20, Jge: 0x30, Jset: 0x40, Jne: 0x50, Jsgt: 0x60, Jsge: 0x70,
  Call: 0x80, Exit: 0x90, Jlt: 0xa0, Jle: 0xb0, Jslt: 0xc0, Jsle: 0xd0,
  /** BPF_JCOND: with src_reg BPF_MAY_GOTO (0), `may_goto` (kernel 6.9+). */
  Jcond: 0xe0,
} as const;

/** The imm of a BPF_STX | BPF_ATOMIC instruction (include/uapi/linux/bpf.h). */
export const AtomicOp = {
  Add: 0x00, Or: 0x40, And: 0x50, Xor: 0xa0,
  /** Or'ed into Add/Or/And/Xor: the old value is returned in src_reg. */
  Fetch: 0x01,
  /** BPF_XCHG = 0xe0 | BPF_FETCH */
  Xchg: 0xe1,
  /** BPF_CMPXCHG = 0xf0 | BPF_FETCH: compares with r0, old value into r0. */
  Cmpxchg: 0xf1,
  /** BPF_LOAD_ACQ / BPF_STORE_REL (kernel 6.15+): all four sizes. */
  LoadAcq: 0x100,
  StoreRel: 0x110,
} as const;

/** src_reg of ld_imm64 (include/uapi/linux/bpf.h BPF_PSEUDO_*). */
/** BPF_LD | BPF_DW | BPF_IMM: the two-slot 64-bit constant load (ld_imm64), the one BPF_LD the verifier keeps. */
export const LD_IMM64 = 0x18;
/** BPF_JMP | BPF_CALL: a helper, kfunc or bpf-to-bpf call (src_reg says which). */
export const CALL = Class.Jmp | JmpOp.Call;
export const PseudoLd = { MapFd: 1, MapValue: 2, BtfId: 3, Func: 4, MapIdx: 5, MapIdxValue: 6 } as const;
/** src_reg of BPF_JMP | BPF_CALL. */
export const CallKind = { Helper: 0, Local: 1, Kfunc: 2 } as const;

/** include/linux/filter.h BPF_ADDR_SPACE_CAST: the off of an arena address-space cast (a MOV64 X). */
export const BPF_ADDR_SPACE_CAST = 1;

/** include/linux/bpf.h: MAX_BPF_STACK; include/linux/bpf_verifier.h: MAX_CALL_FRAMES. */
export const MAX_BPF_STACK = 512;
export const MAX_CALL_FRAMES = 8;
/** include/linux/bpf.h MAX_TAIL_CALL_CNT: the tail calls one run of a program may make. */
export const MAX_TAIL_CALL_CNT = 33;
/** include/linux/bpf.h BPF_MAX_LOOPS: the may_goto budget the verifier seeds (also bpf_loop's cap). */
export const BPF_MAX_LOOPS = 8 * 1024 * 1024;

export const classOf = (code: number): number => code & 0x07;
export const sizeOf = (code: number): number => code & 0x18;
export const modeOf = (code: number): number => code & 0xe0;
export const opOf = (code: number): number => code & 0xf0;
export const srcOf = (code: number): number => code & 0x08;

/** Bytes accessed by a load/store size field. */
export function sizeBytes(code: number): 1 | 2 | 4 | 8 {
  switch (code & 0x18) {
    case Size.B: return 1;
    case Size.H: return 2;
    case Size.W: return 4;
    default: return 8;
  }
}

const sizeField = (bytes: 1 | 2 | 4 | 8): number =>
  bytes === 1 ? Size.B : bytes === 2 ? Size.H : bytes === 4 ? Size.W : Size.DW;

/** Decodes the 8-byte little-endian wire format (code u8, dst:4 | src:4, off s16, imm s32). */
export function decodeInsns(bytes: Uint8Array): Insn[] {
  if (bytes.length % 8 !== 0) throw new RangeError(`instruction bytes: length ${bytes.length} is not a multiple of 8`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Insn[] = new Array(bytes.length / 8);
  for (let i = 0, p = 0; p < bytes.length; i++, p += 8) {
    const regs = bytes[p + 1]!;
    out[i] = { code: bytes[p]!, dst: regs & 0x0f, src: regs >> 4, off: view.getInt16(p + 2, true), imm: view.getInt32(p + 4, true) };
  }
  return out;
}

export function encodeInsns(insns: readonly Insn[]): Uint8Array {
  const bytes = new Uint8Array(insns.length * 8);
  const view = new DataView(bytes.buffer);
  insns.forEach((insn, i) => {
    const p = i * 8;
    bytes[p] = insn.code;
    bytes[p + 1] = (insn.dst & 0x0f) | ((insn.src & 0x0f) << 4);
    view.setInt16(p + 2, insn.off, true);
    view.setInt32(p + 4, insn.imm | 0, true);
  });
  return bytes;
}

type Bytes = 1 | 2 | 4 | 8;
const insn = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });

/**
 * A small assembler. Ops are AluOp/JmpOp/AtomicOp values, sizes are byte widths. `off` on ALU ops selects
 * the v4 variants: 1 = signed DIV/MOD; 8/16/32 = MOVSX. Jump offsets are relative to the next instruction.
 */
export const asm = {
  raw: insn,
  alu64Imm: (op: number, dst: number, imm: number, off = 0) => insn(Class.Alu64 | op | Source.K, dst, 0, off, imm),
  alu64Reg: (op: number, dst: number, src: number, off = 0) => insn(Class.Alu64 | op | Source.X, dst, src, off, 0),
  alu32Imm: (op: number, dst: number, imm: number, off = 0) => insn(Class.Alu | op | Source.K, dst, 0, off, imm),
  alu32Reg: (op: number, dst: number, src: number, off = 0) => insn(Class.Alu | op | Source.X, dst, src, off, 0),
  mov64Imm: (dst: number, imm: number) => asm.alu64Imm(AluOp.Mov, dst, imm),
  mov64Reg: (dst: number, src: number) => asm.alu64Reg(AluOp.Mov, dst, src),
  mov32Imm: (dst: number, imm: number) => asm.alu32Imm(AluOp.Mov, dst, imm),
  mov32Reg: (dst: number, src: number) => asm.alu32Reg(AluOp.Mov, dst, src),
  /** movsx: dst = (s8/s16/s32) src, 64-bit (ALU64) or 32-bit (ALU, 8/16 only). */
  movsx64: (dst: number, src: number, bits: 8 | 16 | 32) => asm.alu64Reg(AluOp.Mov, dst, src, bits),
  movsx32: (dst: number, src: number, bits: 8 | 16) => asm.alu32Reg(AluOp.Mov, dst, src, bits),
  neg64: (dst: number) => insn(Class.Alu64 | AluOp.Neg, dst),
  neg32: (dst: number) => insn(Class.Alu | AluOp.Neg, dst),
  /** ALU64 END: unconditional byte swap of the low `bits` (v4 bswap). */
  bswap: (dst: number, bits: 16 | 32 | 64) => insn(Class.Alu64 | AluOp.End, dst, 0, 0, bits),
  /** ALU END: host (little-endian) to `order`: le truncates, be swaps. */
  endian: (dst: number, bits: 16 | 32 | 64, order: 'le' | 'be') =>
    insn(Class.Alu | AluOp.End | (order === 'be' ? Endian.ToBe : Endian.ToLe), dst, 0, 0, bits),
  /** Two slots: dst = value (src_reg selects a pseudo source, e.g. PseudoLd.MapFd, left for the loader). */
  ldImm64: (dst: number, value: bigint, src = 0): [Insn, Insn] => {
    const v = BigInt.asUintN(64, value);
    return [insn(LD_IMM64, dst, src, 0, Number(BigInt.asIntN(32, v))),
      insn(0, 0, 0, 0, Number(BigInt.asIntN(32, v >> 32n)))];
  },
  /** ld_imm64 of a callback's address (BPF_PSEUDO_FUNC): the function starts at this insn + 1 + rel. */
  ldFunc: (dst: number, rel: number): [Insn, Insn] => [insn(LD_IMM64, dst, PseudoLd.Func, 0, rel), insn(0)],
  ldx: (size: Bytes, dst: number, src: number, off: number) => insn(Class.Ldx | sizeField(size) | Mode.Mem, dst, src, off),
  /** Sign-extending load (v4 MEMSX), 1/2/4 bytes. */
  ldxsx: (size: 1 | 2 | 4, dst: number, src: number, off: number) => insn(Class.Ldx | sizeField(size) | Mode.MemSx, dst, src, off),
  stx: (size: Bytes, dst: number, src: number, off: number) => insn(Class.Stx | sizeField(size) | Mode.Mem, dst, src, off),
  st: (size: Bytes, dst: number, off: number, imm: number) => insn(Class.St | sizeField(size) | Mode.Mem, dst, 0, off, imm),
  /** STX | ATOMIC: `op` is an AtomicOp value (e.g. AtomicOp.Add | AtomicOp.Fetch). */
  atomic: (size: Bytes, op: number, dst: number, src: number, off: number) => insn(Class.Stx | sizeField(size) | Mode.Atomic, dst, src, off, op),
  jmpImm: (op: number, dst: number, imm: number, off: number) => insn(Class.Jmp | op | Source.K, dst, 0, off, imm),
  jmpReg: (op: number, dst: number, src: number, off: number) => insn(Class.Jmp | op | Source.X, dst, src, off),
  jmp32Imm: (op: number, dst: number, imm: number, off: number) => insn(Class.Jmp32 | op | Source.K, dst, 0, off, imm),
  jmp32Reg: (op: number, dst: number, src: number, off: number) => insn(Class.Jmp32 | op | Source.X, dst, src, off),
  ja: (off: number) => insn(Class.Jmp | JmpOp.Ja, 0, 0, off),
  /** gotol: JMP32 | JA with a 32-bit offset in imm (v4). */
  gotol: (imm: number) => insn(Class.Jmp32 | JmpOp.Ja, 0, 0, 0, imm),
  mayGoto: (off: number) => insn(Class.Jmp | JmpOp.Jcond, 0, 0, off),
  call: (helper: number) => insn(Class.Jmp | JmpOp.Call, 0, CallKind.Helper, 0, helper),
  /** bpf-to-bpf call: the callee starts at this insn + 1 + rel. */
  callLocal: (rel: number) => insn(Class.Jmp | JmpOp.Call, 0, CallKind.Local, 0, rel),
  callKfunc: (id: number) => insn(Class.Jmp | JmpOp.Call, 0, CallKind.Kfunc, 0, id),
  exit: () => insn(Class.Jmp | JmpOp.Exit),
};
