/* bench/programs.ts: the Internet checksum (RFC 1071) of a 1 KiB packet, 16 bits at a time with a bounds
 * check per word as the verifier requires, folded to 16 bits. */
#include "bpfkit.h"

#define CSUM_BYTES 1024

SEC("xdp")
int bench_csum(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 sum = 0;

#pragma clang loop unroll(disable)
	for (int i = 0; i < CSUM_BYTES / 2; i++) {
		__u16 *word = (__u16 *)data + i;

		if ((void *)(word + 1) > data_end)
			break;
		sum += *word;
	}
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

char _license[] SEC("license") = "GPL";
