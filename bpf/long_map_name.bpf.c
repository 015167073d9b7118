/* A map whose name is longer than the kernel's 15-character map_name: libbpf creates it under the first
 * 15 characters, and the object still calls it by its whole name. */
#include "bpfkit.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} packets_by_ifindex SEC(".maps");

SEC("xdp")
int count_by_ifindex(struct xdp_md *ctx)
{
	__u32 key = ctx->ingress_ifindex;
	__u64 one = 1, *n = bpf_map_lookup_elem(&packets_by_ifindex, &key);

	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&packets_by_ifindex, &key, &one, BPF_NOEXIST);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
