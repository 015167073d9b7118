// Seeded random programs with one mistake the kernel's verifier is meant to refuse, for the verifier
// model's differential (refused-programs.test.ts). Each is a random program of random-programs.ts with
// the mistake planted at a random item — at the top level or inside a branch — so the refusal comes after
// whatever state the items before it built up (bounds, spills, constants, dead branches), which is where
// two verifiers part. Some plants the kernel accepts (a mistake in a branch it proves dead, an
// uninitialised stack read: root may do that); the differential compares verdicts, not intentions.
// Every plant ends by making the registers it used scalars again, so a plant the kernel accepts leaves
// the rest of the program as verifiable as before.
import { AluOp, AtomicOp, JmpOp, PseudoLd, asm, type Insn } from '../../src/uapi/isa.js';
import { HelperId, helperNames } from '../../src/uapi/helpers.js';
import {
  ALU_REGS, FP, Generator, KEY_SLOT, MapIdx, Prng, R_CTX, RESULTS_SIZE, SAVED, SCRATCH_LO, VALUE_SLOT, pin,
  type GeneratedProgram, type GeneratorOptions, type Scope,
} from './random-programs.js';

export const REFUSAL_KINDS = [
  'stack-bounds', 'map-value-bounds', 'ctx-bounds', 'packet-bounds', 'uninit-reg', 'uninit-stack', 'null-deref', 'helper-args', 'pointer-arith',
] as const;
export type RefusalKind = (typeof REFUSAL_KINDS)[number];

const helperId = (name: string): number => helperNames.indexOf(name);
const PROBE_READ_KERNEL = helperId('probe_read_kernel');
const SKB_PULL_DATA = helperId('skb_pull_data');
/** The ARRAY and HASH maps' value size (random-programs.test.ts creates them with 8-byte values). */
const VALUE_SIZE = 8;
const SIZES = [1, 2, 4, 8] as const;
/** Scalars a plant may clobber: r1-r5 are rewritten after every call anyway. */
const ARGS = [1, 2, 3, 4, 5] as const;

export function generateRefused(rng: Prng, kind: RefusalKind, options: GeneratorOptions = {}): GeneratedProgram {
  const items = options.items ?? rng.range(8, 40);
  // Packets exist only in the tc programs.
  const type = kind === 'packet-bounds' ? 3 : options.type;
  return new Planter(rng, { ...options, ...(type ? { type } : {}) }, kind, rng.int(items)).program(items);
}

class Planter extends Generator {
  #countdown: number;
  #planted = false;

  constructor(rng: Prng, options: GeneratorOptions, readonly kind: RefusalKind, at: number) {
    super(rng, options);
    this.#countdown = at;
  }

  // Items inside branches count too, so the plant lands at any depth; loops are left alone (their counter).
  override item(scope: Scope): Insn[] {
    if (!this.#planted && !scope.inLoop && this.#countdown-- <= 0) {
      this.#planted = true;
      return this.plant(scope);
    }
    return super.item(scope);
  }

  // A body that ended before the countdown did gets the plant last.
  override epilogue(): Insn[] {
    const last = this.#planted ? [] : this.plant({ avoid: new Set(), definite: true, depth: 0, inLoop: false });
    this.#planted = true;
    return [...last, ...super.epilogue()];
  }

  plant(scope: Scope): Insn[] {
    switch (this.kind) {
      case 'stack-bounds': return this.stackBounds(scope);
      case 'map-value-bounds': return this.mapValueBounds(scope);
      case 'ctx-bounds': return this.ctxBounds(scope);
      case 'packet-bounds': return this.packetBounds();
      case 'uninit-reg': return this.uninitReg(scope);
      case 'uninit-stack': return this.uninitStack(scope);
      case 'null-deref': return this.nullDeref();
      case 'helper-args': return this.helperArgs();
      case 'pointer-arith': return this.pointerArith();
    }
  }

