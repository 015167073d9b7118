// The option lists of IPv4 (RFC 791 section 3.1), TCP (RFC 9293 section 3.1) and IPv6 hop-by-hop and
// destination headers (RFC 8200 section 4.2): encoded with their padding, decoded without it.
import { checkArray, checkData, checkObject, checkUint } from './check.js';
import type { Ipv4Option, Ipv6TlvOption, TcpOption } from './types.js';

const EOL = 0;
const NOP = 1;
/** RFC 2113: IP router alert, type 148 (copied flag, class 0, number 20), length 4. */
const ROUTER_ALERT = 148;
/** RFC 9293, 7323, 2018: TCP option kinds. */
const TcpKind = { Mss: 2, WindowScale: 3, SackPermitted: 4, Sack: 5, Timestamp: 8 } as const;
/** RFC 8200 section 4.2: the two padding options. */
const PAD1 = 0;
const PADN = 1;

/** A TLV whose length byte counts itself and the type (IPv4, TCP): [type, 2 + data.length, ...data]. */
function tlv(op: string, type: number, data: Uint8Array): number[] {
  if (data.length > 253) throw new RangeError(`${op}: option ${type}'s data is ${data.length} bytes, at most 253 fit`);
  return [type, data.length + 2, ...data];
}

const be16 = (n: number): number[] => [n >> 8, n & 0xff];
const be32 = (n: number): number[] => [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

/** Options padded with end-of-options (zero) bytes to a multiple of 4; at most 40 bytes (a 60-byte header). */
function padded(op: string, bytes: number[]): Uint8Array {
  const out = new Uint8Array((bytes.length + 3) & ~3);
  out.set(bytes);
  if (out.length > 40) throw new RangeError(`${op}: options take ${out.length} bytes with padding, at most 40 fit`);
  return out;
}

export function encodeIpv4Options(op: string, options: unknown): Uint8Array {
  const bytes: number[] = [];
  for (const [i, o] of checkArray<Ipv4Option>(op, 'options', options).entries()) {
    if (o === 'nop') {
      bytes.push(NOP);
      continue;
    }
    const opt = checkObject(op, `options[${i}]`, o);
    if ('routerAlert' in opt) bytes.push(...tlv(op, ROUTER_ALERT, new Uint8Array(be16(checkUint(op, `options[${i}].routerAlert`, opt.routerAlert, 16)))));
    else {
      const type = checkUint(op, `options[${i}].type`, opt.type, 8);
      if (type === EOL || type === NOP) throw new RangeError(`${op}: options[${i}].type ${type} is padding; write 'nop' or leave it out`);
      bytes.push(...tlv(op, type, checkData(op, `options[${i}].data`, opt.data)));
    }
  }
  return padded(op, bytes);
}

export function encodeTcpOptions(op: string, options: unknown): Uint8Array {
  const bytes: number[] = [];
  for (const [i, o] of checkArray<TcpOption>(op, 'options', options).entries()) {
    if (o === 'nop') {
      bytes.push(NOP);
      continue;
    }
    const opt = checkObject(op, `options[${i}]`, o);
    const what = `options[${i}]`;
    if ('mss' in opt) bytes.push(TcpKind.Mss, 4, ...be16(checkUint(op, `${what}.mss`, opt.mss, 16)));
    else if ('windowScale' in opt) bytes.push(TcpKind.WindowScale, 3, checkUint(op, `${what}.windowScale`, opt.windowScale, 8));
    else if ('sackPermitted' in opt) bytes.push(TcpKind.SackPermitted, 2);
    else if ('sack' in opt) {
      const blocks = checkArray<readonly [number, number]>(op, `${what}.sack`, opt.sack);
      bytes.push(TcpKind.Sack, 2 + 8 * blocks.length);
      for (const [j, b] of blocks.entries()) {
        const pair = checkArray<number>(op, `${what}.sack[${j}]`, b);
        bytes.push(...be32(checkUint(op, `${what}.sack[${j}][0]`, pair[0], 32)), ...be32(checkUint(op, `${what}.sack[${j}][1]`, pair[1], 32)));
      }
    } else if ('timestamp' in opt) {
      const ts = checkArray<number>(op, `${what}.timestamp`, opt.timestamp);
      bytes.push(TcpKind.Timestamp, 10, ...be32(checkUint(op, `${what}.timestamp[0]`, ts[0], 32)), ...be32(checkUint(op, `${what}.timestamp[1]`, ts[1], 32)));
    } else {
      const kind = checkUint(op, `${what}.kind`, opt.kind, 8);
      if (kind === EOL || kind === NOP) throw new RangeError(`${op}: ${what}.kind ${kind} is padding; write 'nop' or leave it out`);
      bytes.push(...tlv(op, kind, checkData(op, `${what}.data`, opt.data)));
    }
  }
  return padded(op, bytes);
}

/** Options of a hop-by-hop or destination header, Pad1/PadN-padded so that the header is a multiple of 8 bytes. */
export function encodeIpv6TlvOptions(op: string, options: unknown): Uint8Array {
  const bytes: number[] = [];
  for (const [i, o] of checkArray<Ipv6TlvOption>(op, 'options', options).entries()) {
    const opt = checkObject(op, `options[${i}]`, o);
    const type = checkUint(op, `options[${i}].type`, opt.type, 8);
    if (type === PAD1 || type === PADN) throw new RangeError(`${op}: options[${i}].type ${type} is padding, which is added`);
    const data = checkData(op, `options[${i}].data`, opt.data);
    if (data.length > 255) throw new RangeError(`${op}: options[${i}].data is ${data.length} bytes, at most 255 fit`);
    bytes.push(type, data.length, ...data);
  }
  // The header's first 2 bytes are next header and length.
  const pad = (8 - ((2 + bytes.length) % 8)) % 8;
  if (pad === 1) bytes.push(PAD1);
  else if (pad > 1) bytes.push(PADN, pad - 2, ...new Array<number>(pad - 2).fill(0));
  return Uint8Array.from(bytes);
}

/** Thrown for a malformed option list: names the layer and the option's offset in the packet. */
const malformed = (layer: string, at: number, why: string): RangeError => new RangeError(`packet.parse: ${layer} option at offset ${at}: ${why}`);

/** A kind-length-data walk (IPv4, TCP) up to end-of-options: the TLVs with their offsets. */
function walkTlvs(layer: string, b: Uint8Array, base: number): { kind: number; data: Uint8Array; at: number }[] {
  const out: { kind: number; data: Uint8Array; at: number }[] = [];
  for (let i = 0; i < b.length; ) {
    const kind = b[i]!;
    if (kind === EOL) break;
    if (kind === NOP) {
      out.push({ kind, data: new Uint8Array(0), at: base + i });
      i++;
      continue;
    }
    if (i + 1 >= b.length) throw malformed(layer, base + i, `kind ${kind} has no length byte`);
    const len = b[i + 1]!;
    if (len < 2 || i + len > b.length) throw malformed(layer, base + i, `kind ${kind} has length ${len}, ${b.length - i} bytes remain`);
    out.push({ kind, data: b.slice(i + 2, i + len), at: base + i });
    i += len;
  }
  return out;
}

const u16At = (d: Uint8Array, i: number): number => (d[i]! << 8) | d[i + 1]!;
const u32At = (d: Uint8Array, i: number): number => ((d[i]! << 24) | (d[i + 1]! << 16) | (d[i + 2]! << 8) | d[i + 3]!) >>> 0;

export function decodeIpv4Options(b: Uint8Array, base: number): Ipv4Option[] {
  return walkTlvs('ipv4', b, base).map(({ kind, data }) => {
    if (kind === NOP) return 'nop';
    if (kind === ROUTER_ALERT && data.length === 2) return { routerAlert: u16At(data, 0) };
    return { type: kind, data };
  });
}

export function decodeTcpOptions(b: Uint8Array, base: number): TcpOption[] {
  return walkTlvs('tcp', b, base).map(({ kind, data, at }): TcpOption => {
    const size = (n: number): void => {
      if (data.length !== n) throw malformed('tcp', at, `kind ${kind} has length ${data.length + 2}, not ${n + 2}`);
    };
    switch (kind) {
      case NOP:
        return 'nop';
      case TcpKind.Mss:
        size(2);
        return { mss: u16At(data, 0) };
      case TcpKind.WindowScale:
        size(1);
        return { windowScale: data[0]! };
      case TcpKind.SackPermitted:
        size(0);
        return { sackPermitted: true };
      case TcpKind.Sack:
        if (data.length % 8 !== 0) throw malformed('tcp', at, `SACK length ${data.length + 2} is not 2 + 8n`);
        return { sack: Array.from({ length: data.length / 8 }, (_, j) => [u32At(data, 8 * j), u32At(data, 8 * j + 4)] as const) };
      case TcpKind.Timestamp:
        size(8);
        return { timestamp: [u32At(data, 0), u32At(data, 4)] };
      default:
        return { kind, data };
    }
  });
}

/** Hop-by-hop or destination options (RFC 8200 section 4.2), without Pad1 and PadN. */
export function decodeIpv6TlvOptions(layer: string, b: Uint8Array, base: number): Ipv6TlvOption[] {
  const out: Ipv6TlvOption[] = [];
  for (let i = 0; i < b.length; ) {
    const type = b[i]!;
    if (type === PAD1) {
      i++;
      continue;
    }
    if (i + 1 >= b.length) throw malformed(layer, base + i, `type ${type} has no length byte`);
    const len = b[i + 1]!;
    if (i + 2 + len > b.length) throw malformed(layer, base + i, `type ${type} has length ${len}, ${b.length - i - 2} bytes remain`);
    if (type !== PADN) out.push({ type, data: b.slice(i + 2, i + 2 + len) });
    i += 2 + len;
  }
  return out;
}
