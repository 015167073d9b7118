// What BPF_PROG_TEST_RUN builds for a program and returns from it (net/bpf/test_run.c), per program type:
// the packet and context regions, their checks (the kernel's errnos for bad input), and what goes back.
import { E2BIG, EFAULT, EINVAL, ENODEV, ENOTSUPP } from '../../uapi/errno.js';
import { ETH_HLEN, EthType, IPV4_HLEN, IPV6_HLEN, LOOPBACK_IFINDEX } from '../../uapi/net.js';
import { TestRunFlags, XDP_PACKET_HEADROOM } from '../../uapi/bpf.js';
import { fixedBytes, viewOf, type Memory, type VirtualRegion } from './memory.js';
import { AttachType, KernelProgramType as ProgType } from '../../uapi/program-type.js';
import { flowDissectorContext } from './flow-dissector.js';
import { rawTracepointContext } from './raw-tracepoint.js';
import { skLookupContext } from './sk-lookup.js';
import { netfilterContext } from './netfilter.js';
import { ctxFault, narrowCtxLoad } from './ctx-load.js';
import { skbCtxInDataEnd, xdpMetaMax } from '../kernel-version.js';
import { PAGE_SIZE, SHINFO_SIZE, SKB_MAX_DATA, SkbPacket, XDP_FRAME_SIZE, XdpFrame } from './packet.js';
import { xdpMetalenInvalid } from './packet-helpers.js';

// XDP: XDP_PACKET_HEADROOM before the data; the frame may not exceed a page with the shared info.
const XDP_MAX_DATA = PAGE_SIZE - XDP_PACKET_HEADROOM - SHINFO_SIZE;

export { plainRunInput, type PreparedContext, type TestRunInput } from './run-input.js';
import type { PreparedContext, TestRunInput } from './run-input.js';

type ContextBuilder = (type: number, input: TestRunInput, memory: Memory, kernelVersion: string) => PreparedContext | number;
const skb: ContextBuilder = (type, input, memory, kernelVersion) => skbContext(type, input, memory, kernelVersion);

/** The program types the emulator's test runs build a context for, and how. */
const contextBuilders: ReadonlyMap<number, ContextBuilder> = new Map<number, ContextBuilder>([
  [ProgType.Syscall, (_type, input, memory) => syscallContext(input, memory)],
  [ProgType.SchedCls, skb], [ProgType.SchedAct, skb], [ProgType.CgroupSkb, skb], [ProgType.SocketFilter, skb],
  // net/core/filter.c lwt_{in,out,xmit}_prog_ops run bpf_prog_test_run_skb; lwt_seg6local's have no test_run.
  [ProgType.LwtIn, skb], [ProgType.LwtOut, skb], [ProgType.LwtXmit, skb],
  [ProgType.Xdp, (_type, input, memory, kernelVersion) => xdpContext(input, memory, kernelVersion)],
  [ProgType.FlowDissector, (_type, input, memory) => flowDissectorContext(input, memory)],
  [ProgType.RawTracepoint, (_type, input, memory) => rawTracepointContext(input, memory)],
  [ProgType.SkLookup, (_type, input, memory) => skLookupContext(input, memory)],
  [ProgType.Netfilter, (_type, input, memory) => netfilterContext(input, memory)],
]);

/**
 * The runners that read test.cpu and test.flags themselves: bpf_prog_test_run_xdp (its flags, cpu ignored),
 * bpf_prog_test_run_raw_tp (BPF_F_TEST_RUN_ON_CPU) and bpf_prog_test_run_syscall (flags refused, cpu
 * ignored). The flow dissector, sk_lookup and netfilter runners refuse any cpu or flags (EINVAL); so does
 * the skb runner here, where the kernel's takes BPF_F_TEST_SKB_CHECKSUM_COMPLETE (CHECKSUM_COMPLETE skbs
 * are not emulated).
 */
const ownCpuAndFlags: ReadonlySet<number> = new Set([ProgType.Xdp, ProgType.RawTracepoint, ProgType.Syscall]);

/** The program types BPF_PROG_TEST_RUN runs on the emulator (every other answers ENOTSUPP). */
export const testRunProgramTypes: readonly number[] = [...contextBuilders.keys()];