  /** Registers back to scalars (kept by the minimiser, like the generator's own). */
  rescalar(regs: Iterable<number>): Insn[] {
    const out: Insn[] = [];
    for (const r of new Set(regs)) out.push(...this.init(r));
    return pin(out);
  }

  /**
   * A load, store, immediate store or atomic add of `size` bytes at [base + off]; stores take one of
   * `srcs` (after a helper call only r0 and r6-r8 are readable).
   */
  access(base: number, off: number, size: 1 | 2 | 4 | 8, scope: Scope, srcs: readonly number[] = ALU_REGS): Insn {
    const rng = this.rng;
    const k = rng.int(10);
    if (k < 4) return asm.ldx(size, this.reg(scope), base, off);
    if (k < 7) return asm.stx(size, base, rng.pick(srcs), off);
    if (k < 9 || size < 4) return asm.st(size, base, off, this.imm32());
    return asm.atomic(size, rng.pick([AtomicOp.Add, AtomicOp.Add | AtomicOp.Fetch]), base, rng.pick(SAVED), off);
  }

  /** An offset at which `size` bytes are not inside [0, limit): before, straddling or past the end. */
  outside(size: number, limit: number): number {
    const rng = this.rng;
    switch (rng.int(3)) {
      case 0: return -size * rng.range(1, 4);
      case 1: return rng.range(limit - size + 1, limit + 8);
      default: return limit + size * rng.int(64);
    }
  }

  stackBounds(scope: Scope): Insn[] {
    const rng = this.rng;
    const size = rng.pick(SIZES);
    let off: number;
    switch (rng.int(4)) {
      case 0: off = rng.range(1 - size, 16); break; // at or above the frame pointer
      case 1: off = -512 - size * rng.range(1, 4); break; // below the 512-byte stack
      case 2: off = rng.range(-530, -505); break;
      default: off = this.slot(size) + (size > 1 ? rng.range(1, size - 1) : 0); break; // misaligned
    }
    if (rng.chance(0.6)) return [this.access(FP, off, size, scope)];
    // Through a copy of r10 moved by a constant: the offset lives in the register's state.
    const ptr = rng.pick(ARGS);
    const moved = rng.range(-64, 8);
    return [asm.mov64Reg(ptr, FP), asm.alu64Imm(AluOp.Add, ptr, moved), this.access(ptr, off - moved, size, scope), ...this.rescalar([ptr])];
  }

  /** r0 = lookup(ARRAY or HASH, a key the program stored). */
  lookup(): Insn[] {
    const map = this.rng.chance(0.5) ? MapIdx.Array : MapIdx.Hash;
    return [...this.keyToStack(), ...asm.ldImm64(1, BigInt(map), PseudoLd.MapIdx), asm.mov64Reg(2, FP), asm.alu64Imm(AluOp.Add, 2, KEY_SLOT), asm.call(HelperId.MapLookupElem)];
  }

  /** A lookup, `if r0 == 0 goto +body` (unless unchecked), then body (which must not write r0). */
  lookupThen(body: (scope: Scope) => Insn[], checked = true): Insn[] {
    const b = body({ avoid: new Set([0]), definite: false, depth: 1, inLoop: false });
    return [...this.lookup(), ...(checked ? [asm.jmpImm(JmpOp.Jeq, 0, 0, b.length)] : []), ...b, ...this.rescalar([0]), ...pin(this.reinitArgs())];
  }

