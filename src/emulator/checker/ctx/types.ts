// What the context-access rules take and give: one load or store through the context pointer (r1 at entry)
// as kernel/bpf/verifier.c check_mem_access meets it on a PTR_TO_CTX register, and the verifier's answer:
// the destination register's new type, or the refusal with its log line and errno.

/** The instruction forms that reach the context. They differ only before or around is_valid_access. */
export type CtxInsnForm =
  /** BPF_LDX | BPF_MEM: a load, zero-extended. */
  | 'ldx'
  /** BPF_LDX | BPF_MEMSX (v4): a sign-extending load (info->is_ldsx). */
  | 'ldsx'
  /** BPF_STX | BPF_MEM: a store from a register (a scalar: a privileged loader may store pointers too). */
  | 'stx'
  /** BPF_ST | BPF_MEM: a store of the immediate. */
  | 'st'
  /** BPF_STX | BPF_ATOMIC read-modify-write (add, or, and, xor, xchg, cmpxchg, with or without fetch). */
  | 'atomic'
  /** BPF_STX | BPF_ATOMIC with BPF_LOAD_ACQ (6.15). */
  | 'load_acquire'
  /** BPF_STX | BPF_ATOMIC with BPF_STORE_REL (6.15). */
  | 'store_release';

export interface CtxAccess {
  /** enum bpf_prog_type */
  progType: number;
  /**
   * expected_attach_type as BPF_PROG_LOAD was given it (matters for cgroup_sock, sock_addr, sockopt, xdp,
   * sk_reuseport ...). The load's own fix-up (bpf_prog_load_fixup_attach_type: 0 means sock_create for
   * cgroup_sock, select for sk_reuseport) is applied here.
   */
  attachType: number;
  /** Byte offset into the context: the instruction's off plus the register's fixed offset (`regOff`). */
  off: number;
  size: 1 | 2 | 4 | 8;
  /** BPF_WRITE (a store or an atomic) rather than BPF_READ. */
  write: boolean;
  /** The kernel whose rules apply, '6.18' form. */
  kernelVersion: string;
  /** The instruction's form; default 'stx' for a write and 'ldx' for a read. Must agree with `write`. */
  form?: CtxInsnForm;
  /** The context register's number, for messages that name it (default 1). */
  ctxReg?: number;
  /** The part of `off` the register carries (r1 += 8 before the access); default 0. */
  regOff?: number;
}

/** The pointer types an is_valid_access sets in info->reg_type (include/linux/bpf.h enum bpf_reg_type). */
export type CtxPointerType =
  | 'PTR_TO_PACKET'
  | 'PTR_TO_PACKET_META'
  | 'PTR_TO_PACKET_END'
  | 'PTR_TO_FLOW_KEYS'
  | 'PTR_TO_SOCKET'
  | 'PTR_TO_SOCKET_OR_NULL'
  | 'PTR_TO_SOCK_COMMON_OR_NULL'
  | 'PTR_TO_TP_BUFFER';

/** What the destination register of a context load becomes. */
export type CtxResult =
  /**
   * SCALAR_VALUE, unknown: check_mem_access marks it unknown, then (size < 8) coerce_reg_to_size keeps the
   * low `size` bytes, so a narrow load is in [0, 2^(8*size) - 1]; a BPF_MEMSX load is sign-extended from
   * `size` bytes instead (coerce_reg_to_size_sx). An 8-byte load is any 64-bit value.
   */
  | { type: 'SCALAR_VALUE'; size: 1 | 2 | 4 | 8; signExtended: boolean }
  /** A pointer with offset 0 (mark_reg_known_zero); the _OR_NULL types get a fresh id for the NULL check. */
  | { type: CtxPointerType }
  /** PTR_TO_BTF_ID | PTR_TRUSTED to a struct of vmlinux BTF, by name (netfilter's bpf_nf_ctx). */
  | { type: 'PTR_TO_BTF_ID'; trusted: true; btfStruct: string };

export type CtxAccessResult =
  /**
   * Allowed. `ctxFieldSize` is info->ctx_field_size: non-zero when the field may be loaded narrower than
   * itself, and then convert_ctx_accesses loads the whole field and masks (0 for BTF pointers).
   */
  | { ok: true; result: CtxResult; ctxFieldSize: number }
  /** Refused: the verifier's log line(s) (no trailing newline) and the negative errno. */
  | { ok: false; log: string; errno: number }
  /** The context is typed by kernel BTF (tracing, lsm, struct_ops, ext): not modelled, no guess. */
  | { ok: null; notModelled: string };

/** struct bpf_insn_access_aux: what an is_valid_access callback may set. */
export interface AccessInfo {
  regType: CtxResult['type'];
  ctxFieldSize: number;
  /** For PTR_TO_BTF_ID: the struct's name in vmlinux BTF. */
  btfStruct?: string;
  /** info->is_ldsx: the access is a sign-extending load. */
  readonly isLdsx: boolean;
}

/** What an is_valid_access callback reads of the program (struct bpf_prog) besides the access. */
export interface ProgInfo {
  readonly progType: number;
  /** After bpf_prog_load_fixup_attach_type. */
  readonly attachType: number;
  readonly kernelVersion: string;
}

/** A program type's is_valid_access (struct bpf_verifier_ops), in the kernel's shape. */
export type IsValidAccess = (off: number, size: number, write: boolean, prog: ProgInfo, info: AccessInfo) => boolean;
