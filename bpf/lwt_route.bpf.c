/* Lightweight tunnel programs (BPF_PROG_TYPE_LWT_IN, _OUT, _XMIT, _SEG6LOCAL) run with BPF_PROG_TEST_RUN,
 * which builds them an skb as for cgroup_skb (net/bpf/test_run.c bpf_prog_test_run_skb: the packet from its
 * network header, the Ethernet header given back zeroed). Each program records the __sk_buff fields its type
 * may read (net/core/filter.c lwt_is_valid_access) and the IPv4 header it reads directly, writes mark and
 * cb[0], and keeps TCP (BPF_OK) and drops the rest (BPF_DROP). `route_xmit` may write the packet: it lowers the
 * TTL and fixes the header checksum with bpf_l3_csum_replace, and rewrites a byte with bpf_skb_store_bytes.
 * The seg6local kind has no test run. test/diff/lwt.test.ts compares all of it with the kernel's. */
#include "bpfkit.h"
#include <bpf/bpf_endian.h>

#define IPPROTO_TCP 6

struct lwt_seen {
	__u32 len, pkt_type, mark, queue_mapping, protocol, vlan_present, vlan_tci, priority, ingress_ifindex;
	__u32 ifindex, tc_index, cb0, hash, napi_id, gso_segs, gso_size, ip_proto, ttl, byte1, runs;
};

struct lwt_seen seen_in, seen_out, seen_xmit;

static __always_inline int observe(struct __sk_buff *skb, struct lwt_seen *s)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	__u8 *ip = data;

	s->len = skb->len;
	s->pkt_type = skb->pkt_type;
	s->mark = skb->mark;
	s->queue_mapping = skb->queue_mapping;
	s->protocol = skb->protocol;
	s->vlan_present = skb->vlan_present;
	s->vlan_tci = skb->vlan_tci;
	s->priority = skb->priority;
	s->ingress_ifindex = skb->ingress_ifindex;
	s->ifindex = skb->ifindex;
	s->tc_index = skb->tc_index;
	s->cb0 = skb->cb[0];
	s->napi_id = skb->napi_id;
	s->gso_segs = skb->gso_segs;
	s->gso_size = skb->gso_size;
	s->runs++;
	skb->mark = s->runs;
	skb->cb[0] += 5;
	if (data + 20 > end)
		return BPF_DROP;
	s->ip_proto = ip[9];
	s->ttl = ip[8];
	return ip[9] == IPPROTO_TCP ? BPF_OK : BPF_DROP;
}

SEC("lwt_in")
int route_in(struct __sk_buff *skb)
{
	return observe(skb, &seen_in);
}

SEC("lwt_out")
int route_out(struct __sk_buff *skb)
{
	__u8 b = 0;

	if (bpf_skb_load_bytes(skb, 1, &b, 1) == 0)
		seen_out.byte1 = b;
	return observe(skb, &seen_out);
}

SEC("lwt_xmit")
int route_xmit(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	__u8 *ip = data;
	__u8 tos = 0x10;
	int verdict = observe(skb, &seen_xmit);

	if (data + 20 > end)
		return verdict;
	/* The TTL and the protocol share a 16-bit word of the header (offset 8). */
	__u16 old = *(__u16 *)(ip + 8);
	ip[8] -= 1;
	__u16 new = *(__u16 *)(ip + 8);
	bpf_l3_csum_replace(skb, 10, old, new, sizeof(__u16));
	bpf_skb_store_bytes(skb, 1, &tos, 1, BPF_F_RECOMPUTE_CSUM);
	return verdict;
}

SEC("lwt_seg6local")
int seg6(struct __sk_buff *skb)
{
	return BPF_OK;
}

char _license[] SEC("license") = "GPL";
