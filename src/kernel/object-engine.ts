// The kernel side of BPF objects and programs: the typed surface of native/object.cc and native/prog.cc,
// and the object seam (src/seam/engine.ts ObjectHandle/ProgramHandle) over it. libbpf's ways (its log, its
// error codes, fd dup/adopt, the SEC("syscall") repeat workaround) stay in this file.
import {
  isFdMapHandle, type FdEngine, type FdProgramHandle, type MapHandle, type ObjectFailure, type ObjectHandle, type ObjectMapSpec, type ProgramSpec,
  type RawProgramHandle, type RawProgramSpec, type TestRunArgs, type VerifierOptions,
} from '../seam/engine.js';
import { ProgramType } from '../uapi/program-type.js';
import { ProgFlags } from '../uapi/prog-flags.js';
import { EBADF, EINVAL, ENOENT, ENOSPC, ENOTSUPP } from '../uapi/errno.js';
import { loadAddon, type Addon, type NativeObject, type NativeObjectMap } from './binding.js';
import { guardForLibbpf } from './libbpf-guard.js';
import { libbpfErrno } from '../uapi/libbpf.js';

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
class KernelProgramHandle implements FdProgramHandle {
  readonly name: string;
  readonly type: number;
  readonly #addon: Addon;
  readonly #fd: () => number;
  readonly #log: () => string;

  constructor(addon: Addon, name: string, type: number, fd: () => number, log: () => string) {
    this.#addon = addon;
    this.name = name;
    this.type = type;
    this.#fd = fd;
    this.#log = log;
  }

  verifierLog(): string {
    return this.#log();
  }

  /** The program's fd (owned by its object or raw handle; -EBADF once closed). */
  get fd(): number {
    return this.#fd();
  }

  id(): number {
    const fd = this.#fd();
    return fd < 0 ? fd : this.#addon.progId(fd);
  }

  progArrayValue(): number {
    return this.#fd();
  }

  testRun(a: TestRunArgs): number {
    return this.#done(a, this.#addon.progTestRun(...this.#args(a)));
  }

  async testRunAsync(a: TestRunArgs): Promise<number> {
    if (a.dataOut === null && a.dataOutSize !== undefined) a.dataOut = new Uint8Array(a.dataOutSize);
    return this.#done(a, await this.#addon.progTestRunAsync(...this.#args(a)));
  }

