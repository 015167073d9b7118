// Seeded random eBPF programs that the verifier accepts, for kernel-vs-emulator differential runs.
// Every program keeps r0-r8 scalar at every instruction boundary outside its own small blocks (helper
// calls, packet accesses), r9 holds the context and r10 the frame: so any mix of ALU ops, conditional
// forward jumps, stack traffic and bounded loops over those registers is verifiable by construction.
// Stack slots are read only where every path has written them; map values only behind a NULL check;
// the packet only behind the canonical bounds check. The epilogue stores r0-r8 (64 bits each) into a
// results ARRAY map and xor-folds them into r0, whose low 32 bits the kernel returns.
import { AluOp, AtomicOp, JmpOp, PseudoLd, asm, type Insn } from '../../src/uapi/isa.js';
import { bytes, createMap, u32, type BpfMap, type EngineOption } from '../../src/index.js';

/** mulberry32: small, fast, good enough for test generation. */
export class Prng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  u32(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** 0 <= n < max */
  int(max: number): number {
    return this.u32() % max;
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.u32() / 2 ** 32 < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }
}

/** Map indexes in `maps` (ld_imm64 src_reg 5/6). */
export const MapIdx = { Array: 0, Hash: 1, Results: 2 } as const;
export const ARRAY_ENTRIES = 8;
export const HASH_ENTRIES = 8;
/** r0..r8, 8 bytes each. */
export const RESULTS_SIZE = 9 * 8;
export const SYSCALL_CTX_SIZE = 64;
/** struct __sk_buff size (what test_run takes as ctx_in at most). */
export const SKB_CTX_SIZE = 192;

export interface GeneratedProgram {
  type: 3 | 31;
  insns: Insn[];
  /** The packet (SchedCls). */
  data?: Uint8Array;
  ctx?: Uint8Array;
  repeat: number;
  /** Initial [key, u64 value] contents of the ARRAY and HASH maps. */
  array: [number, bigint][];
  hash: [number, bigint][];
}

export const R_CTX = 9;
export const FP = 10;
export const ALU_REGS = [0, 1, 2, 3, 4, 5, 6, 7, 8] as const;
/** Callee-saved: still scalars after a helper call. */
export const SAVED = [6, 7, 8] as const;
export const KEY_SLOT = -8;
export const VALUE_SLOT = -16;
/** Scratch stack area [SCRATCH_LO, SCRATCH_HI) relative to r10. */
export const SCRATCH_LO = -160;
export const SCRATCH_HI = -24;

const COND_OPS = [JmpOp.Jeq, JmpOp.Jgt, JmpOp.Jge, JmpOp.Jset, JmpOp.Jne, JmpOp.Jsgt, JmpOp.Jsge, JmpOp.Jlt, JmpOp.Jle, JmpOp.Jslt, JmpOp.Jsle];
const BIN_OPS = [AluOp.Add, AluOp.Sub, AluOp.Mul, AluOp.Div, AluOp.Or, AluOp.And, AluOp.Lsh, AluOp.Rsh, AluOp.Mod, AluOp.Xor, AluOp.Mov, AluOp.Arsh];

// __sk_buff fields a tc program may read (4 bytes), and those it may write.
const SKB_READ = [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60, 64, 68, 72, 84, 160, 164, 176];
const SKB_WRITE = [8, 32, 44, 48, 52, 56, 60, 64, 72, 12];

export interface Scope {
  /** Registers the current code must not write (a loop's counter). */
  avoid: ReadonlySet<number>;
  /** True at the top level of the program: stores here happen on every path. */
  definite: boolean;
  depth: number;
  inLoop: boolean;
}

export interface GeneratorOptions {
  /** Approximate number of body items. */
  items?: number;
  /**
   * Use the v4 instructions (sign-extending loads and moves, signed division, bswap): true by default; false
   * for kernels before 6.6 (kernel-version.ts cpuV4Instructions), which refuse them. The same random choices
   * are drawn either way, so a seed gives the same program shapes; v4 instructions become their plain forms.
   */
  isaV4?: boolean;
  /** The program type: random (60% SchedCls) when unset; the random draw is made either way. */
  type?: 3 | 31;
}

