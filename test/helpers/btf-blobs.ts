// BTF blobs for the BPF_BTF_LOAD differential test (test/diff/btf-load.test.ts): records written with
// BtfWriter (hostile-bytes.ts) for each kind, the .BTF of a fixture object raw or with the fixups libbpf
// makes before loading it, and a seeded mutator. Nothing binary is committed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { btfExtraBytes } from '../../src/btf/decode.js';
import { btfLayout, libbpfLoadedBtf, type BtfLayout } from '../../src/elf/libbpf-btf.js';
import { readElf } from '../../src/elf/reader.js';
import { BTF_HEADER_LEN, BtfKind as K } from '../../src/btf/decode.js';
import { BtfWriter } from './hostile-bytes.js';

/** kind_flag, or'ed into BtfWriter.raw's vlen argument. */
export const KFLAG = 0x80000000;

/** A BtfWriter with one helper per kind; each returns the new type's id. */
export class Btf extends BtfWriter {
  name(s: string): number { return s === '' ? 0 : this.str(s); }
  override int(name: string, size: number, signed = false, bits = size * 8, bitOffset = 0, encoding = signed ? 1 : 0): number {
    return this.raw(this.name(name), K.Int, 0, size, (encoding << 24) | (bitOffset << 16) | bits);
  }
  ptr(type: number): number { return this.raw(0, K.Ptr, 0, type); }
  typedef(name: string, type: number): number { return this.raw(this.name(name), K.Typedef, 0, type); }
  const_(type: number): number { return this.raw(0, K.Const, 0, type); }
  volatile(type: number): number { return this.raw(0, K.Volatile, 0, type); }
  restrict(type: number): number { return this.raw(0, K.Restrict, 0, type); }
  typeTag(name: string, type: number, kflag = false): number { return this.raw(this.name(name), K.TypeTag, kflag ? KFLAG : 0, type); }
  fwd(name: string, union = false): number { return this.raw(this.name(name), K.Fwd, union ? KFLAG : 0, 0); }
  arr(elem: number, index: number, nelems: number): number { return this.raw(0, K.Array, 0, 0, elem, index, nelems); }
  /** Members are [name, type, offset word] (with kflag, the word is bitfield_size << 24 | bit offset). */
  composite(kind: number, name: string, size: number, members: [string, number, number][], kflag = false): number {
    return this.raw(this.name(name), kind, members.length | (kflag ? KFLAG : 0), size,
      ...members.flatMap(([n, t, off]) => [this.name(n), t, off]));
  }
  strct(name: string, size: number, members: [string, number, number][], kflag = false): number {
    return this.composite(K.Struct, name, size, members, kflag);
  }
  union(name: string, size: number, members: [string, number, number][], kflag = false): number {
    return this.composite(K.Union, name, size, members, kflag);
  }
  enm(name: string, size: number, values: [string, number][], signed = false): number {
    return this.raw(this.name(name), K.Enum, values.length | (signed ? KFLAG : 0), size, ...values.flatMap(([n, v]) => [this.name(n), v]));
  }
  enum64(name: string, size: number, values: [string, bigint][], signed = false): number {
    return this.raw(this.name(name), K.Enum64, values.length | (signed ? KFLAG : 0), size,
      ...values.flatMap(([n, v]) => [this.name(n), Number(BigInt.asUintN(32, v)), Number(BigInt.asUintN(64, v) >> 32n)]));
  }
  proto(ret: number, params: [string, number][]): number {
    return this.raw(0, K.FuncProto, params.length, ret, ...params.flatMap(([n, t]) => [this.name(n), t]));
  }
  func(name: string, proto: number, linkage = 0): number { return this.raw(this.name(name), K.Func, linkage, proto); }
  variable(name: string, type: number, linkage = 1): number { return this.raw(this.name(name), K.Var, 0, type, linkage); }
  datasec(name: string, size: number, vars: [number, number, number][]): number {
    return this.raw(this.name(name), K.Datasec, vars.length, size, ...vars.flat());
  }
  float(name: string, size: number): number { return this.raw(this.name(name), K.Float, 0, size); }
  declTag(value: string, type: number, componentIdx = -1): number { return this.raw(this.name(value), K.DeclTag, 0, type, componentIdx); }
}

export function btf(build: (w: Btf) => void): Uint8Array {
  const w = new Btf();
  build(w);
  return w.bytes();
}

const u32 = (b: Uint8Array, off: number): number => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(off, true);
const setU32 = (b: Uint8Array, off: number, v: number): void => new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(off, v >>> 0, true);

/** `blob` with header fields replaced (by byte offset: 4 hdr_len, 8 type_off, 12 type_len, 16 str_off, 20 str_len). */
export function patchWords(blob: Uint8Array, words: Record<number, number>): Uint8Array {
  const out = blob.slice();
  for (const [off, v] of Object.entries(words)) setU32(out, Number(off), v);
  return out;
}

