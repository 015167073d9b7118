// A reader for the one ELF shape clang writes for BPF: ELF64, little-endian, ET_REL, e_machine EM_BPF.
// It knows section headers, section names, the symbol table and SHT_REL relocations — what libbpf's
// bpf_object__elf_init / bpf_object__elf_collect (src/libbpf.c) read through libelf — and nothing else.
// Layouts are the System V gABI's (include/uapi/linux/elf.h: Elf64_Ehdr, Elf64_Shdr, Elf64_Sym, Elf64_Rel).

/** Thrown for bytes that are not a BPF relocatable object this reader understands. */
export class ObjectFormatError extends Error {
  /** The file the bytes came from, when known. */
  readonly fileName: string | undefined;

  constructor(message: string, fileName?: string) {
    super(fileName === undefined ? message : `${fileName}: ${message}`);
    this.name = 'ObjectFormatError';
    this.fileName = fileName;
  }
}

/** include/uapi/linux/elf.h, the values this reader needs. */
export const ElfConst = {
  EM_BPF: 247,
  ET_REL: 1,
  SHT_NULL: 0,
  SHT_PROGBITS: 1,
  SHT_SYMTAB: 2,
  SHT_STRTAB: 3,
  SHT_RELA: 4,
  SHT_NOBITS: 8,
  SHT_REL: 9,
  /** LLVM's own section type (llvm/BinaryFormat/ELF.h); libbpf ignores it (ignore_elf_section). */
  SHT_LLVM_ADDRSIG: 0x6fff4c03,
  SHF_WRITE: 0x1,
  SHF_ALLOC: 0x2,
  SHF_EXECINSTR: 0x4,
  SHN_UNDEF: 0,
  SHN_LORESERVE: 0xff00,
  SHN_ABS: 0xfff1,
  SHN_COMMON: 0xfff2,
  STB_LOCAL: 0,
  STB_GLOBAL: 1,
  STB_WEAK: 2,
  STT_NOTYPE: 0,
  STT_OBJECT: 1,
  STT_FUNC: 2,
  STT_SECTION: 3,
  STT_FILE: 4,
  STV_DEFAULT: 0,
  STV_INTERNAL: 1,
  STV_HIDDEN: 2,
} as const;

/** llvm/BinaryFormat/ELFRelocs/BPF.def: the relocation types clang emits for BPF. */
export const BpfRelocType = {
  R_BPF_NONE: 0,
  /** ld_imm64 (map, global data, subprogram address). */
  R_BPF_64_64: 1,
  R_BPF_64_ABS64: 2,
  R_BPF_64_ABS32: 3,
  R_BPF_64_NODYLD32: 4,
  /** call imm (bpf-to-bpf or kfunc). */
  R_BPF_64_32: 10,
} as const;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  /** File offset of the contents (meaningless for SHT_NOBITS). */
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
  /** The contents (a view into the file's bytes; zeros of `size` for SHT_NOBITS). */
  data: Uint8Array;
}

export interface ElfSymbol {
  index: number;
  name: string;
  value: number;
  size: number;
  /** STT_* (low 4 bits of st_info). */
  type: number;
  /** STB_* (high 4 bits of st_info). */
  bind: number;
  /** STV_* (low 2 bits of st_other). */
  visibility: number;
  shndx: number;
}

export interface ElfRel {
  offset: number;
  symbol: number;
  type: number;
}

export interface ElfFile {
  sections: ElfSection[];
  /** The one SHT_SYMTAB's symbols, index 0 (the null symbol) included; empty when there is none. */
  symbols: ElfSymbol[];
  /** Index of the SHT_SYMTAB section (0 when none). */
  symtabIndex: number;
  sectionByName(name: string): ElfSection | undefined;
  /** SHT_REL entries of a relocation section. */
  relocations(section: ElfSection): ElfRel[];
}

const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const REL_SIZE = 16;