/** A map value's initial u64, little-endian. */
export function u64le(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return b;
}

/**
 * The maps a generated program refers to (by index: ARRAY, HASH, results), created on `engine` with the
 * program's initial contents. The caller closes them.
 */
export function createProgramMaps(p: GeneratedProgram, engine: EngineOption): BpfMap<number, Uint8Array>[] {
  const maps: BpfMap<number, Uint8Array>[] = [];
  try {
    const array = createMap({ type: 'array', key: u32, value: bytes(8), maxEntries: ARRAY_ENTRIES, engine });
    maps.push(array);
    const hash = createMap({ type: 'hash', key: u32, value: bytes(8), maxEntries: HASH_ENTRIES, engine });
    maps.push(hash);
    maps.push(createMap({ type: 'array', key: u32, value: bytes(RESULTS_SIZE), maxEntries: 1, engine }));
    for (const [k, v] of p.array) array.set(k, u64le(v));
    for (const [k, v] of p.hash) hash.set(k, u64le(v));
    return maps;
  } catch (e) {
    for (const m of maps) m.close();
    throw e;
  }
}

export function generateProgram(rng: Prng, options: GeneratorOptions = {}): GeneratedProgram {
  return new Generator(rng, options).program(options.items ?? rng.range(8, 40));
}

/** The generator's choices, one method per construct: refused-programs.ts plants a mistake among them. */
export class Generator {
  readonly rng: Prng;
  type: 3 | 31 = 3;
  /** Stack bytes written on every path so far: offset from r10 (negative). */
  readonly written = new Set<number>();
  loops = 0;
  readonly v4: boolean;
  readonly #fixedType: 3 | 31 | undefined;

  constructor(rng: Prng, options: GeneratorOptions) {
    this.rng = rng;
    this.v4 = options.isaV4 ?? true;
    this.#fixedType = options.type;
  }

  /** A sign-extending load, or a plain one without v4 instructions. */
  ldxsx(size: 1 | 2 | 4, dst: number, src: number, off: number): Insn {
    return this.v4 ? asm.ldxsx(size, dst, src, off) : asm.ldx(size, dst, src, off);
  }

  program(items: number): GeneratedProgram {
    const rng = this.rng;
    const type = rng.chance(0.6) ? 3 : 31;
    this.type = this.#fixedType ?? type;
    const out: Insn[] = pin([asm.mov64Reg(R_CTX, 1)]);
    for (const r of ALU_REGS) out.push(...pin(this.init(r)));
    const top: Scope = { avoid: new Set(), definite: true, depth: 0, inLoop: false };
    for (let i = 0; i < items; i++) out.push(...this.item(top));
    out.push(...this.epilogue());

    const program: GeneratedProgram = { type: this.type, insns: out, repeat: rng.chance(0.8) ? 1 : rng.range(2, 3), array: [], hash: [] };
    for (let k = 0; k < ARRAY_ENTRIES; k++) if (rng.chance(0.7)) program.array.push([k, this.value64()]);
    const hashKeys = new Set<number>();
    const n = rng.int(HASH_ENTRIES + 1);
    while (hashKeys.size < n) hashKeys.add(rng.int(12));
    for (const k of hashKeys) program.hash.push([k, this.value64()]);
    if (this.type === 3) {
      // Mostly IPv4/IPv6/ARP EtherTypes, sometimes anything (802.3 lengths included). test_run refuses an
      // IPv4/IPv6 frame shorter than its network header (EINVAL): only a few are.
      const etherType = rng.chance(0.6) ? rng.pick([[0x08, 0x00], [0x86, 0xdd], [0x08, 0x06]]) : undefined;
      const min = rng.chance(0.03) ? 14 : etherType?.[0] === 0x08 && etherType[1] === 0 ? 34 : etherType?.[0] === 0x86 ? 54 : 14;
      const len = rng.chance(0.2) ? rng.range(min, min + 6) : rng.range(min, 96);
      const data = rng.bytes(len);
      if (etherType) data.set(etherType, 12);
      if (rng.chance(0.5)) data.set([0, 0, 0, 0, 0, 0], 0);
      program.data = data;
      if (rng.chance(0.5)) program.ctx = this.skbCtx();
    } else {
      program.ctx = rng.bytes(SYSCALL_CTX_SIZE);
    }
    return program;
  }

