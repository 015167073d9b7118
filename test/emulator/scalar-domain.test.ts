// The scalar domain (src/emulator/checker/tnum.ts, scalar*.ts) against concrete values, without a kernel:
// every operation must be sound (a register built from a set of 64-bit values still holds every result
// of running the operation on those values), tnum_step must agree with counting the tnum's members, and
// range_within / tnum_in must only accept a state whose values the old state holds. Exactness against the
// kernel is the differential test's (test/diff/scalar-bounds.test.ts); this one checks the parts the
// kernel's log cannot show (pruning) and catches unsound steps on inputs random programs rarely reach.
import { expect, test } from 'vitest';
import { AluOp, JmpOp } from '../../src/uapi/isa.js';
import { scalarAlu, scalarEnd, scalarMov, scalarNeg } from '../../src/emulator/checker/scalar-alu.js';
import { branchTaken, rangeWithin, refineBoth, scalarWithin } from '../../src/emulator/checker/scalar-branch.js';
import { formatScalar } from '../../src/emulator/checker/scalar-format.js';
import { coerceToSize, copyReg, freeze, regBoundsSync, scalarConst, type Scalar } from '../../src/emulator/checker/scalar.js';
import {
  U64_MAX, tnumConst, tnumIn, tnumStep, tnumUnion, type Tnum,
} from '../../src/emulator/checker/tnum.js';
import { Prng } from '../diff/random-programs.js';

const ROUNDS = 600;
const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
const lo32 = (x: bigint): bigint => x & 0xffffffffn;

/** The tightest register of each kind for a set of values: union tnum, min/max in all four views, synced. */
function fromValues(vals: readonly bigint[]): Scalar {
  const min = (xs: bigint[]): bigint => xs.reduce((a, b) => (a < b ? a : b));
  const max = (xs: bigint[]): bigint => xs.reduce((a, b) => (a > b ? a : b));
  const u = vals.map(u64);
  const s = u.map(s64);
  const u32 = u.map(lo32);
  const s32 = u.map((v) => BigInt.asIntN(32, v));
  const r = copyReg(scalarConst(0n));
  r.varOff = u.map(tnumConst).reduce((a: Tnum, b) => tnumUnion(a, b));
  r.umin = min(u);
  r.umax = max(u);
  r.smin = min(s);
  r.smax = max(s);
  r.u32min = Number(min(u32));
  r.u32max = Number(max(u32));
  r.s32min = Number(min(s32));
  r.s32max = Number(max(s32));
  regBoundsSync(r);
  return freeze(r);
}

/** Whether `v` is a value the register allows: in the tnum and inside all eight bounds. */
function holds(s: Scalar, v: bigint): boolean {
  const x = u64(v);
  const l = lo32(x);
  return tnumIn(s.varOff, tnumConst(x)) && x >= s.umin && x <= s.umax && s64(x) >= s.smin && s64(x) <= s.smax &&
    l >= BigInt(s.u32min) && l <= BigInt(s.u32max) && BigInt.asIntN(32, l) >= BigInt(s.s32min) && BigInt.asIntN(32, l) <= BigInt(s.s32max);
}

/** Small sets of related values: near a base, a base with a few free bits, and the edges. */
function values(r: Prng): bigint[] {
  const edges = [0n, 1n, U64_MAX, 1n << 63n, (1n << 63n) - 1n, 0xffffffffn, 0x80000000n, 0x7fffffffn, 0xffffffff80000000n, 0xffn, 0x80n];
  const base = r.chance(0.3) ? r.pick(edges) : r.u64() >> BigInt(r.int(64));
  const n = 1 + r.int(5);
  const out: bigint[] = [];
  for (let i = 0; i < n; i++) {
    switch (r.int(3)) {
      case 0: out.push(u64(base + BigInt(r.range(-40, 40)))); break;
      case 1: out.push(base ^ (BigInt(r.u32() & 0xff) << BigInt(r.int(57)))); break;
      default: out.push(r.pick(edges));
    }
  }
  return out;
}

/** What the ALU instruction computes; undefined where the verifier does not track it (div, mod). */
function concreteAlu(op: number, alu64: boolean, a: bigint, b: bigint): bigint | undefined {
  const w = alu64 ? 64 : 32;
  const x = BigInt.asUintN(w, a);
  const y = BigInt.asUintN(w, b);
  const sh = Number(y) % w;
  let v: bigint;
  switch (op) {
    case AluOp.Add: v = x + y; break;
    case AluOp.Sub: v = x - y; break;
    case AluOp.Mul: v = x * y; break;
    case AluOp.And: v = x & y; break;
    case AluOp.Or: v = x | y; break;
    case AluOp.Xor: v = x ^ y; break;
    case AluOp.Lsh: v = x << BigInt(sh); break;
    case AluOp.Rsh: v = x >> BigInt(sh); break;
    case AluOp.Arsh: v = BigInt.asIntN(w, x) >> BigInt(sh); break;
    default: return undefined;
  }
  return BigInt.asUintN(w, v);
}

