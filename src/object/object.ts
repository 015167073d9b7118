// BPF objects (an ELF of programs and maps, built by clang) on any engine through the object seam
// (src/seam/engine.ts ObjectHandle): the load pipeline of openObject() (checks, program choice, map reuse, lock
// placement, load) and BpfObject, which hands out typed maps (BpfMap), programs (src/object/program.ts) and globals.
import { statSync } from 'node:fs';
import type { Codec } from '../codec/types.js';
import { isKeyless, isMapInMap, KernelMapType, keylessMapTypeByName, MapFlags, mapTypeName, type BpfCommand, type KeylessMapTypeName } from '../uapi/bpf.js';
import { isObjectFailure, type Engine, type ObjectHandle, type ObjectMapSpec, type ProgramSpec } from '../seam/engine.js';
import { resolveEngine, unsupportedOn, type EngineOption } from '../engine-select.js';
import { EBADF, EINVAL, EISDIR, ENOENT, ENOEXEC, EPERM, errnoOfCode } from '../uapi/errno.js';
import { BpfError, describeValue, subjectOf } from '../errors/errors.js';
import { bytes, checkCodec, decodeFromBytes, encodeToBytes, u32 } from '../codec/codec.js';
import { codecDifference } from '../codec/compare.js';
import { globalImages, globalVariables, mapCodecsFromBtf, mapOfSection, mapValueCodecFromBtf } from './globals.js';
import { lockRuleViolation } from '../seam/lock-placement.js';
import { BpfMap, PerCpuMap, wrapMapHandle, type MapByPerCpu } from '../map/map.js';
import { BpfMapBase } from '../map/base.js';
import type { QueueMap } from '../map/queue.js';
import { RingBuffer } from '../map/ringbuf.js';
import type { BloomFilterMap } from '../map/bloom.js';
import { wrapKeylessHandle } from '../map/wrap-keyless.js';
import { ProgramArrayMap } from '../map/prog-array.js';
import { MapOfMaps } from '../map/map-of-maps.js';
import { failureError } from './failure.js';
import { BpfProgram, verifierOptions } from './program.js';
import { KernelProgramType, programTypeName } from '../uapi/program-type.js';
import { programTypeByName, type ProgramTypeName } from '../elf/sections.js';

export interface OpenObjectOptions {
  engine?: EngineOption;
  /**
   * The programs to load, by name (libbpf bpf_program__set_autoload). Default: every program except those
   * in SEC("?...") sections.
   */
  programs?: readonly string[];
  /**
   * Maps of the object to replace by maps you already have (libbpf bpf_map__reuse_fd): the programs then
   * read and write your map, and the object creates no map of that name.
   */
  maps?: Readonly<Record<string, BpfMapBase>>;
  /**
   * The verifier's log level for every program loaded (libbpf bpf_program__set_log_level): BPF_LOG_LEVEL1
   * (1), BPF_LOG_LEVEL2 (2), BPF_LOG_STATS (4), or'ed. The log of a program that loads is its
   * `verifierLog`; a refused program's is its BpfVerifierError's. Default 0: a log only when the load fails.
   */
  logLevel?: number;
  /**
   * BPF_F_* prog_flags for every program loaded, added to those libbpf sets for the section (libbpf
   * bpf_program__set_flags): ProgFlags.StrictAlignment, ProgFlags.TestStateFreq, ... Default 0.
   */
  programFlags?: number;
  /**
   * Program types in place of their sections' (libbpf bpf_program__set_type), by program name: a
   * KernelProgramType name ('SchedCls', 'LwtIn', ...), a section name libbpf knows ('tc', 'lwt_in': its
   * program type) or a number. For sections libbpf does not know
   * (SEC("mysec")), whose programs cannot load without one.
   */
  programTypes?: Readonly<Record<string, ProgramTypeName | number>>;
  /**
   * Global variables' values before load, by their C names, typed as `obj.globals` types them: `const
   * volatile` variables in `.rodata`, which the verifier then reads as constants (so a branch they rule out
   * is never verified), and the initial values of `.data`, `.bss` and `.data.<name>` variables (libbpf
   * bpf_map__set_initial_value, as skeletons set `skel->rodata->x` between open and load). A name the object
   * has no global by, a static variable, a value of the wrong type or range: a TypeError or RangeError
   * naming the variable and its section.
   */
  constants?: Readonly<Record<string, unknown>>;
}

