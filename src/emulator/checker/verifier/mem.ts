// Loads and stores (kernel/bpf/verifier.c check_load_mem, check_store_reg, check_atomic, check_mem_access):
// each pointer type's bounds and rights — the stack byte by byte (check_stack_read/write_fixed_off), map
// values and keys (check_map_access, check_map_access_type), packets (check_packet_access), the context
// (checker/ctx, the program type's is_valid_access), memory from helpers — alignment where the kernel
// checks it (check_ptr_alignment), and what a load gives the destination register.
import { directPacketWrite } from '../helper-protos/program-types.js';
import { EACCES, EINVAL } from '../../../uapi/errno.js';
import { AluOp, AtomicOp, Mode, modeOf, type Insn } from '../../../uapi/isa.js';
import { KernelMapType, MapFlags } from '../../../uapi/bpf.js';
import { KernelProgramType as PT } from '../../../uapi/program-type.js';
import { baseType, hasFlag, RegType, TypeFlag, type RegState } from '../reg-state.js';
import { coerceToSize, scalarConst, type Scalar } from '../scalar.js';
import { scalarAlu } from '../scalar-alu.js';
import { tnumAdd, tnumConst, type Tnum } from '../tnum.js';
import { tnumStrn } from '../scalar-format.js';
import { bpfMapShaHead, ctxAsMemory, helperStackAccessByType, pointerOffsetInVarOff, tnumConstForm } from '../../kernel-version.js';
import { checkCtxAccess, type CtxInsnForm, type CtxResult } from '../ctx/index.js';
import { socketIsValidAccess, type SocketKind } from '../ctx/sock.js';
import { BpfFlowKeys, U16_MAX } from '../ctx/layouts.js';
import { checkRead, checkWrite, linkScalar } from './alu.js';
import { OutOfModel, refuse, VerifierRefusal } from './errors.js';
import { stackAccessFlags } from './precision.js';
import { localObjectAccess, localObjectType } from '../local-objects.js';
import { ALLOC_OBJECT, BPF_MAX_VAR_OFF, isNull, isPktPointer, isPointer, known, pointer, regTypeStr, scalarReg, unknown } from './regs.js';
import { REG_SIZE, SlotType, type FuncState, type StackSlot } from './state.js';
import type { Verifier } from './verifier.js';
import type { CheckedMap } from '../types.js';

/** include/linux/bpf.h MAX_BPF_STACK. */
export const MAX_BPF_STACK = 512;

const BYTES: Record<number, 1 | 2 | 4 | 8> = { 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 };
const accessSize = (code: number): 1 | 2 | 4 | 8 => BYTES[code & 0x18]!;

/** What is written: a register, an immediate (BPF_ST), or nothing known (a helper, an atomic's result). */
type Value = { reg: number } | { imm: number } | undefined;

/** check_load_mem: `dst = *(size *)(src + off)`, sign-extending for BPF_MEMSX. */
export function checkLoad(v: Verifier, insn: Insn): void {
  checkRead(v, insn.src);
  checkWrite(insn.dst);
  const ldsx = modeOf(insn.code) === Mode.MemSx;
  const srcType = v.regs[insn.src]!.type;
  const result = access(v, insn.src, insn.off, accessSize(insn.code), false, ldsx ? 'ldsx' : 'ldx', undefined);
  v.regs[insn.dst] = result ?? unknown();
  savePtrType(v, srcType);
}

/** check_store_reg: `*(size *)(dst + off) = src`. */
export function checkStore(v: Verifier, insn: Insn): void {
  checkRead(v, insn.src);
  checkRead(v, insn.dst);
  const dstType = v.regs[insn.dst]!.type;
  access(v, insn.dst, insn.off, accessSize(insn.code), true, 'stx', { reg: insn.src });
  savePtrType(v, dstType);
}

/** BPF_ST: `*(size *)(dst + off) = imm`. */
export function checkStoreImm(v: Verifier, insn: Insn): void {
  checkRead(v, insn.dst);
  const dstType = v.regs[insn.dst]!.type;
  access(v, insn.dst, insn.off, accessSize(insn.code), true, 'st', { imm: insn.imm });
  savePtrType(v, dstType);
}

/**
 * save_aux_ptr_type: an instruction is rewritten for the pointer type it accesses (the context's fields are
 * converted, sockets' too), so every path must bring the same type where one of them is such a type. The
 * first path's type is kept for the instruction across all paths. (A load's allow_trust_mismatch concerns
 * BTF pointers, which end a path in this model before they are accessed.)
 */
function savePtrType(v: Verifier, type: number): void {
  const prev = v.ptrTypes.get(v.pc);
  if (prev === undefined) {
    v.ptrTypes.set(v.pc, type);
    return;
  }
  if (type === prev || (!typeIsRewritten(type) && !typeIsRewritten(prev))) return;
  refuse(EINVAL, 'same insn cannot be used with different pointers');
}

/** !reg_type_mismatch_ok: the types whose accesses convert_ctx_accesses rewrites by type. */
function typeIsRewritten(type: number): boolean {
  const b = baseType(type);
  return b === RegType.Ctx || b === RegType.BtfId || b === RegType.Arena || isSockPointer(b);
}

/** include/uapi/linux/bpf.h BPF_LOAD_ACQ, BPF_STORE_REL (atomic imm values, 6.15). */
const BPF_LOAD_ACQ = 0x100;
const BPF_STORE_REL = 0x110;
/** printf's %02x of an int. */
const hex2 = (n: number): string => (n >>> 0).toString(16).padStart(2, '0');

