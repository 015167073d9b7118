// Calls after which packet pointers are stale (kernel/bpf/verifier.c clear_all_pkt_pointers): a helper that
// may move or resize the packet (net/core/filter.c bpf_helper_changes_pkt_data), or a global function that
// may call one (check_cfg marks the subprogram changes_pkt_data, callers inherit it: merge_callee_effects).
import { helperIdByName } from '../../../uapi/helpers.js';
import { RegType } from '../reg-state.js';
import { isPktPointer, unknown } from './regs.js';
import { forEachReg, type VerifierState } from './state.js';

/** bpf_helper_changes_pkt_data. */
export const changesPktData: ReadonlySet<number> = new Set(
  ['clone_redirect', 'l3_csum_replace', 'l4_csum_replace', 'lwt_push_encap', 'lwt_seg6_action', 'lwt_seg6_adjust_srh',
    'lwt_seg6_store_bytes', 'msg_pop_data', 'msg_pull_data', 'msg_push_data', 'skb_adjust_room', 'skb_change_head',
    'skb_change_proto', 'skb_change_tail', 'skb_pull_data', 'skb_store_bytes', 'skb_vlan_pop', 'skb_vlan_push',
    'store_hdr_opt', 'xdp_adjust_head', 'xdp_adjust_meta', 'xdp_adjust_tail',
    // "tail-called program could call any of the above" (6.12's tree has it, as 6.13 onwards)
    'tail_call'].map(helperIdByName),
);

/**
 * clear_all_pkt_pointers: every packet pointer of every frame, in a register or spilled, becomes an unknown
 * scalar (mark_reg_invalid, as root).
 */
export function clearPktPointers(s: VerifierState): void {
  forEachReg(s, (r) => (isPktPointer(r) || r.type === RegType.PacketEnd ? unknown() : r));
}
