// The kernel engine: the Engine seam (src/seam/engine.ts) over the native addon, i.e. real bpf() calls through
// libbpf. It adds nothing to the kernel's answers: every method returns what the syscall returned.
import { statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { MapLayout } from '../seam/map-layout.js';
import { KernelMapType, MapType, type BatchOpId } from '../uapi/bpf.js';
import {
  isFdMapHandle, type ElemFlags, type FdEngine, type FdMapHandle, type MapAttrs, type MapInfo, type MapScratch, type ObjectFailure, type ObjectHandle,
  type RawProgramHandle, type RawProgramSpec, type RingConsumer,
} from '../seam/engine.js';
import { EBADF, EINVAL, EPERM, errnoCode } from '../uapi/errno.js';
import { scratchOver } from '../seam/map-scratch.js';
import { loadAddon, type Addon, type NativeMap } from './binding.js';
import { loadKernelProgram, openKernelObject } from './object-engine.js';


/** One kernel map fd. `info` is BPF_OBJ_GET_INFO_BY_FD as of opening; `queryInfo()` asks again. */
export class KernelMapHandle implements FdMapHandle {
  readonly info: MapInfo;
  /** As the addon computed it for this map (native/map.cc Wrap). */
  readonly layout: MapLayout;
  readonly #native: NativeMap;
  // Mirrors the native state so the check before every operation costs no call into the addon.
  #closed = false;

  constructor(native: NativeMap, info: MapInfo) {
    this.#native = native;
    this.info = info;
    this.layout = { valueBufferSize: native.valueBufferSize, tokenSize: native.tokenSize };
  }

  /** The map's fd (-1 once closed); owned by this handle. */
  get fd(): number {
    return this.#native.fd;
  }

  get closed(): boolean {
    return this.#closed;
  }

  lookup(key: Uint8Array, value: Uint8Array, flags: ElemFlags): number {
    return this.#native.lookup(key, value, flags);
  }

  update(key: Uint8Array, value: Uint8Array, flags: ElemFlags): number {
    return this.#native.update(key, value, flags);
  }

  delete(key: Uint8Array): number {
    return this.#native.delete(key);
  }

  getNextKey(key: Uint8Array | null, next: Uint8Array): number {
    return this.#native.getNextKey(key, next);
  }

  lookupAndDelete(key: Uint8Array, value: Uint8Array, flags: ElemFlags): number {
    return this.#native.lookupAndDelete(key, value, flags);
  }

  openScratch(): MapScratch {
    const native = this.#native.openScratch();
    return typeof native === 'number' ? scratchOver(this) : native;
  }

  batch(op: BatchOpId, inBatch: Uint8Array | null, outBatch: Uint8Array, keys: Uint8Array, values: Uint8Array, count: Uint32Array, elemFlags: ElemFlags): number {
    return this.#native.batch(op, inBatch, outBatch, keys, values, count, elemFlags);
  }

  freeze(): number {
    return this.#native.freeze();
  }

  pin(path: string): number {
    return this.#native.pin(path);
  }

  queryInfo(): MapInfo | number {
    return this.#native.info();
  }

  close(): void {
    this.#closed = true;
    this.#native.close();
  }

  openRingConsumer(): RingConsumer | number {
    if (this.info.type !== KernelMapType.Ringbuf) return EINVAL;
    const addon = loadAddon() as Addon; // this handle exists: the addon loaded
    const native = addon.ringbufOpen(this.fd);
    if (typeof native === 'number') return native;
    const bytes = (b: ArrayBuffer | number): Uint8Array | number => (typeof b === 'number' ? b : new Uint8Array(b));
    return {
      consume: () => bytes(addon.ringbufConsume(native)),
      // poll(2)'s timeout is an int of milliseconds: longer is no limit.
      poll: async (timeoutMs) => bytes(await addon.ringbufPoll(native, timeoutMs < 0 || timeoutMs > 0x7fffffff ? -1 : Math.floor(timeoutMs))),
      close: () => addon.ringbufClose(native),
    };
  }
}

/** Wraps a freshly opened NativeMap, closing it if its info cannot be read. */
function handleFor(native: NativeMap | number): KernelMapHandle | number {
  if (typeof native === 'number') return native;
  const info = native.info();
  if (typeof info === 'number') {
    native.close();
    return info;
  }
  return new KernelMapHandle(native, info);
}

/** include/uapi/linux/magic.h BPF_FS_MAGIC. */
const BPF_FS_MAGIC = 0xcafe4a11;

export class KernelEngine implements FdEngine {
  readonly kind = 'kernel' as const;
  readonly #addon: Addon;
  #cpus: number | undefined;

  /** Use getKernelEngine(): it checks that the kernel engine can work here first. */
  constructor(addon: Addon) {
    this.#addon = addon;
  }

  possibleCpus(): number {
    return (this.#cpus ??= this.#addon.possibleCpus());
  }

  createMap(attrs: MapAttrs): KernelMapHandle | number {
    const { type, keySize, valueSize, maxEntries, flags, name, numaNode, btf, mapExtra, innerMap } = attrs;
    // The template is a map of this engine (an fd), or none; another engine's map names no fd here.
    const innerMapFd = innerMap === undefined ? 0 : isFdMapHandle(innerMap) ? innerMap.fd : EBADF;
    if (innerMapFd < 0) return innerMapFd;
    let btfFd = 0;
    if (btf) {
      btfFd = this.#addon.btfLoad(btf.data, null);
      if (btfFd < 0) return btfFd;
    }
    try {
      const native = this.#addon.NativeMap.create(
        type, keySize, valueSize, maxEntries, flags, name, numaNode, btfFd,
        btf ? btf.keyTypeId : 0, btf ? btf.valueTypeId : 0, mapExtra ?? 0n, innerMapFd,
      );
      return handleFor(native);
    } finally {
      // The map holds its own reference to the BTF object (kernel/bpf/syscall.c map_create → btf_get_by_fd).
      if (btfFd > 0) this.#addon.closeFd(btfFd);
    }
  }

  /**
   * BPF_BTF_LOAD with the kernel's log: returns the BTF fd (the caller closes it with closeFd) or -errno,
   * and the log text (filled only when the load failed).
   */
  loadBtf(data: Uint8Array, logSize = 64 * 1024): { fd: number; log: string } {
    const log = new Uint8Array(logSize);
    const fd = this.#addon.btfLoad(data, log);
    const end = log.indexOf(0);
    return { fd, log: Buffer.from(log.buffer, log.byteOffset, end < 0 ? log.length : end).toString('utf8') };
  }

  closeFd(fd: number): void {
    this.#addon.closeFd(fd);
  }

  openPinned(path: string, flags = 0): KernelMapHandle | number {
    return handleFor(this.#addon.NativeMap.openPinned(path, flags));
  }

  /** statfs(2) of the path's directory: a bpf filesystem has BPF_FS_MAGIC (include/uapi/linux/magic.h). */
  onBpffs(path: string): boolean {
    try {
      return statfsSync(dirname(resolve(path))).type === BPF_FS_MAGIC;
    } catch {
      return false;
    }
  }

  openMapById(id: number, flags = 0): KernelMapHandle | number {
    return handleFor(this.#addon.NativeMap.openById(id, flags));
  }

  /**
   * A handle on the map behind `fd` that owns a duplicate of it: the caller keeps owning `fd`. (dup(2)
   * shares the open file, so the duplicate has `fd`'s access mode.) -EBADF for a closed fd, -EINVAL for
   * an fd that is not a map.
   */
  openFd(fd: number): KernelMapHandle | number {
    const dup = this.#addon.dupFd(fd);
    if (dup < 0) return dup;
    const handle = this.adoptFd(dup);
    if (typeof handle === 'number') this.#addon.closeFd(dup);
    return handle;
  }

  /**
   * Takes ownership of a map fd (e.g. a dup of a map fd a BPF object created): on success the handle
   * closes it; on failure (-errno: not a map, bad fd) the caller still owns it.
   */
  adoptFd(fd: number): KernelMapHandle | number {
    return handleFor(this.#addon.NativeMap.fromFd(fd));
  }

  openObject(path: string): ObjectHandle | ObjectFailure {
    return openKernelObject(this, path);
  }

  loadProgram(spec: RawProgramSpec): RawProgramHandle | ObjectFailure {
    return loadKernelProgram(spec);
  }
}

let reasonsCache: string[] | undefined;
let engine: KernelEngine | undefined;

/**
 * Why the kernel engine cannot work here; empty when it can. Checked once per process: the platform,
 * the addon, and whether bpf() is permitted (by creating and closing a 1-entry ARRAY map).
 */
export function kernelUnavailableReasons(): string[] {
  if (reasonsCache) return [...reasonsCache];
  const reasons: string[] = [];
  const addon = loadAddon();
  if (process.platform !== 'linux') reasons.push(`not Linux (${process.platform})`);
  if (addon instanceof Error) {
    if (process.platform === 'linux') reasons.push(addon.message);
  } else {
    const probe = addon.NativeMap.create(MapType.Array, 4, 4, 1, 0, 'bpfkit_probe', 0, 0, 0, 0);
    if (typeof probe === 'number') {
      reasons.push(probe === EPERM ? 'bpf() not permitted: no CAP_BPF/root (EPERM)' : `bpf() map creation failed: ${errnoCode(probe)}`);
    } else {
      probe.close();
    }
  }
  reasonsCache = reasons;
  return [...reasons];
}

/**
 * The process's kernel engine; throws one TypeError listing every reason when it cannot work here (as
 * Node's ERR_FEATURE_UNAVAILABLE_ON_PLATFORM is a TypeError: the caller asked for what this host lacks).
 */
export function getKernelEngine(): KernelEngine {
  if (engine) return engine;
  const reasons = kernelUnavailableReasons();
  if (reasons.length > 0) throw new TypeError(`bpfkit: the kernel engine is unavailable: ${reasons.join('; ')}`);
  return (engine = new KernelEngine(loadAddon() as Addon));
}
