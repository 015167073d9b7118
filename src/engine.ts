// The engine seam: bytes in, bytes out, 0 or -errno. Everything above it (codecs, BpfMap, BpfError,
// iteration, batching) is written once and shared by the kernel engine and the emulator, which is what
// makes both throw identical errors and lets one conformance suite run against both.
import type { BatchOpId } from './constants.js';

/** A lock field inside a map value, found by the codec (offset in bytes from the value's start). */
export interface LockField {
  kind: 'spin' | 'res';
  offset: number;
}

/** BTF for a map's key and value, as BPF_BTF_LOAD takes it (built in TypeScript by src/btf). */
export interface MapBtf {
  data: Uint8Array;
  keyTypeId: number;
  valueTypeId: number;
}

/** BPF_MAP_CREATE attributes, already checked for types (not for kernel rules: engines answer those). */
export interface MapAttrs {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** Passed through unchecked: the kernel (or the emulator) rejects a bad name with EINVAL. */
  name: string;
  /** Only meaningful with BPF_F_NUMA_NODE. */
  numaNode: number;
  btf?: MapBtf;
  /** Every lock field of the value (the emulator needs offsets; the kernel learns them from `btf`). */
  locks?: readonly LockField[];
}

/** BPF_OBJ_GET_INFO_BY_FD for a map (struct bpf_map_info). */
export interface MapInfo {
  type: number;
  id: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  name: string;
  btfId: number;
}

/**
 * One open map. Buffers are exact: `key` is keySize bytes; `value` is valueSize bytes, or
 * roundUp(valueSize, 8) × possibleCpus for per-CPU maps. Every method returns 0 or -errno.
 */
export interface MapHandle {
  readonly info: MapInfo;
  lookup(key: Uint8Array, value: Uint8Array, flags: number): number;
  update(key: Uint8Array, value: Uint8Array, flags: number): number;
  delete(key: Uint8Array): number;
  /** `key` null (or absent from the map, for hash maps) gives the first key. */
  getNextKey(key: Uint8Array | null, next: Uint8Array): number;
  lookupAndDelete(key: Uint8Array, value: Uint8Array, flags: number): number;
  /**
   * The four BPF_MAP_*_BATCH commands. `inBatch` null starts from the beginning; the token is a u32
   * bucket index for hash maps and a key for arrays, so token buffers are max(4, keySize) bytes.
   * `count[0]` is the capacity on entry and the number of elements processed on return (also on error).
   * `keys`/`values` hold count[0] elements back to back (`values` is empty for Delete).
   */
  batch(
    op: BatchOpId,
    inBatch: Uint8Array | null,
    outBatch: Uint8Array,
    keys: Uint8Array,
    values: Uint8Array,
    count: Uint32Array,
    elemFlags: number,
  ): number;
  freeze(): number;
  pin(path: string): number;
  /** Fresh BPF_OBJ_GET_INFO_BY_FD (or the emulator's view); -errno on failure. */
  queryInfo(): MapInfo | number;
  /** Idempotent. Further calls on a closed handle are the caller's bug (BpfMap checks first). */
  close(): void;
  readonly closed: boolean;
}

export interface Engine {
  readonly kind: 'kernel' | 'emulator';
  possibleCpus(): number;
  createMap(attrs: MapAttrs): MapHandle | number;
  openPinned(path: string): MapHandle | number;
  openMapById(id: number): MapHandle | number;
}

export function roundUp8(n: number): number {
  return (n + 7) & ~7;
}
