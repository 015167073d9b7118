// The verifier's vocabulary for helper prototypes, named as the kernel names it: enum bpf_arg_type,
// enum bpf_return_type, enum bpf_type_flag (include/linux/bpf.h) and enum bpf_reg_type with the names
// reg_type_str prints (kernel/bpf/log.c), and the compatible_reg_types table check_reg_type prints on a
// mismatch (kernel/bpf/verifier.c). Values follow the kernel's enums (7.2 order, the same as 6.12's for
// every entry a helper uses): a flag sits above BPF_BASE_TYPE_BITS, as in the kernel, so `type & 0xff`
// is base_type().
import { kptrXchgDestNonOwning, ctxAsMemory } from '../../kernel-version.js';

/** include/linux/bpf.h BPF_BASE_TYPE_BITS: a type's low 8 bits are its base type, flags sit above. */
const BPF_BASE_TYPE_BITS = 8;
const bit = (n: number): number => 1 << (n + BPF_BASE_TYPE_BITS);

/** enum bpf_type_flag. */
export const TypeFlag = {
  PTR_MAYBE_NULL: bit(0),
  MEM_RDONLY: bit(1),
  MEM_RINGBUF: bit(2),
  MEM_USER: bit(3),
  MEM_PERCPU: bit(4),
  OBJ_RELEASE: bit(5),
  PTR_UNTRUSTED: bit(6),
  MEM_UNINIT: bit(7),
  DYNPTR_TYPE_LOCAL: bit(8),
  DYNPTR_TYPE_RINGBUF: bit(9),
  MEM_FIXED_SIZE: bit(10),
  MEM_ALLOC: bit(11),
  PTR_TRUSTED: bit(12),
  MEM_RCU: bit(13),
  NON_OWN_REF: bit(14),
  DYNPTR_TYPE_SKB: bit(15),
  DYNPTR_TYPE_XDP: bit(16),
  MEM_ALIGNED: bit(17),
  MEM_WRITE: bit(18),
  /** 7.x (not in 6.12). */
  DYNPTR_TYPE_SKB_META: bit(19),
  /** 7.x (not in 6.12). */
  DYNPTR_TYPE_FILE: bit(20),
} as const;
const F = TypeFlag;

/** include/linux/bpf.h DYNPTR_TYPE_FLAG_MASK (the 7.x members are never set where they do not exist). */
const DYNPTR_TYPE_FLAG_MASK = F.DYNPTR_TYPE_LOCAL | F.DYNPTR_TYPE_RINGBUF | F.DYNPTR_TYPE_SKB | F.DYNPTR_TYPE_XDP |
  F.DYNPTR_TYPE_SKB_META | F.DYNPTR_TYPE_FILE;

/** enum bpf_arg_type, with the kernel's extended (flagged) names. */
export const ArgType = {
  ARG_DONTCARE: 0,
  ARG_CONST_MAP_PTR: 1,
  ARG_PTR_TO_MAP_KEY: 2,
  ARG_PTR_TO_MAP_VALUE: 3,
  ARG_PTR_TO_MEM: 4,
  ARG_PTR_TO_ARENA: 5,
  ARG_CONST_SIZE: 6,
  ARG_CONST_SIZE_OR_ZERO: 7,
  ARG_PTR_TO_CTX: 8,
  ARG_ANYTHING: 9,
  ARG_SCALAR: 10,
  ARG_PTR_TO_SPIN_LOCK: 11,
  ARG_PTR_TO_SOCK_COMMON: 12,
  ARG_PTR_TO_SOCKET: 13,
  ARG_PTR_TO_BTF_ID: 14,
  ARG_PTR_TO_RINGBUF_MEM: 15,
  ARG_CONST_ALLOC_SIZE_OR_ZERO: 16,
  ARG_PTR_TO_BTF_ID_SOCK_COMMON: 17,
  ARG_PTR_TO_PERCPU_BTF_ID: 18,
  ARG_PTR_TO_FUNC: 19,
  ARG_PTR_TO_STACK: 20,
  ARG_PTR_TO_CONST_STR: 21,
  ARG_PTR_TO_TIMER: 22,
  ARG_KPTR_XCHG_DEST: 23,
  ARG_PTR_TO_DYNPTR: 24,
  ARG_PTR_TO_MAP_VALUE_OR_NULL: F.PTR_MAYBE_NULL | 3,
  ARG_PTR_TO_MEM_OR_NULL: F.PTR_MAYBE_NULL | 4,
  ARG_PTR_TO_CTX_OR_NULL: F.PTR_MAYBE_NULL | 8,
  ARG_PTR_TO_SOCKET_OR_NULL: F.PTR_MAYBE_NULL | 13,
  ARG_PTR_TO_STACK_OR_NULL: F.PTR_MAYBE_NULL | 20,
  ARG_PTR_TO_BTF_ID_OR_NULL: F.PTR_MAYBE_NULL | 14,
  /** MEM_UNINIT | MEM_WRITE | ARG_PTR_TO_MEM: the helper fills every byte (or clears them on error). */
  ARG_PTR_TO_UNINIT_MEM: F.MEM_UNINIT | F.MEM_WRITE | 4,
  ARG_PTR_TO_FIXED_SIZE_MEM: F.MEM_FIXED_SIZE | 4,
} as const;
const A = ArgType;

