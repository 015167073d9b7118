// Reads a `.bpf.o` as clang writes it into a ParsedObject, the way libbpf's bpf_object__open does
// (src/libbpf.c): programs by section and symbol, bpf-to-bpf subprograms appended and call offsets fixed
// (bpf_object__reloc_code), BTF-defined `.maps`, global data as internal ARRAY maps, and relocations
// recorded in each linked program's own instruction numbering. It parses only; nothing here executes.
import { kptrFields, type KptrField } from '../btf/kptrs.js';
import { Btf, BtfFormatError, BtfLoopError, BtfFuncLinkage, BtfKind, BtfVarLinkage, parseBtf, parseBtfExt, type BtfComposite, type BtfDatasec, type BtfExt,
  type BtfExtCoreReloc, type BtfExtLine, type BtfTypeInfo, type BtfVar } from '../btf/types.js';
import { checkBtfTypes } from '../btf/sanity.js';
import { ElfConst, libbpfIgnores, ObjectFormatError, readElf, REL_SIZE, type ElfFile, type ElfSection, type ElfSymbol } from './reader.js';
import { kcfgTypeOf, type ParsedExtern } from './externs.js';
import type { LockField } from '../seam/engine.js';
import type { MapDef, ParsedObject, ParsedProgram, Reloc } from './spec.js';
import { BPF_OBJ_NAME_LEN, KernelMapType, MapFlags, MapType } from '../uapi/bpf.js';
import { CALL, CallKind, decodeInsns, LD_IMM64, PseudoLd, type Insn } from '../uapi/isa.js';
import { sectionProgramType } from './sections.js';
import { libbpfLoadedBtf } from './libbpf-btf.js';
import { EINVAL, ENOENT, EOPNOTSUPP, ESRCH } from '../uapi/errno.js';
import { RELOC_ERRNO } from '../uapi/libbpf.js';


export { ObjectFormatError };

/**
 * libbpf's object name (src/libbpf.c bpf_object__new): the path's basename, cut at its first '.', kept to
 * BPF_OBJ_NAME_LEN - 1 characters (libbpf_strlcpy into obj->name happens before the cut).
 */
export function objectName(fileName: string): string {
  const base = fileName.slice(fileName.lastIndexOf('/') + 1).slice(0, BPF_OBJ_NAME_LEN - 1);
  const dot = base.indexOf('.');
  return dot < 0 ? base : base.slice(0, dot);
}

/**
 * libbpf src/libbpf.c internal_map_name: `.data`, `.bss`, `.rodata` (one dot) get as much of the object
 * name as fits in front of a suffix that is given at least 7 characters; custom `.data.foo`/`.rodata.foo`
 * sections (a second dot) are named by the section alone. Both are cut to 15 characters, and characters
 * the kernel refuses in names become '_'.
 */
export function internalMapName(objName: string, section: string): string {
  const maxLen = BPF_OBJ_NAME_LEN - 1;
  const sfxLen = Math.min(Math.max(7, section.length), maxLen);
  const pfxLen = section.indexOf('.', 1) >= 0 ? 0 : Math.min(maxLen - sfxLen, objName.length);
  const name = (objName.slice(0, pfxLen) + section.slice(0, sfxLen)).slice(0, maxLen);
  return name.replace(/[^A-Za-z0-9_.]/g, '_');
}

/** A function of an executable section: a program, or a subprogram appended to the programs that call it. */
interface Func {
  name: string;
  section: ElfSection;
  /** First instruction, in the section's numbering. */
  start: number;
  count: number;
  bind: number;
  /** Decoded instructions, to be copied into every program that links this function. */
  insns: Insn[];
  /** Relocations in the function's own numbering (0 = its first instruction). */
  relocs: { insn: number; sym: ElfSymbol; kind: RawRelocKind }[];
}

type RawRelocKind =
  | { type: 'call' }
  | { type: 'subprogAddr' }
  | { type: 'map'; map: string }
  | { type: 'data'; map: string }
  | { type: 'externCall'; ext: Extern }
  | { type: 'externLd'; ext: Extern };

/** An extern symbol: a variable (ParsedExtern) or a kfunc (`func`). */
type Extern = ParsedExtern & { func: boolean };

/**
 * Parses a BPF ELF object in libbpf's order (bpf_object_open: bpf_object__elf_collect with the programs
 * of each executable section and then the BTF, bpf_object__collect_externs, bpf_object_fixup_btf,
 * bpf_object__init_maps, bpf_object__collect_relos), so the first fault found is the one libbpf reports.
 * Throws ObjectFormatError with what is wrong and the errno libbpf answers.
 */
