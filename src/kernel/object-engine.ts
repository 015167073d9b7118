// The kernel side of BPF objects and programs: the typed surface of native/object.cc and native/prog.cc.
// Byte-level and thin like the map engine: every call returns what libbpf/the kernel said (0 | -errno).
import { loadBinding } from './binding.js';

/** A map definition as libbpf will create it (after any reuseMapFd). */
export interface NativeObjectMap {
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** libbpf's internal maps (.data, .bss, .rodata, .kconfig). */
  internal: boolean;
  /** Names of every struct reachable from the value's BTF type (bpf_spin_lock, bpf_res_spin_lock, ...). */
  valueStructs: string[];
}

export interface NativeObjectProgram {
  name: string;
  section: string;
  /** enum bpf_prog_type */
  type: number;
}

/** One libbpf bpf_object. Owns every map and program fd until close() (or garbage collection). */
export interface NativeObject {
  open(path: string): number;
  maps(): NativeObjectMap[];
  programs(): NativeObjectProgram[];
  reuseMapFd(name: string, fd: number): number;
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
   * The same on the libuv threadpool. The run holds its own dup of `progFd` and references to the buffers
   * until it settles; pass buffers nobody else can detach.
   */
  progTestRunAsync(
    progFd: number, data: Uint8Array | null, dataOut: Uint8Array | null, ctx: Uint8Array | null,
    ctxOut: Uint8Array | null, repeat: number, cpu: number, flags: number, loops: number, out: Uint32Array,
  ): Promise<number>;
  /** Interrupts every async run started with `progFd` (they settle with -EINTR); returns how many. */
  progTestRunCancel(progFd: number): number;
}

/** The object half of the addon, or the Error that explains why it is unavailable. */
export function loadObjectBinding(): ObjectBinding | Error {
  const binding = loadBinding();
  if (binding instanceof Error) return binding;
  const b = binding as unknown as Partial<ObjectBinding>;
  if (typeof b.NativeObject !== 'function' || typeof b.progTestRun !== 'function' || typeof b.dupFd !== 'function' || typeof b.progTestRunCancel !== 'function') {
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
  return { errno: notElf ? -8 : -22, what: `LIBBPF_ERRNO__${name}` };
}
