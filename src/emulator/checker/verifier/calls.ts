// Calls, exits and 64-bit loads (kernel/bpf/verifier.c check_helper_call, check_func_arg,
// check_helper_mem_access, check_mem_size_reg, check_func_call, prepare_func_exit, check_return_code,
// check_ld_imm): helpers by their prototype (helper-protos), the references they take and give back
// (refs.ts), bpf-to-bpf calls with frames, the program's return value by program type.
import { E2BIG, EACCES, EINVAL, ENOTSUPP } from '../../../uapi/errno.js';
import { CallKind, Mode, modeOf, Size, sizeOf, type Insn } from '../../../uapi/isa.js';
import { funcIdName, HelperId, helperIdByName } from '../../../uapi/helpers.js';
import { AttachType as AT, KernelProgramType as PT } from '../../../uapi/program-type.js';
import { isArrayType, isHashType, KernelMapType, MapFlags, MapType, mapTypeName } from '../../../uapi/bpf.js';
import { constKeyLookupNotNull, releaseHelperWords } from '../../kernel-version.js';
import { helperProto, helperRefusal, helperRefusalAfterArgs, type HelperProto } from '../helper-protos.js';
import { ArgType, RetType, regTypeMismatch, TypeFlag as KernelTypeFlag } from '../helper-protos/types.js';
import { baseType, hasFlag, RegType, TypeFlag, type RegState } from '../reg-state.js';
import { copyReg, freeze, regBoundsSync, S64_MAX, S64_MIN, scalarUnknown } from '../scalar.js';
import { checkRead, checkWrite } from './alu.js';
import { OutOfModel, refuse, VerifierRefusal } from './errors.js';
import { kernelStructIds, poisonedCoreReloReason, unknownCoreType } from '../../programs/core.js';
import { MAX_CALL_FRAMES } from './call-depth.js';
import { syncCallbackHelpers } from './program.js';
import { ALLOC_OBJECT, BPF_MAX_VAR_SIZ, isNull, isPktPointer, known, pointer, regTypeStr, scalarReg, unknown } from './regs.js';
import { checkHelperMem, checkPtrOffReg, syscallCtxMemory } from './mem.js';
import { directPacketWrite } from '../helper-protos/program-types.js';
import { acquireReference, checkReferenceLeak, EXIT_IN_MAIN, LD_ABS, releaseReference, TAIL_CALL } from './refs.js';
import { mapFuncRefusal } from './map-compat.js';
import { localObjectType } from '../local-objects.js';
import type { KptrField } from '../../../btf/kptrs.js';
import { changesPktData, clearPktPointers } from './pkt-data.js';
import { FP, FuncState, isSpilledScalar, NOT_INIT, REG_SIZE, SlotType } from './state.js';
import type { Verifier } from './verifier.js';


/** Helpers on map types outside the hash and array families that this model follows. */
const modelledMapHelpers: ReadonlyMap<number, readonly number[]> = new Map([
  [KernelMapType.ProgArray, [HelperId.TailCall]],
  [KernelMapType.CgroupStorage, [HelperId.GetLocalStorage]],
  [KernelMapType.PercpuCgroupStorage, [HelperId.GetLocalStorage]],
  [KernelMapType.Ringbuf, ['ringbuf_reserve', 'ringbuf_output', 'ringbuf_query', 'ringbuf_reserve_dynptr'].map(helperIdByName)],
  [KernelMapType.SkStorage, ['sk_storage_get', 'sk_storage_delete'].map(helperIdByName)],
  [KernelMapType.Queue, [HelperId.MapPushElem, HelperId.MapPopElem, HelperId.MapPeekElem]],
  [KernelMapType.Stack, [HelperId.MapPushElem, HelperId.MapPopElem, HelperId.MapPeekElem]],
  [KernelMapType.BloomFilter, [HelperId.MapPushElem, HelperId.MapPeekElem]],
  // A lookup whose non-NULL result is the inner map (mark_ptr_or_null_reg, jmp.ts).
  [KernelMapType.ArrayOfMaps, [HelperId.MapLookupElem]],
  [KernelMapType.HashOfMaps, [HelperId.MapLookupElem]],
  // lpm_trie.c trie_map_ops: the element helpers take a key_size key and (update) a value_size value, as a hash's.
  [KernelMapType.LpmTrie, [HelperId.MapLookupElem, HelperId.MapUpdateElem, HelperId.MapDeleteElem]],
]);

/** record_func_map: the helpers that change a map, which a BPF_F_RDONLY_PROG map refuses. */
const mapWriters: ReadonlySet<number> = new Set([HelperId.MapDeleteElem, HelperId.MapUpdateElem, HelperId.MapPushElem, HelperId.MapPopElem]);


/** is_acquire_function (the sockmap and sockhash lookups are not in this model: their map types end the path). */
const acquires: ReadonlySet<number> = new Set(['sk_lookup_tcp', 'sk_lookup_udp', 'skc_lookup_tcp', 'ringbuf_reserve', 'kptr_xchg'].map(helperIdByName));

/** is_ptr_cast_function: the result is the argument's object seen as another type, so it shares its reference. */
const ptrCasts: ReadonlySet<number> = new Set(['tcp_sock', 'sk_fullsock', 'skc_to_tcp_sock', 'skc_to_tcp6_sock', 'skc_to_udp6_sock',
  'skc_to_mptcp_sock', 'skc_to_tcp_timewait_sock', 'skc_to_tcp_request_sock'].map(helperIdByName));

