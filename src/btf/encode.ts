// BTF for a map's key and value, generated from codecs (include/uapi/linux/btf.h). The kernel finds a
// value's bpf_spin_lock / bpf_res_spin_lock only through BTF — by the struct's name — so lock-bearing maps
// need it; building it here means no C compiler and no ELF file are involved.
import type { Codec } from '../codec/types.js';
import type { MapBtf } from '../seam/engine.js';
import { BTF_HEADER_LEN as HEADER_LEN, BTF_MAGIC, BtfKind } from './decode.js';
import { BtfIntEncoding } from './types.js';


const lockStructName = { spin: 'bpf_spin_lock', res: 'bpf_res_spin_lock' } as const;

/** Accumulates BTF types (ids from 1) and their string table, sharing identical types. */
class BtfBuilder {
  readonly #types: number[] = [];
  readonly #strings: string[] = [''];
  #stringsLen = 1;
  readonly #stringOffsets = new Map<string, number>([['', 0]]);
  readonly #ids = new Map<string, number>();
  readonly #codecIds = new Map<Codec<unknown>, number>();
  #nextId = 1;
  #anonymous = 0;

  #str(s: string): number {
    let off = this.#stringOffsets.get(s);
    if (off === undefined) {
      off = this.#stringsLen;
      this.#stringOffsets.set(s, off);
      this.#strings.push(s);
      this.#stringsLen += Buffer.byteLength(s) + 1;
    }
    return off;
  }

  /** A type keyed by its description, so equal ints/arrays/locks are emitted once. */
  #type(signature: string, words: () => number[]): number {
    let id = this.#ids.get(signature);
    if (id === undefined) {
      const w = words();
      id = this.#nextId++;
      this.#ids.set(signature, id);
      this.#types.push(...w);
    }
    return id;
  }

  int(name: string, bytes: number, encoding: number): number {
    return this.#type(`int:${name}`, () => [this.#str(name), BtfKind.Int << 24, bytes, (encoding << 24) | (bytes * 8)]);
  }

  array(element: number, length: number): number {
    const index = this.int('unsigned int', 4, 0);
    return this.#type(`array:${element}:${length}`, () => [0, BtfKind.Array << 24, 0, element, index, length]);
  }

  lock(kind: 'spin' | 'res'): number {
    const val = this.int('unsigned int', 4, 0);
    const name = lockStructName[kind];
    return this.#type(`lock:${kind}`, () => [this.#str(name), (BtfKind.Struct << 24) | 1, 4, this.#str('val'), val, 0]);
  }

  codec(codec: Codec<unknown>): number {
    const known = this.#codecIds.get(codec);
    if (known !== undefined) return known;
    const id = this.#codecUncached(codec);
    this.#codecIds.set(codec, id);
    return id;
  }

  #codecUncached(codec: Codec<unknown>): number {
    const d = codec.desc;
    switch (d.kind) {
      case 'int': {
        const bytes = d.bits / 8;
        const name = `${d.signed ? '__s' : '__u'}${d.bits}${d.bigEndian ? '_be' : ''}`;
        return this.int(name, bytes, d.signed ? BtfIntEncoding.Signed : 0);
      }
      case 'bool':
        return this.int('_Bool', 1, BtfIntEncoding.Bool);
      case 'bytes':
        return this.array(this.int('unsigned char', 1, 0), d.length);
      case 'array':
        return this.array(this.codec(d.element), d.length);
      case 'lock':
        return this.lock(d.lock);
      case 'struct': {
        // Members first (they get lower ids), then the struct itself.
        const members = d.fields.map((f) => [this.#str(f.name), this.codec(f.codec), f.offset * 8]);
        const name = d.name ?? `bpfkit_anon_${++this.#anonymous}`;
        const id = this.#nextId++;
        this.#types.push(this.#str(name), (BtfKind.Struct << 24) | d.fields.length, codec.size, ...members.flat());
        return id;
      }
    }
  }

  encode(): Uint8Array {
    const typeLen = this.#types.length * 4;
    const strLen = this.#stringsLen;
    const out = new Uint8Array(HEADER_LEN + typeLen + strLen);
    const view = new DataView(out.buffer);
    view.setUint16(0, BTF_MAGIC, true);
    view.setUint8(2, 1); // version
    view.setUint8(3, 0); // flags
    view.setUint32(4, HEADER_LEN, true);
    view.setUint32(8, 0, true); // type_off
    view.setUint32(12, typeLen, true);
    view.setUint32(16, typeLen, true); // str_off
    view.setUint32(20, strLen, true);
    this.#types.forEach((w, i) => view.setUint32(HEADER_LEN + i * 4, w >>> 0, true));
    let off = HEADER_LEN + typeLen;
    for (const s of this.#strings) {
      off += Buffer.from(s).copy(out, off) + 1; // NUL-terminated
    }
    return out;
  }
}

/** BTF describing a map's key and value types, ready for BPF_BTF_LOAD. */
export function mapBtf(key: Codec<unknown>, value: Codec<unknown>): MapBtf {
  const b = new BtfBuilder();
  const keyTypeId = b.codec(key);
  const valueTypeId = b.codec(value);
  return { data: b.encode(), keyTypeId, valueTypeId };
}
