// Values from include/uapi/linux/bpf.h. Plain `as const` objects, so they work as both values and types.

/**
 * enum bpf_map_type, every type the kernel has (include/uapi/linux/bpf.h, through Linux 6.18): named in
 * object listings, errors and `bpfkit map dump`, and probed by `features.mapType(id)`.
 */
export const KernelMapType = {
  Hash: 1,
  Array: 2,
  ProgArray: 3,
  PerfEventArray: 4,
  PercpuHash: 5,
  PercpuArray: 6,
  StackTrace: 7,
  CgroupArray: 8,
  LruHash: 9,
  LruPercpuHash: 10,
  LpmTrie: 11,
  ArrayOfMaps: 12,
  HashOfMaps: 13,
  Devmap: 14,
  Sockmap: 15,
  Cpumap: 16,
  Xskmap: 17,
  Sockhash: 18,
  CgroupStorage: 19,
  ReuseportSockarray: 20,
  PercpuCgroupStorage: 21,
  Queue: 22,
  Stack: 23,
  SkStorage: 24,
  DevmapHash: 25,
  StructOps: 26,
  Ringbuf: 27,
  InodeStorage: 28,
  TaskStorage: 29,
  BloomFilter: 30,
  UserRingbuf: 31,
  CgrpStorage: 32,
  Arena: 33,
} as const;
export type KernelMapTypeId = (typeof KernelMapType)[keyof typeof KernelMapType];

/**
 * The map types bpfkit creates and types, on both engines: keys and values (createMap, BpfMap/PerCpuMap),
 * and values only (QueueMap, BloomFilterMap).
 */
export const MapType = {
  Hash: KernelMapType.Hash,
  Array: KernelMapType.Array,
  ProgArray: KernelMapType.ProgArray,
  PercpuHash: KernelMapType.PercpuHash,
  PercpuArray: KernelMapType.PercpuArray,
  LruHash: KernelMapType.LruHash,
  LruPercpuHash: KernelMapType.LruPercpuHash,
  ArrayOfMaps: KernelMapType.ArrayOfMaps,
  HashOfMaps: KernelMapType.HashOfMaps,
  CgroupStorage: KernelMapType.CgroupStorage,
  PercpuCgroupStorage: KernelMapType.PercpuCgroupStorage,
  LpmTrie: KernelMapType.LpmTrie,
  Queue: KernelMapType.Queue,
  Stack: KernelMapType.Stack,
  BloomFilter: KernelMapType.BloomFilter,
} as const;

/** The names users write in `createMap({ type })` for the map types with keys and values, on both engines. */
export const mapTypeByName = {
  hash: MapType.Hash,
  array: MapType.Array,
  percpu_hash: MapType.PercpuHash,
  percpu_array: MapType.PercpuArray,
  lru_hash: MapType.LruHash,
  lru_percpu_hash: MapType.LruPercpuHash,
  cgroup_storage: MapType.CgroupStorage,
  percpu_cgroup_storage: MapType.PercpuCgroupStorage,
  lpm_trie: MapType.LpmTrie,
} as const;
export type MapTypeName = keyof typeof mapTypeByName;
/** The ids of the map types with keys and values createMap accepts (mapTypeByName's values). */
export type MapTypeId = (typeof mapTypeByName)[MapTypeName];

/**
 * The map types without keys (key_size 0), by the names users write in `createMap({ type })`: a queue (FIFO)
 * or stack (LIFO) of values (kernel/bpf/queue_stack_maps.c), and a bloom filter (kernel/bpf/bloom_filter.c).
 */
export const keylessMapTypeByName = {
  queue: MapType.Queue,
  stack: MapType.Stack,
  bloom_filter: MapType.BloomFilter,
} as const;
export type KeylessMapTypeName = keyof typeof keylessMapTypeByName;
export type KeylessMapTypeId = (typeof keylessMapTypeByName)[KeylessMapTypeName];

/**
 * A map type's name as libbpf and bpftool print it (libbpf.c map_type_name: 'cgroup_storage', 'ringbuf'):
 * BPF_MAP_TYPE_X lower-cased. `unknown(N)` for a type newer than this table.
 */
export function mapTypeName(type: number): string {
  for (const [name, id] of Object.entries(KernelMapType)) if (id === type) return snakeCase(name);
  return `unknown(${type})`;
}

function snakeCase(pascal: string): string {
  return pascal.replace(/(?<!^)([A-Z])/g, '_$1').toLowerCase();
}

