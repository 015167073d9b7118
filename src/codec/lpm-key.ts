// The key of an LPM trie: struct bpf_lpm_trie_key_u8 { __u32 prefixlen; __u8 data[]; } (include/uapi/linux/bpf.h)
// with `dataSize` bytes of data, so key_size is exactly 4 + dataSize (the kernel takes data_size from it:
// kernel/bpf/lpm_trie.c trie_alloc), with no trailing padding even where a C struct would have some.
// prefixlen is host order; data is the address as it is on the wire (big-endian: data[0] holds the first bits).
import type { Codec } from './types.js';
import { bytes, u32 } from './codec.js';
import { describeValue } from '../errors/errors.js';
import { LPM_DATA_SIZE_MAX, LPM_DATA_SIZE_MIN, LPM_KEY_DATA_OFFSET } from '../uapi/bpf.js';

/** An LPM trie key: the first `prefixlen` bits of `data` are the prefix. */
export interface LpmKey {
  prefixlen: number;
  data: Uint8Array;
}

/**
 * The key codec of an LPM trie whose data is `dataSize` bytes, 1 to 256 (4 for IPv4 addresses, 16 for IPv6).
 * A prefixlen is any u32: the kernel answers one longer than the data's bits with EINVAL (or, in get, no match).
 */
export function lpmKey(dataSize: number): Codec<LpmKey> {
  if (typeof dataSize !== 'number' || !Number.isInteger(dataSize) || dataSize < LPM_DATA_SIZE_MIN || dataSize > LPM_DATA_SIZE_MAX) {
    throw new RangeError(`lpmKey: an LPM trie's key has ${LPM_DATA_SIZE_MIN} to ${LPM_DATA_SIZE_MAX} bytes of data (kernel/bpf/lpm_trie.c trie_alloc), got ${describeValue(dataSize)}`);
  }
  const data = bytes(dataSize);
  const name = `lpmKey(${dataSize})`;
  const codec: Codec<LpmKey> = {
    size: LPM_KEY_DATA_OFFSET + data.size,
    // The u32's alignment, as the kernel's struct; the size is 4 + dataSize all the same (no padding).
    align: 4,
    desc: Object.freeze({
      kind: 'struct',
      name: 'bpf_lpm_trie_key_u8',
      fields: Object.freeze([{ name: 'prefixlen', offset: 0, codec: u32 }, { name: 'data', offset: LPM_KEY_DATA_OFFSET, codec: data }]),
    }),
    encode(value: LpmKey, view: DataView, offset: number): void {
      if (value === null || typeof value !== 'object') throw new TypeError(`${name} expects { prefixlen, data }, got ${describeValue(value)}`);
      // Each field is read once; both are checked before a byte is written.
      const { prefixlen, data: bits } = value;
      if (typeof prefixlen !== 'number') throw new TypeError(`${name}: prefixlen expects a number, got ${describeValue(prefixlen)}`);
      if (!Number.isInteger(prefixlen) || prefixlen < 0 || prefixlen > 0xffffffff) throw new RangeError(`${name}: prefixlen must be a u32, got ${prefixlen}`);
      if (!(offset >= 0 && offset + codec.size <= view.byteLength)) throw new RangeError(`${name}: ${codec.size} bytes at offset ${offset} do not fit a DataView of ${view.byteLength} bytes`);
      try {
        data.encode(bits, view, offset + LPM_KEY_DATA_OFFSET);
      } catch (e) {
        if (e instanceof Error) e.message = `${name}: data: ${e.message}`;
        throw e;
      }
      view.setUint32(offset, prefixlen, true);
    },
    decode(view: DataView, offset: number): LpmKey {
      return { prefixlen: view.getUint32(offset, true), data: data.decode(view, offset + LPM_KEY_DATA_OFFSET) };
    },
  };
  return Object.freeze(codec);
}
