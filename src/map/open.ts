import type { Codec } from '../codec/types.js';
import { checkCodec, lockFields } from '../codec/codec.js';
import {
  BLOOM_MAP_EXTRA_HASHES_MASK, KernelMapType, MapFlags, MapType, isMapInMap, type KeylessMapTypeId, type KeylessMapTypeName, type MapTypeId, type MapTypeName, type Syscall, isKeyless,
  keylessMapTypeByName,
  mapTypeByName, mapTypeName,
} from '../uapi/bpf.js';
import { isFdEngine, type Engine, type MapHandle } from '../seam/engine.js';
import { resolveEngine, unsupportedOn, type EngineOption } from '../engine-select.js';
import { BpfError, checkU32, describeValue, subjectOf } from '../errors/errors.js';
import { hintFor } from '../errors/hints.js';
import { mapBtf } from '../btf/encode.js';
import { lockRuleViolation } from '../seam/lock-placement.js';
import { BpfMap, LpmTrieMap, PerCpuMap, wrapMapHandle, type MapByPerCpu } from './map.js';
import type { QueueMap } from './queue.js';
import type { BloomFilterMap } from './bloom.js';
import { wrapKeylessHandle } from './wrap-keyless.js';
import { ProgramArrayMap } from './prog-array.js';
import { MapOfMaps } from './map-of-maps.js';
import { RingBuffer } from './ringbuf.js';
import { BpfMapBase } from './base.js';
import { u32 } from '../codec/codec.js';

/** include/linux/numa.h NUMA_NO_NODE (-1) as the u32 bpf_attr.numa_node holds it. */
const NUMA_NO_NODE = 0xffffffff;

export type PerCpuTypeName = 'percpu_hash' | 'percpu_array' | 'lru_percpu_hash' | 'percpu_cgroup_storage';
/** The per-CPU map types, by name or number: their values are arrays with one value per possible CPU. */
export type PerCpuMapType = PerCpuTypeName | typeof MapType.PercpuHash | typeof MapType.PercpuArray | typeof MapType.LruPercpuHash | typeof MapType.PercpuCgroupStorage;

/**
 * What createMap returns for a map type: PerCpuMap for the per-CPU types, BpfMap for the others, and
 * either (a union) when the type is only known as `MapTypeName`/`MapTypeId`.
 */
export type MapForType<T, K, V> = T extends PerCpuMapType ? PerCpuMap<K, V> : T extends LpmTrieMapType ? LpmTrieMap<K, V> : BpfMap<K, V>;

/** The LPM trie type, by name or number: its handle is an LpmTrieMap. */
export type LpmTrieMapType = 'lpm_trie' | typeof MapType.LpmTrie;

export interface CreateMapOptions<K, V, T extends MapTypeName | MapTypeId = MapTypeName | MapTypeId> {
  type: T;
  key: Codec<K>;
  value: Codec<V>;
  maxEntries: number;
  /**
   * MapFlags bits (BPF_F_NO_PREALLOC, BPF_F_NO_COMMON_LRU, BPF_F_ZERO_SEED, BPF_F_RDONLY, ...). Left out: 0, but
   * BPF_F_NO_PREALLOC for an LPM trie, the only way the kernel creates one (kernel/bpf/lpm_trie.c trie_alloc).
   */
  flags?: number;
  /**
   * At most 15 characters of [A-Za-z0-9_.] (the kernel's rule; it answers EINVAL otherwise). A NUL is
   * refused with a TypeError: the kernel would silently cut the name there.
   */
  name?: string;
  /** NUMA node for the map's memory, used with MapFlags.NumaNode; -1 (NUMA_NO_NODE) means any node. */
  numaNode?: number;
  engine?: EngineOption;
}

/** The queue and stack types, by name or number: their handle is a QueueMap. */
export type QueueMapType = 'queue' | 'stack' | typeof MapType.Queue | typeof MapType.Stack;
/** The bloom filter type, by name or number: its handle is a BloomFilterMap. */
export type BloomFilterMapType = 'bloom_filter' | typeof MapType.BloomFilter;

/** createMap's options for the maps without keys: a value codec, no key. */
export interface CreateKeylessMapOptions<V, T extends KeylessMapTypeName | KeylessMapTypeId> {
  type: T;
  value: Codec<V>;
  /** A queue's or stack's capacity; the number of values a bloom filter is sized for. */
  maxEntries: number;
  /** MapFlags bits: NumaNode, Rdonly, Wronly, RdonlyProg, WronlyProg; ZeroSeed for a bloom filter (its hashes' seed 0). */
  flags?: number;
  /** As CreateMapOptions.name. */
  name?: string;
  numaNode?: number;
  engine?: EngineOption;
}

