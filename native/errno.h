// The addon's one errno contract: every call answers its value or a negative Linux errno, never -1 with
// errno aside. libbpf 1.x low-level calls already return -errno; raw syscalls and libc return -1 and set
// errno. Each native file normalises through these, so the rule lives in one place.
#pragma once
#include <cerrno>

// A libbpf or syscall return as the addon reports it: `ret` when it is not negative, else -errno.
inline int Rc(long ret) {
  if (ret >= 0) return static_cast<int>(ret);
  return ret == -1 && errno > 0 ? -errno : static_cast<int>(ret);
}

// A failure reported by a NULL pointer (libbpf's bpf_object__open_file): -errno, or `fallback` when errno is unset.
inline int NegErrno(int fallback) { return errno > 0 ? -errno : fallback; }

// bpf_map__fd / bpf_program__fd: the fd, -EBADF for -1 (not created, or the object was not loaded), else
// the -errno libbpf returned.
inline int FdOrErrno(int fd) { return fd == -1 ? -EBADF : fd; }
