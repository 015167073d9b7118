/* Packets through dynptrs (Linux 6.4+): bpf_dynptr_from_skb / _from_xdp, bpf_dynptr_slice(_rdwr) and the
 * bpf_dynptr_read / _write / _data helpers. Each program rewrites its packet a little and records what every
 * call answered, including the refusals (past the end, bad flags, a read-only skb dynptr in cgroup_skb).
 * The writable slices are in programs of their own (SEC("?...")): some hardened kernels refuse
 * bpf_dynptr_slice_rdwr outright. */
#include "bpfkit.h"

extern int bpf_dynptr_from_skb(struct __sk_buff *skb, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym __weak;
extern int bpf_dynptr_from_xdp(struct xdp_md *xdp, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym __weak;
extern void *bpf_dynptr_slice(const struct bpf_dynptr *ptr, __u32 offset, void *buffer__opt, __u32 buffer__szk) __ksym __weak;
extern void *bpf_dynptr_slice_rdwr(const struct bpf_dynptr *ptr, __u32 offset, void *buffer__opt, __u32 buffer__szk) __ksym __weak;

/* What the last run of each program answered. */
struct answers {
	long bad_flags;      /* bpf_dynptr_from_* with a flag */
	long read_proto;     /* bpf_dynptr_read of the IPv4 protocol byte */
	__u8 proto;
	long read_past_end;  /* bpf_dynptr_read of 8 bytes ending past the packet */
	long write_ttl;      /* bpf_dynptr_write of the IPv4 TTL */
	long write_bad_flags;
	long write_past_end;
	long data_null;      /* bpf_dynptr_data: always NULL for packets */
	long slice_ok;       /* a 14-byte slice at 0 was given */
	long slice_past_end; /* a slice ending past the packet was not */
};

struct answers skb_seen, xdp_seen, ro_seen;

/* Whether bpf_dynptr_slice_rdwr gave a slice, by program. */
long rdwr_skb, rdwr_xdp, rdwr_ro;

static __always_inline int exercise(struct bpf_dynptr *d, struct answers *a, __u32 len)
{
	__u8 buffer[14], ttl = 7;
	__u8 *eth;
	__u64 tail;

	a->read_proto = bpf_dynptr_read(&a->proto, 1, d, 23, 0);
	a->read_past_end = bpf_dynptr_read(&tail, sizeof(tail), d, len - 4, 0);
	a->write_ttl = bpf_dynptr_write(d, 22, &ttl, 1, 0);
	a->write_bad_flags = bpf_dynptr_write(d, 22, &ttl, 1, 1 << 7);
	a->write_past_end = bpf_dynptr_write(d, len - 1, &ttl, 2, 0);
	a->data_null = bpf_dynptr_data(d, 0, 1) == 0;
	eth = bpf_dynptr_slice(d, 0, buffer, sizeof(buffer));
	a->slice_ok = eth != 0;
	a->slice_past_end = bpf_dynptr_slice(d, len - 8, buffer, sizeof(buffer)) != 0;
	return eth ? eth[12] : 0;
}

/* A writable slice of the source MAC address, rewritten through it. */
static __always_inline long rewrite_mac(struct bpf_dynptr *d)
{
	__u8 mac[6] = { 2, 0, 0, 0, 0, 1 };
	__u8 *rw = bpf_dynptr_slice_rdwr(d, 6, 0, sizeof(mac));

	if (!rw)
		return 0;
	__builtin_memcpy(rw, mac, sizeof(mac));
	return 1;
}

SEC("tc")
int skb_dynptr(struct __sk_buff *skb)
{
	struct bpf_dynptr d;

	skb_seen.bad_flags = bpf_dynptr_from_skb(skb, 1, &d);
	if (bpf_dynptr_from_skb(skb, 0, &d))
		return 1;
	return exercise(&d, &skb_seen, skb->len);
}

SEC("xdp")
int xdp_dynptr(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	xdp_seen.bad_flags = bpf_dynptr_from_xdp(ctx, 1, &d);
	if (bpf_dynptr_from_xdp(ctx, 0, &d))
		return XDP_ABORTED;
	return exercise(&d, &xdp_seen, ctx->data_end - ctx->data) ? XDP_PASS : XDP_DROP;
}

/* cgroup_skb may not write packets: its skb dynptrs are read-only. */
SEC("cgroup_skb/ingress")
int skb_dynptr_ro(struct __sk_buff *skb)
{
	struct bpf_dynptr d;

	if (bpf_dynptr_from_skb(skb, 0, &d))
		return 0;
	exercise(&d, &ro_seen, skb->len);
	return 1;
}

SEC("?tc")
int skb_rdwr(struct __sk_buff *skb)
{
	struct bpf_dynptr d;

	if (bpf_dynptr_from_skb(skb, 0, &d))
		return 0;
	rdwr_skb = rewrite_mac(&d);
	return 1;
}

SEC("?xdp")
int xdp_rdwr(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	if (bpf_dynptr_from_xdp(ctx, 0, &d))
		return XDP_ABORTED;
	rdwr_xdp = rewrite_mac(&d);
	return XDP_PASS;
}

/* cgroup_skb may not write packets: the verifier refuses bpf_dynptr_slice_rdwr here ("the prog does not allow
 * writes to packet data"). */
SEC("?cgroup_skb/ingress")
int ro_rdwr(struct __sk_buff *skb)
{
	struct bpf_dynptr d;

	if (bpf_dynptr_from_skb(skb, 0, &d))
		return 0;
	rdwr_ro = rewrite_mac(&d);
	return 1;
}

char _license[] SEC("license") = "GPL";