  skbCtx(): Uint8Array {
    const rng = this.rng;
    // Sometimes shorter than struct __sk_buff: bpf_ctx_finish then answers ENOSPC.
    const ctx = new Uint8Array(rng.chance(0.8) ? SKB_CTX_SIZE : rng.pick([20, 36, 68, 80]));
    const view = new DataView(ctx.buffer);
    const set = (off: number, v: number) => { if (off + 4 <= ctx.length) view.setUint32(off, v >>> 0, true); };
    if (rng.chance(0.7)) set(8, rng.u32()); // mark
    if (rng.chance(0.7)) set(32, rng.u32()); // priority
    for (let i = 0; i < 5; i++) if (rng.chance(0.6)) set(48 + 4 * i, rng.u32()); // cb[]
    return ctx;
  }

  value64(): bigint {
    const rng = this.rng;
    return rng.chance(0.3) ? BigInt(rng.int(16)) : rng.u64();
  }

  imm32(): number {
    const rng = this.rng;
    switch (rng.int(6)) {
      case 0: return rng.range(-4, 4);
      case 1: return rng.pick([0x7fffffff, -0x80000000, -1, 0xff, 0xffff, 0x80, 0x8000, 31, 32, 63, 64]);
      case 2: return rng.range(-300, 300);
      default: return rng.u32() | 0;
    }
  }

  imm64(): bigint {
    const rng = this.rng;
    return rng.chance(0.4)
      ? rng.pick([0x8000000000000000n, 0xffffffffffffffffn, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0xffffffff80000000n, 0x80000000n])
      : rng.u64();
  }

  init(r: number): Insn[] {
    const rng = this.rng;
    switch (rng.int(3)) {
      case 0: return [asm.mov64Imm(r, this.imm32())];
      case 1: return [asm.mov32Imm(r, this.imm32())];
      default: return asm.ldImm64(r, this.imm64());
    }
  }

  reg(scope: Scope, from: readonly number[] = ALU_REGS): number {
    const ok = from.filter((r) => !scope.avoid.has(r));
    return this.rng.pick(ok);
  }

  item(scope: Scope): Insn[] {
    const rng = this.rng;
    for (;;) {
      const roll = rng.int(100);
      if (roll < 45) return [this.alu(scope)];
      if (roll < 55 && scope.depth < 2) return this.cond(scope);
      if (roll < 58 && scope.depth < 2) return this.ifElse(scope);
      if (roll < 64) return this.stackStore(scope);
      if (roll < 69) { const l = this.stackLoad(scope); if (l) return l; continue; }
      if (roll < 71) { const a = this.stackAtomic(scope); if (a) return a; continue; }
      if (roll < 73) return asm.ldImm64(this.reg(scope), this.imm64());
      if (scope.inLoop) continue;
      if (roll < 76 && scope.depth === 0 && this.loops < 2) return this.loop(scope);
      if (roll < 84) return this.mapCall(scope);
      if (roll < 87) return this.resultsStore(scope);
      if (roll < 94 && this.type === 3) return this.packet(scope);
      if (roll < 100) return this.ctxAccess(scope);
    }
  }