/** Builds the run's regions in `memory` (as run regions), or returns the kernel's -errno for bad input. */
export function prepareContext(type: number, input: TestRunInput, memory: Memory, kernelVersion: string): PreparedContext | number {
  if (type === ProgType.Tracing) return tracingRun(input);
  const builder = contextBuilders.get(type);
  // A type without a builder: test_run is not implemented for it (as the kernel answers for most others).
  if (!builder) return ENOTSUPP;
  if (!ownCpuAndFlags.has(type) && (input.cpu !== 0 || input.flags !== 0)) return EINVAL;
  return builder(type, input, memory, kernelVersion);
}

/** The attach types whose tracing test run calls the kernel's bpf_fentry_test* / bpf_modify_return_test*. */
const fentryFamily: ReadonlySet<number> = new Set([
  AttachType.TraceFentry, AttachType.TraceFexit, AttachType.ModifyReturn, AttachType.TraceFsession, AttachType.TraceFentryMulti,
  AttachType.TraceFexitMulti, AttachType.TraceFsessionMulti,
]);

/**
 * net/bpf/test_run.c bpf_prog_test_run_tracing never runs the program itself: it refuses cpu and flags
 * (EINVAL), then for fentry, fexit and fmod_ret programs calls the kernel's test functions, which run the
 * programs attached to them; for any other attach type (tp_btf, iter) it answers EFAULT. The emulator
 * attaches nothing to kernel functions, so the former are ENOTSUPP.
 */
function tracingRun(input: TestRunInput): number {
  if (input.cpu !== 0 || input.flags !== 0) return EINVAL;
  return fentryFamily.has(input.attachType) ? ENOTSUPP : EFAULT;
}

// net/bpf/test_run.c bpf_prog_test_run_syscall: no data in or out, no flags (cpu is not looked at), repeat
// refused; ctx_in is the program's argument (at least max_ctx_offset, at most U16_MAX bytes) and is copied
// back to the same buffer after the run.
function syscallContext(input: TestRunInput, memory: Memory): PreparedContext | number {
  if ((input.data && input.data.length > 0) || input.flags !== 0) return EINVAL;
  const ctx = input.ctx ? input.ctx.slice() : null;
  const ctxSize = ctx?.length ?? 0;
  if (ctxSize < input.maxCtxOffset || ctxSize > 0xffff) return EINVAL;
  const r1 = ctx && ctx.length > 0 ? memory.addRegion(fixedBytes('ctx', ctx), 'run') : 0n;
  return { r1, dataOut: () => null, ctxOut: () => ctx };
}

/** A uapi context struct as the emulator knows it: the CO-RE target types (core.ts) and the offsets below. */
export interface CtxStruct {
  size: number;
  members: readonly CtxMember[];
}

/** A member: scalars (`int`: size, signedness), arrays of them, or pointers the emulator does not model. */
export interface CtxMember {
  name: string;
  offset: number;
  size: number;
  kind: 'int' | 'array' | 'ptr';
  signed?: boolean;
  /** Arrays: element size and count. */
  elem?: { size: number; count: number };
}

const u32m = (name: string, offset: number): CtxMember => ({ name, offset, size: 4, kind: 'int' });
const u64m = (name: string, offset: number): CtxMember => ({ name, offset, size: 8, kind: 'int' });
const u32a = (name: string, offset: number, count: number): CtxMember => ({ name, offset, size: 4 * count, kind: 'array', elem: { size: 4, count } });

/**
 * include/uapi/linux/bpf.h, the context structs of the program types the emulator runs. `flow_keys` and
 * `sk` are __bpf_md_ptr unions (anonymous in BTF) over pointers to objects the emulator does not have,
 * so they are left out: CO-RE sees them as missing (bpf_core_field_exists() is 0 on the emulator).
 */
