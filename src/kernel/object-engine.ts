// The kernel side of BPF objects and programs: the typed surface of native/object.cc and native/prog.cc,
// and the object seam (src/engine.ts ObjectHandle/ProgramHandle) over it. libbpf's ways (its log, its
// error codes, fd dup/adopt, the SEC("syscall") repeat workaround) stay in this file.
import type {
  MapHandle, ObjectFailure, ObjectHandle, ObjectMapSpec, ProgramHandle, ProgramSpec, RawProgramHandle, RawProgramSpec, TestRunArgs,
} from '../engine.js';
import { errnoByCode } from '../errno.js';
import { loadBinding } from './binding.js';
import type { KernelEngine } from './engine.js';

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

export interface ObjectBinding {
  NativeObject: new () => NativeObject;
  /** A new close-on-exec fd for the same file, or -errno. */
  dupFd(fd: number): number;
  closeFd(fd: number): void;
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
  /** BPF_PROG_LOAD of raw instructions: a program fd (the caller closes it) or -errno; `log` gets the verifier's log. */
  progLoad(type: number, insns: Uint8Array, license: string, name: string, fdArray: Int32Array | null, expectedAttachType: number, progFlags: number, log: Uint8Array): number;
  /** Interrupts every async run started with `progFd` (they settle with -EINTR); returns how many. */
  progTestRunCancel(progFd: number): number;
}

/** The object half of the addon, or the Error that explains why it is unavailable. */
export function loadObjectBinding(): ObjectBinding | Error {
  const binding = loadBinding();
  if (binding instanceof Error) return binding;
  const b = binding as unknown as Partial<ObjectBinding>;
  if (typeof b.NativeObject !== 'function' || typeof b.progTestRun !== 'function' || typeof b.dupFd !== 'function' || typeof b.progTestRunCancel !== 'function' || typeof b.progLoad !== 'function') {
    return new Error('the native addon has no BPF object support (rebuild it: make setup)');
  }
  return b as ObjectBinding;
}

/** libbpf's own error numbers (libbpf.h enum libbpf_errno), which are not Linux errnos. */
const LIBBPF_ERRNO_BASE = 4000;
const libbpfErrnoNames = [
  'LIBELF', 'FORMAT', 'KVERSION', 'ENDIAN', 'INTERNAL', 'RELOC', 'LOAD', 'VERIFY', 'PROG2BIG', 'KVER',
  'PROG_TYPE', 'WRNGPID', 'INVSEQ', 'NLPARSE',
] as const;

/**
 * A libbpf return code as a Linux errno plus words for what libbpf meant. libbpf's own codes
 * (-4000…-4013) become -ENOEXEC for "not a usable ELF" (LIBELF, FORMAT, ENDIAN) and -EINVAL otherwise.
 */
export function libbpfErrno(rc: number): { errno: number; what?: string } {
  const n = -rc;
  if (n < LIBBPF_ERRNO_BASE || n >= LIBBPF_ERRNO_BASE + libbpfErrnoNames.length) return { errno: rc };
  const name = libbpfErrnoNames[n - LIBBPF_ERRNO_BASE]!;
  const notElf = name === 'LIBELF' || name === 'FORMAT' || name === 'ENDIAN';
  return { errno: notElf ? ENOEXEC : EINVAL, what: `LIBBPF_ERRNO__${name}` };
}

const EINVAL = -errnoByCode.EINVAL;
const EBADF = -errnoByCode.EBADF;
const ENOEXEC = -errnoByCode.ENOEXEC;
const BPF_PROG_TYPE_SYSCALL = 31;
const BPF_F_SLEEPABLE = 1 << 4;

/** libbpf's most specific line: the first "failed"/"error" line, else its last line. */
function libbpfReason(log: string): string | undefined {
  const lines = log.split('\n').map((l) => l.replace(/^libbpf: /, '').trim()).filter(Boolean);
  return lines.find((l) => /fail|error|not|invalid|unsupported/i.test(l) && !/^failed to load object/.test(l)) ?? lines.at(-1);
}

function joinDetail(...parts: (string | undefined)[]): string | undefined {
  return parts.filter(Boolean).join(': ') || undefined;
}

/** Where the lock-bearing struct names collected by native/object.cc say the value holds a lock. */
function lockOf(m: NativeObjectMap): 'spin' | 'res' | undefined {
  return m.valueStructs.includes('bpf_spin_lock') ? 'spin' : m.valueStructs.includes('bpf_res_spin_lock') ? 'res' : undefined;
}

