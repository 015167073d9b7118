// The BTF libbpf hands BPF_BTF_LOAD for an object, made from its .BTF bytes as libbpf 1.1 makes it
// (src/libbpf.c bpf_object__collect_externs, btf_fixup_datasec, bpf_object__sanitize_and_load_btf): the
// emulator asks the kernel's model (emulator/btf-load.ts) whether the kernel would take it, since libbpf
// goes on without BTF when it does not.
import { btfExtraBytes, BtfKind as K } from '../btf/decode.js';
import { ElfConst, type ElfFile } from './reader.js';

const u32 = (b: Uint8Array, off: number): number => (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
const setU32 = (b: Uint8Array, off: number, v: number): void => {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
  b[off + 2] = (v >>> 16) & 0xff;
  b[off + 3] = (v >>> 24) & 0xff;
};

export interface BtfLayout { hdrLen: number; typeStart: number; typeEnd: number; strStart: number; strEnd: number; records: number[] }

/** Where a blob's sections and type records are, walked only as far as it stays in bounds (no checks). */
export function btfLayout(b: Uint8Array): BtfLayout {
  const len = b.length;
  const word = (off: number): number => (off + 4 <= len ? u32(b, off) : 0);
  const hdrLen = word(4);
  const typeStart = hdrLen + word(8);
  const typeEnd = Math.min(len, typeStart + word(12));
  const strStart = hdrLen + word(16);
  const strEnd = Math.min(len, strStart + word(20));
  const records: number[] = [];
  for (let off = typeStart; off + 12 <= typeEnd && records.length < 1_000_000;) {
    records.push(off);
    const info = u32(b, off + 4);
    off += 12 + btfExtraBytes((info >>> 24) & 0x1f, info & 0xffff);
  }
  return { hdrLen, typeStart, typeEnd, strStart, strEnd, records };
}

/**
 * The .BTF `btf` of `elf` as libbpf loads it: extern variables and functions rewritten as
 * bpf_object__collect_externs does (a .ksyms VAR becomes a global 4-byte int, a kfunc's FUNC becomes global
 * with a "dummy_ksym" VAR of its own standing in the DATASEC and its nameless parameters named after it;
 * a .kconfig VAR becomes global at `kconfigOffsets`' offset), each other DATASEC's size and variable
 * offsets from the ELF section and symbols when clang left them 0 (btf_fixup_datasec: hidden symbols make
 * their VAR static), every DATASEC's variables sorted by offset, and global .text functions with hidden
 * visibility made static (mark_btf_static).
 */
export function libbpfLoadedBtf(elf: ElfFile, btf: Uint8Array, kconfigOffsets: ReadonlyMap<string, number> = new Map()): Uint8Array {
  let v = view(btf.slice());
  const dummy = needsDummyKsym(v) ? (v = view(withDummyKsym(v))).l.records.length : 0;
  fixKsyms(v, dummy);
  fixKconfig(v, kconfigOffsets);
  fixDatasecs(v, elf);
  return v.b;
}

/** A blob, its layout, and the lookups the fixups share. */
interface View {
  b: Uint8Array;
  l: BtfLayout;
  str(off: number): string;
  kindOf(id: number): number;
  /** The offset of the DATASEC named `name`'s record. */
  datasec(name: string): number | undefined;
  /** The id of the first 32-bit INT (libbpf find_int_btf_id). */
  intId(): number;
}

const kindAt = (b: Uint8Array, off: number): number => (u32(b, off + 4) >>> 24) & 0x1f;

function view(b: Uint8Array): View {
  const l = btfLayout(b);
  const decoder = new TextDecoder();
  const str = (off: number): string => decoder.decode(b.subarray(l.strStart + off, Math.max(l.strStart + off, b.indexOf(0, l.strStart + off))));
  return {
    b, l, str,
    kindOf: (id) => (l.records[id - 1] === undefined ? -1 : kindAt(b, l.records[id - 1]!)),
    datasec: (name) => l.records.find((off) => kindAt(b, off) === K.Datasec && str(u32(b, off)) === name),
    intId: () => l.records.findIndex((off) => kindAt(b, off) === K.Int && (u32(b, off + 12) & 0xff) === 32) + 1,
  };
}

/** A .ksyms DATASEC holding a kfunc (add_dummy_ksym_var). */
function needsDummyKsym(v: View): boolean {
  const ksyms = v.datasec('.ksyms');
  if (ksyms === undefined) return false;
  const vlen = u32(v.b, ksyms + 4) & 0xffff;
  return Array.from({ length: vlen }, (_, i) => v.kindOf(u32(v.b, ksyms + 12 + 12 * i))).includes(K.Func);
}

/** add_dummy_ksym_var: a global VAR "dummy_ksym" appended, for the kfuncs of .ksyms to stand in. */
function withDummyKsym(v: View): Uint8Array {
  const { b, l } = v;
  const strLen = l.strEnd - l.strStart;
  const name = new TextEncoder().encode('dummy_ksym\0');
  let nameOff = indexOfBytes(b.subarray(l.strStart, l.strEnd), name, true);
  const addStr = nameOff < 0;
  if (addStr) nameOff = strLen;
  const out = new Uint8Array(b.length + 16 + (addStr ? name.length : 0));
  out.set(b.subarray(0, l.typeEnd));
  setU32(out, l.typeEnd, nameOff);
  setU32(out, l.typeEnd + 4, K.Var << 24);
  setU32(out, l.typeEnd + 8, v.intId());
  setU32(out, l.typeEnd + 12, 1); // BTF_VAR_GLOBAL_ALLOCATED
  out.set(b.subarray(l.typeEnd), l.typeEnd + 16);
  if (addStr) out.set(name, b.length + 16);
  setU32(out, 12, u32(out, 12) + 16); // type_len
  setU32(out, 16, u32(out, 16) + 16); // str_off
  if (addStr) setU32(out, 20, u32(out, 20) + name.length); // str_len
  return out;
}

/**
 * bpf_object__collect_externs on .ksyms: a kfunc's FUNC becomes global, the dummy VAR stands in the
 * DATASEC and names its nameless parameters; a ksym VAR becomes a global 4-byte int; slots 4 bytes each.
 */
function fixKsyms({ b, l, datasec, intId }: View, dummy: number): void {
  const ksyms = datasec('.ksyms');
  if (ksyms === undefined) return;
  const vlen = u32(b, ksyms + 4) & 0xffff;
  const int = intId();
  for (let i = 0; i < vlen; i++) {
    const at = ksyms + 12 + 12 * i;
    const t = l.records[u32(b, at) - 1];
    if (t === undefined) continue;
    if (kindAt(b, t) === K.Func) {
      const proto = l.records[u32(b, t + 8) - 1];
      for (let j = 0; proto !== undefined && j < (u32(b, proto + 4) & 0xffff); j++) {
        const param = proto + 12 + 8 * j;
        if (u32(b, param + 4) !== 0 && u32(b, param) === 0) setU32(b, param, u32(b, l.records[dummy - 1]!));
      }
      setU32(b, at, dummy);
      setU32(b, t + 4, (K.Func << 24) | 1); // BTF_FUNC_GLOBAL
    } else {
      setU32(b, t + 12, 1); // BTF_VAR_GLOBAL_ALLOCATED
      setU32(b, t + 8, int);
    }
    setU32(b, at + 4, 4 * i);
    setU32(b, at + 8, 4);
  }
  setU32(b, ksyms + 8, 4 * vlen);
}

/** bpf_object__collect_externs on .kconfig: each VAR global, at the offset libbpf gave it. */
function fixKconfig({ b, l, str, datasec }: View, offsets: ReadonlyMap<string, number>): void {
  const kconfig = datasec('.kconfig');
  if (kconfig === undefined) return;
  let size = 0;
  for (let i = 0; i < (u32(b, kconfig + 4) & 0xffff); i++) {
    const at = kconfig + 12 + 12 * i;
    const t = l.records[u32(b, at) - 1];
    if (t === undefined) continue;
    setU32(b, t + 12, 1);
    const off = offsets.get(str(u32(b, t))) ?? 0;
    setU32(b, at + 4, off);
    size = Math.max(size, off + u32(b, at + 8));
  }
  setU32(b, kconfig + 8, size);
}

/**
 * btf_fixup_datasec on every other DATASEC (size and offsets from the ELF when clang left them 0, hidden
 * symbols' VARs static, variables sorted by offset), and mark_btf_static's hidden .text functions.
 */
function fixDatasecs({ b, l, str }: View, elf: ElfFile): void {
  const objects = new Map<string, { value: number; hidden: boolean }>();
  const hiddenFuncs = new Set<string>();
  for (const s of elf.symbols) {
    if (s.bind !== ElfConst.STB_GLOBAL && s.bind !== ElfConst.STB_WEAK) continue;
    const hidden = s.visibility === ElfConst.STV_HIDDEN || s.visibility === ElfConst.STV_INTERNAL;
    if (s.type === ElfConst.STT_OBJECT && !objects.has(s.name)) objects.set(s.name, { value: s.value, hidden });
    if (s.type === ElfConst.STT_FUNC && hidden && elf.sections[s.shndx]?.name === '.text') hiddenFuncs.add(s.name);
  }
  for (const off of l.records) {
    const info = u32(b, off + 4);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    if (kind === K.Func && vlen === 1 && hiddenFuncs.has(str(u32(b, off)))) setU32(b, off + 4, info & ~0xffff);
    if (kind !== K.Datasec) continue;
    const name = str(u32(b, off));
    const external = name === '.kconfig' || name === '.ksyms';
    const section = external ? undefined : elf.sectionByName(name);
    const fix = !external && u32(b, off + 8) === 0 && section !== undefined && section.size > 0;
    if (fix) setU32(b, off + 8, section!.size);
    const vars: number[][] = [];
    for (let i = 0; i < vlen; i++) {
      const at = off + 12 + 12 * i;
      const t = l.records[u32(b, at) - 1];
      if (!external && t !== undefined && kindAt(b, t) === K.Var && u32(b, t + 12) === 1) {
        const sym = objects.get(str(u32(b, t)));
        if (sym && fix) setU32(b, at + 4, sym.value);
        if (sym?.hidden) setU32(b, t + 12, 0);
      }
      vars.push([u32(b, at), u32(b, at + 4), u32(b, at + 8)]);
    }
    vars.sort((x, y) => x[1]! - y[1]!).forEach((vsi, i) => vsi.forEach((w, j) => setU32(b, off + 12 + 12 * i + 4 * j, w)));
  }
}

/** Where `needle` starts in `hay` (at a string's start when `atString`: offset 0 or after a NUL), or -1. */
function indexOfBytes(hay: Uint8Array, needle: Uint8Array, atString: boolean): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    if (atString && i > 0 && hay[i - 1] !== 0) continue;
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