/** Helpers whose arguments or result this model does not follow (they run callbacks). */
const outOfModelHelpers: ReadonlySet<number> = new Set([...syncCallbackHelpers, HelperId.TimerSetCallback]);

/** check_ld_imm: what the 64-bit load puts in its register. */
export function checkLdImm64(v: Verifier, insn: Insn): void {
  checkWrite(insn.dst);
  const what = v.p.ldimm.get(v.pc) ?? { kind: 'unknown' };
  switch (what.kind) {
    case 'scalar': v.regs[insn.dst] = known(what.value); return;
    case 'map': v.regs[insn.dst] = pointer(RegType.ConstMapPtr, { map: what.map }); return;
    case 'mapValue': v.regs[insn.dst] = pointer(RegType.MapValue, { map: what.map, off: what.off }); return;
    case 'func': v.regs[insn.dst] = pointer(RegType.Func, { target: what.target }); return;
    default: throw new OutOfModel('an ld_imm64 of a kernel symbol or an unresolved map');
  }
}

/**
 * check_ld_abs: the legacy packet loads, as the kernel checks them. They pass only in socket filters and
 * tc programs, with r6 the context; the emulator does not run them, so one that passes is ENOTSUPP.
 * A load that fails ends the program with 0 (bpf_gen_ld_abs's hidden exit): in a subprogram that is a
 * return to the caller, walked first, the load's own continuation pushed. The next instruction.
 */
export function checkLdAbs(v: Verifier, insn: Insn): number {
  if (![PT.SocketFilter, PT.SchedCls, PT.SchedAct].includes(v.p.type as 1)) refuse(EINVAL, 'BPF_LD_[ABS|IND] instructions not allowed for this program type');
  const abs = modeOf(insn.code) === Mode.Abs;
  if (insn.dst !== 0 || insn.off !== 0 || sizeOf(insn.code) === Size.DW || (abs && insn.src !== 0)) refuse(EINVAL, 'BPF_LD_[ABS|IND] uses reserved fields');
  const ctx = checkRead(v, 6);
  checkReferenceLeak(v, LD_ABS);
  if (ctx.type !== RegType.Ctx) refuse(EINVAL, 'at the time of BPF_LD_ABS|IND R6 != pointer to skb');
  if (!abs) checkRead(v, insn.src);
  checkPtrOffReg(6, ctx);
  for (let r = 1; r <= 5; r++) v.regs[r] = NOT_INIT;
  v.regs[0] = unknown();
  v.unsupported ??= 'legacy BPF_LD_[ABS|IND] packet loads are not emulated';
  if (v.cur.frames.length === 1) return v.pc + 1;
  v.push(v.pc + 1, v.cur.clone());
  v.regs[0] = known(0n);
  return returnToCaller(v);
}

/** A BPF_CALL: the next instruction on this path. */
export function checkCall(v: Verifier, insn: Insn): number {
  if (insn.src === CallKind.Local) return callLocal(v, insn);
  if (insn.src === CallKind.Kfunc) {
    const name = v.p.kfuncs.get(v.pc);
    if (name === 'bpf_rdonly_cast') checkRdonlyCast(v);
    else if (name === 'bpf_dynptr_from_skb' || name === 'bpf_dynptr_from_xdp') checkDynptrFromPacket(v);
    else if (name === 'bpf_dynptr_slice_rdwr' && !directPacketWrite(v.p.type)) refuse(EINVAL, 'the prog does not allow writes to packet data');
    else if (name === 'bpf_obj_new_impl' || name === 'bpf_obj_drop_impl') checkObjectKfunc(v, name);
    else if (name === 'bpf_iter_bits_next' || name === 'bpf_iter_bits_destroy') checkIterInitialized(v, 'iter_bits');
    else throw new OutOfModel('a kfunc call');
    return v.pc + 1;
  }
  if (insn.src !== CallKind.Helper) throw new OutOfModel('a kfunc call');
  const core = poisonedCoreReloReason(insn);
  if (core) refuse(EINVAL, core);
  const unknownType = unknownCoreType(insn);
  if (unknownType) {
    v.unsupported ??= `the emulator has no BTF for ${unknownType} (a CO-RE relocation the kernel resolves against its own types)`;
    throw new OutOfModel(`a CO-RE relocation against ${unknownType}`);
  }
  checkHelper(v, insn.imm);
  return v.pc + 1;
}

/**
 * check_kfunc_call for bpf_obj_new_impl (KF_ACQUIRE | KF_RET_NULL: a referenced, maybe-NULL object of the
 * struct the constant argument names, kept precise) and bpf_obj_drop_impl (KF_RELEASE of one), on the
 * arguments the kernel accepts; any other argument ends the path (check_kfunc_args' refusals are not modelled).
 */
