// A full BTF decoder (include/uapi/linux/btf.h): every kind with its trailing data, plus the questions the
// emulator's loader asks of it — sizes (sizeOf), typedef/modifier stripping (resolve), and where the lock
// fields of a map value are (findLocks). src/btf/decode.ts stays the cheap name/kind lister for kernel/features.ts.
import { BTF_HEADER_LEN, BTF_MAGIC, BtfKind } from './decode.js';

export { BtfKind };


/** struct btf_type info bits. The 2026 uapi (libbpf commit "bpf: Extend BTF UAPI vlen, kinds to use unused
 * bits") widened vlen to bits 0-23 and kind to bits 24-30; older encoders left those bits zero, so the
 * wide masks read both. */
const VLEN_MASK = 0xffffff;
const KIND_MASK = 0x7f;

/** BTF_INT_SIGNED / BTF_INT_CHAR / BTF_INT_BOOL. */
export const BtfIntEncoding = { Signed: 1, Char: 2, Bool: 4 } as const;
/** enum btf_func_linkage. */
export const BtfFuncLinkage = { Static: 0, Global: 1, Extern: 2 } as const;
/** BTF_VAR_STATIC / BTF_VAR_GLOBAL_ALLOCATED / BTF_VAR_GLOBAL_EXTERN. */
export const BtfVarLinkage = { Static: 0, GlobalAllocated: 1, GlobalExtern: 2 } as const;

interface Base {
  id: number;
  name: string;
}
export interface BtfVoid extends Base { kind: 0 }
export interface BtfInt extends Base {
  kind: typeof BtfKind.Int;
  size: number;
  /** BtfIntEncoding bits. */
  encoding: number;
  /** Bit offset of the value inside its storage (historically 0). */
  offset: number;
  bits: number;
}
/** PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG: a name (maybe empty) over another type. */
export interface BtfRef extends Base {
  kind: typeof BtfKind.Ptr | typeof BtfKind.Typedef | typeof BtfKind.Volatile | typeof BtfKind.Const
    | typeof BtfKind.Restrict | typeof BtfKind.TypeTag;
  type: number;
  /** TYPE_TAG: kind_flag set means an attribute tag, not a btf_type_tag. */
  kindFlag: boolean;
}
export interface BtfArray extends Base {
  kind: typeof BtfKind.Array;
  type: number;
  indexType: number;
  nelems: number;
}
export interface BtfMember {
  name: string;
  type: number;
  /** Bit offset from the start of the struct/union. */
  bitOffset: number;
  /** Bitfield width (0 for a non-bitfield member). */
  bitfieldSize: number;
}
export interface BtfComposite extends Base {
  kind: typeof BtfKind.Struct | typeof BtfKind.Union;
  size: number;
  members: BtfMember[];
}
export interface BtfEnum extends Base {
  kind: typeof BtfKind.Enum | typeof BtfKind.Enum64;
  size: number;
  signed: boolean;
  values: { name: string; value: bigint }[];
}
export interface BtfFwd extends Base {
  kind: typeof BtfKind.Fwd;
  /** Forward declaration of a union (kind_flag) rather than a struct. */
  union: boolean;
}
export interface BtfFunc extends Base {
  kind: typeof BtfKind.Func;
  /** The FUNC_PROTO. */
  type: number;
  /** BtfFuncLinkage (kept in vlen). */
  linkage: number;
}
export interface BtfFuncProto extends Base {
  kind: typeof BtfKind.FuncProto;
  returnType: number;
  /** A last param { name: '', type: 0 } means varargs. */
  params: { name: string; type: number }[];
}
export interface BtfVar extends Base {
  kind: typeof BtfKind.Var;
  type: number;
  /** BtfVarLinkage. */
  linkage: number;
}
export interface BtfDatasec extends Base {
  kind: typeof BtfKind.Datasec;
  size: number;
  vars: { type: number; offset: number; size: number }[];
}
export interface BtfFloat extends Base {
  kind: typeof BtfKind.Float;
  size: number;
}
export interface BtfDeclTag extends Base {
  kind: typeof BtfKind.DeclTag;
  type: number;
  /** -1: the tag is on the type itself; else the member/param index. */
  componentIdx: number;
  kindFlag: boolean;
}
/** A kind this decoder does not know, skipped by the header's layout section. */
export interface BtfUnknown extends Base {
  kind: number;
  unknown: true;
}

