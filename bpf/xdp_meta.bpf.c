// What a test run's context gives a program: XDP metadata and the receive queue from an xdp_md ctx_in, and
// the ingress ifindex an __sk_buff ctx_in sets (net/bpf/test_run.c). Each is recorded in a global.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u32 seen_meta_len;
__u32 seen_meta_word;
__u32 seen_ingress;
__u32 seen_rxq;
__u32 seen_skb_ingress;

SEC("xdp")
int xdp_meta_read(struct xdp_md *ctx)
{
	void *meta = (void *)(long)ctx->data_meta;
	void *data = (void *)(long)ctx->data;

	seen_meta_len = data - meta;
	if (meta + 4 <= data)
		seen_meta_word = *(__u32 *)meta;
	seen_ingress = ctx->ingress_ifindex;
	seen_rxq = ctx->rx_queue_index;
	return XDP_PASS;
}

SEC("tc")
int tc_ingress_read(struct __sk_buff *skb)
{
	seen_skb_ingress = skb->ingress_ifindex;
	return skb->ifindex;
}

char LICENSE[] SEC("license") = "GPL";