/** check_atomic: a read then a write of the same place; the fetching forms load into src (cmpxchg: r0). */
export function checkAtomic(v: Verifier, insn: Insn): void {
  const op = insn.imm;
  const size = accessSize(insn.code);
  const rmw = [AtomicOp.Add, AtomicOp.Or, AtomicOp.And, AtomicOp.Xor].flatMap((o) => [o, o | AtomicOp.Fetch]);
  if (op === BPF_LOAD_ACQ || op === BPF_STORE_REL) throw new OutOfModel('load-acquire and store-release');
  if (op !== AtomicOp.Xchg && op !== AtomicOp.Cmpxchg && !rmw.includes(op)) refuse(EINVAL, `BPF_ATOMIC uses invalid atomic opcode ${hex2(op)}`);
  if (size !== 4 && size !== 8) refuse(EINVAL, 'invalid atomic operand size');
  checkRead(v, insn.src);
  checkRead(v, insn.dst);
  if (op === AtomicOp.Cmpxchg) checkRead(v, 0);
  const dst = v.regs[insn.dst]!;
  if (dst.type === RegType.Ctx || isPktPointer(dst) || dst.type === RegType.FlowKeys || isSockPointer(dst.type)) {
    refuse(EACCES, `BPF_ATOMIC stores into R${insn.dst} ${regTypeStr(dst.type)} is not allowed`);
  }
  // check_atomic_rmw: the fetched register is written first (check_reg_arg DST_OP), then the place is
  // read, then written, each aligned whatever the program's flags (strict_alignment_once).
  const loadReg = (op & AtomicOp.Fetch) === 0 ? -1 : op === AtomicOp.Cmpxchg ? 0 : insn.src;
  if (loadReg >= 0) {
    checkWrite(loadReg);
    v.regs[loadReg] = unknown();
  }
  const loaded = access(v, insn.dst, insn.off, size, false, 'atomic', undefined, true);
  access(v, insn.dst, insn.off, size, true, 'atomic', undefined, true);
  if (loadReg >= 0) v.regs[loadReg] = loaded ?? unknown();
}

/**
 * A load or store touching a kptr field of a map value: check_map_access's field rules (a constant offset at
 * the field, eight bytes), then check_map_kptr_access's (kernel/bpf/verifier.c): only BPF_MEM loads and
 * stores; a referenced kptr is never stored to directly (bpf_kptr_xchg does it), an unreferenced one only
 * with NULL here. A load's pointer (PTR_TO_BTF_ID, RCU or untrusted) is outside this model: the emulator's
 * map values hold no pointers a load could give back.
 */
function kptrAccess(v: Verifier, kptrs: CheckedMap['kptrs'], reg: RegState, at: number, size: number, write: boolean, form: CtxInsnForm, value: Value): RegState | undefined {
  for (const kptr of kptrs ?? []) {
    const p = BigInt(kptr.offset);
    if (!(reg.value.smin + BigInt(at) < p + 8n && p < reg.value.umax + BigInt(at + size))) continue;
    if (reg.value.varOff.mask !== 0n) refuse(EACCES, 'kptr access cannot have variable offset');
    const off = BigInt(at) + reg.value.varOff.value;
    if (off !== p) refuse(EACCES, `kptr access misaligned expected=${kptr.offset} off=${off}`);
    if (size !== 8) refuse(EACCES, 'kptr access size must be BPF_DW');
    if (form === 'atomic' || form === 'ldsx') refuse(EACCES, 'kptr in map can only be accessed using BPF_MEM instruction mode');
    if (write && (kptr.kind === 'ref' || kptr.kind === 'percpu')) refuse(EACCES, 'store to referenced kptr disallowed');
    if (!write) throw new OutOfModel('a load of a kptr field');
    if (kptr.kind === 'uptr') throw new OutOfModel('a store to a uptr field');
    if (value && 'imm' in value && value.imm !== 0) refuse(EACCES, `BPF_ST imm must be 0 when storing to kptr at off=${kptr.offset}`);
    if (value && 'reg' in value) {
      if (!isNull(v.regs[value.reg]!)) throw new OutOfModel('a store of a pointer to an unreferenced kptr');
      v.markPrecise(value.reg); // the store is valid only because the scalar is zero
    }
  }
  return undefined;
}

/** type_is_sk_pointer, with the struct each type reads. */
const socketKinds: Readonly<Record<number, SocketKind>> = {
  [RegType.SockCommon]: 'sock_common', [RegType.Socket]: 'sock', [RegType.TcpSock]: 'tcp_sock', [RegType.XdpSock]: 'xdp_sock',
};
const isSockPointer = (t: number): boolean => socketKinds[t] !== undefined;

/**
 * check_tp_buffer_access (__check_buffer_access): a writable tracepoint's buffer, at a fixed offset from its
 * start; how far a program reaches is checked when it is attached (max_tp_access), not at load.
 */
function checkTpBufferAccess(regno: number, reg: RegState, off: number, size: number): void {
  if (off < 0) refuse(EACCES, `R${regno} invalid tracepoint buffer access: off=${off}, size=${size}`);
  if (reg.value.varOff.mask !== 0n || reg.value.varOff.value !== 0n) {
    refuse(EACCES, `R${regno} invalid variable buffer offset: off=${off}, var_off=${tnumStrn(reg.value.varOff)}`);
  }
}

/** check_flow_keys_access: inside struct bpf_flow_keys. */
function checkFlowKeysAccess(off: number, size: number): void {
  if (off < 0 || off + size > BpfFlowKeys.size) refuse(EACCES, `invalid access to flow keys off=${off} size=${size}`);
}