/** enum bpf_return_type, with the extended names. */
export const RetType = {
  RET_INTEGER: 0,
  RET_VOID: 1,
  RET_PTR_TO_MAP_VALUE: 2,
  RET_PTR_TO_SOCKET: 3,
  RET_PTR_TO_TCP_SOCK: 4,
  RET_PTR_TO_SOCK_COMMON: 5,
  RET_PTR_TO_MEM: 6,
  RET_PTR_TO_MEM_OR_BTF_ID: 7,
  RET_PTR_TO_BTF_ID: 8,
  RET_PTR_TO_MAP_VALUE_OR_NULL: F.PTR_MAYBE_NULL | 2,
  RET_PTR_TO_SOCKET_OR_NULL: F.PTR_MAYBE_NULL | 3,
  RET_PTR_TO_TCP_SOCK_OR_NULL: F.PTR_MAYBE_NULL | 4,
  RET_PTR_TO_SOCK_COMMON_OR_NULL: F.PTR_MAYBE_NULL | 5,
  RET_PTR_TO_RINGBUF_MEM_OR_NULL: F.PTR_MAYBE_NULL | F.MEM_RINGBUF | 6,
  RET_PTR_TO_DYNPTR_MEM_OR_NULL: F.PTR_MAYBE_NULL | 6,
  RET_PTR_TO_BTF_ID_OR_NULL: F.PTR_MAYBE_NULL | 8,
  RET_PTR_TO_BTF_ID_TRUSTED: F.PTR_TRUSTED | 8,
} as const;

/** enum bpf_reg_type (include/linux/bpf.h); PTR_TO_INSN is 7.x. */
export const RegType = {
  NOT_INIT: 0,
  SCALAR_VALUE: 1,
  PTR_TO_CTX: 2,
  CONST_PTR_TO_MAP: 3,
  PTR_TO_MAP_VALUE: 4,
  PTR_TO_MAP_KEY: 5,
  PTR_TO_STACK: 6,
  PTR_TO_PACKET_META: 7,
  PTR_TO_PACKET: 8,
  PTR_TO_PACKET_END: 9,
  PTR_TO_FLOW_KEYS: 10,
  PTR_TO_SOCKET: 11,
  PTR_TO_SOCK_COMMON: 12,
  PTR_TO_TCP_SOCK: 13,
  PTR_TO_TP_BUFFER: 14,
  PTR_TO_XDP_SOCK: 15,
  PTR_TO_BTF_ID: 16,
  PTR_TO_MEM: 17,
  PTR_TO_ARENA: 18,
  PTR_TO_BUF: 19,
  PTR_TO_FUNC: 20,
  PTR_TO_INSN: 21,
  CONST_PTR_TO_DYNPTR: 22,
} as const;
const T = RegType;

export const baseType = (type: number): number => type & ((1 << BPF_BASE_TYPE_BITS) - 1);

