// The objects a program allocates with bpf_obj_new (kernel/bpf/helpers.c bpf_obj_new_impl) are of a struct
// type of the program's own BTF. What the verifier knows of one (check_kfunc_call: the type must be a
// struct; btf_find_struct_meta: its record of special fields, here its locks), how btf_struct_access lets a
// program read and write it, and the sizes the emulator allocates at run time.
import { BtfKind, MODIFIERS, type Btf, type BtfArray, type BtfComposite, type BtfRef, type BtfTypeInfo } from '../../btf/types.js';
import type { LockField } from '../../seam/engine.js';

export interface LocalObjectType {
  typeId: number;
  name: string;
  size: number;
  /** The bpf_spin_lock / bpf_res_spin_lock fields (the record's spin_lock_off / res_spin_lock_off). */
  locks: readonly LockField[];
}

/** Each BTF's answers, by type id: the walks ask at every access through an object and every NULL check. */
const byBtf = new WeakMap<Btf, Map<number, LocalObjectType | undefined>>();

/** The struct bpf_obj_new may allocate as `typeId` (check_kfunc_call: __btf_type_is_struct, no typedef followed). */
export function localObjectType(btf: Btf | undefined, typeId: number): LocalObjectType | undefined {
  if (!btf) return undefined;
  let types = byBtf.get(btf);
  if (!types) byBtf.set(btf, (types = new Map()));
  if (!types.has(typeId)) {
    const t = typeId > 0 && typeId < btf.types.length ? btf.types[typeId] : undefined;
    types.set(typeId, t?.kind === BtfKind.Struct ? { typeId, name: t.name, size: (t as BtfComposite).size, locks: btf.findLocks(typeId) } : undefined);
  }
  return types.get(typeId);
}

/** Every struct of the program's BTF by type id: its size, what bpf_obj_new allocates for it (kfuncs.ts). */
export function allocSizes(btf: Btf): Map<number, number> {
  const out = new Map<number, number>();
  for (const t of btf.types) if (t?.kind === BtfKind.Struct) out.set(t.id, (t as BtfComposite).size);
  return out;
}

export const lockFieldName = { spin: 'bpf_spin_lock', res: 'bpf_res_spin_lock' } as const;
const LOCK_SIZE = 4;

/**
 * btf_struct_access for an allocated object: bytes [off, off+size) of `type`. A special field (a lock) may
 * not be touched ("direct access to bpf_spin_lock is disallowed"); past the struct is refused
 * (btf_struct_walk: "access beyond struct foo at off 8 size 4"); a read or write inside one integer or enum
 * member, through nested structs, is a scalar. Anything else (pointers, which may be kptr fields; padding,
 * unions, bitfields, a member crossed) is outside this model: undefined.
 */
export function localObjectAccess(btf: Btf, type: LocalObjectType, off: number, size: number): { refusal: string } | 'scalar' | undefined {
  for (const lock of type.locks) {
    if (off < lock.offset + LOCK_SIZE && lock.offset < off + size) return { refusal: `direct access to ${lockFieldName[lock.kind]} is disallowed` };
  }
  let struct = btf.type(type.typeId) as BtfComposite;
  for (let depth = 0; depth < 32; depth++) {
    if (off + size > struct.size) return { refusal: `access beyond struct ${struct.name} at off ${off} size ${size}` };
    const member = struct.members.find((m) => {
      const at = m.bitOffset / 8;
      return m.bitfieldSize === 0 && Number.isInteger(at) && at <= off && off + size <= at + btf.sizeOf(m.type);
    });
    if (!member) return undefined;
    const mt = btf.resolve(member.type);
    off -= member.bitOffset / 8;
    if (mt.kind === BtfKind.Int || mt.kind === BtfKind.Enum || mt.kind === BtfKind.Enum64) return 'scalar';
    if (mt.kind !== BtfKind.Struct) return undefined;
    struct = mt as BtfComposite;
  }
  return undefined;
}

/** include/linux/bpf.h enum btf_field_type's kptr kinds, by their BTF type tags (kernel/bpf/btf.c btf_find_kptr). */
export type KptrKind = 'unref' | 'ref' | 'percpu' | 'uptr';
const kptrTags: Readonly<Record<string, KptrKind>> = { kptr_untrusted: 'unref', kptr: 'ref', percpu_kptr: 'percpu', uptr: 'uptr' };

/** A kptr field of a map value (struct btf_field of type BPF_KPTR_*): where it is, and the struct it points to. */
export interface KptrField {
  offset: number;
  kind: KptrKind;
  /** The pointee struct's id and name in the map's BTF (kptr.btf_id). */
  target: number;
  targetName: string;
}

/** include/linux/bpf.h BTF_FIELDS_MAX: a record holds at most this many special fields. */
const BTF_FIELDS_MAX = 11;

/**
 * The kptr fields of a map value of type `valueTypeId`, in offset order, through nested structs and arrays
 * (kernel/bpf/btf.c btf_find_field / btf_find_kptr: a PTR, maybe VOLATILE, whose modifiers carry a kptr type
 * tag, to a struct). BTF that BPF_BTF_LOAD refuses never reaches here (btf-load-fields.ts checks it).
 */
export function kptrFields(btf: Btf, valueTypeId: number): KptrField[] {
  const out: KptrField[] = [];
  const walk = (id: number, base: number, depth: number): void => {
    if (depth > 32 || out.length >= BTF_FIELDS_MAX) return;
    let t: BtfTypeInfo = btf.type(id);
    while (t.kind === BtfKind.Typedef || t.kind === BtfKind.Const || t.kind === BtfKind.Restrict) t = btf.type((t as BtfRef).type);
    const field = kptrOf(btf, t, base);
    if (field) out.push(field);
    else if (t.kind === BtfKind.Struct) {
      for (const m of (t as BtfComposite).members) if (m.bitfieldSize === 0) walk(m.type, base + m.bitOffset / 8, depth + 1);
    } else if (t.kind === BtfKind.Array) {
      const a = t as BtfArray;
      const stride = btf.sizeOf(a.type);
      for (let i = 0; i < a.nelems && out.length < BTF_FIELDS_MAX; i++) walk(a.type, base + i * stride, depth + 1);
    }
  };
  walk(valueTypeId, 0, 0);
  return out;
}

function kptrOf(btf: Btf, t: BtfTypeInfo, offset: number): KptrField | undefined {
  if (t.kind === BtfKind.Volatile) t = btf.type((t as BtfRef).type);
  if (t.kind !== BtfKind.Ptr) return undefined;
  let kind: KptrKind | undefined;
  let id = (t as BtfRef).type;
  for (let depth = 0; depth < 32 && MODIFIERS.has(btf.type(id).kind); depth++) {
    const m = btf.type(id) as BtfRef;
    if (m.kind === BtfKind.TypeTag && !m.kindFlag) kind ??= kptrTags[m.name];
    id = m.type;
  }
  const target = btf.type(id);
  return kind && target.kind === BtfKind.Struct ? { offset, kind, target: id, targetName: target.name } : undefined;
}