export function parseObject(bytes: Uint8Array, fileName: string): ParsedObject {
  const elf = readElf(bytes, fileName);
  /** A section by index for messages: its name, or that there is no such section (a corrupt index). */
  const sectionName = (index: number): string => elf.sections[index]?.name ?? `#${index} (no such section)`;
  const fail = (msg: string, errno?: number): never => {
    throw new ObjectFormatError(msg, fileName, errno);
  };
  const name = objectName(fileName);
  // Checked first, as the kernel engine checks it before libbpf sees the file (kernel/libbpf-guard.ts), so
  // both engines refuse BTF that does not parse, or would crash or hang libbpf, the same way (ENOEXEC).
  const btfSec = elf.sectionByName('.BTF');
  const btf = btfSec && parseBtf(btfSec.data);
  if (btf) checkBtfTypes(btf);

  // libbpf src/libbpf.c bpf_object__init_license: the `license` section, a NUL-terminated string.
  const licSec = elf.sectionByName('license');
  let license = '';
  if (licSec) {
    const end = licSec.data.indexOf(0);
    license = new TextDecoder().decode(licSec.data.subarray(0, end < 0 ? licSec.data.length : end));
  }

  // libbpf src/libbpf.c bpf_object__elf_collect: how sections are classified. An empty .text is ignored
  // (ignore_elf_section); every other non-empty SHF_EXECINSTR PROGBITS holds programs.
  // A section's size is read only once its type and name make it one libbpf uses: reading a size that does
  // not fit in 53 bits is an error (elf/reader.ts), and libbpf accepts such a size on a section it skips.
  const textSec = elf.sections.find((s) => s.name === '.text' && s.type === ElfConst.SHT_PROGBITS && s.size > 0);
  const execSections = elf.sections.filter((s) => s.type === ElfConst.SHT_PROGBITS && (s.flags & ElfConst.SHF_EXECINSTR) !== 0 && s.size > 0);
  const mapsSec = elf.sectionByName('.maps');
  const dataKind = new Map<number, 'data' | 'rodata' | 'bss'>();
  for (const s of elf.sections) {
    const isExec = (s.flags & ElfConst.SHF_EXECINSTR) !== 0;
    let kind: 'data' | 'rodata' | 'bss' | undefined;
    if (s.type === ElfConst.SHT_PROGBITS && !isExec) {
      if (s.name === '.data' || s.name.startsWith('.data.')) kind = 'data';
      else if (s.name === '.rodata' || s.name.startsWith('.rodata.')) kind = 'rodata';
    } else if (s.type === ElfConst.SHT_NOBITS && (s.name === '.bss' || s.name.startsWith('.bss.'))) {
      kind = 'bss';
    }
    // bpf_object__init_global_data_maps: "Skip recognized sections with size 0"
    if (kind !== undefined && s.size > 0) dataKind.set(s.index, kind);
  }

  // Functions: every STT_FUNC symbol of an executable section (libbpf bpf_object__add_programs, section by
  // section, symbols in table order). Lookups below go through indexes built once (symbols by section,
  // functions by start), never a scan per item, so a file of many symbols and relocations costs n log n.
  const funcSyms = new Map<number, ElfSymbol[]>();
  for (const y of elf.symbols) {
    if (y.type !== ElfConst.STT_FUNC) continue;
    const list = funcSyms.get(y.shndx);
    if (list) list.push(y);
    else funcSyms.set(y.shndx, [y]);
  }
  const funcs: Func[] = [];
  const funcIndex = new Map<number, { funcs: Func[]; maxEnd: number[] }>();
  const execSet = new Set(execSections);
  // bpf_object__elf_collect, section by section: the sections it knows by name, the relocation sections it
  // keeps, and the programs of each executable section.
  for (const s of elf.sections) {
    if (s.index === 0 || libbpfIgnores(s, s.name)) continue;
    // libelf gives an empty or SHT_NOBITS section no buffer: "invalid license section".
    if (s.name === 'license' && (s.type === ElfConst.SHT_NOBITS || s.empty)) fail('the license section has no bytes');
    else if (s.name === 'version' && s.size !== 4) fail(`the version section is ${s.size} bytes, not 4`);
    else if (s.name === 'maps') fail("legacy map definitions in a 'maps' section are not supported (libbpf 1.0+)", EOPNOTSUPP);
    else if ((s.name === '.BTF' || s.name === '.BTF.ext') && s.type !== ElfConst.SHT_PROGBITS) fail(`section ${s.name} is not SHT_PROGBITS (sh_type ${s.type})`);
    else if (s.type === ElfConst.SHT_REL && (s.entsize !== REL_SIZE || s.info >= elf.sections.length)) {
      fail(`section ${s.name}: relocation entries of ${s.entsize} bytes for section #${s.info}`);
    }
    if (!execSet.has(s)) continue;
    // libbpf reads each program's own bytes: a section's tail that is not a whole instruction is no fault.
    const insns = decodeInsns(s.data.subarray(0, s.data.length - (s.data.length % 8)));
    const syms = funcSyms.get(s.index) ?? [];
    for (const sym of syms) {
      // bpf_object__add_programs, then bpf_object__init_prog.
      if (sym.value + sym.size > s.size) fail(`section ${s.name}: program '${sym.name}' at offset ${sym.value} crosses the section's end`);
      if (s !== textSec && sym.bind === ElfConst.STB_LOCAL) {
        fail(`section ${s.name}: program '${sym.name}' is static, which libbpf does not support (only .text may hold static functions)`, EOPNOTSUPP);
      }
      if (sym.size === 0 || sym.size % 8 !== 0 || sym.value % 8 !== 0) {
        fail(`section ${s.name}: program '${sym.name}' at offset ${sym.value}, size ${sym.size} is not whole instructions`, EINVAL);
      }
    }
    const inSection: Func[] = [];
    for (const sym of [...syms].sort((a, b) => a.value - b.value)) {
      const start = sym.value / 8;
      const count = sym.size / 8;
      const f: Func = { name: sym.name, section: s, start, count, bind: sym.bind, insns: insns.slice(start, start + count), relocs: [] };
      funcs.push(f);
      inSection.push(f);
    }
    // maxEnd[j]: the furthest end among the section's first j + 1 functions (sorted by start).
    let end = 0;
    funcIndex.set(s.index, { funcs: inSection, maxEnd: inSection.map((f) => (end = Math.max(end, f.start + f.count))) });
  }

  const btfExt = initBtf(elf, btf, mapsSec !== undefined, fail);
  const externs = collectExterns(elf, btf, fail);
  if (btf) fixupDatasecs(btf, elf, fail);
  if (btf) markHiddenFunctionsStatic(btf, elf);

  // Maps, in libbpf's order (bpf_object__init_maps): `.maps` variables, global data by section index,
  // then `.kconfig`.
  const maps: MapDef[] = [];
  const mapsByOffset = new Map<number, string>();
  const btfMaps = mapsSec ? parseBtfMaps(btf!, mapsSec, fail) : [];
  for (const m of btfMaps) {
    maps.push(m.def);
    mapsByOffset.set(m.offset, m.def.name);
  }
  const dataMaps = new Map<number, string>();
  for (const [index, kind] of dataKind) {
    const s = elf.sections[index]!;
    const def = globalDataMap(name, s, kind, btf);
    maps.push(def);
    dataMaps.set(index, def.name);
  }

  const kconfigSize = [...externs.values()].filter((e) => e.kind === 'kconfig').reduce((n, e) => Math.max(n, e.offset + e.size), 0);
  if (kconfigSize > 0) {
    // libbpf bpf_object__init_kconfig_map: an internal map sized to hold every kconfig extern, filled in
    // at load from the running kernel's config (all zeros here).
    const kName = internalMapName(name, '.kconfig');
    const kDatasec = btf?.findByName('.kconfig', BtfKind.Datasec);
    maps.push({
      name: kName, type: MapType.Array, keySize: 4, valueSize: kconfigSize, maxEntries: 1,
      // bpf_object__init_internal_map: RDONLY_PROG for .kconfig. bpf_object_open runs collect_externs
      // before init_maps, and it rewrites the kconfig vars to GLOBAL_ALLOCATED, so map_is_mmapable finds
      // non-static vars in the DATASEC and the map is MMAPABLE too.
      flags: MapFlags.RdonlyProg | (kDatasec ? MapFlags.Mmapable : 0),
      numaNode: 0, pinning: 0, locks: [], internal: true, initial: new Uint8Array(kconfigSize), readonly: true,
      btfKeyTypeId: 0, btfValueTypeId: kDatasec?.id ?? 0,
    });
  }

  /**
   * The first function (by start, as they were added) holding instruction `insn` of section `secIndex`.
   * maxEnd only grows, so the first j with maxEnd[j] > insn is the first function ending past insn; it
   * holds insn when it starts at or before it.
   */
  const funcAt = (secIndex: number, insn: number): Func | undefined => {
    const index = funcIndex.get(secIndex);
    if (!index) return undefined;
    let lo = 0;
    let hi = index.funcs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (index.maxEnd[mid]! > insn) hi = mid;
      else lo = mid + 1;
    }
    const f = index.funcs[lo];
    return f && f.start <= insn ? f : undefined;
  };

  // Relocations of executable sections (libbpf bpf_object__collect_prog_relos + bpf_program__record_reloc).
  for (const rs of elf.sections) {
    if (rs.type !== ElfConst.SHT_REL || libbpfIgnores(rs, rs.name)) continue;
    // bpf_object__collect_prog_relos: the relocations of any executable section, whose bytes libelf reads.
    const target = elf.sections[rs.info];
    if (!target || (target.flags & ElfConst.SHF_EXECINSTR) === 0) continue;
    void target.data;
    elf.relocations(rs).forEach((rel, i) => {
      const sym = elf.symbols[rel.symbol];
      if (!sym) fail(`${rs.name}: relocation #${i} names symbol #${rel.symbol}, but the table has ${elf.symbols.length}`);
      if (sym!.shndx >= elf.sections.length) fail(`${rs.name}: relocation #${i} names symbol #${rel.symbol} of section #${sym!.shndx}, which does not exist`);
      const offset = rel.offset;
      if (offset === undefined || offset % 8 !== 0 || offset >= target.size) fail(`${rs.name}: relocation #${i} at bad offset ${offset ?? 'past 2^53'}`);
      const secInsn = offset! / 8;
      // No function holds it: libbpf skips it ("probably overridden weak function").
      const fn = funcAt(target.index, secInsn);
      if (!fn) return;
      const local = secInsn - fn.start;
      const insn = fn.insns[local]!;
      const where = `program '${fn.name}' insn ${local}`;
      const kind = classifyReloc(insn, sym!, where);
      fn.relocs.push({ insn: local, sym: sym!, kind });
    });
  }

  /** libbpf bpf_program__record_reloc: every fault is LIBBPF_ERRNO__RELOC. */
  function classifyReloc(insn: Insn, sym: ElfSymbol, where: string): RawRelocKind {
    const bad = (m: string): never => fail(m, RELOC_ERRNO);
    const isCall = insn.code === CALL;
    const isLd = insn.code === LD_IMM64;
    const symName = relocSymbolName(sym, sectionName);
    if (!isCall && !isLd) return bad(`${where}: relocation against '${symName}' on an instruction (code 0x${insn.code.toString(16)}) that is neither a call nor ld_imm64`);
    if (isExternSym(sym)) {
      const ext = externs.get(sym.index);
      if (!ext) return bad(`${where}: extern '${sym.name}' has no BTF description (declare it __ksym or __kconfig)`);
      return isCall ? { type: 'externCall', ext } : { type: 'externLd', ext };
    }
    if (isCall) {
      if (insn.src !== CallKind.Local) return bad(`${where}: call relocation against '${symName}' without src_reg BPF_PSEUDO_CALL`);
      // libbpf insists sub-programs live in .text.
      if (!textSec || sym.shndx !== textSec.index) return bad(`${where}: call relocation against '${symName}' outside .text`);
      if (sym.value % 8 !== 0) return bad(`${where}: call relocation against '${symName}' at unaligned offset ${sym.value}`);
      return { type: 'call' };
    }
    if (sym.shndx === ElfConst.SHN_UNDEF || sym.shndx >= ElfConst.SHN_LORESERVE) {
      return bad(`${where}: relocation against '${symName}' in special section 0x${sym.shndx.toString(16)} (an uninitialized global variable?)`);
    }
    if (textSec && sym.shndx === textSec.index && ((sym.bind === ElfConst.STB_LOCAL && sym.type === ElfConst.STT_SECTION)
        || ((sym.bind === ElfConst.STB_GLOBAL || sym.bind === ElfConst.STB_WEAK) && sym.type === ElfConst.STT_FUNC))) {
      if (sym.value % 8 !== 0 || insn.imm % 8 !== 0) return bad(`${where}: subprogram address relocation at unaligned offset ${sym.value}+${insn.imm}`);
      return { type: 'subprogAddr' };
    }
    if (mapsSec && sym.shndx === mapsSec.index) {
      const map = mapsByOffset.get(sym.value);
      if (map === undefined) return bad(`${where}: no map at offset ${sym.value} of .maps for '${symName}'`);
      return { type: 'map', map };
    }
    const data = dataMaps.get(sym.shndx);
    if (data === undefined) return bad(`${where}: relocation against '${symName}' in section ${sectionName(sym.shndx)}, which is neither .maps nor global data`);
    return { type: 'data', map: data };
  }

  // libbpf bpf_object__relocate: ld_imm64 of a subprogram becomes BPF_PSEUDO_FUNC before linking, so the
  // linker recognizes it.
  for (const f of funcs) for (const r of f.relocs) if (r.kind.type === 'subprogAddr') f.insns[r.insn]!.src = PseudoLd.Func;

  // .BTF.ext records of a section sorted by instruction (stably: clang writes them sorted already), so a
  // function's records are found by binary search instead of a scan of the section's list per function.
  const sortedLines = new Map<string, BtfExtLine[]>();
  const sortedCore = new Map<string, BtfExtCoreReloc[]>();
  const inFunc = <T extends { insn: number }>(sorted: Map<string, T[]>, bySection: Map<string, T[]> | undefined, f: Func): T[] => {
    let list = sorted.get(f.section.name);
    if (!list) sorted.set(f.section.name, (list = [...(bySection?.get(f.section.name) ?? [])].sort((a, b) => a.insn - b.insn)));
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid]!.insn < f.start) lo = mid + 1;
      else hi = mid;
    }
    const out: T[] = [];
    for (let i = lo; i < list.length && list[i]!.insn < f.start + f.count; i++) out.push(list[i]!);
    return out;
  };
  // A function's first relocation at each of its instructions.
  const relocIndex = new Map<Func, Map<number, Func['relocs'][number]>>();
  const relocAt = (f: Func, insn: number): Func['relocs'][number] | undefined => {
    let index = relocIndex.get(f);
    if (!index) {
      relocIndex.set(f, (index = new Map()));
      for (const r of f.relocs) if (!index.has(r.insn)) index.set(r.insn, r);
    }
    return index.get(insn);
  };

  const programs: ParsedProgram[] = [];
  // Programs in libbpf's order (cmp_progs: by section index, then offset); .text functions are subprograms.
  for (const main of funcs) {
    if (main.section === textSec) continue;
    programs.push(linkProgram(main));
  }

  function linkProgram(main: Func): ParsedProgram {
    const rawSection = main.section.name;
    const autoload = !rawSection.startsWith('?');
    const section = autoload ? rawSection : rawSection.slice(1);
    const { type, expectedAttachType, progFlags } = sectionProgramType(section);
    const insns: Insn[] = [];
    const relocs: Reloc[] = [];
    const lines = new Map<number, { file: string; line: number; text: string }>();
    let funcInfo: ParsedProgram['funcInfo'];
    let lineInfo: ParsedProgram['lineInfo'];
    let loadRefusal: string | undefined;
    const functions: ParsedProgram['functions'] = [];
    const coreRelocs: NonNullable<ParsedProgram['coreRelocs']> = [];
    const placed = new Map<Func, number>();

    // libbpf bpf_object__append_subprog_code: copy the function's code to the end, with its relocations,
    // line info and CO-RE relocations moved by its new position.
    const append = (f: Func): number => {
      const at = insns.length;
      placed.set(f, at);
      for (const i of f.insns) insns.push({ ...i });
      functions.push({ name: f.name, start: at, global: f.bind === ElfConst.STB_GLOBAL });
      for (const l of inFunc(sortedLines, btfExt?.lineInfo, f)) lines.set(at + l.insn - f.start, { file: l.file, line: l.line, text: l.text });
      // libbpf reloc_prog_func_and_line_info: the main function's records or none at all; then each
      // appended function's, which it must have once the main one had some.
      const funcs = btfInfoOf(btfExt?.funcInfo, f, at);
      if (f === main) funcInfo = funcs?.map(({ insn, typeId }) => ({ insn, typeId }));
      else if (funcInfo && !funcs) loadRefusal ??= `prog '${f.name}': missing .BTF.ext function info`;
      else if (funcInfo) funcInfo.push(...funcs!.map(({ insn, typeId }) => ({ insn, typeId })));
      const lineRecords = btfInfoOf(btfExt?.lineInfo, f, at);
      if (f === main) lineInfo = lineRecords?.map(({ insn, namesValid }) => ({ insn, namesValid }));
      else if (lineInfo && !lineRecords) loadRefusal ??= `prog '${f.name}': missing .BTF.ext line info`;
      else if (lineInfo) lineInfo.push(...lineRecords!.map(({ insn, namesValid }) => ({ insn, namesValid })));
      for (const c of inFunc(sortedCore, btfExt?.coreRelocs, f)) coreRelocs.push({ insn: at + c.insn - f.start, typeId: c.typeId, accessStr: c.accessStr, kind: c.kind });
      for (const r of f.relocs) applyReloc(at + r.insn, r);
      return at;
    };

    // libbpf bpf_object__relocate_data, minus the file descriptors: the instruction is marked the way the
    // kernel expects it (src_reg), and the Reloc says which map/kfunc/extern the engine must fill in.
    const applyReloc = (at: number, r: Func['relocs'][number]): void => {
      const insn = insns[at]!;
      const next = insns[at + 1];
      const k = r.kind;
      switch (k.type) {
        case 'map':
          insn.src = PseudoLd.MapFd;
          insn.imm = 0;
          relocs.push({ kind: 'map', insn: at, map: k.map });
          break;
        case 'data': {
          // RELO_DATA: sym_off = st_value; the address is insn.imm + st_value into the section (for a
          // section symbol st_value is 0 and imm holds the variable's offset; for a variable symbol imm is 0).
          const offset = insn.imm + r.sym.value;
          if (!next) fail(`program '${main.name}': ld_imm64 at ${at} has no second half`);
          insn.src = PseudoLd.MapValue;
          insn.imm = 0;
          next!.imm = offset;
          relocs.push({ kind: 'mapValue', insn: at, map: k.map, offset });
          break;
        }
        case 'externCall':
          // RELO_EXTERN_CALL: the kernel wants BPF_PSEUDO_KFUNC_CALL and the kfunc's BTF id in imm.
          insn.src = CallKind.Kfunc;
          insn.imm = 0;
          insn.off = 0;
          relocs.push({ kind: 'kfunc', insn: at, name: k.ext.name, weak: k.ext.weak });
          break;
        case 'externLd':
          if (k.ext.kind === 'kconfig') {
            // RELO_EXTERN_LD of a kconfig variable: an address in the `.kconfig` map (bpf_object__relocate_data).
            insn.src = PseudoLd.MapValue;
            insn.imm = 0;
            if (next) next.imm = k.ext.offset;
            relocs.push({ kind: 'extern', insn: at, name: k.ext.name, externKind: 'kconfig', map: internalMapName(name, '.kconfig'), offset: k.ext.offset });
          } else {
            relocs.push({ kind: 'extern', insn: at, name: k.ext.name, externKind: 'ksym' });
          }
          break;
        case 'call': case 'subprogAddr':
          break; // linked below
      }
    };

    // libbpf bpf_object__reloc_code: walk the function's calls (and callback addresses), appending each
    // called function the first time, recursively, then point the call at the copy.
    const relink = (f: Func): void => {
      const base = placed.get(f)!;
      for (let i = 0; i < f.count; i++) {
        const insn = insns[base + i]!;
        const isSubCall = insn.code === CALL && insn.src === CallKind.Local && insn.dst === 0 && insn.off === 0;
        const isPseudoFunc = insn.code === LD_IMM64 && insn.src === PseudoLd.Func;
        if (!isSubCall && !isPseudoFunc) continue;
        const r = relocAt(f, i);
        if (r && r.kind.type === 'externCall') continue; // kfunc: patched by relocation, not linked
        let targetSec: number;
        let targetInsn: number;
        if (r && r.kind.type === 'call') {
          // Global function: st_value is its offset, imm = -1. Static: the section symbol (st_value 0)
          // and imm = its index - 1. Either way: st_value / 8 + imm + 1.
          targetSec = r.sym.shndx;
          targetInsn = r.sym.value / 8 + f.insns[i]!.imm + 1;
        } else if (r && r.kind.type === 'subprogAddr') {
          targetSec = r.sym.shndx;
          targetInsn = (r.sym.value + f.insns[i]!.imm) / 8;
        } else if (r) {
          return fail(`program '${main.name}': unexpected relocation on call at insn ${i} of '${f.name}'`, RELOC_ERRNO);
        } else if (isPseudoFunc) {
          return fail(`program '${main.name}': callback address at insn ${i} of '${f.name}' has no relocation`, RELOC_ERRNO);
        } else {
          // A call within one section needs no relocation: imm is relative to the call itself.
          targetSec = f.section.index;
          targetInsn = f.start + i + insn.imm + 1;
        }
        const target = funcAt(targetSec, targetInsn);
        if (!target) return fail(`program '${main.name}': call at insn ${i} of '${f.name}' targets instruction ${targetInsn} of section ${sectionName(targetSec)}, which is in no function`, RELOC_ERRNO);
        if (targetInsn !== target.start) return fail(`program '${main.name}': call at insn ${i} of '${f.name}' targets the middle of '${target.name}'`, RELOC_ERRNO);
        if (!placed.has(target)) {
          append(target);
          relink(target);
        }
        insns[base + i]!.imm = placed.get(target)! - (base + i) - 1;
      }
    };

    append(main);
    relink(main);
    const prog: ParsedProgram = { name: main.name, section, type, expectedAttachType, progFlags, autoload, insns, relocs, lines, functions };
    if (funcInfo) prog.funcInfo = funcInfo;
    if (lineInfo) prog.lineInfo = lineInfo;
    if (loadRefusal) prog.loadRefusal = loadRefusal;
    // libbpf bpf_object__relocate_core: CO-RE is applied against a kernel's types, by the engine that
    // loads the program (the emulator: emulator/programs/core.ts); the spec keeps the relocations.
    if (coreRelocs.length > 0) prog.coreRelocs = coreRelocs;
    return prog;
  }

  if (mapsSec) collectMapSlots(elf, mapsSec, btfMaps, funcs.filter((f) => f.section !== textSec), fail);
  const out: ParsedObject = { name, license, programs, maps };
  // libbpf bpf_object__init_btf skips func_info and line_info records under a name it cannot read;
  // bpf_object__relocate_core fails on CO-RE records under one.
  if (btfExt?.badSectionName === 'core_relo') out.loadRefusal = '.BTF.ext: a core_relo section name lies past the BTF strings';
  if (btf) {
    out.btf = elf.sectionByName('.BTF')!.data.slice();
    const kconfigOffsets = new Map([...externs.values()].filter((e) => e.kind === 'kconfig').map((e) => [e.name, e.offset]));
    out.kernelBtf = libbpfLoadedBtf(elf, out.btf, kconfigOffsets);
  }
  if (btf) out.types = btf;
  const variables = [...externs.values()].filter((e) => !e.func).map(({ func: _func, ...e }) => {
    delete (e as { align?: number }).align;
    return e;
  });
  if (variables.length > 0) out.externs = variables;
  return out;
}