/** A map of the object, as created (or reused) at load. */
export interface ObjectMapInfo extends ObjectMapSpec {
  typeName: string;
}

export interface ObjectProgramInfo extends ProgramSpec {
  typeName: string;
  /** False for a program that was not loaded (SEC("?...") or `programs` left it out). */
  loaded: boolean;
}

/**
 * Opens a BPF ELF object and loads it: maps are created (or reused, see `options.maps`), programs
 * verified. A verifier rejection throws BpfVerifierError with the program's log; anything else that fails
 * throws BpfError. Close the object (or `using` it) to unload.
 */
export function openObject(path: string, options: OpenObjectOptions = {}): BpfObject {
  if (typeof path !== 'string' || path === '') throw new TypeError(`openObject: path must be a non-empty string, got ${typeof path === 'string' ? "''" : typeof path}`);
  if (options === null || typeof options !== 'object') throw new TypeError('openObject: options must be an object');
  const { maps = {}, programs, logLevel = 0, programFlags = 0, programTypes = {}, constants = {} } = options;
  if (constants === null || typeof constants !== 'object') throw new TypeError('openObject: options.constants must be an object of values by global variable name');
  if (programTypes === null || typeof programTypes !== 'object') throw new TypeError('openObject: options.programTypes must be an object of program types by program name');
  if (maps === null || typeof maps !== 'object') throw new TypeError('openObject: options.maps must be an object of BpfMaps by name');
  if (programs !== undefined && (!Array.isArray(programs) || programs.some((p) => typeof p !== 'string'))) {
    throw new TypeError('openObject: options.programs must be an array of program names');
  }
  const verifier = verifierOptions('openObject', logLevel, programFlags);
  const engine = resolveEngine(options.engine);
  const subject = subjectOf({ object: path });
  if (!engine.openObject) throw unsupportedOn(engine, 'does not run BPF programs', { syscall: 'bpf_object__open', subject, path });
  checkObjectFile(path, subject);

  const handle = engine.openObject(path);
  if (isObjectFailure(handle)) throw failureError(handle, path, engine);
  try {
    const specs = handle.programs();
    if (specs.length === 0) throw new BpfError('bpf_object__open', EINVAL, { subject, path, detail: 'the object holds no BPF programs' });
    if (programs !== undefined) choosePrograms(handle, specs, programs, path);
    setProgramTypes(handle, specs, programTypes, path);
    checkProgramTypes(handle, path);
    if (verifier.logLevel !== 0 || verifier.flags !== 0) {
      for (const p of specs) {
        const failure = handle.setVerifierOptions(p.name, verifier);
        if (failure) throw failureError(failure, path);
      }
    }
    setGlobals(handle, constants, maps, path);
    reuseMaps(handle, maps, path);
    const mapInfos = handle.maps().map((m) => ({ ...m, typeName: mapTypeName(m.type) }));
    for (const m of mapInfos) checkLockPlacement(m, path);
    const failure = handle.load();
    if (failure) throw failureError(failure, path, engine);
    const loaded = new Set(programs ?? specs.filter((p) => p.autoload).map((p) => p.name));
    const programInfos = handle.programs().map((p) => ({ ...p, typeName: programTypeName(p.type), loaded: loaded.has(p.name) }));
    return new BpfObject(path, handle, engine, mapInfos, programInfos);
  } catch (e) {
    handle.close();
    throw e;
  }
}

/**
 * libbpf 1.1 leaks the fd it opened when the file is not an ELF it can read (a directory, say): only
 * regular files reach an engine. The errno is what open(2)/read(2) would say.
 */
