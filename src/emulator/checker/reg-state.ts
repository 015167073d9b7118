// The verifier's register state (include/linux/bpf_verifier.h struct bpf_reg_state) and its types
// (include/linux/bpf.h enum bpf_reg_type, enum bpf_type_flag): one home for the names every part of the
// checker uses — the walk, the helper prototypes, the context rules, the log.
import type { Scalar } from './scalar.js';
import { baseType, RegType as KernelRegType, regTypeStr, TypeFlag as KernelTypeFlag } from './helper-protos/types.js';

const T = KernelRegType;
const F = KernelTypeFlag;

/** enum bpf_reg_type's base types, by short names (values: helper-protos/types.ts, the kernel's enum). */
export const RegType = {
  NotInit: T.NOT_INIT, Scalar: T.SCALAR_VALUE, Ctx: T.PTR_TO_CTX, ConstMapPtr: T.CONST_PTR_TO_MAP,
  MapValue: T.PTR_TO_MAP_VALUE, MapKey: T.PTR_TO_MAP_KEY, Stack: T.PTR_TO_STACK, PacketMeta: T.PTR_TO_PACKET_META,
  Packet: T.PTR_TO_PACKET, PacketEnd: T.PTR_TO_PACKET_END, FlowKeys: T.PTR_TO_FLOW_KEYS, Socket: T.PTR_TO_SOCKET,
  SockCommon: T.PTR_TO_SOCK_COMMON, TcpSock: T.PTR_TO_TCP_SOCK, TpBuffer: T.PTR_TO_TP_BUFFER, XdpSock: T.PTR_TO_XDP_SOCK,
  BtfId: T.PTR_TO_BTF_ID, Mem: T.PTR_TO_MEM, Arena: T.PTR_TO_ARENA, Buf: T.PTR_TO_BUF, Func: T.PTR_TO_FUNC,
  ConstDynptr: T.CONST_PTR_TO_DYNPTR,
} as const;

/** enum bpf_type_flag, by short names. */
export const TypeFlag = {
  MaybeNull: F.PTR_MAYBE_NULL, MemRdonly: F.MEM_RDONLY, MemRingbuf: F.MEM_RINGBUF, MemUser: F.MEM_USER,
  MemPercpu: F.MEM_PERCPU, ObjRelease: F.OBJ_RELEASE, PtrUntrusted: F.PTR_UNTRUSTED, MemUninit: F.MEM_UNINIT,
  MemFixedSize: F.MEM_FIXED_SIZE, MemAlloc: F.MEM_ALLOC, PtrTrusted: F.PTR_TRUSTED, MemRcu: F.MEM_RCU,
} as const;

export { baseType, regTypeStr };
export const hasFlag = (t: number, f: number): boolean => (t & f) !== 0;

/**
 * One register (struct bpf_reg_state). `type` is a base type plus flags. For a scalar, `value` is its
 * value; for a pointer, `value` is the variable part of its offset and `off` the fixed part.
 */
export interface RegState {
  readonly type: number;
  readonly value: Scalar;
  /** The pointer's fixed offset (s32); 0 for scalars. */
  readonly off: number;
  /** Links copies (scalars), and a pointer to its NULL check (maybe-null pointers); 0 for none. */
  readonly id: number;
  /** The acquired reference this pointer holds (must be released), 0 for none. */
  readonly refObjId: number;
  /** Packet pointers: bytes from `off` known to be inside the packet. PTR_TO_MEM: mem_size. */
  readonly range: number;
  /** The map (an index into the checker's map table) of map pointers, keys and values; -1 otherwise. */
  readonly map: number;
  /** PTR_TO_STACK: the call frame whose stack it points into. */
  readonly frameno: number;
  /** PTR_TO_FUNC: the subprogram's first instruction; PTR_TO_BTF_ID: the BTF type id. */
  readonly target: number;
  /** Scalars the verifier must track exactly (mark_chain_precision). */
  readonly precise: boolean;
}
