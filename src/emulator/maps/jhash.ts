// Bob Jenkins' lookup3 hash exactly as the kernel has it (include/linux/jhash.h): the hash map's bucket of
// a key, and so its iteration order, depends on it (kernel/bpf/hashtab.c htab_map_hash).
// a, b and c are locals throughout (mix is written out where it runs, final returns c, the only word
// the kernel returns), so a hash allocates nothing and touches no memory but the key. The hashes are
// computed as int32 (the same 32 bits): V8 keeps those unboxed, where a u32 above 2^31 is a heap number
// when it crosses a call; htabHash32 gives the map that form, the exported jhash* the kernel's u32.
const INITVAL = 0xdeadbeef;

const rol = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** __jhash_final, giving c. */
function final(a: number, b: number, c: number): number {
  c ^= b; c = (c - rol(b, 14)) | 0;
  a ^= c; a = (a - rol(c, 11)) | 0;
  b ^= a; b = (b - rol(a, 25)) | 0;
  c ^= b; c = (c - rol(b, 16)) | 0;
  a ^= c; a = (a - rol(c, 4)) | 0;
  b ^= a; b = (b - rol(a, 14)) | 0;
  c ^= b; c = (c - rol(b, 24)) | 0;
  return c;
}

const word = (k: Uint8Array, i: number): number => k[i]! | (k[i + 1]! << 8) | (k[i + 2]! << 16) | (k[i + 3]! << 24);

/** jhash2() of one u32 word (a 4-byte key, the commonest): jhash2's n == 1 tail. As int32. */
function jhashWord32(w: number, seed: number): number {
  const init = (INITVAL + 4 + seed) | 0;
  return final((init + w) | 0, init, init);
}

/**
 * jhash2(): `key` as little-endian u32 words (its length a multiple of 4), as on x86. On a little-endian
 * host it is jhash() of the same bytes: the same initial value (INITVAL + length + seed), the same 12-byte
 * blocks, and a tail of whole words that jhash adds byte by byte into the same bits.
 */
export function jhash2(key: Uint8Array, offset: number, length: number, seed: number): number {
  return jhash32(key, offset, length, seed) >>> 0;
}

/** jhash(): any byte length. */
export function jhash(key: Uint8Array, offset: number, length: number, seed: number): number {
  return jhash32(key, offset, length, seed) >>> 0;
}

/** kernel/bpf/hashtab.c htab_map_hash: jhash2 over words when the key length allows, else jhash. */
export function htabHash(key: Uint8Array, offset: number, length: number, seed: number): number {
  return htabHash32(key, offset, length, seed) >>> 0;
}

/** htabHash as int32 (the bits the map stores and masks), for the hash map's hot paths. */
export function htabHash32(key: Uint8Array, offset: number, length: number, seed: number): number {
  return length === 4 ? jhashWord32(word(key, offset), seed) : jhash32(key, offset, length, seed);
}

function jhash32(key: Uint8Array, offset: number, length: number, seed: number): number {
  let a = (INITVAL + length + seed) | 0;
  let b = a;
  let c = a;
  let i = offset;
  let n = length;
  while (n > 12) {
    a = (a + word(key, i)) | 0;
    b = (b + word(key, i + 4)) | 0;
    c = (c + word(key, i + 8)) | 0;
    // __jhash_mix
    a = (a - c) | 0; a ^= rol(c, 4); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rol(a, 6); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rol(b, 8); b = (b + a) | 0;
    a = (a - c) | 0; a ^= rol(c, 16); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rol(a, 19); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rol(b, 4); b = (b + a) | 0;
    n -= 12;
    i += 12;
  }
  if (n === 0) return c;
  // The tail, 1 to 12 bytes: little-endian words into a, b and c, a partial word's missing bytes zero.
  a = (a + tailWord(key, i, n)) | 0;
  b = (b + tailWord(key, i + 4, n - 4)) | 0;
  c = (c + tailWord(key, i + 8, n - 8)) | 0;
  return final(a, b, c);
}

/** The little-endian word at `at` of which `left` bytes remain (none when left <= 0). */
function tailWord(key: Uint8Array, at: number, left: number): number {
  if (left >= 4) return word(key, at);
  let w = 0;
  for (let j = left - 1; j >= 0; j--) w |= key[at + j]! << (8 * j);
  return w;
}
