/* The coverage fixture (test/emulator/coverage.test.ts, the README's coverage example): a bounds check,
 * a loop with a branch per packet byte, an inlined helper from a header and a subprogram, so the lines,
 * branches and functions a run reaches follow from its packet alone. */
#include "bpfkit.h"
#include "coverage_demo.h"

/* Bytes seen by parity, and runs that found the packet too short: the branches' witnesses. */
__u64 even_bytes, odd_bytes, short_packets;

static __noinline int verdict(__u64 evens, __u64 odds)
{
	if (evens > odds)
		return XDP_PASS;
	return XDP_TX;
}

SEC("xdp")
int count_bytes(struct xdp_md *ctx)
{
	__u8 *p = (__u8 *)(long)ctx->data;
	__u8 *end = (__u8 *)(long)ctx->data_end;
	__u64 evens = 0, odds = 0;

	if (p + DEMO_BYTES > end) {
		__sync_fetch_and_add(&short_packets, 1);
		return XDP_DROP;
	}
#pragma clang loop unroll(disable)
	for (int i = 0; i < DEMO_BYTES; i++) {
		if ((p[i] & 1) == 0) {
			evens++;
			demo_tally(&even_bytes);
		} else {
			odds++;
			demo_tally(&odd_bytes);
		}
	}
	return verdict(evens, odds);
}

char _license[] SEC("license") = "GPL";