export function isPerCpu(type: number): boolean {
  return type === MapType.PercpuHash || type === MapType.PercpuArray || type === MapType.LruPercpuHash || type === MapType.PercpuCgroupStorage;
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
/** DEVMAP, DEVMAP_HASH, CPUMAP and XSKMAP: the maps bpf_redirect_map sends a frame through. */
export function isRedirectMap(type: number): boolean {
  return type === KernelMapType.Devmap || type === KernelMapType.DevmapHash || type === KernelMapType.Cpumap || type === KernelMapType.Xskmap;
}
/** ARRAY_OF_MAPS and HASH_OF_MAPS (kernel/bpf/map_in_map.c): values are maps like the template. */
export function isMapInMap(type: number): boolean {
  return type === MapType.ArrayOfMaps || type === MapType.HashOfMaps;
}
/** CGROUP_STORAGE and PERCPU_CGROUP_STORAGE (kernel/bpf/local_storage.c): a program's storage per cgroup. */
export function isCgroupStorage(type: number): boolean {
  return type === MapType.CgroupStorage || type === MapType.PercpuCgroupStorage;
}
/** QUEUE and STACK: the same map (queue_stack_maps.c), popped from either end. */
export function isQueueStack(type: number): boolean {
  return type === MapType.Queue || type === MapType.Stack;
}
/** The map types without keys that bpfkit types (keylessMapTypeByName). */
export function isKeyless(type: number): boolean {
  return isQueueStack(type) || type === MapType.BloomFilter;
}

/** BPF_OBJ_NAME_LEN: map and program names are at most 15 characters and a NUL. */
/**
 * The verifier's log levels (include/linux/bpf_verifier.h): BPF_LOG_LEVEL1 1, BPF_LOG_LEVEL2 2,
 * BPF_LOG_STATS 4, BPF_LOG_FIXED 8 (no rotation, 6.4+); bpf_vlog_init refuses other bits (EINVAL).
 */
export const BPF_LOG_MASK = 15;

export const BPF_OBJ_NAME_LEN = 16;

/**
 * A bloom filter's map_extra: the number of hash functions in its low 4 bits, 0 meaning 5; any other bit is
 * EINVAL (kernel/bpf/bloom_filter.c bloom_map_alloc).
 */
export const BLOOM_MAP_EXTRA_HASHES_MASK = 0xf;

/**
 * An LPM trie's key: struct bpf_lpm_trie_key_u8 { __u32 prefixlen; __u8 data[]; }, with 1 to 256 bytes of data
 * (kernel/bpf/lpm_trie.c LPM_DATA_SIZE_MIN, LPM_DATA_SIZE_MAX; key_size is 4 more).
 */
export const LPM_KEY_DATA_OFFSET = 4;
export const LPM_DATA_SIZE_MIN = 1;
export const LPM_DATA_SIZE_MAX = 256;

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
  /** map_token_fd holds a BPF token (6.9+); bpfkit never sets one, so the kernel looks at fd 0. */
  TokenFd: 1 << 16,
} as const;

/**
 * Element flags (include/uapi/linux/bpf.h BPF_ANY..BPF_F_ALL_CPUS): update takes all of them, lookup
 * takes Lock and Cpu. Cpu and AllCpus are for per-CPU maps since Linux 7.0: with Cpu the flags' upper 32
 * bits are the CPU, and either one makes the value buffer one value_size value instead of one slot per CPU.
 */
export const UpdateFlags = {
  Any: 0,
  NoExist: 1,
  Exist: 2,
  Lock: 4,
  Cpu: 8,
  AllCpus: 16,
} as const;

/** Names of bpf() commands, the usual `syscall` of a BpfError (Node's SystemError shape). */
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
  | 'BPF_PROG_TEST_RUN';

/** libbpf calls that fail without a single bpf() command to name (they may issue several, or none). */
export type LibbpfCall = 'bpf_object__open' | 'bpf_object__load' | 'bpf_map__reuse_fd' | 'bpf_program__set_autoload'
  | 'ring_buffer__new' | 'ring_buffer__consume' | 'ring_buffer__poll'
  | 'bpf_program__set_log_level'
  | 'bpf_program__set_type' | 'bpf_map__set_initial_value';

/** What a BpfError's `syscall` names: a bpf() command, or the libbpf call that failed. */
export type Syscall = BpfCommand | LibbpfCall;

export const BatchOp = {
  Lookup: 0,
  LookupAndDelete: 1,
  Update: 2,
  Delete: 3,
} as const;
export type BatchOpId = (typeof BatchOp)[keyof typeof BatchOp];

/** include/uapi/linux/bpf.h: BPF_PROG_TEST_RUN's flags (test.flags). */
export const TestRunFlags = {
  RunOnCpu: 1 << 0,
  XdpLiveFrames: 1 << 1,
  SkbChecksumComplete: 1 << 2,
} as const;

