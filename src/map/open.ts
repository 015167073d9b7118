import type { Codec } from '../codec/types.js';
import { checkCodec, lockFields } from '../codec/codec.js';
import { MapType, type MapTypeId, type MapTypeName, type Syscall, mapTypeByName } from '../uapi/bpf.js';
import { isFdEngine, type Engine, type MapHandle } from '../seam/engine.js';
import { resolveEngine, unsupportedOn, type EngineOption } from '../engine-select.js';
import { BpfError, checkU32, describeValue, subjectOf } from '../errors/errors.js';
import { hintFor } from '../errors/hints.js';
import { mapBtf } from '../btf/encode.js';
import { lockRuleViolation } from '../seam/lock-placement.js';
import { BpfMap, PerCpuMap, wrapMapHandle, type MapByPerCpu } from './map.js';

/** include/linux/numa.h NUMA_NO_NODE (-1) as the u32 bpf_attr.numa_node holds it. */
const NUMA_NO_NODE = 0xffffffff;

export type PerCpuTypeName = 'percpu_hash' | 'percpu_array' | 'lru_percpu_hash';
/** The per-CPU map types, by name or number: their values are arrays with one value per possible CPU. */
export type PerCpuMapType = PerCpuTypeName | typeof MapType.PercpuHash | typeof MapType.PercpuArray | typeof MapType.LruPercpuHash;

/**
 * What createMap returns for a map type: PerCpuMap for the per-CPU types, BpfMap for the others, and
 * either (a union) when the type is only known as `MapTypeName`/`MapTypeId`.
 */
export type MapForType<T, K, V> = T extends PerCpuMapType ? PerCpuMap<K, V> : BpfMap<K, V>;

export interface CreateMapOptions<K, V, T extends MapTypeName | MapTypeId = MapTypeName | MapTypeId> {
  type: T;
  key: Codec<K>;
  value: Codec<V>;
  maxEntries: number;
  /** MapFlags bits (BPF_F_NO_PREALLOC, BPF_F_NO_COMMON_LRU, BPF_F_ZERO_SEED, BPF_F_RDONLY, ...). */
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
 * typed by `type`, so an editor offers every type name).
 */
export function createMap<K, V, T extends MapTypeName | MapTypeId>(options: CreateMapOptions<K, V, T>): MapForType<T, K, V>;
export function createMap<K, V>(options: CreateMapOptions<K, V>): BpfMap<K, V> | PerCpuMap<K, V> {
  if (options === null || typeof options !== 'object') throw new TypeError(`createMap needs an options object, got ${describeValue(options)}`);
  // Every option is read once.
  const { type: typeOption, key, value, maxEntries: maxOption, flags: flagsOption, name: nameOption, numaNode: numaOption, engine: engineOption } = options;
  const type = mapTypeId(typeOption);
  checkCodec('createMap: key', key);
  checkCodec('createMap: value', value);
  const maxEntries = checkU32('createMap', 'maxEntries', maxOption);
  const flags = checkU32('createMap', 'flags', flagsOption ?? 0);
  // NUMA_NO_NODE (-1, include/linux/numa.h) is accepted by the kernel with BPF_F_NUMA_NODE: "any node".
  const numaNode = numaOption === -1 ? NUMA_NO_NODE : checkU32('createMap', 'numaNode', numaOption ?? 0);
  const name = nameOption ?? '';
  if (typeof name !== 'string') throw new TypeError(`createMap: name must be a string, got ${describeValue(name)}`);
  // The kernel copies map_name up to its first NUL (kernel/bpf/syscall.c bpf_obj_name_cpy), so 'a\0b'
  // would silently become 'a'. Refuse it rather than create a map under another name.
  if (name.includes('\0')) throw new TypeError(`createMap: name must not contain NUL characters, got ${JSON.stringify(name)}`);
  const engine = resolveEngine(engineOption, 'createMap');

  const locks = lockFields(value);
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
    keySize: key.size,
    valueSize: value.size,
    maxEntries,
    flags,
    name,
    numaNode,
    ...(locks.length > 0 ? { btf: mapBtf(key, value), locks } : {}),
  });
  if (typeof handle === 'number') {
    throw new BpfError('BPF_MAP_CREATE', handle, { subject: subjectOf({ map: name }), hint: hintFor({ syscall: 'BPF_MAP_CREATE', errno: handle, mapName: name }) });
  }
  return wrapMapHandle(handle, engine, key, value);
}

/** Opens a map pinned on bpffs (BPF_OBJ_GET); the codecs must match the map's real sizes. */
export function openPinned<K, V, P extends boolean | undefined = undefined>(path: string, options: OpenMapOptions<K, V, P>): MapByPerCpu<P, K, V>;
export function openPinned<K, V>(path: string, options: OpenMapOptions<K, V>): BpfMap<K, V> | PerCpuMap<K, V> {
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
export function openMap<K, V, P extends boolean | undefined = undefined>(
  where: { id: number } | { path: string } | { fd: number },
  options: OpenMapOptions<K, V, P>,
): MapByPerCpu<P, K, V>;
export function openMap<K, V>(
  where: { id: number } | { path: string } | { fd: number },
  options: OpenMapOptions<K, V>,
): BpfMap<K, V> | PerCpuMap<K, V> {
  if (where === null || typeof where !== 'object') throw new TypeError(`openMap needs { id }, { path } or { fd }, got ${describeValue(where)}`);
  if ('path' in where) return openPinned(where.path, options);
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
  options: OpenMapOptions<K, V>,
  syscall: Syscall,
  open: (engine: Engine, flags: number) => MapHandle | number,
  path?: string,
): BpfMap<K, V> | PerCpuMap<K, V> {
  if (options === null || typeof options !== 'object') throw new TypeError(`${operation}: options { key, value } are required, got ${describeValue(options)}`);
  const { key, value, engine: engineOption, flags: flagsOption, perCpu } = options;
  checkCodec(`${operation}: key`, key);
  checkCodec(`${operation}: value`, value);
  if (perCpu !== undefined && typeof perCpu !== 'boolean') throw new TypeError(`${operation}: perCpu must be a boolean, got ${describeValue(perCpu)}`);
  const flags = checkU32(operation, 'flags', flagsOption ?? 0);
  const engine = resolveEngine(engineOption, operation);
  const handle = open(engine, flags);
  if (typeof handle === 'number') {
    throw new BpfError(syscall, handle, path === undefined ? {} : { path, subject: path, hint: hintFor({ syscall, errno: handle, path }) });
  }
  return wrapMapHandle(handle, engine, key, value, perCpu);
}

function mapTypeId(type: unknown): MapTypeId {
  if (typeof type === 'string' && Object.hasOwn(mapTypeByName, type)) return mapTypeByName[type as MapTypeName];
  if (typeof type === 'number' && Object.values(mapTypeByName).includes(type as MapTypeId)) return type as MapTypeId;
  throw new TypeError(`createMap: unknown map type ${typeof type === 'string' ? JSON.stringify(type) : describeValue(type)}; expected one of ${Object.keys(mapTypeByName).join(', ')}`);
}