/** check_sock_access: a read of the socket struct at `off` (the register's fixed offset included). */
function checkSockAccess(regno: number, reg: RegState, off: number, size: number): void {
  if (reg.value.smin < 0n) refuse(EACCES, `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  if (!socketIsValidAccess(socketKinds[reg.type]!, off, size)) refuse(EACCES, `R${regno} invalid ${regTypeStr(reg.type)} access off=${off} size=${size}`);
}

/**
 * check_mem_access's read of a map value at a constant offset: a read-only map's contents are known constants
 * (bpf_map_is_rdonly; bpf_map_direct_read, sign-extending for BPF_MEMSX), so a branch on a `.rodata`
 * variable takes one way only; any other read is an unknown scalar.
 */
function mapValueRead(map: CheckedMap, reg: RegState, at: number, size: 1 | 2 | 4 | 8, ldsx: boolean): RegState {
  const direct = map.directRead;
  if (direct === undefined || reg.value.varOff.mask !== 0n) return unknown();
  // map_direct_value_addr's error fails the load with no log line: not modelled.
  if (typeof direct === 'number') throw new OutOfModel('a read-only map without one value to read directly');
  const off = at + Number(reg.value.varOff.value);
  const view = new DataView(direct.buffer, direct.byteOffset, direct.byteLength);
  const value = size === 8 ? view.getBigUint64(off, true)
    : size === 4 ? BigInt(ldsx ? view.getInt32(off, true) : view.getUint32(off, true))
      : size === 2 ? BigInt(ldsx ? view.getInt16(off, true) : view.getUint16(off, true))
        : BigInt(ldsx ? view.getInt8(off) : view.getUint8(off));
  return known(BigInt.asUintN(64, value));
}

/**
 * check_mem_access through register `regno` at `off`: refuses what the kernel refuses; for a read, the
 * destination's new state (a load's, before size coercion by the caller is applied here).
 */
function access(v: Verifier, regno: number, off: number, size: 1 | 2 | 4 | 8, write: boolean, form: CtxInsnForm, value: Value, strictOnce = false): RegState | undefined {
  const reg = v.regs[regno]!;
  const ldsx = form === 'ldsx';
  checkAlignment(v, reg, off, size, strictOnce);
  const at = off + reg.off;
  let out: RegState | undefined;
  const base = baseType(reg.type);
  if (reg.type === RegType.MapKey) {
    if (write) refuse(EACCES, `write to change key R${regno} not allowed`);
    checkMemRegion(regno, reg, accessView(v, reg, at), size, v.p.maps[reg.map]!.keySize, 'map key');
    out = unknown();
  } else if (reg.type === RegType.MapValue) {
    const map = v.p.maps[reg.map]!;
    if (write && (map.flags & MapFlags.RdonlyProg)) refuse(EACCES, `write into map forbidden, value_size=${map.valueSize} off=${at} size=${size}`);
    if (!write && (map.flags & MapFlags.WronlyProg)) refuse(EACCES, `read from map forbidden, value_size=${map.valueSize} off=${at} size=${size}`);
    checkMemRegion(regno, reg, accessView(v, reg, at), size, map.valueSize, 'map value');
    for (const lock of map.locks) {
      const lockSize = 4;
      if (reg.value.smin + BigInt(at) < BigInt(lock.offset + lockSize) && BigInt(lock.offset) < reg.value.umax + BigInt(at + size)) {
        refuse(EACCES, `${lock.kind === 'spin' ? 'bpf_spin_lock' : 'bpf_res_spin_lock'} cannot be accessed directly by load/store`);
      }
    }
    const kptr = kptrAccess(v, map.kptrs, reg, at, size, write, form, value);
    if (!write) out = kptr ?? mapValueRead(map, reg, at, size, ldsx);
  } else if (base === RegType.Mem) {
    if (hasFlag(reg.type, TypeFlag.MaybeNull)) refuse(EACCES, `R${regno} invalid mem access '${regTypeStr(reg.type)}'`);
    if (write && hasFlag(reg.type, TypeFlag.MemRdonly)) refuse(EACCES, `R${regno} cannot write into ${regTypeStr(reg.type)}`);
    checkMemRegion(regno, reg, accessView(v, reg, at), size, reg.range, 'memory');
    if (!write) out = unknown();
  } else if (reg.type === RegType.Ctx) {
    // check_ctx_access: a syscall program's context is memory of U16_MAX bytes where the version allows it.
    let ctxOff = at;
    if (syscallCtxMemory(v)) {
      const view = accessView(v, reg, at);
      checkMemRegion(regno, reg, view, size, U16_MAX, 'context');
      ctxOff = view.off + Number(view.value.umax);
    } else {
      checkPtrOffReg(regno, reg);
    }
    const answer = checkCtxAccess({ progType: v.p.type, attachType: v.p.attachType, off: ctxOff, size, write, kernelVersion: v.version, form, ctxReg: regno, regOff: reg.off });
    if (answer.ok === null) throw new OutOfModel(answer.notModelled);
    if (!answer.ok) throw refusalOf(answer.log, answer.errno, v.log.lineInfo(v.pc));
    // check_ctx_access: "remember the offset of last byte accessed in ctx".
    v.maxCtxOffset = Math.max(v.maxCtxOffset, ctxOff + size);
    if (!write) out = ctxResult(v, answer.result);
  } else if (reg.type === RegType.Stack) {
    const frame = v.cur.frames[reg.frameno]!;
    v.growStack(reg.frameno, checkStackBounds(v, regno, reg, at, size, write));
    if (reg.value.varOff.mask !== 0n) {
      out = write ? (stackWriteVar(frame, reg, at, size), undefined) : unknown();
    } else {
      const fixed = at + Number(BigInt.asIntN(64, reg.value.varOff.value));
      if (write) stackWrite(v, frame, fixed, size, value);
      else out = stackRead(v, frame, fixed, size);
    }
  } else if (isPktPointer(reg)) {
    if (write && !directPacketWrite(v.p.type)) refuse(EACCES, 'cannot write into packet');
    checkPacket(v, regno, reg, at, size);
    if (!write) out = unknown();
  } else if (reg.type === RegType.ConstMapPtr) {
    out = checkMapPtrAccess(v, regno, reg, at, size, write);
  } else if (isSockPointer(reg.type)) {
    if (write) refuse(EACCES, `R${regno} cannot write into ${regTypeStr(reg.type)}`);
    checkSockAccess(regno, reg, at, size);
    out = unknown();
  } else if (reg.type === RegType.TpBuffer) {
    checkTpBufferAccess(regno, reg, at, size);
    if (!write) out = unknown();
  } else if (reg.type === RegType.FlowKeys) {
    // check_mem_access's PTR_TO_FLOW_KEYS branch: no pointer stored into the keys, then check_flow_keys_access.
    if (write && value && 'reg' in value && isPointer(v.regs[value.reg]!)) refuse(EACCES, `R${value.reg} leaks addr into flow keys`);
    if (reg.value.varOff.mask !== 0n) throw new OutOfModel('a variable offset into flow keys');
    checkFlowKeysAccess(at + Number(BigInt.asIntN(64, reg.value.varOff.value)), size);
    if (!write) out = unknown();
  } else if (base === RegType.BtfId && hasFlag(reg.type, TypeFlag.MaybeNull)) {
    refuse(EACCES, `R${regno} invalid mem access '${regTypeStr(reg.type)}'`); // check_mem_access's last branch
  } else if (reg.type === ALLOC_OBJECT) {
    out = allocObjectAccess(v, regno, reg, at, size);
  } else if (base === RegType.BtfId || base === RegType.Buf || reg.type === RegType.Arena) {
    throw new OutOfModel(`access through ${regTypeStr(reg.type)}`);
  } else {
    refuse(EACCES, `R${regno} invalid mem access '${regTypeStr(reg.type)}'`);
  }
  if (out && out.type === RegType.Scalar && size < REG_SIZE) out = { ...out, value: coerceToSize(out.value, size, ldsx) };
  return out;
}

function refusalOf(log: string, errno: number, lineInfo: string[]): never {
  const lines = log.split('\n');
  refuseWith(errno, lines[lines.length - 1]!, [...lineInfo, ...lines.slice(0, -1)]);
}

function refuseWith(errno: number, reason: string, before: string[]): never {
  throw new VerifierRefusal(reason, errno, before);
}

/** The kernel struct behind a map pointer (each map type's map_btf_id), for the types this model names. */
const mapStruct: Readonly<Record<number, string>> = {
  [KernelMapType.Hash]: 'bpf_htab', [KernelMapType.PercpuHash]: 'bpf_htab', [KernelMapType.LruHash]: 'bpf_htab',
  [KernelMapType.LruPercpuHash]: 'bpf_htab', [KernelMapType.Array]: 'bpf_array', [KernelMapType.PercpuArray]: 'bpf_array',
};

/** A member at the head of struct bpf_map as vmlinux BTF describes it (bytes: an array of u8). */
interface MapStructMember {
  readonly name: string;
  readonly off: number;
  readonly size: number;
  readonly kind: 'ptr' | 'scalar' | 'bytes';
}

/**
 * The head of struct bpf_map (include/linux/bpf.h, with Debian's CONFIG_SECURITY), which every map's struct
 * (bpf_array, bpf_htab) starts with: enough of it for btf_struct_walk's verdict on a read near the start.
 * 6.18 put the map's SHA-256 and exclusivity before ops (kernel-version.ts bpfMapShaHead).
 */
function mapStructHead(version: string): readonly MapStructMember[] {
  const tail = (base: number): MapStructMember[] => [
    { name: 'ops', off: base, size: 8, kind: 'ptr' }, { name: 'inner_map_meta', off: base + 8, size: 8, kind: 'ptr' },
    { name: 'security', off: base + 16, size: 8, kind: 'ptr' }, { name: 'map_type', off: base + 24, size: 4, kind: 'scalar' },
    { name: 'key_size', off: base + 28, size: 4, kind: 'scalar' }, { name: 'value_size', off: base + 32, size: 4, kind: 'scalar' },
  ];
  if (!bpfMapShaHead(version)) return tail(0);
  return [{ name: 'sha', off: 0, size: 32, kind: 'bytes' }, { name: 'excl', off: 32, size: 4, kind: 'scalar' }, ...tail(40)];
}

/**
 * check_ptr_to_map_access: a read of the map's kernel struct through vmlinux BTF (btf_struct_walk in
 * kernel/bpf/btf.c), never at a negative offset, never a write. A read inside a scalar member gives a
 * scalar and may not run past it; a pointer member must be read whole ("cannot access ptr member ...");
 * what such a read gives, and the rest of the struct, are not in this model.
 */
function checkMapPtrAccess(v: Verifier, regno: number, reg: RegState, off: number, size: number, write: boolean): RegState | undefined {
  const name = mapStruct[v.p.maps[reg.map]?.type ?? -1];
  if (name === undefined) throw new OutOfModel('a map pointer of this map type');
  if (off < 0) refuse(EACCES, `R${regno} is ${name} invalid negative access: off=${off}`);
  if (write) refuse(EACCES, `only read from ${name} is supported`);
  const m = mapStructHead(v.version).find((f) => off >= f.off && off < f.off + f.size);
  if (m?.kind === 'ptr' && (size !== m.size || off !== m.off)) {
    refuse(EACCES, `cannot access ptr member ${m.name} with moff ${m.off} in struct bpf_map with off ${off} size ${size}`);
  }
  if (m === undefined || m.kind === 'ptr') throw new OutOfModel(`a read of struct ${name}`);
  const end = m.off + m.size;
  if (off + size > end) refuse(EACCES, `access beyond the end of member ${m.name} (mend:${end}) in struct bpf_map with off ${off} size ${size}`);
  return unknown();
}

/** The register a context load gives (check_mem_access's PTR_TO_CTX branch). */
function ctxResult(v: Verifier, r: CtxResult): RegState {
  switch (r.type) {
    case 'SCALAR_VALUE': return unknown();
    case 'PTR_TO_PACKET': return pointer(RegType.Packet, { id: 0 });
    case 'PTR_TO_PACKET_META': return pointer(RegType.PacketMeta);
    case 'PTR_TO_PACKET_END': return pointer(RegType.PacketEnd);
    case 'PTR_TO_FLOW_KEYS': return pointer(RegType.FlowKeys);
    case 'PTR_TO_SOCKET': return pointer(RegType.Socket);
    case 'PTR_TO_SOCKET_OR_NULL': return pointer(RegType.Socket + TypeFlag.MaybeNull, { id: v.newId() });
    case 'PTR_TO_SOCK_COMMON_OR_NULL': return pointer(RegType.SockCommon + TypeFlag.MaybeNull, { id: v.newId() });
    case 'PTR_TO_TP_BUFFER': return pointer(RegType.TpBuffer);
    default: throw new OutOfModel('a context field typed by kernel BTF');
  }
}

/**
 * check_helper_mem_access: `size` bytes at register `regno` for a helper to read or write (root may pass
 * uninitialised stack; a write leaves the stack bytes MISC, check_stack_range_initialized's clobber).
 */
export function checkHelperMem(v: Verifier, regno: number, size: number, how: 'read' | 'write', zeroOk: boolean): void {
  const reg = v.regs[regno]!;
  switch (baseType(reg.type)) {
    case RegType.Packet: case RegType.PacketMeta:
      return checkPacket(v, regno, reg, reg.off, size, zeroOk);
    case RegType.MapKey:
      return checkMemRegion(regno, reg, accessView(v, reg, reg.off), size, v.p.maps[reg.map]!.keySize, 'map key', zeroOk);
    case RegType.MapValue: {
      const map = v.p.maps[reg.map]!;
      if (how === 'write' && (map.flags & MapFlags.RdonlyProg)) refuse(EACCES, `write into map forbidden, value_size=${map.valueSize} off=${reg.off} size=${size}`);
      if (how === 'read' && (map.flags & MapFlags.WronlyProg)) refuse(EACCES, `read from map forbidden, value_size=${map.valueSize} off=${reg.off} size=${size}`);
      checkMemRegion(regno, reg, accessView(v, reg, reg.off), size, map.valueSize, 'map value', zeroOk);
      // check_map_access(ACCESS_HELPER): a helper never reads or writes a kptr field.
      if (map.kptrs?.some((k) => reg.value.smin + BigInt(reg.off) < BigInt(k.offset + 8) && BigInt(k.offset) < reg.value.umax + BigInt(reg.off + size))) {
        refuse(EACCES, 'kptr cannot be accessed indirectly by helper');
      }
      return;
    }
    case RegType.Mem:
      if (how === 'write' && hasFlag(reg.type, TypeFlag.MemRdonly)) refuse(EACCES, `R${regno} cannot write into ${regTypeStr(reg.type)}`);
      return checkMemRegion(regno, reg, accessView(v, reg, reg.off), size, reg.range, 'memory', zeroOk);
    case RegType.Stack: {
      v.growStack(reg.frameno, checkStackBounds(v, regno, reg, reg.off, size, how === 'write', helperStackAccessByType(v.version) ? '' : ' indirect access to'));
      if (how !== 'write') return;
      const frame = v.cur.frames[reg.frameno]!;
      const konst = reg.value.varOff.mask === 0n;
      const min = (konst ? Number(BigInt.asIntN(64, reg.value.varOff.value)) : Number(reg.value.smin)) + reg.off;
      const max = (konst ? min : Number(reg.value.smax) + reg.off) + size;
      for (let i = min; i < max; i++) clobber(frame, i);
      return;
    }
    case RegType.Ctx:
      if (syscallCtxMemory(v)) return checkMemRegion(regno, reg, accessView(v, reg, reg.off), size, U16_MAX, 'context', zeroOk);
      if (!ctxAsMemory(v.version)) throw new OutOfModel('helper memory through the context');
      if (zeroOk && size === 0 && isNull(reg)) return;
      return refuse(EACCES, `R${regno} type=${regTypeStr(reg.type)} expected=${regTypeStr(RegType.Stack)}`);
    case RegType.Scalar:
      // A NULL for a nullable argument, only with a size that may be zero; the kernel names the stack.
      if (zeroOk && size === 0 && isNull(reg)) return;
      return refuse(EACCES, `R${regno} type=${regTypeStr(reg.type)} expected=${regTypeStr(RegType.Stack)}`);
    default:
      throw new OutOfModel(`helper memory through ${regTypeStr(reg.type)}`);
  }
}

/** One stack byte a helper writes becomes MISC; a spilled register under it is gone. */
function clobber(frame: FuncState, off: number): void {
  const { spi, k } = slotIndex(off);
  const old = frame.stack[spi] ?? emptySlot();
  const types = old.types.slice();
  if (isSpilled(old)) for (let j = 0; j < REG_SIZE; j++) if (types[j] !== SlotType.Invalid) types[j] = SlotType.Misc;
  types[k] = SlotType.Misc;
  frame.stack[spi] = { types, spilled: unknown() };
}

/** __check_ptr_off_reg without fixed_off_ok: a pointer whose accesses the kernel rewrites must not have moved. */
export function checkPtrOffReg(regno: number, reg: RegState): void {
  const name = regTypeStr(reg.type);
  if (reg.off < 0) refuse(EACCES, `negative offset ${name} ptr R${regno} off=${reg.off} disallowed`);
  if (reg.off !== 0) refuse(EACCES, `dereference of modified ${name} ptr R${regno} off=${reg.off} disallowed`);
  if (reg.value.varOff.mask !== 0n || reg.value.varOff.value !== 0n) refuse(EACCES, `variable ${name} access var_off=${tnumStrn(reg.value.varOff)} disallowed`);
}

const isAligned = (t: Tnum, size: number): boolean => ((t.value | t.mask) & BigInt(size - 1)) === 0n;

/** check_ptr_alignment: strict for the stack always, for the others under BPF_F_STRICT_ALIGNMENT. */
function checkAlignment(v: Verifier, reg: RegState, off: number, size: number, strictOnce: boolean): void {
  if (size === 1) return;
  const strict = v.strictAlignment || strictOnce;
  if (isPktPointer(reg)) {
    if (!strict) return;
    const t = tnumAdd(reg.value.varOff, tnumConst(BigInt(2 + reg.off + off)));
    if (!isAligned(t, size)) refuse(EACCES, `misaligned packet access off 2+${pointerOffset(v, reg)}+${off} size ${size}`);
    return;
  }
  const desc: Record<number, string> = {
    [RegType.FlowKeys]: 'flow keys ', [RegType.MapKey]: 'key ', [RegType.MapValue]: 'value ', [RegType.Ctx]: 'context ',
    [RegType.Stack]: 'stack ', [RegType.Socket]: 'sock ', [RegType.SockCommon]: 'sock_common ', [RegType.TcpSock]: 'tcp_sock ',
    [RegType.XdpSock]: 'xdp_sock ',
  };
  if (reg.type === RegType.Arena) return;
  if (!strict && reg.type !== RegType.Stack) return;
  const t = tnumAdd(reg.value.varOff, tnumConst(BigInt(reg.off + off)));
  if (!isAligned(t, size)) refuse(EACCES, `misaligned ${desc[reg.type] ?? ''}access off ${pointerOffset(v, reg)}+${off} size ${size}`);
}

/**
 * A pointer's offset in the alignment messages: "var_off+off" (the tnum, then the fixed offset), or, where
 * the register's fixed offset lives in var_off (kernel-version.ts pointerOffsetInVarOff), the one tnum.
 */
function pointerOffset(v: Verifier, reg: RegState): string {
  const form = tnumConstForm(v.version);
  if (!pointerOffsetInVarOff(v.version)) return `${tnumStrn(reg.value.varOff, form)}+${reg.off}`;
  return tnumStrn(tnumAdd(reg.value.varOff, tnumConst(BigInt(reg.off))), form);
}

/** __check_mem_access's message for an access outside [0, mem_size). */
function outside(kind: string, regno: number, reg: RegState, off: bigint, size: number, memSize: number): string {
  switch (kind) {
    case 'map key': return `invalid access to map key, key_size=${memSize} off=${off} size=${size}`;
    case 'map value': return `invalid access to map value, value_size=${memSize} off=${off} size=${size}`;
    case 'packet': return `invalid access to packet, off=${off} size=${size}, R${regno}(id=${reg.id},off=${off},r=${memSize})`;
    case 'context': return `invalid access to context, ctx_size=${memSize} off=${off} size=${size}`;
    default: return `invalid access to memory, mem_size=${memSize} off=${off} size=${size}`;
  }
}

const within = (off: bigint, size: number, memSize: number, zeroOk = false): boolean => off >= 0n && (size > 0 || (size === 0 && zeroOk)) && off + BigInt(size) <= BigInt(memSize);
const asS32 = (x: bigint): bigint => BigInt.asIntN(32, x);

/**
 * What an access check sees of a pointer at `at` (its fixed offset plus the instruction's): the variable
 * part's bounds and tnum, and the offset added to them. Before 7.2 the fixed offset is reg->off, outside
 * the bounds; 7.2 keeps it in var_off and the bounds (kernel-version.ts pointerOffsetInVarOff), so the checks
 * of the bounds alone (a negative minimum, an unbounded maximum) and the printed var_off see it there.
 */
interface AccessView {
  readonly value: Scalar;
  readonly off: number;
}

function accessView(v: Verifier, reg: RegState, at: number): AccessView {
  if (reg.off === 0 || !pointerOffsetInVarOff(v.version)) return { value: reg.value, off: at };
  return { value: scalarAlu(AluOp.Add, true, reg.value, scalarConst(BigInt(reg.off))).dst, off: at - reg.off };
}

/**
 * check_ptr_to_btf_access of an object bpf_obj_new allocated (writes allowed: type_is_ptr_alloc_obj), at a
 * constant offset: btf_struct_access's rules (local-objects.ts). A read gives an unknown scalar.
 */
function allocObjectAccess(v: Verifier, regno: number, reg: RegState, at: number, size: number): RegState {
  const view = accessView(v, reg, at);
  const type = localObjectType(v.input.btf, reg.target);
  if (view.value.varOff.mask !== 0n || !type) throw new OutOfModel(`a variable offset into ${regTypeStr(reg.type)}`);
  const off = view.off + Number(BigInt.asIntN(64, view.value.varOff.value));
  if (off < 0) throw new OutOfModel('a negative offset into an allocated object');
  const answer = localObjectAccess(v.input.btf!, type, off, size);
  if (answer === undefined) throw new OutOfModel(`an access to struct ${type.name} at off ${off} size ${size}`);
  if (answer !== 'scalar') refuse(EACCES, answer.refusal);
  return unknown();
}

/** is_var_ctx_off_allowed: a syscall program's context, on a version where a context is memory. */
export function syscallCtxMemory(v: Verifier): boolean {
  return v.p.type === PT.Syscall && ctxAsMemory(v.version);
}

/** check_mem_region_access: both ends of the variable offset inside the region. */
function checkMemRegion(regno: number, reg: RegState, view: AccessView, size: number, memSize: number, kind: string, zeroOk = false): void {
  const { smin, umax } = view.value;
  const o = BigInt(view.off);
  if (smin < 0n && (smin === -(1n << 63n) || o + smin !== asS32(o + smin) || smin + o < 0n)) {
    refuse(EACCES, `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  }
  if (!within(asS32(smin + o), size, memSize, zeroOk)) {
    refuseWith(EACCES, `R${regno} min value is outside of the allowed memory range`, [outside(kind, regno, reg, asS32(smin + o), size, memSize)]);
  }
  if (umax >= BPF_MAX_VAR_OFF) refuse(EACCES, `R${regno} unbounded memory access, make sure to bounds check any such access`);
  if (!within(asS32(umax + o), size, memSize, zeroOk)) {
    refuseWith(EACCES, `R${regno} max value is outside of the allowed memory range`, [outside(kind, regno, reg, asS32(umax + o), size, memSize)]);
  }
}

