/* A flow dissector (BPF_PROG_TYPE_FLOW_DISSECTOR) run with BPF_PROG_TEST_RUN: `dissect` reads the EtherType
 * (one VLAN tag skipped) and tail-calls the IPv4 or IPv6 parser through a prog array; each parser fills the
 * flow keys (addresses, protocol, fragment bits, transport offset) and reads the ports directly or, when they
 * lie past the linear data, with bpf_skb_load_bytes. The keys are the run's data_out; test/diff/flow-dissector
 * .test.ts compares them and the verdicts with the kernel's. The "?" program writes past the flow keys, which
 * the verifier refuses. */
#include "bpfkit.h"
#include <bpf/bpf_endian.h>

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IP_MF 0x2000
#define IP_OFFSET 0x1fff

int parse_ipv4(struct __sk_buff *skb);
int parse_ipv6(struct __sk_buff *skb);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(__u32));
	__array(values, int (void *));
} parsers SEC(".maps") = {
	.values = { [0] = (void *)&parse_ipv4, [1] = (void *)&parse_ipv6 },
};

/* `len` bytes at keys->thoff + off: in place when the packet holds them, else copied into `buf`. */
static __always_inline void *header(struct __sk_buff *skb, __u16 off, __u16 len, void *buf)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u16 at = skb->flow_keys->thoff + off;
	void *p;

	if (at > 1500)
		return 0;
	p = data + at;
	if (p + len <= data_end)
		return p;
	if (bpf_skb_load_bytes(skb, at, buf, len))
		return 0;
	return buf;
}

static __always_inline int ports(struct __sk_buff *skb, __u8 proto)
{
	struct bpf_flow_keys *keys = skb->flow_keys;
	__be16 buf[2], *p;

	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return BPF_OK;
	p = header(skb, 0, sizeof(buf), buf);
	if (!p)
		return BPF_DROP;
	keys->sport = p[0];
	keys->dport = p[1];
	return BPF_OK;
}

SEC("flow_dissector")
int dissect(struct __sk_buff *skb)
{
	struct bpf_flow_keys *keys = skb->flow_keys;
	__be16 proto = keys->n_proto;
	__be16 buf[2], *vlan;

	if (proto == bpf_htons(ETH_P_8021Q)) {
		vlan = header(skb, 0, sizeof(buf), buf);
		if (!vlan)
			return BPF_DROP;
		proto = vlan[1];
		keys->n_proto = proto;
		keys->nhoff += 4;
		keys->thoff += 4;
	}
	if (proto == bpf_htons(ETH_P_IP))
		bpf_tail_call(skb, &parsers, 0);
	else if (proto == bpf_htons(ETH_P_IPV6))
		bpf_tail_call(skb, &parsers, 1);
	return BPF_DROP;
}

SEC("flow_dissector")
int parse_ipv4(struct __sk_buff *skb)
{
	struct bpf_flow_keys *keys = skb->flow_keys;
	__u8 buf[20], *ip;
	__u16 frag;

	ip = header(skb, 0, sizeof(buf), buf);
	if (!ip || (ip[0] & 0xf) < 5)
		return BPF_DROP;
	keys->addr_proto = ETH_P_IP;
	keys->ip_proto = ip[9];
	__builtin_memcpy(&keys->ipv4_src, ip + 12, 4);
	__builtin_memcpy(&keys->ipv4_dst, ip + 16, 4);
	frag = (ip[6] << 8) | ip[7];
	keys->thoff += (ip[0] & 0xf) << 2;
	if (frag & (IP_MF | IP_OFFSET)) {
		keys->is_frag = 1;
		if (frag & IP_OFFSET)
			return BPF_OK;
		keys->is_first_frag = 1;
		if (!(keys->flags & BPF_FLOW_DISSECTOR_F_PARSE_1ST_FRAG))
			return BPF_OK;
	}
	return ports(skb, keys->ip_proto);
}

SEC("flow_dissector")
int parse_ipv6(struct __sk_buff *skb)
{
	struct bpf_flow_keys *keys = skb->flow_keys;
	__u8 buf[40], *ip;

	ip = header(skb, 0, sizeof(buf), buf);
	if (!ip)
		return BPF_DROP;
	keys->addr_proto = ETH_P_IPV6;
	keys->ip_proto = ip[6];
	__builtin_memcpy(&keys->ipv6_src, ip + 8, 32);
	keys->flow_label = ((__u32)(ip[1] & 0xf) << 16 | ip[2] << 8 | ip[3]);
	keys->thoff += 40;
	if (keys->flags & BPF_FLOW_DISSECTOR_F_STOP_AT_FLOW_LABEL && keys->flow_label)
		return BPF_OK;
	return ports(skb, keys->ip_proto);
}

SEC("?flow_dissector")
int past_keys(struct __sk_buff *skb)
{
	struct bpf_flow_keys *keys = skb->flow_keys;

	*(__u32 *)((char *)keys + sizeof(*keys)) = 1;
	return BPF_OK;
}

char LICENSE[] SEC("license") = "GPL";
