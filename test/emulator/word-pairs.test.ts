// The interpreter's word-pair arithmetic and word-addressed memory against their BigInt meaning: the
// 64-bit product's high word for edge and seeded random operands, and every load/store of WordMemory
// against Memory's own (same value, or the same fault message) around region edges, NULL, freed ids,
// read-only bytes, the ctx's virtual regions, handles and the offset words memory.ts reads as negative.
import { expect, test } from 'vitest';
import { fixedBytes, Memory, ProgramFault, regionTag, type AccessSize } from '../../src/emulator/programs/memory.js';
import { WordMemory } from '../../src/emulator/programs/word-memory.js';
import { mulHigh64, mulHighU32, pairToBig, splitBig, splitHi } from '../../src/emulator/programs/word-pairs.js';

const EDGES = [0, 1, 2, 0x7fff, 0x8000, 0xffff, 0x1_0000, 0x7fff_ffff, 0x8000_0000, 0x8000_0001, 0xffff_fffe, 0xffff_ffff, 0x9e37_79b9, 0x1ce4_e5b9];

/** A seeded xorshift32: the same operands on every run. */
function words(seed: number, count: number): number[] {
  const out: number[] = [];
  let x = seed;
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.push(x >>> 0);
  }
  return out;
}

const hiOf = (v: bigint): number => Number(BigInt.asIntN(32, v >> 32n));
const u64 = (hi: number, lo: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

test('mulHighU32 is the high word of the u32 x u32 product', () => {
  const operands = [...EDGES, ...words(7, 200)];
  for (const a of operands) {
    for (const b of operands) {
      const want = hiOf(BigInt(a) * BigInt(b));
      if (mulHighU32(a | 0, b | 0) !== want) expect.fail(`mulHighU32(0x${a.toString(16)}, 0x${b.toString(16)})`);
    }
  }
});

test('mulHigh64 with Math.imul is the 64-bit product modulo 2^64', () => {
  const w = [...EDGES, ...words(11, 40)];
  let checked = 0;
  for (let i = 0; i < w.length; i++) {
    for (let j = 0; j < w.length; j++) {
      // Pairs of words as 64-bit operands: (w[i], w[j]) times (w[j], w[(i + j) % len]).
      const [ah, al, bh, bl] = [w[i]! | 0, w[j]! | 0, w[j]! | 0, w[(i + j) % w.length]! | 0];
      const want = BigInt.asUintN(64, u64(ah, al) * u64(bh, bl));
      const got = u64(mulHigh64(ah, al, bh, bl), Math.imul(al, bl));
      if (got !== want) expect.fail(`0x${u64(ah, al).toString(16)} * 0x${u64(bh, bl).toString(16)}: 0x${got.toString(16)}, want 0x${want.toString(16)}`);
      checked++;
    }
  }
  expect(checked).toBe(w.length * w.length);
});

test('pairToBig and splitBig are inverse, modulo 2^64', () => {
  for (const v of [0n, 1n, 0xffff_ffffn, 0x1_0000_0000n, (1n << 63n), (1n << 64n) - 1n, -1n, (1n << 64n) + 5n]) {
    const lo = splitBig(v);
    expect(pairToBig(splitHi, lo)).toBe(BigInt.asUintN(64, v));
  }
});

/** What `f` returns, or the message of the ProgramFault it throws (anything else fails the test). */
function outcome<T>(f: () => T): T | string {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof ProgramFault)) throw e;
    return `fault: ${e.message}`;
  }
}

