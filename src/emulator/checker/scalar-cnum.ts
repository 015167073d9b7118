// 7.x's circular ranges (kernel/bpf/cnum.c, cnum_defs.h; kernel-version.ts circularRanges): a register's
// 64-bit and 32-bit values are each one arc of the number circle, {base, size}, and its signed and unsigned
// bounds are both read from that one arc. Where 6.18 keeps an unsigned and a signed interval whose
// intersection may be two arcs (umin=37 with smin=S64_MIN+37, after `r |= 37`), 7.x keeps one arc and
// prints umin=37 alone. This model keeps the four intervals and, where the version has circular ranges,
// runs 7.x's reg_bounds_sync over the arcs they make: the bounds it leaves are those 7.x's would print.
import { boundVarOff, tnumStep, tnumSubreg, type Tnum } from './tnum.js';
import type { Reg } from './scalar.js';

interface Cnum {
  readonly base: bigint;
  readonly size: bigint;
}

interface Width {
  readonly max: bigint; // UT_MAX
  readonly sign: bigint; // the sign bit, ST_MIN as unsigned
  readonly wrap: (x: bigint) => bigint; // to ut
  readonly signed: (x: bigint) => bigint; // to st
}

const W64: Width = { max: (1n << 64n) - 1n, sign: 1n << 63n, wrap: (x) => BigInt.asUintN(64, x), signed: (x) => BigInt.asIntN(64, x) };
const W32: Width = { max: (1n << 32n) - 1n, sign: 1n << 31n, wrap: (x) => BigInt.asUintN(32, x), signed: (x) => BigInt.asIntN(32, x) };

const fromURange = (w: Width, min: bigint, max: bigint): Cnum => ({ base: w.wrap(min), size: w.wrap(max - min) });

function fromSRange(w: Width, min: bigint, max: bigint): Cnum {
  const size = w.wrap(max - min);
  return { base: size === w.max ? 0n : w.wrap(min), size };
}

const urangeOverflow = (w: Width, c: Cnum): boolean => c.size > w.max - c.base;
const umin = (w: Width, c: Cnum): bigint => (urangeOverflow(w, c) ? 0n : c.base);
const umax = (w: Width, c: Cnum): bigint => (urangeOverflow(w, c) ? w.max : c.base + c.size);

function contains(w: Width, c: Cnum, v: bigint): boolean {
  return urangeOverflow(w, c) ? v >= c.base || v <= w.wrap(c.base + c.size) : v >= c.base && v <= c.base + c.size;
}

const srangeOverflow = (w: Width, c: Cnum): boolean => contains(w, c, w.sign - 1n) && contains(w, c, w.sign);

function smin(w: Width, c: Cnum): bigint {
  if (srangeOverflow(w, c)) return -w.sign;
  const [a, b] = [w.signed(c.base), w.signed(c.base + c.size)];
  return a < b ? a : b;
}

function smax(w: Width, c: Cnum): bigint {
  if (srangeOverflow(w, c)) return w.sign - 1n;
  const [a, b] = [w.signed(c.base), w.signed(c.base + c.size)];
  return a > b ? a : b;
}

const minB = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** cnum_intersect: one arc, or null for none; two arcs over-approximate as the smaller operand. */
function intersect(w: Width, x: Cnum | null, y: Cnum | null): Cnum | null {
  if (x === null || y === null) return null;
  let [a, b] = [x, y];
  if (a.base > b.base) [a, b] = [b, a];
  const dbase = b.base - a.base;
  const b1: Cnum = { base: dbase, size: b.size };
  if (urangeOverflow(w, b1)) {
    if (b1.base <= a.size) return a.size <= b.size ? a : b;
    return { base: a.base, size: minB(a.size, w.wrap(b1.base + b1.size)) };
  }
  if (a.size >= b1.base) return { base: b.base, size: minB(a.size - dbase, b.size) };
  return null;
}

/** cnum{32,64}_from_tnum: the arc of a tnum's values, signed when its sign bit may be set. */
function fromTnum(w: Width, t: Tnum): Cnum {
  if ((t.mask & w.sign) !== 0n || (t.value & w.sign) !== 0n) {
    return fromSRange(w, w.signed(t.value | (t.mask & w.sign)), w.signed(t.value | (t.mask & (w.sign - 1n))));
  }
  return fromURange(w, t.value, t.value | t.mask);
}

/** cnum32_from_cnum64 */
function to32(c: Cnum | null): Cnum | null {
  if (c === null) return null;
  return c.size >= W32.max ? { base: 0n, size: W32.max } : { base: W32.wrap(c.base), size: c.size };
}