function checkObjectKfunc(v: Verifier, name: 'bpf_obj_new_impl' | 'bpf_obj_drop_impl'): void {
  const arg = v.regs[1]!;
  let r0 = NOT_INIT;
  if (name === 'bpf_obj_new_impl') {
    const id = arg.value.varOff.value;
    if (arg.type !== RegType.Scalar || arg.value.varOff.mask !== 0n || id > 0xffff_ffffn) throw new OutOfModel('bpf_obj_new of a type id not a known constant');
    if (!localObjectType(v.input.btf, Number(id))) throw new OutOfModel('bpf_obj_new of a type that is not a struct of the program\'s BTF');
    v.markPrecise(1);
    v.newId(); // KF_RET_NULL's id (mark_ptr_or_null_reg), replaced by the reference's: the next is the reference's
    const ref = acquireReference(v, v.pc);
    r0 = pointer(ALLOC_OBJECT | TypeFlag.MaybeNull, { target: Number(id), id: ref, refObjId: ref });
  } else {
    // check_kfunc_args: p__alloc of a KF_RELEASE kfunc (trusted args): NULL first, then a trusted pointer.
    if (isNull(arg) || (arg.type !== RegType.Scalar && hasFlag(arg.type, TypeFlag.MaybeNull))) refuse(EACCES, 'Possibly NULL pointer passed to trusted arg0');
    if (arg.type === RegType.Scalar) refuse(EINVAL, 'R1 must be referenced or trusted');
    if (arg.type !== ALLOC_OBJECT || arg.refObjId === 0 || arg.value.varOff.mask !== 0n || arg.value.varOff.value !== 0n) {
      throw new OutOfModel('bpf_obj_drop of something other than an object bpf_obj_new returned');
    }
    if (arg.off) refuse(EINVAL, 'R1 must have zero offset when passed to release func or trusted arg to kfunc');
    releaseReference(v, arg.refObjId);
  }
  for (let r = 1; r <= 5; r++) v.regs[r] = NOT_INIT;
  v.regs[0] = r0;
}

/**
 * process_iter_arg for an iterator's _next or _destroy: the stack slots must hold an iterator its _new made
 * (is_iter_reg_valid_init). This model ends every path at an iterator's _new (open-coded iterators are
 * outside it), so no path that reaches here has one.
 */
function checkIterInitialized(v: Verifier, iter: string): void {
  if (v.regs[1]!.type !== RegType.Stack) throw new OutOfModel('an iterator argument not on the stack');
  refuse(EINVAL, `expected an initialized ${iter} as arg #0`);
}

/**
 * check_kfunc_call for bpf_rdonly_cast(obj__ign, btf_id__k): an untrusted pointer to the kernel struct the
 * constant names (one of the emulator's: core.ts kernelStructIds), which this model does not follow further.
 */
function checkRdonlyCast(v: Verifier): void {
  const arg = v.regs[2]!;
  const id = arg.value.varOff.value;
  if (arg.type !== RegType.Scalar || arg.value.varOff.mask !== 0n || ![...kernelStructIds.values()].includes(Number(id))) {
    throw new OutOfModel('bpf_rdonly_cast to a type the emulator does not have');
  }
  v.markPrecise(2);
  for (let r = 1; r <= 5; r++) v.regs[r] = NOT_INIT;
  v.regs[0] = pointer(RegType.BtfId | TypeFlag.PtrUntrusted, { target: Number(id) });
}

/**
 * check_kfunc_call for bpf_dynptr_from_skb / _from_xdp(ctx, flags, ptr__uninit): the 16 bytes at ptr become a
 * dynptr (STACK_DYNPTR, mark_stack_slots_dynptr), which this model does not follow into the calls taking it
 * (a direct read of them ends the path too); r0 is the int result. Other arguments end the path.
 */
function checkDynptrFromPacket(v: Verifier): void {
  const [ctx, , slot] = [v.regs[1]!, v.regs[2]!, v.regs[3]!];
  const off = slot.off + Number(BigInt.asIntN(64, slot.value.varOff.value));
  if (ctx.type !== RegType.Ctx || slot.type !== RegType.Stack || slot.value.varOff.mask !== 0n || off % REG_SIZE !== 0) {
    throw new OutOfModel('a dynptr made from something other than the context into a stack slot');
  }
  checkHelperMem(v, 3, 2 * REG_SIZE, 'write', false);
  const frame = v.cur.frames[slot.frameno]!;
  for (const spi of [(-off - 1) >> 3, (-off - 1 - REG_SIZE) >> 3]) frame.stack[spi] = { types: Array<number>(REG_SIZE).fill(SlotType.Dynptr), spilled: unknown() };
  for (let r = 1; r <= 5; r++) v.regs[r] = NOT_INIT;
  v.regs[0] = unknown();
}

/**
 * process_dynptr_func with MEM_UNINIT, for a ring buffer dynptr: the 16 bytes at a constant, 8-aligned stack
 * offset are written (check_mem_access) and become a dynptr (mark_stack_slots_dynptr) that holds a new
 * reference: first the dynptr's id (mark_dynptr_stack_regs), then acquire_reference, so a program that
 * neither submits nor discards it leaks the reference at its exit. Slots that already hold a dynptr, or
 * another offset, are outside this model.
 */
function markRingbufDynptr(v: Verifier, regno: number): void {
  const slot = v.regs[regno]!;
  const off = slot.off + Number(BigInt.asIntN(64, slot.value.varOff.value));
  if (slot.type !== RegType.Stack || slot.value.varOff.mask !== 0n || off % REG_SIZE !== 0) throw new OutOfModel('a dynptr at a stack offset not a known multiple of 8');
  const frame = v.cur.frames[slot.frameno]!;
  const spis = [(-off - 1) >> 3, (-off - 1 - REG_SIZE) >> 3];
  if (spis.some((spi) => frame.stack[spi]?.types.includes(SlotType.Dynptr))) throw new OutOfModel('a dynptr made over another');
  checkHelperMem(v, regno, 2 * REG_SIZE, 'write', false);
  v.newId();
  const ref = acquireReference(v, v.pc);
  for (const spi of spis) frame.stack[spi] = { types: Array<number>(REG_SIZE).fill(SlotType.Dynptr), spilled: { ...unknown(), refObjId: ref } };
}

