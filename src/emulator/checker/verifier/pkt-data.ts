// Calls after which packet pointers are stale (kernel/bpf/verifier.c clear_all_pkt_pointers): a helper that
// may move or resize the packet (net/core/filter.c bpf_helper_changes_pkt_data), or a global function that
// may call one (check_cfg marks the subprogram changes_pkt_data, callers inherit it: merge_callee_effects).
import { changesPktData } from '../../programs/packet-helpers.js';
import { RegType } from '../reg-state.js';
import { isPktPointer, unknown } from './regs.js';
import { forEachReg, type VerifierState } from './state.js';

export { changesPktData };

/**
 * clear_all_pkt_pointers: every packet pointer of every frame, in a register or spilled, becomes an unknown
 * scalar (mark_reg_invalid, as root).
 */
export function clearPktPointers(s: VerifierState): void {
  forEachReg(s, (r) => (isPktPointer(r) || r.type === RegType.PacketEnd ? unknown() : r));
}