export const ctxStructs: Readonly<Record<string, CtxStruct>> = {
  __sk_buff: {
    size: 192,
    members: [
      u32m('len', 0), u32m('pkt_type', 4), u32m('mark', 8), u32m('queue_mapping', 12), u32m('protocol', 16),
      u32m('vlan_present', 20), u32m('vlan_tci', 24), u32m('vlan_proto', 28), u32m('priority', 32),
      u32m('ingress_ifindex', 36), u32m('ifindex', 40), u32m('tc_index', 44), u32a('cb', 48, 5), u32m('hash', 68),
      u32m('tc_classid', 72), u32m('data', 76), u32m('data_end', 80), u32m('napi_id', 84), u32m('family', 88),
      u32m('remote_ip4', 92), u32m('local_ip4', 96), u32a('remote_ip6', 100, 4), u32a('local_ip6', 116, 4),
      u32m('remote_port', 132), u32m('local_port', 136), u32m('data_meta', 140), u64m('tstamp', 152),
      u32m('wire_len', 160), u32m('gso_segs', 164), u32m('gso_size', 176),
      { name: 'tstamp_type', offset: 180, size: 1, kind: 'int' }, u64m('hwtstamp', 184),
    ],
  },
  xdp_md: {
    size: 24,
    members: [u32m('data', 0), u32m('data_end', 4), u32m('data_meta', 8), u32m('ingress_ifindex', 12), u32m('rx_queue_index', 16), u32m('egress_ifindex', 20)],
  },
};

const offsetsOf = (s: CtxStruct): Record<string, number> & { size: number } =>
  ({ ...Object.fromEntries(s.members.map((m) => [m.name, m.offset])), size: s.size }) as Record<string, number> & { size: number };

// include/uapi/linux/bpf.h struct __sk_buff: field offsets (from ctxStructs, their one home).
const Skb = offsetsOf(ctxStructs.__sk_buff!) as Record<'len' | 'pkt_type' | 'mark' | 'queue_mapping' | 'protocol' | 'vlan_present'
  | 'vlan_tci' | 'vlan_proto' | 'priority' | 'ingress_ifindex' | 'ifindex' | 'tc_index' | 'cb' | 'hash' | 'tc_classid' | 'data'
  | 'data_end' | 'napi_id' | 'family' | 'data_meta' | 'tstamp' | 'wire_len' | 'gso_segs' | 'gso_size' | 'hwtstamp' | 'size', number>;

/** Sizes of the sk_buff members behind __sk_buff fields that are not u32 (net/core/filter.c bpf_convert_ctx_access). */
const skbMemberSize: Record<number, number> = {
  [Skb.pkt_type]: 1, [Skb.queue_mapping]: 2, [Skb.protocol]: 2, [Skb.vlan_tci]: 2, [Skb.vlan_proto]: 2,
  [Skb.tc_index]: 2, [Skb.tc_classid]: 2, [Skb.gso_segs]: 2, [Skb.gso_size]: 2,
};

/** The run's __sk_buff fields, zeroed, in the memory's scratch (Memory.scratch). */
function skbFields(memory: Memory): DataView {
  const buffer = memory.scratch('skb fields', Skb.size); // exactly Skb.size: it is never asked for more
  new Uint8Array(buffer).fill(0);
  return viewOf(buffer);
}

/** The 4-byte __sk_buff fields a program reads from the skb (not the packet pointers, cb[] or the timestamps). */
const skbReadable: ReadonlySet<number> = new Set<number>([Skb.len, Skb.pkt_type, Skb.mark, Skb.queue_mapping, Skb.protocol,
  Skb.vlan_present, Skb.vlan_tci, Skb.vlan_proto, Skb.priority, Skb.ingress_ifindex, Skb.ifindex, Skb.tc_index, Skb.hash,
  Skb.tc_classid, Skb.napi_id, Skb.wire_len, Skb.gso_segs, Skb.gso_size]);

/**
 * __sk_buff for tc (sched_cls/act), cgroup_skb, socket filters and lightweight tunnels (lwt_in/out/xmit).
 * test_run builds an skb on the loopback device: eth_type_trans() sets `protocol` and pulls the Ethernet
 * header; tc programs (is_l2) see the packet from the Ethernet header, the others from the network header.
 * `data`/`data_end` loads are rewritten by the verifier into packet pointers (convert_ctx_accesses), which
 * is what the region returns.
 */
