// BPF_MAP_CREATE's checks for the emulated types, in the kernel's order (kernel/bpf/syscall.c map_create,
// then hashtab.c htab_map_alloc_check/htab_map_alloc, arraymap.c (fd_)array_map_alloc_check,
// queue_stack_maps.c queue_stack_map_alloc_check, bloom_filter.c bloom_map_alloc_check/bloom_map_alloc,
// lpm_trie.c trie_alloc, devmap.c dev_map_alloc_check, cpumap.c cpu_map_alloc or xskmap.c xsk_map_alloc, then
// the name, then map_check_btf). A map type the kernel has and the emulator does not is ENOTSUPP.
import {
  BLOOM_MAP_EXTRA_HASHES_MASK, BPF_OBJ_NAME_LEN, KernelMapType, LPM_DATA_SIZE_MAX, LPM_DATA_SIZE_MIN, LPM_KEY_DATA_OFFSET, MapFlags, MapType,
  isArrayType, isCgroupStorage, isHashType, isLru, isMapInMap, isPerCpu, isQueueStack, isRedirectMap, mapTypeName,
} from '../../uapi/bpf.js';
import type { MapAttrs } from '../../seam/engine.js';
import { roundUp8 } from '../../seam/map-layout.js';
import { lockRuleViolation } from '../../seam/lock-placement.js';
import { E2BIG, EACCES, EINVAL, ENOTSUPP, EOPNOTSUPP } from '../../uapi/errno.js';
import { lockInWrongMapErrno, lpmNodeHeaderSize, queueSizeChecked, tokenFdFlag } from '../kernel-version.js';
import { BtfKind, parseBtf, type Btf, type BtfInt } from '../../btf/types.js';

const ACCESS_MASK = MapFlags.Rdonly | MapFlags.Wronly | MapFlags.RdonlyProg | MapFlags.WronlyProg;
// hashtab.c HTAB_CREATE_FLAG_MASK, arraymap.c ARRAY_CREATE_FLAG_MASK
const HTAB_FLAGS = MapFlags.NoPrealloc | MapFlags.NoCommonLru | MapFlags.NumaNode | ACCESS_MASK | MapFlags.ZeroSeed;
const ARRAY_FLAGS = MapFlags.NumaNode | MapFlags.Mmapable | ACCESS_MASK | MapFlags.PreserveElems | MapFlags.InnerMap;
// queue_stack_maps.c QUEUE_STACK_CREATE_FLAG_MASK, bloom_filter.c BLOOM_CREATE_FLAG_MASK
const QUEUE_STACK_FLAGS = MapFlags.NumaNode | ACCESS_MASK;
const BLOOM_FLAGS = MapFlags.NumaNode | MapFlags.ZeroSeed | ACCESS_MASK;
// lpm_trie.c LPM_CREATE_FLAG_MASK
const LPM_FLAGS = MapFlags.NoPrealloc | MapFlags.NumaNode | ACCESS_MASK;
// ringbuf.c RINGBUF_CREATE_FLAG_MASK
const RINGBUF_FLAGS = MapFlags.NumaNode;
const PAGE_SIZE = 4096;
// devmap.c DEV_CREATE_FLAG_MASK (xskmap.c xsk_map_alloc's too); cpumap.c cpu_map_alloc takes BPF_F_NUMA_NODE alone.
const DEV_FLAGS = MapFlags.NumaNode | MapFlags.Rdonly | MapFlags.Wronly;
/** struct bpf_devmap_val / bpf_cpumap_val: the ifindex or qsize alone, or with the program's fd. */
const REDIRECT_VALUE_SIZES: readonly number[] = [4, 8];
/**
 * The oracle's CONFIG_NR_CPUS (256; Debian's kernels have 8192): cpu_map_alloc refuses more entries (E2BIG),
 * and never fewer than the possible CPUs.
 */
const NR_CPUS = 256;
const U32_MAX = 0xffffffff;
/** sizeof(struct bpf_cgroup_storage_key): a u64 cgroup inode id and a u32 attach type, padded to 16. */
const CGROUP_STORAGE_KEY_SIZE = 16;
/**
 * include/linux/bpf_local_storage.h BPF_LOCAL_STORAGE_MAX_VALUE_SIZE: U16_MAX less sizeof(struct
 * bpf_local_storage_elem) (128 bytes, its sdata cacheline-aligned), as 6.18 answers (65407).
 */