/** include/uapi/linux/bpf.h: the flags of the skb helpers (store_bytes, l3/l4_csum_replace, redirect). */
export const SkbFlags = {
  RecomputeCsum: 1 << 0,
  InvalidateHash: 1 << 1,
  HdrFieldMask: 0xf,
  PseudoHdr: 1 << 4,
  MarkMangled0: 1 << 5,
  MarkEnforce: 1 << 6,
  Ipv6: 1 << 7,
  Ingress: 1 << 0,
} as const;

/** include/uapi/linux/bpf.h: bpf_skb_set_tunnel_key's flags, and sizeof(struct bpf_tunnel_key) with the
 * sizes of its older layouts (up to remote_ipv6[1], tunnel_ext, tunnel_label, local_ipv6[0]). */
export const TunnelKeyFlags = { ZeroCsumTx: 1 << 1, DontFragment: 1 << 2, SeqNumber: 1 << 3, NoTunnelKey: 1 << 4, TuninfoIpv6: 1 << 0 } as const;
/** bpf_skb_get_tunnel_key's flag (the same bit as BPF_F_NO_TUNNEL_KEY): the key's tunnel_flags, not tunnel_ext. */
export const BPF_F_TUNINFO_FLAGS = 1 << 4;
export const BPF_TUNNEL_KEY_SIZE = 44;
export const BPF_TUNNEL_KEY_OLD_SIZES: readonly number[] = [8, 22, 24, 28];
/** Offsets in struct bpf_tunnel_key: tunnel_ext (u16), tunnel_label (u32). */
export const TunnelKeyOffset = { TunnelId: 0, Remote: 4, Tos: 20, Ttl: 21, TunnelExt: 22, TunnelLabel: 24, Local: 28 } as const;

/** include/uapi/linux/bpf.h: bpf_skb_adjust_room's modes (enum bpf_adj_room_mode) and flags (u64). */
export const AdjRoomMode = { Net: 0, Mac: 1 } as const;
export const AdjRoomFlags = {
  FixedGso: 1n << 0n,
  EncapL3Ipv4: 1n << 1n,
  EncapL3Ipv6: 1n << 2n,
  EncapL4Gre: 1n << 3n,
  EncapL4Udp: 1n << 4n,
  NoCsumReset: 1n << 5n,
  EncapL2Eth: 1n << 6n,
  DecapL3Ipv4: 1n << 7n,
  DecapL3Ipv6: 1n << 8n,
  /** BPF_F_ADJ_ROOM_ENCAP_L2(len): the inner mac header's length in the top byte. */
  EncapL2Mask: 0xffn << 56n,
} as const;

/** include/uapi/linux/bpf.h XDP_PACKET_HEADROOM: the headroom before an XDP frame's data. */
export const XDP_PACKET_HEADROOM = 256;

/** include/uapi/linux/bpf.h enum xdp_action, and include/uapi/linux/pkt_cls.h's TC_ACT_* bpf_redirect returns. */
export const XdpAction = { Aborted: 0, Drop: 1, Pass: 2, Tx: 3, Redirect: 4 } as const;
/** include/uapi/linux/bpf.h: bpf_fib_lookup's flags (BPF_FIB_LOOKUP_*), and the codes it returns (BPF_FIB_LKUP_RET_*). */
export const FibLookupFlags = { Direct: 1 << 0, Output: 1 << 1, SkipNeigh: 1 << 2, Tbid: 1 << 3, Src: 1 << 4, Mark: 1 << 5 } as const;
export const FibLookupRet = { Success: 0, NotFwded: 4, FwdDisabled: 5 } as const;
/** sizeof(struct bpf_fib_lookup), and where its family, ifindex and IPv6 addresses are. */
export const BPF_FIB_LOOKUP_SIZE = 64;
export const FibLookupOffset = { Family: 0, Ifindex: 8, Ipv6Src: 16, Ipv6Dst: 32 } as const;
/** include/uapi/linux/bpf.h: bpf_redirect_map's flags past the action bits (devmaps only). */
export const XDP_REDIRECT_FLAGS = { Broadcast: 1 << 3, ExcludeIngress: 1 << 4 } as const;
export const TcAction = { Ok: 0, Shot: 2, Redirect: 7 } as const;

/** include/uapi/linux/bpf.h: a BPF_MAP_TYPE_RINGBUF record's header (struct bpf_ringbuf_hdr) and its length's bits. */
export const BPF_RINGBUF_HDR_SZ = 8;
export const BPF_RINGBUF_BUSY_BIT = 0x80000000;
export const BPF_RINGBUF_DISCARD_BIT = 0x40000000;
/** bpf_ringbuf_output/submit/discard's flags. */
export const RingbufFlags = { NoWakeup: 1, ForceWakeup: 2 } as const;
/** bpf_ringbuf_query's questions (BPF_RB_AVAIL_DATA ...). */
export const RingbufQuery = { AvailData: 0, RingSize: 1, ConsPos: 2, ProdPos: 3 } as const;
