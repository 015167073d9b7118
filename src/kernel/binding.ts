// The native addon's surface (native/*.cc), typed once as Addon and loaded once. It is thin and byte-level:
// Uint8Arrays in and out, 0 or -errno back, and only TypeError/RangeError thrown, for malformed arguments.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ElemFlags, MapInfo, MapScratch, ObjectMapSpec } from '../seam/engine.js';
import { packageRoot } from '../package-root.js';


/** An owned map fd with its sizes; the fd is closed by close() or when the object is collected. */
export interface NativeMap {
  /** -1 once closed. */
  readonly fd: number;
  /** The value and batch-token buffer sizes the addon checks this map's calls against (map-layout.ts's rules). */
  readonly valueBufferSize: number;
  readonly tokenSize: number;
  readonly closed: boolean;
  lookup(key: Uint8Array, value: Uint8Array, flags: ElemFlags): number;
  update(key: Uint8Array, value: Uint8Array, flags: ElemFlags): number;
  delete(key: Uint8Array): number;
  getNextKey(key: Uint8Array | null, next: Uint8Array): number;
  lookupAndDelete(key: Uint8Array, value: Uint8Array, flags: ElemFlags): number;
  /** Element calls on addon-owned buffers (native/map_scratch.cc); -ENOTSUP where external buffers are refused. */
  openScratch(): MapScratch | number;
  batch(op: number, inBatch: Uint8Array | null, outBatch: Uint8Array, keys: Uint8Array, values: Uint8Array, count: Uint32Array, elemFlags: ElemFlags): number;
  freeze(): number;
  pin(path: string): number;
  /** struct bpf_map_info as native/map.cc reads it: the seam's MapInfo. */
  info(): MapInfo | number;
  close(): void;
}

export interface NativeMapStatic {
  /** `mapExtra`: bpf_attr.map_extra (u64), 0 when left out; `innerMapFd`: bpf_attr.inner_map_fd, 0 when left out. */
  create(
    type: number, keySize: number, valueSize: number, maxEntries: number, flags: number,
    name: string, numaNode: number, btfFd: number, btfKeyTypeId: number, btfValueTypeId: number, mapExtra?: bigint, innerMapFd?: number,
  ): NativeMap | number;
  /** BPF_OBJ_GET; `flags` (file_flags: BPF_F_RDONLY / BPF_F_WRONLY) default 0, read-write. */
  openPinned(path: string, flags?: number): NativeMap | number;
  /** BPF_MAP_GET_FD_BY_ID; `flags` (open_flags: BPF_F_RDONLY / BPF_F_WRONLY) default 0, read-write. */
  openById(id: number, flags?: number): NativeMap | number;
  /**
   * Takes ownership of `fd` on success (dup it first when it must stay open elsewhere). On failure
   * (-errno; -EINVAL when `fd` is not a map) the caller still owns it.
   */
  fromFd(fd: number): NativeMap | number;
}

/** A map definition as libbpf will create it (after any reuseMapFd). */
export interface NativeObjectMap extends Omit<ObjectMapSpec, 'lock'> {
  /** Names of every struct reachable from the value's BTF type (bpf_spin_lock, bpf_res_spin_lock, ...). */
  valueStructs: string[];
}

export interface NativeObjectProgram {
  name: string;
  section: string;
  /** enum bpf_prog_type */
  type: number;
  autoload: boolean;
}

/** One libbpf bpf_object. Owns every map and program fd until close() (or garbage collection). */
export interface NativeObject {
  open(path: string): number;
  maps(): NativeObjectMap[];
  programs(): NativeObjectProgram[];
  reuseMapFd(name: string, fd: number): number;
  setAutoload(name: string, autoload: boolean): number;
  /** bpf_program__set_log_level and BPF_F_* flags added to libbpf's own; before load(). */
  setProgramOptions(name: string, logLevel: number, flags: number): number;
  setProgramType(name: string, type: number): number;
  /** bpf_map__initial_value: a copy of the bytes an internal map is created with, or -errno. */
  initialValue(name: string): Uint8Array | number;
  /** bpf_map__set_initial_value: the whole value an internal map is created with; before load(). */
  setInitialValue(name: string, bytes: Uint8Array): number;
  load(): number;
  /** The verifier log of the program's last load attempt ('' when the kernel wrote none). */
  programLog(name: string): string;
  /** libbpf's own warning/info lines from the last open(), reuseMapFd() or load(). */
  libbpfLog(): string;
  mapFd(name: string): number;
  programFd(name: string): number;
  close(): void;
  readonly closed: boolean;
}

