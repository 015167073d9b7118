// The objects a program allocates with bpf_obj_new (kernel/bpf/helpers.c bpf_obj_new_impl) are of a struct
// type of the program's own BTF. What the verifier knows of one (check_kfunc_call: the type must be a
// struct; btf_find_struct_meta: its record of special fields, here its locks), how btf_struct_access lets a
// program read and write it, and the sizes the emulator allocates at run time.
import { BtfKind, type Btf, type BtfComposite } from '../../btf/types.js';
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
