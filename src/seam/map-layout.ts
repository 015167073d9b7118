// The buffers the map syscalls copy, once: a value is value_size bytes, or one round_up(value_size, 8) slot
// per possible CPU for per-CPU maps (kernel/bpf/syscall.c bpf_map_value_size, hashtab.c
// bpf_percpu_hash_copy); a batch token is a u32 bucket index for hash maps
// (hashtab.c __htab_map_lookup_and_delete_batch) and a key for arrays (syscall.c generic_map_lookup_batch).
// The emulator computes its handles' layout here; the addon computes the same in native/map.cc and reports
// it, and BpfMap checks its codecs against what the handle reports.
import { MapType, isArrayType, isHashType, isPerCpu } from '../uapi/bpf.js';

export interface MapLayout {
  /** Bytes of one value as lookup/update copy it. */
  valueBufferSize: number;
  /** Bytes of a batch cursor (in_batch/out_batch). */
  tokenSize: number;
}

export function roundUp8(n: number): number {
  return (n + 7) & ~7;
}

/** One value's bytes as the syscall copies it: per-CPU values are a round_up(value_size, 8) slot per CPU. */
export function valueBufferSize(valueSize: number, percpu: boolean, possibleCpus: number): number {
  return percpu ? roundUp8(valueSize) * possibleCpus : valueSize;
}

export function mapLayout(type: number, keySize: number, valueSize: number, possibleCpus: number): MapLayout {
  return {
    valueBufferSize: valueBufferSize(valueSize, isPerCpu(type), possibleCpus),
    // A hash of maps walks its buckets as every hash does (hashtab.c BATCH_OPS(htab)).
    tokenSize: isHashType(type) || type === MapType.HashOfMaps ? 4 : isArrayType(type) ? keySize : Math.max(4, keySize),
  };
}
