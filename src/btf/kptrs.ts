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
 * tag, to a struct), at most BTF_FIELDS_MAX. Only types that hold a kptr are walked (each type is asked once),
 * so hostile BTF (a struct holding itself, an array of 2^26 structs) costs one visit per type.
 */
export function kptrFields(btf: Btf, valueTypeId: number): KptrField[] {
  const holds = new Map<number, boolean>();
  const out: KptrField[] = [];
  const walk = (id: number, base: number): void => {
    if (out.length >= BTF_FIELDS_MAX || !holdsKptr(btf, id, holds)) return;
    const t = skipQualifiers(btf, id);
    const field = kptrOf(btf, t, base);
    if (field) out.push(field);
    else if (t.kind === BtfKind.Struct) {
      for (const m of (t as BtfComposite).members) if (m.bitfieldSize === 0) walk(m.type, base + m.bitOffset / 8);
    } else if (t.kind === BtfKind.Array) {
      // Each element holds a kptr, so this stops within BTF_FIELDS_MAX elements.
      const a = t as BtfArray;
      const stride = btf.sizeOf(a.type);
      for (let i = 0; i < a.nelems && out.length < BTF_FIELDS_MAX; i++) walk(a.type, base + i * stride);
    }
  };
  walk(valueTypeId, 0);
  return out;
}

/** The type behind typedefs, const and restrict (a VOLATILE may be a kptr's own modifier: kptrOf). */
function skipQualifiers(btf: Btf, id: number): BtfTypeInfo {
  let t = btf.type(id);
  for (let depth = 0; depth < 32 && (t.kind === BtfKind.Typedef || t.kind === BtfKind.Const || t.kind === BtfKind.Restrict); depth++) t = btf.type((t as BtfRef).type);
  return t;
}

/** Whether a type holds a kptr field, memoized; a type met again while it is being asked (a cycle) holds none. */
function holdsKptr(btf: Btf, id: number, holds: Map<number, boolean>): boolean {
  const known = holds.get(id);
  if (known !== undefined) return known;
  holds.set(id, false);
  const t = skipQualifiers(btf, id);
  const answer = kptrOf(btf, t, 0) !== undefined
    || (t.kind === BtfKind.Struct && (t as BtfComposite).members.some((m) => m.bitfieldSize === 0 && holdsKptr(btf, m.type, holds)))
    || (t.kind === BtfKind.Array && (t as BtfArray).nelems > 0 && holdsKptr(btf, (t as BtfArray).type, holds));
  holds.set(id, answer);
  return answer;
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