/** A program fd's test runs. `fd` is owned elsewhere (the object, or a raw program handle). */
class KernelProgramHandle implements ProgramHandle {
  readonly name: string;
  readonly type: number;
  readonly #binding: ObjectBinding;
  readonly #fd: () => number;

  constructor(binding: ObjectBinding, name: string, type: number, fd: () => number) {
    this.#binding = binding;
    this.name = name;
    this.type = type;
    this.#fd = fd;
  }

  /** The program's fd (owned by its object or raw handle; -EBADF once closed). */
  get fd(): number {
    return this.#fd();
  }

  testRun(a: TestRunArgs): number {
    return this.#done(a, this.#binding.progTestRun(...this.#args(a)));
  }

  async testRunAsync(a: TestRunArgs): Promise<number> {
    return this.#done(a, await this.#binding.progTestRunAsync(...this.#args(a)));
  }

  /** A syscall program's context came back in place: all of it is the context out. */
  #done(a: TestRunArgs, rc: number): number {
    if (rc === 0 && this.type === BPF_PROG_TYPE_SYSCALL && a.ctx) a.out[3] = a.ctx.length;
    return rc;
  }

  #args(a: TestRunArgs): Parameters<ObjectBinding['progTestRun']> {
    const fd = this.#fd();
    if (this.type === BPF_PROG_TYPE_SYSCALL) {
      // net/bpf/test_run.c bpf_prog_test_run_syscall: no data, no repeat, and the context is written back
      // into ctx_in: the run gets ctxOut (a copy of ctx) as its input, and repeats the syscall itself.
      if (a.ctx && a.ctxOut) a.ctxOut.set(a.ctx);
      return [fd, a.data, a.dataOut, a.ctxOut ?? a.ctx, null, 0, a.cpu, a.flags, Math.max(1, a.repeat), a.out];
    }
    return [fd, a.data, a.dataOut, a.ctx, a.ctxOut, a.repeat, a.cpu, a.flags, 1, a.out];
  }
}

/** One libbpf bpf_object behind the object seam. */
class KernelObjectHandle implements ObjectHandle {
  readonly #native: NativeObject;
  readonly #binding: ObjectBinding;
  readonly #engine: KernelEngine;
  readonly #programs = new Map<string, KernelProgramHandle>();

  constructor(native: NativeObject, binding: ObjectBinding, engine: KernelEngine) {
    this.#native = native;
    this.#binding = binding;
    this.#engine = engine;
  }

  get closed(): boolean {
    return this.#native.closed;
  }