export type BtfTypeInfo =
  | BtfVoid | BtfInt | BtfRef | BtfArray | BtfComposite | BtfEnum | BtfFwd | BtfFunc | BtfFuncProto | BtfVar
  | BtfDatasec | BtfFloat | BtfDeclTag | BtfUnknown;

export class BtfFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BtfFormatError';
  }
}

const MODIFIERS = new Set<number>([BtfKind.Typedef, BtfKind.Volatile, BtfKind.Const, BtfKind.Restrict, BtfKind.TypeTag]);

/** A decoded BTF blob: `types[id]`, id 0 being void. */
export class Btf {
  readonly types: BtfTypeInfo[];
  readonly #strings: Uint8Array;
  readonly #byName = new Map<string, number[]>();

  constructor(types: BtfTypeInfo[], strings: Uint8Array) {
    this.types = types;
    this.#strings = strings;
    for (const t of types) {
      if (t.name === '') continue;
      const ids = this.#byName.get(t.name);
      if (ids) ids.push(t.id);
      else this.#byName.set(t.name, [t.id]);
    }
  }

  /** A string of the string section (e.g. for .BTF.ext line_info file/line offsets). */
  string(offset: number): string {
    return readCString(this.#strings, offset);
  }

  type(id: number): BtfTypeInfo {
    const t = this.types[id];
    if (!t) throw new BtfFormatError(`BTF type id ${id} out of range (${this.types.length - 1} types)`);
    return t;
  }

  /** The first type with this name, optionally of this kind (libbpf btf__find_by_name[_kind]). */
  findByName(name: string, kind?: number): BtfTypeInfo | undefined {
    for (const id of this.#byName.get(name) ?? []) {
      const t = this.types[id]!;
      if (kind === undefined || t.kind === kind) return t;
    }
    return undefined;
  }

  /** Skips typedefs and CV/restrict/type-tag modifiers (libbpf skip_mods_and_typedefs). */
  resolve(id: number): BtfTypeInfo {
    let t = this.type(id);
    for (let depth = 0; MODIFIERS.has(t.kind); depth++) {
      if (depth > 64) throw new BtfFormatError(`BTF type ${id}: modifier chain too long (a loop?)`);
      t = this.type((t as BtfRef).type);
    }
    return t;
  }

  /** Size in bytes, resolving typedefs, modifiers and arrays (libbpf btf__resolve_size). */
  sizeOf(id: number): number {
    let nelems = 1;
    let t = this.type(id);
    for (let depth = 0; ; depth++) {
      if (depth > 64) throw new BtfFormatError(`BTF type ${id}: type chain too long (a loop?)`);
      switch (t.kind) {
        case BtfKind.Int: case BtfKind.Struct: case BtfKind.Union: case BtfKind.Enum: case BtfKind.Enum64:
        case BtfKind.Datasec: case BtfKind.Float:
          return nelems * (t as { size: number }).size;
        case BtfKind.Ptr:
          return nelems * 8; // BPF is a 64-bit target.
        case BtfKind.Typedef: case BtfKind.Volatile: case BtfKind.Const: case BtfKind.Restrict:
        case BtfKind.TypeTag: case BtfKind.Var: case BtfKind.DeclTag:
          t = this.type((t as BtfRef | BtfVar).type);
          break;
        case BtfKind.Array:
          nelems *= (t as BtfArray).nelems;
          t = this.type((t as BtfArray).type);
          break;
        default:
          throw new BtfFormatError(`BTF type ${id}: ${kindName(t.kind)} has no size`);
      }
    }
  }

  /** Alignment in bytes (libbpf src/btf.c btf__align_of): packed structs report 1. */
  alignOf(id: number): number {
    const t = this.type(id);
    switch (t.kind) {
      case BtfKind.Int: case BtfKind.Enum: case BtfKind.Enum64: case BtfKind.Float:
        return Math.min(8, (t as { size: number }).size);
      case BtfKind.Ptr:
        return 8;
      case BtfKind.Typedef: case BtfKind.Volatile: case BtfKind.Const: case BtfKind.Restrict: case BtfKind.TypeTag:
        return this.alignOf((t as BtfRef).type);
      case BtfKind.Array:
        return this.alignOf((t as BtfArray).type);
      case BtfKind.Struct: case BtfKind.Union: {
        const c = t as BtfComposite;
        let max = 1;
        for (const m of c.members) {
          const a = this.alignOf(m.type);
          max = Math.max(max, a);
          // A member off its natural alignment means the struct is packed.
          if (m.bitfieldSize === 0 && m.bitOffset % (8 * a) !== 0) return 1;
        }
        return c.size % max !== 0 ? 1 : max;
      }
      default:
        throw new BtfFormatError(`BTF type ${id}: ${kindName(t.kind)} has no alignment`);
    }
  }

  /**
   * Every `struct bpf_spin_lock` / `struct bpf_res_spin_lock` inside the type, through nested structs,
   * unions, arrays and (for global data) DATASEC variables, with its byte offset (kernel/bpf/btf.c btf_parse_fields finds them the same way).
   */
  findLocks(id: number): { kind: 'spin' | 'res'; offset: number }[] {
    const out: { kind: 'spin' | 'res'; offset: number }[] = [];
    const walk = (typeId: number, base: number, depth: number): void => {
      if (depth > 32) return;
      const t = this.resolve(typeId);
      if (t.kind === BtfKind.Struct || t.kind === BtfKind.Union) {
        if (t.name === 'bpf_spin_lock') { out.push({ kind: 'spin', offset: base }); return; }
        if (t.name === 'bpf_res_spin_lock') { out.push({ kind: 'res', offset: base }); return; }
        for (const m of (t as BtfComposite).members) walk(m.type, base + Math.floor(m.bitOffset / 8), depth + 1);
      } else if (t.kind === BtfKind.Datasec) {
        // Global data: each variable at its offset in the section.
        for (const v of (t as BtfDatasec).vars) {
          const vt = this.type(v.type);
          walk(vt.kind === BtfKind.Var ? (vt as BtfVar).type : v.type, base + v.offset, depth + 1);
        }
      } else if (t.kind === BtfKind.Array) {
        const a = t as BtfArray;
        const before = out.length;
        walk(a.type, base, depth + 1);
        if (out.length === before || a.nelems <= 1) return;
        const found = out.slice(before);
        const stride = this.sizeOf(a.type);
        for (let i = 1; i < a.nelems; i++) for (const f of found) out.push({ kind: f.kind, offset: f.offset + i * stride });
      }
    };
    walk(id, 0, 0);
    return out;
  }
}

export function kindName(kind: number): string {
  for (const [name, k] of Object.entries(BtfKind)) if (k === kind) return name;
  return kind === 0 ? 'Void' : `kind${kind}`;
}

function readCString(table: Uint8Array, offset: number): string {
  if (offset === 0) return '';
  if (offset >= table.length) throw new BtfFormatError(`BTF string offset ${offset} past the string section (${table.length} bytes)`);
  const end = table.indexOf(0, offset);
  return new TextDecoder().decode(table.subarray(offset, end < 0 ? table.length : end));
}

/** Decodes a raw BTF blob (the `.BTF` section, or /sys/kernel/btf/*). Throws BtfFormatError. */
export function parseBtf(data: Uint8Array): Btf {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length < BTF_HEADER_LEN) throw new BtfFormatError(`BTF too short (${data.length} bytes)`);
  if (view.getUint16(0, true) !== BTF_MAGIC) throw new BtfFormatError('not little-endian BTF (bad magic)');
  const hdrLen = view.getUint32(4, true);
  if (hdrLen < BTF_HEADER_LEN || hdrLen > data.length) throw new BtfFormatError(`bad BTF header length ${hdrLen}`);
  const typeStart = hdrLen + view.getUint32(8, true);
  const typeEnd = typeStart + view.getUint32(12, true);
  const strStart = hdrLen + view.getUint32(16, true);
  const strEnd = strStart + view.getUint32(20, true);
  if (typeEnd > data.length || strEnd > data.length) throw new BtfFormatError('BTF sections run past the end of the data');
  const strings = data.subarray(strStart, strEnd);
  // include/uapi/linux/btf.h struct btf_layout (newer encoders): per kind, the fixed and per-vlen element
  // sizes, so a reader can step over kinds it does not know.
  const layout = new Map<number, { info: number; elem: number }>();
  if (hdrLen >= 32) {
    const lStart = hdrLen + view.getUint32(24, true);
    const lLen = view.getUint32(28, true);
    if (lLen > 0 && lStart + lLen <= data.length) {
      for (let k = 0; k * 4 < lLen; k++) layout.set(k, { info: data[lStart + k * 4]!, elem: data[lStart + k * 4 + 1]! });
    }
  }
  const str = (off: number): string => readCString(strings, off);
  const types: BtfTypeInfo[] = [{ id: 0, kind: 0, name: '' }];
  const u32 = (o: number): number => {
    if (o + 4 > typeEnd) throw new BtfFormatError(`BTF type ${types.length} runs past the type section`);
    return view.getUint32(o, true);
  };
  for (let off = typeStart; off < typeEnd;) {
    const id = types.length;
    const name = str(u32(off));
    const info = u32(off + 4);
    const sizeOrType = u32(off + 8);
    const kind = (info >>> 24) & KIND_MASK;
    const vlen = info & VLEN_MASK;
    const kindFlag = info >>> 31 === 1;
    let p = off + 12;
    switch (kind) {
      case BtfKind.Int: {
        const v = u32(p); p += 4;
        types.push({ id, name, kind, size: sizeOrType, encoding: (v >>> 24) & 0xf, offset: (v >>> 16) & 0xff, bits: v & 0xff });
        break;
      }
      case BtfKind.Ptr: case BtfKind.Typedef: case BtfKind.Volatile: case BtfKind.Const: case BtfKind.Restrict:
      case BtfKind.TypeTag:
        types.push({ id, name, kind, type: sizeOrType, kindFlag });
        break;
      case BtfKind.Array:
        types.push({ id, name, kind, type: u32(p), indexType: u32(p + 4), nelems: u32(p + 8) }); p += 12;
        break;
      case BtfKind.Struct: case BtfKind.Union: {
        const members: BtfMember[] = [];
        for (let i = 0; i < vlen; i++, p += 12) {
          const o = u32(p + 8);
          // kind_flag: offset holds bitfield size (bits 24-31) and bit offset (bits 0-23).
          members.push({ name: str(u32(p)), type: u32(p + 4), bitOffset: kindFlag ? o & 0xffffff : o, bitfieldSize: kindFlag ? o >>> 24 : 0 });
        }
        types.push({ id, name, kind, size: sizeOrType, members });
        break;
      }
      case BtfKind.Enum: {
        const values: BtfEnum['values'] = [];
        for (let i = 0; i < vlen; i++, p += 8) {
          const raw = u32(p + 4);
          values.push({ name: str(u32(p)), value: kindFlag ? BigInt(raw | 0) : BigInt(raw) });
        }
        types.push({ id, name, kind, size: sizeOrType, signed: kindFlag, values });
        break;
      }
      case BtfKind.Enum64: {
        const values: BtfEnum['values'] = [];
        for (let i = 0; i < vlen; i++, p += 12) {
          const v = (BigInt(u32(p + 8)) << 32n) | BigInt(u32(p + 4));
          values.push({ name: str(u32(p)), value: kindFlag ? BigInt.asIntN(64, v) : v });
        }
        types.push({ id, name, kind, size: sizeOrType, signed: kindFlag, values });
        break;
      }
      case BtfKind.Fwd:
        types.push({ id, name, kind, union: kindFlag });
        break;
      case BtfKind.Func:
        types.push({ id, name, kind, type: sizeOrType, linkage: vlen });
        break;
      case BtfKind.FuncProto: {
        const params: BtfFuncProto['params'] = [];
        for (let i = 0; i < vlen; i++, p += 8) params.push({ name: str(u32(p)), type: u32(p + 4) });
        types.push({ id, name, kind, returnType: sizeOrType, params });
        break;
      }
      case BtfKind.Var:
        types.push({ id, name, kind, type: sizeOrType, linkage: u32(p) }); p += 4;
        break;
      case BtfKind.Datasec: {
        const vars: BtfDatasec['vars'] = [];
        for (let i = 0; i < vlen; i++, p += 12) vars.push({ type: u32(p), offset: u32(p + 4), size: u32(p + 8) });
        types.push({ id, name, kind, size: sizeOrType, vars });
        break;
      }
      case BtfKind.Float:
        types.push({ id, name, kind, size: sizeOrType });
        break;
      case BtfKind.DeclTag:
        types.push({ id, name, kind, type: sizeOrType, componentIdx: u32(p) | 0, kindFlag }); p += 4;
        break;
      default: {
        const l = layout.get(kind);
        if (!l) throw new BtfFormatError(`BTF type ${id}: unknown kind ${kind} and no layout section to skip it`);
        types.push({ id, name, kind, unknown: true });
        p += l.info + vlen * l.elem;
      }
    }
    off = p;
  }
  return new Btf(types, strings);
}

