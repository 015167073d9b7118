// What the checker's rule families share: the program to check, the maps it names, and a refusal.
import type { Btf } from '../../btf/types.js';
import type { Reloc } from '../../elf/spec.js';
import type { Insn } from '../../uapi/isa.js';
import type { LocalObjectType } from './local-objects.js';
import type { KptrField } from '../../btf/kptrs.js';

/** A map as the checker sees it (an object's map definition, or a raw program's map by index). */
export interface CheckedMap {
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** The map was created with BTF for its value (lock fields need it). */
  hasBtf: boolean;
  /** bpf_spin_lock / bpf_res_spin_lock fields of the value. */
  locks: readonly { kind: 'spin' | 'res'; offset: number }[];
  /** kptr fields of the value (bpf_kptr_xchg's places), from the map's BTF; none without it. */
  kptrs?: readonly KptrField[];
  /** A map-in-map's template (struct bpf_map inner_map_meta): what a lookup's non-NULL result points to. */
  inner?: CheckedMap;
  /**
   * Not a map: the objects of one struct type that bpf_obj_new allocates (PTR_TO_BTF_ID | MEM_ALLOC), which
   * the lock walk treats as values of this size with these locks (local-objects.ts).
   */
  local?: LocalObjectType;
  /**
   * kernel/bpf/verifier.c bpf_map_is_rdonly (BPF_F_RDONLY_PROG, frozen, no writable mmap): the verifier reads
   * the map's contents as constants through map_direct_value_addr. Its one value (an array of one element,
   * kernel/bpf/arraymap.c array_map_direct_value_addr), or the errno that function gives (ENOTSUPP for an
   * array of more). Absent: reads of the map give unknown scalars.
   */
  directRead?: Uint8Array | number;
}

/** One program to check: its instructions before linking (map references still symbolic). */
export interface CheckInput {
  name: string;
  /** enum bpf_prog_type */
  type: number;
  insns: readonly Insn[];
  /** Object programs: map/kfunc/extern relocations by instruction. Raw programs: none. */
  relocs: readonly Reloc[];
  /**
   * The program comes with BTF func_info (object programs whose .BTF.ext has it, as libbpf passes it).
   * Default: whether `functions` is non-empty (raw programs have neither).
   */
  funcInfo?: boolean;
  /** Subprogram entries when known (object programs, from BTF func_info); raw programs: []. */
  functions: readonly { name: string; start: number; global: boolean }[];
  /** Resolves an ld_imm64 map reference: by name (object relocation) or by index (BPF_PSEUDO_MAP_IDX*). */
  mapOf(ref: { name?: string; index?: number }): CheckedMap | undefined;
  /** The kernel version whose words and errnos a refusal takes ('6.1'); default 6.18, the checker's own. */
  kernelVersion?: string;
  /** The C source line of an instruction (from BTF line_info), for the log's "; text @ file:line". */
  lines?: ReadonlyMap<number, { file: string; line: number; text: string }>;
  /** expected_attach_type (cgroup hooks, sk_lookup, sockopt, ...); default 0. */
  attachType?: number;
  /** The license is GPL-compatible (GPL-only helpers need it); default true. */
  gpl?: boolean;
  /** Loaded with BPF_F_SLEEPABLE. */
  sleepable?: boolean;
  /** BPF_F_* prog_flags (src/uapi/prog-flags.ts) the model honours: strict alignment, a checkpoint at every prune point. */
  progFlags?: number;
  /**
   * The log level asked for (BPF_LOG_LEVEL1 1, BPF_LOG_LEVEL2 2, BPF_LOG_STATS 4, or'ed). 0 (the default):
   * no log for a program that verifies, a level-1 log for one that does not (libbpf retries at level 1).
   */
  logLevel?: number;
  /** The object's BTF: global functions' argument types and func_info FUNC linkage. */
  btf?: Btf;
}

/** A refusal: the verifier's log (its last line is the reason) and the errno BPF_PROG_LOAD returns. */
export interface CheckFailure {
  errno: number;
  log: string;
  /**
   * Not the kernel's verdict but the emulator's limit (ENOTSUPP: a helper it does not run, a path it
   * cannot follow): reported as the emulator's, not as a verifier log. The kernel's own ENOTSUPP refusals
   * ("callback function not allowed for map") leave it unset.
   */
  notEmulated?: true;
}

/** A program every check passed: the verifier's log at the level asked for ('' at level 0). */
export interface Verified {
  errno: 0;
  log: string;
  /**
   * prog->aux->max_ctx_offset: the end of the furthest context access the walk allowed (check_ctx_access).
   * test_run refuses a shorter ctx_in where the context is the caller's buffer (raw_tp, syscall).
   */
  maxCtxOffset: number;
}
