// The Internet checksum (RFC 1071) and the pseudo-headers TCP, UDP and ICMPv6 sum with their segment
// (RFC 9293 section 3.1, RFC 768, RFC 8200 section 8.1; ICMPv4's covers its message alone, RFC 792).

/** RFC 1071: the one's complement sum of big-endian 16-bit words (an odd last byte padded with zero), folded. */
export function onesSum(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  const even = bytes.length & ~1;
  for (let i = 0; i < even; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (bytes.length & 1) sum += bytes[even]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** The checksum field's value: the complement of the sum. */
export const internetChecksum = (bytes: Uint8Array, initial = 0): number => ~onesSum(bytes, initial) & 0xffff;

/** A region whose checksum field is right sums to 0xffff (RFC 1071 section 1, "to check a checksum"). */
export const checksumOk = (bytes: Uint8Array, initial = 0): boolean => onesSum(bytes, initial) === 0xffff;

/** The pseudo-header's sum: source and destination (4 or 16 bytes each), protocol, the segment's length. */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  // IPv4: 12 bytes, the length 16 bits (RFC 9293); IPv6: 40 bytes, a 32-bit length, next header last (RFC 8200).
  const v4 = src.length === 4;
  const p = new Uint8Array(v4 ? 12 : 40);
  p.set(src, 0);
  p.set(dst, src.length);
  const view = new DataView(p.buffer);
  if (v4) {
    p[9] = protocol;
    view.setUint16(10, length);
  } else {
    view.setUint32(32, length);
    p[39] = protocol;
  }
  return onesSum(p);
}