  mapValueBounds(scope: Scope): Insn[] {
    const rng = this.rng;
    const size = rng.pick(SIZES);
    switch (rng.int(3)) {
      case 0: return this.lookupThen((s) => [this.access(0, this.outside(size, VALUE_SIZE), size, s, SAVED)]);
      case 1: {
        // The results map's value by address (never NULL), from an offset inside it.
        const ptr = rng.pick(ARGS);
        const base = 8 * rng.int(9);
        const out = [...asm.ldImm64(ptr, BigInt(MapIdx.Results) | (BigInt(base) << 32n), PseudoLd.MapIdxValue)];
        return [...out, this.access(ptr, this.outside(size, RESULTS_SIZE) - base, size, scope), ...this.rescalar([ptr])];
      }
      default: {
        // Plus a scalar the program bounded with a mask: the largest offset may or may not fit.
        const idx = rng.pick(SAVED);
        const mask = rng.pick([1, 3, 7, 8, 15, 63, 255]);
        const off = rng.range(-2, VALUE_SIZE - 1);
        return this.lookupThen((s) => [
          asm.mov64Reg(1, idx), asm.alu64Imm(AluOp.And, 1, mask), asm.alu64Reg(AluOp.Add, 0, 1), this.access(0, off, size, s, SAVED),
        ]);
      }
    }
  }

  ctxBounds(scope: Scope): Insn[] {
    const rng = this.rng;
    const size = rng.pick(SIZES);
    let off: number;
    if (this.type === 31) {
      // bpf_syscall ctx: any aligned offset in [0, U16_MAX) is allowed, so negative or misaligned ones.
      off = rng.chance(0.5) ? -size * rng.range(1, 8) : size * rng.int(16) + (size > 1 ? rng.range(1, size - 1) : 1);
    } else {
      // __sk_buff: anywhere in and past the struct, any size; most of these are not fields a tc program
      // may touch that way.
      off = rng.chance(0.8) ? rng.range(-4, 200) : rng.range(200, 4096);
    }
    return [this.access(R_CTX, off, size, scope)];
  }

  packetBounds(): Insn[] {
    const rng = this.rng;
    const n = rng.range(1, 64);
    const size = rng.pick(SIZES);
    const body = [asm.ldx(size, rng.pick(SAVED), 2, rng.chance(0.2) ? rng.range(-8, -1) : rng.range(n - size + 1, n + 8))];
    if (rng.chance(0.3)) body.push(asm.st(size, 2, rng.range(n - size + 1, n + 4), this.imm32()));
    const out: Insn[] = [asm.ldx(4, 2, R_CTX, 76), asm.ldx(4, 3, R_CTX, 80), asm.mov64Reg(4, 2), asm.alu64Imm(AluOp.Add, 4, n)];
    switch (rng.int(4)) {
      case 0: out.push(...body); break; // no bounds check
      case 1: out.push(asm.jmpReg(JmpOp.Jle, 4, 3, body.length), ...body); break; // on the side that fails the check
      case 2: out.push(asm.jmpReg(JmpOp.Jgt, 4, 3, body.length), ...body); break; // inside the range checked, past n
      default: {
        // Checked, then a helper that may move the packet: every packet pointer is stale after it.
        const ok = [asm.mov64Reg(6, 2), asm.mov64Reg(1, R_CTX), asm.mov64Imm(2, rng.int(32)), asm.call(SKB_PULL_DATA), asm.ldx(size, 7, 6, 0)];
        out.push(asm.jmpReg(JmpOp.Jgt, 4, 3, ok.length), ...ok);
      }
    }
    return [...out, ...this.rescalar([0, 6, 7]), ...pin(this.reinitArgs())];
  }

  uninitReg(scope: Scope): Insn[] {
    const rng = this.rng;
    const bad = rng.pick(ARGS);
    const call = rng.chance(0.7) ? [asm.call(HelperId.GetPrandomU32)] : this.lookup();
    const other = rng.pick(SAVED);
    const uses: Insn[] = [
      asm.alu64Reg(rng.pick([AluOp.Add, AluOp.Xor, AluOp.Mov]), other, bad),
      asm.alu32Imm(AluOp.Add, bad, 1),
      asm.stx(8, FP, bad, KEY_SLOT),
      asm.jmpImm(JmpOp.Jgt, bad, 3, 0),
      asm.jmpReg(JmpOp.Jeq, other, bad, 0),
      asm.ldx(4, other, bad, 0),
      asm.alu64Reg(AluOp.Mov, 0, bad),
    ];
    const use = rng.pick(uses);
    // Sometimes a few of the generator's items between the call and the read (none writes r1-r5 then).
    const between = rng.chance(0.3) ? this.aluOn(scope, SAVED, rng.range(1, 3)) : [];
    return [...call, ...between, use, ...this.rescalar([0, other]), ...pin(this.reinitArgs())];
  }

