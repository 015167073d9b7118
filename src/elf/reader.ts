// A reader for the one ELF shape clang writes for BPF: ELF64, little-endian, ET_REL, e_machine EM_BPF.
// It knows section headers, section names, the symbol table and SHT_REL relocations — what libbpf's
// bpf_object__elf_init / bpf_object__elf_collect (src/libbpf.c) read through libelf — and nothing else.
// Layouts are the System V gABI's (include/uapi/linux/elf.h: Elf64_Ehdr, Elf64_Shdr, Elf64_Sym, Elf64_Rel).
import { ENOENT, ENOEXEC } from '../uapi/errno.js';

/** Thrown for bytes that are not a BPF relocatable object this reader understands. */
export class ObjectFormatError extends Error {
  /** The file the bytes came from, when known. */
  readonly fileName: string | undefined;
  /**
   * The errno libbpf's bpf_object__open answers for the same fault: ENOEXEC for its LIBBPF_ERRNO__FORMAT
   * and LIBBPF_ERRNO__RELOC (what the kernel engine reports them as), else its own (EINVAL, ENOENT, ...).
   */
  readonly errno: number;

  constructor(message: string, fileName?: string, errno: number = ENOEXEC) {
    super(fileName === undefined ? message : `${fileName}: ${message}`);
    this.name = 'ObjectFormatError';
    this.fileName = fileName;
    this.errno = errno;
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
  SHF_COMPRESSED: 0x800,
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
  /** sh_flags' low 32 bits, where every gABI flag lives (SHF_MASKOS and SHF_MASKPROC included). */
  flags: number;
  /** File offset of the contents (meaningless for SHT_NOBITS). */
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
  /** Whether the header says the section holds no bytes (without reading a size that may not fit). */
  empty: boolean;
  /**
   * The contents (a view into the file's bytes; zeros of `size` for SHT_NOBITS). Read on first use: a
   * section libbpf never reads (DWARF) may lie past the end of the file, and only reading it fails.
   */
  data: Uint8Array;
}

export interface ElfSymbol {
  index: number;
  /** Read on first use, like every field libbpf may never look at (libelf's elf_strptr checks it then). */
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
  /** r_offset; undefined past 2^53 (past any section). */
  offset: number | undefined;
  symbol: number;
  type: number;
}

export interface ElfFile {
  sections: ElfSection[];
  /** The one SHT_SYMTAB's symbols (a file without one is refused), index 0 (the null symbol) included. */
  symbols: ElfSymbol[];
  /** Index of the SHT_SYMTAB section. */
  symtabIndex: number;
  sectionByName(name: string): ElfSection | undefined;
  /** SHT_REL entries of a relocation section. */
  relocations(section: ElfSection): ElfRel[];
}

/** sizeof(Elf64_Ehdr), sizeof(Elf64_Shdr), sizeof(Elf64_Sym), sizeof(Elf64_Rel). */
const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
export const REL_SIZE = 16;
/** e_ident[EI_VERSION] = EV_CURRENT: libelf's elf_begin accepts no other. */
const EV_CURRENT = 1;
/** e_machine EM_NONE: what old LLVM wrote for BPF; libbpf (bpf_object__elf_init) accepts it. */
const EM_NONE = 0;
/** The largest SHT_NOBITS section given zeros: an array map's value_size limit (INT_MAX, emulator/maps/create.ts). */
const MAX_NOBITS = 0x7fffffff;
const decoder = new TextDecoder();
/**
 * libelf's elf_getdata converts a section of these types as an array of fixed-size entries and refuses
 * ("invalid data") one whose size is not whole entries (measured on libelf 0.188 through libbpf: SYMTAB,
 * RELA, DYNAMIC, REL, DYNSYM, INIT/FINI/PREINIT_ARRAY; the 4-byte HASH, GROUP and SYMTAB_SHNDX alike).
 */
const ENTRY_SIZES: Readonly<Record<number, number>> = { 2: 24, 4: 24, 5: 4, 6: 16, 9: 16, 11: 24, 14: 8, 15: 8, 16: 8, 17: 4, 18: 4 };

/**
 * libbpf src/libbpf.c ignore_elf_section: the sections bpf_object__elf_collect never reads the contents of
 * (string tables are read through elf_strptr, when a name is needed), so libelf never checks where they lie.
 */
export function libbpfIgnores(s: ElfSection, name: string): boolean {
  if (s.type === ElfConst.SHT_STRTAB || s.type === ElfConst.SHT_LLVM_ADDRSIG) return true;
  if (s.type === ElfConst.SHT_PROGBITS && s.empty && name === '.text') return true;
  const dwarf = (n: string): boolean => n.startsWith('.debug_');
  if (dwarf(name)) return true;
  if (name.startsWith('.rel')) {
    const target = name.slice('.rel'.length);
    if (dwarf(target) || target === '.BTF' || target === '.BTF.ext') return true;
  }
  return false;
}

/**
 * The file's bytes and the checks every field read goes through. 64-bit fields are read as two u32 halves:
 * a value up to 2^53 - 1 is an exact number, anything larger is refused when (and only when) it is used.
 */
class ElfBytes {
  readonly view: DataView;