/** `blob` with `extra` zero (or given) bytes inserted after the 24-byte header, hdr_len grown to match. */
export function longerHeader(blob: Uint8Array, extra: Uint8Array): Uint8Array {
  const out = new Uint8Array(blob.length + extra.length);
  out.set(blob.subarray(0, BTF_HEADER_LEN));
  out.set(extra, BTF_HEADER_LEN);
  out.set(blob.subarray(BTF_HEADER_LEN), BTF_HEADER_LEN + extra.length);
  setU32(out, 4, BTF_HEADER_LEN + extra.length);
  return out;
}

/** Bytes after a record's 12, by kind (include/uapi/linux/btf.h). */
export type Layout = BtfLayout;

/** Where a blob's sections and records are, as far as they can be walked (no checks beyond staying in bounds). */
export const layout = btfLayout;

/**
 * The names of the structs in the running kernel's BTF: /sys/kernel/btf/vmlinux and the modules' split BTF
 * (whose name offsets below the base's string length are the base's), what bpf_find_btf_id searches.
 */
export function kernelStructNames(dir = '/sys/kernel/btf'): Set<string> {
  const names = new Set<string>();
  const read = (b: Uint8Array, base?: { strings: Uint8Array }): Uint8Array => {
    const hdrLen = u32(b, 4), typeStart = hdrLen + u32(b, 8), typeEnd = typeStart + u32(b, 12);
    const strings = b.subarray(hdrLen + u32(b, 16), hdrLen + u32(b, 16) + u32(b, 20));
    const name = (off: number): string => {
      const [s, o] = base && off < base.strings.length ? [base.strings, off] : [strings, off - (base ? base.strings.length : 0)];
      return new TextDecoder().decode(s.subarray(o, s.indexOf(0, o)));
    };
    for (let off = typeStart; off + 12 <= typeEnd;) {
      const info = u32(b, off + 4), kind = (info >>> 24) & 0x7f;
      if (kind === K.Struct) names.add(name(u32(b, off)));
      off += 12 + btfExtraBytes(kind, info & 0xffffff);
    }
    return strings;
  };
  const vmlinux = join(dir, 'vmlinux');
  if (!existsSync(vmlinux)) return names;
  const strings = read(new Uint8Array(readFileSync(vmlinux)));
  for (const f of readdirSync(dir)) if (f !== 'vmlinux') read(new Uint8Array(readFileSync(join(dir, f))), { strings });
  return names;
}

/** A fixture's .BTF as clang wrote it. */
export function rawBtf(elf: Uint8Array): Uint8Array {
  const s = readElf(elf).sectionByName('.BTF');
  if (!s) throw new Error('no .BTF section');
  return s.data.slice();
}

/** A fixture's .BTF with the fixups libbpf 1.1 makes before BPF_BTF_LOAD (src/elf/libbpf-btf.ts). */
export function libbpfFixedBtf(elfBytes: Uint8Array): Uint8Array {
  return libbpfLoadedBtf(readElf(elfBytes), rawBtf(elfBytes));
}