  alu(scope: Scope): Insn {
    const rng = this.rng;
    const dst = this.reg(scope);
    const is64 = rng.chance(0.55);
    const width = is64 ? 64 : 32;
    const kind = rng.int(20);
    if (kind === 0) return is64 ? asm.neg64(dst) : asm.neg32(dst);
    if (kind === 1) {
      const src = rng.pick(ALU_REGS);
      const mov = is64 ? asm.movsx64(dst, src, rng.pick([8, 16, 32] as const)) : asm.movsx32(dst, src, rng.pick([8, 16] as const));
      return this.v4 ? mov : is64 ? asm.mov64Reg(dst, src) : asm.mov32Reg(dst, src);
    }
    if (kind === 2) {
      const bits = rng.pick([16, 32, 64] as const);
      if (rng.chance(0.4)) return this.v4 ? asm.bswap(dst, bits) : asm.endian(dst, bits, 'be');
      return asm.endian(dst, bits, rng.chance(0.5) ? 'be' : 'le');
    }
    const op = rng.chance(0.25) ? rng.pick([AluOp.Div, AluOp.Mod]) : rng.pick(BIN_OPS);
    const signed = (op === AluOp.Div || op === AluOp.Mod) && rng.chance(0.5) && this.v4 ? 1 : 0;
    const shift = op === AluOp.Lsh || op === AluOp.Rsh || op === AluOp.Arsh;
    if (rng.chance(0.5)) {
      // Register source: any scalar (division by zero and oversized shifts are defined at run time).
      const src = rng.pick(ALU_REGS);
      return is64 ? asm.alu64Reg(op, dst, src, signed) : asm.alu32Reg(op, dst, src, signed);
    }
    let imm = this.imm32();
    if (shift) imm = rng.int(width);
    if ((op === AluOp.Div || op === AluOp.Mod) && imm === 0) imm = rng.pick([1, -1, 3, 7]);
    return is64 ? asm.alu64Imm(op, dst, imm, signed) : asm.alu32Imm(op, dst, imm, signed);
  }

  jump(scope: Scope, off: number): Insn {
    const rng = this.rng;
    const op = rng.pick(COND_OPS);
    const dst = rng.pick(ALU_REGS);
    const j32 = rng.chance(0.4);
    if (rng.chance(0.5)) {
      const src = rng.pick(ALU_REGS);
      return j32 ? asm.jmp32Reg(op, dst, src, off) : asm.jmpReg(op, dst, src, off);
    }
    const imm = this.imm32();
    return j32 ? asm.jmp32Imm(op, dst, imm, off) : asm.jmpImm(op, dst, imm, off);
  }

  seq(scope: Scope, n: number): Insn[] {
    const out: Insn[] = [];
    for (let i = 0; i < n; i++) out.push(...this.item(scope));
    return out;
  }

  inner(scope: Scope): Scope {
    return { ...scope, definite: false, depth: scope.depth + 1 };
  }

  cond(scope: Scope): Insn[] {
    const body = this.seq(this.inner(scope), this.rng.range(1, 4));
    return [this.jump(scope, body.length), ...body];
  }

  ifElse(scope: Scope): Insn[] {
    const a = this.seq(this.inner(scope), this.rng.range(1, 3));
    const b = this.seq(this.inner(scope), this.rng.range(1, 3));
    return [this.jump(scope, a.length + 1), ...a, asm.ja(b.length), ...b];
  }

  loop(scope: Scope): Insn[] {
    const rng = this.rng;
    this.loops++;
    const counter = rng.pick(ALU_REGS);
    const inner: Scope = { avoid: new Set([...scope.avoid, counter]), definite: false, depth: scope.depth + 1, inLoop: true };
    const body = this.seq(inner, rng.range(1, 5));
    const bound = rng.range(1, 8);
    const out: Insn[] = [asm.mov64Imm(counter, 0), ...body, asm.alu64Imm(AluOp.Add, counter, 1)];
    const back = -(body.length + 2);
    switch (rng.int(4)) {
      case 0: out.push(asm.jmpImm(JmpOp.Jlt, counter, bound, back)); break;
      case 1: out.push(asm.jmpImm(JmpOp.Jne, counter, bound, back)); break;
      case 2: out.push(asm.jmp32Imm(JmpOp.Jslt, counter, bound, back)); break;
      default: out.push(asm.jmpImm(JmpOp.Jle, counter, bound - 1, back)); break;
    }
    return out;
  }

