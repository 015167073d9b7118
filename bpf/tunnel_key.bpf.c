/* bpf_skb_set_tunnel_key from a tc program, run with BPF_PROG_TEST_RUN: the key's sizes (the struct's and its
 * older layouts'), its flags, and the fields the helper refuses (tunnel_label without BPF_F_TUNINFO_IPV6,
 * tunnel_ext). Inputs and the helper's return code are globals; test/diff/tunnel-key.test.ts compares them
 * with the kernel's. */
#include "bpfkit.h"

__u32 size_choice, label, ext;
__u64 flags;
__s64 rc;

SEC("tc")
int set_key(struct __sk_buff *skb)
{
	struct bpf_tunnel_key key = {};

	key.tunnel_id = 42;
	key.remote_ipv4 = 0x0a000001;
	key.tunnel_ttl = 64;
	key.tunnel_label = label;
	key.tunnel_ext = ext;
	switch (size_choice) {
	case 0: rc = bpf_skb_set_tunnel_key(skb, &key, sizeof(key), flags); break;
	case 1: rc = bpf_skb_set_tunnel_key(skb, &key, 28, flags); break;
	case 2: rc = bpf_skb_set_tunnel_key(skb, &key, 24, flags); break;
	case 3: rc = bpf_skb_set_tunnel_key(skb, &key, 22, flags); break;
	case 4: rc = bpf_skb_set_tunnel_key(skb, &key, 8, flags); break;
	default: rc = bpf_skb_set_tunnel_key(skb, &key, 12, flags); break;
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