  /** `n` ALU instructions on the given registers only. */
  aluOn(scope: Scope, regs: readonly number[], n: number): Insn[] {
    const out: Insn[] = [];
    for (let i = 0; i < n; i++) {
      const x = this.alu(scope);
      // BPF_X is a register source except in BPF_END, where the bit is the byte order.
      const regSrc = (x.code & 0x08) !== 0 && (x.code & 0xf0) !== AluOp.End;
      out.push({ ...x, dst: this.rng.pick(regs), src: regSrc ? this.rng.pick(regs) : x.src });
    }
    return out;
  }

  /** A `size`-aligned stack offset no path is known to have written (or undefined after a few tries). */
  unwritten(size: number): number {
    const rng = this.rng;
    for (let tries = 0; ; tries++) {
      const off = rng.chance(0.5) ? this.slot(size) : -512 + size * rng.int((512 + SCRATCH_LO) / size);
      let clean = true;
      for (let i = 0; i < size && clean; i++) clean = !this.written.has(off + i);
      if (clean || tries > 12) return off;
    }
  }

  uninitStack(scope: Scope): Insn[] {
    const rng = this.rng;
    const size = rng.pick(SIZES);
    switch (rng.int(4)) {
      case 0: return [asm.ldx(size, this.reg(scope), FP, this.unwritten(size))];
      case 1: {
        // A spilled pointer filled back with fewer bytes than it has.
        const off = this.unwritten(8);
        const fill = size === 8 ? 4 : size;
        return [asm.stx(8, FP, rng.pick([R_CTX, FP]), off), asm.ldx(fill, this.reg(scope), FP, off + (rng.chance(0.7) ? 0 : fill))];
      }
      case 2: {
        // A helper reads a key the program never wrote.
        const key = this.unwritten(4);
        const map = rng.pick([MapIdx.Array, MapIdx.Hash]);
        return [...asm.ldImm64(1, BigInt(map), PseudoLd.MapIdx), asm.mov64Reg(2, FP), asm.alu64Imm(AluOp.Add, 2, key), asm.call(HelperId.MapLookupElem), ...this.rescalar([0]), ...pin(this.reinitArgs())];
      }
      default: {
        const size4 = size < 4 ? 4 : size;
        return [asm.atomic(size4, rng.pick([AtomicOp.Add, AtomicOp.Xchg, AtomicOp.Or | AtomicOp.Fetch]), FP, rng.pick(SAVED), this.unwritten(size4))];
      }
    }
  }

  nullDeref(): Insn[] {
    const rng = this.rng;
    const size = rng.pick(SIZES);
    const off = size * rng.int(VALUE_SIZE / size);
    switch (rng.int(6)) {
      case 0: return this.lookupThen((s) => [this.access(0, off, size, s, SAVED)], false);
      case 1: {
        // Checked the wrong way round: the access is on the NULL side.
        return this.lookupThen((s) => {
          const a = this.access(0, off, size, s, SAVED);
          return [asm.jmpImm(JmpOp.Jne, 0, 0, 1), a];
        }, false);
      }
      case 2: return this.lookupThen(() => [asm.alu64Imm(AluOp.Add, 0, rng.range(-8, 8)), asm.jmpImm(JmpOp.Jeq, 0, 0, 1), asm.ldx(size, 6, 0, 0)], false);
      case 3: {
        // A copy checked, the original used (the kernel gives both the same id: this one loads).
        return this.lookupThen(() => [asm.mov64Reg(6, 0), asm.jmpImm(JmpOp.Jeq, 6, 0, 1), asm.ldx(size, 7, 0, off), ...this.rescalar([6])], false);
      }
      case 4: {
        // Checked on one path only; used after the paths join.
        const skip = rng.pick(SAVED);
        return this.lookupThen(() => [asm.jmpImm(JmpOp.Jgt, skip, this.imm32(), 1), asm.jmpImm(JmpOp.Jeq, 0, 0, 1), asm.ldx(size, 7, 0, off)], false);
      }
      default: {
        // The maybe-NULL value as another lookup's key.
        return this.lookupThen(() => [asm.mov64Reg(2, 0), ...asm.ldImm64(1, BigInt(MapIdx.Hash), PseudoLd.MapIdx), asm.call(HelperId.MapLookupElem)], false);
      }
    }
  }