/** What check_func_arg learns along a helper's arguments (struct bpf_call_arg_meta). */
interface CallMeta {
  map: number;
  /** process_kptr_func: the kptr field bpf_kptr_xchg's destination points to. */
  kptrField?: KptrField;
  /** get_constant_map_key: the key a lookup names, when it is a known constant (else -1). */
  constKey: bigint;
  /** check_mem_size_reg: the largest size a size argument may have. */
  msizeMax: bigint;
  /** The argument register an OBJ_RELEASE argument names (0 for none). */
  releaseRegno: number;
  /** The reference an argument carries (ref_obj_id), for a release or a cast. */
  refObjId: number;
  /** ARG_CONST_ALLOC_SIZE_OR_ZERO: the size of the memory the helper returns (mem_size). */
  memSize: number;
}

function checkHelper(v: Verifier, id: number): void {
  // bpf_prog_load makes syscall programs sleepable (the section table does not say which others are).
  const options = { sleepable: (v.input.sleepable ?? false) || v.p.type === PT.Syscall };
  const early = helperRefusal(id, v.p.type, v.p.attachType, v.input.gpl ?? true, v.version, options);
  if (early) refuse(early.errno, early.log);
  const proto = helperProto(id, v.p.type, v.p.attachType, v.version, options);
  if (proto && id === HelperId.ForEachMapElem) forEachMapRefusal(v);
  if (!proto || outOfModelHelpers.has(id)) throw new OutOfModel(`helper ${funcIdName(id)}`);
  const meta: CallMeta = { map: -1, constKey: -1n, msizeMax: 0n, releaseRegno: 0, refObjId: 0, memSize: 0 };
  proto.args.forEach((argType, i) => checkArg(v, proto, i + 1, argType, meta));
  // record_func_map, right after the arguments: a program may not change a map it may only read.
  const written = v.p.maps[meta.map];
  if (written && (written.flags & MapFlags.RdonlyProg) && mapWriters.has(id)) refuse(EACCES, 'write into map forbidden');
  const after = helperRefusalAfterArgs(id, v.p.type, v.p.attachType, v.version, options);
  if (after) refuse(after.errno, after.log);
  if (meta.releaseRegno && !releaseReference(v, meta.refObjId) && !isNull(v.regs[meta.releaseRegno]!)) {
    refuse(EINVAL, `func ${funcIdName(id)}#${id} reference has not been acquired before`);
  }
  if (id === HelperId.TailCall) checkReferenceLeak(v, TAIL_CALL);
  // get_local_storage() cannot fail, so it takes no flags to fail on.
  if (id === HelperId.GetLocalStorage) {
    if (!isNull(v.regs[2]!)) refuse(EINVAL, 'get_local_storage() doesn\'t support non-zero flags');
    v.markPrecise(2);
  }
  const map = v.p.maps[meta.map];
  const incompatible = map && mapFuncRefusal(map.type, id, v.p.type, v.p.attachType);
  if (incompatible) throw new VerifierRefusal(incompatible.at(-1)!, EINVAL, incompatible.slice(0, -1));
  // The caller-saved registers die (mark_reg_not_init), then r0 takes the prototype's return type.
  for (let r = 1; r <= 5; r++) v.regs[r] = NOT_INIT;
  let r0 = returned(v, id, proto.ret, meta);
  if (ptrCasts.has(id)) r0 = { ...r0, refObjId: meta.refObjId };
  else if (acquires.has(id)) {
    const ref = acquireReference(v, v.pc);
    r0 = { ...r0, id: ref, refObjId: ref };
  }
  v.regs[0] = r0;
  if (changesPktData.has(id)) clearPktPointers(v.cur);
}

/**
 * set_map_elem_callback_state, when check_helper_call pushes bpf_for_each_map_elem's callback: only the maps
 * with map_for_each_callback (hashtab.c, arraymap.c) can be walked. The callback's own checks, which come
 * first in the kernel, are outside this model, so only a well-formed call on another map is refused here.
 */
function forEachMapRefusal(v: Verifier): void {
  const map = v.regs[1]!.type === RegType.ConstMapPtr ? v.p.maps[v.regs[1]!.map] : undefined;
  if (!map || isHashType(map.type) || isArrayType(map.type)) return;
  if (v.regs[2]!.type !== RegType.Func || !(isNull(v.regs[4]!))) return;
  refuse(ENOTSUPP, 'callback function not allowed for map');
}