  constructor(readonly bytes: Uint8Array, readonly fail: (msg: string) => never) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The u64 at `off`, or undefined when it does not fit in 53 bits. */
  u64(off: number): number | undefined {
    const high = this.view.getUint32(off + 4, true);
    return high > 0x1fffff ? undefined : high * 2 ** 32 + this.view.getUint32(off, true);
  }

  /** The u64 at `off`, which its reader needs exactly. */
  exact(off: number, what: () => string): number {
    const v = this.u64(off);
    return v ?? this.fail(`${what()}: ${this.view.getBigUint64(off, true)} does not fit in 53 bits`);
  }

  /** Bytes [offset, offset + size) of the file, or why not. */
  range(offset: number | undefined, size: number | undefined, what: () => string, header: number): Uint8Array {
    // Beyond 2^53 is beyond any file: the exact values only go into the message.
    if (offset === undefined || size === undefined || offset + size > this.bytes.length) {
      const v = this.view;
      this.fail(`truncated: ${what()} (${v.getBigUint64(header + 32, true)} bytes at ${v.getBigUint64(header + 24, true)}) runs past the end (${this.bytes.length} bytes)`);
    }
    return this.bytes.subarray(offset!, offset! + size!);
  }

  /** libelf elf_strptr: the offset inside the table, and a NUL before its end. */
  string(table: Uint8Array, off: number, what: () => string): string {
    if (off === 0 && table.length === 0) return '';
    if (off >= table.length) this.fail(`${what()}: string offset ${off} past its table (${table.length} bytes)`);
    const end = table.indexOf(0, off);
    if (end < 0) this.fail(`${what()}: the string at offset ${off} has no terminating NUL`);
    return decoder.decode(table.subarray(off, end));
  }
}

/** One section header; its contents are read on first use (a section libbpf never reads may lie anywhere). */
class Section implements ElfSection {
  readonly type: number;
  readonly flags: number;
  readonly link: number;
  readonly info: number;
  #data: Uint8Array | undefined;

  constructor(readonly file: ElfBytes, readonly index: number, readonly name: string, readonly header: number) {
    const v = file.view;
    this.type = v.getUint32(header + 4, true);
    // sh_flags' low half holds every gABI flag; the high half is never read.
    this.flags = v.getUint32(header + 8, true);
    this.link = v.getUint32(header + 40, true);
    this.info = v.getUint32(header + 44, true);
  }

  get offset(): number {
    return this.file.exact(this.header + 24, () => `${this.#where()} sh_offset`);
  }

  get size(): number {
    return this.file.exact(this.header + 32, () => `${this.#where()} sh_size`);
  }

