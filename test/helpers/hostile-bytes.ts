// Hand-made BTF and ELF bytes for the hostile-input tests: type records written word by word as
// include/uapi/linux/btf.h lays them out (so a test can write what no compiler would), a real fixture
// object whose map value type is swapped for such types, and whole ELF objects laid out section by section.
// Nothing binary is committed.
import { readElf } from '../../src/elf/reader.js';
import { BtfKind, BTF_HEADER_LEN, BTF_MAGIC } from '../../src/btf/decode.js';

/** Accumulates BTF type records (ids from `firstId`) and strings; `bytes()` is the whole blob. */
export class BtfWriter {
  readonly #words: number[];
  readonly #strings: number[];
  #nextId: number;

  constructor(base?: { types: Uint8Array; strings: Uint8Array; count: number }) {
    this.#words = base ? [...new Uint32Array(base.types.slice().buffer)] : [];
    this.#strings = base ? [...base.strings] : [0];
    this.#nextId = (base?.count ?? 0) + 1;
  }

  /** The id the next record gets. */
  get nextId(): number {
    return this.#nextId;
  }

  str(s: string): number {
    const off = this.#strings.length;
    this.#strings.push(...new TextEncoder().encode(s), 0);
    return off;
  }

  /** One record: name offset, info (kind << 24 | vlen, kind_flag bit 31), size/type, then trailing words. */
  raw(nameOff: number, kind: number, vlen: number, sizeOrType: number, ...trailing: number[]): number {
    this.#words.push(nameOff, ((kind << 24) | vlen) >>> 0, sizeOrType >>> 0, ...trailing.map((w) => w >>> 0));
    return this.#nextId++;
  }

  int(name: string, size: number, signed = false): number {
    return this.raw(this.str(name), BtfKind.Int, 0, size, ((signed ? 1 : 0) << 24) | (size * 8));
  }

  /** PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG. */
  ref(kind: number, type: number, name = ''): number {
    return this.raw(name ? this.str(name) : 0, kind, 0, type);
  }

  array(element: number, nelems: number, indexType = element): number {
    return this.raw(0, BtfKind.Array, 0, 0, element, indexType, nelems);
  }

  /** A struct of [name, type, bit offset] members. */
  struct(name: string, size: number, members: [string, number, number][]): number {
    return this.raw(this.str(name), BtfKind.Struct, members.length, size, ...members.flatMap(([n, t, off]) => [this.str(n), t, off]));
  }