function returned(v: Verifier, id: number, ret: number, meta: CallMeta): RegState {
  switch (ret) {
    case RetType.RET_INTEGER: return refinedRetval(id, meta);
    case RetType.RET_VOID: return NOT_INIT;
    case RetType.RET_PTR_TO_MAP_VALUE:
    case RetType.RET_PTR_TO_MAP_VALUE_OR_NULL: {
      const map = v.p.maps[meta.map];
      if (!map) throw new OutOfModel('a map value of an unknown map');
      // can_elide_value_nullness: an array element named by a constant key in range exists.
      const inRange = meta.constKey >= 0n && meta.constKey < BigInt(map.maxEntries);
      const nullable = ret === RetType.RET_PTR_TO_MAP_VALUE_OR_NULL && !inRange;
      return pointer(RegType.MapValue + (nullable ? TypeFlag.MaybeNull : 0), { map: meta.map, id: nullable ? v.newId() : 0 });
    }
    case RetType.RET_PTR_TO_SOCKET_OR_NULL:
    case RetType.RET_PTR_TO_TCP_SOCK_OR_NULL:
    case RetType.RET_PTR_TO_SOCK_COMMON_OR_NULL:
      return pointer(socketTypes[baseType(ret)]! + TypeFlag.MaybeNull, { id: v.newId() });
    case RetType.RET_PTR_TO_SOCKET:
    case RetType.RET_PTR_TO_TCP_SOCK:
    case RetType.RET_PTR_TO_SOCK_COMMON:
      return pointer(socketTypes[baseType(ret)]!);
    case RetType.RET_PTR_TO_BTF_ID_OR_NULL:
      // check_helper_call: bpf_kptr_xchg returns what the field held, of the field's type (a local struct: MEM_ALLOC).
      if (id !== HelperId.KptrXchg || !meta.kptrField) throw new OutOfModel('a helper returning a BTF pointer');
      return pointer(ALLOC_OBJECT | TypeFlag.MaybeNull, { target: meta.kptrField.target, id: v.newId() });
    case RetType.RET_PTR_TO_RINGBUF_MEM_OR_NULL:
      return pointer(RegType.Mem | TypeFlag.MemRingbuf | TypeFlag.MaybeNull, { id: v.newId(), range: meta.memSize });
    default:
      throw new OutOfModel('a helper returning memory or a BTF pointer');
  }
}

/** The register type of each socket return type (check_helper_call's RET_PTR_TO_SOCKET ... cases). */
const socketTypes: Readonly<Record<number, number>> = {
  [RetType.RET_PTR_TO_SOCKET]: RegType.Socket, [RetType.RET_PTR_TO_TCP_SOCK]: RegType.TcpSock, [RetType.RET_PTR_TO_SOCK_COMMON]: RegType.SockCommon,
};

/**
 * get_constant_map_key: a stack key of `keySize` bytes that are all STACK_ZERO, or one spilled constant
 * scalar of exactly that size; -1 for any other key.
 */
function constantMapKey(v: Verifier, reg: RegState, keySize: number): bigint {
  if (reg.type !== RegType.Stack || reg.value.varOff.mask !== 0n) return -1n;
  const off = reg.off + Number(BigInt.asIntN(64, reg.value.varOff.value));
  const slotNo = -off - 1;
  const slot = v.cur.frames[reg.frameno]!.stack[Math.floor(slotNo / REG_SIZE)];
  if (!slot) return -1n;
  const k = slotNo % REG_SIZE;
  let zeros = 0;
  for (let i = k; i >= 0 && slot.types[i] === SlotType.Zero; i--) zeros++;
  if (zeros >= keySize) return 0n;
  if (!isSpilledScalar(slot)) return -1n;
  let spills = 0;
  for (let i = k; i >= 0 && slot.types[i] === SlotType.Spill; i--) spills++;
  if (spills !== keySize || slot.spilled.value.varOff.mask !== 0n) return -1n;
  v.markSlotPrecise(reg.frameno, Math.floor(slotNo / REG_SIZE)); // the lookup relies on the constant
  return slot.spilled.value.varOff.value;
}

/** include/linux/err.h MAX_ERRNO. */
const MAX_ERRNO = 4095;

/** Helpers whose result is at most their size argument, or an errno (do_refine_retval_range). */
const sizeBoundedResult: ReadonlySet<number> = new Set(['get_stack', 'get_task_stack', 'probe_read_str', 'probe_read_kernel_str', 'probe_read_user_str'].map(helperIdByName));

/** do_refine_retval_range: r0 of a RET_INTEGER helper, bounded where the kernel bounds it. */
function refinedRetval(id: number, meta: CallMeta): RegState {
  if (!sizeBoundedResult.has(id)) return unknown();
  const r = copyReg(scalarUnknown());
  r.smax = meta.msizeMax;
  r.s32max = Number(BigInt.asIntN(32, meta.msizeMax));
  r.smin = BigInt(-MAX_ERRNO);
  r.s32min = -MAX_ERRNO;
  regBoundsSync(r);
  return scalarReg(freeze(r));
}

