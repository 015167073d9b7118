// A full BTF decoder (include/uapi/linux/btf.h): every kind with its trailing data, plus the questions the
// emulator's loader asks of it — sizes (sizeOf), typedef/modifier stripping (resolve), and where the lock
// fields of a map value are (findLocks). src/btf/decode.ts stays the cheap name/kind lister for kernel/features.ts.
import type { LockField } from '../seam/engine.js';
import { BTF_HEADER_LEN, BTF_MAGIC, BTF_TYPE_LEN, BtfKind, MAX_RESOLVE_DEPTH } from './decode.js';

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

/** A struct or union that holds itself by value: BPF_BTF_LOAD refuses such BTF (btf.c btf_resolve). */
export class BtfLoopError extends BtfFormatError {}

export const MODIFIERS: ReadonlySet<number> = new Set([BtfKind.Typedef, BtfKind.Volatile, BtfKind.Const, BtfKind.Restrict, BtfKind.TypeTag]);
/** What libbpf's btf__resolve_size steps through on its way to a sized type (arrays multiply). */
const SIZE_CHAIN: ReadonlySet<number> = new Set([...MODIFIERS, BtfKind.Var, BtfKind.DeclTag, BtfKind.Array]);
/** What btf__align_of steps through: modifiers and arrays (an array is aligned as its element). */
const ALIGN_CHAIN: ReadonlySet<number> = new Set([...MODIFIERS, BtfKind.Array]);
/** What the walks into a value step through between two nesting levels (a VAR of a DATASEC included). */
const VALUE_CHAIN: ReadonlySet<number> = new Set([...MODIFIERS, BtfKind.Var, BtfKind.Array]);

/** libbpf btf__resolve_size: a size or element count past u32 is E2BIG. */
const U32_MAX = 0xffffffff;

const lockKinds = { bpf_spin_lock: 'spin', bpf_res_spin_lock: 'res' } as const;

/** How many lock structs of each kind a type holds (saturating at 2^53, which no caller tells apart). */
export interface LockCounts { spin: number; res: number }

/**
 * How many locks of a kind findLocks lists: two are enough for the kernel's answer, since a value may hold
 * one (seam/lock-placement.ts lockRuleViolation: more is E2BIG), and listing stops there, so an array of
 * 2^26 lock structs is not enumerated. lockCounts() has the totals.
 */
const LOCKS_LISTED = 2;

/** The end of a typedef/modifier/array chain: the type reached and how many elements the arrays on the way hold. */
interface ChainEnd {
  type: BtfTypeInfo;
  nelems: number;
}

/** A decoded BTF blob: `types[id]`, id 0 being void. */
export class Btf {
  readonly types: BtfTypeInfo[];
  readonly #strings: Uint8Array;
  readonly #byName = new Map<string, number[]>();
  // Answers per struct/union/datasec id, so a type shared by many members (or by itself, twice) is walked
  // once: every walk below is linear in the BTF. They depend on neither DATASEC sizes nor offsets, which
  // fixupDatasecs (src/elf/object.ts) may change after parsing.
  readonly #heights = new Map<number, number>();
  readonly #walking = new Set<number>();
  readonly #aligns = new Map<number, number>();
  readonly #lockCounts = new Map<number, LockCounts>();

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

  /** The string at `offset`, or undefined past the string section (kernel btf.c btf_name_by_offset: NULL). */
  stringAt(offset: number): string | undefined {
    return offset < this.#strings.length || offset === 0 ? readCString(this.#strings, offset) : undefined;
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

  /**
   * Follows the chain of kinds in `through` from `id` (libbpf src/btf.c btf__resolve_size): at most
   * MAX_RESOLVE_DEPTH types, as libbpf follows, so a type that refers to itself or a chain deeper than
   * libbpf's is an error naming `id`, after at most 32 steps. Array element counts multiply, refused past
   * u32 as libbpf refuses them (E2BIG).
   */
  #follow(id: number, through: ReadonlySet<number>): ChainEnd {
    let t = this.type(id);
    let nelems = 1;
    const seen: number[] = [];
    while (through.has(t.kind)) {
      seen.push(t.id);
      if (seen.length >= MAX_RESOLVE_DEPTH) {
        throw new BtfFormatError(`BTF type ${id}: more than ${MAX_RESOLVE_DEPTH - 1} typedefs, modifiers or arrays in a row (libbpf's limit)`);
      }
      let next: number;
      if (t.kind === BtfKind.Array) {
        const a = t as BtfArray;
        nelems *= a.nelems;
        if (nelems > U32_MAX) throw new BtfFormatError(`BTF type ${id}: arrays of more than ${U32_MAX} elements in all`);
        next = a.type;
      } else {
        next = (t as BtfRef | BtfVar | BtfDeclTag).type;
      }
      if (seen.includes(next)) throw new BtfFormatError(`BTF type ${id}: ${describe(t)} refers back to type ${next} (a loop)`);
      t = this.type(next);
    }
    return { type: t, nelems };
  }

