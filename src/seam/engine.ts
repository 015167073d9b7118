// The engine seam: bytes in, bytes out, 0 or -errno. Everything above it (codecs, BpfMap, BpfError,
// iteration, batching) is written once and shared by the kernel engine and the emulator, which is what
// makes both throw identical errors and lets one conformance suite run against both.
import type { MapLayout } from './map-layout.js';
import type { BatchOpId, Syscall } from '../uapi/bpf.js';

/** A lock field inside a map value, found by the codec (offset in bytes from the value's start). */
export interface LockField {
  kind: 'spin' | 'res';
  offset: number;
}

/** BTF for a map's key and value, as BPF_BTF_LOAD takes it (built in TypeScript by src/btf). */
export interface MapBtf {
  data: Uint8Array;
  keyTypeId: number;
  valueTypeId: number;
}

/** BPF_MAP_CREATE attributes, already checked for types (not for kernel rules: engines answer those). */
export interface MapAttrs {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** Passed through unchecked: the kernel (or the emulator) rejects a bad name with EINVAL. */
  name: string;
  /** Only meaningful with BPF_F_NUMA_NODE. */
  numaNode: number;
  /**
   * bpf_attr.map_extra (u64; 0 when absent): a bloom filter's number of hash functions in its low 4 bits;
   * every other emulated type refuses anything but 0 (kernel/bpf/syscall.c map_create).
   */
  mapExtra?: bigint;
  btf?: MapBtf;
  /** Every lock field of the value (the emulator needs offsets; the kernel learns them from `btf`). */
  locks?: readonly LockField[];
  /** The value's kptr fields (likewise): `referenced` for a `__kptr`, whose object the map drops when done. */
  kptrs?: readonly { offset: number; referenced: boolean }[];
  /** A map-in-map's template: the inner maps it may hold are like this one (bpf_attr.inner_map_fd). */
  innerMap?: MapHandle;
}

/** BPF_OBJ_GET_INFO_BY_FD for a map (struct bpf_map_info). */
export interface MapInfo {
  type: number;
  id: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  name: string;
  btfId: number;
  /** The key's and value's type ids in that BTF (0: none), where the engine reports them (the kernel). */
  btfKeyTypeId?: number;
  btfValueTypeId?: number;
}

/**
 * Element flags as the syscall takes them: a u32 number, or a bigint for the kernel's whole u64 (BPF_F_CPU's
 * CPU in the upper 32 bits, Linux 7.0+).
 */
export type ElemFlags = number | bigint;

/**
 * Element operations on buffers owned by the operations themselves: the typed layer's hot path. BpfMap
 * encodes a key into `key`, calls `lookup(flags)`, and decodes `value`; no buffer crosses the engine seam per
 * call, so an engine need not check one (map-scratch.ts scratchOver builds one over any handle).
 */
export interface MapScratch {
  /** keySize bytes: the key of lookup, update, delete, lookupAndDelete, and getNextKey(true). */
  readonly key: Uint8Array;
  /** The handle's layout.valueBufferSize bytes: what lookup reads into and update writes from. */
  readonly value: Uint8Array;
  /** keySize bytes: where getNextKey writes. */
  readonly next: Uint8Array;
  lookup(flags: number): number;
  update(flags: number): number;
  delete(): number;
  lookupAndDelete(flags: number): number;
  /** The key after `key` (fromKey) or the first key, into `next`. */
  getNextKey(fromKey: boolean): number;
}

/**
 * One open map. Buffers are exact: `key` is keySize bytes; `value` is valueSize bytes, or
 * roundUp(valueSize, 8) × possibleCpus for per-CPU maps. Every method returns 0 or -errno. A map with
 * key_size 0 (queue, stack, bloom filter) takes 0-byte keys, which reach the kernel as NULL, the only key it
 * takes for such a map (kernel/bpf/syscall.c __bpf_copy_key: any other pointer is EINVAL).
 */