function checkObjectFile(path: string, subject: string): void {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new BpfError('bpf_object__open', errnoOfCode((e as NodeJS.ErrnoException).code) ?? ENOENT, { subject, path });
  }
  if (st.isDirectory()) throw new BpfError('bpf_object__open', EISDIR, { subject, path, detail: 'a directory is not a BPF object file' });
  if (!st.isFile()) throw new BpfError('bpf_object__open', ENOEXEC, { subject, path, detail: 'not a regular file' });
}

function choosePrograms(handle: ObjectHandle, specs: readonly ProgramSpec[], wanted: readonly string[], path: string): void {
  const names = new Set(specs.map((p) => p.name));
  for (const name of wanted) {
    if (!names.has(name)) throw new RangeError(`openObject: ${subjectOf({ object: path })} has no program named '${name}' (it has: ${[...names].join(', ')})`);
  }
  for (const p of specs) {
    const failure = handle.setAutoload(p.name, wanted.includes(p.name));
    if (failure) throw failureError(failure, path);
  }
}

function setProgramTypes(handle: ObjectHandle, specs: readonly ProgramSpec[], types: Readonly<Record<string, unknown>>, path: string): void {
  const names = new Set(specs.map((p) => p.name));
  for (const [name, type] of Object.entries(types)) {
    if (!names.has(name)) throw new RangeError(`openObject: ${subjectOf({ object: path })} has no program named '${name}' (it has: ${[...names].join(', ')})`);
    const failure = handle.setProgramType(name, programTypeId(type, name));
    if (failure) throw failureError(failure, path);
  }
}

/**
 * A program type by KernelProgramType name, libbpf section name (its type alone: bpf_program__set_type) or
 * number (BPF_PROG_TYPE_UNSPEC is not one).
 */
function programTypeId(type: unknown, program: string): number {
  const byName = typeof type === 'string' ? programTypeByName(type)?.type : undefined;
  const known = Object.values(KernelProgramType) as number[];
  if (byName !== undefined) return byName;
  if (typeof type === 'number' && type !== 0 && known.includes(type)) return type;
  const names = Object.keys(KernelProgramType).filter((n) => n !== 'Unspec').join(', ');
  throw new TypeError(`openObject: options.programTypes.${program} must be a program type (one of ${names}, a libbpf section name such as 'xdp' or 'tc', or its number), got ${describeValue(type)}`);
}

/**
 * A program to load whose section names no type libbpf knows fails in BPF_PROG_LOAD with a bare EINVAL
 * (BPF_PROG_TYPE_UNSPEC; libbpf: "missing BPF prog type"): said here, with the fix, on every engine.
 */
function checkProgramTypes(handle: ObjectHandle, path: string): void {
  for (const p of handle.programs()) {
    if (!p.autoload || p.type !== KernelProgramType.Unspec) continue;
    throw new BpfError('bpf_object__load', EINVAL, {
      subject: subjectOf({ program: p.name, object: path }),
      path,
      detail: `section '${p.section}' names no program type libbpf knows; give it one: openObject(path, { programTypes: { ${p.name}: 'SchedCls' } }) (libbpf bpf_program__set_type)`,
    });
  }
}

/**
 * options.constants into the initial images of their sections' maps (globals.ts globalImages), set before
 * load. A map options.maps replaces keeps its own contents (libbpf: EBUSY for a reused map), so a variable
 * in one is refused.
 */
function setGlobals(handle: ObjectHandle, values: Readonly<Record<string, unknown>>, reused: Readonly<Record<string, unknown>>, path: string): void {
  if (Object.keys(values).length === 0) return;
  const internal = handle.maps().filter((m) => m.internal).map((m) => m.name);
  const images = globalImages(path, internal, values, (map) => {
    const image = handle.initialValue(map);
    if (typeof image === 'number') throw new BpfError('bpf_map__set_initial_value', image, { subject: subjectOf({ map, object: path }), path });
    return image;
  }, 'openObject: options.constants');
  for (const map of images.keys()) {
    if (!Object.hasOwn(reused, map)) continue;
    throw new TypeError(`openObject: options.constants sets variables of map '${map}', which options.maps replaces: a reused map keeps its own contents`);
  }
  for (const [map, image] of images) {
    const failure = handle.setInitialValue(map, image);
    if (failure) throw failureError(failure, path);
  }
}

