// Extern variables as an object declares them (`__kconfig`, `__ksym`; libbpf src/libbpf.c
// bpf_object__collect_externs): what the parser records. Resolving them against a kernel is the engine's
// business (the emulator's: emulator/programs/externs.ts).
import { BtfIntEncoding, BtfKind, type Btf, type BtfArray, type BtfEnum, type BtfInt } from '../btf/types.js';

/** libbpf enum kcfg_type: how a kconfig extern's bytes are written. */
export type KcfgType = 'bool' | 'char' | 'tristate' | 'int' | 'charArray' | 'unknown';

/** One extern variable of the object (kfuncs are not in this list). */
export interface ParsedExtern {
  name: string;
  kind: 'kconfig' | 'ksym';
  /** STB_WEAK: unresolved reads as zero instead of failing the load. */
  weak: boolean;
  /** kconfig: byte offset and size in the `.kconfig` map, and how the value is stored. */
  offset: number;
  size: number;
  kcfg?: { type: KcfgType; signed: boolean };
  /** ksym: declared without a type (`extern const void x __ksym;`, resolved from kallsyms by libbpf). */
  typeless?: boolean;
}

/** libbpf find_kcfg_type: the storage class of a kconfig extern's BTF type. */
export function kcfgTypeOf(btf: Btf, typeId: number): { type: KcfgType; signed: boolean } {
  const t = btf.resolve(typeId);
  if (t.kind === BtfKind.Int) {
    const int = t as BtfInt;
    if (int.size === 1 && int.encoding & BtfIntEncoding.Bool) return { type: 'bool', signed: false };
    if (int.size === 1 && int.encoding & BtfIntEncoding.Char) return { type: 'char', signed: false };
    if ([1, 2, 4, 8].includes(int.size) && int.offset === 0 && int.bits === int.size * 8) {
      return { type: 'int', signed: (int.encoding & BtfIntEncoding.Signed) !== 0 };
    }
    return { type: 'unknown', signed: false };
  }
  if (t.kind === BtfKind.Enum && t.name === 'libbpf_tristate' && (t as BtfEnum).size === 4) return { type: 'tristate', signed: false };
  if (t.kind === BtfKind.Array) {
    const elem = btf.resolve((t as BtfArray).type);
    if ((t as BtfArray).nelems > 0 && elem.kind === BtfKind.Int && (elem as BtfInt).size === 1 && (elem as BtfInt).encoding & BtfIntEncoding.Char) {
      return { type: 'charArray', signed: false };
    }
  }
  return { type: 'unknown', signed: false };
}
