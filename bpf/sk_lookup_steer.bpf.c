/* An sk_lookup program (BPF_PROG_TYPE_SK_LOOKUP) run with BPF_PROG_TEST_RUN: `steer` copies every field of
 * struct bpf_sk_lookup it can read into `seen` (whole, and the narrow loads the verifier allows: a byte, a
 * half, a 4-byte load of the 16-bit remote_port, the padding after it) and passes TCP to port 80 and any UDP,
 * dropping the rest (it selects no socket, so the cookie stays 0). `assign` calls bpf_sk_assign, which needs
 * a socket. The "?" program reads past the struct, which the verifier refuses. test/diff/sk-lookup.test.ts
 * compares the verdicts, ctx_out and `seen` with the kernel's. */
#include "bpfkit.h"

#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

struct seen {
	__u64 sk;
	__u32 family, protocol, remote_ip4, remote_ip6[4], remote_port, local_ip4, local_ip6[4], local_port;
	__u32 ingress_ifindex;
	__u32 family_byte1, family_half2, protocol_byte2, remote_port_word, remote_port_byte1, padding_half;
	__u32 local_port_half0, local_port_half2, remote_ip4_byte3, local_ip6_half1;
	__u32 runs;
};

struct seen seen;

#define AT(type, off) (*(volatile type *)((void *)ctx + (off)))

SEC("sk_lookup")
int steer(struct bpf_sk_lookup *ctx)
{
	seen.sk = (__u64)(unsigned long)ctx->sk;
	seen.family = ctx->family;
	seen.protocol = ctx->protocol;
	seen.remote_ip4 = ctx->remote_ip4;
	for (int i = 0; i < 4; i++) {
		seen.remote_ip6[i] = ctx->remote_ip6[i];
		seen.local_ip6[i] = ctx->local_ip6[i];
	}
	seen.remote_port = ctx->remote_port;
	seen.local_ip4 = ctx->local_ip4;
	seen.local_port = ctx->local_port;
	seen.ingress_ifindex = ctx->ingress_ifindex;
	seen.family_byte1 = AT(__u8, 9);
	seen.family_half2 = AT(__u16, 10);
	seen.protocol_byte2 = AT(__u8, 14);
	seen.remote_port_word = AT(__u32, 36);
	seen.remote_port_byte1 = AT(__u8, 37);
	seen.padding_half = AT(__u16, 38);
	seen.local_port_half0 = AT(__u16, 60);
	seen.local_port_half2 = AT(__u16, 62);
	seen.remote_ip4_byte3 = AT(__u8, 19);
	seen.local_ip6_half1 = AT(__u16, 46);
	seen.runs++;
	if (ctx->protocol == IPPROTO_UDP || (ctx->protocol == IPPROTO_TCP && ctx->local_port == 80))
		return SK_PASS;
	return SK_DROP;
}

SEC("sk_lookup")
int assign(struct bpf_sk_lookup *ctx)
{
	bpf_sk_assign(ctx, 0, 0);
	return SK_PASS;
}

SEC("?sk_lookup")
int past_struct(struct bpf_sk_lookup *ctx)
{
	return AT(__u32, 72) ? SK_PASS : SK_DROP;
}

char _license[] SEC("license") = "GPL";