function reuseMaps(handle: ObjectHandle, maps: Readonly<Record<string, BpfMapBase>>, path: string): void {
  const names = new Set(handle.maps().map((m) => m.name));
  for (const [name, map] of Object.entries(maps)) {
    if (!(map instanceof BpfMapBase)) throw new TypeError(`openObject: options.maps.${name} must be a BpfMap (or a QueueMap, BloomFilterMap)`);
    if (!names.has(name)) throw new RangeError(`openObject: ${subjectOf({ object: path })} has no map named '${name}' (it has: ${[...names].join(', ') || 'none'})`);
    const failure = handle.reuseMap(name, map.handle);
    if (failure) throw failureError(failure, path);
  }
}

/**
 * The kernel refuses a lock-bearing value in LRU and per-CPU maps (EOPNOTSUPP at BPF_MAP_CREATE); libbpf
 * then retries without BTF, and the verifier reports the misleading "map ... has to have BTF in order to
 * use bpf_spin_lock". Read from the object's BTF, the rule is checked here before anything is created.
 */
function checkLockPlacement(m: ObjectMapInfo, path: string): void {
  if (m.lock === undefined) return;
  const violation = lockRuleViolation(m.type, [{ kind: m.lock, offset: 0 }]);
  if (violation) throw new BpfError('BPF_MAP_CREATE', violation.errno, { subject: subjectOf({ map: m.name, object: path }), path, detail: violation.rule });
}

export class BpfObject {
  readonly path: string;
  /** The object's maps by name (including libbpf-internal .data/.bss/.rodata maps). */
  readonly maps: Readonly<Record<string, ObjectMapInfo>>;
  /** The object's programs by name (also those not loaded: see `loaded`). */
  readonly programs: Readonly<Record<string, ObjectProgramInfo>>;
  readonly engine: Engine;
  readonly #handle: ObjectHandle;
  readonly #programs = new Map<string, BpfProgram>();
  #globals: Record<string, unknown> | undefined;
  readonly #globalMaps = new Map<string, BpfMap<number, Uint8Array>>();

  /** Use openObject(). */
  constructor(path: string, handle: ObjectHandle, engine: Engine, maps: ObjectMapInfo[], programs: ObjectProgramInfo[]) {
    this.path = path;
    this.#handle = handle;
    this.engine = engine;
    this.maps = Object.freeze(Object.fromEntries(maps.map((m) => [m.name, Object.freeze(m)])));
    this.programs = Object.freeze(Object.fromEntries(programs.map((p) => [p.name, Object.freeze(p)])));
  }

  get closed(): boolean {
    return this.#handle.closed;
  }

