// Linux errno numbers (include/uapi/asm-generic/errno-base.h, errno.h, include/linux/errno.h).
// They are Linux's on every host: the emulator on macOS must report what the kernel would, and macOS's
// own numbers differ (EAGAIN is 35 there, EDEADLK is 11), so os.constants.errno is never used.
export const errnoByCode = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOTTY: 25,
  EFBIG: 27,
  ENOSPC: 28,
  ERANGE: 34,
  EDEADLK: 35,
  ENAMETOOLONG: 36,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ELOOP: 40,
  ENODATA: 61,
  ETIME: 62,
  EPROTO: 71,
  EOVERFLOW: 75,
  EBADMSG: 74,
  EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97,
  ETIMEDOUT: 110,
  EALREADY: 114,
  // Kernel-internal, but bpf() returns it to userspace (e.g. LRU + BPF_F_NO_PREALLOC).
  ENOTSUPP: 524,
} as const;
export type ErrnoCode = keyof typeof errnoByCode;

// The negative errnos engines return and compare against (`rc === ENOENT`), each read from the table above.
// Modules import these rather than restating `-errnoByCode.X` for themselves.
export const EPERM = -errnoByCode.EPERM;
export const ENOENT = -errnoByCode.ENOENT;
export const ESRCH = -errnoByCode.ESRCH;
export const EINTR = -errnoByCode.EINTR;
export const ENXIO = -errnoByCode.ENXIO;
export const E2BIG = -errnoByCode.E2BIG;
export const ENOEXEC = -errnoByCode.ENOEXEC;
export const EBADF = -errnoByCode.EBADF;
export const ENOMEM = -errnoByCode.ENOMEM;
export const EACCES = -errnoByCode.EACCES;
export const EFAULT = -errnoByCode.EFAULT;
export const EBUSY = -errnoByCode.EBUSY;
export const ENODEV = -errnoByCode.ENODEV;
export const EEXIST = -errnoByCode.EEXIST;
export const ENOTDIR = -errnoByCode.ENOTDIR;
export const EISDIR = -errnoByCode.EISDIR;
export const EINVAL = -errnoByCode.EINVAL;
export const ENOSPC = -errnoByCode.ENOSPC;
export const ERANGE = -errnoByCode.ERANGE;
export const EDEADLK = -errnoByCode.EDEADLK;
export const ENAMETOOLONG = -errnoByCode.ENAMETOOLONG;
export const EOPNOTSUPP = -errnoByCode.EOPNOTSUPP;
export const EAFNOSUPPORT = -errnoByCode.EAFNOSUPPORT;
export const EPROTO = -errnoByCode.EPROTO;
export const ETIMEDOUT = -errnoByCode.ETIMEDOUT;
export const ENOTSUPP = -errnoByCode.ENOTSUPP;
export const EAGAIN = -errnoByCode.EAGAIN;

const codeByErrno = new Map<number, ErrnoCode>();
for (const [code, n] of Object.entries(errnoByCode)) codeByErrno.set(n, code as ErrnoCode);

/** The negative errno of a Node error's `code` ('ENOENT' → -2); undefined for codes the table does not name. */
export function errnoOfCode(code: string | undefined): number | undefined {
  return code !== undefined && Object.hasOwn(errnoByCode, code) ? -errnoByCode[code as ErrnoCode] : undefined;
}

/** 'ENOENT' for 2 or -2; 'E<n>' for numbers the table does not name. */
export function errnoCode(errno: number): string {
  return codeByErrno.get(Math.abs(errno)) ?? `E${Math.abs(errno)}`;
}

const descriptions: Partial<Record<ErrnoCode, string>> = {
  EPERM: 'operation not permitted',
  ENOENT: 'no such entry',
  E2BIG: 'argument list too long',
  ENOEXEC: 'not an executable format',
  EBADF: 'bad file descriptor',
  ENOMEM: 'out of memory',
  EACCES: 'permission denied',
  EFAULT: 'bad address',
  EBUSY: 'device or resource busy',
  EEXIST: 'entry exists',
  EINVAL: 'invalid argument',
  ENOSPC: 'no space left',
  EDEADLK: 'resource deadlock would occur',
  ERANGE: 'result out of range',
  EPROTO: 'protocol error',
  ENXIO: 'no such device or address',
  EOPNOTSUPP: 'operation not supported',
  EAFNOSUPPORT: 'address family not supported',
  ETIMEDOUT: 'timed out',
  ENOTSUPP: 'operation not supported by this map or kernel',
};
export function errnoDescription(errno: number): string {
  return descriptions[codeByErrno.get(Math.abs(errno)) as ErrnoCode] ?? `error ${Math.abs(errno)}`;
}