/** One `.BTF.ext` record, with the ELF section it belongs to and its instruction index in that section. */
export interface BtfExtFunc { insn: number; typeId: number }
export interface BtfExtLine { insn: number; file: string; line: number; column: number; text: string }
export interface BtfExtCoreReloc { insn: number; typeId: number; accessStr: string; kind: number }

export interface BtfExt {
  /** By ELF section name (as written, '?' included). */
  funcInfo: Map<string, BtfExtFunc[]>;
  lineInfo: Map<string, BtfExtLine[]>;
  coreRelocs: Map<string, BtfExtCoreReloc[]>;
}

/**
 * Decodes `.BTF.ext` (libbpf src/btf.c btf_ext__new, struct btf_ext_header in src/libbpf_internal.h):
 * func_info, line_info and CO-RE relocation blocks, each `u32 rec_size` then per section
 * `{ sec_name_off, num_info, records[] }`. Instruction offsets are converted from clang's bytes to
 * instruction indices (libbpf adjust_prog_btf_ext_info does the same division by 8).
 */
export function parseBtfExt(data: Uint8Array, btf: Btf): BtfExt {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length < 24) throw new BtfFormatError(`.BTF.ext too short (${data.length} bytes)`);
  if (view.getUint16(0, true) !== BTF_MAGIC) throw new BtfFormatError('.BTF.ext: not little-endian (bad magic)');
  const hdrLen = view.getUint32(4, true);
  if (hdrLen < 24 || hdrLen > data.length) throw new BtfFormatError(`.BTF.ext: bad header length ${hdrLen}`);
  const block = <T>(offField: number, minRec: number, rec: (o: number) => T): Map<string, T[]> => {
    const out = new Map<string, T[]>();
    if (offField + 8 > hdrLen) return out; // an older header without this block
    const start = hdrLen + view.getUint32(offField, true);
    const len = view.getUint32(offField + 4, true);
    if (len === 0) return out;
    const end = start + len;
    if (end > data.length) throw new BtfFormatError('.BTF.ext: a block runs past the end of the section');
    const recSize = view.getUint32(start, true);
    if (recSize < minRec || recSize % 4 !== 0) throw new BtfFormatError(`.BTF.ext: bad record size ${recSize}`);
    for (let p = start + 4; p < end;) {
      if (p + 8 > end) throw new BtfFormatError('.BTF.ext: truncated section header');
      const sec = btf.string(view.getUint32(p, true));
      const n = view.getUint32(p + 4, true);
      p += 8;
      if (p + n * recSize > end) throw new BtfFormatError(`.BTF.ext: section '${sec}' records run past their block`);
      const list = out.get(sec) ?? [];
      for (let i = 0; i < n; i++, p += recSize) list.push(rec(p));
      out.set(sec, list);
    }
    return out;
  };
  const u32 = (o: number): number => view.getUint32(o, true);
  return {
    // struct bpf_func_info { insn_off; type_id; }
    funcInfo: block(8, 8, (o) => ({ insn: u32(o) / 8, typeId: u32(o + 4) })),
    // struct bpf_line_info { insn_off; file_name_off; line_off; line_col = line << 10 | col; }
    lineInfo: block(16, 16, (o) => ({
      insn: u32(o) / 8, file: btf.string(u32(o + 4)), text: btf.string(u32(o + 8)),
      line: u32(o + 12) >>> 10, column: u32(o + 12) & 0x3ff,
    })),
    // struct bpf_core_relo { insn_off; type_id; access_str_off; kind; }
    coreRelocs: block(24, 16, (o) => ({ insn: u32(o) / 8, typeId: u32(o + 4), accessStr: btf.string(u32(o + 8)), kind: u32(o + 12) })),
  };
}
