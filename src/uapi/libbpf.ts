// libbpf's own error numbers (libbpf.h enum libbpf_errno, -4000 … -4013), which are not Linux errnos, and
// the Linux errno bpfkit reports each as. Both engines use this: the kernel engine for what libbpf
// returns, the emulator's object reader for the same faults found the same way.
import { EINVAL, ENOEXEC } from './errno.js';

const LIBBPF_ERRNO_BASE = 4000;
const libbpfErrnoNames = [
  'LIBELF', 'FORMAT', 'KVERSION', 'ENDIAN', 'INTERNAL', 'RELOC', 'LOAD', 'VERIFY', 'PROG2BIG', 'KVER',
  'PROG_TYPE', 'WRNGPID', 'INVSEQ', 'NLPARSE',
] as const;

/** enum libbpf_errno, as positive numbers (libbpf returns them negated). */
export const LibbpfErrno = {
  Format: LIBBPF_ERRNO_BASE + 1,
  Reloc: LIBBPF_ERRNO_BASE + 5,
} as const;

/**
 * A libbpf return code (negative) as a negative Linux errno plus words for what libbpf meant: ENOEXEC for
 * "not a usable ELF" (LIBELF, FORMAT, ENDIAN) and EINVAL for libbpf's other codes; a Linux errno stays.
 */
export function libbpfErrno(rc: number): { errno: number; what?: string } {
  const n = -rc;
  if (n < LIBBPF_ERRNO_BASE || n >= LIBBPF_ERRNO_BASE + libbpfErrnoNames.length) return { errno: rc };
  const name = libbpfErrnoNames[n - LIBBPF_ERRNO_BASE]!;
  const notElf = name === 'LIBELF' || name === 'FORMAT' || name === 'ENDIAN';
  return { errno: notElf ? ENOEXEC : EINVAL, what: `LIBBPF_ERRNO__${name}` };
}

/** The errno of a fault libbpf reports as LIBBPF_ERRNO__RELOC (bpf_program__record_reloc). */
export const RELOC_ERRNO = libbpfErrno(-LibbpfErrno.Reloc).errno;