function skbContext(type: number, input: TestRunInput, memory: Memory, kernelVersion: string): PreparedContext | number {
  const data = input.data;
  if (!data || data.length < ETH_HLEN || data.length > SKB_MAX_DATA) return EINVAL;
  const isL2 = type === ProgType.SchedCls || type === ProgType.SchedAct;
  // bpf_prog_test_run_skb: an IPv4 / IPv6 frame too short for its network header (20 / 40 bytes after
  // the Ethernet header) is refused (EINVAL), as measured on 6.18.
  const etherType = (data[12]! << 8) | data[13]!;
  if ((etherType === EthType.Ipv4 && data.length < ETH_HLEN + IPV4_HLEN) || (etherType === EthType.Ipv6 && data.length < ETH_HLEN + IPV6_HLEN)) return EINVAL;
  const packet = data; // SkbPacket copies it into its buffer
  const fields = skbFields(memory);
  if (input.ctx) {
    // convert___skb_to_skb: a ctx_in may set mark, priority, ingress_ifindex, ifindex, cb, tstamp, wire_len,
    // gso_segs, gso_size, hwtstamp, and (as the version allows) hold data_end, which is not used; every
    // other byte must be zero (EINVAL).
    const ctx = input.ctx;
    if (ctx.length > Skb.size) return EINVAL;
    const writable: (readonly [number, number])[] = [[Skb.mark, 4], [Skb.priority, 4], [Skb.ingress_ifindex, 4], [Skb.ifindex, 4], [Skb.cb, 20], [Skb.tstamp, 8],
      [Skb.wire_len, 4], [Skb.gso_segs, 4], [Skb.gso_size, 4], [Skb.hwtstamp, 8]];
    if (skbCtxInDataEnd(kernelVersion)) writable.push([Skb.data_end, 4]);
    for (let i = 0; i < ctx.length; i++) {
      if (ctx[i] !== 0 && !writable.some(([off, n]) => i >= off && i < off + n)) return EINVAL;
    }
    new Uint8Array(fields.buffer).set(ctx);
  }
  const skb = new SkbPacket(memory, packet, isL2, ethTypeTrans(packet), pktType(packet));
  // skb_shinfo(skb)->gso_size and gso_segs are u16s (convert___skb_to_skb).
  const gsoSizeIn = fields.getUint32(Skb.gso_size, true);
  skb.gsoSize = gsoSizeIn & 0xffff;
  skb.gsoSegs = fields.getUint32(Skb.gso_segs, true) & 0xffff;
  // What the packet helpers change (skb->len, skb->protocol, the GSO fields bpf_skb_change_tail resets, the
  // VLAN tag, pkt_type, the hash), as they left it.
  const syncFields = (): void => {
    fields.setUint32(Skb.len, skb.len, true);
    fields.setUint32(Skb.protocol, skb.protocol, true);
    fields.setUint32(Skb.gso_size, skb.gsoSize, true);
    fields.setUint32(Skb.gso_segs, skb.gsoSegs, true);
    fields.setUint32(Skb.pkt_type, skb.pktType, true);
    fields.setUint32(Skb.vlan_present, skb.vlanPresent ? 1 : 0, true);
    fields.setUint32(Skb.vlan_tci, skb.vlanTci, true);
    fields.setUint32(Skb.vlan_proto, skb.vlanProto, true);
    fields.setUint32(Skb.hash, skb.hash, true);
  };
  syncFields();
  if (fields.getUint32(Skb.ifindex, true) === 0) fields.setUint32(Skb.ifindex, LOOPBACK_IFINDEX, true);
  // convert___skb_to_skb (only with a ctx_in): qdisc_skb_cb(skb)->pkt_len = wire_len ?: skb->len, skb->len
  // as the program starts with it (past the Ethernet header but for tc). Without a ctx_in nothing sets it
  // and wire_len reads 0; gso_segs is ctx_in's (0 by default), never defaulted.
  if (input.ctx) fields.setUint32(Skb.wire_len, fields.getUint32(Skb.wire_len, true) || skb.len, true);
  const packetTag = skb.hi;
  const readable = skbReadable;
  const region: VirtualRegion = {
    name: 'ctx (struct __sk_buff)',
    size: Skb.size,
    load(off, size) {
      if (off === Skb.data || off === Skb.data_meta) return size === 4 ? skb.dataPtr : ctxFault(off);
      if (off === Skb.data_end) return size === 4 ? skb.endPtr : ctxFault(off);
      syncFields();
      // net/core/filter.c bpf_skb_is_valid_access: cb[0..4] in any size, naturally aligned (off % size).
      if (inCb(off, size)) return readLe(fields, off, size);
      if (size < 4 && off % size === 0 && readable.has(off & ~3)) {
        // bpf_ctx_narrow_access_ok: a 1- or 2-byte load of any naturally aligned part of the 4-byte field,
        // of the sk_buff member behind it.
        const base = off & ~3;
        return narrowCtxLoad(readLe(fields, base, 4), skbMemberSize[base] ?? 4, off - base, size);
      }
      if (readable.has(off) && size <= 4) return readLe(fields, off, size);
      if ((off === Skb.tstamp || off === Skb.hwtstamp) && size === 8) return fields.getBigUint64(off, true);
      return ctxFault(off);
    },
    store(off, size, value, register) {
      // verifier.c sk_skb/tc_cls_act_is_valid_access: tc may write mark, priority, tc_index, cb[],
      // tc_classid, queue_mapping, tstamp; the others only cb[] (and mark/priority for cgroup_skb).
      const tcOnly = off === Skb.tc_index || off === Skb.tc_classid || off === Skb.queue_mapping;
      const ok = inCb(off, size) || off === Skb.mark || off === Skb.priority || (isL2 && tcOnly);
      // net/core/filter.c bpf_convert_ctx_access: skb->tc_index and qdisc_skb_cb->tc_classid are u16
      // (a half-word store); queue_mapping too, and the store is skipped when the whole source register
      // is >= NO_QUEUE_MAPPING (0xffff, a 64-bit JGE).
      if (ok && (off === Skb.tc_index || off === Skb.tc_classid)) fields.setUint32(off, Number(value & 0xffffn), true);
      else if (ok && off === Skb.queue_mapping) {
        if (register < 0xffffn) fields.setUint32(off, Number(register), true);
      } else if (ok && (size <= 4 || inCb(off, size))) writeLe(fields, off, size, value);
      else if (off === Skb.tstamp && size === 8 && isL2) fields.setBigUint64(off, value, true);
      else ctxFault(off, 'written');
    },
    // The packet pointers, as load() gives them (4-byte loads of data, data_meta, data_end), without BigInts.
    loadWords(off, size, hi) {
      if (size !== 4) return undefined;
      if (off === Skb.data || off === Skb.data_meta) return skb.dataWords(hi);
      return off === Skb.data_end ? skb.endWords(hi) : undefined;
    },
    // The packet pointers point into the packet (verifier.c convert_ctx_accesses makes them PTR_TO_PACKET*).
    tagAt: (off, size) => (size === 4 && (off === Skb.data || off === Skb.data_meta || off === Skb.data_end) ? packetTag : 0),
  };
  const r1 = memory.addRegion(region, 'run');
  return {
    r1,
    packet: skb,
    dataOut: () => skb.dataOut(),
    ctxOut: () => {
      if (!input.ctx) return null;
      syncFields();
      // convert_skb_to___skb writes the fields a ctx_in may set into the ctx_in's own buffer (data_end and
      // gso_size stay as given); every other byte was zero.
      const out = new Uint8Array(Skb.size);
      const view = new DataView(out.buffer);
      for (const off of [Skb.mark, Skb.priority, Skb.ingress_ifindex, Skb.ifindex, Skb.data_end, Skb.wire_len, Skb.gso_segs]) {
        view.setUint32(off, fields.getUint32(off, true), true);
      }
      view.setUint32(Skb.gso_size, gsoSizeIn, true);
      out.set(new Uint8Array(fields.buffer, Skb.cb, 20), Skb.cb);
      view.setBigUint64(Skb.tstamp, fields.getBigUint64(Skb.tstamp, true), true);
      view.setBigUint64(Skb.hwtstamp, fields.getBigUint64(Skb.hwtstamp, true), true);
      return out;
    },
  };
}