/** cnum64_cnum32_intersect: the 64-bit arc trimmed to the values whose low halves are in the 32-bit arc. */
function intersect64With32(a: Cnum | null, b: Cnum | null): Cnum | null {
  if (a === null || b === null) return null;
  const b1: Cnum = { base: W32.wrap(b.base - W32.wrap(a.base)), size: b.size };
  const aLow = W32.wrap(a.size);
  let t = a;
  if (urangeOverflow(W32, b1)) {
    const b1Max = W32.wrap(b1.base + b1.size);
    if (aLow > b1Max && aLow < b1.base) t = { base: t.base, size: t.size - (aLow - b1Max) };
    return t;
  }
  if (t.size < b1.base) return null;
  t = { base: W64.wrap(t.base + b1.base), size: t.size - b1.base };
  const b1Max = b1.base + b1.size;
  let d = 0n;
  if (aLow < b1.base) d = aLow + ((1n << 32n) - b1Max);
  else if (aLow >= b1Max) d = aLow - b1Max;
  if (t.size < d) return null;
  return { base: t.base, size: t.size - d };
}

interface Arcs {
  r64: Cnum | null;
  r32: Cnum | null;
  varOff: Tnum;
}

function markKnown(s: Arcs, v: bigint): void {
  s.r64 = { base: v, size: 0n };
  s.r32 = { base: W32.wrap(v), size: 0n };
  s.varOff = { value: v, mask: 0n };
}

/** __update_reg_bounds: each arc cut to the tnum's, and a 64-bit range meeting the tnum in one value is it. */
function updateBounds(s: Arcs): void {
  s.r32 = intersect(W32, s.r32, fromTnum(W32, tnumSubreg(s.varOff)));
  s.r64 = intersect(W64, s.r64, fromTnum(W64, s.varOff));
  if (s.r64 === null) return;
  const lo = umin(W64, s.r64);
  const hi = umax(W64, s.r64);
  const t = s.varOff;
  const next = tnumStep(t, lo);
  const loIn = (lo & ~t.mask) === t.value;
  const tmax = t.value | t.mask;
  if (loIn && next > hi) markKnown(s, lo);
  else if (!loIn && next === tmax) markKnown(s, tmax);
  else if (!loIn && next <= hi && tnumStep(t, next) > hi) markKnown(s, next);
}

const empty = (s: Arcs): boolean => s.r64 === null || s.r32 === null;

/**
 * reg_bounds_sync with circular ranges, on a register whose four intervals this model computed: they
 * become 7.x's two arcs (each width's unsigned and signed intervals intersected), which the sync then
 * narrows as 7.x's does; the intervals are read back from the arcs. A range left empty stays empty
 * (min above max), which is how a dead side shows (range_bounds_violation).
 */
export function circularBoundsSync(r: Reg): void {
  const s: Arcs = {
    r64: intersect(W64, fromURange(W64, r.umin, r.umax), fromSRange(W64, r.smin, r.smax)),
    r32: intersect(W32, fromURange(W32, BigInt(r.u32min), BigInt(r.u32max)), fromSRange(W32, BigInt(r.s32min), BigInt(r.s32max))),
    varOff: r.varOff,
  };
  if (r.umin > r.umax || r.smin > r.smax || r.u32min > r.u32max || r.s32min > r.s32max || empty(s)) return;
  updateBounds(s);
  for (let round = 0; round < 2 && !empty(s); round++) {
    s.r32 = intersect(W32, s.r32, to32(s.r64));
    s.r64 = intersect64With32(s.r64, s.r32);
  }
  if (!empty(s)) {
    s.varOff = boundVarOff(s.varOff, umin(W64, s.r64!), umax(W64, s.r64!), umin(W32, s.r32!), umax(W32, s.r32!));
    updateBounds(s);
  }
  r.varOff = s.varOff;
  if (s.r64 === null || s.r32 === null) {
    // range_bounds_violation: an empty range, as min above max.
    [r.umin, r.umax, r.smin, r.smax] = [1n, 0n, 1n, 0n];
    [r.u32min, r.u32max, r.s32min, r.s32max] = [1, 0, 1, 0];
    return;
  }
  [r.umin, r.umax, r.smin, r.smax] = [umin(W64, s.r64), umax(W64, s.r64), smin(W64, s.r64), smax(W64, s.r64)];
  [r.u32min, r.u32max] = [Number(umin(W32, s.r32)), Number(umax(W32, s.r32))];
  [r.s32min, r.s32max] = [Number(smin(W32, s.r32)), Number(smax(W32, s.r32))];
}
