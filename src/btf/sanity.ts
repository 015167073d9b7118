// What libbpf must not be handed. Debian 12's libbpf (1.1) has no BTF sanity check (btf_sanity_check
// arrived in 1.3) and dereferences what a type refers to without looking; newer ones still follow
// CONST/VOLATILE/TYPEDEF chains without end (skip_mods_and_typedefs) and trust a FUNC_PROTO's return type
// and an INT's size. Measured over 30,000 mutated objects against libbpf 1.1.2, 1.5.0 and 1.7.0 (issue
// 19): every crash and hang came from one of the rules below, and none happened once they held. So the
// kernel engine checks an object's BTF with them before libbpf opens it; parseBtf (types.ts) has already
// checked the header, the sections, every record's extent and every name offset.
import { MAX_RESOLVE_DEPTH, BtfKind } from './decode.js';
import { Btf, BtfFormatError, parseBtf, type BtfArray, type BtfComposite, type BtfDatasec, type BtfFuncProto, type BtfInt } from './types.js';

const MODIFIERS: ReadonlySet<number> = new Set([BtfKind.Typedef, BtfKind.Volatile, BtfKind.Const, BtfKind.Restrict, BtfKind.TypeTag]);
/** kernel/bpf/btf.c btf_int_check_meta: an INT is at most 16 bytes (BITS_PER_U128) and fits its size. */
const INT_SIZES: ReadonlySet<number> = new Set([1, 2, 4, 8, 16]);

/** The type ids a type refers to. */
function referencesOf(t: ReturnType<Btf['type']>): number[] {
  switch (t.kind) {
    case BtfKind.Ptr: case BtfKind.Typedef: case BtfKind.Volatile: case BtfKind.Const: case BtfKind.Restrict:
    case BtfKind.TypeTag: case BtfKind.Func: case BtfKind.Var: case BtfKind.DeclTag:
      return [(t as { type: number }).type];
    case BtfKind.Array:
      return [(t as BtfArray).type, (t as BtfArray).indexType];
    case BtfKind.Struct: case BtfKind.Union:
      return (t as BtfComposite).members.map((m) => m.type);
    case BtfKind.FuncProto:
      return [(t as BtfFuncProto).returnType, ...(t as BtfFuncProto).params.map((p) => p.type)];
    case BtfKind.Datasec:
      return (t as BtfDatasec).vars.map((v) => v.type);
    default:
      return [];
  }
}

/**
 * Throws BtfFormatError naming the first type libbpf would crash or hang on. The emulator's object parser
 * (elf/object.ts) applies the same rules, so both engines refuse the same files.
 */
export function checkBtfTypes(btf: Btf): void {
  const count = btf.types.length;
  for (let id = 1; id < count; id++) {
    const t = btf.type(id);
    if ('unknown' in t) throw new BtfFormatError(`BTF type ${id}: unknown kind ${t.kind}`);
    for (const ref of referencesOf(t)) {
      if (ref >= count) throw new BtfFormatError(`BTF type ${id}: refers to type ${ref}, past the last (${count - 1})`);
    }
    if (t.kind === BtfKind.Int) {
      const int = t as BtfInt;
      if (!INT_SIZES.has(int.size) || int.bits > 128 || int.offset + int.bits > int.size * 8) {
        throw new BtfFormatError(`BTF type ${id}: INT of ${int.size} bytes with ${int.bits} bits at bit ${int.offset}`);
      }
    }
    if (MODIFIERS.has(t.kind)) {
      // A chain of modifiers and typedefs ends within MAX_RESOLVE_DEPTH types, at something else (or void).
      let next = (t as { type: number }).type;
      for (let depth = 0; next !== 0 && MODIFIERS.has(btf.type(next).kind); depth++) {
        if (next === id || depth >= MAX_RESOLVE_DEPTH) throw new BtfFormatError(`BTF type ${id}: a chain of modifiers and typedefs with no end`);
        next = (btf.type(next) as { type: number }).type;
      }
    }
  }
}

/** checkBtfTypes over a .BTF section's bytes (parsed and bounded first). */
export function checkBtfSection(data: Uint8Array): void {
  checkBtfTypes(parseBtf(data));
}