  /** Skips typedefs and CV/restrict/type-tag modifiers (libbpf skip_mods_and_typedefs), at most 32 deep. */
  resolve(id: number): BtfTypeInfo {
    return this.#follow(id, MODIFIERS).type;
  }

  /** Size in bytes, resolving typedefs, modifiers and arrays (libbpf btf__resolve_size): at most u32. */
  sizeOf(id: number): number {
    const { type: t, nelems } = this.#follow(id, SIZE_CHAIN);
    let size: number;
    switch (t.kind) {
      case BtfKind.Int: case BtfKind.Struct: case BtfKind.Union: case BtfKind.Enum: case BtfKind.Enum64:
      case BtfKind.Datasec: case BtfKind.Float:
        size = (t as { size: number }).size;
        break;
      case BtfKind.Ptr:
        size = 8; // BPF is a 64-bit target.
        break;
      default:
        throw new BtfFormatError(`BTF type ${id}: ${kindName(t.kind)} has no size`);
    }
    if (nelems * size > U32_MAX) throw new BtfFormatError(`BTF type ${id}: ${nelems} elements of ${size} bytes is more than ${U32_MAX} bytes`);
    return nelems * size;
  }

  /**
   * Checks the types held by value under `id` (members of structs and unions, variables of a DATASEC,
   * through typedefs, modifiers and arrays; a pointer ends the walk) for what a recursive walk cannot
   * survive: a struct that contains itself, and structs nested MAX_RESOLVE_DEPTH levels deep (the kernel's
   * btf_find_nested_struct refuses those with E2BIG; its BTF verifier refuses the loops, btf_resolve).
   * Returns how many levels nest below `id`; memoized, so the check is linear in the BTF.
   */
  checkNesting(id: number): number {
    return Math.max(0, this.#height(id, 0, id) - 1);
  }

  /** Containers (struct, union, datasec) on the longest by-value path down from `id`, itself included. */
  #height(id: number, depth: number, root: number): number {
    const t = this.#follow(id, VALUE_CHAIN).type;
    if (!isContainer(t)) return 0;
    let height = this.#heights.get(t.id);
    if (height === undefined) {
      if (this.#walking.has(t.id)) throw new BtfLoopError(`BTF type ${t.id}: ${describe(t)} contains itself`);
      if (depth >= MAX_RESOLVE_DEPTH) throw tooDeep(root, t);
      this.#walking.add(t.id);
      try {
        height = 1;
        for (const child of children(t)) height = Math.max(height, 1 + this.#height(child, depth + 1, root));
      } finally {
        this.#walking.delete(t.id);
      }
      this.#heights.set(t.id, height);
    }
    // The deepest container below sits at depth + height - 1; the kernel stops at level MAX_RESOLVE_DEPTH.
    if (depth + height > MAX_RESOLVE_DEPTH) throw tooDeep(root, t);
    return height;
  }

  /** Alignment in bytes (libbpf src/btf.c btf__align_of): packed structs report 1. */
  alignOf(id: number): number {
    this.checkNesting(id);
    return this.#alignOf(id);
  }

  #alignOf(id: number): number {
    const t = this.#follow(id, ALIGN_CHAIN).type;
    switch (t.kind) {
      case BtfKind.Int: case BtfKind.Enum: case BtfKind.Enum64: case BtfKind.Float:
        return Math.min(8, (t as { size: number }).size);
      case BtfKind.Ptr:
        return 8;
      case BtfKind.Struct: case BtfKind.Union: {
        const known = this.#aligns.get(t.id);
        if (known !== undefined) return known;
        const c = t as BtfComposite;
        let max = 1;
        let packed = false;
        for (const m of c.members) {
          const a = this.#alignOf(m.type);
          max = Math.max(max, a);
          // A member off its natural alignment means the struct is packed.
          if (m.bitfieldSize === 0 && m.bitOffset % (8 * a) !== 0) {
            packed = true;
            break;
          }
        }
        const align = packed || c.size % max !== 0 ? 1 : max;
        this.#aligns.set(t.id, align);
        return align;
      }
      default:
        throw new BtfFormatError(`BTF type ${id}: ${kindName(t.kind)} has no alignment`);
    }
  }

  /**
   * How many `struct bpf_spin_lock` / `struct bpf_res_spin_lock` the type holds, through nested structs,
   * unions, arrays and DATASEC variables: counted, not enumerated (an array of N structs of k locks holds
   * N × k), so the answer costs one visit per type.
   */
  lockCounts(id: number): LockCounts {
    this.checkNesting(id);
    return this.#locksIn(id);
  }

  #locksIn(id: number): LockCounts {
    const { type: t, nelems } = this.#follow(id, VALUE_CHAIN);
    const one = this.#locksOfOne(t);
    return { spin: saturate(nelems * one.spin), res: saturate(nelems * one.res) };
  }