/**
 * libbpf src/libbpf.c adjust_prog_btf_ext_info: the records of function `f`'s section, in their order, from
 * the first inside the function to the last before the first past it, renumbered for the function placed
 * at `at`; undefined (libbpf: -ENOENT) when none is inside it.
 */
function btfInfoOf<T extends { insn: number }>(bySection: Map<string, T[]> | undefined, f: Func, at: number): T[] | undefined {
  const records = bySection?.get(f.section.name);
  if (!records) return undefined;
  let first = -1;
  let last = -1;
  for (let i = 0; i < records.length; i++) {
    const insn = records[i]!.insn;
    if (insn < f.start) continue;
    if (insn >= f.start + f.count) break;
    if (first < 0) first = i;
    last = i;
  }
  return first < 0 ? undefined : records.slice(first, last + 1).map((r) => ({ ...r, insn: r.insn - f.start + at }));
}

/**
 * libbpf src/libbpf.c bpf_object__init_btf, for the `.BTF` parseObject has read: an object that needs BTF
 * (libbpf_needs_btf: a `.maps` section; bpfkit has no struct_ops) and has none is ENOENT. A `.BTF.ext`
 * whose layout does not parse is dropped ("Error loading ELF section") and the object opens without it,
 * unless the object needs BTF: then opening fails with EINVAL.
 */
