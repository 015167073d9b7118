// The packet helpers (net/core/filter.c) on a test run's packet (packet.ts): the ones that move or resize
// it, rewrite it, and bpf_redirect. helpers.ts callHelper delegates every id listed here.
import { errnoByCode } from '../../uapi/errno.js';
import { ETH_HLEN } from '../../uapi/net.js';
import { helperIdByName } from '../../uapi/helpers.js';
import type { Vm } from './interpreter.js';
import { ProgramFault } from './memory.js';
import { XDP_FRAME_SIZE, XdpFrame, type RunPacket } from './packet.js';

/**
 * net/core/filter.c bpf_helper_changes_pkt_data: the helpers after which packet pointers are stale
 * (the verifier clears them, kernel/bpf/verifier.c clear_all_pkt_pointers; compiled code drops the
 * inline caches it holds of the packet's region).
 */
export const changesPktData: ReadonlySet<number> = new Set(
  ['clone_redirect', 'l3_csum_replace', 'l4_csum_replace', 'lwt_push_encap', 'lwt_seg6_action', 'lwt_seg6_adjust_srh',
    'lwt_seg6_store_bytes', 'msg_pop_data', 'msg_pull_data', 'msg_push_data', 'skb_adjust_room', 'skb_change_head',
    'skb_change_proto', 'skb_change_tail', 'skb_pull_data', 'skb_store_bytes', 'skb_vlan_pop', 'skb_vlan_push',
    'store_hdr_opt', 'xdp_adjust_head', 'xdp_adjust_meta', 'xdp_adjust_tail',
    // "tail-called program could call any of the above" (6.12's tree has it, as 6.13 onwards)
    'tail_call'].map(helperIdByName),
);

const id = (name: string): number => helperIdByName(name);
export const PacketHelperId = {
  Redirect: id('redirect'), XdpAdjustHead: id('xdp_adjust_head'), XdpAdjustMeta: id('xdp_adjust_meta'),
  XdpAdjustTail: id('xdp_adjust_tail'), XdpGetBuffLen: id('xdp_get_buff_len'),
} as const;

/** How many of r1..r5 each packet helper reads (its BPF_CALL_n): helpers.ts helperArity takes them. */
export const packetHelperArity: Readonly<Record<number, number>> = {
  [PacketHelperId.Redirect]: 2, [PacketHelperId.XdpAdjustHead]: 2, [PacketHelperId.XdpAdjustMeta]: 2,
  [PacketHelperId.XdpAdjustTail]: 2, [PacketHelperId.XdpGetBuffLen]: 1,
};

const u64 = (n: number): bigint => BigInt.asUintN(64, BigInt(n));
const EINVAL = u64(-errnoByCode.EINVAL);
const EACCES = u64(-errnoByCode.EACCES);
/** enum xdp_action and the tc actions (include/uapi/linux/bpf.h, pkt_cls.h) bpf_redirect returns. */
const XDP_ABORTED = 0n;
const XDP_REDIRECT = 4n;

/** What the packet helpers need of the run: its packet and the kernel's limits for metadata. */
export interface PacketRun {
  packet?: RunPacket;
  /** kernel-version.ts xdpMetaMax for the emulated kernel. */
  xdpMetaMax: number;
}

/** An `int` argument (BPF_CALL_n's int: the register's low 32 bits, signed). */
const int = (r: bigint): number => Number(BigInt.asIntN(32, r));

/** Runs packet helper `helper` (one of packetHelperArity's). */
export function callPacketHelper(helper: number, vm: Vm, run: PacketRun): bigint {
  const r = vm.regs;
  switch (helper) {
    case PacketHelperId.XdpAdjustHead:
      return xdpAdjustHead(xdpOf(run, helper), int(r[2]!));
    case PacketHelperId.XdpAdjustTail:
      return xdpAdjustTail(xdpOf(run, helper), int(r[2]!));
    case PacketHelperId.XdpAdjustMeta:
      return xdpAdjustMeta(xdpOf(run, helper), int(r[2]!), run.xdpMetaMax);
    case PacketHelperId.XdpGetBuffLen: {
      // xdp_get_buff_len: the linear part (test_run's frames here have no fragments).
      const xdp = xdpOf(run, helper);
      return BigInt(xdp.end - xdp.data);
    }
    case PacketHelperId.Redirect:
      // bpf_xdp_redirect: any flag aborts; the target is recorded for xdp_do_redirect, which a test run
      // (not live) never calls, so only the verdict shows.
      if (run.packet instanceof XdpFrame) return r[2] === 0n ? XDP_REDIRECT : XDP_ABORTED;
      throw new ProgramFault('bpf_redirect needs an XDP or skb packet');
    default:
      throw new ProgramFault(`helper #${helper} is not a packet helper`);
  }
}

function xdpOf(run: PacketRun, helper: number): XdpFrame {
  if (run.packet instanceof XdpFrame) return run.packet;
  throw new ProgramFault(`helper #${helper} needs an XDP frame`);
}

// net/core/filter.c bpf_xdp_adjust_head: data moves by offset, staying after the xdp_frame kept at the
// page's start and the metadata (which moves with it, memmove), and leaving an Ethernet header before
// data_end.
function xdpAdjustHead(xdp: XdpFrame, offset: number): bigint {
  const metalen = xdp.data - xdp.meta;
  const data = xdp.data + offset;
  if (data < XDP_FRAME_SIZE + metalen || data > xdp.end - ETH_HLEN) return EINVAL;
  if (metalen > 0) xdp.page.copyWithin(xdp.meta + offset, xdp.meta, xdp.data);
  xdp.meta += offset;
  xdp.data = data;
  xdp.moved();
  return 0n;
}

// bpf_xdp_adjust_tail on a linear frame: data_end up to xdp_data_hard_end (the page less the shared info)
// and down to an Ethernet header after data; grown room is zeroed.
function xdpAdjustTail(xdp: XdpFrame, offset: number): bigint {
  const end = xdp.end + offset;
  if (end > xdp.hardEnd || end < xdp.data + ETH_HLEN) return EINVAL;
  if (offset > 0) xdp.page.fill(0, xdp.end, end);
  xdp.end = end;
  xdp.moved();
  return 0n;
}

// bpf_xdp_adjust_meta: data_meta between the xdp_frame's end and data (EINVAL), the metadata a multiple of
// 4 of at most xdpMetaMax bytes (xdp_metalen_invalid: EACCES). The bytes are left as they are.
function xdpAdjustMeta(xdp: XdpFrame, offset: number, metaMax: number): bigint {
  const meta = xdp.meta + offset;
  const metalen = xdp.data - meta;
  if (meta < XDP_FRAME_SIZE || meta > xdp.data) return EINVAL;
  if (xdpMetalenInvalid(metalen, metaMax)) return EACCES;
  xdp.meta = meta;
  xdp.moved();
  return 0n;
}

/** include/net/xdp.h xdp_metalen_invalid. */
export function xdpMetalenInvalid(metalen: number, metaMax: number): boolean {
  return (metalen & 3) !== 0 || metalen > metaMax;
}