  /** Bytes offsets (relative to r10) of `size`-aligned scratch slots. */
  slot(size: number): number {
    const count = (SCRATCH_HI - SCRATCH_LO) / size;
    return SCRATCH_LO + size * this.rng.int(count);
  }

  markWritten(scope: Scope, off: number, size: number): void {
    if (!scope.definite) return;
    for (let i = 0; i < size; i++) this.written.add(off + i);
  }

  readableSlot(size: number): number | undefined {
    for (let tries = 0; tries < 12; tries++) {
      const off = this.slot(size);
      let ok = true;
      for (let i = 0; i < size && ok; i++) ok = this.written.has(off + i);
      if (ok) return off;
    }
    return undefined;
  }

  stackStore(scope: Scope): Insn[] {
    const rng = this.rng;
    const size = rng.pick([1, 2, 4, 8] as const);
    const off = this.slot(size);
    this.markWritten(scope, off, size);
    // Pinned: without the store a later load would read stack garbage on the kernel.
    return pin([rng.chance(0.7) ? asm.stx(size, FP, rng.pick(ALU_REGS), off) : asm.st(size, FP, off, this.imm32())]);
  }

  stackLoad(scope: Scope): Insn[] | undefined {
    const rng = this.rng;
    const size = rng.pick([1, 2, 4, 8] as const);
    const off = this.readableSlot(size);
    if (off === undefined) return undefined;
    const dst = this.reg(scope);
    return [size !== 8 && rng.chance(0.3) ? this.ldxsx(size, dst, FP, off) : asm.ldx(size, dst, FP, off)];
  }

  atomicOp(): number {
    const rng = this.rng;
    const base = rng.pick([AtomicOp.Add, AtomicOp.Or, AtomicOp.And, AtomicOp.Xor, AtomicOp.Xchg, AtomicOp.Cmpxchg]);
    return base === AtomicOp.Xchg || base === AtomicOp.Cmpxchg ? base : base | (rng.chance(0.5) ? AtomicOp.Fetch : 0);
  }

  stackAtomic(scope: Scope): Insn[] | undefined {
    const rng = this.rng;
    const size = rng.pick([4, 8] as const);
    const off = this.readableSlot(size);
    if (off === undefined) return undefined;
    const op = this.atomicOp();
    // Fetching ops write src (cmpxchg: r0): keep them off a loop counter.
    if (op === AtomicOp.Cmpxchg && scope.avoid.has(0)) return undefined;
    const src = (op & AtomicOp.Fetch) ? this.reg(scope) : rng.pick(ALU_REGS);
    return [asm.atomic(size, op, FP, src, off)];
  }

  /** After a helper call r1-r5 are unreadable: give them scalar values again (from r6-r8 or constants). */
  reinitArgs(): Insn[] {
    const rng = this.rng;
    const out: Insn[] = [];
    for (let r = 1; r <= 5; r++) {
      if (rng.chance(0.5)) {
        out.push(asm.mov64Reg(r, rng.pick(SAVED)));
        if (rng.chance(0.5)) out.push(asm.alu64Imm(rng.pick([AluOp.Add, AluOp.Xor, AluOp.Mul]), r, this.imm32()));
      } else {
        out.push(...this.init(r));
      }
    }
    return out;
  }

  keyToStack(): Insn[] {
    const rng = this.rng;
    if (rng.chance(0.3)) return pin([asm.st(4, FP, KEY_SLOT, rng.int(ARRAY_ENTRIES + 4))]);
    return [asm.mov64Reg(1, rng.pick(ALU_REGS)), asm.alu64Imm(AluOp.And, 1, 15), ...pin([asm.stx(4, FP, 1, KEY_SLOT)])];
  }

