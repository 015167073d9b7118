// Global variables of a BPF object by their C names: the object's BTF DATASECs (.data, .bss, .rodata,
// .data.<name>) say where each variable lives in which libbpf-internal array map, and what type it has.
import { readFileSync } from 'node:fs';
import type { Codec } from '../codec/types.js';
import { codecFromBtf } from '../btf/codecs.js';
import { bytes, encodeToBytes } from '../codec/codec.js';
import { Btf, BtfFormatError, BtfKind, BtfVarLinkage, parseBtf, type BtfArray, type BtfComposite, type BtfDatasec, type BtfRef, type BtfVar } from '../btf/types.js';
import { ObjectFormatError, readElf, type ElfFile } from '../elf/reader.js';
import { fixupDatasecs } from '../elf/object.js';
import { BpfError, subjectOf } from '../errors/errors.js';
import { ENOEXEC } from '../uapi/errno.js';

export interface GlobalVariable {
  name: string;
  /** The ELF section ('.bss', '.data', '.rodata', '.data.custom'). */
  section: string;
  /** The object's internal map that holds the section (libbpf names it '<obj>.bss', or '.data.custom'). */
  map: string;
  offset: number;
  size: number;
  /** Its codec, or why there is none (a union, a bitfield, ...). */
  codec: Codec<unknown> | Error;
}

/**
 * The object's global variables (non-static ones, as bpftool's skeleton exposes them), each placed in the
 * internal map of its section. `internalMaps` are the object's internal map names.
 */
export function globalVariables(path: string, internalMaps: readonly string[]): GlobalVariable[] {
  return readingObject(path, () => sectionVariables(path, internalMaps).filter((v) => !v.static));
}

/** A variable of a data section, static ones included (they have no name a loader sets them by). */
interface SectionVariable extends GlobalVariable {
  static: boolean;
}

function sectionVariables(path: string, internalMaps: readonly string[]): SectionVariable[] {
  const { elf, btf } = readObjectBtf(path);
  if (!btf) return [];
  // Variable offsets as libbpf places them (clang leaves them zero; the ELF symbols have them).
  fixupDatasecs(btf, elf, (m) => {
    throw new ObjectFormatError(m, path);
  });
  const out: SectionVariable[] = [];
  for (const t of btf.types) {
    if (t.kind !== BtfKind.Datasec) continue;
    const sec = t as BtfDatasec;
    const map = mapOfSection(sec.name, internalMaps);
    if (map === undefined) continue; // .kconfig, .ksyms, .maps: no data map
    for (const v of sec.vars) {
      const variable = btf.type(v.type) as BtfVar;
      if (variable.kind !== BtfKind.Var) continue;
      let codec: Codec<unknown> | Error;
      try {
        codec = codecFromBtf(btf, variable.type, variable.name);
        if (codec.size !== v.size) codec = new TypeError(`${variable.name}: BTF says ${v.size} bytes, its type ${codec.size}`);
      } catch (e) {
        codec = e instanceof Error ? e : new TypeError(String(e));
      }
      out.push({ name: variable.name, section: sec.name, map, offset: v.offset, size: v.size, codec, static: variable.linkage === BtfVarLinkage.Static });
    }
  }
  return out;
}

/**
 * Global variables' values set before load (libbpf skeletons' `skel->rodata->x = ...` between open and load):
 * each encoded with the codec obj.globals uses, at its offset in its section's initial image (`image(map)`
 * gives it). The new images by map name; `where` names the option in errors. A name the object has no
 * global by, a static variable, a variable without a codec, a value its codec refuses: a TypeError or
 * RangeError naming the variable and its section, before anything is changed.
 */
export function globalImages(
  path: string,
  internalMaps: readonly string[],
  values: Readonly<Record<string, unknown>>,
  image: (map: string) => Uint8Array,
  where: string,
): Map<string, Uint8Array> {
  const variables = readingObject(path, () => sectionVariables(path, internalMaps));
  const images = new Map<string, Uint8Array>();
  for (const [name, value] of Object.entries(values)) {
    const v = variables.find((x) => x.name === name && !x.static);
    if (!v) {
      const shadow = variables.find((x) => x.name === name);
      if (shadow) throw new TypeError(`${where}: '${name}' in ${shadow.section} is a static variable, which has no name to set it by: make it global (drop 'static')`);
      const known = variables.filter((x) => !x.static).map((x) => `${x.name} (${x.section})`).join(', ') || 'none';
      throw new RangeError(`${where}: ${subjectOf({ object: path })} has no global variable '${name}' (it has: ${known})`);
    }
    const subject = `${where}.${name} (${v.section})`;
    if (v.codec instanceof Error) throw new TypeError(`${subject}: ${v.codec.message}`);
    let encoded: Uint8Array;
    try {
      encoded = encodeToBytes(v.codec, value);
    } catch (e) {
      if (e instanceof RangeError) throw new RangeError(`${subject}: ${e.message}`);
      if (e instanceof TypeError) throw new TypeError(`${subject}: ${e.message}`);
      throw e;
    }
    let bytes = images.get(v.map);
    if (!bytes) images.set(v.map, (bytes = image(v.map)));
    bytes.set(encoded, v.offset);
  }
  return images;
}