  /** The locks of one element (not multiplied by the arrays that led to it). */
  #locksOfOne(t: BtfTypeInfo): LockCounts {
    const lock = lockKindOf(t);
    if (lock) return { spin: lock === 'spin' ? 1 : 0, res: lock === 'res' ? 1 : 0 };
    if (!isContainer(t)) return { spin: 0, res: 0 };
    let counts = this.#lockCounts.get(t.id);
    if (counts === undefined) {
      counts = { spin: 0, res: 0 };
      for (const child of children(t)) {
        const c = this.#locksIn(child);
        counts.spin = saturate(counts.spin + c.spin);
        counts.res = saturate(counts.res + c.res);
      }
      this.#lockCounts.set(t.id, counts);
    }
    return counts;
  }

  /**
   * The `struct bpf_spin_lock` / `struct bpf_res_spin_lock` fields inside the type with their byte offsets,
   * through nested structs, unions, arrays and (for global data) DATASEC variables, in the order the kernel's
   * btf_find_field walks them (kernel/bpf/btf.c btf_parse_fields). At most LOCKS_LISTED of each kind are
   * listed; lockCounts() counts them all.
   */
  findLocks(id: number): LockField[] {
    this.checkNesting(id);
    const out: LockField[] = [];
    const listed = { spin: 0, res: 0 };
    const wanted = (c: LockCounts): boolean => (c.spin > 0 && listed.spin < LOCKS_LISTED) || (c.res > 0 && listed.res < LOCKS_LISTED);
    const walk = (typeId: number, base: number): void => {
      const { type: t, nelems } = this.#follow(typeId, VALUE_CHAIN);
      const one = this.#locksOfOne(t);
      if (!wanted(one)) return;
      const stride = nelems > 1 ? this.sizeOf(t.id) : 0;
      // Each element visited holds a lock still wanted, so this loop runs at most 2 × LOCKS_LISTED times.
      for (let i = 0; i < nelems && wanted(one); i++) {
        const at = base + i * stride;
        const lock = lockKindOf(t);
        if (lock) {
          out.push({ kind: lock, offset: at });
          listed[lock]++;
        } else if (t.kind === BtfKind.Datasec) {
          // Global data: each variable at its offset in the section.
          for (const v of (t as BtfDatasec).vars) walk(v.type, at + v.offset);
        } else {
          for (const m of (t as BtfComposite).members) walk(m.type, at + Math.floor(m.bitOffset / 8));
        }
      }
    };
    walk(id, 0);
    return out;
  }
}

/** Struct, union or DATASEC: a type whose members are held by value. */
function isContainer(t: BtfTypeInfo): boolean {
  return t.kind === BtfKind.Struct || t.kind === BtfKind.Union || t.kind === BtfKind.Datasec;
}

/** The type ids a container holds by value (a lock struct's own members are not looked into). */
function children(t: BtfTypeInfo): number[] {
  if (lockKindOf(t)) return [];
  if (t.kind === BtfKind.Datasec) return (t as BtfDatasec).vars.map((v) => v.type);
  return (t as BtfComposite).members.map((m) => m.type);
}