/** Parses an ELF64 little-endian EM_BPF relocatable object; throws ObjectFormatError on anything else. */
export function readElf(bytes: Uint8Array, fileName?: string): ElfFile {
  const fail = (msg: string): never => {
    throw new ObjectFormatError(msg, fileName);
  };
  if (!(bytes instanceof Uint8Array)) throw new TypeError('ELF bytes must be a Uint8Array');
  if (bytes.length < 16 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    fail('not an ELF file (bad magic)');
  }
  // e_ident[EI_CLASS] = 2 (ELFCLASS64), e_ident[EI_DATA] = 1 (ELFDATA2LSB).
  if (bytes[4] !== 2) fail(`not a 64-bit ELF (EI_CLASS ${bytes[4]}; BPF objects are ELF64)`);
  if (bytes[5] !== 1) fail(`not a little-endian ELF (EI_DATA ${bytes[5]}; only little-endian BPF objects are supported)`);
  if (bytes.length < EHDR_SIZE) fail(`truncated ELF header (${bytes.length} bytes, need ${EHDR_SIZE})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u64 = (off: number): number => {
    const v = view.getBigUint64(off, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`value at offset ${off} does not fit in 53 bits`);
    return Number(v);
  };
  const eType = view.getUint16(16, true);
  const machine = view.getUint16(18, true);
  if (machine !== ElfConst.EM_BPF) fail(`not a BPF object (e_machine ${machine}, expected EM_BPF ${ElfConst.EM_BPF})`);
  if (eType !== ElfConst.ET_REL) fail(`not a relocatable object (e_type ${eType}, expected ET_REL 1)`);
  const shoff = u64(40);
  const shentsize = view.getUint16(58, true);
  let shnum = view.getUint16(60, true);
  let shstrndx = view.getUint16(62, true);
  if (shoff === 0) fail('no section header table');
  if (shentsize !== SHDR_SIZE) fail(`bad e_shentsize ${shentsize} (expected ${SHDR_SIZE})`);
  if (shoff + SHDR_SIZE > bytes.length) fail(`truncated: section header table at ${shoff} is past the end (${bytes.length} bytes)`);
  // gABI: with ≥ SHN_LORESERVE sections, the real count and string table index live in section 0.
  if (shnum === 0) shnum = u64(shoff + 32);
  if (shstrndx === 0xffff) shstrndx = view.getUint32(shoff + 40, true);
  if (shoff + shnum * SHDR_SIZE > bytes.length) fail(`truncated: ${shnum} section headers at ${shoff} run past the end (${bytes.length} bytes)`);

  const raw: Omit<ElfSection, 'name' | 'data'>[] = [];
  const nameOffs: number[] = [];
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * SHDR_SIZE;
    nameOffs.push(view.getUint32(h, true));
    raw.push({
      index: i,
      type: view.getUint32(h + 4, true),
      flags: u64(h + 8),
      offset: u64(h + 24),
      size: u64(h + 32),
      link: view.getUint32(h + 40, true),
      info: view.getUint32(h + 44, true),
      addralign: u64(h + 48),
      entsize: u64(h + 56),
    });
  }
  const contents = (s: Omit<ElfSection, 'name' | 'data'>): Uint8Array => {
    if (s.type === ElfConst.SHT_NOBITS || s.type === ElfConst.SHT_NULL) return new Uint8Array(s.type === ElfConst.SHT_NOBITS ? s.size : 0);
    if (s.offset + s.size > bytes.length) fail(`truncated: section #${s.index} (${s.size} bytes at ${s.offset}) runs past the end (${bytes.length} bytes)`);
    return bytes.subarray(s.offset, s.offset + s.size);
  };
  if (shstrndx >= shnum) fail(`section name table index ${shstrndx} out of range (${shnum} sections)`);
  const shstr = contents(raw[shstrndx]!);
  const decoder = new TextDecoder();
  const cstr = (table: Uint8Array, off: number, what: string): string => {
    if (off >= table.length && !(off === 0 && table.length === 0)) fail(`${what}: string offset ${off} past its table (${table.length} bytes)`);
    const end = table.indexOf(0, off);
    return decoder.decode(table.subarray(off, end < 0 ? table.length : end));
  };
  const sections: ElfSection[] = raw.map((s, i) => ({
    ...s,
    name: i === 0 ? '' : cstr(shstr, nameOffs[i]!, `section #${i} name`),
    data: contents(s),
  }));

  // libbpf bpf_object__elf_collect: exactly one symbol table, its names in the section sh_link points to.
  const symtabs = sections.filter((s) => s.type === ElfConst.SHT_SYMTAB);
  if (symtabs.length > 1) fail('multiple symbol tables');
  const symtab = symtabs[0];
  const symbols: ElfSymbol[] = [];
  if (symtab) {
    if (symtab.entsize !== SYM_SIZE) fail(`bad symbol entry size ${symtab.entsize} (expected ${SYM_SIZE})`);
    if (symtab.link >= shnum) fail(`symbol string table index ${symtab.link} out of range`);
    const strtab = sections[symtab.link]!.data;
    const base = symtab.offset;
    const count = Math.floor(symtab.size / SYM_SIZE);
    for (let i = 0; i < count; i++) {
      const o = base + i * SYM_SIZE;
      const info = bytes[o + 4]!;
      symbols.push({
        index: i,
        name: cstr(strtab, view.getUint32(o, true), `symbol #${i} name`),
        type: info & 0xf,
        bind: info >>> 4,
        visibility: bytes[o + 5]! & 0x3,
        shndx: view.getUint16(o + 6, true),
        value: u64(o + 8),
        size: u64(o + 16),
      });
    }
  }

  const byName = new Map<string, ElfSection>();
  for (const s of sections) if (!byName.has(s.name)) byName.set(s.name, s);

  return {
    sections,
    symbols,
    symtabIndex: symtab?.index ?? 0,
    sectionByName: (name) => byName.get(name),
    relocations(section) {
      if (section.type === ElfConst.SHT_RELA) fail(`section ${section.name}: SHT_RELA relocations are not used by BPF objects`);
      if (section.type !== ElfConst.SHT_REL) fail(`section ${section.name} is not a relocation section (type ${section.type})`);
      // libbpf bpf_object__elf_collect: sh_entsize must be sizeof(Elf64_Rel).
      if (section.entsize !== REL_SIZE) fail(`section ${section.name}: bad relocation entry size ${section.entsize} (expected ${REL_SIZE})`);
      const out: ElfRel[] = [];
      const count = Math.floor(section.size / REL_SIZE);
      for (let i = 0; i < count; i++) {
        const o = section.offset + i * REL_SIZE;
        const offset = u64(o);
        // r_info = (sym << 32) | type (ELF64_R_SYM / ELF64_R_TYPE).
        const type = view.getUint32(o + 8, true);
        const symbol = view.getUint32(o + 12, true);
        if (symbol >= symbols.length) fail(`section ${section.name}: relocation #${i} names symbol #${symbol}, but the table has ${symbols.length}`);
        out.push({ offset, symbol, type });
      }
      return out;
    },
  };
}
