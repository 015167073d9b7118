// Scalar bounds for the lock checker: a signed 64-bit interval per register, and the ALU and compare
// operations on it. The kernel tracks more (tnum, separate u64/s32/u32 bounds: kernel/bpf/verifier.c
// adjust_scalar_min_max_vals, is_branch_taken, reg_set_min_max); the checker needs only enough to decide
// the branches lock code depends on, above all the res-lock kfuncs' results (0 on success, [-4095, -1] on
// failure, however the compiler narrows or sign-extends them). Every operation here is sound: when a
// result cannot be bounded exactly it is the full range, never a guess.

/** Inclusive signed bounds. */
export interface Range {
  min: bigint;
  max: bigint;
}

export const S64_MIN = -(1n << 63n);
export const S64_MAX = (1n << 63n) - 1n;
const U64 = 1n << 64n;
const S32_MIN = -(1n << 31n);
const S32_MAX = (1n << 31n) - 1n;
const U32 = 1n << 32n;
const U32_MASK = U32 - 1n;

export const unknown64 = (): Range => ({ min: S64_MIN, max: S64_MAX });
const unknown32 = (): Range => ({ min: S32_MIN, max: S32_MAX });
export const constant = (v: bigint): Range => ({ min: v, max: v });
export const isConst = (r: Range): boolean => r.min === r.max;

/**
 * [a, b] computed exactly (as mathematical integers) wrapped into `bits` two's complement: exact when
 * both ends land in the same wrap window, else unknown.
 */
function wrap(a: bigint, b: bigint, bits: 32 | 64): Range {
  const span = bits === 64 ? U64 : U32;
  if (b - a >= span) return bits === 64 ? unknown64() : unknown32();
  const wa = BigInt.asIntN(bits, a);
  const wb = BigInt.asIntN(bits, b);
  if (wa <= wb && wb - wa === b - a) return { min: wa, max: wb };
  return bits === 64 ? unknown64() : unknown32();
}

/** The value as an unsigned interval, or the full range when it straddles the sign change. */
export function unsignedOf(r: Range, bits: 32 | 64): Range {
  const span = bits === 64 ? U64 : U32;
  if (r.min >= 0n) return r;
  if (r.max < 0n) return { min: r.min + span, max: r.max + span };
  return { min: 0n, max: span - 1n };
}

/** The low 32 bits of a 64-bit interval, as a signed 32-bit interval (what ALU32 and JMP32 see). */
export function low32(r: Range): Range {
  if (isConst(r)) return constant(BigInt.asIntN(32, r.min));
  if (r.min >= S32_MIN && r.max <= S32_MAX) return r;
  // Same upper half: the low halves keep their order.
  if (r.min >> 32n === r.max >> 32n) {
    const lo = r.min & U32_MASK;
    const hi = r.max & U32_MASK;
    if (hi <= S32_MAX || lo > S32_MAX) return { min: BigInt.asIntN(32, lo), max: BigInt.asIntN(32, hi) };
  }
  return unknown32();
}

/** An ALU32 result is zero-extended into the 64-bit register. */
export function zext32(r: Range): Range {
  return unsignedOf(r, 32);
}

/** Sign extension of the low `bits` (MOVSX, LDX MEMSX): exact when the value already fits. */
export function signExtend(r: Range, bits: 8 | 16 | 32): Range {
  const lim = 1n << BigInt(bits - 1);
  if (r.min >= -lim && r.max < lim) return r;
  if (isConst(r)) return constant(BigInt.asIntN(bits, r.min));
  return { min: -lim, max: lim - 1n };
}

/** What a load of `bytes` (zero-extending) can produce. */
export function loadedRange(bytes: number, signed: boolean): Range {
  if (bytes === 8) return unknown64();
  const bits = BigInt(bytes * 8);
  return signed ? { min: -(1n << (bits - 1n)), max: (1n << (bits - 1n)) - 1n } : { min: 0n, max: (1n << bits) - 1n };
}

