// An XDP program that moves its frame's edges with the packet helpers, as the test sets them in globals:
// metadata grown (bpf_xdp_adjust_meta), the head moved (bpf_xdp_adjust_head) and a marker written into new
// headroom, the tail moved (bpf_xdp_adjust_tail) and a marker written into the grown tail, the metadata's
// first word read and rewritten, the frame's length (bpf_xdp_get_buff_len), and optionally bpf_redirect.
// Each helper's result lands in a global; a failing one ends the run. Metadata is grown only by
// xdp_resize_meta, loaded when asked for (SEC("?xdp")): some kernels' builds refuse bpf_xdp_adjust_meta.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int meta_delta;
int head_delta;
int tail_delta;
__u32 redirect_ifindex;
__u64 redirect_flags;

long rc_meta;
long rc_head;
long rc_tail;
__u32 meta_word;
__u64 buff_len;

/* Keeps clang from reusing ctx + 4 across a helper call: the verifier refuses a moved ctx pointer. */
#define fresh(ctx) asm volatile("" : "+r"(ctx))

static __always_inline int resize(struct xdp_md *ctx, const int with_meta)
{
	void *data, *data_end, *meta;
	__u32 before;
	__u8 *p;

	rc_meta = rc_head = rc_tail = 0;
	if (with_meta && meta_delta) {
		rc_meta = bpf_xdp_adjust_meta(ctx, meta_delta);
		if (rc_meta)
			return XDP_ABORTED;
	}
	if (head_delta) {
		rc_head = bpf_xdp_adjust_head(ctx, head_delta);
		if (rc_head)
			return XDP_ABORTED;
	}
	fresh(ctx);
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	/* New headroom taken into the packet: mark its first 8 bytes. */
	if (head_delta <= -8 && data + 8 <= data_end)
		*(__u64 *)data = 0xa8a7a6a5a4a3a2a1ULL;
	before = (data_end - data) & 0xfff;
	if (tail_delta) {
		rc_tail = bpf_xdp_adjust_tail(ctx, tail_delta);
		if (rc_tail)
			return XDP_DROP;
		fresh(ctx);
		data = (void *)(long)ctx->data;
		data_end = (void *)(long)ctx->data_end;
		/* Grown tailroom: mark its first 4 bytes (the helper zeroed it). */
		p = data + before;
		if (tail_delta >= 4 && (void *)(p + 4) <= data_end)
			*(__u32 *)p = 0xc4c3c2c1;
	}
	fresh(ctx);
	meta = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if (meta + 4 <= data) {
		meta_word = *(__u32 *)meta;
		*(__u32 *)meta = meta_word + 1;
	}
	buff_len = bpf_xdp_get_buff_len(ctx);
	if (redirect_ifindex)
		return bpf_redirect(redirect_ifindex, redirect_flags);
	return XDP_PASS;
}

SEC("xdp")
int xdp_resize(struct xdp_md *ctx)
{
	return resize(ctx, 0);
}

SEC("?xdp")
int xdp_resize_meta(struct xdp_md *ctx)
{
	return resize(ctx, 1);
}

char LICENSE[] SEC("license") = "GPL";
