// The native addon's surface (native/*.cc). It is thin and byte-level: Uint8Arrays in and out, 0 or
// -errno back, and only TypeError/RangeError thrown, for malformed arguments.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';

export interface NativeMapInfo {
  type: number;
  id: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  name: string;
  btfId: number;
}

/** An owned map fd with its sizes; the fd is closed by close() or when the object is collected. */
export interface NativeMap {
  /** -1 once closed. */
  readonly fd: number;
  readonly closed: boolean;
  lookup(key: Uint8Array, value: Uint8Array, flags: number): number;
  update(key: Uint8Array, value: Uint8Array, flags: number): number;
  delete(key: Uint8Array): number;
  getNextKey(key: Uint8Array | null, next: Uint8Array): number;
  lookupAndDelete(key: Uint8Array, value: Uint8Array, flags: number): number;
  batch(op: number, inBatch: Uint8Array | null, outBatch: Uint8Array, keys: Uint8Array, values: Uint8Array, count: Uint32Array, elemFlags: number): number;
  freeze(): number;
  pin(path: string): number;
  info(): NativeMapInfo | number;
  close(): void;
}

export interface NativeMapStatic {
  create(
    type: number, keySize: number, valueSize: number, maxEntries: number, flags: number,
    name: string, numaNode: number, btfFd: number, btfKeyTypeId: number, btfValueTypeId: number,
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

export interface Binding {
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
  [more: string]: unknown;
}

/** build/Release/bpfkit.node in the package folder, whether this file runs from src/, dist/ or build/tools/. */
export const addonPath = join(packageRoot(), 'build', 'Release', 'bpfkit.node');

let cached: Binding | Error | undefined;

/** The addon, or the Error that explains why it cannot be loaded (never throws). */
export function loadBinding(): Binding | Error {
  if (cached) return cached;
  if (process.platform !== 'linux') return (cached = new Error(`not Linux (${process.platform})`));
  if (!existsSync(addonPath)) return (cached = new Error(`native addon not built (${addonPath} missing; run make setup)`));
  try {
    cached = createRequire(import.meta.url)(addonPath) as Binding;
  } catch (e) {
    cached = new Error(`native addon failed to load: ${(e as Error).message}`);
  }
  return cached;
}