  /**
   * A syscall program's context came back in place: all of it is the context out. The kernel reports no
   * more of r0 than retval's 32 bits (bpf_attr.test.retval is a __u32).
   */
  #done(a: TestRunArgs, rc: number): number {
    if (rc === 0 && this.type === ProgramType.Syscall && a.ctx) a.out[3] = a.ctx.length;
    if (a.r0) a.r0[0] = BigInt(a.out[0]!);
    return rc;
  }

  #args(a: TestRunArgs): Parameters<Addon['progTestRun']> {
    const fd = this.#fd();
    if (this.type === ProgramType.Syscall) {
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
  readonly #addon: Addon;
  readonly #engine: FdEngine;
  readonly #programs = new Map<string, KernelProgramHandle>();

  constructor(native: NativeObject, addon: Addon, engine: FdEngine) {
    this.#native = native;
    this.#addon = addon;
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

  setVerifierOptions(program: string, options: VerifierOptions): ObjectFailure | undefined {
    const rc = this.#native.setProgramOptions(program, options.logLevel, options.flags);
    return rc < 0 ? { errno: rc, syscall: 'bpf_program__set_log_level', program } : undefined;
  }

  setProgramType(program: string, type: number): ObjectFailure | undefined {
    const rc = this.#native.setProgramType(program, type);
    return rc < 0 ? { errno: rc, syscall: 'bpf_program__set_type', program } : undefined;
  }

  initialValue(map: string): Uint8Array | number {
    return this.#native.initialValue(map);
  }

  setInitialValue(map: string, bytes: Uint8Array): ObjectFailure | undefined {
    const rc = this.#native.setInitialValue(map, bytes);
    return rc < 0 ? { errno: rc, syscall: 'bpf_map__set_initial_value', map } : undefined;
  }

  reuseMap(name: string, map: MapHandle): ObjectFailure | undefined {
    if (!isFdMapHandle(map)) return { errno: EINVAL, syscall: 'bpf_map__reuse_fd', map: name, detail: 'the map is not a kernel map' };
    const rc = this.#native.reuseMapFd(name, map.fd);
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

  program(name: string): FdProgramHandle | number {
    let handle = this.#programs.get(name);
    if (!handle) {
      const spec = this.#native.programs().find((p) => p.name === name);
      if (!spec) return ENOENT;
      const fd = this.#native.programFd(name);
      if (fd < 0) return fd;
      handle = new KernelProgramHandle(this.#addon, name, spec.type, () => (this.#native.closed ? EBADF : this.#native.programFd(name)), () => this.#native.programLog(name));
      this.#programs.set(name, handle);
    }
    return handle;
  }

  close(): void {
    if (this.#native.closed) return;
    // Runs in flight hold their own dup of the program fd; interrupt them before the object goes.
    for (const p of this.#native.programs()) {
      const fd = this.#native.programFd(p.name);
      if (fd >= 0) this.#addon.progTestRunCancel(fd);
    }
    this.#native.close();
  }
}

/** bpf_object__open_file through the addon, once the file passed guardForLibbpf (libbpf-guard.ts). */
export function openKernelObject(engine: FdEngine, path: string): ObjectHandle | ObjectFailure {
  const addon = loadAddon();
  if (addon instanceof Error) return { errno: ENOTSUPP, syscall: 'bpf_object__open', detail: addon.message };
  const refused = guardForLibbpf(path);
  if (refused) return refused;
  const native = new addon.NativeObject();
  const rc = native.open(path);
  if (rc < 0) {
    const { errno, what } = libbpfErrno(rc);
    const failure: ObjectFailure = { errno, syscall: 'bpf_object__open', detail: joinDetail(what, libbpfReason(native.libbpfLog())) };
    native.close();
    return failure;
  }
  return new KernelObjectHandle(native, addon, engine);
}

/** A raw program loaded with BPF_PROG_LOAD; it owns its fd (closed with the handle). */
class KernelRawProgram extends KernelProgramHandle implements RawProgramHandle {
  readonly #addon: Addon;
  readonly #box: { fd: number };

  constructor(addon: Addon, name: string, type: number, box: { fd: number }, log: string) {
    super(addon, name, type, () => box.fd, () => log);
    this.#addon = addon;
    this.#box = box;
  }

  get closed(): boolean {
    return this.#box.fd < 0;
  }

  close(): void {
    if (this.#box.fd < 0) return;
    this.#addon.progTestRunCancel(this.#box.fd);
    this.#addon.closeFd(this.#box.fd);
    this.#box.fd = EBADF;
  }
}

/** BPF_PROG_LOAD of raw instructions; map references by index into `spec.maps` (fd_array). */
export function loadKernelProgram(spec: RawProgramSpec): RawProgramHandle | ObjectFailure {
  const addon = loadAddon();
  if (addon instanceof Error) return { errno: ENOTSUPP, syscall: 'BPF_PROG_LOAD', detail: addon.message };
  const fds = new Int32Array(spec.maps.length);
  for (const [i, m] of spec.maps.entries()) {
    if (!isFdMapHandle(m)) return { errno: EINVAL, syscall: 'BPF_PROG_LOAD', program: spec.name, detail: `maps[${i}] is not a kernel map` };
    fds[i] = m.fd;
  }
  const logLevel = spec.verifier?.logLevel ?? 0;
  // A log asked for holds every instruction walked (level 1) or every state (2): room as libbpf's objects get.
  const log = new Uint8Array(logLevel & 3 ? 16 << 20 : 1 << 20);
  // kernel/bpf/syscall.c bpf_prog_load: SEC("syscall") programs must be sleepable (libbpf sets it too).
  const progFlags = (spec.type === ProgramType.Syscall ? ProgFlags.Sleepable : 0) | (spec.verifier?.flags ?? 0);
  const load = (buffer: Uint8Array): number =>
    addon.progLoad(spec.type, spec.insns, spec.license, spec.name, fds.length > 0 ? fds : null, spec.expectedAttachType ?? 0, progFlags, buffer, logLevel || undefined);
  let fd = load(log);
  if (fd === ENOSPC && log[log.length - 2] !== 0) {
    // The log filled up (a program refused after a million instructions logs more than 1 MiB), and
    // bpf_vlog_finalize's ENOSPC hides the verifier's own errno: load again without a log for it. The
    // log kept its tail, where the reason is.
    const again = load(new Uint8Array(0));
    if (again >= 0) addon.closeFd(again);
    else fd = again;
  }
  const end = log.indexOf(0);
  const text = Buffer.from(log.buffer, 0, end < 0 ? log.length : end).toString('utf8');
  if (fd < 0) {
    const failure: ObjectFailure = { errno: fd, syscall: 'BPF_PROG_LOAD', program: spec.name };
    if (text !== '') failure.log = text;
    return failure;
  }
  return new KernelRawProgram(addon, spec.name, spec.type, { fd }, logLevel ? text : '');
}