  /**
   * A typed handle on one of the object's maps, checked against the map's real sizes. It holds its own
   * reference (on the kernel, a dup of the fd), so it stays usable after the object is closed; close it
   * separately.
   */
  map<V = unknown>(name: string, options: { type: 'queue' | 'stack'; value?: Codec<V> }): QueueMap<V>;
  /**
   * A map without keys (a queue, stack or bloom filter), by its type, checked against the map's real type: its
   * value codec given, or from the object's BTF (`__type(value, ...)`).
   */
  map<V = unknown>(name: string, options: { type: 'bloom_filter'; value?: Codec<V> }): BloomFilterMap<V>;
  /** A prog array (`BPF_MAP_TYPE_PROG_ARRAY`): its slots take the object's programs (ProgramArrayMap.set). */
  map(name: string, options: { type: 'prog_array' }): ProgramArrayMap;
  /** A ring buffer (`BPF_MAP_TYPE_RINGBUF`): as ringbuf(name, { value }). */
  map<V = Uint8Array>(name: string, options: { type: 'ringbuf'; value?: Codec<V> }): RingBuffer<V>;
  /** A map of maps: its values are maps (MapOfMaps.set); a hash of maps' key codec given, or u32. */
  map<K = number>(name: string, options: { type: 'array_of_maps' | 'hash_of_maps'; key?: Codec<K> }): MapOfMaps<K>;
  map<K, V, P extends boolean | undefined = undefined>(name: string, codecs: { key: Codec<K>; value: Codec<V>; perCpu?: P }): MapByPerCpu<P, K, V>;
  /**
   * Without codecs, they come from the object's BTF (the map's `__type(key, ...)`/`__type(value, ...)`):
   * structs by field name, ints by size and signedness, arrays, the lock structs; what has no codec (a
   * union, a bitfield) is a TypeError naming it. The values' static type is then `unknown`.
   */
  map<P extends boolean | undefined = undefined>(name: string, options?: { perCpu?: P }): MapByPerCpu<P, unknown, unknown>;
  map<K, V>(
    name: string,
    codecs: { key?: Codec<K>; value?: Codec<V>; perCpu?: boolean; type?: KeylessMapTypeName | 'prog_array' | 'array_of_maps' | 'hash_of_maps' | 'ringbuf' } = {},
  ): BpfMap<K, V> | PerCpuMap<K, V> | QueueMap<V> | BloomFilterMap<V> | ProgramArrayMap | MapOfMaps<K> | RingBuffer<V> {
    this.#checkOpen('BPF_OBJ_GET_INFO_BY_FD');
    if (typeof name !== 'string') throw new TypeError(`map() of ${subjectOf({ object: this.path })}: name must be a string`);
    name = this.#mapName(name);
    if (codecs === null || typeof codecs !== 'object') throw new TypeError(`map() of ${subjectOf({ object: this.path })}: the second argument must be { key, value } codecs or { perCpu }`);
    const { type } = codecs;
    const real = this.maps[name]!.type;
    if (type === 'prog_array') return this.#programArray(name, real, codecs);
    if (type === 'ringbuf') return this.ringbuf(name, codecs);
    if (type === 'array_of_maps' || type === 'hash_of_maps') return this.#mapOfMaps(name, real, type, codecs);
    if (type !== undefined) return this.#keylessMap(name, type, codecs);
    if (real === KernelMapType.ProgArray || isMapInMap(real)) {
      const typeName = mapTypeName(real);
      throw new TypeError(`${subjectOf({ map: name, object: this.path })} is a ${typeName} map, whose values are ${real === KernelMapType.ProgArray ? 'programs' : 'maps'}: pass { type: '${typeName}' }`);
    }
    if (real === KernelMapType.Ringbuf) {
      throw new TypeError(`${subjectOf({ map: name, object: this.path })} is a ringbuf map, which has no keys or values: read its records with ringbuf('${name}', { value? }) (or pass { type: 'ringbuf' })`);
    }
    if (isKeyless(real)) {
      throw new TypeError(`${subjectOf({ map: name, object: this.path })} is a ${mapTypeName(real)} map, which has no keys: pass { type: '${mapTypeName(real)}' } (with its value codec, or without to take it from BTF)`);
    }
    const { perCpu } = codecs;
    if ((codecs.key === undefined) !== (codecs.value === undefined)) throw new TypeError(`map() of ${subjectOf({ object: this.path })} needs both { key, value } codecs, or neither (then they come from BTF)`);
    const given = codecs.key !== undefined && codecs.value !== undefined;
    const { key, value } = given ? { key: codecs.key!, value: codecs.value! } : (mapCodecsFromBtf(this.path, name) as { key: Codec<K>; value: Codec<V> });
    if (given) this.#checkAgainstBtf(name, key, value);
    if (perCpu !== undefined && typeof perCpu !== 'boolean') throw new TypeError(`map() of ${subjectOf({ object: this.path })}: perCpu must be a boolean, got ${typeof perCpu}`);
    const handle = this.#handle.mapHandle(name);
    if (typeof handle === 'number') throw new BpfError('BPF_OBJ_GET_INFO_BY_FD', handle, { subject: subjectOf({ map: name, object: this.path }) });
    return wrapMapHandle(handle, this.engine, key, value, perCpu);
  }