/**
 * check_packet_access: the access inside the range the comparisons with pkt_end proved. Before 7.2 the
 * range covers fixed offsets of pointers that share the variable part (its id), so only the fixed offset
 * is checked against it; 7.2 checks the whole offset through check_mem_region_access, against a range
 * that counts the shared variable part's maximum (find_good_pkt_pointers: reg_umax(dst_reg)).
 */
function checkPacket(v: Verifier, regno: number, reg: RegState, at: number, size: number, zeroOk = false): void {
  if (pointerOffsetInVarOff(v.version)) {
    if (reg.range < 0) refuse(EINVAL, `R${regno} offset is outside of the packet`);
    const range = reg.range > 0 ? reg.range + Number(reg.value.umax) : 0;
    return checkMemRegion(regno, reg, accessView(v, reg, at), size, range, 'packet', zeroOk);
  }
  if (reg.value.smin < 0n) refuse(EACCES, `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  if (reg.range < 0 || !within(BigInt(at), size, reg.range, zeroOk)) {
    const before = reg.range < 0 ? [] : [outside('packet', regno, reg, BigInt(at), size, reg.range)];
    refuseWith(EACCES, `R${regno} offset is outside of the packet`, before);
  }
}

/**
 * check_stack_access_within_bounds (a privileged program may read uninitialised stack): the lowest offset
 * the access reaches, which grow_stack_state then allocates. 6.18 names a constant offset by reg->off plus
 * the instruction's, 7.2 by the whole offset (the same unless a constant was added as a scalar).
 */
function checkStackBounds(v: Verifier, regno: number, reg: RegState, at: number, size: number, write: boolean, helperWording = ''): number {
  const extra = helperWording || (write ? ' write to' : ' read from');
  const { value, off } = accessView(v, reg, at);
  let min: bigint;
  let max: bigint;
  if (value.varOff.mask === 0n) {
    min = BigInt.asIntN(64, value.varOff.value) + BigInt(off);
    max = min + BigInt(size);
  } else {
    if (value.smax >= BPF_MAX_VAR_OFF || value.smin <= -BPF_MAX_VAR_OFF) refuse(EACCES, `invalid unbounded variable-offset${extra} stack R${regno}`);
    min = value.smin + BigInt(off);
    max = value.smax + BigInt(off) + BigInt(size);
  }
  // check_stack_slot_within_bounds is EACCES; reaching into offsets >= 0 is EINVAL.
  const errno = min < -BigInt(MAX_BPF_STACK) || min > -1n ? EACCES : max > 0n ? EINVAL : 0;
  if (errno) {
    const named = pointerOffsetInVarOff(v.version) ? min : BigInt(at);
    if (value.varOff.mask === 0n) refuse(errno, `invalid${extra} stack R${regno} off=${named} size=${size}`);
    refuse(errno, `invalid variable-offset${extra} stack R${regno} var_off=${tnumStrn(value.varOff)} off=${off} size=${size}`);
  }
  return Number(min);
}

const slotIndex = (off: number): { spi: number; k: number } => {
  const slot = -off - 1;
  return { spi: Math.floor(slot / REG_SIZE), k: slot % REG_SIZE };
};

const emptySlot = (): StackSlot => ({ types: Array<number>(REG_SIZE).fill(SlotType.Invalid), spilled: unknown() });
const isSpilled = (s: StackSlot | undefined): boolean => s?.types[REG_SIZE - 1] === SlotType.Spill;

/** get_reg_width. */
const regWidth = (s: Scalar): number => (s.umax === 0n ? 0 : s.umax.toString(2).length);

/** check_stack_write_fixed_off. */
function stackWrite(v: Verifier, frame: FuncState, off: number, size: number, value: Value): void {
  const { spi, k } = slotIndex(off);
  const old = frame.stack[spi] ?? emptySlot();
  const reg = value && 'reg' in value ? v.regs[value.reg]! : undefined;
  const types = old.types.slice();
  const save = (spilled: RegState): void => {
    for (let i = REG_SIZE; i > REG_SIZE - size; i--) types[i - 1] = SlotType.Spill;
    for (let i = REG_SIZE - size; i > 0; i--) if (types[i - 1] !== SlotType.Zero && types[i - 1] !== SlotType.Invalid) types[i - 1] = SlotType.Misc;
    frame.stack[spi] = { types, spilled };
    v.recordFlags(stackAccessFlags(frame.frameno, spi)); // a spill: precision follows the value through it
  };
  if (reg && off % REG_SIZE === 0 && reg.type === RegType.Scalar) {
    const fits = regWidth(reg.value) <= 8 * size;
    const linked = fits && value && 'reg' in value ? linkScalar(v, value.reg) : reg;
    save(fits ? linked : { ...linked, id: 0 });
  } else if (!reg && off % REG_SIZE === 0 && value && 'imm' in value) {
    save(known(BigInt(value.imm)));
  } else if (reg && reg.type !== RegType.Scalar) {
    if (size !== REG_SIZE) refuse(EACCES, 'invalid size of register spill');
    if (frame !== v.cur.cur && reg.type === RegType.Stack) refuse(EINVAL, 'cannot spill pointers to stack into stack frame of the caller');
    save(reg);
  } else {
    const regIsNull = reg !== undefined && reg.type === RegType.Scalar && reg.value.varOff.mask === 0n && reg.value.varOff.value === 0n;
    const zero = regIsNull || (!reg && value && 'imm' in value && value.imm === 0);
    // STACK_ZERO from a register is only right while that register is 0: make it precise.
    if (regIsNull && value && 'reg' in value) v.markPrecise(value.reg);
    if (isSpilled(old)) for (let i = 0; i < REG_SIZE; i++) if (types[i] !== SlotType.Invalid) types[i] = SlotType.Misc;
    for (let i = 0; i < size; i++) types[(k - i + REG_SIZE) % REG_SIZE] = zero ? SlotType.Zero : SlotType.Misc;
    frame.stack[spi] = { types, spilled: unknown() };
  }
  grow(frame, spi);
}

function grow(frame: FuncState, spi: number): void {
  for (let i = 0; i < spi; i++) frame.stack[i] ??= undefined;
}

/** check_stack_write_var_off: every byte the write may touch becomes MISC (a zero keeps ZERO bytes). */
function stackWriteVar(frame: FuncState, reg: RegState, off: number, size: number): void {
  const min = Number(reg.value.smin) + off;
  const max = Number(reg.value.smax) + off + size;
  for (let i = min; i < max; i++) clobber(frame, i);
}

/** check_stack_read_fixed_off: a fill restores the spilled register; other bytes give a scalar. */
function stackRead(v: Verifier, frame: FuncState, off: number, size: number): RegState {
  const { spi, k } = slotIndex(off);
  const slot = frame.stack[spi] ?? emptySlot();
  const types = slot.types;
  if (isSpilled(slot)) {
    let spillSize = 1;
    for (let i = REG_SIZE - 1; i > 0 && types[i - 1] === SlotType.Spill; i--) spillSize++;
    if (size === REG_SIZE && spillSize === REG_SIZE) {
      v.recordFlags(stackAccessFlags(frame.frameno, spi)); // a fill
      return slot.spilled;
    }
    if (slot.spilled.type !== RegType.Scalar) refuseWith(EACCES, 'invalid size of register fill', v.log.lineInfo(v.pc));
    if (size <= spillSize && off % REG_SIZE === 0) {
      v.recordFlags(stackAccessFlags(frame.frameno, spi)); // a narrower fill, still the spilled register
      const r = slot.spilled;
      return regWidth(r.value) > size * 8 ? { ...r, id: 0 } : r;
    }
    let spills = 0;
    let zeros = 0;
    for (let i = 0; i < size; i++) {
      const t = types[(k - i + REG_SIZE) % REG_SIZE];
      if (t === SlotType.Spill) spills++;
      else if (t === SlotType.Zero) zeros++;
      else if (t !== SlotType.Misc && t !== SlotType.Invalid) refuse(EACCES, `invalid read from stack off ${off}+${i} size ${size}`);
    }
    const spilledZero = slot.spilled.value.varOff.mask === 0n && slot.spilled.value.varOff.value === 0n;
    if ((spills === size && spilledZero) || zeros === size) return scalarReg(scalarConst(0n));
    return unknown();
  }
  let zeros = 0;
  for (let i = 0; i < size; i++) {
    const t = types[(k - i + REG_SIZE) % REG_SIZE];
    if (t === SlotType.Zero) zeros++;
    else if (t !== SlotType.Misc && t !== SlotType.Invalid) throw new OutOfModel('a dynptr, iterator or irq flag slot read directly');
  }
  return zeros === size ? scalarReg(scalarConst(0n)) : unknown();
}
