// BPF_PROG_LOAD's prog_flags (include/uapi/linux/bpf.h), and which of them bpf_prog_load accepts
// (kernel/bpf/syscall.c: any other bit is EINVAL before the verifier runs).

export const ProgFlags = {
  /** Every pointer access aligned, not only the stack's (check_ptr_alignment's strict mode). */
  StrictAlignment: 1 << 0,
  /** No alignment checks at all (test programs on architectures without efficient unaligned access). */
  AnyAlignment: 1 << 1,
  /** Random upper halves for 32-bit results (a JIT test; changes the translated code, not the verdict). */
  TestRndHi32: 1 << 2,
  /** A pruning checkpoint at every prune point (is_state_visited), to test pruning. */
  TestStateFreq: 1 << 3,
  Sleepable: 1 << 4,
  XdpHasFrags: 1 << 5,
  XdpDevBoundOnly: 1 << 6,
  /** Fail the load when a register's bounds contradict each other (reg_bounds_sanity_check). */
  TestRegInvariants: 1 << 7,
  TokenFd: 1 << 16,
} as const;

/** The flags bpf_prog_load accepts (Linux 6.9+, when BPF_F_TOKEN_FD arrived). */
export const PROG_LOAD_FLAGS = Object.values(ProgFlags).reduce((a, b) => a | b, 0);