function initBtf(elf: ElfFile, btf: Btf | undefined, needed: boolean, fail: (m: string, errno?: number) => never): BtfExt | undefined {
  // libbpf's words (bpf_object__init_btf's pr_warn), so both engines say the same.
  if (!btf) return needed ? fail('BTF is required, but is missing or corrupted.', ENOENT) : undefined;
  const extSec = elf.sectionByName('.BTF.ext');
  if (!extSec) return undefined;
  try {
    return parseBtfExt(extSec.data, btf);
  } catch (e) {
    if (!(e instanceof BtfFormatError)) throw e;
    return needed ? fail(`BTF is required (.maps), but .BTF.ext is corrupted: ${e.message}`, EINVAL) : undefined;
  }
}

/**
 * libbpf src/libbpf.c btf_fixup_datasec (bpf_object_fixup_btf, before maps are read): clang leaves
 * DATASEC sizes and variable offsets zero, so they come from the ELF section size and each variable's
 * global symbol; a hidden/internal symbol makes its VAR static; then the vars are sorted by offset. The
 * extern sections (.kconfig, .ksyms) are only sorted. The decoded Btf is fixed in place; the raw `.BTF`
 * bytes kept in ParsedObject.btf are not.
 */
export function fixupDatasecs(btf: Btf, elf: ElfFile, fail: (m: string, errno?: number) => never): void {
  // The first global or weak STT_OBJECT symbol of a name (libbpf find_elf_var_sym). The table is scanned
  // once, remembering what it passed, and never past the match: the names read are those libbpf reads.
  const objects = new Map<string, ElfSymbol>();
  let scanned = 0;
  const objectSymbol = (name: string): ElfSymbol | undefined => {
    const known = objects.get(name);
    if (known) return known;
    while (scanned < elf.symbols.length) {
      const y = elf.symbols[scanned++]!;
      if (y.type !== ElfConst.STT_OBJECT || (y.bind !== ElfConst.STB_GLOBAL && y.bind !== ElfConst.STB_WEAK)) continue;
      let yName: string;
      try {
        yName = y.name;
      } catch (e) {
        // find_elf_var_sym cannot read it (-EIO), and btf_fixup_datasec answers -ENOENT.
        if (!(e instanceof ObjectFormatError)) throw e;
        return fail(`BTF variable '${name}': an ELF symbol's name cannot be read`, ENOENT);
      }
      if (!objects.has(yName)) objects.set(yName, y);
      if (yName === name) return y;
    }
    return undefined;
  };
  for (const t of btf.types) {
    if (t.kind !== BtfKind.Datasec) continue;
    const sec = t as BtfDatasec;
    if (sec.name !== '.kconfig' && sec.name !== '.ksyms') {
      let fixOffsets = false;
      if (sec.size === 0) {
        const elfSec = elf.sectionByName(sec.name);
        if (!elfSec || elfSec.size === 0) fail(`BTF DATASEC '${sec.name}' has no size, and no ELF section gives it one`, ENOENT);
        sec.size = elfSec!.size;
        fixOffsets = true;
      }
      for (const vsi of sec.vars) {
        const v = btf.type(vsi.type);
        if (v.kind !== BtfKind.Var) fail(`BTF DATASEC '${sec.name}' holds a non-VAR type ${vsi.type}`, EINVAL);
        const variable = v as BtfVar;
        if (variable.linkage === BtfVarLinkage.Static || variable.linkage === BtfVarLinkage.GlobalExtern) continue;
        const sym = objectSymbol(variable.name);
        if (!sym) fail(`BTF DATASEC '${sec.name}': no ELF symbol for variable '${variable.name}'`, ENOENT);
        if (fixOffsets) vsi.offset = sym!.value;
        if (sym!.visibility === ElfConst.STV_HIDDEN || sym!.visibility === ElfConst.STV_INTERNAL) variable.linkage = BtfVarLinkage.Static;
      }
    }
    sec.vars.sort((a, b) => a.offset - b.offset);
  }
}