export interface MapHandle {
  readonly info: MapInfo;
  /** The buffer sizes this engine's calls take (map-layout.ts), as the engine itself computes them. */
  readonly layout: MapLayout;
  lookup(key: Uint8Array, value: Uint8Array, flags: ElemFlags): number;
  update(key: Uint8Array, value: Uint8Array, flags: ElemFlags): number;
  delete(key: Uint8Array): number;
  /** `key` null (or absent from the map, for hash maps) gives the first key. */
  getNextKey(key: Uint8Array | null, next: Uint8Array): number;
  lookupAndDelete(key: Uint8Array, value: Uint8Array, flags: ElemFlags): number;
  /** Element calls on buffers of their own, for the typed layer (map-scratch.ts); a new set per call. */
  openScratch(): MapScratch;
  /**
   * The four BPF_MAP_*_BATCH commands. `inBatch` null starts from the beginning; the token is a u32
   * bucket index for hash maps and a key for arrays, so token buffers are max(4, keySize) bytes.
   * `count[0]` is the capacity on entry and the number of elements processed on return (also on error).
   * `keys`/`values` hold count[0] elements back to back (`values` is empty for Delete).
   */
  batch(
    op: BatchOpId,
    inBatch: Uint8Array | null,
    outBatch: Uint8Array,
    keys: Uint8Array,
    values: Uint8Array,
    count: Uint32Array,
    elemFlags: ElemFlags,
  ): number;
  freeze(): number;
  pin(path: string): number;
  /** Fresh BPF_OBJ_GET_INFO_BY_FD (or the emulator's view); -errno on failure. */
  queryInfo(): MapInfo | number;
  /** Idempotent. Further calls on a closed handle are the caller's bug (BpfMap checks first). */
  close(): void;
  readonly closed: boolean;
  /** A ring buffer's consumer (a BPF_MAP_TYPE_RINGBUF handle's; -EINVAL for any other map), or -errno. */
  openRingConsumer(): RingConsumer | number;
}

/**
 * The consumer of a BPF_MAP_TYPE_RINGBUF (libbpf's ring_buffer on the kernel): each drain returns one batch of
 * the committed records, in the ring's order, laid out as seam/ring-batch.ts reads them; or -errno.
 */
export interface RingConsumer {
  /** Drains what is committed now (an empty batch when nothing is). */
  consume(): Uint8Array | number;
  /**
   * Waits off this thread, up to `timeoutMs` (-1: no limit), until the ring holds data or a producer wakes its
   * consumers, then drains; -EBUSY while another poll waits, -EINTR when closed while waiting.
   */
  poll(timeoutMs: number): Promise<Uint8Array | number>;
  /** Idempotent; a poll in flight settles with -EINTR. */
  close(): void;
}

/** A map handle that is a file descriptor (the kernel engine's): what fd accessors and libbpf reuse need. */
export interface FdMapHandle extends MapHandle {
  /** The map's fd, owned by the handle (-1 once closed). */
  readonly fd: number;
}

export function isFdMapHandle(handle: MapHandle): handle is FdMapHandle {
  return typeof (handle as Partial<FdMapHandle>).fd === 'number';
}

/** A program handle that is a file descriptor (the kernel engine's); -EBADF once its owner closed it. */
export interface FdProgramHandle extends ProgramHandle {
  readonly fd: number;
}

export function isFdProgramHandle(handle: ProgramHandle): handle is FdProgramHandle {
  return typeof (handle as Partial<FdProgramHandle>).fd === 'number';
}

/** An engine whose maps are file descriptors, so it can open one from an fd the user holds. */
export interface FdEngine extends Engine {
  /** A handle owning a duplicate of `fd` (the caller keeps `fd`); -errno when it is not a map. */
  openFd(fd: number): FdMapHandle | number;
}

export function isFdEngine(engine: Engine): engine is FdEngine {
  return typeof (engine as Partial<FdEngine>).openFd === 'function';
}