// include/uapi/linux/bpf.h struct xdp_md.
const Xdp = offsetsOf(ctxStructs.xdp_md!) as Record<'data' | 'data_end' | 'data_meta' | 'ingress_ifindex' | 'rx_queue_index' | 'egress_ifindex' | 'size', number>;

/** What an xdp_md ctx_in asks (net/bpf/test_run.c bpf_prog_test_run_xdp, xdp_convert_md_to_buff). */
interface XdpCtxIn {
  /** Bytes of metadata the input starts with (ctx->data). */
  meta: number;
  /** The input bytes in the linear area, metadata included (ctx->data_end). */
  linear: number;
  ingressIfindex: number;
}

/**
 * bpf_prog_test_run_xdp's checks of a ctx_in: data_meta must be 0 (nothing before the metadata), data <=
 * data_end <= the input's size, metadata valid (xdp_metalen_invalid: a multiple of 4 of at most
 * kernel-version.ts xdpMetaMax bytes) and leaving room for the xdp_frame in the headroom,
 * egress_ifindex 0, and an rx queue only with a device: the loopback device (ifindex 1) has one queue.
 * Another device is one the emulator does not have (ENODEV); a linear area shorter than the input puts
 * the rest in fragments, which the emulator does not build (ENOTSUPP).
 */