/**
 * The name libbpf's bpf_object__collect_prog_relos gives a relocation's symbol: its section's for a
 * nameless STT_SECTION symbol, and "<?" where the name cannot be read.
 */
function relocSymbolName(sym: ElfSymbol, sectionName: (index: number) => string): string {
  try {
    return sym.type === ElfConst.STT_SECTION && sym.name === '' ? sectionName(sym.shndx) : sym.name;
  } catch (e) {
    if (!(e instanceof ObjectFormatError)) throw e;
    return '<?';
  }
}

/**
 * libbpf bpf_object__add_programs marks a global .text function with hidden visibility mark_btf_static, and
 * bpf_object__sanitize_and_load_btf then gives its FUNC static linkage: the kernel verifies it with its
 * callers, not on its own.
 */
function markHiddenFunctionsStatic(btf: Btf, elf: ElfFile): void {
  for (const s of elf.symbols) {
    if (s.type !== ElfConst.STT_FUNC || s.bind === ElfConst.STB_LOCAL) continue;
    if (s.visibility !== ElfConst.STV_HIDDEN && s.visibility !== ElfConst.STV_INTERNAL) continue;
    if (elf.sections[s.shndx]?.name !== '.text') continue;
    const f = btf.findByName(s.name, BtfKind.Func) as { linkage: number } | undefined;
    if (f && f.linkage === BtfFuncLinkage.Global) f.linkage = BtfFuncLinkage.Static;
  }
}