export interface Engine {
  readonly kind: 'kernel' | 'emulator';
  possibleCpus(): number;
  createMap(attrs: MapAttrs): MapHandle | number;
  /** `flags`: BPF_F_RDONLY / BPF_F_WRONLY for the new handle (BPF_OBJ_GET file_flags); default read-write. */
  openPinned(path: string, flags?: number): MapHandle | number;
  /** Whether `path`'s directory is on a bpf filesystem (where a pin there would live), for errors' hints. */
  onBpffs?(path: string): boolean;
  /** `flags`: BPF_F_RDONLY / BPF_F_WRONLY for the new handle (open_flags); default read-write. */
  openMapById(id: number, flags?: number): MapHandle | number;
  /** Opens a BPF ELF object (not yet loaded). Absent: this engine does not run programs. */
  openObject?(path: string): ObjectHandle | ObjectFailure;
  /** BPF_PROG_LOAD of raw instructions. Absent: this engine does not run programs. */
  loadProgram?(spec: RawProgramSpec): RawProgramHandle | ObjectFailure;
}

// ---- objects and programs: the same shape as maps (0 | -errno, failures as data, no throwing) ----

/** A map of an object, as it will be created (or was reused) at load. */
export interface ObjectMapSpec {
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** A libbpf-internal map (.data, .bss, .rodata, .kconfig). */
  internal: boolean;
  /** The lock the value holds, found in the object's BTF. */
  lock?: 'spin' | 'res';
}

/** A program of an object. */
export interface ProgramSpec {
  name: string;
  /** The ELF section without libbpf's leading '?', e.g. 'tc', 'xdp', 'syscall'. */
  section: string;
  /** enum bpf_prog_type */
  type: number;
  /** False for SEC("?...") programs, which libbpf does not load by default. */
  autoload: boolean;
}

/** Why an object (or one of its maps or programs) could not be opened or loaded. */
export interface ObjectFailure {
  /** Negative Linux errno. */
  errno: number;
  syscall: Syscall;
  map?: string;
  program?: string;
  /** The verifier's log, for a program the verifier (or the emulator's checker) refused. */
  log?: string;
  /** Words on what went wrong, e.g. libbpf's most specific line. */
  detail?: string;
}

export function isObjectFailure(x: unknown): x is ObjectFailure {
  return typeof x === 'object' && x !== null && typeof (x as ObjectFailure).errno === 'number' && typeof (x as ObjectFailure).syscall === 'string';
}

/**
 * BPF_PROG_TEST_RUN's buffers. `dataOut` and `ctxOut` are written by the run; `out` receives
 * [retval, duration (ns per run), dataSizeOut, ctxSizeOut]. SEC("syscall") programs take `ctx` and write
 * it back into `ctxOut` (same length); engines repeat them themselves (the kernel refuses `repeat`).
 */
export interface TestRunArgs {
  data: Uint8Array | null;
  /**
   * Where data_out goes. An async run (testRunAsync) may come with none and `dataOutSize` instead: the
   * engine makes the run's own buffer and leaves it here, holding at least the bytes the run wrote of
   * data_out's `dataOutSize` (so a run in flight owns it, and runs that write little allocate little).
   */
  dataOut: Uint8Array | null;
  dataOutSize?: number;
  ctx: Uint8Array | null;
  ctxOut: Uint8Array | null;
  repeat: number;
  cpu: number;
  flags: number;
  out: Uint32Array;
  /**
   * Receives the run's r0 as a u64: on the emulator the whole register the program exited with; on the
   * kernel the low 32 bits BPF_PROG_TEST_RUN reports (its retval is a __u32), zero-extended. Each run has its
   * own, so runs in flight at once never see another's.
   */
  r0?: BigUint64Array;
}