function xdpCtxIn(ctx: Uint8Array | null, dataLength: number, live: boolean, kernelVersion: string): XdpCtxIn | number {
  if (!ctx) return { meta: 0, linear: dataLength, ingressIfindex: 0 };
  // bpf_ctx_init: bytes past the struct must be zero (bpf_check_uarg_tail_zero), and are ignored.
  if (ctx.length > Xdp.size && ctx.subarray(Xdp.size).some((b) => b !== 0)) return E2BIG;
  // Live frames take no data_out or ctx_out with a ctx_in, and this library always asks for both.
  if (live) return EINVAL;
  const f = new DataView(new ArrayBuffer(Xdp.size));
  new Uint8Array(f.buffer).set(ctx.subarray(0, Xdp.size));
  const u32 = (off: number) => f.getUint32(off, true);
  const meta = u32(Xdp.data);
  const linear = u32(Xdp.data_end);
  if (u32(Xdp.data_meta) !== 0 || linear > dataLength || meta > linear) return EINVAL;
  if (xdpMetalenInvalid(meta, xdpMetaMax(kernelVersion)) || meta > XDP_PACKET_HEADROOM - XDP_FRAME_SIZE) return EINVAL;
  if (dataLength - meta < ETH_HLEN) return EINVAL;
  if (u32(Xdp.egress_ifindex) !== 0) return EINVAL;
  const ingressIfindex = u32(Xdp.ingress_ifindex);
  const rxQueue = u32(Xdp.rx_queue_index);
  if (ingressIfindex === 0 && rxQueue !== 0) return EINVAL;
  if (ingressIfindex !== 0 && ingressIfindex !== LOOPBACK_IFINDEX) return ENODEV;
  if (rxQueue !== 0) return EINVAL; // beyond the loopback device's one queue
  if (linear < dataLength) return ENOTSUPP;
  return { meta, linear, ingressIfindex };
}

// net/bpf/test_run.c bpf_prog_test_run_xdp: one page (frame_sz PAGE_SIZE, xdp_init_buff) with the input at
// XDP_PACKET_HEADROOM less the ctx_in's metadata (xdp_prepare_buff, then xdp_convert_md_to_buff moves data
// past the metadata), the loopback device's first rx queue. The helpers move data_meta, data and data_end
// (packet-helpers.ts); data_out is the frame from data_meta to data_end as they are after the last run,
// and a ctx_out gives data and data_end back relative to data_meta (xdp_convert_buff_to_md).
/** The zeroed page a test run's XDP frame lives in (bpf_test_init's zeroed allocation), in the memory's scratch. */
function xdpPage(memory: Memory): Uint8Array {
  return new Uint8Array(memory.scratch('xdp page', PAGE_SIZE), 0, PAGE_SIZE).fill(0);
}

