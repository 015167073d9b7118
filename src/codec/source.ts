// The TypeScript that builds a codec (`bpfkit gen types`): read back from the codec's own description, so a
// codec derived from BTF (btf/codecs.ts) prints as the calls that make the same codec.
import type { Codec, CodecDesc } from './types.js';

/** A named struct to declare once, before whatever uses it. */
export interface StructDecl {
  name: string;
  source: string;
}

const intNames: Record<string, string> = {
  '8u': 'u8', '16u': 'u16', '32u': 'u32', '64u': 'u64', '8s': 'i8', '16s': 'i16', '32s': 'i32', '64s': 'i64',
  '16ube': 'be16', '32ube': 'be32', '64ube': 'be64',
};

/** A valid TypeScript identifier for a C name (C names already are, but for `.data.custom`-like keys). */
export function identifier(name: string): string {
  const id = name.replace(/[^A-Za-z0-9_$]/g, '_');
  return /^[0-9]/.test(id) ? `_${id}` : id;
}

/**
 * The expression that builds `codec`. Named structs become references to a declaration appended to
 * `decls` (each name once, dependencies first); `used` collects the bpfkit exports the source needs.
 */
export function codecSource(codec: Codec<unknown>, decls: StructDecl[], used: Set<string>, seen = new Map<Codec<unknown>, string>()): string {
  // A codec met again (btf/codecs.ts shares one codec among the members of a type) is printed once: a
  // struct whose members share a type costs one visit per type, not one per path.
  let source = seen.get(codec);
  if (source === undefined) {
    source = sourceOf(codec, decls, used, seen);
    seen.set(codec, source);
  }
  return source;
}

function sourceOf(codec: Codec<unknown>, decls: StructDecl[], used: Set<string>, seen: Map<Codec<unknown>, string>): string {
  const d: CodecDesc = codec.desc;
  switch (d.kind) {
    case 'int': {
      const name = intNames[`${d.bits}${d.signed ? 's' : 'u'}${d.bigEndian ? 'be' : ''}`];
      if (!name) throw new TypeError(`no codec function for a ${d.signed ? 'signed ' : ''}${d.bigEndian ? 'big-endian ' : ''}${d.bits}-bit int`);
      used.add(name);
      return name;
    }
    case 'bool':
      used.add('bool');
      return 'bool';
    case 'bytes':
      used.add('bytes');
      return `bytes(${d.length})`;
    case 'lock': {
      const name = d.lock === 'spin' ? 'spinLock' : 'resSpinLock';
      used.add(name);
      return name;
    }
    case 'array':
      used.add('array');
      return `array(${codecSource(d.element, decls, used, seen)}, ${d.length})`;
    case 'struct': {
      used.add('struct');
      const fields = d.fields.map((f) => `${/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(f.name) ? f.name : JSON.stringify(f.name)}: ${codecSource(f.codec, decls, used, seen)}`);
      const body = `struct({ ${fields.join(', ')} }${d.name ? `, { name: '${d.name}' }` : ''})`;
      if (!d.name) return body;
      const id = identifier(d.name);
      if (!decls.some((s) => s.name === id)) decls.push({ name: id, source: body });
      return id;
    }
  }
}
