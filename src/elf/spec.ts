// An object's spec, as data: what the parser (object.ts) reads out of a `.bpf.o`, engine-neutral and
// deterministic (cilium/ebpf's CollectionSpec). Nothing here depends on a kernel: CO-RE relocations and
// externs are recorded, and resolved by the engine that loads the object (src/emulator/object.ts).
import type { KptrField } from '../btf/kptrs.js';
import type { ObjectMapSpec } from '../seam/engine.js';
import type { ParsedExtern } from './externs.js';
import type { Insn } from '../uapi/isa.js';
import type { Btf } from '../btf/types.js';


/** Where an instruction of a program must be patched once the object's maps exist. */
export type Reloc =
  /** ld_imm64 of a map (BPF_PSEUDO_MAP_FD): the pointer to the map itself. */
  | { kind: 'map'; insn: number; map: string }
  /** ld_imm64 of an address inside a map's value (BPF_PSEUDO_MAP_VALUE): global data, `offset` bytes in. */
  | { kind: 'mapValue'; insn: number; map: string; offset: number }
  /** call of a kfunc by name (BPF_PSEUDO_KFUNC_CALL). */
  | { kind: 'kfunc'; insn: number; name: string; weak: boolean }
  /** ld_imm64 / load of a `__ksym` / `__kconfig` extern variable. */
  | {
    kind: 'extern'; insn: number; name: string; externKind: 'ksym' | 'kconfig';
    /** kconfig: the variable's byte offset in the `.kconfig` internal map (libbpf ext->kcfg.data_off). */
    offset?: number;
    /** kconfig: that internal map's name (`<obj>.kconfig`). */
    map?: string;
  };

/** A map as the object defines it (BTF `.maps` or a global-data section). */
export interface MapDef extends Omit<ObjectMapSpec, 'lock' | 'internal'> {
  /** As libbpf names it: the variable name for `.maps`; `<obj>.bss`, `<obj>.data`, `<obj>.rodata`, ... */
  name: string;
  numaNode: number;
  /** LIBBPF_PIN_BY_NAME = 1 */
  pinning: number;
  /** Every bpf_spin_lock / bpf_res_spin_lock field of the value, found in BTF. */
  locks: { kind: 'spin' | 'res'; offset: number }[];
  /** The value's kptr fields, found in BTF (btf/kptrs.ts); absent when none. */
  kptrs?: KptrField[];
  /** Global data and .kconfig: libbpf's internal maps. */
  internal: boolean;
  /** Global data: the section's initial bytes (valueSize long; zeros for .bss). */
  initial?: Uint8Array;
  /** .rodata and .rodata.*: frozen after load (libbpf). */
  readonly?: boolean;
  /** BTF ids of key and value in `ParsedObject.btf` (0 when the map has none). */
  btfKeyTypeId: number;
  btfValueTypeId: number;
  /** `__uint(map_extra, N)`: bpf_attr.map_extra (a bloom filter's number of hash functions); absent is 0. */
  mapExtra?: number;
  /**
   * `__array(values, ...)`'s initialiser: the program libbpf puts in each of a prog array's slots after load,
   * or the map in each of a map-in-map's once the maps exist.
   */
  slots?: ({ index: number; program: string } | { index: number; map: string })[];
  /** A map-in-map's template (`__array(values, struct { ... })`): libbpf creates it to create the map. */
  inner?: MapDef;
}

/** One program: its entry function followed by every subprogram it calls (bpf-to-bpf), as libbpf links. */
export interface ParsedProgram {
  /** The C function name. */
  name: string;
  /** The ELF section without a leading '?'. */
  section: string;
  /** enum bpf_prog_type from the section name (libbpf's section table); 0 when unknown. */
  type: number;
  /** enum bpf_attach_type, when the section implies one (e.g. cgroup_skb/ingress). */
  expectedAttachType: number;
  /** BPF_F_* prog_flags libbpf sets for the section (BPF_F_SLEEPABLE for ".s" sections, ...). */
  progFlags: number;
  /** False for libbpf's "?sec" sections (not auto-loaded). */
  autoload: boolean;
  insns: Insn[];
  relocs: Reloc[];
  /** Instruction index → C source line, from .BTF.ext line_info (sparse: only where the compiler put one). */
  lines: Map<number, { file: string; line: number; text: string }>;
  /**
   * The BTF func_info libbpf passes to BPF_PROG_LOAD (bpf_func_info: instruction in `insns`, FUNC type
   * id), none when the main function has no records in .BTF.ext (reloc_prog_func_and_line_info).
   */
  funcInfo?: { insn: number; typeId: number }[];
  /** The line_info libbpf passes likewise: instruction, and whether its file and line strings exist. */
  lineInfo?: { insn: number; namesValid: boolean }[];
  /** Why libbpf's bpf_object__load fails (ENOENT) when it links this program: a function without records. */
  loadRefusal?: string;
  /** Subprogram entry indices within `insns` (bpf-to-bpf call targets), with their names. */
  functions: { name: string; start: number; global: boolean }[];
  /** CO-RE relocations from .BTF.ext, in linked instruction numbering (already applied to `insns`, core.ts). */
  coreRelocs?: { insn: number; typeId: number; accessStr: string; kind: number }[];
}

export interface ParsedObject {
  /** The file's base name without `.bpf.o`/`.o` (libbpf's object name, used in internal map names). */
  name: string;
  license: string;
  programs: ParsedProgram[];
  maps: MapDef[];
  /** The raw `.BTF` section, if any. */
  btf?: Uint8Array;
  /** The BTF libbpf hands BPF_BTF_LOAD (libbpf-btf.ts), when the object has BTF. */
  kernelBtf?: Uint8Array;
  /** `.BTF` decoded, with libbpf's DATASEC fixups applied (fixupDatasecs). */
  types?: Btf;
  /** `__kconfig` / `__ksym` extern variables (not kfuncs), resolved at load (externs.ts). */
  externs?: ParsedExtern[];
  /** Why libbpf's bpf_object__load fails (EINVAL) once the maps exist, before any program is loaded. */
  loadRefusal?: string;
}
