// Reads raw BTF (include/uapi/linux/btf.h), e.g. /sys/kernel/btf/vmlinux: enough to list types by kind and
// name. Every kind's trailing data has a fixed size, so one pass over the type section finds them all.
/** include/uapi/linux/btf.h BTF_MAGIC (little-endian). */
export const BTF_MAGIC = 0xeb9f;
/** sizeof(struct btf_header) as written since BTF began (hdr_len may be larger). */
export const BTF_HEADER_LEN = 24;
/** sizeof(struct btf_type): name_off, info, size/type. */
export const BTF_TYPE_LEN = 12;

/**
 * How far a walk over BTF type references may go. libbpf (src/btf.c) and the kernel (kernel/bpf/btf.c) both
 * define MAX_RESOLVE_DEPTH 32: libbpf's btf__resolve_size / btf__resolve_type follow at most 32 types of a
 * typedef/modifier/array chain, and the kernel's btf_find_nested_struct refuses structs nested 32 levels deep
 * (E2BIG). bpfkit's walks (src/btf/types.ts, native/object.cc) stop at the same number.
 */
export const MAX_RESOLVE_DEPTH = 32;

export const BtfKind = {
  Int: 1, Ptr: 2, Array: 3, Struct: 4, Union: 5, Enum: 6, Fwd: 7, Typedef: 8, Volatile: 9, Const: 10,
  Restrict: 11, Func: 12, FuncProto: 13, Var: 14, Datasec: 15, Float: 16, DeclTag: 17, TypeTag: 18, Enum64: 19,
} as const;

/** Bytes after the 12-byte struct btf_type, by kind (vlen = the type's member/param/value count). */
export function btfExtraBytes(kind: number, vlen: number): number {
  switch (kind) {
    case BtfKind.Int: case BtfKind.Var: case BtfKind.DeclTag: return 4;
    case BtfKind.Array: return 12;
    case BtfKind.Struct: case BtfKind.Union: case BtfKind.Datasec: case BtfKind.Enum64: return 12 * vlen;
    case BtfKind.Enum: case BtfKind.FuncProto: return 8 * vlen;
    default: return 0;
  }
}

export interface BtfType {
  id: number;
  kind: number;
  name: string;
}

/** Every type of a BTF blob, in id order (id 0, void, is implicit). Throws on a malformed blob. */
export function decodeBtf(data: Uint8Array): BtfType[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length < BTF_HEADER_LEN || view.getUint16(0, true) !== BTF_MAGIC) throw new TypeError('decodeBtf: not little-endian BTF (bad magic)');
  const hdrLen = view.getUint32(4, true);
  // Each field is a u32, so these sums stay far below 2^53: exact.
  const typeStart = hdrLen + view.getUint32(8, true);
  const typeEnd = typeStart + view.getUint32(12, true);
  const strStart = hdrLen + view.getUint32(16, true);
  const strEnd = strStart + view.getUint32(20, true);
  if (hdrLen < BTF_HEADER_LEN || hdrLen > data.length) throw new RangeError(`decodeBtf: bad header length ${hdrLen}`);
  if (typeEnd > data.length || strEnd > data.length) throw new RangeError('decodeBtf: BTF sections run past the end of the data');
  const decoder = new TextDecoder();
  const name = (off: number, id: number): string => {
    if (off === 0) return '';
    const start = strStart + off;
    if (start >= strEnd) throw new RangeError(`decodeBtf: type ${id}: name offset ${off} past the string section (${strEnd - strStart} bytes)`);
    const end = data.indexOf(0, start);
    return decoder.decode(data.subarray(start, end < 0 || end > strEnd ? strEnd : end));
  };
  const types: BtfType[] = [];
  for (let off = typeStart, id = 1; off < typeEnd; id++) {
    // The record and its trailing data must lie inside the type section (libbpf btf_parse_type_sec:
    // "BTF type [%d] is malformed"); every record is at least 12 bytes, so the loop always advances.
    if (off + BTF_TYPE_LEN > typeEnd) throw new RangeError(`decodeBtf: type ${id} runs past the type section`);
    const nameOff = view.getUint32(off, true);
    const info = view.getUint32(off + 4, true);
    const kind = (info >>> 24) & 0x1f;
    const next = off + BTF_TYPE_LEN + btfExtraBytes(kind, info & 0xffff);
    if (next > typeEnd) throw new RangeError(`decodeBtf: type ${id} runs past the type section`);
    types.push({ id, kind, name: name(nameOff, id) });
    off = next;
  }
  return types;
}