  /** The blob: header, type section, string section. */
  bytes(): Uint8Array {
    const types = new Uint8Array(new Uint32Array(this.#words).buffer);
    const out = new Uint8Array(BTF_HEADER_LEN + types.length + this.#strings.length);
    const v = new DataView(out.buffer);
    v.setUint16(0, BTF_MAGIC, true);
    out[2] = 1; // version
    v.setUint32(4, BTF_HEADER_LEN, true);
    v.setUint32(8, 0, true);
    v.setUint32(12, types.length, true);
    v.setUint32(16, types.length, true);
    v.setUint32(20, this.#strings.length, true);
    out.set(types, BTF_HEADER_LEN);
    out.set(this.#strings, BTF_HEADER_LEN + types.length);
    return out;
  }
}

/** Byte offset (in the type section) of every type record, by id (index 0 unused). */
function recordOffsets(types: Uint8Array): number[] {
  const v = new DataView(types.buffer, types.byteOffset, types.byteLength);
  const out = [0];
  for (let off = 0; off < types.length;) {
    out.push(off);
    const info = v.getUint32(off + 4, true);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const extra = ({ [BtfKind.Int]: 4, [BtfKind.Var]: 4, [BtfKind.DeclTag]: 4, [BtfKind.Array]: 12 } as Record<number, number>)[kind]
      ?? ([BtfKind.Struct, BtfKind.Union, BtfKind.Datasec, BtfKind.Enum64].includes(kind as 4) ? 12 * vlen
        : [BtfKind.Enum, BtfKind.FuncProto].includes(kind as 6) ? 8 * vlen : 0);
    off += 12 + extra;
  }
  return out;
}

/** `elf` with section `name`'s contents replaced by `data`, appended at the end of the file. */
export function withSection(elf: Uint8Array, name: string, data: Uint8Array): Uint8Array {
  const parsed = readElf(elf);
  const section = parsed.sectionByName(name);
  if (!section) throw new Error(`no section ${name}`);
  const at = Math.ceil(elf.length / 8) * 8;
  const out = new Uint8Array(at + data.length);
  out.set(elf);
  out.set(data, at);
  const v = new DataView(out.buffer);
  const header = Number(v.getBigUint64(40, true)) + section.index * 64;
  v.setBigUint64(header + 24, BigInt(at), true);
  v.setBigUint64(header + 32, BigInt(data.length), true);
  return out;
}

/** Offset of section header `name` in the file (for tests that edit header fields). */
export function sectionHeaderOffset(elf: Uint8Array, name: string): number {
  const section = readElf(elf).sectionByName(name);
  if (!section) throw new Error(`no section ${name}`);
  return Number(new DataView(elf.buffer, elf.byteOffset).getBigUint64(40, true)) + section.index * 64;
}

/**
 * The object `elf` with map `mapName`'s value type (`__type(value, T)`, a PTR to T in `.maps`) replaced by
 * a type `build` adds to the object's own BTF: `build` gets a writer continuing the object's type ids and
 * strings, and returns the new value type's id. The rest of the BTF (and .BTF.ext) is untouched.
 */
export function withMapValueType(elf: Uint8Array, mapName: string, build: (w: BtfWriter) => number): Uint8Array {
  const btf = readElf(elf).sectionByName('.BTF')!.data;
  const v = new DataView(btf.buffer, btf.byteOffset, btf.byteLength);
  const hdrLen = v.getUint32(4, true);
  const types = btf.subarray(hdrLen + v.getUint32(8, true), hdrLen + v.getUint32(8, true) + v.getUint32(12, true));
  const strings = btf.subarray(hdrLen + v.getUint32(16, true), hdrLen + v.getUint32(16, true) + v.getUint32(20, true));
  const offsets = recordOffsets(types);
  const tv = new DataView(types.buffer, types.byteOffset, types.byteLength);
  const str = (off: number): string => new TextDecoder().decode(strings.subarray(off, strings.indexOf(0, off)));
  const word = (id: number, i: number): number => tv.getUint32(offsets[id]! + 4 * i, true);
  // .maps DATASEC → VAR mapName → its struct → member 'value' → PTR: that PTR's type word is patched.
  let valuePtr: number | undefined;
  for (let id = 1; id < offsets.length; id++) {
    if (((word(id, 1) >>> 24) & 0x1f) !== BtfKind.Var || str(word(id, 0)) !== mapName) continue;
    const def = word(id, 2);
    for (let m = 0; m < (word(def, 1) & 0xffff); m++) {
      if (str(word(def, 3 + 3 * m)) === 'value') valuePtr = word(def, 3 + 3 * m + 1);
    }
  }
  if (valuePtr === undefined) throw new Error(`no BTF-defined map ${mapName} with __type(value, ...)`);
  const patched = types.slice();
  const w = new BtfWriter({ types: patched, strings, count: offsets.length - 1 });
  const root = build(w);
  const blob = w.bytes();
  new DataView(blob.buffer).setUint32(BTF_HEADER_LEN + offsets[valuePtr]! + 8, root, true);
  return withSection(elf, '.BTF', blob);
}

export interface ElfSectionSpec {
  name: string;
  type: number;
  flags?: number;
  data: Uint8Array;
  link?: number;
  info?: number;
  entsize?: number;
}

/**
 * A little-endian ELF64 EM_BPF relocatable object of these sections (indexes from 1; a .shstrtab is added
 * last): the header, the contents 8-byte aligned, then the section header table.
 */
export function buildElf(sections: ElfSectionSpec[]): Uint8Array {
  const names = [0];
  const nameOf = (s: string): number => {
    const off = names.length;
    names.push(...new TextEncoder().encode(s), 0);
    return off;
  };
  const all = [...sections.map((s) => ({ ...s, nameOff: nameOf(s.name) }))];
  const shstrName = nameOf('.shstrtab');
  all.push({ name: '.shstrtab', type: 3, data: Uint8Array.from(names), nameOff: shstrName });
  const offsets: number[] = [];
  let end = 64;
  for (const s of all) {
    end = Math.ceil(end / 8) * 8;
    offsets.push(end);
    end += s.type === 8 ? 0 : s.data.length;
  }
  const shoff = Math.ceil(end / 8) * 8;
  const out = new Uint8Array(shoff + 64 * (all.length + 1));
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  v.setUint16(16, 1, true); // ET_REL
  v.setUint16(18, 247, true); // EM_BPF
  v.setUint32(20, 1, true);
  v.setBigUint64(40, BigInt(shoff), true);
  v.setUint16(52, 64, true);
  v.setUint16(58, 64, true);
  v.setUint16(60, all.length + 1, true);
  v.setUint16(62, all.length, true);
  all.forEach((s, i) => {
    if (s.type !== 8) out.set(s.data, offsets[i]!);
    const h = shoff + 64 * (i + 1);
    v.setUint32(h, s.nameOff, true);
    v.setUint32(h + 4, s.type, true);
    v.setBigUint64(h + 8, BigInt(s.flags ?? 0), true);
    v.setBigUint64(h + 24, BigInt(offsets[i]!), true);
    v.setBigUint64(h + 32, BigInt(s.data.length), true);
    v.setUint32(h + 40, s.link ?? 0, true);
    v.setUint32(h + 44, s.info ?? 0, true);
    v.setBigUint64(h + 48, 8n, true);
    v.setBigUint64(h + 56, BigInt(s.entsize ?? 0), true);
  });
  return out;
}
