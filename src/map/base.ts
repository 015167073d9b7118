// What every typed map handle has, whatever its elements: the engine handle it owns, its name and info, the
// fd, pinning, freezing, closing, and how its failures become BpfErrors. BpfMap (keys and values), QueueMap
// and BloomFilterMap (values only) add their element operations.
import type { BpfCommand, Syscall } from '../uapi/bpf.js';
import { isFdMapHandle, type Engine, type MapHandle, type MapInfo } from '../seam/engine.js';
import { unsupportedOn } from '../engine-select.js';
import { EBADF, ENOENT } from '../uapi/errno.js';
import { BpfError, describeValue, subjectOf } from '../errors/errors.js';
import { hintFor } from '../errors/hints.js';

export abstract class BpfMapBase {
  readonly name: string;
  readonly engine: Engine;
  readonly #handle: MapHandle;
  readonly #info: MapInfo;
  /** `map 'x'`: what errors name. */
  readonly #subject: string;

  constructor(handle: MapHandle, engine: Engine) {
    this.#handle = handle;
    this.#info = handle.info;
    this.engine = engine;
    this.name = handle.info.name;
    this.#subject = subjectOf({ map: this.name, mapId: handle.info.id });
  }

  /** BPF_OBJ_GET_INFO_BY_FD as it was when the handle was opened. */
  get info(): MapInfo {
    return this.#info;
  }

  get closed(): boolean {
    return this.#handle.closed;
  }

  /**
   * The map's file descriptor (kernel engine only), owned by this handle: it is closed by close() (or
   * when the handle is collected), after which the number may be reused by anything. To give the map to
   * other code, pass this number to `openMap({ fd })`, which opens its own duplicate, rather than
   * storing the number.
   */
  get fd(): number {
    const handle = this.#handle;
    if (!isFdMapHandle(handle)) throw unsupportedOn(this.engine, 'has no file descriptors', { operation: `fd of ${this.#subject}` });
    this.checkOpen('BPF_OBJ_GET_INFO_BY_FD');
    return handle.fd;
  }

  /** The engine handle, for code that drives the byte-level seam directly (object loading, tests). */
  get handle(): MapHandle {
    return this.#handle;
  }

  /** "get on map 'x'": how argument errors begin. */
  protected where(operation: string): string {
    return `${operation} on ${this.#subject}`;
  }

  /** Pins the map at a bpffs path (BPF_OBJ_PIN). */
  pin(path: string): void {
    this.checkOpen('BPF_OBJ_PIN');
    if (typeof path !== 'string' || path === '') throw new TypeError(`${this.where('pin')}: path must be a non-empty string, got ${describeValue(path)}`);
    // The kernel reads a C string: an embedded NUL would silently shorten the path.
    if (path.includes('\0')) throw new TypeError(`${this.where('pin')}: path must not contain NUL characters`);
    const rc = this.#handle.pin(path);
    if (rc < 0) throw new BpfError('BPF_OBJ_PIN', rc, { subject: this.#subject, path, hint: hintFor({ syscall: 'BPF_OBJ_PIN', errno: rc, path }) });
  }

  /** Makes the map read-only for syscalls (BPF_MAP_FREEZE); programs may still write. */
  freeze(): void {
    this.checkOpen('BPF_MAP_FREEZE');
    const rc = this.#handle.freeze();
    if (rc < 0) throw this.error('BPF_MAP_FREEZE', rc);
  }

  /** Fresh BPF_OBJ_GET_INFO_BY_FD. */
  queryInfo(): MapInfo {
    this.checkOpen('BPF_OBJ_GET_INFO_BY_FD');
    const info = this.#handle.queryInfo();
    if (typeof info === 'number') throw this.error('BPF_OBJ_GET_INFO_BY_FD', info);
    return info;
  }

  /** Releases the map's fd. Idempotent; later calls on the handle throw EBADF. */
  close(): void {
    this.#handle.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** EBADF, before any syscall, on a closed handle: a reused fd number is never touched. */
  protected checkOpen(syscall: Syscall): void {
    if (this.#handle.closed) throw new BpfError(syscall, EBADF, { subject: this.#subject, detail: 'the map handle is closed' });
  }

  /** A BPF_MAP_DELETE_ELEM's answer: true when an element went, false when there was none (ENOENT). */
  protected deleted(rc: number): boolean {
    if (rc === 0) return true;
    if (rc === ENOENT) return false;
    throw this.error('BPF_MAP_DELETE_ELEM', rc);
  }

  /** The engine's refusal `rc` of `syscall` as the BpfError users see, with its hint. */
  protected error(syscall: BpfCommand, rc: number, processed?: number): BpfError {
    const { type, maxEntries } = this.#handle.info;
    const hint = hintFor({ syscall, errno: rc, mapType: type, maxEntries });
    if (processed === undefined) return new BpfError(syscall, rc, { subject: this.#subject, hint });
    return new BpfError(syscall, rc, { subject: this.#subject, processed, detail: `${processed} element(s) processed before the failure`, hint });
  }
}