/** The whole addon (native/*.cc): every function it exports, typed once. */
export interface Addon {
  NativeMap: NativeMapStatic;
  possibleCpus(): number;
  /**
   * BPF_BTF_LOAD: returns an fd or -errno. With `log` (128 bytes to 1 GiB), a failed load is retried with
   * log_level 1 and the kernel's reason is written there, NUL-terminated (libbpf's bpf_btf_load contract).
   */
  btfLoad(data: Uint8Array, log: Uint8Array | null): number;
  closeFd(fd: number): void;
  /** A new close-on-exec fd for the same file (native/object.cc), or -errno. */
  dupFd(fd: number): number;
  /** libbpf_probe_bpf_prog_type (native/probe.cc): 1 supported, 0 not, -errno when the probe failed. */
  probeProgramType(type: number): number;
  /** The next map (kind 0) or program (kind 1) id after `start`, -ENOENT at the end, or -errno. */
  nextId(kind: 0 | 1, start: number): number;
  /** Fills `out` with the program's struct bpf_prog_info; returns the bytes filled or -errno. */
  progInfoById(id: number, out: Uint8Array): number;
  /** The raw BTF of a loaded BTF object into `out`: its size (all there when out was large enough) or -errno. */
  btfById(id: number, out: Uint8Array): number;

  NativeObject: new () => NativeObject;
  /**
   * BPF_PROG_TEST_RUN `loops` times (1 = once; more for SEC("syscall") programs, which refuse the kernel's
   * `repeat`). `out` receives [retval, duration, dataSizeOut, ctxSizeOut].
   */
  progTestRun(
    progFd: number, data: Uint8Array | null, dataOut: Uint8Array | null, ctx: Uint8Array | null,
    ctxOut: Uint8Array | null, repeat: number, cpu: number, flags: number, loops: number, out: Uint32Array,
  ): number;
  /**
   * The same on a thread of the run's own (native/prog.cc). The run holds its own dup of `progFd` and references to the buffers
   * until it settles; pass buffers nobody else can detach.
   */
  progTestRunAsync(
    progFd: number, data: Uint8Array | null, dataOut: Uint8Array | null, ctx: Uint8Array | null,
    ctxOut: Uint8Array | null, repeat: number, cpu: number, flags: number, loops: number, out: Uint32Array,
  ): Promise<number>;
  /**
   * BPF_PROG_LOAD of raw instructions: a program fd (the caller closes it) or -errno; `log` gets the verifier's log.
   * `attachBtfId`: the target's type id in vmlinux BTF (fentry/fexit/tp_btf/iter/lsm programs), 0 for none.
   */
  progLoad(type: number, insns: Uint8Array, license: string, name: string, fdArray: Int32Array | null, expectedAttachType: number, progFlags: number, log: Uint8Array, logLevel?: number, attachBtfId?: number): number;
  /** Interrupts every async run started with `progFd` (they settle with -EINTR); returns how many. */
  progTestRunCancel(progFd: number): number;
  /** BPF_OBJ_GET_INFO_BY_FD: the program's id, or -errno. */
  progId(progFd: number): number;
  /** libbpf ring_buffer__new over a dup of a ring buffer's fd (native/ringbuf.cc): a consumer, or -errno. */
  ringbufOpen(mapFd: number): NativeRingConsumer | number;
  /** ring_buffer__consume into one batch (seam/ring-batch.ts), or -errno (-EBADF once closed). */
  ringbufConsume(consumer: NativeRingConsumer): ArrayBuffer | number;
  /** Waits on a thread of its own (timeoutMs -1: no limit), then drains; -EINTR when closed while waiting. */
  ringbufPoll(consumer: NativeRingConsumer, timeoutMs: number): Promise<ArrayBuffer | number>;
  /** Idempotent: frees the ring once no poll uses it. */
  ringbufClose(consumer: NativeRingConsumer): void;
}

/** An opaque consumer of the addon's (an N-API external). */
export type NativeRingConsumer = { readonly __nativeRingConsumer: unique symbol };

/** build/Release/bpfkit.node in the package folder, whether this file runs from src/, dist/ or build/tools/. */
export const addonPath = join(packageRoot(), 'build', 'Release', 'bpfkit.node');

let cached: Addon | Error | undefined;

/** What every Addon has, checked at load: an addon built from older sources is refused as a whole. */
const addonFunctions = [
  'possibleCpus', 'btfLoad', 'closeFd', 'dupFd', 'probeProgramType', 'NativeObject', 'progTestRun', 'progTestRunAsync', 'progLoad',
  'progTestRunCancel', 'progId', 'nextId', 'progInfoById', 'btfById', 'ringbufOpen', 'ringbufConsume', 'ringbufPoll', 'ringbufClose',
] as const satisfies readonly (keyof Addon)[];

/** The addon, loaded once per process, or the Error that explains why it cannot be loaded (never throws). */
export function loadAddon(): Addon | Error {
  if (cached) return cached;
  if (process.platform !== 'linux') return (cached = new Error(`not Linux (${process.platform})`));
  if (!existsSync(addonPath)) return (cached = new Error(`native addon not built (${addonPath} missing; run make setup)`));
  let addon: Partial<Record<keyof Addon, unknown>>;
  try {
    addon = createRequire(import.meta.url)(addonPath) as Partial<Record<keyof Addon, unknown>>;
  } catch (e) {
    return (cached = new Error(`native addon failed to load: ${(e as Error).message}`));
  }
  const missing: string[] = addonFunctions.filter((name) => typeof addon[name] !== 'function');
  if (typeof addon.NativeMap !== 'object' || addon.NativeMap === null) missing.unshift('NativeMap');
  if (missing.length > 0) return (cached = new Error(`native addon is out of date: it has no ${missing.join(', ')} (rebuild it: make setup)`));
  return (cached = addon as Addon);
}
