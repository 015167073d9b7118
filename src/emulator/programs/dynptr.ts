// Dynamic pointers over a test run's packet: the kfuncs bpf_dynptr_from_skb / _from_xdp (net/core/filter.c)
// and bpf_dynptr_slice / _slice_rdwr (kernel/bpf/helpers.c), and the helpers bpf_dynptr_read, _write and
// _data on them. A dynptr is the 16 bytes of struct bpf_dynptr_kern on the program's stack: `data` (here
// the context pointer the program passed, never dereferenced: the run has one packet, packetRun), `size`
// (low 24 bits, the type at bit 28, read-only at bit 31) and `offset`. A ring buffer dynptr's `data` is the
// reservation's pointer (ringbuf-helpers.ts makes and releases them), whose region is the record; local
// dynptrs (bpf_dynptr_from_mem) are not emulated.
import { errnoByCode } from '../../uapi/errno.js';
import type { Vm } from './interpreter.js';
import { ProgramFault, regionTag } from './memory.js';
import { SkbPacket, XdpFrame } from './packet.js';
import { skbStore, type PacketRun } from './packet-helpers.js';

/** enum bpf_dynptr_type. */
export const DynptrType = { Ringbuf: 2, Skb: 3, Xdp: 4 } as const;
const TYPE_SHIFT = 28;
const RDONLY_BIT = 0x8000_0000;
const SIZE_MASK = 0xff_ffff;
/** include/linux/bpf.h DYNPTR_MAX_SIZE: bpf_dynptr_check_size refuses larger (E2BIG). */
export const DYNPTR_MAX_SIZE = SIZE_MASK;
const DYNPTR_SIZE = 16;

const u64 = (n: number): bigint => BigInt.asUintN(64, BigInt(n));
const EINVAL = u64(-errnoByCode.EINVAL);
const EFAULT = u64(-errnoByCode.EFAULT);
const E2BIG = u64(-errnoByCode.E2BIG);
const u32 = (r: bigint): number => Number(r & 0xffffffffn);

export interface Dynptr {
  data: bigint;
  type: number;
  size: number;
  offset: number;
  rdonly: boolean;
}

export function readDynptr(vm: Vm, regno: number): Dynptr {
  const view = new DataView(vm.memory.read(vm.tags[regno]!, vm.regs[regno]!, DYNPTR_SIZE).buffer);
  const size = view.getUint32(8, true);
  return {
    data: view.getBigUint64(0, true), type: (size & ~RDONLY_BIT) >>> TYPE_SHIFT, size: size & SIZE_MASK,
    offset: view.getUint32(12, true), rdonly: (size & RDONLY_BIT) !== 0,
  };
}

export function writeDynptr(vm: Vm, regno: number, p: Dynptr | null): void {
  const bytes = new Uint8Array(DYNPTR_SIZE); // bpf_dynptr_set_null: all zero
  if (p) {
    const view = new DataView(bytes.buffer);
    view.setBigUint64(0, p.data, true);
    view.setUint32(8, (p.size | (p.type << TYPE_SHIFT) | (p.rdonly ? RDONLY_BIT : 0)) >>> 0, true);
    view.setUint32(12, p.offset, true);
  }
  vm.memory.write(vm.tags[regno]!, vm.regs[regno]!, bytes);
}

/** The run's packet, which a dynptr of `type` names. */
function packetOf(run: PacketRun | undefined, type: number): SkbPacket | XdpFrame {
  const packet = run?.packet;
  if (type === DynptrType.Skb && packet instanceof SkbPacket) return packet;
  if (type === DynptrType.Xdp && packet instanceof XdpFrame) return packet;
  throw new ProgramFault(`a dynptr of type ${type} is not emulated here`);
}

/**
 * bpf_dynptr_from_skb(skb, flags, ptr__uninit) / bpf_dynptr_from_xdp(xdp, flags, ptr__uninit): a dynptr over
 * the whole packet (skb->len; xdp_get_buff_len). `rdonly`: the verifier's bpf_dynptr_from_skb_rdonly, for a
 * program type that may not write packets (specialize_kfunc).
 */
export function dynptrFromPacket(vm: Vm, run: PacketRun | undefined, kind: 'skb' | 'xdp', rdonly: boolean): bigint {
  if (vm.regs[2] !== 0n) {
    writeDynptr(vm, 3, null);
    return EINVAL;
  }
  const type = kind === 'skb' ? DynptrType.Skb : DynptrType.Xdp;
  const packet = packetOf(run, type);
  const size = packet instanceof SkbPacket ? packet.len : packet.end - packet.data;
  writeDynptr(vm, 3, { data: vm.regs[1]!, type, size, offset: 0, rdonly });
  return 0n;
}

/** bpf_dynptr_check_off_len. */
const outside = (p: Dynptr, offset: number, len: number): boolean => len > p.size || offset > p.size - len;

