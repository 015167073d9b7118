// Internet checksum arithmetic as x86-64 Linux computes it (include/net/checksum.h, arch/x86/lib/
// csum-partial_64.c, arch/x86/include/asm/checksum_64.h), bit for bit: the helpers return and store these
// values, so the representation (0 or 0xffff, which 32-bit sum) matters, not only the checksum's class.
// __wsum is a u32 here (a JS number in [0, 2^32)); __sum16 a u16 as it sits in memory, read little-endian.

const U64 = (1n << 64n) - 1n;

/** addq / adcq: the sum and the carry out. */
function adc(acc: bigint, value: bigint, carry: bigint): [bigint, bigint] {
  const sum = acc + value + carry;
  return [sum & U64, sum >> 64n];
}

/** update_csum_40b and its shorter siblings: an adc chain over `words` 64-bit words at `at`, then adcq $0. */
function chain(acc: bigint, view: DataView, at: number, words: number): bigint {
  let carry = 0n;
  for (let i = 0; i < words; i++) [acc, carry] = adc(acc, view.getBigUint64(at + 8 * i, true), carry);
  // The final adcq $0 drops a carry it makes itself (possible only from all-ones words).
  return (acc + carry) & U64;
}

/** csum_finalize_sum: the 64-bit accumulator folded to 32 bits. */
const finalize = (t: bigint): number => Number((((t + ((t >> 32n) | ((t << 32n) & U64))) & U64) >> 32n));

/** arch/x86/lib/csum-partial_64.c csum_partial(buff, len, sum). */
export function csumPartial(bytes: Uint8Array, sum: number): number {
  // A copy padded to 8 bytes: the tail is read zero-padded (load_unaligned_zeropad, then the shifts).
  const padded = new Uint8Array((bytes.length + 7) & ~7);
  padded.set(bytes);
  const view = new DataView(padded.buffer);
  let len = bytes.length;
  let at = 0;
  let t = BigInt(sum >>> 0);
  if (len >= 80) {
    let t2 = 0n;
    do {
      t = chain(t, view, at, 5);
      t2 = chain(t2, view, at + 40, 5);
      at += 80;
      len -= 80;
    } while (len >= 80);
    const [s, c] = adc(t, t2, 0n);
    t = (s + c) & U64;
  }
  if (len >= 40) {
    t = chain(t, view, at, 5);
    len -= 40;
    if (len === 0) return finalize(t);
    at += 40;
  }
  for (const size of [32, 16, 8]) {
    if (len & size) {
      t = chain(t, view, at, size / 8);
      at += size;
    }
  }
  if (len & 7) t = chain(t, view, at, 1);
  return finalize(t);
}

/** csum_add: 32-bit end-around-carry addition. */
export function csumAdd(csum: number, addend: number): number {
  const res = ((csum >>> 0) + (addend >>> 0)) >>> 0;
  return (res + (res < addend >>> 0 ? 1 : 0)) >>> 0;
}

export const csumSub = (csum: number, addend: number): number => csumAdd(csum, ~addend >>> 0);

/** x86-64 csum_fold: addl (sum << 16) to (sum & 0xffff0000), adcl $0xffff, then ~sum >> 16. */
export function csumFold(sum: number): number {
  const a = (sum & 0xffff0000) >>> 0;
  const b = (sum << 16) >>> 0;
  const first = a + b;
  const carry = first > 0xffffffff ? 1 : 0;
  const second = ((first >>> 0) + 0xffff + carry) >>> 0;
  return (~second >>> 16) & 0xffff;
}

/** include/net/checksum.h csum16_add / csum16_sub on u16s. */
function csum16Add(csum: number, addend: number): number {
  const res = (csum + addend) & 0xffff;
  return (res + (res < addend ? 1 : 0)) & 0xffff;
}
const csum16Sub = (csum: number, addend: number): number => csum16Add(csum, ~addend & 0xffff);

/** csum_replace2: RFC 1624 on a 16-bit field. */
export const csumReplace2 = (sum: number, from: number, to: number): number => ~csum16Add(csum16Sub(~sum & 0xffff, from), to) & 0xffff;

/** csum_replace4 (inet_proto_csum_replace2 zero-extends its u16s into it). */
export function csumReplace4(sum: number, from: number, to: number): number {
  const tmp = csumSub(~sum >>> 0, from);
  return csumFold(csumAdd(tmp, to));
}

/** csum_replace_by_diff. */
export const csumReplaceByDiff = (sum: number, diff: number): number => csumFold(csumAdd(diff, ~sum >>> 0));

/** include/net/checksum.h csum_from32to16 (bpf_csum_diff's result since 6.13). */
export function csumFrom32to16(sum: number): number {
  const rotated = ((sum >>> 16) | (sum << 16)) >>> 0;
  return (((sum + rotated) >>> 0) >>> 16) & 0xffff;
}
