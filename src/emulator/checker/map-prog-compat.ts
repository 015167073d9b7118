// kernel/bpf/verifier.c check_map_prog_compatibility's rule on sleepable programs, run by resolve_pseudo_ldimm64
// for each map an ld_imm64 names, in instruction order: the map types a sleepable program may use. (Its lock
// rules for socket filters and tracing programs are lock-rules.ts's programRefusal.)
import { KernelMapType as M } from '../../uapi/bpf.js';
import { KernelProgramType as PT } from '../../uapi/program-type.js';
import { sleepableMapWords, sleepableQueueStack } from '../kernel-version.js';
import type { CheckedMap, CheckInput } from './types.js';

/** The map types every kernel lets a sleepable program use (6.1's list). */
const alwaysSleepable: ReadonlySet<number> = new Set([M.Hash, M.LruHash, M.Array, M.PercpuHash, M.PercpuArray, M.LruPercpuHash,
  M.ArrayOfMaps, M.HashOfMaps, M.Ringbuf, M.UserRingbuf]);
/** Added since (sleepableQueueStack): the local storages, queues and stacks, and the arena. */
const laterSleepable: ReadonlySet<number> = new Set([M.InodeStorage, M.SkStorage, M.TaskStorage, M.CgrpStorage, M.Queue, M.Stack, M.Arena]);

/** The refusal's words when a sleepable program names `map`, else undefined. */
export function sleepableMapRefusal(input: CheckInput, map: CheckedMap, version: string): string | undefined {
  // bpf_prog_load makes syscall programs sleepable (libbpf's SEC("syscall") asks for it; the kernel insists).
  const sleepable = (input.sleepable ?? false) || input.type === PT.Syscall;
  if (!sleepable || alwaysSleepable.has(map.type)) return undefined;
  if (sleepableQueueStack(version) && laterSleepable.has(map.type)) return undefined;
  return sleepableMapWords(version);
}
