// Register helpers of kernel/bpf/verifier.c (mark_reg_unknown, __mark_reg_known, reg_type_str,
// type_may_be_null, reg_is_pkt_pointer, ...) over the immutable RegState of reg-state.ts.
import { hasFlag, RegType, TypeFlag, type RegState } from '../reg-state.js';
export { regTypeStr } from '../reg-state.js';
import { scalarConst, scalarUnknown, type Scalar } from '../scalar.js';
import { NOT_INIT } from './state.js';

/** include/linux/bpf_verifier.h BPF_MAX_VAR_OFF: offsets a pointer may carry. */
export const BPF_MAX_VAR_OFF = 1n << 29n;
/** include/linux/bpf_verifier.h BPF_MAX_VAR_SIZ. */
export const BPF_MAX_VAR_SIZ = 1n << 29n;

export const scalarReg = (value: Scalar, id = 0): RegState => ({ ...NOT_INIT, type: RegType.Scalar, value, id });
export const unknown = (): RegState => scalarReg(scalarUnknown());
export const known = (v: bigint): RegState => scalarReg(scalarConst(v));

/** A pointer of `type` at fixed offset 0 with no variable part (__mark_reg_known_zero on a pointer). */
export function pointer(type: number, fields: Partial<RegState> = {}): RegState {
  return { ...NOT_INIT, type, value: scalarConst(0n), ...fields };
}

/** An object bpf_obj_new allocated: PTR_TO_BTF_ID | MEM_ALLOC of a struct of the program's BTF (`target`). */
export const ALLOC_OBJECT = RegType.BtfId | TypeFlag.MemAlloc;

export const isPointer = (r: RegState): boolean => r.type !== RegType.Scalar && r.type !== RegType.NotInit;
export const mayBeNull = (r: RegState | number): boolean => hasFlag(typeof r === 'number' ? r : r.type, TypeFlag.MaybeNull);
/** register_is_null: a scalar known to be 0. */
export const isNull = (r: RegState): boolean => r.type === RegType.Scalar && r.value.varOff.mask === 0n && r.value.varOff.value === 0n;

export function isPktPointer(r: RegState): boolean {
  return r.type === RegType.Packet || r.type === RegType.PacketMeta;
}



/** Clears PTR_MAYBE_NULL (mark_ptr_not_null_reg). */
export function withoutNull(type: number): number {
  return hasFlag(type, TypeFlag.MaybeNull) ? type - TypeFlag.MaybeNull : type;
}