test('WordMemory loads and stores as Memory does, fast path or not', () => {
  const memory = new Memory();
  const stackBytes = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 1) & 0xff);
  const stack = memory.addRegion(fixedBytes('stack', stackBytes), 'run');
  // A region inside a larger buffer, at a base: the offset arithmetic must add both.
  const slab = new Uint8Array(128).map((_, i) => (i * 53 + 3) & 0xff);
  const value = memory.addRegion({ name: 'value', size: 16, writable: true, bytes: () => slab, base: () => 40 }, 'static');
  const rodata = memory.addRegion(fixedBytes('rodata', new Uint8Array(16).fill(0xab), false), 'static');
  const ctx = memory.addRegion({
    name: 'ctx', size: 24,
    load: (off, size) => BigInt(off * 1000 + size),
    store: (off) => { if (off !== 8) throw new ProgramFault(`ctx store at ${off}`); },
  }, 'static');
  const handle = memory.addRegion({ name: 'map', size: 0, handle: {} }, 'static');
  const freed = memory.addRegion(fixedBytes('freed', new Uint8Array(8)), 'static');
  memory.removeRegion(freed);
  const words = new WordMemory(memory);

  const bases = [stack, value, rodata, ctx, handle, freed, 0n, 0x1234n];
  const offsets = [-9, -8, -1, 0, 1, 7, 8, 12, 15, 16, 20, 56, 57, 63, 64, 0x7fff, -0x8000];
  // Pointer words the program may hold: a base plus a small delta, and offset words at the 2^31/2^32 edges.
  const deltas = [0n, 8n, -8n, 0x7fff_fff0n, 0x8000_0000n, 0xffff_fff8n];
  let compared = 0;
  for (const base of bases) {
    // The register's tag: its base's region, whatever delta moved it (0 for the scalars 0 and 0x1234).
    const tag = regionTag(base);
    for (const delta of deltas) {
      const ptr = BigInt.asUintN(64, base + delta);
      const lo = splitBig(ptr);
      const hi = splitHi;
      for (const off of offsets) {
        for (const size of [1, 2, 4, 8] as AccessSize[]) {
          const addr = BigInt.asUintN(64, ptr + BigInt(off));
          const want = outcome(() => memory.load(tag, addr, size));
          const got = outcome(() => {
            const l = words.load(tag, hi, lo, off, size);
            return pairToBig(words.hi, l);
          });
          if (got !== want) expect.fail(`load ${size} at 0x${ptr.toString(16)}${off < 0 ? '' : '+'}${off}: ${String(got)}, want ${String(want)}`);
          // Stores: the same outcome, and the same bytes after it (checked by loading back through Memory).
          const v = 0x0102_0304_0506_0708n ^ BigInt(off & 0xff);
          const wantStore = outcome(() => memory.store(tag, addr, size, v));
          const wantAfter = outcome(() => memory.load(tag, addr, size));
          outcome(() => memory.store(tag, addr, size, 0n)); // faults again where the store did; otherwise resets the bytes
          const gotStore = outcome(() => words.store(tag, hi, lo, off, size, Number(BigInt.asIntN(32, v >> 32n)), Number(BigInt.asIntN(32, v)), 0));
          const gotAfter = outcome(() => memory.load(tag, addr, size));
          if (gotStore !== wantStore || gotAfter !== wantAfter) {
            expect.fail(`store ${size} at 0x${ptr.toString(16)}${off < 0 ? '' : '+'}${off}: ${String(gotStore)} then ${String(gotAfter)}, want ${String(wantStore)} then ${String(wantAfter)}`);
          }
          compared++;
        }
      }
    }
  }
  expect(compared).toBe(bases.length * deltas.length * offsets.length * 4);
  // A store lands in the region's own bytes, little-endian, at base + offset.
  const stackLo = splitBig(stack);
  words.store(regionTag(stack), splitHi, stackLo, 8, 8, 0x1122_3344, 0x5566_7788, 0);
  expect([...stackBytes.subarray(8, 16)]).toEqual([0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]);
  const valueLo = splitBig(value);
  words.store(regionTag(value), splitHi, valueLo, 2, 2, 0, 0xbeef, 0);
  expect([...slab.subarray(42, 44)]).toEqual([0xef, 0xbe]);
});