const LOCAL_STORAGE_MAX_VALUE_SIZE = 0xffff - 128;
// include/linux/slab.h KMALLOC_MAX_SIZE on x86-64 (4 MiB), minus sizeof(struct htab_elem).
const KMALLOC_MAX_SIZE = 1 << 22;
const HTAB_ELEM_SIZE = 48;
// mm/percpu: PCPU_MIN_UNIT_SIZE
const PCPU_MIN_UNIT_SIZE = 32768;
const NUMA_NODES = 1;
// include/linux/numa.h NUMA_NO_NODE (-1) as the u32 bpf_attr.numa_node carries it.
const NUMA_NO_NODE = 0xffffffff;

const accessOk = (flags: number): boolean => !((flags & MapFlags.RdonlyProg) && (flags & MapFlags.WronlyProg));

/** The map types the emulator creates. */
export function isEmulatedMapType(type: number): boolean {
  return isHashType(type) || isArrayType(type) || type === MapType.ProgArray || isMapInMap(type) || isCgroupStorage(type) || isQueueStack(type)
    || type === MapType.BloomFilter || type === MapType.LpmTrie || isRedirectMap(type) || type === KernelMapType.Ringbuf;
}

/**
 * Why the emulator refuses a map type the kernel has (its ENOTSUPP's words: "map type 'user_ringbuf' is not
 * emulated"), or undefined for a type it creates or one no kernel has (which the kernel refuses, EINVAL).
 */
export function unemulatedMapType(type: number): string | undefined {
  if (isEmulatedMapType(type) || !Object.values(KernelMapType).includes(type as never)) return undefined;
  return `map type '${mapTypeName(type)}' is not emulated`;
}

/**
 * Why the emulator refuses a map of an object (ENOTSUPP): its type, or kptr fields in a map type whose
 * kptrs it does not keep (it keeps them in arrays and hash maps, LRU ones included; not per-CPU ones).
 */
export function unemulatedMap(type: number, kptrs: number): string | undefined {
  const unemulated = unemulatedMapType(type);
  if (unemulated || kptrs === 0) return unemulated;
  const kept = type === MapType.Array || type === MapType.Hash || type === MapType.LruHash;
  return kept ? undefined : `kptr fields in a '${mapTypeName(type)}' map are not emulated`;
}

export interface CreatePlan {
  /** max_entries as the kernel stores it (NO_COMMON_LRU rounds it to a multiple of the CPU count). */
  maxEntries: number;
  /** map_name as the kernel stores it (up to the first NUL). */
  name: string;
}