  helperArgs(): Insn[] {
    const rng = this.rng;
    const out: Insn[] = [];
    const scalar = () => rng.pick(SAVED);
    /** A pointer of some type into `r` (or a scalar). */
    const wrong = (r: number): Insn[] => {
      switch (rng.int(6)) {
        case 0: return [asm.mov64Reg(r, scalar())];
        case 1: return [asm.mov64Reg(r, R_CTX)];
        case 2: return asm.ldImm64(r, BigInt(rng.pick([MapIdx.Array, MapIdx.Hash])), PseudoLd.MapIdx);
        case 3: return asm.ldImm64(r, BigInt(MapIdx.Results) | (BigInt(8 * rng.int(9)) << 32n), PseudoLd.MapIdxValue);
        case 4: return [asm.mov64Reg(r, FP), asm.alu64Imm(AluOp.Add, r, rng.pick([-2, -1, 0, 4, -516, -512]))];
        default: return [asm.mov64Reg(r, FP), asm.alu64Imm(AluOp.Add, r, -8 * rng.range(1, 20))];
      }
    };
    const mapPtr = (r: number) => asm.ldImm64(r, BigInt(rng.pick([MapIdx.Array, MapIdx.Hash])), PseudoLd.MapIdx);
    const stackPtr = (r: number, off: number) => [asm.mov64Reg(r, FP), asm.alu64Imm(AluOp.Add, r, off)];
    switch (rng.int(5)) {
      case 0: out.push(...this.keyToStack(), ...wrong(1), ...stackPtr(2, KEY_SLOT), asm.call(HelperId.MapLookupElem)); break;
      case 1: out.push(...this.keyToStack(), ...mapPtr(1), ...wrong(2), asm.call(rng.pick([HelperId.MapLookupElem, HelperId.MapDeleteElem]))); break;
      case 2: {
        // map_update_elem's value: 8 bytes wherever r3 points.
        out.push(...this.keyToStack(), ...pin([asm.stx(8, FP, scalar(), VALUE_SLOT)]), ...mapPtr(1), ...stackPtr(2, KEY_SLOT));
        out.push(...(rng.chance(0.5) ? stackPtr(3, VALUE_SLOT + rng.pick([4, 12, -4, 2])) : wrong(3)), asm.mov64Imm(4, 0), asm.call(HelperId.MapUpdateElem));
        break;
      }
      default: {
        // A buffer on the stack and a size: constant out of range, negative, zero, or one of the program's
        // scalars, bounded or not.
        const buf = -8 * rng.range(1, 8);
        const skb = this.type === 3 && rng.chance(0.5);
        const sizeReg = skb ? 4 : 2;
        const call = skb
          ? [asm.mov64Reg(1, R_CTX), asm.mov64Reg(2, scalar()), ...stackPtr(3, buf), asm.call(HelperId.SkbLoadBytes)] // skb_load_bytes(ctx, offset, to, len)
          : [asm.mov64Reg(3, scalar()), ...stackPtr(1, buf), asm.call(PROBE_READ_KERNEL)]; // probe_read_kernel(dst, size, unsafe_ptr)
        switch (rng.int(4)) {
          case 0: out.push(asm.mov64Imm(sizeReg, rng.pick([-buf + 1, -buf + 8, 513, -1, 0, -buf]))); break;
          case 1: out.push(asm.mov64Reg(sizeReg, scalar())); break;
          case 2: out.push(asm.mov64Reg(sizeReg, scalar()), asm.alu64Imm(AluOp.And, sizeReg, rng.pick([7, 15, 63, 127]))); break;
          // Bounded above by a check that skips the call.
          default: out.push(asm.mov64Reg(sizeReg, scalar()), asm.jmpImm(JmpOp.Jgt, sizeReg, rng.range(1, 80), call.length));
        }
        out.push(...call);
      }
    }
    return [...out, ...this.rescalar([0]), ...pin(this.reinitArgs())];
  }

