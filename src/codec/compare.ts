// Is a codec the layout BTF describes? Codecs are otherwise checked by size only, so two same-size fields
// swapped would load silently and read wrong values. This compares field by field: names, offsets,
// sizes, kinds, element counts, lock kinds, and says where the first difference is.
import type { Codec } from './types.js';

const what = (c: Codec<unknown>): string => {
  const d = c.desc;
  switch (d.kind) {
    case 'int': return `${d.signed ? 'i' : 'u'}${d.bits}${d.bigEndian ? ' (big-endian)' : ''}`;
    case 'bool': return 'bool';
    case 'bytes': return `bytes(${d.length})`;
    case 'array': return `array of ${d.length}`;
    case 'struct': return `struct${d.name ? ` ${d.name}` : ''}`;
    case 'lock': return d.lock === 'spin' ? 'spinLock' : 'resSpinLock';
  }
};

/**
 * The first difference between `given` and the layout `btf` (a codec derived from BTF) at `path`, or
 * undefined when they agree. An int given where BTF has an enum of the same size agrees; so does `bytes(n)`
 * for any n-byte type (the codec for "I only want the bytes"), and the field's codec for a one-field struct.
 */
export function codecDifference(btf: Codec<unknown>, given: Codec<unknown>, path: string): string | undefined {
  const b = btf.desc;
  const g = given.desc;
  if (g.kind === 'bytes') return g.length === btf.size ? undefined : `${path}: bytes(${g.length}) for ${btf.size} bytes of ${what(btf)}`;
  // Raw bytes in BTF (a union, a char array) take any codec of their size: which member is there is the caller's.
  if (b.kind === 'bytes') return given.size === btf.size ? undefined : `${path}: ${what(given)} is ${given.size} bytes, BTF has ${what(btf)} of ${btf.size}`;
  // A struct of one field is that field to a reader: `u64` for `struct counter { __u64 count; }`.
  if (b.kind === 'struct' && g.kind !== 'struct' && b.fields.length === 1 && b.fields[0]!.offset === 0 && btf.size === given.size) {
    return codecDifference(b.fields[0]!.codec, given, `${path}.${b.fields[0]!.name}`);
  }
  // Structs say which field differs before what that does to the size.
  if (given.size !== btf.size && !(b.kind === 'struct' && g.kind === 'struct')) return `${path}: ${what(given)} is ${given.size} bytes, BTF has ${what(btf)} of ${btf.size}`;
  if (b.kind !== g.kind) return `${path}: ${what(given)} where BTF has ${what(btf)}`;
  switch (b.kind) {
    case 'int': {
      const gi = g as typeof b;
      return gi.signed !== b.signed ? `${path}: ${what(given)} where BTF has ${what(btf)} (signedness)` : undefined;
    }
    case 'lock':
      return (g as typeof b).lock !== b.lock ? `${path}: ${what(given)} where BTF has ${what(btf)}` : undefined;
    case 'array': {
      const ga = g as typeof b;
      if (ga.length !== b.length) return `${path}: ${ga.length} elements, BTF has ${b.length}`;
      return codecDifference(b.element, ga.element, `${path}[]`);
    }
    case 'struct': {
      const gs = g as typeof b;
      const names = (fs: readonly { name: string }[]): string => fs.map((f) => f.name).join(', ');
      if (gs.fields.length !== b.fields.length) return `${path}: fields {${names(gs.fields)}}, BTF has {${names(b.fields)}}`;
      for (const [i, bf] of b.fields.entries()) {
        const gf = gs.fields[i]!;
        if (gf.name !== bf.name) return `${path}: field ${i} is '${gf.name}', BTF has '${bf.name}' (fields {${names(gs.fields)}}, BTF {${names(b.fields)}})`;
        if (gf.offset !== bf.offset) return `${path}.${bf.name}: at offset ${gf.offset}, BTF has ${bf.offset}`;
        const inner = codecDifference(bf.codec, gf.codec, `${path}.${bf.name}`);
        if (inner) return inner;
      }
      return given.size !== btf.size ? `${path}: ${given.size} bytes, BTF has ${btf.size} (trailing padding)` : undefined;
    }
    default:
      return undefined;
  }
}
