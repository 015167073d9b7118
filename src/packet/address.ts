// Addresses as people write them: MACs 'aa:bb:cc:dd:ee:ff', IPv4 '10.0.0.1', IPv6 '2001:db8::1'. Parsing
// accepts what the usual text forms allow; formatting gives one canonical form (lower case; IPv6 as
// RFC 5952 section 4 writes it), so a parsed packet's addresses compare equal as strings.
import { describeValue } from '../errors/errors.js';

function checkString(op: string, what: string, v: unknown): string {
  if (typeof v !== 'string') throw new TypeError(`${op}: ${what} must be a string, got ${describeValue(v)}`);
  return v;
}

export function parseMac(op: string, what: string, text: unknown): Uint8Array {
  const s = checkString(op, what, text);
  if (!/^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i.test(s)) throw new RangeError(`${op}: ${what} is not a MAC address (aa:bb:cc:dd:ee:ff), got ${JSON.stringify(s)}`);
  return Uint8Array.from(s.split(/[:-]/), (h) => parseInt(h, 16));
}

export const formatMac = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');

function ipv4Bytes(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return Uint8Array.from(parts, Number);
}

export function parseIpv4(op: string, what: string, text: unknown): Uint8Array {
  const s = checkString(op, what, text);
  const b = ipv4Bytes(s);
  if (!b) throw new RangeError(`${op}: ${what} is not an IPv4 address (10.0.0.1), got ${JSON.stringify(s)}`);
  return b;
}

export const formatIpv4 = (b: Uint8Array): string => [...b].join('.');

/** RFC 4291 section 2.2's text forms: eight groups, `::` once for zeros, an IPv4 address as the last 32 bits. */
function ipv6Bytes(s: string): Uint8Array | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const fields = part.split(':');
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      if (i === fields.length - 1 && f.includes('.')) {
        const v4 = ipv4Bytes(f);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-f]{1,4}$/i.test(f)) out.push(parseInt(f, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const b = new Uint8Array(16);
  all.forEach((g, i) => b.set([g >> 8, g & 0xff], 2 * i));
  return b;
}

export function parseIpv6(op: string, what: string, text: unknown): Uint8Array {
  const s = checkString(op, what, text);
  const b = ipv6Bytes(s);
  if (!b) throw new RangeError(`${op}: ${what} is not an IPv6 address (2001:db8::1), got ${JSON.stringify(s)}`);
  return b;
}

/** RFC 5952 section 4: lower case, no leading zeros, the longest run of two or more zero groups as `::` (the first of equals). */
export function formatIpv6(b: Uint8Array): string {
  const g = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}
