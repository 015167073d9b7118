// Bob Jenkins' lookup3 hash exactly as the kernel has it (include/linux/jhash.h): the hash map's bucket of
// a key, and so its iteration order, depends on it (kernel/bpf/hashtab.c htab_map_hash).
const INITVAL = 0xdeadbeef;

const rol = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

// a, b, c live in these three slots so mix/final can update them without allocating.
const s = new Int32Array(3);

function mix(): void {
  let a = s[0]!, b = s[1]!, c = s[2]!;
  a = (a - c) | 0; a ^= rol(c, 4); c = (c + b) | 0;
  b = (b - a) | 0; b ^= rol(a, 6); a = (a + c) | 0;
  c = (c - b) | 0; c ^= rol(b, 8); b = (b + a) | 0;
  a = (a - c) | 0; a ^= rol(c, 16); c = (c + b) | 0;
  b = (b - a) | 0; b ^= rol(a, 19); a = (a + c) | 0;
  c = (c - b) | 0; c ^= rol(b, 4); b = (b + a) | 0;
  s[0] = a; s[1] = b; s[2] = c;
}

function final(): void {
  let a = s[0]!, b = s[1]!, c = s[2]!;
  c ^= b; c = (c - rol(b, 14)) | 0;
  a ^= c; a = (a - rol(c, 11)) | 0;
  b ^= a; b = (b - rol(a, 25)) | 0;
  c ^= b; c = (c - rol(b, 16)) | 0;
  a ^= c; a = (a - rol(c, 4)) | 0;
  b ^= a; b = (b - rol(a, 14)) | 0;
  c ^= b; c = (c - rol(b, 24)) | 0;
  s[0] = a; s[1] = b; s[2] = c;
}

const word = (k: Uint8Array, i: number): number => k[i]! | (k[i + 1]! << 8) | (k[i + 2]! << 16) | (k[i + 3]! << 24);

/** jhash2(): `key` as little-endian u32 words (its length a multiple of 4), as on x86. */
export function jhash2(key: Uint8Array, offset: number, length: number, seed: number): number {
  let n = length >>> 2;
  s[0] = s[1] = s[2] = (INITVAL + (n << 2) + seed) | 0;
  let i = offset;
  while (n > 3) {
    s[0] = (s[0]! + word(key, i)) | 0;
    s[1] = (s[1]! + word(key, i + 4)) | 0;
    s[2] = (s[2]! + word(key, i + 8)) | 0;
    mix();
    n -= 3;
    i += 12;
  }
  if (n === 0) return s[2]! >>> 0;
  if (n === 3) s[2] = (s[2]! + word(key, i + 8)) | 0;
  if (n >= 2) s[1] = (s[1]! + word(key, i + 4)) | 0;
  s[0] = (s[0]! + word(key, i)) | 0;
  final();
  return s[2]! >>> 0;
}

/** jhash(): any byte length. */
export function jhash(key: Uint8Array, offset: number, length: number, seed: number): number {
  s[0] = s[1] = s[2] = (INITVAL + length + seed) | 0;
  let i = offset;
  let n = length;
  while (n > 12) {
    s[0] = (s[0]! + word(key, i)) | 0;
    s[1] = (s[1]! + word(key, i + 4)) | 0;
    s[2] = (s[2]! + word(key, i + 8)) | 0;
    mix();
    n -= 12;
    i += 12;
  }
  if (n === 0) return s[2]! >>> 0;
  // The tail: byte j of the last block lands in a (0-3), b (4-7) or c (8-11), shifted by 8 × (j % 4).
  for (let j = n - 1; j >= 0; j--) {
    const slot = j >> 2;
    s[slot] = (s[slot]! + (key[i + j]! << ((j & 3) * 8))) | 0;
  }
  final();
  return s[2]! >>> 0;
}

/** kernel/bpf/hashtab.c htab_map_hash: jhash2 over words when the key length allows, else jhash. */
export function htabHash(key: Uint8Array, offset: number, length: number, seed: number): number {
  return (length & 3) === 0 ? jhash2(key, offset, length, seed) : jhash(key, offset, length, seed);
}