/** check_func_arg: argument `regno` against its type; memory arguments checked for their size. */
function checkArg(v: Verifier, proto: HelperProto, regno: number, argType: number, meta: CallMeta): void {
  const fixedSize = proto.argSize?.[regno - 1];
  if (argType === ArgType.ARG_DONTCARE) return;
  const reg = checkRead(v, regno);
  if (argType === ArgType.ARG_ANYTHING || argType === ArgType.ARG_SCALAR && reg.type === RegType.Scalar) return;
  const nullArg = isNull(reg);
  if (isPktPointer(reg) && !packetHelperAccess(v.p.type, proto.pktAccess)) refuse(EACCES, 'helper access to the packet is not allowed');
  if (baseType(argType) === ArgType.ARG_PTR_TO_MAP_VALUE) argType = resolveMapArgType(v, proto.id, argType, meta);
  const base = baseType(argType);
  if (nullArg && hasFlag(argType, TypeFlag.MaybeNull)) {
    v.markPrecise(regno); // the NULL that skips the type check must stay NULL
  } else {
    // check_reg_type: local kptr types are allowed as the source argument of bpf_kptr_xchg.
    const xchgSource = proto.id === HelperId.KptrXchg && regno === 2 && hasFlag(reg.type, TypeFlag.MemAlloc);
    const mismatch = regTypeMismatch(regno, xchgSource ? reg.type - TypeFlag.MemAlloc : reg.type, argType, v.version);
    if (mismatch) refuse(EACCES, mismatch);
    if (xchgSource) kptrMatchType(v, meta.kptrField!, regno);
    else if (baseType(reg.type) === RegType.BtfId) throw new OutOfModel('a BTF pointer as a helper argument');
    // check_func_arg_reg_off: a syscall program's context passed as memory may be moved.
    if (!(reg.type === RegType.Ctx && base !== ArgType.ARG_PTR_TO_CTX && syscallCtxMemory(v))) checkFuncArgRegOff(regno, reg, argType);
  }
  if (hasFlag(argType, KernelTypeFlag.OBJ_RELEASE)) {
    if (!reg.refObjId && !nullArg) {
      refuse(EINVAL, releaseHelperWords(v.version) ? `release helper ${funcIdName(proto.id)} expects referenced PTR_TO_BTF_ID passed to R${regno}`
        : `R${regno} must be referenced when passed to release function`);
    }
    meta.releaseRegno = regno;
  }
  if (reg.refObjId) meta.refObjId = reg.refObjId;
  switch (base) {
    case ArgType.ARG_CONST_MAP_PTR: {
      meta.map = reg.map;
      // What a helper does with a map depends on its type: the hash and array families are in this model,
      // and the pairings this model knows exactly; a pairing check_map_func_compatibility refuses is
      // refused after the arguments (checkHelper), as the kernel does.
      const type = v.p.maps[reg.map]?.type ?? -1;
      const modelled = isHashType(type) || isArrayType(type) || (modelledMapHelpers.get(type)?.includes(proto.id) ?? false);
      if (!modelled && !mapFuncRefusal(type, proto.id, v.p.type, v.p.attachType)) throw new OutOfModel(`a helper on a ${mapTypeName(type)} map`);
      return;
    }
    case ArgType.ARG_PTR_TO_MAP_KEY:
    case ArgType.ARG_PTR_TO_MAP_VALUE: {
      if (nullArg) return;
      const map = v.p.maps[meta.map];
      if (!map) return refuse(EACCES, `invalid map_ptr to access map->${base === ArgType.ARG_PTR_TO_MAP_KEY ? 'key' : 'value'}`);
      const key = base === ArgType.ARG_PTR_TO_MAP_KEY;
      const size = key ? map.keySize : map.valueSize;
      // check_helper_mem_access of a keyless map's key (a queue's, given to bpf_map_lookup_elem): on the stack,
      // check_stack_range_initialized refuses the zero size before check_map_func_compatibility is reached.
      if (size === 0 && baseType(v.regs[regno]!.type) === RegType.Stack) refuse(EACCES, 'invalid zero-sized read');
      if (size === 0) throw new OutOfModel('a map without keys or values');
      // A value the helper fills (pop, peek: MEM_UNINIT | MEM_WRITE) is a write; a bloom filter's peek reads it.
      checkHelperMem(v, regno, size, !key && writes(argType) ? 'write' : 'read', false);
      if (key && (map.type === MapType.Array || map.type === MapType.PercpuArray) && constKeyLookupNotNull(v.version)) {
        meta.constKey = constantMapKey(v, reg, map.keySize);
      }
      return;
    }
    case ArgType.ARG_PTR_TO_MEM:
      if (nullArg) return;
      if (hasFlag(argType, TypeFlag.MemFixedSize)) checkHelperMem(v, regno, fixedSize ?? 0, writes(argType) ? 'write' : 'read', false);
      return; // sized by the next argument (ARG_CONST_SIZE)
    case ArgType.ARG_CONST_SIZE:
    case ArgType.ARG_CONST_SIZE_OR_ZERO: {
      const mem = proto.args[regno - 2] ?? 0;
      const zeroOk = base === ArgType.ARG_CONST_SIZE_OR_ZERO;
      const s = reg.value;
      meta.msizeMax = s.umax;
      if (s.smin < 0n) refuse(EACCES, `R${regno} min value is negative, either use unsigned or 'var &= const'`);
      if (s.umin === 0n && !zeroOk) refuse(EACCES, `R${regno} invalid zero-sized read: u64=[${s.umin},${s.umax}]`);
      if (s.umax >= BPF_MAX_VAR_SIZ) refuse(EACCES, `R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
      checkHelperMem(v, regno - 1, Number(s.umax), writes(mem) ? 'write' : 'read', zeroOk);
      v.markPrecise(regno); // check_mem_size_reg
      return;
    }
    case ArgType.ARG_PTR_TO_CTX:
    case ArgType.ARG_PTR_TO_SOCK_COMMON:
    case ArgType.ARG_PTR_TO_SOCKET:
    case ArgType.ARG_PTR_TO_BTF_ID_SOCK_COMMON:
      return; // the register's type and offset are all check_func_arg asks of these
    case ArgType.ARG_CONST_ALLOC_SIZE_OR_ZERO:
      // The stray quote is the kernel's.
      if (reg.value.varOff.mask !== 0n) refuse(EACCES, `R${regno} is not a known constant'`);
      meta.memSize = Number(reg.value.varOff.value);
      v.markPrecise(regno);
      return;
    case ArgType.ARG_PTR_TO_RINGBUF_MEM:
      return; // the type and a release's zero offset are checked above
    case ArgType.ARG_PTR_TO_DYNPTR:
      // Only a new ring buffer dynptr (bpf_ringbuf_reserve_dynptr) is in this model; a dynptr taken as input
      // (read, write, data, submit, discard) ends the path.
      if (!hasFlag(argType, KernelTypeFlag.MEM_UNINIT) || !hasFlag(argType, KernelTypeFlag.DYNPTR_TYPE_RINGBUF)) throw new OutOfModel(`argument ${regno} of ${funcIdName(proto.id)}`);
      markRingbufDynptr(v, regno);
      return;
    case ArgType.ARG_PTR_TO_SPIN_LOCK:
      return; // process_spin_lock's rules are lock-rules.ts's, which ran before this walk
    case ArgType.ARG_KPTR_XCHG_DEST:
      meta.kptrField = kptrDestination(v, regno);
      return;
    case ArgType.ARG_PTR_TO_BTF_ID:
      if (proto.id === HelperId.KptrXchg) return; // a NULL or a local object, checked above
      throw new OutOfModel(`argument ${regno} of ${funcIdName(proto.id)}`);

    default:
      throw new OutOfModel(`argument ${regno} of ${funcIdName(proto.id)}`);
  }
}

/**
 * process_kptr_func (kernel/bpf/verifier.c): bpf_kptr_xchg's destination is a referenced kptr field of a map
 * value, at a constant offset. A destination inside a local object (6.13+) is outside this model.
 */
function kptrDestination(v: Verifier, regno: number): KptrField {
  const reg = v.regs[regno]!;
  if (reg.type !== RegType.MapValue) throw new OutOfModel('a kptr inside an allocated object');
  const map = v.p.maps[reg.map]!;
  if (!map.hasBtf) refuse(EINVAL, `map '${map.name}' has to have BTF in order to use bpf_kptr_xchg`);
  if (reg.value.varOff.mask !== 0n) refuse(EINVAL, `R${regno} doesn't have constant offset. kptr has to be at the constant offset`);
  if (!map.kptrs?.length) refuse(EINVAL, `R${regno} has no valid kptr`);
  const off = reg.off + Number(BigInt.asIntN(64, reg.value.varOff.value));
  const field = map.kptrs!.find((k) => k.offset === off);
  if (!field) return refuse(EACCES, `off=${off} doesn't point to kptr`);
  if (field.kind !== 'ref' && field.kind !== 'percpu') refuse(EACCES, `off=${off} kptr isn't referenced kptr`);
  if (field.kind === 'percpu' || !localObjectType(v.input.btf, field.target)) throw new OutOfModel(`a kptr to struct ${field.targetName}`);
  return field;
}

/**
 * map_kptr_match_type for a local object passed to bpf_kptr_xchg: an object of exactly the kptr's struct, at
 * offset 0 (a referenced kptr matches strictly: btf_struct_ids_match does not walk into the struct).
 */
function kptrMatchType(v: Verifier, field: KptrField, regno: number): void {
  const reg = v.regs[regno]!;
  if (hasFlag(reg.type, TypeFlag.MaybeNull) || reg.off !== 0 || reg.value.varOff.mask !== 0n || reg.value.varOff.value !== 0n) {
    throw new OutOfModel('a maybe-NULL or moved object passed to bpf_kptr_xchg');
  }
  if (reg.target !== field.target) {
    refuse(EACCES, `invalid kptr access, R${regno} type=${regTypeStr(reg.type)}${localObjectType(v.input.btf, reg.target)?.name ?? ''} expected=${regTypeStr(RegType.BtfId)}${field.targetName}`);
  }
}

/** resolve_map_arg_type: a sockmap's or sockhash's values are sockets; a bloom filter's peek reads its value. */
function resolveMapArgType(v: Verifier, id: number, argType: number, meta: CallMeta): number {
  const map = v.p.maps[meta.map];
  if (!map) return refuse(EACCES, 'invalid map_ptr to access map->type');
  switch (map.type) {
    case KernelMapType.Sockmap:
    case KernelMapType.Sockhash:
      if (argType !== ArgType.ARG_PTR_TO_MAP_VALUE) refuse(EINVAL, 'invalid arg_type for sockmap/sockhash');
      return ArgType.ARG_PTR_TO_BTF_ID_SOCK_COMMON;
    case KernelMapType.BloomFilter:
      return id === helperIdByName('map_peek_elem') ? ArgType.ARG_PTR_TO_MAP_VALUE : argType;
    default:
      return argType;
  }
}

/** Register types a helper argument may carry with a fixed and a variable offset (check_func_arg_reg_off). */
const offsetTypes: readonly number[] = [RegType.Stack, RegType.Packet, RegType.PacketMeta, RegType.MapKey, RegType.MapValue,
  RegType.Mem, RegType.Mem | TypeFlag.MemRdonly, RegType.Mem | TypeFlag.MemRingbuf, RegType.Buf, RegType.Buf | TypeFlag.MemRdonly,
  RegType.Arena, RegType.Scalar];

/**
 * check_func_arg_reg_off for the register types of this model (BTF pointers end the path before it): a
 * pointer released must not have moved; the types not in offsetTypes must not have moved at all.
 */
function checkFuncArgRegOff(regno: number, reg: RegState, argType: number): void {
  if (hasFlag(argType, KernelTypeFlag.OBJ_RELEASE) && reg.off) {
    refuse(EINVAL, `R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
  }
  if (!offsetTypes.includes(reg.type) || hasFlag(argType, KernelTypeFlag.OBJ_RELEASE)) checkPtrOffReg(regno, reg);
}

/** The helper writes the memory (MEM_UNINIT / MEM_WRITE arguments). */
const writes = (argType: number): boolean => hasFlag(argType, TypeFlag.MemUninit) || hasFlag(argType, KernelTypeFlag.MEM_WRITE);

/**
 * may_access_direct_pkt_data with a meta (a helper's argument): the program types with direct packet
 * access, for a helper declared pkt_access; cgroup sockopt programs for any helper.
 */
function packetHelperAccess(type: number, pktAccess: boolean): boolean {
  if (type === PT.CgroupSockopt) return true;
  const types: readonly number[] = [PT.LwtIn, PT.LwtOut, PT.LwtSeg6local, PT.SkReuseport, PT.FlowDissector, PT.CgroupSkb,
    PT.SchedCls, PT.SchedAct, PT.Xdp, PT.LwtXmit, PT.SkSkb, PT.SkMsg];
  return types.includes(type) && pktAccess;
}

/** check_func_call for a bpf-to-bpf call: a new frame, or a global function's unknown result. */
function callLocal(v: Verifier, insn: Insn): number {
  const target = v.pc + 1 + insn.imm;
  const sub = v.p.subprogs.find((s) => s.start === target);
  if (!sub) throw new OutOfModel('a call into the middle of a function');
  if (v.cur.frames.length >= MAX_CALL_FRAMES) refuse(E2BIG, `the call stack of ${v.cur.frames.length + 1} frames is too deep`);
  if (sub.global) {
    // Verified on its own (not in this model, nor are its arguments against its BTF prototype); to its
    // caller it returns any scalar and clobbers r1-r5.
    if (sub.changesPktData) clearPktPointers(v.cur);
    for (let r = 1; r <= 5; r++) v.regs[r] = NOT_INIT;
    v.regs[0] = unknown();
    return v.pc + 1;
  }
  const caller = v.cur.cur;
  const callee = new FuncState(v.cur.frames.length, v.pc, v.p.subprogs.indexOf(sub));
  for (let r = 1; r <= 5; r++) callee.regs[r] = caller.regs[r]!;
  callee.regs[FP] = pointer(RegType.Stack, { frameno: callee.frameno });
  for (let r = 0; r <= 5; r++) caller.regs[r] = NOT_INIT;
  v.cur.frames.push(callee);
  return target;
}

/** BPF_EXIT: a subprogram returns to its caller; the program's exit checks its return value. */
export function processExit(v: Verifier): number | 'exit' {
  if (v.cur.frames.length > 1) return returnToCaller(v);
  checkReferenceLeak(v, EXIT_IN_MAIN);
  checkReturnCode(v);
  return 'exit';
}

/** prepare_func_exit, with the callee's frame still current: r0 goes back as it is (even unset). */
function returnToCaller(v: Verifier): number {
  const frames = v.cur.frames;
  const r0 = v.regs[0]!;
  if (r0.type === RegType.Stack) refuse(EINVAL, 'cannot return stack pointer to the caller');
  const callee = frames.pop()!;
  frames[frames.length - 1]!.regs[0] = r0;
  return callee.callsite + 1;
}

/** sock_addr hooks that must return 1 (recvmsg, getpeername, getsockname). */
const recvOrNameHooks: readonly number[] = [AT.CgroupUdp4Recvmsg, AT.CgroupUdp6Recvmsg, AT.CgroupUnixRecvmsg, AT.CgroupInet4Getpeername,
  AT.CgroupInet6Getpeername, AT.CgroupUnixGetpeername, AT.CgroupInet4Getsockname, AT.CgroupInet6Getsockname, AT.CgroupUnixGetsockname];

/** check_return_code's range for the program's type and attach type; undefined where any value goes. */
function range(v: Verifier): [number, number] | undefined {
  const attach = v.p.attachType;
  switch (v.p.type) {
    case PT.CgroupSockAddr:
      if (recvOrNameHooks.includes(attach)) return [1, 1];
      if (attach === AT.CgroupInet4Bind || attach === AT.CgroupInet6Bind) return [0, 3];
      return [0, 1];
    case PT.CgroupSkb:
      return attach === AT.CgroupInetEgress ? [0, 3] : [0, 1];
    case PT.CgroupSock: case PT.SockOps: case PT.CgroupDevice: case PT.CgroupSysctl: case PT.CgroupSockopt:
      return [0, 1];
    case PT.SkLookup:
      return [0, 1];
    case PT.Netfilter:
      return [0, 1];
    default:
      return undefined;
  }
}

/** check_return_code for the program's own exit. */
function checkReturnCode(v: Verifier): void {
  const r0 = checkRead(v, 0);
  const want = range(v);
  if (!want) return;
  if (r0.type !== RegType.Scalar) refuse(EINVAL, `At program exit the register R0 is not a known value (${regTypeStr(r0.type)})`);
  v.markPrecise(0);
  const { smin, smax } = r0.value;
  if (smin >= BigInt(want[0]) && smax <= BigInt(want[1])) return;
  const parts = [smin > S64_MIN ? ` smin=${smin}` : '', smax < S64_MAX ? ` smax=${smax}` : ''].join('');
  refuse(EINVAL, `At program exit the register R0 has${parts || ' unknown scalar value'} should have been in [${want[0]}, ${want[1]}]`);
}


