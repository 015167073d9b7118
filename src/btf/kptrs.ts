// A map value's kptr fields (kernel/bpf/btf.c btf_find_kptr): where a program keeps objects between runs
// (bpf_kptr_xchg). The ELF reader records them per map (elf/object.ts), the emulator's maps treat them as
// special fields, the verifier model checks accesses to them.
import { BtfKind, MODIFIERS, type Btf, type BtfArray, type BtfComposite, type BtfRef, type BtfTypeInfo } from './types.js';

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