  pointerArith(): Insn[] {
    const rng = this.rng;
    const p = rng.pick(ARGS);
    const q = rng.pick(ARGS.filter((r) => r !== p));
    const s = rng.pick(SAVED);
    // The pointer: the frame, the context, the results map's value, a map, or (tc) a packet or its end.
    const kinds = this.type === 3 ? 6 : 4;
    const which = rng.int(kinds);
    const load: Insn[] =
      which === 0 ? [asm.mov64Reg(p, FP), asm.alu64Imm(AluOp.Add, p, -8 * rng.range(1, 20))]
      : which === 1 ? [asm.mov64Reg(p, R_CTX)]
      : which === 2 ? asm.ldImm64(p, BigInt(MapIdx.Results) | (BigInt(8 * rng.int(9)) << 32n), PseudoLd.MapIdxValue)
      : which === 3 ? asm.ldImm64(p, BigInt(MapIdx.Array), PseudoLd.MapIdx)
      : which === 4 ? [asm.ldx(4, p, R_CTX, 76)]
      : [asm.ldx(4, p, R_CTX, 80)];
    const op: Insn[] = [];
    switch (rng.int(8)) {
      case 0: op.push(asm.alu64Reg(AluOp.Add, p, s)); break; // plus one of the program's scalars
      case 1: op.push(asm.mov64Reg(q, s), asm.alu64Imm(AluOp.And, q, rng.pick([7, 0xff, 0xfff])), asm.alu64Reg(rng.pick([AluOp.Add, AluOp.Sub]), p, q)); break;
      case 2: op.push(asm.alu64Imm(rng.pick([AluOp.Add, AluOp.Sub]), p, rng.pick([1, 4, 8, -8, 0x7fff, 1 << 29]))); break;
      case 3: op.push(asm.alu32Imm(rng.pick([AluOp.Add, AluOp.Mov, AluOp.And]), p, rng.range(0, 8))); break;
      case 4: op.push(asm.alu64Imm(rng.pick([AluOp.Mul, AluOp.Div, AluOp.Or, AluOp.And, AluOp.Lsh, AluOp.Rsh, AluOp.Arsh, AluOp.Mod, AluOp.Xor]), p, rng.range(1, 8))); break;
      case 5: op.push(asm.neg64(p)); break;
      case 6: op.push(asm.mov64Reg(q, FP), asm.alu64Reg(rng.pick([AluOp.Add, AluOp.Sub]), rng.chance(0.5) ? p : q, rng.chance(0.5) ? q : p)); break; // pointer op pointer
      default: op.push(asm.alu64Reg(AluOp.Sub, s, p), ...this.rescalar([s])); break; // scalar - pointer
    }
    const size = rng.pick(SIZES);
    const use = rng.chance(0.7)
      ? [asm.ldx(size, q, p, 0)]
      : [asm.jmpReg(rng.pick([JmpOp.Jgt, JmpOp.Jeq, JmpOp.Jsle]), p, rng.pick([s, R_CTX, FP]), 0)];
    return [...load, ...op, ...use, ...this.rescalar([p, q])];
  }
}