function concreteCond(op: number, is32: boolean, a: bigint, b: bigint): boolean {
  const w = is32 ? 32 : 64;
  const x = BigInt.asUintN(w, a);
  const y = BigInt.asUintN(w, b);
  const sx = BigInt.asIntN(w, x);
  const sy = BigInt.asIntN(w, y);
  switch (op) {
    case JmpOp.Jeq: return x === y;
    case JmpOp.Jne: return x !== y;
    case JmpOp.Jset: return (x & y) !== 0n;
    case JmpOp.Jgt: return x > y;
    case JmpOp.Jge: return x >= y;
    case JmpOp.Jlt: return x < y;
    case JmpOp.Jle: return x <= y;
    case JmpOp.Jsgt: return sx > sy;
    case JmpOp.Jsge: return sx >= sy;
    case JmpOp.Jslt: return sx < sy;
    default: return sx <= sy;
  }
}

const fmt = (s: Scalar): string => formatScalar(s);

test('tnum_step is the next member of the tnum, counted by brute force', () => {
  const r = new Prng(7);
  for (let i = 0; i < ROUNDS; i++) {
    // A mask of up to 8 bits spread over the word, so the members can be listed.
    let mask = 0n;
    for (let k = r.int(9); k > 0; k--) mask |= 1n << BigInt(r.int(64));
    const value = r.u64() & ~mask;
    const members: bigint[] = [];
    for (let sub = mask; ; sub = (sub - 1n) & mask) {
      members.push(value | sub);
      if (sub === 0n) break;
    }
    members.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const z = r.chance(0.5) ? r.pick(members) + BigInt(r.range(-2, 2)) : value + (r.u64() & ((mask << 1n) | 1n));
    const zz = u64(z);
    const next = members.find((m) => m > zz);
    const expected = zz >= members[members.length - 1]! ? members[members.length - 1]! : zz < value ? value : next!;
    expect(tnumStep({ value, mask }, zz), `value ${value.toString(16)} mask ${mask.toString(16)} z ${zz.toString(16)}`).toBe(expected);
  }
});

test('every ALU transfer holds every concrete result', () => {
  const r = new Prng(11);
  const ops = [AluOp.Add, AluOp.Sub, AluOp.Mul, AluOp.And, AluOp.Or, AluOp.Xor, AluOp.Lsh, AluOp.Rsh, AluOp.Arsh];
  for (let i = 0; i < ROUNDS; i++) {
    const op = r.pick(ops);
    const alu64 = r.chance(0.5);
    const xs = values(r);
    // Shifts are tracked by a constant amount below the width only; other amounts make an unknown.
    const ys = op === AluOp.Lsh || op === AluOp.Rsh || op === AluOp.Arsh ? [BigInt(r.int(alu64 ? 64 : 32))] : values(r);
    const a = fromValues(xs);
    const b = fromValues(ys);
    const res = scalarAlu(op, alu64, a, b);
    expect(res.violation).toBeUndefined();
    for (const x of xs) {
      for (const y of ys) {
        // maybe_fork_scalars: this path continues with x = -1; x = 0 is re-run by the pushed state.
        if (res.fork && x === 0n) continue;
        const v = concreteAlu(op, alu64, x, y)!;
        expect(holds(res.dst, v), `${fmt(a)} op ${op.toString(16)}${alu64 ? '' : ' (32)'} ${fmt(b)}: ${v.toString(16)} not in ${fmt(res.dst)}`).toBe(true);
      }
    }
  }
});