export type CreateQueueMapOptions<V> = CreateKeylessMapOptions<V, QueueMapType>;

/** What createMap takes for every map type without codecs of its values. */
export interface CreateMapCommon {
  /** How many elements (slots, for an array). */
  maxEntries: number;
  /** As CreateMapOptions.name. */
  name?: string;
  numaNode?: number;
  engine?: EngineOption;
}

/** createMap's options for a map of maps: its values are maps like `innerMap` (bpf_attr.inner_map_fd). */
export interface CreateMapOfMapsOptions<K = number> extends CreateMapCommon {
  type: 'array_of_maps' | 'hash_of_maps' | typeof MapType.ArrayOfMaps | typeof MapType.HashOfMaps;
  /** A hash of maps' key codec (u32 when left out); an array of maps' keys are u32 indexes. */
  key?: Codec<K>;
  /** An open map the stored maps must be like (its type, sizes and flags; an inner array's size too). */
  innerMap: BpfMapBase;
  flags?: number;
}

/** createMap's options for a prog array: no codecs (u32 indexes, programs as values). */
export interface CreateProgramArrayOptions extends CreateMapCommon {
  type: 'prog_array' | typeof MapType.ProgArray;
  /** MapFlags bits: NumaNode, Rdonly, Wronly (programs may not read or write a prog array: RdonlyProg/WronlyProg are EINVAL). */
  flags?: number;
}

export interface CreateBloomFilterOptions<V> extends CreateKeylessMapOptions<V, BloomFilterMapType> {
  /**
   * How many hash functions (bits) a value sets, 1 to 15: bpf_attr.map_extra. Left out, the kernel's
   * default, 5 (kernel/bpf/bloom_filter.c bloom_map_alloc).
   */
  nrHashes?: number;
}

export interface OpenMapOptions<K, V, P extends boolean | undefined = boolean | undefined> {
  key: Codec<K>;
  value: Codec<V>;
  /**
   * Whether the map is per-CPU, checked when it is opened (a TypeError if not): `true` types the result
   * as PerCpuMap, `false` as BpfMap. Left out, the result is either (narrow with `instanceof PerCpuMap`).
   */
  perCpu?: P;
  engine?: EngineOption;
  /**
   * Access for the new handle, as BPF_MAP_GET_FD_BY_ID's open_flags and BPF_OBJ_GET's file_flags:
   * MapFlags.Rdonly or MapFlags.Wronly (default 0: read-write). Access is per handle (per fd), as in the
   * kernel: a map created with MapFlags.Rdonly is read-only through the handle createMap returned, and
   * read-write through one opened later without flags. Not for `{ fd }`, whose duplicate shares the
   * original fd's access.
   */
  flags?: number;
}

/**
 * Creates a map (BPF_MAP_CREATE). Per-CPU types give a PerCpuMap whose values are arrays (one signature,
 * typed by `type`, so an editor offers every type name); queues and stacks a QueueMap, bloom filters a
 * BloomFilterMap, both without a key codec.
 */