/** A seeded mutant of `base`: one to three byte-level edits, most of them aimed at the type records. */
export function mutate(base: Uint8Array, rand: () => number): { bytes: Uint8Array; edits: string[] } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const int = (n: number): number => Math.floor(rand() * n);
  const interesting = [0, 1, 2, 3, 4, 7, 8, 12, 16, 24, 31, 32, 33, 64, 127, 128, 129, 255, 256, 0x7fff, 0xffff, 0x10000, 0xfffff,
    0x100000, 0xffffff, 0x1000000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
  const names = ['bpf_spin_lock', 'bpf_res_spin_lock', 'bpf_list_head', 'bpf_list_node', 'bpf_rb_root', 'bpf_rb_node', 'bpf_refcount',
    'kptr', 'kptr_untrusted', 'percpu_kptr', 'uptr', 'contains:foo:node', '.data', 'a.b', '1x', 'x y', '\u00e9', 'x\ny', 'x'.repeat(513)];
  let b: Uint8Array = base.slice();
  const edits: string[] = [];
  for (let n = 1 + int(3), tries = 0; n > 0 && tries < 100; tries++) {
    const l = layout(b);
    const has = (off: number): boolean => off >= 0 && off + 4 <= b.length;
    const recs = l.records, rec = recs.length ? pick(recs) : -1;
    const recEnd = rec < 0 ? -1 : recs[recs.indexOf(rec) + 1] ?? l.typeEnd;
    const recWord = rec < 0 ? -1 : rec + 4 * int(Math.max(1, (recEnd - rec) >> 2));
    const strLen = l.strEnd - l.strStart;
    const tight = l.typeStart === l.hdrLen && l.strStart === l.typeEnd && l.strEnd === b.length;
    let edit = '';
    switch (int(13)) {
      case 0: // a word of a record: interesting, a type id, a string offset, or off by a little
        if (!has(recWord)) break;
        setU32(b, recWord, pick([pick(interesting), int(recs.length + 2), int(Math.max(1, strLen) + 2), u32(b, recWord) + pick([-1, 1, 8, -8])]));
        edit = `word @${recWord} = ${u32(b, recWord)}`;
        break;
      case 1: { // kind, kind_flag or vlen
        if (!has(rec + 4)) break;
        const info = u32(b, rec + 4);
        setU32(b, rec + 4, pick([(info & 0x80ffffff) | (int(21) << 24), info ^ 0x80000000, (info & ~0xffff) | pick([0, 1, 2, 3, int(8), 0xffff]),
          info | (1 << (16 + int(8)))]));
        edit = `info @${rec + 4} = 0x${u32(b, rec + 4).toString(16)}`;
        break;
      }
      case 2: { // one bit of a record
        if (!has(recWord)) break;
        const bit = int(32);
        setU32(b, recWord, u32(b, recWord) ^ (1 << bit));
        edit = `bit ${bit} @${recWord}`;
        break;
      }
      case 3: { // a string byte
        if (strLen <= 0 || l.strEnd > b.length) break;
        const off = l.strStart + int(strLen);
        b[off] = pick([0, 0x2e, 0x20, 0x0a, 0x41, 0x5f, 0x31, 0x7f, 0x80, 0xa0, 0xc3, 0xdf, 0xe9, 0xff, 0x3a, int(256)]);
        edit = `byte @${off} = ${b[off]}`;
        break;
      }
      case 4: { // a header word
        const off = pick([4, 8, 12, 16, 20]);
        if (!has(off)) break;
        setU32(b, off, pick([u32(b, off) + pick([-4, 4, -1, 1, 12, -12]), pick(interesting)]));
        edit = `header @${off} = ${u32(b, off)}`;
        break;
      }
      case 5: { // magic, version, flags
        const off = int(4);
        if (off >= b.length) break;
        b[off] = pick([0, 1, 2, 0x9f, 0xeb, int(256)]);
        edit = `header byte ${off} = ${b[off]}`;
        break;
      }
      case 6: { // truncated or extended
        const len = rand() < 0.5 ? int(b.length) : b.length + 1 + int(16);
        const out = new Uint8Array(len);
        out.set(b.subarray(0, Math.min(len, b.length)));
        b = out;
        edit = `length ${len}`;
        break;
      }
      case 7: case 8: { // a record moved, copied or removed (later ids shift; the section lengths follow)
        if (!tight || recs.length < 2) break;
        const i = int(recs.length), from = recs[i]!, to = recs[i + 1] ?? l.typeEnd;
        const piece = b.slice(from, to);
        const rest = new Uint8Array([...b.subarray(0, from), ...b.subarray(to)]);
        const r = rand();
        let out: Uint8Array;
        if (r < 0.2) {
          out = rest;
          edit = `record #${i + 1} removed`;
        } else {
          const moving = r < 0.6;
          const src = moving ? rest : b;
          const bounds = [...(moving ? recs.filter((x) => x !== from).map((x) => (x < from ? x : x - piece.length)) : recs), l.typeEnd - (moving ? piece.length : 0)];
          const dest = pick(bounds);
          out = new Uint8Array([...src.subarray(0, dest), ...piece, ...src.subarray(dest)]);
          edit = `record #${i + 1} ${moving ? 'moved' : 'copied'} to byte ${dest}`;
        }
        const grow = out.length - b.length;
        b = out;
        setU32(b, 12, u32(b, 12) + grow);
        setU32(b, 16, u32(b, 16) + grow);
        break;
      }
      case 9: // a name offset: valid, past the end, or into the middle of a name
        if (!has(rec)) break;
        setU32(b, rec, pick([0, int(Math.max(1, strLen)), strLen, strLen - 1, 0x1000000]));
        edit = `name_off @${rec} = ${u32(b, rec)}`;
        break;
      case 10: // the size/type word: a nearby or far id
        if (!has(rec + 8)) break;
        setU32(b, rec + 8, pick([0, int(recs.length + 1), recs.length + 1, 0xfffff, 0x100000, int(4)]));
        edit = `type @${rec + 8} = ${u32(b, rec + 8)}`;
        break;
      case 11: { // a member/param/var word
        const words = (recEnd - rec - 12) >> 2;
        if (words <= 0) break;
        const off = rec + 12 + 4 * int(words);
        if (!has(off)) break;
        setU32(b, off, pick([0, int(recs.length + 2), 0xffffffff, u32(b, off) + 1, u32(b, off) ^ 7, u32(b, off) | 0x1000000, u32(b, off) | 0x80000000]));
        edit = `trailing word @${off} = ${u32(b, off)}`;
        break;
      }
      case 12: { // a string appended to the string section and given to a record as its name
        if (!tight || !has(rec)) break;
        const s = pick(names);
        const bytes = new TextEncoder().encode(s);
        const out = new Uint8Array(b.length + bytes.length + 1);
        out.set(b);
        out.set(bytes, b.length);
        setU32(out, 20, u32(out, 20) + bytes.length + 1);
        setU32(out, rec, strLen);
        b = out;
        edit = `name '${s.length > 20 ? `${s.slice(0, 8)}...(${s.length})` : s}' for @${rec}`;
        break;
      }
    }
    if (edit) {
      edits.push(edit);
      n--;
    }
  }
  return { bytes: b, edits };
}