function lockKindOf(t: BtfTypeInfo): 'spin' | 'res' | undefined {
  if (t.kind !== BtfKind.Struct && t.kind !== BtfKind.Union) return undefined;
  return Object.hasOwn(lockKinds, t.name) ? lockKinds[t.name as keyof typeof lockKinds] : undefined;
}

function saturate(n: number): number {
  return Math.min(n, Number.MAX_SAFE_INTEGER);
}

function tooDeep(root: number, at: BtfTypeInfo): BtfFormatError {
  return new BtfFormatError(`BTF type ${root}: structs nested ${MAX_RESOLVE_DEPTH} levels deep or more (at type ${at.id}, ${describe(at)})`);
}

/** "struct 'name'", "CONST" — a type as error messages name it. */
function describe(t: BtfTypeInfo): string {
  const kind = kindName(t.kind);
  return t.name ? `${kind} '${t.name}'` : kind;
}

export function kindName(kind: number): string {
  for (const [name, k] of Object.entries(BtfKind)) if (k === kind) return name;
  return kind === 0 ? 'Void' : `kind${kind}`;
}

const decoder = new TextDecoder();

function readCString(table: Uint8Array, offset: number): string {
  if (offset === 0) return '';
  if (offset >= table.length) throw new BtfFormatError(`BTF string offset ${offset} past the string section (${table.length} bytes)`);
  const end = table.indexOf(0, offset);
  return decoder.decode(table.subarray(offset, end < 0 ? table.length : end));
}

/** Bytes per vlen record after struct btf_type, by kind (include/uapi/linux/btf.h). */
const RECORD_SIZE: Readonly<Record<number, number>> = {
  [BtfKind.Struct]: 12, [BtfKind.Union]: 12, [BtfKind.Enum]: 8, [BtfKind.Enum64]: 12, [BtfKind.FuncProto]: 8,
  [BtfKind.Datasec]: 12,
};

/**
 * Decodes a raw BTF blob (the `.BTF` section, or /sys/kernel/btf/*). Throws BtfFormatError. The header and
 * string section are checked as libbpf's btf__new checks them (src/btf.c btf_parse_hdr, btf_parse_str_sec),
 * and every count against the bytes it claims before anything is allocated for it.
 */