  get entsize(): number {
    return this.file.exact(this.header + 56, () => `${this.#where()} sh_entsize`);
  }

  get data(): Uint8Array {
    return (this.#data ??= this.#contents());
  }

  /** Whether the header says the section holds no bytes (without reading a size that may not fit). */
  get empty(): boolean {
    return this.file.view.getBigUint64(this.header + 32, true) === 0n;
  }

  #contents(): Uint8Array {
    // libelf checks where a section lies only when it has bytes to read.
    if (this.type === ElfConst.SHT_NULL || this.empty) return new Uint8Array(0);
    const size = this.file.u64(this.header + 32);
    // libelf gives SHT_NOBITS no file bytes: zeros of its size, made when a caller asks (a .bss map's value).
    if (this.type === ElfConst.SHT_NOBITS) {
      if (size === undefined || size > MAX_NOBITS) this.file.fail(`${this.#where()}: SHT_NOBITS size ${this.file.view.getBigUint64(this.header + 32, true)} is more than bpfkit holds (${MAX_NOBITS} bytes)`);
      return new Uint8Array(size!);
    }
    const bytes = this.file.range(this.file.u64(this.header + 24), size, () => this.#where(), this.header);
    const entry = ENTRY_SIZES[this.type];
    if (entry !== undefined && bytes.length % entry !== 0) this.file.fail(`${this.#where()}: invalid data (${bytes.length} bytes of ${entry}-byte entries for sh_type ${this.type})`);
    return bytes;
  }

  #where(): string {
    return `section #${this.index} (${this.name})`;
  }
}

/** One Elf64_Sym of the symbol table `table` (its bytes), its name read from `strtab` on first use. */
class SymbolEntry implements ElfSymbol {
  readonly type: number;
  readonly bind: number;
  readonly visibility: number;
  readonly shndx: number;
  #name: string | undefined;

  constructor(readonly table: SymbolTable, readonly index: number) {
    const o = index * SYM_SIZE;
    const info = table.bytes[o + 4]!;
    this.type = info & 0xf;
    this.bind = info >>> 4;
    this.visibility = table.bytes[o + 5]! & 0x3;
    this.shndx = table.view.getUint16(o + 6, true);
  }

