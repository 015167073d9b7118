// Seeded mutations of `.bpf.o` files for the object fuzzer (object-fuzz.test.ts): what broke libbpf and
// bpfkit's own readers before (issue 19) — BTF type records pointing at themselves or past the last type,
// name offsets past the strings, ELF and section header fields at their edges, symbols in no section,
// truncation, and plain byte flips, weighted towards .BTF and .BTF.ext.
import { readElf } from '../../src/elf/reader.js';
import type { Prng } from '../diff/random-programs.js';

const EDGES = [0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0xffff_fff8, 64, 4096];

/** Where a section's bytes are in the file, if the seed object has it. */
function sectionSpan(elf: Uint8Array, name: string): { at: number; size: number } | undefined {
  const s = readElf(elf).sectionByName(name);
  return s && s.size > 0 ? { at: s.offset, size: s.size } : undefined;
}

export function mutate(seed: Uint8Array, rng: Prng): Uint8Array {
  let out = seed.slice();
  const view = (): DataView => new DataView(out.buffer, out.byteOffset, out.byteLength);
  const btf = sectionSpan(seed, '.BTF');
  const ext = sectionSpan(seed, '.BTF.ext');
  const shoff = Number(view().getBigUint64(40, true));
  const shnum = view().getUint16(60, true);
  const word = (span: { at: number; size: number }): number => span.at + 4 * rng.int(Math.max(1, span.size >> 2));
  const edits = rng.range(1, 3);
  for (let e = 0; e < edits; e++) {
    switch (rng.int(9)) {
      case 0: // BTF: a word of the type section set to an edge, a small id, or its neighbour's id
        if (btf) {
          const at = word(btf);
          if (at + 4 <= out.length) view().setUint32(at, rng.chance(0.5) ? rng.pick(EDGES) : rng.int(64), true);
        }
        break;
      case 1: // BTF: a type's `type` field pointing back at a type near it (loops through modifiers)
        if (btf) {
          const at = word(btf);
          if (at + 4 <= out.length) view().setUint32(at, Math.max(1, view().getUint32(at, true) + rng.range(-2, 2)), true);
        }
        break;
      case 2: // .BTF.ext: a word of func_info, line_info or CO-RE records
        if (ext) {
          const at = word(ext);
          if (at + 4 <= out.length) view().setUint32(at, rng.pick(EDGES), true);
        }
        break;
      case 3: { // the ELF header: section table offset, count, entry size, string table index
        const field = rng.pick([[40, 8], [58, 2], [60, 2], [62, 2], [16, 2], [18, 2], [6, 1]] as const);
        const v = rng.pick(EDGES);
        if (field[0] + field[1] > out.length) break; // truncated by an earlier edit
        if (field[1] === 8) view().setBigUint64(field[0], BigInt(v), true);
        else if (field[1] === 2) view().setUint16(field[0], v & 0xffff, true);
        else out[field[0]] = v & 0xff;
        break;
      }
      case 4: { // a section header field: type, flags, offset, size, link, info, entsize
        if (shnum === 0 || shoff + shnum * 64 > out.length) break;
        const h = shoff + 64 * rng.int(shnum);
        const field = rng.pick([[4, 4], [8, 4], [24, 8], [32, 8], [40, 4], [44, 4], [56, 8]] as const);
        const v = rng.pick(EDGES);
        if (field[1] === 8) view().setBigUint64(h + field[0], BigInt(v), true);
        else view().setUint32(h + field[0], v, true);
        break;
      }
      case 5: { // a symbol: its section index, value or size
        const symtab = readElf(seed).sections.find((s) => s.type === 2);
        if (!symtab || symtab.size < 48) break;
        const at = symtab.offset + 24 * rng.int(symtab.size / 24);
        const field = rng.pick([[6, 2], [8, 8], [16, 8]] as const);
        const v = rng.pick(EDGES);
        if (at + 24 > out.length) break;
        if (field[1] === 2) view().setUint16(at + field[0], v & 0xffff, true);
        else view().setBigUint64(at + field[0], BigInt(v), true);
        break;
      }
      case 6: // truncation
        out = out.slice(0, rng.int(out.length));
        break;
      default: { // byte flips, mostly in BTF
        const span = btf && rng.chance(0.6) ? btf : { at: 0, size: out.length };
        for (let i = rng.range(1, 8); i > 0; i--) {
          const at = span.at + rng.int(Math.max(1, span.size));
          if (at < out.length) out[at] ^= 1 << rng.int(8);
        }
      }
    }
  }
  return out;
}