export function createMap<V>(options: CreateQueueMapOptions<V>): QueueMap<V>;
export function createMap<V>(options: CreateBloomFilterOptions<V>): BloomFilterMap<V>;
export function createMap(options: CreateProgramArrayOptions): ProgramArrayMap;
export function createMap<V = Uint8Array>(options: CreateRingbufOptions<V>): RingBuffer<V>;
export function createMap<K = number>(options: CreateMapOfMapsOptions<K>): MapOfMaps<K>;
export function createMap<K, V, T extends MapTypeName | MapTypeId>(options: CreateMapOptions<K, V, T>): MapForType<T, K, V>;
export function createMap<K, V>(
  options: CreateMapOptions<K, V> | CreateQueueMapOptions<V> | CreateBloomFilterOptions<V> | CreateProgramArrayOptions | CreateMapOfMapsOptions<K> | CreateRingbufOptions<V>,
): BpfMap<K, V> | PerCpuMap<K, V> | QueueMap<V> | BloomFilterMap<V> | ProgramArrayMap | MapOfMaps<K> | RingBuffer<V> {
  if (options === null || typeof options !== 'object') throw new TypeError(`createMap needs an options object, got ${describeValue(options)}`);
  // Every option is read once.
  const {
    type: typeOption, key: keyOption, value: valueOption, maxEntries: maxOption, flags: flagsOption, name: nameOption, numaNode: numaOption, engine: engineOption, nrHashes,
    innerMap,
  } = options as Partial<CreateMapOptions<K, V>> & Partial<CreateBloomFilterOptions<V>> & Partial<CreateMapOfMapsOptions<K>>;
  const type = mapTypeId(typeOption);
  const mapInMap = isMapInMap(type);
  if (mapInMap) {
    if (valueOption !== undefined) throw new TypeError(`createMap: a ${mapTypeName(type)} map's values are maps: leave out value and pass innerMap`);
    if (!(innerMap instanceof BpfMapBase)) throw new TypeError(`createMap: a ${mapTypeName(type)} map needs innerMap, an open map its values will be like, got ${describeValue(innerMap)}`);
    if (innerMap.closed) throw new TypeError(`createMap: innerMap '${innerMap.name}' is closed`);
  } else if (innerMap !== undefined) {
    throw new TypeError(`createMap: innerMap is for array_of_maps and hash_of_maps maps, not ${mapTypeName(type)}`);
  }
  const keyless = isKeyless(type);
  // A ring buffer has neither keys nor values (key_size and value_size 0): its codec only decodes records.
  const ringbuf = type === KernelMapType.Ringbuf;
  const progArray = type === MapType.ProgArray;
  if ((keyless || ringbuf) && keyOption !== undefined) throw new TypeError(`createMap: a ${mapTypeName(type)} map has no keys: leave out key`);
  if (progArray && (keyOption !== undefined || valueOption !== undefined)) {
    throw new TypeError('createMap: a prog_array map takes no codecs: its keys are u32 indexes and its values programs (leave out key and value)');
  }
  if (type === MapType.ArrayOfMaps && keyOption !== undefined) throw new TypeError('createMap: an array_of_maps map\'s keys are u32 indexes: leave out key');
  if (!keyless && !ringbuf && !progArray && !(mapInMap && keyOption === undefined)) checkCodec('createMap: key', keyOption);
  if (!progArray && !mapInMap && !(ringbuf && valueOption === undefined)) checkCodec('createMap: value', valueOption);
  // include/uapi/linux/bpf.h: a prog array's key is a u32 index, its value a u32 program fd; a map-in-map's
  // value is a u32 map fd, its key a u32 unless a hash of maps is given another.
  const key = (progArray || (mapInMap && keyOption === undefined) ? u32 : keyOption) as Codec<K>;
  const value = (progArray || mapInMap ? u32 : valueOption) as Codec<V>;
  const mapExtra = bloomHashes(type, nrHashes);
  const maxEntries = checkU32('createMap', 'maxEntries', maxOption);
  const flags = checkU32('createMap', 'flags', flagsOption ?? (type === MapType.LpmTrie ? MapFlags.NoPrealloc : 0));
  // NUMA_NO_NODE (-1, include/linux/numa.h) is accepted by the kernel with BPF_F_NUMA_NODE: "any node".
  const numaNode = numaOption === -1 ? NUMA_NO_NODE : checkU32('createMap', 'numaNode', numaOption ?? 0);
  const name = nameOption ?? '';
  if (typeof name !== 'string') throw new TypeError(`createMap: name must be a string, got ${describeValue(name)}`);
  // The kernel copies map_name up to its first NUL (kernel/bpf/syscall.c bpf_obj_name_cpy), so 'a\0b'
  // would silently become 'a'. Refuse it rather than create a map under another name.
  if (name.includes('\0')) throw new TypeError(`createMap: name must not contain NUL characters, got ${JSON.stringify(name)}`);
  const engine = resolveEngine(engineOption, 'createMap');

  const locks = ringbuf ? [] : lockFields(value);
  if (locks.length > 0) {
    // Refuse before the syscall with the rule spelled out: the kernel's answer alone (EOPNOTSUPP,
    // E2BIG) does not say which rule, and libbpf's retry without BTF prints a misleading message.
    const violation = lockRuleViolation(type, locks);
    if (violation) {
      throw new BpfError('BPF_MAP_CREATE', violation.errno, { subject: subjectOf({ map: name }), detail: violation.rule });
    }
  }
  const handle = engine.createMap({
    type,
    keySize: keyless || ringbuf ? 0 : key.size,
    valueSize: ringbuf ? 0 : value.size,
    maxEntries,
    flags,
    name,
    numaNode,
    ...(mapExtra !== undefined ? { mapExtra } : {}),
    ...(locks.length > 0 ? { btf: mapBtf(key, value), locks } : {}),
    ...(mapInMap ? { innerMap: (innerMap as BpfMapBase).handle } : {}),
  });
  if (typeof handle === 'number') {
    throw new BpfError('BPF_MAP_CREATE', handle, { subject: subjectOf({ map: name }), hint: hintFor({ syscall: 'BPF_MAP_CREATE', errno: handle, mapName: name }) });
  }
  if (progArray) return new ProgramArrayMap(handle, engine);
  if (ringbuf) return new RingBuffer(handle, engine, valueOption);
  if (mapInMap) return new MapOfMaps(handle, engine, key);
  return keyless ? wrapKeylessHandle(handle, engine, value) : wrapMapHandle(handle, engine, key, value);
}