/** BPF_ADD .. BPF_ARSH (include/uapi/linux/bpf.h op codes) on two intervals, in `bits` arithmetic. */
export function aluRange(op: number, a: Range, b: Range, bits: 32 | 64): Range {
  const full = bits === 64 ? unknown64() : unknown32();
  const both = isConst(a) && isConst(b);
  const ua = unsignedOf(a, bits);
  const ub = unsignedOf(b, bits);
  switch (op) {
    case 0x00: return wrap(a.min + b.min, a.max + b.max, bits); // add
    case 0x10: return wrap(a.min - b.max, a.max - b.min, bits); // sub
    case 0x20: // mul
      if (both) return wrap(a.min * b.min, a.min * b.min, bits);
      if (a.min >= 0n && b.min >= 0n) return wrap(a.min * b.min, a.max * b.max, bits);
      return full;
    case 0x30: // div (unsigned; by zero gives 0)
      if (isConst(b)) {
        if (ub.min === 0n) return constant(0n);
        return wrap(ua.min / ub.min, ua.max / ub.min, bits);
      }
      return full;
    case 0x90: // mod (unsigned; by zero leaves dst)
      if (both) return ub.min === 0n ? a : wrap(ua.min % ub.min, ua.min % ub.min, bits);
      if (isConst(b) && ub.min !== 0n) return { min: 0n, max: ub.min - 1n };
      return full;
    case 0x40: // or
    case 0xa0: // xor
      if (both) return wrap(op === 0x40 ? ua.min | ub.min : ua.min ^ ub.min, op === 0x40 ? ua.min | ub.min : ua.min ^ ub.min, bits);
      return full;
    case 0x50: { // and: a non-negative mask bounds the result
      if (both) return wrap(ua.min & ub.min, ua.min & ub.min, bits);
      const mask = isConst(b) && b.min >= 0n ? b.min : isConst(a) && a.min >= 0n ? a.min : undefined;
      if (mask === undefined) return full;
      const other = isConst(b) && b.min >= 0n ? a : b;
      return { min: 0n, max: other.min >= 0n && other.max < mask ? other.max : mask };
    }
    case 0x60: // lsh
    case 0x70: // rsh
    case 0xc0: { // arsh
      if (!isConst(ub) || ub.min >= BigInt(bits)) return full;
      const k = ub.min;
      if (op === 0x60) return wrap(a.min << k, a.max << k, bits);
      if (op === 0xc0) return { min: a.min >> k, max: a.max >> k };
      // Logical shift of the unsigned view: for k >= 1 the result fits the signed range.
      if (k === 0n) return a;
      return { min: ua.min >> k, max: ua.max >> k };
    }
    default:
      return full;
  }
}

export function negRange(a: Range, bits: 32 | 64): Range {
  return wrap(-a.max, -a.min, bits);
}

/** Jump ops (include/uapi/linux/bpf.h). */
const J = { Jeq: 0x10, Jgt: 0x20, Jge: 0x30, Jset: 0x40, Jne: 0x50, Jsgt: 0x60, Jsge: 0x70, Jlt: 0xa0, Jle: 0xb0, Jslt: 0xc0, Jsle: 0xd0 } as const;

/** Whether `a op b` always holds (true), never holds (false), or depends (undefined). */
export function decide(op: number, a: Range, b: Range, bits: 32 | 64): boolean | undefined {
  const ua = unsignedOf(a, bits);
  const ub = unsignedOf(b, bits);
  switch (op) {
    case J.Jeq:
    case J.Jne: {
      let eq: boolean | undefined;
      if (isConst(a) && isConst(b) && a.min === b.min) eq = true;
      else if (a.max < b.min || b.max < a.min || ua.max < ub.min || ub.max < ua.min) eq = false;
      return eq === undefined ? undefined : op === J.Jeq ? eq : !eq;
    }
    case J.Jgt: return ua.min > ub.max ? true : ua.max <= ub.min ? false : undefined;
    case J.Jge: return ua.min >= ub.max ? true : ua.max < ub.min ? false : undefined;
    case J.Jlt: return ua.max < ub.min ? true : ua.min >= ub.max ? false : undefined;
    case J.Jle: return ua.max <= ub.min ? true : ua.min > ub.max ? false : undefined;
    case J.Jsgt: return a.min > b.max ? true : a.max <= b.min ? false : undefined;
    case J.Jsge: return a.min >= b.max ? true : a.max < b.min ? false : undefined;
    case J.Jslt: return a.max < b.min ? true : a.min >= b.max ? false : undefined;
    case J.Jsle: return a.max <= b.min ? true : a.min > b.max ? false : undefined;
    case J.Jset:
      if (isConst(a) && isConst(b)) return (ua.min & ub.min) !== 0n;
      if (isConst(a) && a.min === 0n) return false;
      if (isConst(b) && b.min === 0n) return false;
      return undefined;
    default:
      return undefined;
  }
}

/**
 * `a` narrowed by knowing `a op c` is `taken` (64-bit compare with a constant), or undefined when the
 * branch is impossible. Only the cases where signed and unsigned order agree are narrowed for unsigned ops.
 */
export function narrow(op: number, a: Range, c: bigint, taken: boolean): Range | undefined {
  const invert: Record<number, number> = {
    [J.Jeq]: J.Jne, [J.Jne]: J.Jeq, [J.Jgt]: J.Jle, [J.Jle]: J.Jgt, [J.Jge]: J.Jlt, [J.Jlt]: J.Jge,
    [J.Jsgt]: J.Jsle, [J.Jsle]: J.Jsgt, [J.Jsge]: J.Jslt, [J.Jslt]: J.Jsge,
  };
  let o = op;
  if (!taken) {
    if (invert[op] === undefined) return a;
    o = invert[op]!;
  }
  const unsignedOp = o === J.Jgt || o === J.Jge || o === J.Jlt || o === J.Jle;
  if (unsignedOp && !(a.min >= 0n && c >= 0n)) return a;
  let { min, max } = a;
  switch (o) {
    case J.Jeq:
      if (c < min || c > max) return undefined;
      return constant(c);
    case J.Jne:
      if (min === c) min += 1n;
      if (max === c) max -= 1n;
      break;
    case J.Jgt: case J.Jsgt: if (c + 1n > min) min = c + 1n; break;
    case J.Jge: case J.Jsge: if (c > min) min = c; break;
    case J.Jlt: case J.Jslt: if (c - 1n < max) max = c - 1n; break;
    case J.Jle: case J.Jsle: if (c < max) max = c; break;
    default: return a;
  }
  return min > max ? undefined : { min, max };
}