  mapCall(scope: Scope): Insn[] {
    const rng = this.rng;
    const map = rng.chance(0.5) ? MapIdx.Array : MapIdx.Hash;
    const out: Insn[] = [...this.keyToStack()];
    const which = rng.int(10);
    if (which < 5) {
      // lookup, NULL check, then loads/stores/atomics through the value pointer.
      out.push(...asm.ldImm64(1, BigInt(map), PseudoLd.MapIdx), asm.mov64Reg(2, FP), asm.alu64Imm(AluOp.Add, 2, KEY_SLOT), asm.call(1));
      const body: Insn[] = [];
      const n = rng.range(1, 3);
      for (let i = 0; i < n; i++) {
        const size = rng.pick([1, 2, 4, 8] as const);
        const off = size * rng.int(8 / size);
        const k = rng.int(4);
        if (k === 0) body.push(asm.ldx(size, rng.pick(SAVED), 0, off));
        else if (k === 1 && size !== 8) body.push(this.ldxsx(size, rng.pick(SAVED), 0, off));
        else if (k === 2) body.push(asm.stx(size, 0, rng.pick(SAVED), off));
        else if (k === 3 && size >= 4) {
          const op = this.atomicOp();
          if (op === AtomicOp.Cmpxchg) continue; // r0 is the pointer here
          body.push(asm.atomic(size, op, 0, rng.pick(SAVED), off));
        } else body.push(asm.st(size, 0, off, this.imm32()));
      }
      out.push(asm.jmpImm(JmpOp.Jeq, 0, 0, body.length), ...body);
      // r0 may still be a pointer: make it a scalar again.
      out.push(...pin([rng.chance(0.5) ? asm.mov64Reg(0, rng.pick(SAVED)) : asm.mov64Imm(0, this.imm32())]));
    } else if (which < 8) {
      out.push(...pin([asm.stx(8, FP, rng.pick(ALU_REGS), VALUE_SLOT)]));
      out.push(...asm.ldImm64(1, BigInt(map), PseudoLd.MapIdx), asm.mov64Reg(2, FP), asm.alu64Imm(AluOp.Add, 2, KEY_SLOT));
      out.push(asm.mov64Reg(3, FP), asm.alu64Imm(AluOp.Add, 3, VALUE_SLOT));
      // Flags: mostly BPF_ANY/NOEXIST/EXIST; sometimes BPF_F_LOCK (no lock here), unknown bits, a high word.
      if (rng.chance(0.97)) out.push(asm.mov64Imm(4, rng.chance(0.9) ? rng.int(3) : rng.pick([3, 4, 5, 8])));
      else out.push(...asm.ldImm64(4, (BigInt(rng.range(1, 0xffffffff)) << 32n) | BigInt(rng.int(3))));
      out.push(asm.call(2));
      out.push(asm.alu64Reg(rng.pick([AluOp.Xor, AluOp.Add]), rng.pick(SAVED), 0));
    } else {
      out.push(...asm.ldImm64(1, BigInt(map), PseudoLd.MapIdx), asm.mov64Reg(2, FP), asm.alu64Imm(AluOp.Add, 2, KEY_SLOT), asm.call(3));
      out.push(asm.alu64Reg(rng.pick([AluOp.Xor, AluOp.Add]), rng.pick(SAVED), 0));
    }
    out.push(...pin(this.reinitArgs()));
    return out;
  }

  /** Stores a register's 64 bits into the results map directly (BPF_PSEUDO_MAP_IDX_VALUE). */
  resultsStore(scope: Scope): Insn[] {
    const rng = this.rng;
    const ptr = this.reg(scope);
    const src = rng.pick(ALU_REGS.filter((r) => r !== ptr));
    const off = 8 * rng.int(9);
    const out: Insn[] = [...asm.ldImm64(ptr, BigInt(MapIdx.Results) | (BigInt(off) << 32n), PseudoLd.MapIdxValue)];
    if (rng.chance(0.7)) out.push(asm.stx(8, ptr, src, 0));
    else if (rng.chance(0.5)) out.push(asm.atomic(8, AtomicOp.Add, ptr, src, 0));
    else out.push(asm.ldx(8, src, ptr, 0));
    out.push(...pin(this.init(ptr)));
    return out;
  }

