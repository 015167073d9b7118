// BPF_DIV and BPF_MOD by a constant, as 7.x tracks them (kernel/bpf/verifier.c adjust_scalar_min_max_vals,
// scalar{32,}_min_max_{u,s}{div,mod}; kernel-version.ts divModTracked): the quotient or remainder's range
// at the instruction's width, the other width and the tnum reset to unknown. 7.x keeps ranges as circular
// numbers (kernel/bpf/cnum.c); setting one signed or unsigned range sets the other sign's range from it, as
// here: the same range where it does not cross the other sign's boundary, else unbounded.
import { TNUM_UNKNOWN, U64_MAX } from './tnum.js';
import { S32_MAX, S32_MIN, S64_MAX, S64_MIN, U32_MAX, mark32Unbounded, mark64Unbounded, markKnown, s32, s64, u32, u64, type Reg, type Scalar } from './scalar.js';

/** How a division's operands are read: BPF_DIV and BPF_MOD with `off` 1 are the signed forms. */
export type Division = 'unsigned' | 'signed';

const minB = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const maxB = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/** reg_set_urange32 */
function setURange32(d: Reg, lo: number, hi: number): void {
  d.u32min = lo;
  d.u32max = hi;
  [d.s32min, d.s32max] = s32(lo) <= s32(hi) ? [s32(lo), s32(hi)] : [S32_MIN, S32_MAX];
}

/** reg_set_srange32 */
function setSRange32(d: Reg, lo: number, hi: number): void {
  d.s32min = lo;
  d.s32max = hi;
  [d.u32min, d.u32max] = u32(lo) <= u32(hi) ? [u32(lo), u32(hi)] : [0, U32_MAX];
}

/** reg_set_urange64 */
function setURange64(d: Reg, lo: bigint, hi: bigint): void {
  d.umin = lo;
  d.umax = hi;
  [d.smin, d.smax] = s64(lo) <= s64(hi) ? [s64(lo), s64(hi)] : [S64_MIN, S64_MAX];
}

/** reg_set_srange64 */
function setSRange64(d: Reg, lo: bigint, hi: bigint): void {
  d.smin = lo;
  d.smax = hi;
  [d.umin, d.umax] = u64(lo) <= u64(hi) ? [u64(lo), u64(hi)] : [0n, U64_MAX];
}

/** reset_reg64_and_tnum / reset_reg32_and_tnum: the other width's ranges and every tnum bit unknown. */
function resetOther(d: Reg, alu64: boolean): void {
  if (alu64) mark32Unbounded(d);
  else mark64Unbounded(d);
  d.varOff = TNUM_UNKNOWN;
}

/** The signed ranges of a quotient by `k`: S_MIN / -1 stays S_MIN (the BPF division rule). */
function signedQuotient(smin: bigint, smax: bigint, k: bigint, sMin: bigint, sMax: bigint): [bigint, bigint] {
  if (smin === sMin && k === -1n) return smax !== sMin ? [sMin, sMax] : [sMin, sMin];
  const a = smin / k; // BigInt division truncates toward zero, as C's
  const b = smax / k;
  return [minB(a, b), maxB(a, b)];
}

/** The signed range of a remainder by `k`: the dividend's sign, below |k| in magnitude; null: unchanged. */
function signedRemainder(smin: bigint, smax: bigint, k: bigint): [bigint, bigint] | null {
  const r = (k > 0n ? k : -k) - 1n;
  if (smin >= -r && smax <= r) return null;
  if (smin >= 0n) return [0n, minB(smax, r)];
  if (smax <= 0n) return [maxB(smin, -r), 0n];
  return [-r, r];
}

/**
 * `d op= src` for a constant `src` (is_safe_to_compute_dst_reg_range), before zero-extension and
 * reg_bounds_sync, which the caller does. A zero divisor: x / 0 is 0, x % 0 is x.
 */
export function divModRanges(d: Reg, src: Scalar, mod: boolean, alu64: boolean, division: Division): void {
  const zero = alu64 ? src.umin === 0n : src.u32min === 0;
  if (zero) {
    if (!mod) markKnown(d, 0n);
    return;
  }
  if (!alu64) {
    if (division === 'unsigned') {
      const k = src.u32min;
      if (!mod) setURange32(d, Math.floor(d.u32min / k), Math.floor(d.u32max / k));
      else if (d.u32max <= k - 1) return;
      else setURange32(d, 0, Math.min(d.u32max, k - 1));
    } else {
      const k = BigInt(src.s32min);
      const range = mod ? signedRemainder(BigInt(d.s32min), BigInt(d.s32max), k)
        : signedQuotient(BigInt(d.s32min), BigInt(d.s32max), k, BigInt(S32_MIN), BigInt(S32_MAX));
      if (range === null) return;
      setSRange32(d, Number(range[0]), Number(range[1]));
    }
  } else if (division === 'unsigned') {
    const k = src.umin;
    if (!mod) setURange64(d, d.umin / k, d.umax / k);
    else if (d.umax <= k - 1n) return;
    else setURange64(d, 0n, minB(d.umax, k - 1n));
  } else {
    const k = src.smin;
    const range = mod ? signedRemainder(d.smin, d.smax, k) : signedQuotient(d.smin, d.smax, k, S64_MIN, S64_MAX);
    if (range === null) return;
    setSRange64(d, range[0], range[1]);
  }
  resetOther(d, alu64);
}