/**
 * libbpf names a section's map '<object name>.<section>' for .data/.bss/.rodata (bpf_object__init_internal_map)
 * and by the section itself for '.data.<name>'/'.rodata.<name>'; the longest matching suffix wins.
 */
export function mapOfSection(section: string, maps: readonly string[]): string | undefined {
  return maps.filter((m) => m === section || m.endsWith(section)).sort((a, b) => a.length - b.length)[0];
}

/**
 * The key and value codecs of a BTF-defined map (`struct { __uint(type, ...); __type(key, K); __type(value, V); } name
 * SEC(".maps")`): libbpf's `.maps` DATASEC holds one variable per map, a struct whose `key`/`value` members
 * point to the key and value types (libbpf.c parse_btf_map_def).
 */
export function mapCodecsFromBtf(path: string, mapName: string): { key: Codec<unknown>; value: Codec<unknown> } {
  return readingObject(path, () => btfMapCodecs(path, mapName));
}

/** mapCodecsFromBtf's value codec alone: a map without keys (a queue, stack or bloom filter) declares none. */
export function mapValueCodecFromBtf(path: string, mapName: string): Codec<unknown> {
  return readingObject(path, () => btfMapMember(btfMapDef(path, mapName), 'value'));
}

/** A `.maps` definition's `__uint(type, N)`: its enum bpf_map_type, or undefined when it has none. */
export function mapTypeFromBtf(path: string, mapName: string): number | undefined {
  return readingObject(path, () => {
    const { btf, def } = btfMapDef(path, mapName);
    return uintMember(btf, def, 'type');
  });
}

/** `__uint(name, N)` of a `.maps` definition: libbpf's `int (*name)[N]`, so N is the array's nelems. */
function uintMember(btf: Btf, def: BtfComposite, name: string): number | undefined {
  const m = def.members?.find((x) => x.name === name);
  const ptr = m && btf.type(m.type);
  const array = ptr && ptr.kind === BtfKind.Ptr ? btf.type((ptr as BtfRef).type) : undefined;
  return array && array.kind === BtfKind.Array ? (array as BtfArray).nelems : undefined;
}

function btfMapCodecs(path: string, mapName: string): { key: Codec<unknown>; value: Codec<unknown> } {
  const def = btfMapDef(path, mapName);
  return { key: btfMapMember(def, 'key'), value: btfMapMember(def, 'value') };
}

interface BtfMapDef {
  path: string;
  mapName: string;
  btf: Btf;
  def: BtfComposite;
}

/** The struct of a `.maps` definition in the object's BTF. */
function btfMapDef(path: string, mapName: string): BtfMapDef {
  const { btf } = readObjectBtf(path);
  if (!btf) throw new TypeError(`${subjectOf({ map: mapName })}: ${subjectOf({ object: path })} has no BTF (compile with clang -g): pass { key, value } codecs`);
  const maps = btf.findByName('.maps', BtfKind.Datasec) as BtfDatasec | undefined;
  const variable = maps?.vars.map((v) => btf.type(v.type) as BtfVar).find((v) => v.kind === BtfKind.Var && v.name === mapName);
  if (!variable) throw new TypeError(`${subjectOf({ map: mapName, object: path })} is not a BTF-defined map (global data has obj.globals): pass { key, value } codecs`);
  return { path, mapName, btf, def: btf.resolve(variable.type) as BtfComposite };
}

/** The codec of a `.maps` definition's key or value: its `__type(...)`, or `__uint(..._size, N)` as bytes(N). */
function btfMapMember({ path, mapName, btf, def }: BtfMapDef, name: 'key' | 'value'): Codec<unknown> {
  const m = def.members?.find((x) => x.name === name);
  const ptr = m && btf.type(m.type);
  if (ptr && ptr.kind === BtfKind.Ptr) return codecFromBtf(btf, (ptr as BtfRef).type, `map '${mapName}' ${name}`);
  // __uint(key_size, N): the map holds N bytes of no declared type.
  const size = uintMember(btf, def, `${name}_size`);
  if (size !== undefined) return bytes(size) as Codec<unknown>;
  throw new TypeError(`${subjectOf({ map: mapName, object: path })} gives no ${name} type nor size: pass { key, value } codecs`);
}

/** The object's ELF and decoded BTF (undefined without a .BTF section). */
function readObjectBtf(path: string): { elf: ElfFile; btf: Btf | undefined } {
  const elf = readElf(new Uint8Array(readFileSync(path)), path);
  const section = elf.sectionByName('.BTF');
  return { elf, btf: section ? parseBtf(section.data) : undefined };
}

/**
 * An object libbpf opened that bpfkit's own parsers cannot read is a BpfError about the object, as a
 * refusal at open would be (ENOEXEC), with the parser's words: never a parser's own error class.
 */
function readingObject<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (!(e instanceof ObjectFormatError) && !(e instanceof BtfFormatError)) throw e;
    throw new BpfError('bpf_object__open', ENOEXEC, { subject: subjectOf({ object: path }), path, detail: `bpfkit cannot read its BTF: ${e.message}` });
  }
}