/** kernel/bpf/log.c reg_type_str's table of base names. */
const regBaseNames: Readonly<Record<number, string>> = {
  [T.NOT_INIT]: '?', [T.SCALAR_VALUE]: 'scalar', [T.PTR_TO_CTX]: 'ctx', [T.CONST_PTR_TO_MAP]: 'map_ptr',
  [T.PTR_TO_MAP_VALUE]: 'map_value', [T.PTR_TO_STACK]: 'fp', [T.PTR_TO_PACKET]: 'pkt', [T.PTR_TO_PACKET_META]: 'pkt_meta',
  [T.PTR_TO_PACKET_END]: 'pkt_end', [T.PTR_TO_FLOW_KEYS]: 'flow_keys', [T.PTR_TO_SOCKET]: 'sock',
  [T.PTR_TO_SOCK_COMMON]: 'sock_common', [T.PTR_TO_TCP_SOCK]: 'tcp_sock', [T.PTR_TO_TP_BUFFER]: 'tp_buffer',
  [T.PTR_TO_XDP_SOCK]: 'xdp_sock', [T.PTR_TO_BTF_ID]: 'ptr_', [T.PTR_TO_MEM]: 'mem', [T.PTR_TO_ARENA]: 'arena',
  [T.PTR_TO_BUF]: 'buf', [T.PTR_TO_FUNC]: 'func', [T.PTR_TO_INSN]: 'insn', [T.PTR_TO_MAP_KEY]: 'map_key',
  [T.CONST_PTR_TO_DYNPTR]: 'dynptr_ptr',
};

/**
 * kernel/bpf/log.c reg_type_str: the flag prefixes in the kernel's order (rdonly_, ringbuf_, user_, percpu_,
 * rcu_, untrusted_, trusted_), the base name, then `_or_null` (`or_null_` after ptr_). MEM_ALLOC and
 * NON_OWN_REF print nothing, so `PTR_TO_BTF_ID | MEM_ALLOC` is `ptr_`.
 */
export function regTypeStr(type: number): string {
  const base = baseType(type);
  let postfix = '';
  if (type & F.PTR_MAYBE_NULL) postfix = base === T.PTR_TO_BTF_ID ? 'or_null_' : '_or_null';
  const prefix = [
    [F.MEM_RDONLY, 'rdonly_'], [F.MEM_RINGBUF, 'ringbuf_'], [F.MEM_USER, 'user_'], [F.MEM_PERCPU, 'percpu_'],
    [F.MEM_RCU, 'rcu_'], [F.PTR_UNTRUSTED, 'untrusted_'], [F.PTR_TRUSTED, 'trusted_'],
  ].filter(([f]) => type & (f as number)).map(([, s]) => s).join('');
  return `${prefix}${regBaseNames[base] ?? ''}${postfix}`;
}

/**
 * kernel/bpf/verifier.c compatible_reg_types: the register types each base argument type accepts, in the
 * order check_reg_type prints them. Two tables changed after 6.18 (measured there; 7.2's source has the
 * new ones, kernel-version.ts): mem_types gained PTR_TO_CTX at its end, kptr_xchg_dest_types its two
 * non-owning entries.
 */