/**
 * bpf_dynptr_slice(p, offset, buffer__opt, buffer__szk) and _slice_rdwr: a pointer to the packet's bytes at
 * offset (test runs' packets are linear, so never the buffer), or NULL past the dynptr or the packet.
 */
export function dynptrSlice(vm: Vm, run: PacketRun | undefined, rdwr: boolean): bigint {
  const p = readDynptr(vm, 1);
  const len = u32(vm.regs[4]!);
  const offset = u32(vm.regs[2]!);
  if (p.data === 0n || (rdwr && p.rdonly) || outside(p, offset, len)) return 0n;
  const packet = packetOf(run, p.type);
  const at = p.offset + offset;
  // skb_header_pointer / skb_pointer_if_linear on a linear skb; bpf_xdp_pointer on a frame without fragments.
  if (packet instanceof XdpFrame && (at > 0xffff || len > 0xffff)) return 0n;
  if (at + len > packet.end - packet.data) return 0n;
  vm.r0Tag = packet.hi;
  return packet.dataPtr + BigInt(at);
}

/** bpf_dynptr_read(dst, len, src, offset, flags): __bpf_skb_load_bytes / __bpf_xdp_load_bytes. */
export function dynptrRead(vm: Vm, run: PacketRun | undefined): bigint {
  const r = vm.regs;
  const p = readDynptr(vm, 3);
  const len = u32(r[2]!);
  const offset = u32(r[4]!);
  if (p.data === 0n || r[5] !== 0n) return EINVAL;
  if (outside(p, offset, len)) return E2BIG;
  if (p.type === DynptrType.Ringbuf) {
    // memmove(dst, src->data + src->offset + offset, len): the record's bytes.
    vm.memory.write(vm.tags[1]!, r[1]!, vm.memory.read(regionTag(p.data), p.data + BigInt(p.offset + offset), len));
    return 0n;
  }
  const packet = packetOf(run, p.type);
  const at = p.offset + offset;
  const data = packet instanceof SkbPacket ? packet.bytes() : packet.page.subarray(packet.data, packet.end);
  if (packet instanceof XdpFrame) {
    if (at > 0xffff || len > 0xffff) return EFAULT;
    if (at + len > data.length) return EINVAL;
  } else if (at > 0x7fffffff || at + len > data.length) {
    vm.memory.write(vm.tags[1]!, r[1]!, new Uint8Array(len)); // err_clear
    return EFAULT;
  }
  vm.memory.write(vm.tags[1]!, r[1]!, data.subarray(at, at + len));
  return 0n;
}

/** bpf_dynptr_write(dst, offset, src, len, flags): __bpf_skb_store_bytes / __bpf_xdp_store_bytes. */
export function dynptrWrite(vm: Vm, run: PacketRun | undefined): bigint {
  const r = vm.regs;
  const p = readDynptr(vm, 1);
  const offset = u32(r[2]!);
  const len = u32(r[4]!);
  if (p.data === 0n || p.rdonly) return EINVAL;
  if (outside(p, offset, len)) return E2BIG;
  if (p.type === DynptrType.Ringbuf) {
    // __bpf_dynptr_write: a memory dynptr takes no flags, then memmove into the record.
    if (r[5] !== 0n) return EINVAL;
    vm.memory.write(regionTag(p.data), p.data + BigInt(p.offset + offset), vm.memory.read(vm.tags[3]!, r[3]!, len));
    return 0n;
  }
  const packet = packetOf(run, p.type);
  const at = p.offset + offset;
  const from = (): Uint8Array => vm.memory.read(vm.tags[3]!, r[3]!, len);
  if (packet instanceof SkbPacket) return skbStore(packet, at, from, len, r[5]!);
  if (r[5] !== 0n) return EINVAL;
  if (at > 0xffff || len > 0xffff) return EFAULT;
  if (at + len > packet.end - packet.data) return EINVAL;
  packet.page.set(from(), packet.data + at);
  return 0n;
}

/**
 * bpf_dynptr_data(ptr, offset, len): a pointer into a ring buffer dynptr's record (NULL past it, or read-only);
 * NULL for skb and xdp dynptrs ("should use bpf_dynptr_slice").
 */
export function dynptrData(vm: Vm): bigint {
  const p = readDynptr(vm, 1);
  if (p.data === 0n || p.type === DynptrType.Skb || p.type === DynptrType.Xdp) return 0n;
  if (p.type !== DynptrType.Ringbuf) throw new ProgramFault(`a dynptr of type ${p.type} is not emulated here`);
  const offset = u32(vm.regs[2]!);
  if (outside(p, offset, u32(vm.regs[3]!)) || p.rdonly) return 0n;
  vm.r0Tag = regionTag(p.data);
  return p.data + BigInt(p.offset + offset);
}
