// A tc program that rewrites an IPv4 packet's destination address and UDP/TCP port with the skb helpers, as
// the test sets them in globals: bpf_csum_diff of the address, bpf_l4_csum_replace (pseudo header; UDP's
// zero checksum kept with BPF_F_MARK_MANGLED_0) and bpf_l3_csum_replace by that diff, bpf_skb_store_bytes
// of the new address and port, then bpf_skb_pull_data, _change_tail and _change_head to the lengths asked,
// a marker written before the new data_end, and optionally bpf_redirect. Each helper's result lands in a
// global; skb->len and data_end - data as the program sees them at the end too.
#include "bpfkit.h"
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>

__u32 new_daddr;   /* network order */
__u16 new_dport;   /* network order */
__u64 l4_flags;    /* added to the l4 updates' flags */
__u32 pull_len;
__u32 tail_len;
__u32 head_room;
__u32 redirect_ifindex;
__u64 redirect_flags;

long rc_l4_addr, rc_l4_port, rc_l3, rc_store_addr, rc_store_port, rc_pull, rc_tail, rc_head;
__u32 addr_diff;
__u32 seen_len;
__u32 seen_linear;

/* Keeps clang from reusing ctx + offset across a helper call: the verifier refuses a moved ctx pointer. */
#define fresh(ctx) asm volatile("" : "+r"(ctx))

SEC("tc")
int tc_rewrite(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	__u32 l4_off = sizeof(*eth) + sizeof(*ip);
	__u32 csum_off, port_off, old_daddr;
	__u16 old_dport;
	__u64 csum_flags;
	__u8 *p;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5)
		return TC_ACT_UNSPEC;
	if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *udp = (void *)(ip + 1);

		if ((void *)(udp + 1) > data_end)
			return TC_ACT_UNSPEC;
		old_dport = udp->dest;
		csum_off = l4_off + offsetof(struct udphdr, check);
		port_off = l4_off + offsetof(struct udphdr, dest);
		csum_flags = BPF_F_MARK_MANGLED_0;
	} else if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = (void *)(ip + 1);

		if ((void *)(tcp + 1) > data_end)
			return TC_ACT_UNSPEC;
		old_dport = tcp->dest;
		csum_off = l4_off + offsetof(struct tcphdr, check);
		port_off = l4_off + offsetof(struct tcphdr, dest);
		csum_flags = 0;
	} else {
		return TC_ACT_UNSPEC;
	}
	old_daddr = ip->daddr;
	csum_flags |= l4_flags;

	addr_diff = bpf_csum_diff(&old_daddr, 4, &new_daddr, 4, 0);
	rc_l4_addr = bpf_l4_csum_replace(skb, csum_off, old_daddr, new_daddr, csum_flags | BPF_F_PSEUDO_HDR | 4);
	rc_l3 = bpf_l3_csum_replace(skb, sizeof(*eth) + offsetof(struct iphdr, check), 0, addr_diff, 0);
	rc_store_addr = bpf_skb_store_bytes(skb, sizeof(*eth) + offsetof(struct iphdr, daddr), &new_daddr, 4, 0);
	rc_l4_port = bpf_l4_csum_replace(skb, csum_off, old_dport, new_dport, csum_flags | 2);
	rc_store_port = bpf_skb_store_bytes(skb, port_off, &new_dport, 2, BPF_F_INVALIDATE_HASH);

	rc_pull = bpf_skb_pull_data(skb, pull_len);
	if (tail_len)
		rc_tail = bpf_skb_change_tail(skb, tail_len, 0);
	if (head_room)
		rc_head = bpf_skb_change_head(skb, head_room, 0);

	fresh(skb);
	seen_len = skb->len;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	seen_linear = data_end - data;
	/* A moved packet's last two bytes, as they are now: marked. */
	p = data + ((seen_linear - 2) & 0x3fff);
	if ((tail_len || head_room) && (void *)(p + 2) <= data_end)
		*(__u16 *)p = 0xeeee;
	if (redirect_ifindex)
		return bpf_redirect(redirect_ifindex, redirect_flags);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