export function compatibleRegTypes(argType: number, version: string): readonly number[] | undefined {
  switch (baseType(argType)) {
    case A.ARG_PTR_TO_MAP_KEY:
    case A.ARG_PTR_TO_MAP_VALUE:
    case A.ARG_PTR_TO_MEM:
      return memTypes(version);
    case A.ARG_CONST_SIZE:
    case A.ARG_CONST_SIZE_OR_ZERO:
    case A.ARG_CONST_ALLOC_SIZE_OR_ZERO:
    case A.ARG_SCALAR:
      return [T.SCALAR_VALUE];
    case A.ARG_CONST_MAP_PTR: return [T.CONST_PTR_TO_MAP];
    case A.ARG_PTR_TO_CTX: return [T.PTR_TO_CTX];
    case A.ARG_PTR_TO_SOCK_COMMON: return sockTypes;
    case A.ARG_PTR_TO_BTF_ID_SOCK_COMMON: return [...sockTypes, T.PTR_TO_BTF_ID, T.PTR_TO_BTF_ID | F.PTR_TRUSTED];
    case A.ARG_PTR_TO_SOCKET: return [T.PTR_TO_SOCKET];
    case A.ARG_PTR_TO_BTF_ID: return [T.PTR_TO_BTF_ID, T.PTR_TO_BTF_ID | F.PTR_TRUSTED, T.PTR_TO_BTF_ID | F.MEM_RCU];
    case A.ARG_PTR_TO_SPIN_LOCK: return [T.PTR_TO_MAP_VALUE, T.PTR_TO_BTF_ID | F.MEM_ALLOC];
    case A.ARG_PTR_TO_RINGBUF_MEM: return [T.PTR_TO_MEM | F.MEM_RINGBUF];
    case A.ARG_PTR_TO_PERCPU_BTF_ID:
      return [T.PTR_TO_BTF_ID | F.MEM_PERCPU, T.PTR_TO_BTF_ID | F.MEM_PERCPU | F.MEM_RCU, T.PTR_TO_BTF_ID | F.MEM_PERCPU | F.PTR_TRUSTED];
    case A.ARG_PTR_TO_FUNC: return [T.PTR_TO_FUNC];
    case A.ARG_PTR_TO_STACK: return [T.PTR_TO_STACK];
    case A.ARG_PTR_TO_CONST_STR: return [T.PTR_TO_MAP_VALUE];
    case A.ARG_PTR_TO_TIMER: return [T.PTR_TO_MAP_VALUE];
    case A.ARG_KPTR_XCHG_DEST: {
      const types = [T.PTR_TO_MAP_VALUE, T.PTR_TO_BTF_ID | F.MEM_ALLOC];
      if (kptrXchgDestNonOwning(version)) types.push(T.PTR_TO_BTF_ID | F.MEM_ALLOC | F.NON_OWN_REF, T.PTR_TO_BTF_ID | F.MEM_ALLOC | F.NON_OWN_REF | F.MEM_RCU);
      return types;
    }
    case A.ARG_PTR_TO_DYNPTR: return [T.PTR_TO_STACK, T.CONST_PTR_TO_DYNPTR];
    default: return undefined; // ARG_DONTCARE, ARG_ANYTHING, ARG_PTR_TO_ARENA: no table (not checked by type)
  }
}

const sockTypes = [T.PTR_TO_SOCK_COMMON, T.PTR_TO_SOCKET, T.PTR_TO_TCP_SOCK, T.PTR_TO_XDP_SOCK];

function memTypes(version: string): number[] {
  const types = [T.PTR_TO_STACK, T.PTR_TO_PACKET, T.PTR_TO_PACKET_META, T.PTR_TO_MAP_KEY, T.PTR_TO_MAP_VALUE, T.PTR_TO_MEM,
    T.PTR_TO_MEM | F.MEM_RINGBUF, T.PTR_TO_BUF, T.PTR_TO_BTF_ID | F.PTR_TRUSTED];
  if (ctxAsMemory(version)) types.push(T.PTR_TO_CTX);
  return types;
}

/** check_reg_type's `expected=` list for an argument type, or undefined where it checks no register type. */
export function expectedRegTypes(argType: number, version: string): string | undefined {
  return compatibleRegTypes(argType, version)?.map(regTypeStr).join(', ');
}

/**
 * check_reg_type's folding before comparing: MEM_RDONLY and PTR_MAYBE_NULL of the register are ignored when
 * the argument type carries them, and ARG_PTR_TO_MEM ignores the register's dynptr type flags.
 * (bpf_kptr_xchg's own exception for its second argument is the caller's.)
 */
export function regTypeMatches(regType: number, argType: number, version: string): boolean {
  let type = regType;
  if (argType & F.MEM_RDONLY) type &= ~F.MEM_RDONLY;
  if (argType & F.PTR_MAYBE_NULL) type &= ~F.PTR_MAYBE_NULL;
  if (baseType(argType) === A.ARG_PTR_TO_MEM) type &= ~DYNPTR_TYPE_FLAG_MASK;
  return compatibleRegTypes(argType, version)?.includes(type) ?? true;
}

/**
 * The message check_reg_type prints when a register's type is not among the argument's: `R1 type=ctx
 * expected=map_ptr` (7.x words the register through reg_arg_name, the same `R%d` for a helper's arguments).
 */
export function regTypeMismatch(regno: number, regType: number, argType: number, version: string): string | undefined {
  if (regTypeMatches(regType, argType, version)) return undefined;
  return `R${regno} type=${regTypeStr(regType)} expected=${expectedRegTypes(argType, version) ?? ''}`;
}
