// 64-bit values as pairs of int32 words (hi, lo), for the interpreter's registers: V8 runs int32 arithmetic
// without allocating, where every BigInt result is a heap object (a 64-bit multiply/xor/shift loop on BigInts
// spends most of its time allocating and collecting them). Written apart from compiled-runtime.ts on purpose:
// the differential tests compare the interpreter with compiled code, so the two must not share arithmetic
// (compiled-runtime.ts big/split are this file's pairToBig/splitBig, written twice for that reason).

// BigInt <-> pair through one 8-byte buffer: a BigUint64Array store takes any BigInt modulo 2^64 without
// shifting or masking, a load makes the single BigInt asked for.
const buffer = new ArrayBuffer(8);
const words = new Int32Array(buffer);
const u64s = new BigUint64Array(buffer);

/** The unsigned 64-bit BigInt of the pair (hi, lo). */
export function pairToBig(hi: number, lo: number): bigint {
  words[0] = lo;
  words[1] = hi;
  return u64s[0]!;
}

/** Splits `v` (taken modulo 2^64) into words: returns the low word, the high one is left in splitHi. */
export function splitBig(v: bigint): number {
  u64s[0] = v;
  splitHi = words[1]!;
  return words[0]!;
}
/** The high word of the last splitBig(). */
export let splitHi = 0;

/**
 * The high 32 bits of the unsigned 64-bit product of two u32 words (given as int32 bit patterns), from
 * 16-bit halves: each partial product is below 2^32, so every step is exact in a double.
 */
export function mulHighU32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  // The carry out of the middle column: bits 16..31 of p00 plus the low halves of the cross products.
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) | 0;
}

/** The high word of the 64-bit product (ah, al) * (bh, bl) modulo 2^64; the low word is Math.imul(al, bl). */
export function mulHigh64(ah: number, al: number, bh: number, bl: number): number {
  return (mulHighU32(al, bl) + Math.imul(ah, bl) + Math.imul(al, bh)) | 0;
}
