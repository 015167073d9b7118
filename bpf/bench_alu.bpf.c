/* bench/programs.ts: a pure ALU loop, 1000 iterations of 64-bit multiply, xor and shifts (a xorshift-
 * multiply mix) seeded from the first 8 bytes of the packet. XDP because BPF_PROG_TEST_RUN's `repeat`
 * is refused for syscall programs (net/bpf/test_run.c bpf_prog_test_run_syscall). */
#include "bpfkit.h"

SEC("xdp")
int bench_alu(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 x = 0x9e3779b97f4a7c15ULL;

	if (data + 8 <= data_end)
		x ^= *(__u64 *)data;
#pragma clang loop unroll(disable)
	for (int i = 0; i < 1000; i++) {
		x *= 0xbf58476d1ce4e5b9ULL;
		x ^= x >> 31;
		x ^= x << 7;
	}
	return (__u32)(x ^ (x >> 32));
}

char _license[] SEC("license") = "GPL";
