// The emulator's load-time checks, run on every program before it is linked: what the kernel's verifier
// (kernel/bpf/verifier.c) would refuse, with the verifier's own messages, so a test written against the
// kernel sees the same BpfVerifierError on the emulator. Each rule family lives in its own file here.
import type { Insn, Reloc } from '../programs/types.js';
import { checkStructure } from './structure.js';
import { checkLocks } from './locks.js';
import { refusalAt } from '../kernel-version.js';

/** A map as the checker sees it (an object's map definition, or a raw program's map by index). */
export interface CheckedMap {
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  flags: number;
  /** The map was created with BTF for its value (lock fields need it). */
  hasBtf: boolean;
  /** bpf_spin_lock / bpf_res_spin_lock fields of the value. */
  locks: readonly { kind: 'spin' | 'res'; offset: number }[];
}

/** One program to check: its instructions before linking (map references still symbolic). */
export interface CheckInput {
  name: string;
  /** enum bpf_prog_type */
  type: number;
  insns: readonly Insn[];
  /** Object programs: map/kfunc/extern relocations by instruction. Raw programs: none. */
  relocs: readonly Reloc[];
  /** Subprogram entries when known (object programs, from BTF func_info); raw programs: []. */
  functions: readonly { name: string; start: number; global: boolean }[];
  /** Resolves an ld_imm64 map reference: by name (object relocation) or by index (BPF_PSEUDO_MAP_IDX*). */
  mapOf(ref: { name?: string; index?: number }): CheckedMap | undefined;
  /** The kernel version whose words and errnos a refusal takes ('6.1'); default 6.18, the checker's own. */
  kernelVersion?: string;
}

/** A refusal: the verifier's log (its last line is the reason) and the errno BPF_PROG_LOAD returns. */
export interface CheckFailure {
  errno: number;
  log: string;
}

type Checker = (input: CheckInput) => CheckFailure | undefined;

/** Rule families, in the order the kernel meets them (structure before data flow). */
const checkers: Checker[] = [checkStructure, checkLocks];

export function checkProgram(input: CheckInput): CheckFailure | undefined {
  for (const check of checkers) {
    const failure = check(input);
    if (failure) return input.kernelVersion === undefined ? failure : failureAt(input.kernelVersion, failure);
  }
  return undefined;
}

/** The checkers speak 6.18; an older kernel words some refusals differently (kernel-version.ts refusalAt). */
function failureAt(version: string, failure: CheckFailure): CheckFailure {
  const lines = failure.log.replace(/\n$/, '').split('\n');
  // The reason is the last line, or the last two for the verifier's two-line messages.
  for (const n of [2, 1]) {
    if (lines.length < n) continue;
    const reason = lines.slice(-n).join('\n');
    const r = refusalAt(version, { reason, errno: failure.errno });
    if (r.reason !== reason || r.errno !== failure.errno) return { errno: r.errno, log: `${[...lines.slice(0, -n), r.reason].join('\n')}\n` };
  }
  return failure;
}
