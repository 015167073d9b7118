// Values from include/uapi/linux/bpf.h. Plain `as const` objects, so they work as both values and types.

export const MapType = {
  Hash: 1,
  Array: 2,
  PercpuHash: 5,
  PercpuArray: 6,
  LruHash: 9,
  LruPercpuHash: 10,
} as const;
export type MapTypeId = (typeof MapType)[keyof typeof MapType];

/** The names users write in `createMap({ type })`. */
export const mapTypeByName = {
  hash: MapType.Hash,
  array: MapType.Array,
  percpu_hash: MapType.PercpuHash,
  percpu_array: MapType.PercpuArray,
  lru_hash: MapType.LruHash,
  lru_percpu_hash: MapType.LruPercpuHash,
} as const;
export type MapTypeName = keyof typeof mapTypeByName;

export function mapTypeName(type: number): MapTypeName | `unknown(${number})` {
  for (const [name, id] of Object.entries(mapTypeByName)) if (id === type) return name as MapTypeName;
  return `unknown(${type})`;
}

export function isPerCpu(type: number): boolean {
  return type === MapType.PercpuHash || type === MapType.PercpuArray || type === MapType.LruPercpuHash;
}
export function isHashType(type: number): boolean {
  return type === MapType.Hash || type === MapType.PercpuHash || type === MapType.LruHash || type === MapType.LruPercpuHash;
}
export function isLru(type: number): boolean {
  return type === MapType.LruHash || type === MapType.LruPercpuHash;
}
export function isArrayType(type: number): boolean {
  return type === MapType.Array || type === MapType.PercpuArray;
}

/** BPF_MAP_CREATE map_flags. */
export const MapFlags = {
  NoPrealloc: 1 << 0,
  NoCommonLru: 1 << 1,
  NumaNode: 1 << 2,
  Rdonly: 1 << 3,
  Wronly: 1 << 4,
  StackBuildId: 1 << 5,
  ZeroSeed: 1 << 6,
  RdonlyProg: 1 << 7,
  WronlyProg: 1 << 8,
  Clone: 1 << 9,
  Mmapable: 1 << 10,
  PreserveElems: 1 << 11,
  InnerMap: 1 << 12,
} as const;

/** Element flags for update (and F_LOCK for lookup). */
export const UpdateFlags = {
  Any: 0,
  NoExist: 1,
  Exist: 2,
  Lock: 4,
} as const;

/** Names of bpf() commands, used as the `syscall` of a BpfError (Node's SystemError shape). */
export type BpfCommand =
  | 'BPF_MAP_CREATE'
  | 'BPF_MAP_LOOKUP_ELEM'
  | 'BPF_MAP_UPDATE_ELEM'
  | 'BPF_MAP_DELETE_ELEM'
  | 'BPF_MAP_GET_NEXT_KEY'
  | 'BPF_MAP_LOOKUP_AND_DELETE_ELEM'
  | 'BPF_MAP_LOOKUP_BATCH'
  | 'BPF_MAP_LOOKUP_AND_DELETE_BATCH'
  | 'BPF_MAP_UPDATE_BATCH'
  | 'BPF_MAP_DELETE_BATCH'
  | 'BPF_MAP_FREEZE'
  | 'BPF_OBJ_PIN'
  | 'BPF_OBJ_GET'
  | 'BPF_OBJ_GET_INFO_BY_FD'
  | 'BPF_MAP_GET_FD_BY_ID'
  | 'BPF_BTF_LOAD'
  | 'BPF_PROG_LOAD'
  | 'BPF_PROG_TEST_RUN'
  | 'bpf_object__open'
  | 'bpf_object__load';

export const BatchOp = {
  Lookup: 0,
  LookupAndDelete: 1,
  Update: 2,
  Delete: 3,
} as const;
export type BatchOpId = (typeof BatchOp)[keyof typeof BatchOp];