  /**
   * The consumer of one of the object's ring buffers (`BPF_MAP_TYPE_RINGBUF`): records decoded by `value` when
   * their length is its size, else bytes. It holds its own reference to the map; close it separately.
   */
  ringbuf<V = Uint8Array>(name: string, options: { value?: Codec<V> } = {}): RingBuffer<V> {
    this.#checkOpen('BPF_OBJ_GET_INFO_BY_FD');
    if (typeof name !== 'string') throw new TypeError(`ringbuf() of ${subjectOf({ object: this.path })}: name must be a string`);
    name = this.#mapName(name);
    const where = `ringbuf() of ${subjectOf({ map: name, object: this.path })}`;
    if (options === null || typeof options !== 'object') throw new TypeError(`${where}: options must be { value? }, got ${describeValue(options)}`);
    const { key, perCpu, value } = options as { key?: unknown; perCpu?: unknown; value?: Codec<V> };
    if (key !== undefined || perCpu !== undefined) throw new TypeError(`${where}: a ring buffer takes { value? }: it has no keys and no per-CPU values`);
    const real = this.maps[name]!.type;
    if (real !== KernelMapType.Ringbuf) throw new TypeError(`${where}: the map is a ${mapTypeName(real)} map, not a ringbuf`);
    const handle = this.#handle.mapHandle(name);
    if (typeof handle === 'number') throw new BpfError('BPF_OBJ_GET_INFO_BY_FD', handle, { subject: subjectOf({ map: name, object: this.path }) });
    return new RingBuffer(handle, this.engine, value);
  }

