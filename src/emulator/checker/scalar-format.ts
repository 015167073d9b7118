// How the verifier log prints a scalar register's value: kernel/bpf/log.c print_reg_state (the
// SCALAR_VALUE cases), print_scalar_ranges, verbose_snum / verbose_unum and tnum_strn, as in 6.18.
import { U64_MAX, hex, tnumIsConst, tnumIsUnknown, type Tnum } from './tnum.js';
import { S32_MAX, S32_MIN, S64_MAX, S64_MIN, U32_MAX, u32, u64, type Scalar } from './scalar.js';

// is_unum_decimal / is_snum_decimal: numbers up to U16_MAX, and in [S16_MIN, S16_MAX], print in decimal.
const isUnumDecimal = (v: bigint): boolean => v <= 0xffffn;
const isSnumDecimal = (v: bigint): boolean => v >= -0x8000n && v <= 0x7fffn;

/** verbose_unum */
function formatUnum(v: bigint): string {
  return isUnumDecimal(v) ? v.toString() : hex(u64(v));
}

/** verbose_snum: decimal in [-32768, 32767], else the u64 bit pattern in hex. */
function formatSnum(v: bigint): string {
  const s = BigInt.asIntN(64, v);
  return isSnumDecimal(s) ? s.toString() : hex(u64(v));
}

/**
 * How tnum_strn prints a constant (kernel-version.ts tnumConstForm): 'hex' as "(%#llx; %#llx)" like any
 * tnum (6.1), 'unsigned' as verbose_unum would, 'signed' also small negatives in decimal (7.2's log.c).
 */
export type TnumConstForm = 'hex' | 'unsigned' | 'signed';

/**
 * tnum_strn (kernel/bpf/log.c): a constant as a number, anything else as `(%#llx; %#llx)`, as the log
 * prints var_off. A scalar's constant var_off is never printed this way (print_reg_state prints the
 * constant with verbose_snum), a pointer's may be.
 */
export function tnumStrn(a: Tnum, form: TnumConstForm = 'unsigned'): string {
  if (a.mask === 0n && form !== 'hex') {
    if (isUnumDecimal(a.value)) return a.value.toString();
    const s = BigInt.asIntN(64, a.value);
    if (form === 'signed' && isSnumDecimal(s)) return s.toString();
    return hex(a.value);
  }
  return `(${hex(a.value)}; ${hex(a.mask)})`;
}

export interface FormatOptions {
  /** reg->precise: the kernel prints a `P` before the value. */
  readonly precise?: boolean;
  /**
   * Fields printed first inside the parentheses, each already in its final form ("id=2", "id=1+3"),
   * in the kernel's order (id, ref_obj_id, ...). The kernel prints none of them for a constant.
   */
  readonly fields?: readonly string[];
}

/**
 * print_scalar_ranges: the eight bounds, each left out when it is its type's full range, and a bound
 * equal to a later one of the same end (min or max) printed together with it (`smin=umin=5`), never a
 * negative signed bound together with a positive one. 32-bit signed bounds outside the decimal range
 * are printed as their u32 bit pattern, so they do not group with a sign-extended 64-bit bound.
 */
function formatScalarRanges(s: Scalar): string[] {
  const s32Val = (v: number): bigint => (isSnumDecimal(BigInt(v)) ? BigInt(v) : BigInt(u32(v)));
  const m: { name: string; val: bigint; omit: boolean }[] = [
    { name: 'smin', val: u64(s.smin), omit: s.smin === S64_MIN },
    { name: 'smax', val: u64(s.smax), omit: s.smax === S64_MAX },
    { name: 'umin', val: s.umin, omit: s.umin === 0n },
    { name: 'umax', val: s.umax, omit: s.umax === U64_MAX },
    { name: 'smin32', val: u64(s32Val(s.s32min)), omit: s.s32min === S32_MIN },
    { name: 'smax32', val: u64(s32Val(s.s32max)), omit: s.s32max === S32_MAX },
    { name: 'umin32', val: BigInt(s.u32min), omit: s.u32min === 0 },
    { name: 'umax32', val: BigInt(s.u32max), omit: s.u32max === U32_MAX },
  ];
  const isNeg = (e: { name: string; val: bigint }): boolean => e.name[0] === 's' && BigInt.asIntN(64, e.val) < 0n;
  const out: string[] = [];
  for (let i = 0; i < m.length; i++) {
    const m1 = m[i]!;
    if (m1.omit) continue;
    let text = `${m1.name}=`;
    for (let j = i + 2; j < m.length; j += 2) {
      const m2 = m[j]!;
      if (m2.omit || m2.val !== m1.val || isNeg(m2) !== isNeg(m1)) continue;
      m2.omit = true;
      text += `${m2.name}=`;
    }
    out.push(text + (m1.name[0] === 's' ? formatSnum(m1.val) : formatUnum(m1.val)));
  }
  return out;
}

/**
 * A scalar register's value as print_reg_state writes it: a constant as its number (verbose_snum),
 * otherwise `scalar(` fields, bounds, `var_off=(v; m)` unless fully unknown `)`. The `R1=` prefix, like
 * the fields (id=...), is the caller's.
 */
export function formatScalar(s: Scalar, opts: FormatOptions = {}): string {
  const p = opts.precise ? 'P' : '';
  if (tnumIsConst(s.varOff)) return p + formatSnum(s.varOff.value);
  const parts = [...(opts.fields ?? []), ...formatScalarRanges(s)];
  if (!tnumIsUnknown(s.varOff)) parts.push(`var_off=${tnumStrn(s.varOff)}`);
  return `${p}scalar(${parts.join(',')})`;
}

/** The kernel's text for a register id: `id=N`, and `+off`/`-off` for a BPF_ADD_CONST link. */
export function formatScalarId(id: number, addConst?: number): string {
  if (addConst === undefined) return `id=${id}`;
  return `id=${id}${addConst < 0 ? addConst : `+${addConst}`}`;
}