/**
 * libbpf src/libbpf.c sym_is_extern (undefined, global or weak, no type), for a symbol whose name can be
 * read and is not empty: bpf_object__collect_externs skips the others.
 */
function isExternSym(sym: ElfSymbol): boolean {
  if (sym.shndx !== ElfConst.SHN_UNDEF || (sym.bind !== ElfConst.STB_GLOBAL && sym.bind !== ElfConst.STB_WEAK) || sym.type !== ElfConst.STT_NOTYPE) return false;
  try {
    return sym.name !== '';
  } catch (e) {
    if (!(e instanceof ObjectFormatError)) throw e;
    return false;
  }
}

/**
 * libbpf src/libbpf.c bpf_object__collect_externs: each extern symbol is a BTF VAR or FUNC of extern
 * linkage, in DATASEC `.kconfig` or `.ksyms`. kconfig variables are laid out in a `.kconfig` map sorted
 * by alignment (descending), size (ascending) and name (cmp_externs).
 */
function collectExterns(elf: ElfFile, btf: Btf | undefined, fail: (m: string, errno?: number) => never): Map<number, Extern> {
  const out = new Map<number, Extern & { align: number }>();
  const syms = elf.symbols.filter(isExternSym);
  if (syms.length === 0) return out;
  // find_extern_btf_id: ESRCH without BTF, ENOENT for a name it lacks, EINVAL for one that is not extern.
  if (!btf) return fail(`extern '${syms[0]!.name}' needs BTF to be described`, ESRCH);
  // The first VAR or FUNC of each name, and the first DATASEC holding each VAR/FUNC id, indexed once.
  const byName = new Map<string, BtfTypeInfo>();
  const datasecOf = new Map<number, BtfDatasec>();
  for (const x of btf.types) {
    if ((x.kind === BtfKind.Var || x.kind === BtfKind.Func) && !byName.has(x.name)) byName.set(x.name, x);
    if (x.kind === BtfKind.Datasec) for (const v of (x as BtfDatasec).vars) if (!datasecOf.has(v.type)) datasecOf.set(v.type, x as BtfDatasec);
  }
  const externSecs: BtfDatasec[] = [];
  for (const sym of syms) {
    const t = byName.get(sym.name);
    if (!t) fail(`no BTF for extern '${sym.name}'`, ENOENT);
    const isVar = t!.kind === BtfKind.Var;
    const weak = sym.bind === ElfConst.STB_WEAK;
    if (isVar && (t as BtfVar).linkage !== BtfVarLinkage.GlobalExtern) fail(`BTF var '${sym.name}' is not extern`, EINVAL);
    if (!isVar && (t as { linkage: number }).linkage !== BtfFuncLinkage.Extern) fail(`BTF func '${sym.name}' is not extern`, EINVAL);
    const sec = datasecOf.get(t!.id);
    if (!sec) fail(`extern '${sym.name}' is in no BTF DATASEC (.kconfig or .ksyms)`, ENOENT);
    externSecs.push(sec!);
    if (sec!.name === '.kconfig') {
      if (!isVar) fail(`extern function '${sym.name}' cannot be in .kconfig`, EOPNOTSUPP);
      const typeId = (t as BtfVar).type;
      const kcfg = kcfgTypeOf(btf, typeId);
      // libbpf bpf_object__collect_externs: "extern (kcfg) '%s': type is unsupported"
      if (kcfg.type === 'unknown') fail(`extern (kcfg) '${sym.name}': type is unsupported`, EOPNOTSUPP);
      out.set(sym.index, { name: sym.name, kind: 'kconfig', func: false, weak, offset: 0, size: btf.sizeOf(typeId), align: btf.alignOf(typeId), kcfg });
    } else if (sec!.name === '.ksyms') {
      // A ksym function is a kfunc (linked by name); a variable is resolved against kernel symbols.
      const typeless = isVar && (t as BtfVar).type === 0;
      out.set(sym.index, { name: sym.name, kind: 'ksym', func: !isVar, weak, offset: 0, size: 0, align: 0, ...(isVar ? { typeless } : {}) });
    } else {
      fail(`extern '${sym.name}' is in unrecognized section '${sec!.name}'`, EOPNOTSUPP);
    }
  }
  // Every VAR or FUNC of a DATASEC that holds an extern is one of the object's externs (libbpf: "failed to
  // find extern definition for BTF ...", ESRCH).
  const names = new Set([...out.values()].map((e) => e.name));
  for (const sec of new Set(externSecs)) {
    for (const v of sec.vars) {
      const t = btf.type(v.type);
      if (!names.has(t.name)) fail(`extern ${t.kind === BtfKind.Func ? 'function' : 'variable'} '${t.name}' of BTF DATASEC '${sec.name}' has no ELF symbol`, ESRCH);
    }
  }
  const kcfg = [...out.values()].filter((e) => e.kind === 'kconfig')
    .sort((a, b) => b.align - a.align || a.size - b.size || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let off = 0;
  for (const e of kcfg) {
    e.offset = Math.ceil(off / e.align) * e.align;
    off = e.offset + e.size;
  }
  return out;
}

/**
 * libbpf src/libbpf.c bpf_object__init_user_btf_maps / parse_btf_map_def: each VAR of DATASEC `.maps` is a
 * struct whose members say what the map is. `__uint(name, N)` is `int (*name)[N]` (N = the array's
 * nelems); `__type(name, T)` is `T *name` (size and BTF id of T).
 */
function parseBtfMaps(btf: Btf, mapsSec: ElfSection, fail: (m: string, errno?: number) => never): BtfMap[] {
  const sec = btf.findByName('.maps', BtfKind.Datasec) as BtfDatasec | undefined;
  if (!sec) return fail("DATASEC '.maps' not found in BTF", ENOENT);
  const out: BtfMap[] = [];
  // bpf_object__init_user_btf_map, in its order; every fault is EINVAL but where said.
  for (const vi of sec.vars) {
    const v = btf.type(vi.type);
    const mapName = v.name;
    if (mapName === '') fail('a map in .maps has no name', EINVAL);
    if (vi.offset + vi.size > mapsSec.size) fail(`map '${mapName}': BTF says it runs past the .maps section`, EINVAL);
    if (v.kind !== BtfKind.Var) fail(`.maps entry '${mapName}' is ${v.kind}, not a VAR`, EINVAL);
    if ((v as BtfVar).linkage !== BtfVarLinkage.GlobalAllocated) {
      fail(`map '${mapName}': unsupported linkage ${(v as BtfVar).linkage} (maps must be global, not static or extern)`, EOPNOTSUPP);
    }
    const def = btf.resolve((v as BtfVar).type);
    if (def.kind !== BtfKind.Struct) fail(`map '${mapName}': definition is not a struct`, EINVAL);
    if ((def as BtfComposite).size > vi.size) fail(`map '${mapName}': definition of ${(def as BtfComposite).size} bytes is larger than its variable (${vi.size})`, EINVAL);
    const members = (def as BtfComposite).members;
    const last = members[members.length - 1];
    const valuesAt = last?.name === 'values' ? Math.floor(last.bitOffset / 8) : undefined;
    out.push({ offset: vi.offset, size: vi.size, valuesAt, def: parseMapDef(btf, mapName, def as BtfComposite, fail) });
  }
  return out;
}

/** A map of `.maps`: where its variable sits in the section, and its `values` member's offset in it. */
interface BtfMap {
  offset: number;
  size: number;
  valuesAt: number | undefined;
  def: MapDef;
}

/**
 * libbpf src/libbpf.c bpf_object__collect_map_relos: each relocation of `.rel.maps` puts a program in a prog
 * array's `values` slot or a map in a map-in-map's (`__array(values, ...)` with `[i] = &prog` / `&map`), slot
 * i at values + 8 × i.
 */
function collectMapSlots(elf: ElfFile, mapsSec: ElfSection, maps: BtfMap[], entries: Func[], fail: (m: string, errno?: number) => never): void {
  const rs = elf.sections.find((s) => s.type === ElfConst.SHT_REL && s.info === mapsSec.index && !libbpfIgnores(s, s.name));
  if (!rs) return;
  elf.relocations(rs).forEach((rel, i) => {
    const sym = elf.symbols[rel.symbol];
    const name = sym?.name ?? '<?>';
    const offset = rel.offset ?? -1;
    const map = maps.find((m) => m.offset <= offset && offset + 8 <= m.offset + m.size);
    if (!map) return fail(`.maps relo #${i}: cannot find map '${name}' at rel->r_offset ${offset}`, EINVAL);
    const def = map.def;
    const mapInMap = def.type === KernelMapType.ArrayOfMaps || def.type === KernelMapType.HashOfMaps;
    if (mapInMap) {
      if (sym?.shndx !== mapsSec.index) return fail(`.maps relo #${i}: '${name}' isn't a BTF-defined map`, RELOC_ERRNO);
      if (def.type === KernelMapType.HashOfMaps && def.keySize !== 4) return fail(`.maps relo #${i}: hash-of-maps '${def.name}' should have key size 4`, EINVAL);
      if (!maps.some((m) => m.def.name === name)) return fail(`.maps relo #${i}: '${name}' isn't a valid map`, ESRCH);
    } else if (def.type !== KernelMapType.ProgArray) {
      return fail(`.maps relo #${i}: map '${def.name}' is not a prog array or a map-in-map`, EINVAL);
    } else {
      const prog = entries.find((f) => f.name === name);
      if (!prog) return fail(`.maps relo #${i}: '${name}' isn't a valid program`, ESRCH);
      if (prog.section.index !== sym!.shndx || prog.start * 8 !== sym!.value) return fail(`.maps relo #${i}: '${name}' isn't an entry-point program`, RELOC_ERRNO);
    }
    if (map.valuesAt === undefined) return fail(`.maps relo #${i}: map '${def.name}' has no 'values' member last`, EINVAL);
    const at = offset - map.offset - map.valuesAt;
    if (at < 0 || at % 8 !== 0) return fail(`.maps relo #${i}: '${name}' is not at a values slot of map '${def.name}'`, EINVAL);
    (def.slots ??= []).push(mapInMap ? { index: at / 8, map: name } : { index: at / 8, program: name });
  });
}

/**
 * libbpf src/libbpf.c parse_btf_map_def: the members of a map's definition struct. `__uint(name, N)` is
 * `int (*name)[N]` (N = the array's nelems); `__type(name, T)` is `T *name` (size and BTF id of T). Every
 * fault is EINVAL but where said; the inner definition of a map-in-map is checked for its shape only.
 */
function parseMapDef(btf: Btf, mapName: string, def: BtfComposite, fail: (m: string, errno?: number) => never): MapDef {
  const m: MapDef = {
    name: mapName, type: 0, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0, numaNode: 0, pinning: 0, locks: [],
    internal: false, btfKeyTypeId: 0, btfValueTypeId: 0,
  };
  const intField = (member: { name: string; type: number }): number => {
    const p = btf.resolve(member.type);
    if (p.kind !== BtfKind.Ptr) return fail(`map '${mapName}': attr '${member.name}': expected a pointer to an array`, EINVAL);
    const arr = btf.type((p as { type: number }).type);
    if (arr.kind !== BtfKind.Array) return fail(`map '${mapName}': attr '${member.name}': expected a pointer to an array`, EINVAL);
    return (arr as { nelems: number }).nelems;
  };
  const typeField = (member: { name: string; type: number }): { size: number; id: number } => {
    const p = btf.type(member.type);
    if (p.kind !== BtfKind.Ptr) return fail(`map '${mapName}': ${member.name} spec is not a pointer`, EINVAL);
    const id = (p as { type: number }).type;
    return { size: btf.sizeOf(id), id };
  };
  const setSize = (field: 'keySize' | 'valueSize', size: number): void => {
    if (m[field] !== 0 && m[field] !== size) fail(`map '${mapName}': conflicting ${field === 'keySize' ? 'key' : 'value'} size ${m[field]} != ${size}`, EINVAL);
    m[field] = size;
  };
  def.members.forEach((member, i) => {
    switch (member.name) {
      case 'type': m.type = intField(member); break;
      case 'max_entries': m.maxEntries = intField(member); break;
      case 'map_flags': m.flags = intField(member); break;
      case 'numa_node': m.numaNode = intField(member); break;
      case 'key_size': setSize('keySize', intField(member)); break;
      case 'value_size': setSize('valueSize', intField(member)); break;
      case 'key': { const t = typeField(member); setSize('keySize', t.size); m.btfKeyTypeId = t.id; break; }
      case 'value': { const t = typeField(member); setSize('valueSize', t.size); m.btfValueTypeId = t.id; break; }
      case 'pinning': {
        const p = intField(member);
        if (p !== 0 && p !== 1) fail(`map '${mapName}': invalid pinning value ${p}`, EINVAL);
        m.pinning = p;
        break;
      }
      case 'values': {
        // Map-in-map / prog array: the value is a 4-byte fd or id, described by a zero-sized array of pointers.
        const mapInMap = m.type === KernelMapType.ArrayOfMaps || m.type === KernelMapType.HashOfMaps;
        if (i !== def.members.length - 1) fail(`map '${mapName}': 'values' member should be last`, EINVAL);
        if (!mapInMap && m.type !== KernelMapType.ProgArray) fail(`map '${mapName}': 'values' needs a map-in-map or a prog array`, EOPNOTSUPP);
        setSize('valueSize', 4);
        const arr = btf.type(member.type);
        if (arr.kind !== BtfKind.Array || (arr as { nelems: number }).nelems !== 0) fail(`map '${mapName}': 'values' is not a zero-sized array`, EINVAL);
        const ptr = btf.resolve((arr as { type: number }).type);
        if (ptr.kind !== BtfKind.Ptr) fail(`map '${mapName}': 'values' is not an array of pointers`, EINVAL);
        const inner = btf.resolve((ptr as { type: number }).type);
        if (inner.kind !== (mapInMap ? BtfKind.Struct : BtfKind.FuncProto)) fail(`map '${mapName}': 'values' points to a ${inner.kind}`, EINVAL);
        // libbpf parse_btf_map_def(..., is_inner): the inner maps' template, created as '<map>.inner'.
        if (mapInMap) m.inner = parseMapDef(btf, `${mapName}.inner`, inner as BtfComposite, fail);
        break;
      }
      // `__uint(map_extra, N)`: read as a u32 by the libbpf this machine has (1.1's get_map_field_int).
      case 'map_extra': m.mapExtra = intField(member); break;
      default:
        // strict mode (libbpf's default) refuses unknown attributes.
        fail(`map '${mapName}': unknown attribute '${member.name}'`, EOPNOTSUPP);
    }
  });
  if (m.type === 0) fail(`map '${mapName}': map type isn't specified`, EINVAL);
  if (m.btfValueTypeId !== 0) {
    m.locks = locksOf(btf, m.btfValueTypeId);
    const kptrs = kptrsOf(btf, m.btfValueTypeId);
    if (kptrs.length > 0) m.kptrs = kptrs;
  }
  return m;
}

/**
 * The lock fields the kernel will find in a map's value. libbpf does not look for them; a value that holds
 * itself makes BPF_BTF_LOAD refuse the object's BTF, and libbpf then creates the map without BTF: no locks.
 */
function locksOf(btf: Btf, valueTypeId: number): LockField[] {
  try {
    return btf.findLocks(valueTypeId);
  } catch (e) {
    if (e instanceof BtfLoopError) return [];
    throw e;
  }
}

/** The kptr fields of a map's value (none where its BTF loops, as locksOf). */
function kptrsOf(btf: Btf, valueTypeId: number): KptrField[] {
  try {
    return kptrFields(btf, valueTypeId);
  } catch (e) {
    if (e instanceof BtfLoopError) return [];
    throw e;
  }
}

/**
 * libbpf src/libbpf.c bpf_object__init_internal_map: a one-element ARRAY whose value is the section.
 * .rodata is BPF_F_RDONLY_PROG (and frozen after load); any non-static variable in the section's DATASEC
 * makes it BPF_F_MMAPABLE (map_is_mmapable), found by name (map_fill_btf_type_info).
 */
function globalDataMap(objName: string, s: ElfSection, kind: 'data' | 'rodata' | 'bss', btf: Btf | undefined): MapDef {
  const datasec = btf?.findByName(s.name, BtfKind.Datasec) as BtfDatasec | undefined;
  const mmapable = datasec?.vars.some((v) => {
    const t = btf!.type(v.type);
    return t.kind === BtfKind.Var && (t as BtfVar).linkage !== BtfVarLinkage.Static;
  }) ?? false;
  const valueType = datasec?.id ?? 0;
  return {
    name: internalMapName(objName, s.name),
    type: MapType.Array,
    keySize: 4,
    valueSize: s.size,
    maxEntries: 1,
    flags: (kind === 'rodata' ? MapFlags.RdonlyProg : 0) | (mmapable ? MapFlags.Mmapable : 0),
    numaNode: 0,
    pinning: 0,
    locks: valueType !== 0 ? btf!.findLocks(valueType) : [],
    internal: true,
    // A .bss's data is already a fresh zero buffer (elf/reader.ts), refused there when it is absurdly large.
    initial: kind === 'bss' ? s.data : s.data.slice(),
    ...(kind === 'rodata' ? { readonly: true } : {}),
    btfKeyTypeId: 0,
    btfValueTypeId: valueType,
  };
}