export function parseBtf(data: Uint8Array): Btf {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length < BTF_HEADER_LEN) throw new BtfFormatError(`BTF too short (${data.length} bytes)`);
  if (view.getUint16(0, true) !== BTF_MAGIC) throw new BtfFormatError('not little-endian BTF (bad magic)');
  const hdrLen = view.getUint32(4, true);
  if (hdrLen < BTF_HEADER_LEN || hdrLen > data.length) throw new BtfFormatError(`bad BTF header length ${hdrLen}`);
  // u32 fields: their sums stay far below 2^53, so this arithmetic is exact.
  const typeOff = view.getUint32(8, true);
  const typeLen = view.getUint32(12, true);
  const strOff = view.getUint32(16, true);
  const strLen = view.getUint32(20, true);
  if (strOff + strLen > data.length - hdrLen) throw new BtfFormatError(`BTF string section (${strLen} bytes at ${strOff}) runs past the end of the data`);
  // btf_parse_hdr: the types come before the strings, 4-byte aligned.
  if (typeOff + typeLen > strOff) throw new BtfFormatError(`BTF type section (${typeLen} bytes at ${typeOff}) overlaps the string section at ${strOff}`);
  if (typeOff % 4 !== 0) throw new BtfFormatError(`BTF type section at ${typeOff} is not 4-byte aligned`);
  const typeStart = hdrLen + typeOff;
  const typeEnd = typeStart + typeLen;
  const strings = data.subarray(hdrLen + strOff, hdrLen + strOff + strLen);
  // btf_parse_str_sec: non-empty, starting with the empty name and ending in a NUL (so every name ends).
  if (strings.length === 0 || strings[0] !== 0 || strings[strings.length - 1] !== 0) {
    throw new BtfFormatError('BTF string section is empty or does not start and end with a NUL');
  }
  // include/uapi/linux/btf.h struct btf_layout (newer encoders): per kind, the fixed and per-vlen element
  // sizes, so a reader can step over kinds it does not know.
  const layout = new Map<number, { info: number; elem: number }>();
  if (hdrLen >= 32) {
    const lStart = hdrLen + view.getUint32(24, true);
    const lLen = view.getUint32(28, true);
    if (lLen > 0) {
      if (lStart + lLen > data.length) throw new BtfFormatError(`BTF layout section (${lLen} bytes) runs past the end of the data`);
      for (let k = 0; (k + 1) * 4 <= lLen; k++) layout.set(k, { info: data[lStart + k * 4]!, elem: data[lStart + k * 4 + 1]! });
    }
  }
  const str = (off: number): string => readCString(strings, off);
  const types: BtfTypeInfo[] = [{ id: 0, kind: 0, name: '' }];
  const u32 = (o: number): number => view.getUint32(o, true);
  for (let off = typeStart; off < typeEnd;) {
    const id = types.length;
    // The record and everything its vlen claims must fit in what is left of the type section, checked
    // before anything is read or allocated (libbpf btf_parse_type_sec: "BTF type [%d] is malformed").
    const fits = (bytes: number, what: string): void => {
      if (off + bytes > typeEnd) throw new BtfFormatError(`BTF type ${id}: ${what} (${bytes} bytes) runs past the type section (${typeEnd - off} bytes left)`);
    };
    fits(BTF_TYPE_LEN, 'struct btf_type');
    const nameOff = u32(off);
    const info = u32(off + 4);
    const sizeOrType = u32(off + 8);
    const kind = (info >>> 24) & KIND_MASK;
    const vlen = info & VLEN_MASK;
    const kindFlag = info >>> 31 === 1;
    const name = str(nameOff);
    const record = RECORD_SIZE[kind];
    if (record !== undefined) fits(BTF_TYPE_LEN + vlen * record, `${kindName(kind)} with vlen ${vlen}`);
    let p = off + BTF_TYPE_LEN;
    switch (kind) {
      case BtfKind.Int: {
        fits(BTF_TYPE_LEN + 4, 'INT');
        const v = u32(p); p += 4;
        types.push({ id, name, kind, size: sizeOrType, encoding: (v >>> 24) & 0xf, offset: (v >>> 16) & 0xff, bits: v & 0xff });
        break;
      }
      case BtfKind.Ptr: case BtfKind.Typedef: case BtfKind.Volatile: case BtfKind.Const: case BtfKind.Restrict:
      case BtfKind.TypeTag:
        types.push({ id, name, kind, type: sizeOrType, kindFlag });
        break;
      case BtfKind.Array:
        fits(BTF_TYPE_LEN + 12, 'ARRAY');
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
        fits(BTF_TYPE_LEN + 4, 'VAR');
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
        fits(BTF_TYPE_LEN + 4, 'DECL_TAG');
        types.push({ id, name, kind, type: sizeOrType, componentIdx: u32(p) | 0, kindFlag }); p += 4;
        break;
      default: {
        const l = layout.get(kind);
        if (!l) throw new BtfFormatError(`BTF type ${id}: unknown kind ${kind} and no layout section to skip it`);
        fits(BTF_TYPE_LEN + l.info + vlen * l.elem, `kind ${kind} with vlen ${vlen}`);
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
/**
 * `file` and `text` are '' where their offsets lie past the string section: libbpf passes line_info on
 * unread, and the kernel refuses it at BPF_PROG_LOAD (verifier.c check_btf_line), which `namesValid` tells.
 */
export interface BtfExtLine { insn: number; file: string; line: number; column: number; text: string; namesValid: boolean }
export interface BtfExtCoreReloc { insn: number; typeId: number; accessStr: string; kind: number }

export interface BtfExt {
  /** By ELF section name (as written, '?' included). */
  funcInfo: Map<string, BtfExtFunc[]>;
  lineInfo: Map<string, BtfExtLine[]>;
  coreRelocs: Map<string, BtfExtCoreReloc[]>;
  /**
   * The first block with a section name offset past the string section; its records under that name are
   * left out. libbpf's btf_ext__new does not read the names: bpf_object__init_btf skips func_info and
   * line_info records it cannot name, and bpf_object__relocate_core fails (EINVAL) on CO-RE ones.
   */
  badSectionName?: 'func_info' | 'line_info' | 'core_relo';
}

/**
 * Decodes `.BTF.ext` (libbpf src/btf.c btf_ext__new, struct btf_ext_header in src/libbpf_internal.h):
 * func_info, line_info and CO-RE relocation blocks, each `u32 rec_size` then per section
 * `{ sec_name_off, num_info, records[] }`. Instruction offsets are converted from clang's bytes to
 * instruction indices (libbpf adjust_prog_btf_ext_info does the same division by 8). Every block is checked
 * as btf_ext_setup_info checks it, before its records are read.
 */
export function parseBtfExt(data: Uint8Array, btf: Btf): BtfExt {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length < 24) throw new BtfFormatError(`.BTF.ext too short (${data.length} bytes)`);
  if (view.getUint16(0, true) !== BTF_MAGIC) throw new BtfFormatError('.BTF.ext: not little-endian (bad magic)');
  const hdrLen = view.getUint32(4, true);
  if (hdrLen < 24 || hdrLen > data.length) throw new BtfFormatError(`.BTF.ext: bad header length ${hdrLen}`);
  const u32 = (o: number): number => view.getUint32(o, true);
  let badSectionName: BtfExt['badSectionName'];
  const block = <T>(offField: number, what: 'func_info' | 'line_info' | 'core_relo', minRec: number, rec: (o: number) => T): Map<string, T[]> => {
    const out = new Map<string, T[]>();
    if (offField + 8 > hdrLen) return out; // an older header without this block
    const off = u32(offField);
    const len = u32(offField + 4);
    if (len === 0) return out;
    // u32 + u32 + u32: exact in a double.
    const start = hdrLen + off;
    const end = start + len;
    if (off % 4 !== 0) throw new BtfFormatError(`.BTF.ext: ${what} block at ${off} is not 4-byte aligned`);
    if (end > data.length) throw new BtfFormatError(`.BTF.ext: ${what} block (${len} bytes at ${off}) runs past the end of the section`);
    if (len < 4) throw new BtfFormatError(`.BTF.ext: ${what} block has no record size`);
    const recSize = u32(start);
    if (recSize < minRec || recSize % 4 !== 0) throw new BtfFormatError(`.BTF.ext: ${what} has bad record size ${recSize}`);
    if (len === 4) throw new BtfFormatError(`.BTF.ext: ${what} block has no records`);
    for (let p = start + 4; p < end;) {
      if (p + 8 > end) throw new BtfFormatError(`.BTF.ext: ${what}: truncated section header`);
      const sec = btf.stringAt(u32(p));
      if (sec === undefined) badSectionName ??= what;
      const named = sec === undefined ? `with a name at ${u32(p)}, past the strings,` : `'${sec}'`;
      const n = u32(p + 4);
      p += 8;
      if (n === 0) throw new BtfFormatError(`.BTF.ext: ${what}: section ${named} has no records`);
      // n * recSize can pass 2^53 and round, but only when it is far beyond `end` either way.
      if (n * recSize > end - p) throw new BtfFormatError(`.BTF.ext: ${what}: section ${named} records (${n} of ${recSize} bytes) run past their block`);
      if (sec === undefined) {
        p += n * recSize;
        continue;
      }
      let list = out.get(sec);
      if (!list) out.set(sec, (list = []));
      for (let i = 0; i < n; i++, p += recSize) list.push(rec(p));
    }
    return out;
  };
  const ext: BtfExt = {
    // struct bpf_func_info { insn_off; type_id; }
    // (libbpf divides func and line offsets by 8 and drops the rest; a CO-RE offset must be whole.)
    funcInfo: block(8, 'func_info', 8, (o) => ({ insn: Math.floor(u32(o) / 8), typeId: u32(o + 4) })),
    // struct bpf_line_info { insn_off; file_name_off; line_off; line_col = line << 10 | col; }
    lineInfo: block(16, 'line_info', 16, (o) => {
      const file = btf.stringAt(u32(o + 4));
      const text = btf.stringAt(u32(o + 8));
      return { insn: Math.floor(u32(o) / 8), file: file ?? '', text: text ?? '', line: u32(o + 12) >>> 10, column: u32(o + 12) & 0x3ff, namesValid: file !== undefined && text !== undefined };
    }),
    // struct bpf_core_relo { insn_off; type_id; access_str_off; kind; }
    coreRelocs: block(24, 'core_relo', 16, (o) => ({ insn: u32(o) / 8, typeId: u32(o + 4), accessStr: btf.stringAt(u32(o + 8)) ?? '', kind: u32(o + 12) })),
  };
  if (badSectionName) ext.badSectionName = badSectionName;
  return ext;
}
