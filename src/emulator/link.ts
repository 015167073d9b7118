// Links a program to one thread's view of its maps: map references become the emulator's tagged pointers
// (the map itself, or global data inside its value), kfunc calls get the emulator's ids (programs/kfuncs.ts).
// The main thread links at load; each worker CPU links again when it first runs the program.
import type { ObjectFailure } from '../seam/engine.js';
import { MapFlags, MapType } from '../uapi/bpf.js';
import { EBADF, EINVAL, ENOTSUPP } from '../uapi/errno.js';
import { CALL, CallKind, LD_IMM64, PseudoLd, type Insn } from '../uapi/isa.js';
import { mapOpResultIsInt } from './kernel-version.js';
import type { ProgramMap } from './maps/program-map.js';
import type { ProgramSource } from './program-state.js';
import { KfuncId, kfuncByName } from './programs/kfuncs.js';
import { directPacketWrite } from './checker/helper-protos/program-types.js';
import { Memory } from './programs/memory.js';
import { ObjectHeap } from './object-heap.js';
import type { LinkedProgram } from './programs/test-run.js';
import { coverageRow, coverageThread } from './programs/coverage-counters.js';


/**
 * Links a program to this thread's view of its maps, in a memory of its own or (a tail call's target) in the
 * memory of the program that tail-calls it, whose ctx and packet it then reaches.
 */
export function linkProgram(
  source: ProgramSource, mapOf: (ref: { name?: string; index?: number }) => ProgramMap | undefined, memory = new Memory(),
): LinkedProgram | ObjectFailure {
  const pointerLoads = new Set<number>();
  if (source.objectHeap) memory.objects ??= ObjectHeap.of(source.objectHeap);
  const insns = link(source, memory, mapOf, pointerLoads);
  if (!Array.isArray(insns)) return insns;
  const exec = {
    insns, name: source.name, functions: source.functions, mapOpResultIsInt: mapOpResultIsInt(source.kernelVersion),
    inlinedLoopCalls: new Set(source.inlinedLoopCalls), pointerLoads, allocSizes: source.allocSizes,
    // This thread's row: the threads running one program never write the same counters.
    ...(source.coverage ? { coverage: coverageRow(source.coverage, insns, coverageThread()) } : {}),
  };
  return {
    exec, memory, lines: source.lines, type: source.type, kernelVersion: source.kernelVersion, maxCtxOffset: source.maxCtxOffset,
    expectedAttachType: source.expectedAttachType,
  };
}

/**
 * Patches map references into pointers (recording in `pointerLoads` the ld_imm64 instructions that now load
 * one: their value carries its region's tag, memory.ts) and checks every call the program makes.
 */
function link(
  { name, insns, relocs, type }: ProgramSource, memory: Memory, mapOf: (ref: { name?: string; index?: number }) => ProgramMap | undefined,
  pointerLoads: Set<number>,
): Insn[] | ObjectFailure {
  const out = insns.map((i) => ({ ...i }));
  const fail = (detail: string, errno = EINVAL): ObjectFailure => ({ errno, syscall: 'BPF_PROG_LOAD', program: name, detail });
  const setImm64 = (at: number, value: bigint): void => {
    out[at]!.imm = Number(BigInt.asIntN(32, value & 0xffffffffn));
    out[at + 1]!.imm = Number(BigInt.asIntN(32, value >> 32n));
    out[at]!.src = 0;
  };
  const byInsn = new Map(relocs.map((r) => [r.insn, r]));
  for (let i = 0; i < out.length; i++) {
    const insn = out[i]!;
    const reloc = byInsn.get(i);
    if (insn.code === LD_IMM64) {
      if (i + 1 >= out.length) return fail(`ld_imm64 at insn ${i} has no second half`);
      // A __kconfig variable is an address in the `.kconfig` map, filled by resolveExterns (withKconfig).
      const kconfig = reloc?.kind === 'extern' && reloc.externKind === 'kconfig' && reloc.map !== undefined;
      if (reloc?.kind === 'map' || reloc?.kind === 'mapValue' || kconfig || insn.src === PseudoLd.MapIdx || insn.src === PseudoLd.MapIdxValue) {
        const map = reloc && 'map' in reloc && reloc.map !== undefined ? mapOf({ name: reloc.map }) : mapOf({ index: insn.imm });
        if (!map) return fail(`insn ${i} refers to a map that does not exist`);
        pointerLoads.add(i);
        if (reloc?.kind === 'map' || insn.src === PseudoLd.MapIdx) {
          setImm64(i, mapPointer(memory, map));
        } else {
          const offset = reloc?.kind === 'mapValue' || kconfig ? (reloc as { offset: number }).offset : out[i + 1]!.imm;
          if (map.info.type !== MapType.Array || offset < 0 || offset >= map.info.valueSize) return fail(`insn ${i}: direct value access needs an array map and an offset inside its value`);
          setImm64(i, globalPointer(memory, map) + BigInt(offset));
        }
      } else if (reloc?.kind === 'extern') {
        // A __ksym variable that got past resolveExterns is a weak one nobody has: libbpf's plain 0.
        setImm64(i, 0n);
      } else if (insn.src === PseudoLd.MapFd || insn.src === PseudoLd.MapValue) {
        return fail(`insn ${i}: map fds do not exist on the emulator; refer to maps by index (BPF_PSEUDO_MAP_IDX)`, EBADF);
      }
      i++;
      continue;
    }
    if (insn.code === CALL) {
      // Helpers the emulator lacks are refused by the load-time checker (checker/structure.ts).
      if (insn.src === CallKind.Kfunc) {
        // The kernel knows a kfunc by its vmlinux BTF id; the emulator by the extern's name (kfuncs.ts).
        const id = reloc?.kind === 'kfunc' ? kfuncByName.get(reloc.name) : undefined;
        if (id === undefined) return fail(`kfunc ${reloc?.kind === 'kfunc' ? reloc.name : `#${insn.imm}`} is not emulated`, ENOTSUPP);
        // kernel/bpf/verifier.c specialize_kfunc: a program that may not write packets gets read-only skb dynptrs.
        insn.imm = id === KfuncId.DynptrFromSkb && !directPacketWrite(type) ? KfuncId.DynptrFromSkbRdonly : id;
      }
    }
  }
  return out;
}

const mapPointers = new WeakMap<Memory, Map<ProgramMap, { map: bigint; value?: bigint }>>();

function pointersOf(memory: Memory, map: ProgramMap): { map: bigint; value?: bigint } {
  let byMap = mapPointers.get(memory);
  if (!byMap) mapPointers.set(memory, (byMap = new Map()));
  let p = byMap.get(map);
  if (!p) byMap.set(map, (p = { map: memory.addRegion({ name: `map '${map.info.name}'`, size: 0, handle: map }, 'static') }));
  return p;
}

function mapPointer(memory: Memory, map: ProgramMap): bigint {
  return pointersOf(memory, map).map;
}

/** Global data: element 0 of a one-element array, addressed directly (BPF_PSEUDO_MAP_VALUE). */
function globalPointer(memory: Memory, map: ProgramMap): bigint {
  const p = pointersOf(memory, map);
  const table = map.table;
  p.value ??= memory.addRegion({
    name: `map '${map.info.name}' value`,
    size: map.info.valueSize,
    writable: (map.info.flags & MapFlags.RdonlyProg) === 0,
    bytes: () => table.values,
    base: () => 0,
  }, 'static');
  return p.value;
}