  /** map() of a prog array: no codecs, and the map's real type must be one. */
  #programArray(name: string, real: number, options: { key?: unknown; value?: unknown; perCpu?: unknown }): ProgramArrayMap {
    const where = `map() of ${subjectOf({ map: name, object: this.path })}`;
    if (options.key !== undefined || options.value !== undefined || options.perCpu !== undefined) throw new TypeError(`${where}: a prog_array map takes { type } alone: its values are programs`);
    if (real !== KernelMapType.ProgArray) throw new TypeError(`${where}: type: 'prog_array', but the map is a ${mapTypeName(real)} map`);
    const handle = this.#handle.mapHandle(name);
    if (typeof handle === 'number') throw new BpfError('BPF_OBJ_GET_INFO_BY_FD', handle, { subject: subjectOf({ map: name, object: this.path }) });
    return new ProgramArrayMap(handle, this.engine);
  }

  /** map() of an array or hash of maps: its key codec (u32 unless given; an array's is u32), its real type checked. */
  #mapOfMaps<K>(name: string, real: number, type: 'array_of_maps' | 'hash_of_maps', options: { key?: Codec<K>; value?: unknown; perCpu?: unknown }): MapOfMaps<K> {
    const where = `map() of ${subjectOf({ map: name, object: this.path })}`;
    if (options.value !== undefined || options.perCpu !== undefined) throw new TypeError(`${where}: a ${type} map takes { type, key? }: its values are maps`);
    if (mapTypeName(real) !== type) throw new TypeError(`${where}: type: '${type}', but the map is a ${mapTypeName(real)} map`);
    const key = options.key ?? (u32 as unknown as Codec<K>);
    checkCodec(`${where}: key`, key);
    const handle = this.#handle.mapHandle(name);
    if (typeof handle === 'number') throw new BpfError('BPF_OBJ_GET_INFO_BY_FD', handle, { subject: subjectOf({ map: name, object: this.path }) });
    if (key.size !== handle.info.keySize) {
      handle.close();
      throw new TypeError(`${where}: the key codec is ${key.size} bytes, the map's keys ${handle.info.keySize}`);
    }
    return new MapOfMaps(handle, this.engine, key);
  }

  /** map() of a queue, stack or bloom filter: `options` ({ type, value? }) read once. */
  #keylessMap<V>(name: string, type: unknown, options: { key?: unknown; value?: Codec<V>; perCpu?: unknown }): QueueMap<V> | BloomFilterMap<V> {
    const where = `map() of ${subjectOf({ map: name, object: this.path })}`;
    if (typeof type !== 'string' || !Object.hasOwn(keylessMapTypeByName, type)) {
      throw new TypeError(`${where}: type must be one of ${Object.keys(keylessMapTypeByName).join(', ')} (the maps without keys), got ${describeValue(type)}`);
    }
    const { key, value: given, perCpu } = options;
    if (key !== undefined || perCpu !== undefined) throw new TypeError(`${where}: a ${type} map takes { type, value }: it has no keys and no per-CPU values`);
    const value = given === undefined ? (mapValueCodecFromBtf(this.path, name) as Codec<V>) : given;
    checkCodec(`${where}: value`, value);
    if (given !== undefined) this.#checkValueAgainstBtf(name, value);
    const handle = this.#handle.mapHandle(name);
    if (typeof handle === 'number') throw new BpfError('BPF_OBJ_GET_INFO_BY_FD', handle, { subject: subjectOf({ map: name, object: this.path }) });
    return wrapKeylessHandle(handle, this.engine, value, type as KeylessMapTypeName);
  }

  /** A keyless map's value codec checked field by field against its BTF, as #checkAgainstBtf checks both. */
  #checkValueAgainstBtf(name: string, value: Codec<unknown>): void {
    let btf: Codec<unknown>;
    try {
      btf = mapValueCodecFromBtf(this.path, name);
    } catch {
      return;
    }
    const difference = codecDifference(btf, value, 'value');
    if (difference) throw new TypeError(`${subjectOf({ map: name, object: this.path })}: the codecs do not match the map's BTF: ${difference}`);
  }

  /**
   * A map's name: its own, or for a libbpf-internal map also its ELF section ('.rodata' for the map libbpf
   * names '<object>.rodata').
   */
  #mapName(name: string): string {
    if (Object.hasOwn(this.maps, name)) return name;
    const internal = Object.values(this.maps).filter((m) => m.internal).map((m) => m.name);
    const bySection = name.startsWith('.') ? mapOfSection(name, internal) : undefined;
    if (bySection !== undefined) return bySection;
    throw new RangeError(`${subjectOf({ object: this.path })} has no map named '${name}' (it has: ${Object.keys(this.maps).join(', ')})`);
  }

  /**
   * Codecs checked field by field against the map's BTF (names, offsets, sizes, kinds), so two same-size
   * fields swapped are a TypeError naming them instead of wrong values; a union takes any codec of its size.
   * A map whose BTF has no codec of its own (no BTF, a bitfield) is checked by size only, where the handle is made.
   */
  #checkAgainstBtf(name: string, key: Codec<unknown>, value: Codec<unknown>): void {
    let btf: { key: Codec<unknown>; value: Codec<unknown> };
    try {
      btf = mapCodecsFromBtf(this.path, name);
    } catch {
      return;
    }
    const difference = codecDifference(btf.key, key, 'key') ?? codecDifference(btf.value, value, 'value');
    if (difference) throw new TypeError(`${subjectOf({ map: name, object: this.path })}: the codecs do not match the map's BTF: ${difference}`);
  }

  /** One of the object's loaded programs (valid while the object is open). */
  program(name: string): BpfProgram {
    this.#checkOpen('BPF_PROG_TEST_RUN');
    if (typeof name !== 'string') throw new TypeError(`program() of ${subjectOf({ object: this.path })}: name must be a string`);
    const info = Object.hasOwn(this.programs, name) ? this.programs[name] : undefined;
    if (!info) throw new RangeError(`${subjectOf({ object: this.path })} has no program named '${name}' (it has: ${Object.keys(this.programs).join(', ')})`);
    if (!info.loaded) {
      throw new BpfError('BPF_PROG_TEST_RUN', ENOENT, { subject: subjectOf({ program: name, object: this.path }), detail: 'the program was not loaded (SEC("?...") or left out of options.programs)' });
    }
    let prog = this.#programs.get(name);
    if (!prog) {
      const handle = this.#handle.program(name);
      if (typeof handle === 'number') throw new BpfError('BPF_PROG_TEST_RUN', handle, { subject: subjectOf({ program: name, object: this.path }) });
      prog = new BpfProgram(handle, this.engine, info.section, () => this.#handle.closed);
      this.#programs.set(name, prog);
    }
    return prog;
  }

  /**
   * The object's global variables by their C names (`.data`, `.bss`, `.rodata`, `.data.<name>`, typed from
   * the BTF DATASECs): reading one looks its section's map up, assigning one writes it back (a `.rodata`
   * variable is frozen at load: a BpfError, EPERM, naming it; set it with openObject's `constants`). What a
   * program changed is read live. A variable whose type has no codec (a union, a bitfield) throws a
   * TypeError naming it when used.
   */
  get globals(): Record<string, unknown> {
    this.#checkOpen('BPF_MAP_LOOKUP_ELEM');
    if (this.#globals) return this.#globals;
    const internal = Object.values(this.maps).filter((m) => m.internal).map((m) => m.name);
    const globals: Record<string, unknown> = Object.create(null);
    for (const v of globalVariables(this.path, internal)) {
      const codec = () => {
        if (v.codec instanceof Error) throw v.codec;
        return v.codec;
      };
      Object.defineProperty(globals, v.name, {
        enumerable: true,
        get: () => decodeFromBytes(codec(), this.#sectionBytes(v.map).subarray(v.offset, v.offset + v.size)),
        set: (value: unknown) => {
          const encoded = encodeToBytes(codec(), value);
          const section = this.#sectionBytes(v.map);
          section.set(encoded, v.offset);
          try {
            this.#globalMap(v.map).set(0, section);
          } catch (e) {
            throw this.#frozenVariableError(e, v.name, v.section, v.map);
          }
        },
      });
    }
    return (this.#globals = Object.freeze(globals));
  }

  /**
   * A write refused (EPERM) to a section libbpf loads read-only for programs and freezes (.rodata,
   * .rodata.<name>: bpf_object__populate_internal_map) names the variable and how to set it: before load.
   */
  #frozenVariableError(e: unknown, name: string, section: string, map: string): unknown {
    if (!(e instanceof BpfError) || e.errno !== EPERM || !(this.maps[map]!.flags & MapFlags.RdonlyProg)) return e;
    return new BpfError(e.syscall, e.errno, {
      subject: `global variable '${name}' (${section}) of ${subjectOf({ object: this.path })}`,
      path: this.path,
      detail: `${section} is frozen at load; set it before load: openObject(path, { constants: { ${name}: ... } })`,
    });
  }

  #globalMap(name: string): BpfMap<number, Uint8Array> {
    let m = this.#globalMaps.get(name);
    if (!m) {
      this.#checkOpen('BPF_MAP_LOOKUP_ELEM');
      m = this.map(name, { key: u32, value: bytes(this.maps[name]!.valueSize), perCpu: false });
      this.#globalMaps.set(name, m);
    }
    return m;
  }

  #sectionBytes(name: string): Uint8Array {
    this.#checkOpen('BPF_MAP_LOOKUP_ELEM');
    const value = this.#globalMap(name).get(0);
    if (value === undefined) throw new BpfError('BPF_MAP_LOOKUP_ELEM', ENOENT, { subject: subjectOf({ map: name, object: this.path }) });
    return value;
  }

  /**
   * Unloads the object: its programs and the maps nobody else holds. Runs in flight (runAsync) are
   * interrupted first and reject with EINTR. Idempotent.
   */
  close(): void {
    for (const m of this.#globalMaps.values()) m.close();
    this.#globalMaps.clear();
    this.#handle.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #checkOpen(syscall: BpfCommand): void {
    if (this.#handle.closed) throw new BpfError(syscall, EBADF, { subject: subjectOf({ object: this.path }), detail: 'the object is closed' });
  }
}
