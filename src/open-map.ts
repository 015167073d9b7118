import type { Codec } from './codec-types.js';
import { lockFields } from './codec.js';
import { type MapTypeId, type MapTypeName, mapTypeByName } from './constants.js';
import type { MapHandle } from './engine.js';
import { resolveEngine, type EngineOption } from './engine-select.js';
import { BpfError } from './errors.js';
import { mapBtf } from './btf/encode.js';
import { lockRuleViolation } from './locks.js';
import { BpfMap, PerCpuMap, wrapMapHandle } from './map.js';

export type PerCpuTypeName = 'percpu_hash' | 'percpu_array' | 'lru_percpu_hash';

export interface CreateMapOptions<K, V> {
  type: MapTypeName | MapTypeId;
  key: Codec<K>;
  value: Codec<V>;
  maxEntries: number;
  /** MapFlags bits (BPF_F_NO_PREALLOC, BPF_F_NO_COMMON_LRU, BPF_F_ZERO_SEED, BPF_F_RDONLY, ...). */
  flags?: number;
  /** At most 15 characters of [A-Za-z0-9_.] (the kernel's rule; it answers EINVAL otherwise). */
  name?: string;
  /** NUMA node for the map's memory, used with MapFlags.NumaNode. */
  numaNode?: number;
  engine?: EngineOption;
}

export interface OpenMapOptions<K, V> {
  key: Codec<K>;
  value: Codec<V>;
  engine?: EngineOption;
}

/** Creates a map (BPF_MAP_CREATE). Per-CPU types give a PerCpuMap whose values are arrays. */
export function createMap<K, V>(options: CreateMapOptions<K, V> & { type: PerCpuTypeName }): PerCpuMap<K, V>;
export function createMap<K, V>(options: CreateMapOptions<K, V>): BpfMap<K, V>;
export function createMap<K, V>(options: CreateMapOptions<K, V>): BpfMap<K, V> | PerCpuMap<K, V> {
  if (options === null || typeof options !== 'object') throw new TypeError('createMap needs an options object');
  const type = mapTypeId(options.type);
  checkCodec('key', options.key);
  checkCodec('value', options.value);
  const maxEntries = u32Option('maxEntries', options.maxEntries);
  const flags = u32Option('flags', options.flags ?? 0);
  const numaNode = u32Option('numaNode', options.numaNode ?? 0);
  const name = options.name ?? '';
  if (typeof name !== 'string') throw new TypeError(`name must be a string, got ${typeof name}`);
  const engine = resolveEngine(options.engine);

  const locks = lockFields(options.value);
  if (locks.length > 0) {
    // Refuse before the syscall with the rule spelled out: the kernel's answer alone (EOPNOTSUPP,
    // E2BIG) does not say which rule, and libbpf's retry without BTF prints a misleading message.
    const violation = lockRuleViolation(type, locks);
    if (violation) {
      throw new BpfError('BPF_MAP_CREATE', violation.errno, { subject: `map '${name}'`, detail: violation.rule });
    }
  }
  const handle = engine.createMap({
    type,
    keySize: options.key.size,
    valueSize: options.value.size,
    maxEntries,
    flags,
    name,
    numaNode,
    ...(locks.length > 0 ? { btf: mapBtf(options.key, options.value), locks } : {}),
  });
  if (typeof handle === 'number') throw new BpfError('BPF_MAP_CREATE', handle, { subject: `map '${name}'` });
  return wrapMapHandle(handle, engine, options.key, options.value);
}

/** Opens a map pinned on bpffs (BPF_OBJ_GET); the codecs must match the map's real sizes. */
export function openPinned<K, V>(path: string, options: OpenMapOptions<K, V>): BpfMap<K, V> | PerCpuMap<K, V> {
  if (typeof path !== 'string' || path === '') throw new TypeError('path must be a non-empty string');
  return openWith(options, 'BPF_OBJ_GET', (engine) => engine.openPinned(path), path);
}

/**
 * Opens an existing map by id, pinned path or fd. An fd is taken over: the BpfMap closes it.
 */
export function openMap<K, V>(
  where: { id: number } | { path: string } | { fd: number },
  options: OpenMapOptions<K, V>,
): BpfMap<K, V> | PerCpuMap<K, V> {
  if (where === null || typeof where !== 'object') throw new TypeError('openMap needs { id }, { path } or { fd }');
  if ('path' in where) return openPinned(where.path, options);
  if ('id' in where) {
    const id = u32Option('id', where.id);
    return openWith(options, 'BPF_MAP_GET_FD_BY_ID', (engine) => engine.openMapById(id));
  }
  if ('fd' in where) {
    const fd = u32Option('fd', where.fd);
    return openWith(options, 'BPF_OBJ_GET_INFO_BY_FD', (engine) => {
      const adopt = (engine as { adoptFd?: (fd: number) => MapHandle | number }).adoptFd;
      if (!adopt) throw new TypeError(`the ${engine.kind} engine has no file descriptors`);
      return adopt.call(engine, fd);
    });
  }
  throw new TypeError('openMap needs { id }, { path } or { fd }');
}

function openWith<K, V>(
  options: OpenMapOptions<K, V>,
  syscall: string,
  open: (engine: ReturnType<typeof resolveEngine>) => MapHandle | number,
  path?: string,
): BpfMap<K, V> | PerCpuMap<K, V> {
  if (options === null || typeof options !== 'object') throw new TypeError('options { key, value } are required');
  checkCodec('key', options.key);
  checkCodec('value', options.value);
  const engine = resolveEngine(options.engine);
  const handle = open(engine);
  if (typeof handle === 'number') throw new BpfError(syscall, handle, path === undefined ? {} : { path, subject: path });
  return wrapMapHandle(handle, engine, options.key, options.value);
}

function mapTypeId(type: unknown): MapTypeId {
  if (typeof type === 'string' && Object.hasOwn(mapTypeByName, type)) return mapTypeByName[type as MapTypeName];
  if (typeof type === 'number' && Object.values(mapTypeByName).includes(type as MapTypeId)) return type as MapTypeId;
  throw new TypeError(`unknown map type ${JSON.stringify(type)}; expected one of ${Object.keys(mapTypeByName).join(', ')}`);
}

function checkCodec(what: string, codec: unknown): void {
  const c = codec as Codec<unknown> | undefined;
  if (!c || typeof c !== 'object' || typeof c.encode !== 'function' || typeof c.decode !== 'function' || !Number.isInteger(c.size)) {
    throw new TypeError(`${what} must be a codec (u32, u64, struct({...}), bytes(n), ...)`);
  }
}

function u32Option(what: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new TypeError(`${what} must be an integer, got ${String(n)}`);
  if (n < 0 || n > 0xffffffff) throw new RangeError(`${what} must fit in a u32, got ${n}`);
  return n;
}