  maps(): ObjectMapSpec[] {
    return this.#native.maps().map((m) => {
      const spec: ObjectMapSpec = {
        name: m.name, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, internal: m.internal,
      };
      const lock = lockOf(m);
      if (lock) spec.lock = lock;
      return spec;
    });
  }

  programs(): ProgramSpec[] {
    return this.#native.programs().map((p) => ({ name: p.name, section: p.section.replace(/^\?/, ''), type: p.type, autoload: p.autoload }));
  }

  setAutoload(program: string, autoload: boolean): ObjectFailure | undefined {
    const rc = this.#native.setAutoload(program, autoload);
    return rc < 0 ? { errno: rc, syscall: 'bpf_program__set_autoload', program } : undefined;
  }

  reuseMap(name: string, map: MapHandle): ObjectFailure | undefined {
    const fd = (map as { fd?: unknown }).fd;
    if (typeof fd !== 'number') return { errno: EINVAL, syscall: 'bpf_map__reuse_fd', map: name, detail: 'the map is not a kernel map' };
    const rc = this.#native.reuseMapFd(name, fd);
    if (rc >= 0) return undefined;
    return { errno: libbpfErrno(rc).errno, syscall: 'bpf_map__reuse_fd', map: name, detail: libbpfReason(this.#native.libbpfLog()) };
  }

  load(): ObjectFailure | undefined {
    const rc = this.#native.load();
    if (rc >= 0) return undefined;
    const { errno, what } = libbpfErrno(rc);
    const log = this.#native.libbpfLog();
    // libbpf names the program it could not load ("prog 'x': failed to load: -22"); the verifier's log for
    // that program is in its own buffer.
    const program = /prog '([^']+)': failed to load/.exec(log)?.[1]
      ?? this.#native.programs().map((p) => p.name).find((name) => this.#native.programLog(name) !== '');
    if (program !== undefined) {
      const verifierLog = this.#native.programLog(program);
      if (verifierLog !== '') return { errno, syscall: 'BPF_PROG_LOAD', program, log: verifierLog };
    }
    const map = /map '([^']+)': failed to create/.exec(log)?.[1];
    const failure: ObjectFailure = { errno, syscall: map ? 'BPF_MAP_CREATE' : 'bpf_object__load', detail: joinDetail(what, libbpfReason(log)) };
    if (map) failure.map = map;
    else if (program) failure.program = program;
    return failure;
  }

  mapHandle(name: string): MapHandle | number {
    const fd = this.#native.mapFd(name);
    if (fd < 0) return fd;
    return this.#engine.openFd(fd);
  }

  program(name: string): ProgramHandle | number {
    let handle = this.#programs.get(name);
    if (!handle) {
      const spec = this.#native.programs().find((p) => p.name === name);
      if (!spec) return -errnoByCode.ENOENT;
      const fd = this.#native.programFd(name);
      if (fd < 0) return fd;
      handle = new KernelProgramHandle(this.#binding, name, spec.type, () => (this.#native.closed ? EBADF : this.#native.programFd(name)));
      this.#programs.set(name, handle);
    }
    return handle;
  }

  close(): void {
    if (this.#native.closed) return;
    // Runs in flight hold their own dup of the program fd; interrupt them before the object goes.
    for (const p of this.#native.programs()) {
      const fd = this.#native.programFd(p.name);
      if (fd >= 0) this.#binding.progTestRunCancel(fd);
    }
    this.#native.close();
  }
}

/** bpf_object__open_file through the addon. */
export function openKernelObject(engine: KernelEngine, path: string): ObjectHandle | ObjectFailure {
  const binding = loadObjectBinding();
  if (binding instanceof Error) return { errno: -errnoByCode.ENOTSUPP, syscall: 'bpf_object__open', detail: binding.message };
  const native = new binding.NativeObject();
  const rc = native.open(path);
  if (rc < 0) {
    const { errno, what } = libbpfErrno(rc);
    const failure: ObjectFailure = { errno, syscall: 'bpf_object__open', detail: joinDetail(what, libbpfReason(native.libbpfLog())) };
    native.close();
    return failure;
  }
  return new KernelObjectHandle(native, binding, engine);
}

/** A raw program loaded with BPF_PROG_LOAD; it owns its fd (closed with the handle). */
class KernelRawProgram extends KernelProgramHandle implements RawProgramHandle {
  readonly #binding: ObjectBinding;
  readonly #box: { fd: number };

  constructor(binding: ObjectBinding, name: string, type: number, box: { fd: number }) {
    super(binding, name, type, () => box.fd);
    this.#binding = binding;
    this.#box = box;
  }

  get closed(): boolean {
    return this.#box.fd < 0;
  }

  close(): void {
    if (this.#box.fd < 0) return;
    this.#binding.progTestRunCancel(this.#box.fd);
    this.#binding.closeFd(this.#box.fd);
    this.#box.fd = EBADF;
  }
}

/** BPF_PROG_LOAD of raw instructions; map references by index into `spec.maps` (fd_array). */
export function loadKernelProgram(spec: RawProgramSpec): RawProgramHandle | ObjectFailure {
  const binding = loadObjectBinding();
  if (binding instanceof Error) return { errno: -errnoByCode.ENOTSUPP, syscall: 'BPF_PROG_LOAD', detail: binding.message };
  const fds = new Int32Array(spec.maps.length);
  for (const [i, m] of spec.maps.entries()) {
    const fd = (m as { fd?: unknown }).fd;
    if (typeof fd !== 'number') return { errno: EINVAL, syscall: 'BPF_PROG_LOAD', program: spec.name, detail: `maps[${i}] is not a kernel map` };
    fds[i] = fd;
  }
  const log = new Uint8Array(1 << 20);
  // kernel/bpf/syscall.c bpf_prog_load: SEC("syscall") programs must be sleepable (libbpf sets it too).
  const progFlags = spec.type === BPF_PROG_TYPE_SYSCALL ? BPF_F_SLEEPABLE : 0;
  const fd = binding.progLoad(spec.type, spec.insns, spec.license, spec.name, fds.length > 0 ? fds : null, spec.expectedAttachType ?? 0, progFlags, log);
  if (fd < 0) {
    const end = log.indexOf(0);
    const text = Buffer.from(log.buffer, 0, end < 0 ? log.length : end).toString('utf8');
    const failure: ObjectFailure = { errno: fd, syscall: 'BPF_PROG_LOAD', program: spec.name };
    if (text !== '') failure.log = text;
    return failure;
  }
  return new KernelRawProgram(binding, spec.name, spec.type, { fd });
}