  packet(scope: Scope): Insn[] {
    const rng = this.rng;
    const n = rng.range(1, 64);
    const out: Insn[] = [asm.ldx(4, 2, R_CTX, 76), asm.ldx(4, 3, R_CTX, 80), asm.mov64Reg(4, 2), asm.alu64Imm(AluOp.Add, 4, n)];
    const body: Insn[] = [];
    const scalars = [0, 1, 5, 6, 7, 8];
    const count = rng.range(1, 3);
    for (let i = 0; i < count; i++) {
      const size = rng.pick([1, 2, 4, 8] as const);
      if (size > n) continue;
      const k = rng.int(n - size + 1);
      const what = rng.int(5);
      if (what <= 1) body.push(asm.ldx(size, rng.pick(scalars), 2, k));
      else if (what === 2 && size !== 8) body.push(this.ldxsx(size, rng.pick(scalars), 2, k));
      else if (what === 3) body.push(asm.stx(size, 2, rng.pick(scalars), k));
      else body.push(asm.st(size, 2, k, this.imm32()));
    }
    if (body.length === 0) body.push(asm.ldx(1, rng.pick(scalars), 2, 0));
    out.push(rng.chance(0.7) ? asm.jmpReg(JmpOp.Jgt, 4, 3, body.length) : asm.jmpReg(JmpOp.Jlt, 3, 4, body.length), ...body);
    for (const r of [2, 3, 4]) out.push(...pin(rng.chance(0.5) ? [asm.mov64Reg(r, rng.pick(SAVED))] : this.init(r)));
    void scope;
    return out;
  }

  ctxAccess(scope: Scope): Insn[] {
    const rng = this.rng;
    if (this.type === 31) {
      const size = rng.pick([1, 2, 4, 8] as const);
      const off = size * rng.int(SYSCALL_CTX_SIZE / size);
      return [rng.chance(0.5) ? asm.ldx(size, this.reg(scope), R_CTX, off) : asm.stx(size, R_CTX, rng.pick(ALU_REGS), off)];
    }
    if (rng.chance(0.65)) {
      const field = rng.pick(SKB_READ);
      // Mostly whole fields; sometimes a narrow load, at the field's start or inside it
      // (bpf_ctx_narrow_access_ok: any naturally aligned part of the 4-byte field).
      const size = rng.chance(0.8) ? 4 : rng.pick([1, 2] as const);
      const inside = size < 4 && rng.chance(0.5) ? size * rng.int(4 / size) : 0;
      return [asm.ldx(size, this.reg(scope), R_CTX, field + inside)];
    }
    const field = rng.pick(SKB_WRITE);
    return [asm.stx(4, R_CTX, rng.pick(ALU_REGS), field)];
  }

  epilogue(): Insn[] {
    const rng = this.rng;
    const out: Insn[] = pin([...asm.ldImm64(R_CTX, BigInt(MapIdx.Results), PseudoLd.MapIdxValue)]);
    for (const r of ALU_REGS) out.push(asm.stx(8, R_CTX, r, 8 * r));
    for (let r = 1; r <= 8; r++) {
      out.push(asm.alu64Reg(AluOp.Xor, 0, r));
      if (rng.chance(0.5)) out.push(asm.alu64Imm(AluOp.Mul, 0, 0x01000193));
    }
    out.push(asm.mov64Reg(1, 0), asm.alu64Imm(AluOp.Rsh, 1, 32), asm.alu64Reg(AluOp.Xor, 0, 1), asm.exit());
    return out;
  }
}

/**
 * Marks instructions the minimiser must keep: the prologue and every instruction that turns a register
 * back into a scalar. Without them a shrunk program could store a kernel pointer into a map (which the
 * verifier allows root) and diverge for that reason alone.
 */
export function pin(insns: Insn[]): Insn[] {
  for (const x of insns) (x as Insn & { pinned?: boolean }).pinned = true;
  return insns;
}
const isPinned = (x: Insn) => (x as Insn & { pinned?: boolean }).pinned === true;

const hex = (n: number, width: number) => (n >>> 0).toString(16).padStart(width, '0');

