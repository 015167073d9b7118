/* bpf_fib_lookup from XDP and tc test runs: the family, ifindex, addresses and flags come from globals, and
 * the helper's return code and the params it leaves are recorded. test/diff/fib-lookup.test.ts compares
 * them with the kernel's for what a test run can reach: the namespace's loopback device, forwarding off. */
#include "bpfkit.h"

__u8 family;
__u32 ifindex, flags;
__u32 src[4], dst[4];
long rc;
__u8 after[sizeof(struct bpf_fib_lookup)]; /* the params' bytes: globals have no anonymous unions */

static __always_inline long lookup(void *ctx)
{
	struct bpf_fib_lookup params = {};

	params.family = family;
	params.ifindex = ifindex;
	__builtin_memcpy(params.ipv6_src, src, sizeof(src));
	__builtin_memcpy(params.ipv6_dst, dst, sizeof(dst));
	rc = bpf_fib_lookup(ctx, &params, sizeof(params), flags);
	__builtin_memcpy(after, &params, sizeof(params));
	return 0;
}

SEC("xdp")
int xdp_fib(struct xdp_md *ctx)
{
	return lookup(ctx) + 2; /* XDP_PASS */
}

SEC("tc")
int tc_fib(struct __sk_buff *skb)
{
	return lookup(skb);
}

char LICENSE[] SEC("license") = "GPL";