test('NEG, END, MOV, MOVSX and narrow loads hold every concrete result', () => {
  const r = new Prng(13);
  const bswap = (v: bigint, bytes: number): bigint => {
    let out = 0n;
    for (let k = 0; k < bytes; k++) out |= ((v >> BigInt(8 * k)) & 0xffn) << BigInt(8 * (bytes - 1 - k));
    return out;
  };
  for (let i = 0; i < ROUNDS; i++) {
    const xs = values(r);
    const a = fromValues(xs);
    const bits = r.pick([16, 32, 64] as const);
    const sx = r.pick([8, 16, 32] as const);
    const size = r.pick([1, 2, 4] as const);
    const cases: [string, Scalar, (x: bigint) => bigint][] = [
      ['neg64', scalarNeg(true, a).dst, (x) => u64(-x)],
      ['neg32', scalarNeg(false, a).dst, (x) => lo32(-x)],
      [`be${bits}`, scalarEnd(a, bits, true).dst, (x) => bswap(BigInt.asUintN(bits, x), bits / 8)],
      [`le${bits}`, scalarEnd(a, bits, false).dst, (x) => BigInt.asUintN(bits, x)],
      ['mov32', scalarMov(false, a).dst, lo32],
      [`movsx64 s${sx}`, scalarMov(true, a, sx).dst, (x) => u64(BigInt.asIntN(sx, x))],
      [`movsx32 s${sx === 32 ? 16 : sx}`, scalarMov(false, a, sx === 32 ? 16 : sx).dst, (x) => lo32(BigInt.asIntN(sx === 32 ? 16 : sx, x))],
      [`load u${size * 8}`, coerceToSize(a, size, false), (x) => BigInt.asUintN(size * 8, x)],
      [`load s${size * 8}`, coerceToSize(a, size, true), (x) => u64(BigInt.asIntN(size * 8, x))],
    ];
    for (const [what, out, f] of cases) {
      for (const x of xs) expect(holds(out, f(x)), `${what} of ${fmt(a)}: ${f(x).toString(16)} not in ${fmt(out)}`).toBe(true);
    }
  }
});

test('branches: a decided jump is right for every pair, each edge keeps the pairs that take it', () => {
  const r = new Prng(17);
  const ops = [JmpOp.Jeq, JmpOp.Jne, JmpOp.Jset, JmpOp.Jgt, JmpOp.Jge, JmpOp.Jlt, JmpOp.Jle, JmpOp.Jsgt, JmpOp.Jsge, JmpOp.Jslt, JmpOp.Jsle];
  for (let i = 0; i < ROUNDS; i++) {
    const op = r.pick(ops);
    const is32 = r.chance(0.4);
    // `if rX op rX`: one register on both sides (the kernel refines it through two pointers).
    const aliased = r.chance(0.15);
    const xs = values(r);
    const ys = aliased ? xs : r.chance(0.4) ? [r.pick(xs)] : values(r);
    const a = fromValues(xs);
    const b = aliased ? a : fromValues(ys);
    const pred = branchTaken(op, is32, a, b);
    const { taken, fallthrough, violations } = refineBoth(op, is32, a, b, aliased);
    for (const x of xs) {
      for (const y of ys) {
        if (aliased && x !== y) continue;
        const t = concreteCond(op, is32, x, y);
        const where = `${fmt(a)} ${op.toString(16)}${is32 ? ' (32)' : ''} ${fmt(b)} at ${x.toString(16)}, ${y.toString(16)}`;
        if (pred !== -1) expect(t, `decided ${pred}: ${where}`).toBe(pred === 1);
        else {
          const side = t ? taken : fallthrough;
          expect(holds(side.a, x) && holds(side.b, y), `${t ? 'taken' : 'fall-through'} ${fmt(side.a)} / ${fmt(side.b)}: ${where}`).toBe(true);
        }
      }
    }
    // A side some pair takes is a reachable side: the kernel's sanity check must not fire on it.
    if (pred === -1) {
      const reached = new Set(xs.flatMap((x) => (aliased ? [x] : ys).map((y) => concreteCond(op, is32, x, y))));
      if (reached.has(true) && reached.has(false)) expect(violations).toEqual([]);
    }
  }
});

test('range_within and tnum_in accept a state only when the old state holds its values', () => {
  const r = new Prng(19);
  let accepted = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const olds = values(r);
    // A current state is often a subset of the old one (accepted), sometimes a different set.
    const curs = r.chance(0.6) ? olds.filter(() => r.chance(0.6)) : values(r);
    if (curs.length === 0) curs.push(olds[0]!);
    const old = fromValues(olds);
    const cur = fromValues(curs);
    expect(scalarWithin(old, old)).toBe(true);
    if (!scalarWithin(old, cur)) continue;
    accepted++;
    expect(rangeWithin(old, cur)).toBe(true);
    for (const v of curs) expect(holds(old, v), `${fmt(old)} accepted ${fmt(cur)} but not ${v.toString(16)}`).toBe(true);
  }
  // Not vacuous: subsets are accepted often enough.
  expect(accepted).toBeGreaterThan(ROUNDS / 4);
  // A narrower range is within a wider one; the other way round it is not.
  const wide = fromValues([0n, 127n]);
  const narrow = fromValues([10n, 20n]);
  expect(scalarWithin(wide, narrow)).toBe(true);
  expect(scalarWithin(narrow, wide)).toBe(false);
});