/** One line per instruction: index, code, dst, src, off, imm. */
export function disassemble(insns: readonly Insn[]): string {
  return insns.map((x, i) => `${String(i).padStart(4)}: code=0x${hex(x.code, 2)} dst=r${x.dst} src=r${x.src} off=${x.off} imm=${x.imm}`).join('\n');
}

const isLdImm64 = (x: Insn) => x.code === 0x18;
const isJump = (x: Insn) => {
  const cls = x.code & 7;
  const op = x.code & 0xf0;
  return (cls === 5 || cls === 6) && op !== JmpOp.Call && op !== JmpOp.Exit;
};

/** The program without instruction(s) [at, at + count), jump offsets fixed up around the gap. */
export function deleteInsns(insns: readonly Insn[], at: number, count: number): Insn[] {
  const out: Insn[] = [];
  for (let j = 0; j < insns.length; j++) {
    if (j >= at && j < at + count) continue;
    const x = insns[j]!;
    if (!isJump(x) || (x.code === (6 | JmpOp.Ja))) { out.push(x); continue; }
    const target = j + 1 + x.off;
    const newJ = j < at ? j : j - count;
    const newTarget = target <= at ? target : target >= at + count ? target - count : at;
    out.push({ ...x, off: newTarget - newJ - 1 });
  }
  return out;
}

/**
 * Whether the value instruction `at` writes is dead: a straight-line scan finds the register rewritten
 * before any read. Conservative: any jump, call or exit on the way counts as a read.
 */
function deadWrite(insns: readonly Insn[], at: number): boolean {
  const x = insns[at]!;
  const cls = x.code & 7;
  if (!(cls === 4 || cls === 7 || isLdImm64(x))) return false;
  const r = x.dst;
  for (let i = at + (isLdImm64(x) ? 2 : 1); i < insns.length; i++) {
    const y = insns[i]!;
    const c = y.code & 7;
    const op = y.code & 0xf0;
    const x8 = (y.code & 0x08) !== 0;
    if (c === 5 || c === 6) return false;
    if (isLdImm64(y)) { if (y.dst === r) return true; i++; continue; }
    if (c === 4 || c === 7) {
      if (op === AluOp.Mov) {
        if (x8 && y.src === r) return false;
        if (y.dst === r) return true;
        continue;
      }
      if (y.dst === r || (x8 && op !== AluOp.End && y.src === r)) return false;
      continue;
    }
    if (c === 1) { if (y.src === r) return false; if (y.dst === r) return true; continue; }
    if (y.dst === r || (c === 3 && y.src === r) || (c === 3 && r === 0 && (y.code & 0xe0) === 0xc0)) return false;
  }
  return false;
}

/**
 * Shrinks a program while `diverges` holds (it must also check that the kernel still accepts it): deletes
 * instructions, then replaces the rest by `mov r0, 0`, until neither changes anything.
 */
export function minimise(insns: Insn[], diverges: (insns: Insn[]) => boolean, budget = 3000): Insn[] {
  let cur = insns;
  let tries = 0;
  for (let changed = true; changed && tries < budget;) {
    changed = false;
    for (let i = cur.length - 2; i >= 0 && tries < budget; i--) {
      if (i >= cur.length - 1) continue;
      const x = cur[i]!;
      if (i > 0 && isLdImm64(cur[i - 1]!) && x.code === 0) continue; // second slot of ld_imm64
      if (isPinned(x) && !deadWrite(cur, i)) continue;
      const count = isLdImm64(x) ? 2 : 1;
      const next = deleteInsns(cur, i, count);
      tries++;
      if (diverges(next)) { cur = next; changed = true; }
    }
    const zero = asm.mov64Imm(0, 0);
    for (let i = cur.length - 2; i >= 0 && tries < budget; i--) {
      const x = cur[i]!;
      if (isPinned(x) || isLdImm64(x) || x.code === 0 || (x.code === zero.code && x.dst === 0 && x.imm === 0)) continue;
      const next = cur.slice();
      next[i] = zero;
      tries++;
      if (diverges(next)) { cur = next; changed = true; }
    }
  }
  return cur;
}