/** `nrHashes` as map_extra: only for a bloom filter, 1 to 15; undefined when left out (the kernel's default). */
function bloomHashes(type: number, nrHashes: unknown): bigint | undefined {
  if (nrHashes === undefined) return undefined;
  if (type !== MapType.BloomFilter) throw new TypeError(`createMap: nrHashes is for bloom_filter maps, not ${mapTypeName(type)}`);
  const n = checkU32('createMap', 'nrHashes', nrHashes);
  if (n < 1 || n > BLOOM_MAP_EXTRA_HASHES_MASK) throw new RangeError(`createMap: nrHashes must be 1 to ${BLOOM_MAP_EXTRA_HASHES_MASK} (a bloom filter's map_extra holds it in 4 bits), got ${n}`);
  return BigInt(n);
}

/**
 * openPinned's and openMap's options for a map without keys: its type, checked against the map's real type
 * (a TypeError if not), and its value codec.
 */
export interface OpenKeylessMapOptions<V, T extends KeylessMapTypeName = KeylessMapTypeName> {
  type: T;
  value: Codec<V>;
  engine?: EngineOption;
  /** As OpenMapOptions.flags. */
  flags?: number;
}

type AnyOpenOptions<K, V> = OpenMapOptions<K, V> | OpenKeylessMapOptions<V>;
type AnyMap<K, V> = BpfMap<K, V> | PerCpuMap<K, V> | QueueMap<V> | BloomFilterMap<V>;

/** Opens a map pinned on bpffs (BPF_OBJ_GET); the codecs must match the map's real sizes. */
export function openPinned<V>(path: string, options: OpenKeylessMapOptions<V, 'queue' | 'stack'>): QueueMap<V>;
export function openPinned<V>(path: string, options: OpenKeylessMapOptions<V, 'bloom_filter'>): BloomFilterMap<V>;
export function openPinned<K, V, P extends boolean | undefined = undefined>(path: string, options: OpenMapOptions<K, V, P>): MapByPerCpu<P, K, V>;
export function openPinned<K, V>(path: string, options: AnyOpenOptions<K, V>): AnyMap<K, V> {
  if (typeof path !== 'string' || path === '') throw new TypeError(`openPinned: path must be a non-empty string, got ${describeValue(path)}`);
  if (path.includes('\0')) throw new TypeError('openPinned: path must not contain NUL characters');
  return openWith('openPinned', options, 'BPF_OBJ_GET', (engine, flags) => engine.openPinned(path, flags), path);
}

/**
 * Opens an existing map by id, pinned path or fd. `{ fd }` opens a duplicate of the fd (as dup(2)
 * does): the new BpfMap owns and closes its duplicate, and the caller keeps owning `fd` (close it, or
 * the BpfMap it came from, as before). Two handles never share one fd number, so closing one cannot
 * let a later map reuse a number the other still writes to.
 */
