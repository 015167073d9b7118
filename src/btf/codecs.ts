// Codecs derived from BTF: a C type as clang described it becomes the codec that reads and writes it
// (ints by size and signedness, arrays, nested structs, the lock structs; a union as its bytes, aligned as
// C aligns it). What has no faithful codec (bitfields, pointers, floats, packed layouts) is refused with
// the type's path, never guessed.
import type { Codec } from '../codec/types.js';
import { array, bool, bytes, i16, i32, i64, i8, resSpinLock, spinLock, struct, u16, u32, u64, u8 } from '../codec/codec.js';
import { BtfIntEncoding, BtfKind, kindName, type Btf, type BtfArray, type BtfComposite, type BtfEnum, type BtfInt,
  type BtfTypeInfo } from './types.js';

/** A type bpfkit has no codec for; `path` says where in the value (`.stats.hist[0]`). */
export class BtfCodecError extends TypeError {
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'BtfCodecError';
  }
}

const ints: Record<string, Codec<number> | Codec<bigint>> = { u1: u8, s1: i8, u2: u16, s2: i16, u4: u32, s4: i32, u8: u64, s8: i64 };

/**
 * The codec for BTF type `id`; `path` names it in errors (a variable or map name). The type is checked first
 * (Btf.checkNesting: no struct inside itself, at most 32 levels), and a type met again is given the codec
 * already built, so a struct whose members share one type costs one codec per type, not one per path.
 */
export function codecFromBtf(btf: Btf, id: number, path: string): Codec<unknown> {
  btf.checkNesting(id);
  return codecOf(btf, id, path, new Map());
}

function codecOf(btf: Btf, id: number, path: string, built: Map<number, Codec<unknown>>): Codec<unknown> {
  const t = btf.resolve(id);
  let codec = built.get(t.id);
  if (codec === undefined) {
    codec = buildCodec(btf, t, path, built);
    built.set(t.id, codec);
  }
  return codec;
}

function buildCodec(btf: Btf, t: BtfTypeInfo, path: string, built: Map<number, Codec<unknown>>): Codec<unknown> {
  switch (t.kind) {
    case BtfKind.Int: {
      const int = t as BtfInt;
      if (int.offset !== 0 || int.bits !== int.size * 8) throw new BtfCodecError(path, `int '${int.name}' of ${int.bits} bits at bit ${int.offset} has no codec`);
      if (int.encoding & BtfIntEncoding.Bool && int.size === 1) return bool as Codec<unknown>;
      const c = ints[`${int.encoding & BtfIntEncoding.Signed ? 's' : 'u'}${int.size}`];
      if (!c) throw new BtfCodecError(path, `int '${int.name}' of ${int.size} bytes has no codec`);
      return c as Codec<unknown>;
    }
    case BtfKind.Enum:
    case BtfKind.Enum64: {
      const e = t as BtfEnum;
      const c = ints[`${e.signed ? 's' : 'u'}${e.size}`];
      if (!c) throw new BtfCodecError(path, `enum '${e.name}' of ${e.size} bytes has no codec`);
      return c as Codec<unknown>;
    }
    case BtfKind.Array: {
      const a = t as BtfArray;
      const element = btf.resolve(a.type);
      // char buf[N]: bytes, the way C code treats it.
      if (element.kind === BtfKind.Int && (element as BtfInt).size === 1 && !((element as BtfInt).encoding & BtfIntEncoding.Bool)) return bytes(a.nelems) as Codec<unknown>;
      if (a.nelems === 0) throw new BtfCodecError(path, 'a zero-length array has no codec');
      return array(codecOf(btf, a.type, `${path}[]`, built), a.nelems) as Codec<unknown>;
    }
    case BtfKind.Struct: {
      const s = t as BtfComposite;
      if (s.name === 'bpf_spin_lock') return spinLock as Codec<unknown>;
      if (s.name === 'bpf_res_spin_lock') return resSpinLock as Codec<unknown>;
      const fields: Record<string, Codec<unknown>> = {};
      for (const m of s.members) {
        const at = `${path}.${m.name || '(anonymous)'}`;
        if (m.name === '') throw new BtfCodecError(at, `an anonymous member of struct '${s.name}' has no codec`);
        if (m.bitfieldSize !== 0) throw new BtfCodecError(at, `bitfield (${m.bitfieldSize} bits) has no codec`);
        if (Object.hasOwn(fields, m.name)) throw new BtfCodecError(at, `struct '${s.name}' has two members of this name`);
        fields[m.name] = codecOf(btf, m.type, at, built);
      }
      const codec = struct(fields, /^[A-Za-z_][A-Za-z0-9_]*$/.test(s.name) ? { name: s.name } : {});
      // The struct codec lays fields out by C's natural alignment; BTF has clang's real offsets.
      const desc = codec.desc as { fields: readonly { name: string; offset: number }[] };
      for (const [i, m] of s.members.entries()) {
        const offset = m.bitOffset / 8;
        if (desc.fields[i]!.offset !== offset) {
          throw new BtfCodecError(`${path}.${m.name}`, `at offset ${offset} in struct '${s.name}', where natural alignment puts it at ${desc.fields[i]!.offset} (a packed or aligned struct has no codec)`);
        }
      }
      if (codec.size !== s.size) throw new BtfCodecError(path, `struct '${s.name}' is ${s.size} bytes, natural alignment makes ${codec.size}`);
      return codec as Codec<unknown>;
    }
    case BtfKind.Ptr:
      // A pointer in a value is an address: u64 (bpftool prints it as a number). A kptr field reads as 0
      // (kernel/bpf/syscall.c: copy_map_value never copies it out, check_and_init_map_value zeroes it).
      return u64 as Codec<unknown>;
    case BtfKind.Union: {
      // Which member a union holds is the program's to know: its bytes, where C puts them.
      const u = t as BtfComposite;
      const align = alignOf(btf, u.id);
      if (u.size % align !== 0) throw new BtfCodecError(path, `union '${u.name}' of ${u.size} bytes is packed (its members align to ${align}): no codec`);
      return bytes(u.size, { align }) as Codec<unknown>;
    }
    default:
      throw new BtfCodecError(path, `${kindName(t.kind)}${t.name ? ` '${t.name}'` : ''} has no codec`);
  }
}

/** C's alignment of a BTF type (x86-64 SysV): scalars by size, aggregates by their most aligned member. */
function alignOf(btf: Btf, id: number): number {
  const t = btf.resolve(id);
  switch (t.kind) {
    case BtfKind.Int: case BtfKind.Enum: case BtfKind.Enum64: case BtfKind.Float:
      return Math.min(8, (t as BtfInt).size || 1);
    case BtfKind.Ptr:
      return 8;
    case BtfKind.Array:
      return alignOf(btf, (t as BtfArray).type);
    case BtfKind.Struct: case BtfKind.Union:
      return (t as BtfComposite).members.reduce((a, m) => Math.max(a, alignOf(btf, m.type)), 1);
    default:
      return 1;
  }
}