  get name(): string {
    return (this.#name ??= this.table.name(this.index));
  }

  get value(): number {
    return this.table.file.exact(this.table.at + this.index * SYM_SIZE + 8, () => `symbol #${this.index} st_value`);
  }

  get size(): number {
    return this.table.file.exact(this.table.at + this.index * SYM_SIZE + 16, () => `symbol #${this.index} st_size`);
  }
}

interface SymbolTable {
  file: ElfBytes;
  bytes: Uint8Array;
  view: DataView;
  /** The table's offset in the file. */
  at: number;
  name(index: number): string;
}

/**
 * Parses an ELF64 little-endian EM_BPF relocatable object; throws ObjectFormatError on anything else. It
 * refuses what libbpf/libelf refuse and accepts what they accept: every offset and count is checked against
 * the file before it is used, and a 64-bit field becomes a number only when it is read and fits in 53 bits
 * (an unused huge field, e.g. of a symbol libbpf never looks at, is no error).
 */
export function readElf(bytes: Uint8Array, fileName?: string): ElfFile {
  const fail = (msg: string, errno?: number): never => {
    throw new ObjectFormatError(msg, fileName, errno);
  };
  if (!(bytes instanceof Uint8Array)) throw new TypeError('ELF bytes must be a Uint8Array');
  if (bytes.length < 16 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    fail('not an ELF file (bad magic)');
  }
  // e_ident[EI_CLASS] = 2 (ELFCLASS64), e_ident[EI_DATA] = 1 (ELFDATA2LSB).
  if (bytes[4] !== 2) fail(`not a 64-bit ELF (EI_CLASS ${bytes[4]}; BPF objects are ELF64)`);
  if (bytes[5] !== 1) fail(`not a little-endian ELF (EI_DATA ${bytes[5]}; only little-endian BPF objects are supported)`);
  if (bytes[6] !== EV_CURRENT) fail(`unknown ELF version (EI_VERSION ${bytes[6]}, expected ${EV_CURRENT})`);
  if (bytes.length < EHDR_SIZE) fail(`truncated ELF header (${bytes.length} bytes, need ${EHDR_SIZE})`);
  const file = new ElfBytes(bytes, fail);
  const view = file.view;
  const eType = view.getUint16(16, true);
  const machine = view.getUint16(18, true);
  if (machine !== ElfConst.EM_BPF && machine !== EM_NONE) fail(`not a BPF object (e_machine ${machine}, expected EM_BPF ${ElfConst.EM_BPF})`);
  if (eType !== ElfConst.ET_REL) fail(`not a relocatable object (e_type ${eType}, expected ET_REL 1)`);
  // e_entry, e_phoff, e_flags, e_ehsize, e_phentsize, e_phnum: libbpf reads none of them. Neither libelf
  // nor libbpf looks at e_shentsize either: libelf reads the table as Elf64_Shdr entries whatever it says.
  const shoff = file.u64(40);
  if (shoff === 0) fail('no section header table');
  if (shoff === undefined || shoff + SHDR_SIZE > bytes.length) fail(`truncated: section header table at ${view.getBigUint64(40, true)} is past the end (${bytes.length} bytes)`);
  // gABI: with ≥ SHN_LORESERVE sections, the real count and string table index live in section 0.
  let shnum: number | undefined = view.getUint16(60, true);
  if (shnum === 0) shnum = file.u64(shoff! + 32);
  let shstrndx = view.getUint16(62, true);
  if (shstrndx === 0xffff) shstrndx = view.getUint32(shoff! + 40, true);
  // Bounded by the file's size before anything is allocated for it.
  if (shnum === undefined || shoff! + shnum * SHDR_SIZE > bytes.length) {
    fail(`truncated: ${shnum ?? view.getBigUint64(shoff! + 32, true)} section headers at ${shoff} run past the end (${bytes.length} bytes)`);
  }
  if (shstrndx >= shnum!) fail(`section name table index ${shstrndx} out of range (${shnum} sections)`);

  const shstrHeader = shoff! + shstrndx * SHDR_SIZE;
  // libbpf bpf_object__elf_init: the names' bytes are in the file (elf_rawdata); then bpf_object__elf_collect
  // looks for the one symbol table before it reads any name (ENOENT without one).
  // libelf reads no bytes of an SHT_NOBITS or empty section, wherever it says it lies.
  const shstrType = view.getUint32(shstrHeader + 4, true);
  const shstrEmpty = shstrType === ElfConst.SHT_NOBITS || view.getBigUint64(shstrHeader + 32, true) === 0n;
  const shstr = shstrEmpty ? new Uint8Array(0) : file.range(file.u64(shstrHeader + 24), file.u64(shstrHeader + 32), () => `section name table #${shstrndx}`, shstrHeader);
  let symtabs = 0;
  // Section 0 is no section (elf_nextscn starts at 1), whatever its header holds.
  for (let i = 1; i < shnum!; i++) if (view.getUint32(shoff! + i * SHDR_SIZE + 4, true) === ElfConst.SHT_SYMTAB) symtabs++;
  if (symtabs > 1) fail('multiple symbol tables');
  if (symtabs === 0) fail('no symbol table (stripped object?); libbpf needs one to find programs', ENOENT);
  // libelf elf_strptr: names come from an SHT_STRTAB section, decompressed first if it is SHF_COMPRESSED
  // (which clang never writes for BPF, and bpfkit does not decompress).
  if (shstrType !== ElfConst.SHT_STRTAB) fail(`section name table #${shstrndx} is not a string table (sh_type ${shstrType})`);
  if (view.getUint32(shstrHeader + 8, true) & ElfConst.SHF_COMPRESSED) fail(`section name table #${shstrndx} is compressed`);
  const sections: Section[] = [];
  for (let i = 0; i < shnum!; i++) {
    const header = shoff! + i * SHDR_SIZE;
    const name = i === 0 ? '' : file.string(shstr, view.getUint32(header, true), () => `section #${i} name`);
    const s = new Section(file, i, name, header);
    // libbpf bpf_object__elf_collect reads (elf_getdata) every section it does not ignore, and libelf refuses
    // one that lies past the end of the file then; the ignored ones it never reads.
    if (s.type !== ElfConst.SHT_NOBITS && !libbpfIgnores(s, name)) void s.data;
    sections.push(s);
  }

  // The symbol table's names are in the section sh_link points to.
  const symtab = sections.find((s) => s.index > 0 && s.type === ElfConst.SHT_SYMTAB)!;
  const symbols: ElfSymbol[] = [];
  {
    if (symtab.entsize !== SYM_SIZE) fail(`bad symbol entry size ${symtab.entsize} (expected ${SYM_SIZE})`);
    // libbpf bpf_object__elf_collect: "symbol strings section missing or invalid".
    if (symtab.link === 0 || symtab.link >= shnum!) fail(`symbol string table index ${symtab.link} out of range`);
    const strtab = sections[symtab.link]!;
    const data = symtab.data;
    const table: SymbolTable = {
      file,
      bytes: data,
      view: new DataView(data.buffer, data.byteOffset, data.byteLength),
      at: symtab.offset,
      name: (i) => {
        // libelf elf_strptr: only from an SHT_STRTAB section.
        if (strtab.type !== ElfConst.SHT_STRTAB) fail(`symbol #${i} name: section #${symtab.link} is not a string table`);
        if (strtab.flags & ElfConst.SHF_COMPRESSED) fail(`symbol #${i} name: section #${symtab.link} is compressed`);
        return file.string(strtab.data, table.view.getUint32(i * SYM_SIZE, true), () => `symbol #${i} name`);
      },
    };
    // The count comes from bytes that are in the file, so it is bounded by the file's size.
    const count = Math.floor(data.length / SYM_SIZE);
    for (let i = 0; i < count; i++) symbols.push(new SymbolEntry(table, i));
  }

  const byName = new Map<string, ElfSection>();
  for (const s of sections) if (!byName.has(s.name)) byName.set(s.name, s);

  return {
    sections,
    symbols,
    symtabIndex: symtab.index,
    sectionByName: (name) => byName.get(name),
    relocations(section) {
      if (section.type === ElfConst.SHT_RELA) fail(`section ${section.name}: SHT_RELA relocations are not used by BPF objects`);
      if (section.type !== ElfConst.SHT_REL) fail(`section ${section.name} is not a relocation section (type ${section.type})`);
      // libbpf bpf_object__elf_collect: sh_entsize must be sizeof(Elf64_Rel).
      if (section.entsize !== REL_SIZE) fail(`section ${section.name}: bad relocation entry size ${section.entsize} (expected ${REL_SIZE})`);
      const data = section.data;
      const at = section.offset;
      const relView = new DataView(data.buffer, data.byteOffset, data.byteLength);
      const out: ElfRel[] = [];
      const count = Math.floor(data.length / REL_SIZE);
      for (let i = 0; i < count; i++) {
        const o = i * REL_SIZE;
        // r_info = (sym << 32) | type (ELF64_R_SYM / ELF64_R_TYPE).
        const type = relView.getUint32(o + 8, true);
        const symbol = relView.getUint32(o + 12, true);
        // The symbol index and r_offset are checked by the caller, relocation by relocation, as libbpf does.
        out.push({ offset: file.u64(at + o), symbol, type });
      }
      return out;
    },
  };
}
