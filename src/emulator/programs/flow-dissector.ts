// BPF_PROG_TEST_RUN of a flow dissector (net/bpf/test_run.c bpf_prog_test_run_flow_dissector): the packet from
// its Ethernet header on, read-only, and a struct bpf_flow_keys the program fills. Each run starts as
// net/core/flow_dissector.c bpf_flow_dissect starts it (keys zeroed, n_proto the EtherType, nhoff and thoff
// past the Ethernet header, the ctx_in's flags) and ends with its clamps; data_out is the flow keys.
import { EINVAL } from '../../uapi/errno.js';
import { ETH_HLEN } from '../../uapi/net.js';
import { BpfFlowKeys, SkBuff } from '../checker/ctx/layouts.js';
import { fixedBytes, regionTag, type Memory, type VirtualRegion } from './memory.js';
import { ctxFault } from './ctx-load.js';
import type { PreparedContext, TestRunInput } from './run-input.js';
import { ctxInit } from './ctx-init.js';

const BPF_FLOW_KEYS_SIZE = BpfFlowKeys.size;
const Keys = { nhoff: BpfFlowKeys.nhoff.off, thoff: BpfFlowKeys.thoff.off, n_proto: BpfFlowKeys.n_proto.off, flags: BpfFlowKeys.flags.off } as const;
/** PAGE_SIZE: bpf_test_init(kattr, size, size, 0, 0) takes at most a page, no head- or tailroom. */
const MAX_DATA = 4096;
const U16_MAX = 0xffff;
/**
 * Bytes before the packet in its region. An emulated pointer's low word is its offset in its region, and a
 * kernel pointer's low word is never 0: clang tests a u32-loaded skb->data for NULL on its low word alone
 * (the kernel's bpf_flow.c does, through bpf_flow_dissect_get_header), so the packet must not start at 0.
 */
const HEADROOM = 64;

export function flowDissectorContext(input: TestRunInput, memory: Memory): PreparedContext | number {
  const data = input.data;
  if (!data || data.length < ETH_HLEN || data.length > MAX_DATA) return EINVAL;
  // bpf_ctx_init, then verify_user_bpf_flow_keys: nothing but flags may be set (EINVAL).
  let flags = 0;
  const userKeys = ctxInit(input.ctx, input.ctxOut, BPF_FLOW_KEYS_SIZE);
  if (typeof userKeys === 'number') return userKeys;
  if (userKeys) {
    if (userKeys.some((b, i) => b !== 0 && (i < Keys.flags || i >= Keys.flags + 4))) return EINVAL;
    flags = new DataView(userKeys.buffer).getUint32(Keys.flags, true);
  }
  const frame = new Uint8Array(HEADROOM + data.length);
  frame.set(data, HEADROOM);
  const packet = frame.subarray(HEADROOM);
  const keys = new Uint8Array(BPF_FLOW_KEYS_SIZE);
  const view = new DataView(keys.buffer);
  const framePtr = memory.addRegion(fixedBytes('packet', frame, false), 'run');
  const packetPtr = framePtr + BigInt(HEADROOM);
  const keysPtr = memory.addRegion(fixedBytes('flow_keys', keys), 'run');
  const endPtr = packetPtr + BigInt(packet.length);
  const packetTag = regionTag(framePtr);
  const keysTag = regionTag(keysPtr);
  // flow_dissector_is_valid_access: data and data_end (u32 loads) and flow_keys (the u64 pointer), read only.
  const region: VirtualRegion = {
    name: 'ctx (struct __sk_buff of a flow dissector)',
    size: SkBuff.size,
    load(off, size) {
      if (off === SkBuff.data.off && size === 4) return packetPtr;
      if (off === SkBuff.data_end.off && size === 4) return endPtr;
      if (off === SkBuff.flow_keys.off && size === 8) return keysPtr;
      return ctxFault(off);
    },
    store(off) {
      ctxFault(off, 'written');
    },
    tagAt: (off, size) =>
      (size === 4 && (off === SkBuff.data.off || off === SkBuff.data_end.off) ? packetTag : size === 8 && off === SkBuff.flow_keys.off ? keysTag : 0),
  };
  const r1 = memory.addRegion(region, 'run');
  // The EtherType as the kernel holds it (__be16), read on this little-endian host.
  const proto = packet[12]! | (packet[13]! << 8);
  const hlen = Math.min(packet.length, U16_MAX);
  const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);
  return {
    r1,
    flowPacket: packet,
    beforeRun() {
      keys.fill(0);
      view.setUint16(Keys.n_proto, proto, true);
      view.setUint16(Keys.nhoff, ETH_HLEN, true);
      view.setUint16(Keys.thoff, ETH_HLEN, true);
      view.setUint32(Keys.flags, flags, true);
    },
    afterRun() {
      // clamp_t(u16, ...): nhoff within [ETH_HLEN, hlen], thoff within [nhoff, hlen].
      const nhoff = clamp(view.getUint16(Keys.nhoff, true), ETH_HLEN, hlen);
      view.setUint16(Keys.nhoff, nhoff, true);
      view.setUint16(Keys.thoff, clamp(view.getUint16(Keys.thoff, true), nhoff, hlen), true);
    },
    // bpf_test_finish(..., &flow_keys, ...): the keys are data_out; bpf_ctx_finish gives the user's keys back.
    dataOut: () => keys,
    ctxOut: () => userKeys,
  };
}