/** One loaded program. Runs return 0 or -errno. */
export interface ProgramHandle {
  readonly name: string;
  readonly type: number;
  testRun(args: TestRunArgs): number;
  /**
   * The same off this thread. The run owns what it uses until it settles: the engine keeps the program
   * alive for it, and the caller passes buffers nobody else can touch.
   */
  testRunAsync(args: TestRunArgs): Promise<number>;
  /** Where the last run faulted (-EFAULT), where the engine checks at run time: instruction and C line. */
  lastFault?(): string | undefined;
  /** The verifier's log of the load, at the log level asked for ('' at level 0). */
  verifierLog(): string;
  /** BPF_OBJ_GET_INFO_BY_FD's id (what a prog array's lookup gives back for it), or -errno (EBADF once closed). */
  id(): number;
  /**
   * The u32 a PROG_ARRAY's value holds to name this program on its engine: its fd on the kernel, its id on
   * the emulator (which has no fds); -EBADF once closed.
   */
  progArrayValue(): number;
}

/** How the verifier takes one program (libbpf bpf_program__set_log_level, bpf_program__set_flags). */
export interface VerifierOptions {
  /**
   * BPF_LOG_LEVEL1 (1), BPF_LOG_LEVEL2 (2), BPF_LOG_STATS (4), or'ed. 0: no log for a program that
   * verifies, and a level-1 log for one that does not (libbpf's retry).
   */
  logLevel: number;
  /** BPF_F_* prog_flags (src/uapi/prog-flags.ts), added to those the loader sets itself. */
  flags: number;
}

/** A program loaded from raw instructions: it is its own owner. */
export interface RawProgramHandle extends ProgramHandle {
  /** Unloads; runs in flight are interrupted. Idempotent. */
  close(): void;
  readonly closed: boolean;
}

/** One opened object: inspect, reuse maps, load, then hand out maps and programs. */
export interface ObjectHandle {
  maps(): readonly ObjectMapSpec[];
  programs(): readonly ProgramSpec[];
  /** Chooses whether a program loads (libbpf bpf_program__set_autoload); before load(). */
  setAutoload(program: string, autoload: boolean): ObjectFailure | undefined;
  /** How the verifier takes a program; before load(). */
  setVerifierOptions(program: string, options: VerifierOptions): ObjectFailure | undefined;
  /** The program's type in place of its section's (libbpf bpf_program__set_type); before load(). */
  setProgramType(program: string, type: number): ObjectFailure | undefined;
  /**
   * A copy of the bytes an internal map (.data, .bss, .rodata, ...) is created with (libbpf
   * bpf_map__initial_value): its section's, or what setInitialValue gave; -errno (ENOENT: no such map).
   */
  initialValue(map: string): Uint8Array | number;
  /**
   * The whole value an internal map is created with, in place of its section's bytes (libbpf
   * bpf_map__set_initial_value); before load(). `.rodata` is frozen after it, so the verifier reads these.
   */
  setInitialValue(map: string, bytes: Uint8Array): ObjectFailure | undefined;
  /** The object's map `name` becomes `map` (libbpf bpf_map__reuse_fd); before load(). */
  reuseMap(name: string, map: MapHandle): ObjectFailure | undefined;
  load(): ObjectFailure | undefined;
  /** A new handle on one of the loaded object's maps: it holds its own reference and outlives the object. */
  mapHandle(name: string): MapHandle | number;
  /** A loaded program (valid while the object is open); -ENOENT for one that was not loaded. */
  program(name: string): ProgramHandle | number;
  /** Unloads; runs in flight are interrupted (they settle with -EINTR). Idempotent. */
  close(): void;
  readonly closed: boolean;
}

/** A program given as instructions (BPF_PROG_LOAD). Map references use BPF_PSEUDO_MAP_IDX(_VALUE). */
export interface RawProgramSpec {
  type: number;
  /** 8 bytes per instruction. */
  insns: Uint8Array;
  license: string;
  name: string;
  /** The maps that `ld_imm64` with src_reg 5/6 refer to by index (the kernel's fd_array). */
  maps: readonly MapHandle[];
  expectedAttachType?: number;
  verifier?: VerifierOptions;
}
