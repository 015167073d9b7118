// A loaded program as the threads that run it share it: its source (what a worker CPU links again on its
// own thread, cpus/cpus.ts), a key the CPUs cache it by, and its closed flag in shared memory.
import type { Insn } from '../uapi/isa.js';
import type { ProgramMap } from './maps/program-map.js';
import type { TailCallee } from './maps/prog-array.js';
import { sharedInt32 } from './maps/shared.js';
import type { ParsedProgram } from '../elf/spec.js';

/** What a program is made of, kept so a worker CPU (cpus/cpus.ts) can link it again on its own thread. */
export interface ProgramSource {
  name: string;
  type: number;
  insns: Insn[];
  relocs: ParsedProgram['relocs'];
  functions: ParsedProgram['functions'];
  lines: ParsedProgram['lines'];
  /** The maps it may refer to: by name (object programs) or by index (raw programs). */
  maps: { name?: string; index?: number; map: ProgramMap }[];
  /** The Emulator's kernelVersion when it was loaded: the load-time rewrites follow it (linkProgram). */
  kernelVersion: string;
  /** The Emulator's object heap (object-heap.ts): every thread that runs the program reaches its objects. */
  objectHeap?: SharedArrayBuffer;
  /** The bpf_loop calls the verifier would inline, decided once at load (checker/loop-inline.ts). */
  inlinedLoopCalls: number[];
  /** enum bpf_attach_type it was loaded with (a prog array's owner compares it). */
  expectedAttachType: number;
  /** Loaded with BPF_F_XDP_HAS_FRAGS (likewise). */
  xdpHasFrags: boolean;
  /** Programs calling bpf_obj_new: the sizes of their BTF's structs by type id (ExecProgram.allocSizes). */
  allocSizes?: ReadonlyMap<number, number>;
  /** prog->aux->max_ctx_offset, as the checker found it (checker/types.ts Verified). */
  maxCtxOffset: number;
  /** Its coverage counters, a row per thread (programs/coverage-counters.ts), when the Emulator records coverage. */
  coverage?: SharedArrayBuffer;
}

/**
 * A loaded program across threads: a key the worker CPUs cache it by, which is also its program id (what a
 * prog array's slot holds), its source, its closed flag (shared).
 */
export interface ProgramState {
  key: number;
  source: ProgramSource;
  /** [0] becomes 1 when the program is closed: runs in flight stop between repeats with EINTR. */
  cancel: Int32Array;
}

let nextProgramKey = 1;

export function programState(source: ProgramSource): ProgramState {
  return { key: nextProgramKey++, source, cancel: sharedInt32(1) };
}

/** What a prog array's owner compares of a program (maps/prog-array.ts). */
export function calleeOf(source: ProgramSource): TailCallee {
  return { type: source.type, expectedAttachType: source.expectedAttachType, xdpHasFrags: source.xdpHasFrags };
}