export function openMap<V>(where: { id: number } | { path: string } | { fd: number }, options: OpenKeylessMapOptions<V, 'queue' | 'stack'>): QueueMap<V>;
export function openMap<V>(where: { id: number } | { path: string } | { fd: number }, options: OpenKeylessMapOptions<V, 'bloom_filter'>): BloomFilterMap<V>;
export function openMap<K, V, P extends boolean | undefined = undefined>(
  where: { id: number } | { path: string } | { fd: number },
  options: OpenMapOptions<K, V, P>,
): MapByPerCpu<P, K, V>;
export function openMap<K, V>(where: { id: number } | { path: string } | { fd: number }, options: AnyOpenOptions<K, V>): AnyMap<K, V> {
  if (where === null || typeof where !== 'object') throw new TypeError(`openMap needs { id }, { path } or { fd }, got ${describeValue(where)}`);
  if ('path' in where) return openPinned(where.path, options as OpenMapOptions<K, V>);
  if ('id' in where) {
    const id = checkU32('openMap', 'id', where.id);
    return openWith('openMap', options, 'BPF_MAP_GET_FD_BY_ID', (engine, flags) => engine.openMapById(id, flags));
  }
  if ('fd' in where) {
    const fd = where.fd;
    if (typeof fd !== 'number' || !Number.isInteger(fd)) throw new TypeError(`openMap: fd must be an integer, got ${describeValue(fd)}`);
    if (fd < 0 || fd > 0x7fffffff) throw new RangeError(`openMap: fd must be in [0, 2147483647], got ${fd}`);
    return openWith('openMap', options, 'BPF_OBJ_GET_INFO_BY_FD', (engine, flags) => {
      if (flags !== 0) throw new TypeError('openMap: flags do not apply to { fd } (the duplicate shares the fd\'s access)');
      if (!isFdEngine(engine)) throw unsupportedOn(engine, 'has no file descriptors', { operation: 'openMap' });
      return engine.openFd(fd);
    });
  }
  throw new TypeError('openMap needs { id }, { path } or { fd }');
}

function openWith<K, V>(
  operation: string,
  options: AnyOpenOptions<K, V>,
  syscall: Syscall,
  open: (engine: Engine, flags: number) => MapHandle | number,
  path?: string,
): AnyMap<K, V> {
  if (options === null || typeof options !== 'object') throw new TypeError(`${operation}: options { key, value } are required, got ${describeValue(options)}`);
  // Every option is read once.
  const { key, value, engine: engineOption, flags: flagsOption, perCpu, type } = options as Partial<OpenMapOptions<K, V>> & Partial<OpenKeylessMapOptions<V>>;
  if (type !== undefined) {
    if (typeof type !== 'string' || !Object.hasOwn(keylessMapTypeByName, type)) {
      throw new TypeError(`${operation}: type must be one of ${Object.keys(keylessMapTypeByName).join(', ')} (the maps without keys), got ${describeValue(type)}`);
    }
    if (key !== undefined || perCpu !== undefined) throw new TypeError(`${operation}: a ${type} map takes { type, value }: it has no keys and no per-CPU values`);
  } else {
    checkCodec(`${operation}: key`, key);
  }
  checkCodec(`${operation}: value`, value);
  if (perCpu !== undefined && typeof perCpu !== 'boolean') throw new TypeError(`${operation}: perCpu must be a boolean, got ${describeValue(perCpu)}`);
  const flags = checkU32(operation, 'flags', flagsOption ?? 0);
  const engine = resolveEngine(engineOption, operation);
  const handle = open(engine, flags);
  if (typeof handle === 'number') {
    throw new BpfError(syscall, handle, path === undefined ? {} : { path, subject: path, hint: hintFor({ syscall, errno: handle, path, onBpffs: path !== undefined && engine.onBpffs?.(path) }) });
  }
  if (type !== undefined) return wrapKeylessHandle(handle, engine, value!, type);
  return wrapMapHandle(handle, engine, key!, value!, perCpu);
}

/** Every map type createMap takes, by name: those with keys, then those without. */
const createdTypes: Readonly<Record<string, number>> = {
  ...mapTypeByName, ...keylessMapTypeByName, prog_array: MapType.ProgArray, array_of_maps: MapType.ArrayOfMaps, hash_of_maps: MapType.HashOfMaps,
  ringbuf: KernelMapType.Ringbuf,
};

/** createMap's options for a ring buffer: its size, and the codec of the records it decodes (others stay bytes). */
export interface CreateRingbufOptions<V = Uint8Array> {
  type: 'ringbuf' | typeof KernelMapType.Ringbuf;
  /** The ring's size in bytes: a power of 2 and a multiple of the page size (4096), as the kernel requires. */
  maxEntries: number;
  /** Decodes the records whose length is its size; left out, every record is its bytes. */
  value?: Codec<V>;
  /** MapFlags.NumaNode alone: the kernel refuses any other flag (EINVAL). */
  flags?: number;
  /** As CreateMapOptions.name. */
  name?: string;
  numaNode?: number;
  engine?: EngineOption;
}

function mapTypeId(type: unknown): number {
  if (typeof type === 'string' && Object.hasOwn(createdTypes, type)) return createdTypes[type]!;
  if (typeof type === 'number' && Object.values(createdTypes).includes(type)) return type;
  throw new TypeError(`createMap: unknown map type ${typeof type === 'string' ? JSON.stringify(type) : describeValue(type)}; expected one of ${Object.keys(createdTypes).join(', ')}`);
}
