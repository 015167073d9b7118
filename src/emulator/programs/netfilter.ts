// BPF_PROG_TEST_RUN of a netfilter program (net/bpf/test_run.c bpf_prog_test_run_nf, Linux 6.4+): the packet
// as an skb (from its Ethernet header at every hook but local-out, where it starts at the IP header), the
// hook state from a struct nf_hook_state ctx_in (hook and protocol family only), and the program's struct
// bpf_nf_ctx pointing at both. Only the verdict comes back: no packet out (its size 0) and no ctx out.
// The emulator models the hook state the program reads; struct sk_buff is the kernel's own, which it
// does not have: ctx->skb is an address the program may test, and a read through it faults.
import { EINVAL, EPROTO } from '../../uapi/errno.js';
import { ETH_HLEN, EthType, IPV4_HLEN, IPV6_HLEN } from '../../uapi/net.js';
import { BpfNfCtx } from '../checker/ctx/layouts.js';
import { ctxInit } from './ctx-init.js';
import { fixedBytes, regionTag, type Memory, type VirtualRegion } from './memory.js';
import { ctxFault } from './ctx-load.js';
import { SKB_MAX_DATA } from './packet.js';
import type { PreparedContext, TestRunInput } from './run-input.js';

/** struct nf_hook_state (include/linux/netfilter.h; 48 bytes in this machine's vmlinux BTF). */
const NfHookState = { size: 48, hook: 0, pf: 1, in: 8, out: 16, sk: 24, net: 32, okfn: 40 } as const;
/** include/uapi/linux/netfilter.h: the protocol families a run takes, and the hook it defaults to. */
const NFPROTO_IPV4 = 2;
const NFPROTO_IPV6 = 10;
const NF_INET_LOCAL_OUT = 3;

export function netfilterContext(input: TestRunInput, memory: Memory): PreparedContext | number {
  const data = input.data;
  // At least an IP header; bpf_test_init then wants an Ethernet header's worth and at most the skb's page.
  if (!data || data.length < IPV4_HLEN || data.length > SKB_MAX_DATA) return EINVAL;
  const user = ctxInit(input.ctx, input.ctxOut, NfHookState.size);
  if (typeof user === 'number') return user;
  let hook = NF_INET_LOCAL_OUT;
  let pf = NFPROTO_IPV4;
  // verify_and_copy_hook_state sets the devices by the hook before it copies the user's: the default
  // local-out's, so a ctx_in always gives `out` the loopback device and never `in`.
  let hasOut = false;
  if (user) {
    const view = new DataView(user.buffer);
    for (const off of [NfHookState.in, NfHookState.out, NfHookState.sk, NfHookState.net, NfHookState.okfn]) {
      if (view.getBigUint64(off, true) !== 0n) return EINVAL;
    }
    pf = user[NfHookState.pf]!;
    if (pf !== NFPROTO_IPV4 && pf !== NFPROTO_IPV6) return EINVAL;
    hook = user[NfHookState.hook]!;
    hasOut = true;
  }
  if (hook !== NF_INET_LOCAL_OUT) {
    // eth_type_trans: the EtherType must be the family's.
    if (data.length < ETH_HLEN + IPV4_HLEN) return EINVAL;
    const etherType = (data[12]! << 8) | data[13]!;
    if (etherType === EthType.Ipv4) {
      if (pf !== NFPROTO_IPV4) return EINVAL;
    } else if (etherType === EthType.Ipv6) {
      if (data.length < ETH_HLEN + IPV6_HLEN || pf !== NFPROTO_IPV6) return EINVAL;
    } else {
      return EPROTO;
    }
  }
  const state = new Uint8Array(NfHookState.size);
  state[NfHookState.hook] = hook;
  state[NfHookState.pf] = pf;
  const stateView = new DataView(state.buffer);
  if (hasOut) stateView.setBigUint64(NfHookState.out, memory.addRegion({ name: 'the loopback net_device (not emulated)', size: 0, handle: 'lo' }, 'run'), true);
  const statePtr = memory.addRegion(fixedBytes('struct nf_hook_state', state, false), 'run');
  const skbPtr = memory.addRegion({ name: 'struct sk_buff (not emulated)', size: 0, handle: data }, 'run');
  // nf_is_valid_access: the two pointers, read whole.
  const region: VirtualRegion = {
    name: 'ctx (struct bpf_nf_ctx)',
    size: BpfNfCtx.size,
    load(off, size) {
      if (size === 8 && off === BpfNfCtx.state.off) return statePtr;
      if (size === 8 && off === BpfNfCtx.skb.off) return skbPtr;
      return ctxFault(off);
    },
    store(off) {
      ctxFault(off, 'written');
    },
    tagAt: (off, size) => (size !== 8 ? 0 : off === BpfNfCtx.state.off ? regionTag(statePtr) : off === BpfNfCtx.skb.off ? regionTag(skbPtr) : 0),
  };
  return {
    r1: memory.addRegion(region, 'run'),
    // bpf_test_finish(kattr, uattr, NULL, NULL, 0, ...): a data_out gets nothing, its size 0.
    dataOut: () => new Uint8Array(0),
    ctxOut: () => null,
  };
}