/** 0-or-errno for the attributes, and the map's effective max_entries, as Linux `kernelVersion` answers. */
export function checkCreate(attrs: MapAttrs, ncpu: number, kernelVersion = '6.18', innerMapErrno = 0): CreatePlan | number {
  const { type, keySize, valueSize } = attrs;
  // map_create takes BPF_F_TOKEN_FD out of the flags before any map type looks at them (6.9+), and
  // resolves the token after the type's alloc check.
  const token = tokenFdFlag(kernelVersion) && (attrs.flags & MapFlags.TokenFd) !== 0;
  const flags = token ? attrs.flags & ~MapFlags.TokenFd : attrs.flags;
  // BTF is loaded before the map is created: two locks or two lock kinds fail there (kernel/bpf/btf.c).
  const lockViolation = lockRuleViolation(MapType.Hash, attrs.locks ?? []);
  if (lockViolation) return lockViolation.errno;
  // map_create: map_extra belongs to bloom filters (and arenas, which the emulator does not have).
  const mapExtra = attrs.mapExtra ?? 0n;
  if (type !== MapType.BloomFilter && type !== KernelMapType.Arena && mapExtra !== 0n) return EINVAL;
  // bpf_get_file_flag
  if ((flags & MapFlags.Rdonly) && (flags & MapFlags.Wronly)) return EINVAL;
  // map_create: NUMA_NO_NODE (-1) means any node; any other node must exist and be online.
  if ((flags & MapFlags.NumaNode) && attrs.numaNode !== NUMA_NO_NODE && attrs.numaNode >= NUMA_NODES) return EINVAL;

  const hash = isHashType(type) || type === MapType.HashOfMaps;
  const progArray = type === MapType.ProgArray;
  // A prog array's and an array of maps' values are fds (fd_array_map_alloc_check).
  const fdArray = progArray || type === MapType.ArrayOfMaps;
  const array = isArrayType(type) || fdArray;
  const queueStack = isQueueStack(type);
  const cgroupStorage = isCgroupStorage(type);
  const bloom = type === MapType.BloomFilter;
  const lpm = type === MapType.LpmTrie;
  // The kernel refuses a type it does not have (EINVAL); the emulator one it does not emulate (ENOTSUPP).
  if (!isEmulatedMapType(type)) return unemulatedMapType(type) === undefined ? EINVAL : ENOTSUPP;
  const percpu = isPerCpu(type);
  const numa = (flags & MapFlags.NumaNode) !== 0;
  let maxEntries = attrs.maxEntries;

  if (hash) {
    const lru = isLru(type);
    const percpuLru = (flags & MapFlags.NoCommonLru) !== 0;
    // fd_htab_map_alloc_check: a hash of maps' values are fds. Then htab_map_alloc_check. ZERO_SEED needs
    // CAP_SYS_ADMIN: the emulated caller is root.
    if (type === MapType.HashOfMaps && valueSize !== 4) return EINVAL;
    if ((flags & ~HTAB_FLAGS) !== 0 || !accessOk(flags)) return EINVAL;
    if (!lru && percpuLru) return EINVAL;
    if (lru && (flags & MapFlags.NoPrealloc)) return ENOTSUPP;
    if (numa && (percpu || percpuLru)) return EINVAL;
    if (maxEntries === 0 || keySize === 0 || valueSize === 0) return EINVAL;
    if (keySize + valueSize >= KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE) return E2BIG;
    if (percpu && roundUp8(valueSize) > PCPU_MIN_UNIT_SIZE) return E2BIG;
    // htab_map_alloc: each CPU's LRU list gets at least one element.
    if (percpuLru) {
      const up = Math.ceil(maxEntries / ncpu) * ncpu;
      maxEntries = up <= 0xffffffff ? up : Math.floor(maxEntries / ncpu) * ncpu;
    }
    if (maxEntries > 2 ** 31) return E2BIG;
    // n_buckets × sizeof(struct bucket) must fit in a u32.
    if (2 ** Math.ceil(Math.log2(maxEntries)) > Math.floor(0xffffffff / 16)) return E2BIG;
  } else if (array) {
    // fd_array_map_alloc_check: a prog array's values are program fds (4 bytes), which programs may neither
    // read nor write; then, as for every array, array_map_alloc_check.
    if (fdArray && (valueSize !== 4 || (flags & (MapFlags.RdonlyProg | MapFlags.WronlyProg)))) return EINVAL;
    if (maxEntries === 0 || keySize !== 4 || valueSize === 0 || (flags & ~ARRAY_FLAGS) !== 0 || !accessOk(flags) || (percpu && numa)) {
      return EINVAL;
    }
    if (type !== MapType.Array && (flags & (MapFlags.Mmapable | MapFlags.InnerMap))) return EINVAL;
    if (flags & MapFlags.PreserveElems) return EINVAL;
    if (valueSize > 0x7fffffff) return E2BIG;
    if (percpu && roundUp8(valueSize) > PCPU_MIN_UNIT_SIZE) return E2BIG;
  } else if (cgroupStorage) {
    // cgroup_storage_map_alloc: the key is a cgroup's inode id (u64) or struct bpf_cgroup_storage_key (16
    // bytes); the value at most BPF_LOCAL_STORAGE_MAX_VALUE_SIZE (PCPU_MIN_UNIT_SIZE for the per-CPU one);
    // LOCAL_STORAGE_CREATE_FLAG_MASK; max_entries unused, and 0.
    if (keySize !== 8 && keySize !== CGROUP_STORAGE_KEY_SIZE) return EINVAL;
    if (valueSize === 0) return EINVAL;
    if (valueSize > (percpu ? Math.min(LOCAL_STORAGE_MAX_VALUE_SIZE, PCPU_MIN_UNIT_SIZE) : LOCAL_STORAGE_MAX_VALUE_SIZE)) return E2BIG;
    if ((flags & ~(MapFlags.NumaNode | ACCESS_MASK)) !== 0 || !accessOk(flags) || maxEntries !== 0) return EINVAL;
  } else if (queueStack) {
    // queue_stack_map_alloc_check: keyless, and values userspace can copy; on some kernels the area's size in
    // a u32 (kernel-version.ts queueSizeChecked). Elsewhere up to 2^32 × value_size bytes: created, or ENOMEM.
    if (maxEntries === 0 || keySize !== 0 || valueSize === 0 || (flags & ~QUEUE_STACK_FLAGS) !== 0 || !accessOk(flags)) return EINVAL;
    if (valueSize > KMALLOC_MAX_SIZE) return E2BIG;
    if (queueSizeChecked(kernelVersion) && maxEntries >= Math.floor(U32_MAX / valueSize)) return E2BIG;
  } else if (isRedirectMap(type)) {
    // devmap.c dev_map_alloc_check (a hash's buckets a power of two up to 2^31), cpumap.c cpu_map_alloc (at
    // most NR_CPUS entries), xskmap.c xsk_map_alloc (a socket's fd, 4 bytes).
    const cpumap = type === KernelMapType.Cpumap;
    const sizes = type === KernelMapType.Xskmap ? [4] : REDIRECT_VALUE_SIZES;
    if (maxEntries === 0 || keySize !== 4 || !sizes.includes(valueSize) || (flags & ~(cpumap ? MapFlags.NumaNode : DEV_FLAGS)) !== 0) return EINVAL;
    if (type === KernelMapType.DevmapHash && maxEntries > 2 ** 31) return EINVAL;
    if (cpumap && maxEntries > Math.max(NR_CPUS, ncpu)) return E2BIG;
  } else if (valueSize > KMALLOC_MAX_SIZE) {
    // bloom_map_alloc_check: values userspace can copy; the rest is bloom_map_alloc's, after the token.
    return E2BIG;
  }

  // bpf_token_get_from_fd(attr->map_token_fd): bpfkit passes no token, and fd 0 is not one.
  if (token) return EINVAL;
  // array_of_map_alloc / htab_of_map_alloc: bpf_map_meta_alloc(inner_map_fd) first (its errno, emulator.ts).
  if (isMapInMap(type) && innerMapErrno !== 0) return innerMapErrno;

  // ringbuf.c ringbuf_map_alloc (no alloc check: after the token): BPF_F_NUMA_NODE alone; keyless and
  // valueless; max_entries, the data's size, a power of 2 and a multiple of the page size.
  if (type === KernelMapType.Ringbuf) {
    const pow2 = maxEntries > 0 && (maxEntries & (maxEntries - 1)) === 0;
    if ((flags & ~RINGBUF_FLAGS) !== 0 || keySize !== 0 || valueSize !== 0 || !pow2 || maxEntries % PAGE_SIZE !== 0) return EINVAL;
  }

  // trie_alloc, one EINVAL for all: BPF_F_NO_PREALLOC required (nodes are allocated per update), key_size
  // LPM_KEY_SIZE_MIN..LPM_KEY_SIZE_MAX, value_size 1..LPM_VAL_SIZE_MAX (KMALLOC_MAX_SIZE less the largest data
  // and a node's header, whose size depends on the version).
  if (lpm) {
    const valueMax = KMALLOC_MAX_SIZE - LPM_DATA_SIZE_MAX - lpmNodeHeaderSize(kernelVersion);
    if (maxEntries === 0 || !(flags & MapFlags.NoPrealloc) || (flags & ~LPM_FLAGS) !== 0 || !accessOk(flags) ||
      keySize < LPM_KEY_DATA_OFFSET + LPM_DATA_SIZE_MIN || keySize > LPM_KEY_DATA_OFFSET + LPM_DATA_SIZE_MAX || valueSize < 1 || valueSize > valueMax) {
      return EINVAL;
    }
  }

  // bloom_map_alloc: keyless, at most 15 hash functions (map_extra's low 4 bits, 0 meaning 5).
  if (bloom && (keySize !== 0 || valueSize === 0 || maxEntries === 0 || (flags & ~BLOOM_FLAGS) !== 0 || !accessOk(flags) || (mapExtra & ~BigInt(BLOOM_MAP_EXTRA_HASHES_MASK)) !== 0n)) {
    return EINVAL;
  }

  // bpf_obj_name_cpy: the 16-byte map_name up to its first NUL, [A-Za-z0-9_.] only, and a NUL within
  // the 16 bytes. The name stops at a NUL: 'a\0b' is the map 'a' (the kernel's answer; createMap refuses
  // such names before they get here).
  const bytes = new TextEncoder().encode(attrs.name);
  const nul = bytes.indexOf(0);
  const end = nul < 0 ? bytes.length : nul;
  if (end > BPF_OBJ_NAME_LEN - 1) return EINVAL;
  for (let i = 0; i < end; i++) {
    const c = bytes[i]!;
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46;
    if (!ok) return EINVAL;
  }
  const name = new TextDecoder().decode(bytes.subarray(0, end));

  // map_check_btf: the key and value types' sizes, the value's fields (locks), then the map type's own rule.
  const btf = attrs.btf && attrs.btf.data.length > 0 ? decodedBtf(attrs.btf.data) : undefined;
  if (btf === null) return EINVAL;
  if (btf && attrs.btf) {
    const sized = (id: number, size: number): boolean => {
      try {
        return btf.sizeOf(id) === size;
      } catch {
        return false; // btf_type_id_size: not a sized type
      }
    };
    if (attrs.btf.keyTypeId !== 0 && !sized(attrs.btf.keyTypeId, keySize)) return EINVAL;
    // No key type only for a map type with a map_check_btf of its own: queues and stacks have none.
    if (attrs.btf.keyTypeId === 0 && queueStack) return EINVAL;
    if (!sized(attrs.btf.valueTypeId, valueSize)) return EINVAL;
  }
  if (attrs.locks && attrs.locks.length > 0) {
    if (flags & (MapFlags.RdonlyProg | MapFlags.WronlyProg)) return EACCES;
    const placement = lockRuleViolation(type, attrs.locks);
    // A lock in a map type that may not hold one: its errno changed in 6.2.
    if (placement) return placement.errno === EOPNOTSUPP ? lockInWrongMapErrno(kernelVersion) : placement.errno;
  }
  if (btf && attrs.btf && array && !fdArray && !arrayKeyOk(btf, attrs.btf.keyTypeId, attrs.btf.valueTypeId, type, maxEntries)) return EINVAL;
  // map_check_no_btf: these maps take no BTF for their keys and values.
  if (attrs.btf && (attrs.btf.keyTypeId !== 0 || attrs.btf.valueTypeId !== 0) && isRedirectMap(type)) return ENOTSUPP;
  // bloom_filter.c bloom_map_check_btf: "Bloom filter maps are keyless" (a void key).
  if (btf && attrs.btf && bloom && attrs.btf.keyTypeId !== 0) return EINVAL;
  // lpm_trie.c trie_check_btf: "Keys must have struct bpf_lpm_trie_key_u8 embedded" (a struct; no key type is void).
  if (btf && attrs.btf && lpm && (attrs.btf.keyTypeId === 0 || btf.resolve(attrs.btf.keyTypeId).kind !== BtfKind.Struct)) return EINVAL;
  return { maxEntries, name };
}

/** BTF as BPF_BTF_LOAD took it, or null for BTF the kernel would have refused there. */
function decodedBtf(data: Uint8Array): Btf | null {
  try {
    return parseBtf(data);
  } catch {
    return null;
  }
}

/**
 * kernel/bpf/arraymap.c array_map_check_btf: an array's key is a 32-bit int (the map's u32 index); no key
 * type at all only for the global-data maps (one element, a DATASEC value).
 */
function arrayKeyOk(btf: Btf, keyTypeId: number, valueTypeId: number, type: number, maxEntries: number): boolean {
  if (keyTypeId === 0) return type === MapType.Array && maxEntries === 1 && btf.resolve(valueTypeId).kind === BtfKind.Datasec;
  const key = btf.resolve(keyTypeId);
  return key.kind === BtfKind.Int && (key as BtfInt).bits === 32 && (key as BtfInt).offset === 0;
}