function xdpContext(input: TestRunInput, memory: Memory, kernelVersion: string): PreparedContext | number {
  const flags = input.flags;
  if ((flags & ~TestRunFlags.XdpLiveFrames) !== 0) return EINVAL;
  const data = input.data;
  const live = (flags & TestRunFlags.XdpLiveFrames) !== 0;
  if (!data || data.length < ETH_HLEN || data.length > XDP_MAX_DATA) return EINVAL;
  const ctxIn = xdpCtxIn(input.ctx, data.length, live, kernelVersion);
  if (typeof ctxIn === 'number') return ctxIn;
  // Live frames go through a page pool and out to the network stack or a device (bpf_test_run_xdp_live),
  // which the emulator does not have.
  if (live) return ENOTSUPP;
  const metaAt = XDP_PACKET_HEADROOM - ctxIn.meta;
  const page = xdpPage(memory);
  page.set(data, metaAt);
  const frame = new XdpFrame(memory, page, metaAt, XDP_PACKET_HEADROOM, metaAt + ctxIn.linear);
  const packetTag = frame.hi;
  const ingress = ctxIn.ingressIfindex || LOOPBACK_IFINDEX;
  const region: VirtualRegion = {
    name: 'ctx (struct xdp_md)',
    size: Xdp.size,
    load(off, size) {
      if (size !== 4) return ctxFault(off);
      if (off === Xdp.data) return frame.dataPtr;
      if (off === Xdp.data_meta) return frame.metaPtr;
      if (off === Xdp.data_end) return frame.endPtr;
      if (off === Xdp.ingress_ifindex) return BigInt(ingress);
      if (off === Xdp.rx_queue_index || off === Xdp.egress_ifindex) return 0n;
      return ctxFault(off);
    },
    store(off) {
      ctxFault(off, 'written');
    },
    // What load() answers, without BigInts (the faults are load()'s).
    loadWords(off, size, hi) {
      if (size !== 4) return undefined;
      if (off === Xdp.data) return frame.dataWords(hi);
      if (off === Xdp.data_meta) return frame.metaWords(hi);
      if (off === Xdp.data_end) return frame.endWords(hi);
      hi[0] = 0;
      if (off === Xdp.ingress_ifindex) return ingress;
      return off === Xdp.rx_queue_index || off === Xdp.egress_ifindex ? 0 : undefined;
    },
    tagAt: (off, size) => (size === 4 && (off === Xdp.data || off === Xdp.data_meta || off === Xdp.data_end) ? packetTag : 0),
  };
  const r1 = memory.addRegion(region, 'run');
  const ctxOut = (): Uint8Array | null => {
    if (!input.ctx) return null;
    const out = new Uint8Array(Xdp.size);
    out.set(input.ctx.subarray(0, Xdp.size));
    const v = new DataView(out.buffer);
    v.setUint32(Xdp.data, frame.data - frame.meta, true);
    v.setUint32(Xdp.data_end, frame.end - frame.meta, true);
    return out;
  };
  return { r1, packet: frame, dataOut: () => frame.bytes(), ctxOut };
}

/**
 * net/ethernet/eth.c eth_type_trans: skb->protocol (big-endian, read as a u32). An EtherType below
 * ETH_P_802_3_MIN (0x0600) is a length: then a 0xFFFF service access point means raw 802.3
 * (ETH_P_802_3 = 0x0001), anything else 802.2 (ETH_P_802_2 = 0x0004).
 */
function ethTypeTrans(packet: Uint8Array): number {
  const proto = (packet[12]! << 8) | packet[13]!;
  if (proto >= 0x0600) return packet[12]! | (packet[13]! << 8);
  const sap = packet.length >= 16 ? (packet[14]! << 8) | packet[15]! : -1;
  return sap === 0xffff ? 0x0100 : 0x0400;
}

/**
 * eth_type_trans: pkt_type from the destination MAC against the loopback device, whose address and
 * broadcast address are all zeros: the device's own address is PACKET_HOST (0), a multicast address
 * (ff:ff:.. included, as it is not the device's broadcast) PACKET_MULTICAST (2), else PACKET_OTHERHOST (3).
 */
function pktType(packet: Uint8Array): number {
  if ((packet[0]! | packet[1]! | packet[2]! | packet[3]! | packet[4]! | packet[5]!) === 0) return 0;
  return packet[0]! & 1 ? 2 : 3;
}

/** Whether [off, off + size) is within __sk_buff's cb[5] and naturally aligned (bpf_skb_is_valid_access). */
function inCb(off: number, size: number): boolean {
  return off >= Skb.cb && off + size <= Skb.cb + 20 && off % size === 0;
}

function readLe(view: DataView, off: number, size: number): bigint {
  if (size === 1) return BigInt(view.getUint8(off));
  if (size === 2) return BigInt(view.getUint16(off, true));
  if (size === 8) return view.getBigUint64(off, true);
  return BigInt(view.getUint32(off, true));
}

function writeLe(view: DataView, off: number, size: number, value: bigint): void {
  if (size === 8) {
    view.setBigUint64(off, BigInt.asUintN(64, value), true);
    return;
  }
  const v = Number(value & 0xffffffffn);
  if (size === 1) view.setUint8(off, v & 0xff);
  else if (size === 2) view.setUint16(off, v & 0xffff, true);
  else view.setUint32(off, v, true);
}
