/* bpf_redirect_map through each of the maps it takes: a DEVMAP, a DEVMAP_HASH, a CPUMAP and an XSKMAP, the
 * map, key and flags chosen by globals; a DEVMAP's value as a program's lookup sees it; and programs the
 * maps' entries may name. Run with
 * BPF_PROG_TEST_RUN by test/diff/redirect-maps.test.ts, which fills the maps from userspace. */
#include "bpfkit.h"

/* struct bpf_devmap_val and struct bpf_cpumap_val, without their unions: the ifindex or qsize, and the
 * program's fd going in, its id coming out. */
struct dev_val {
	__u32 ifindex;
	__u32 prog;
};
struct cpu_val {
	__u32 qsize;
	__u32 prog;
};

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct dev_val);
} devs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} dev_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct cpu_val);
} cpus SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

__u32 which;
__u64 key, flags;
__s64 seen_ifindex, seen_prog;

SEC("xdp")
int redirect(struct xdp_md *ctx)
{
	switch (which) {
	case 0: return bpf_redirect_map(&devs, key, flags);
	case 1: return bpf_redirect_map(&dev_hash, key, flags);
	case 2: return bpf_redirect_map(&cpus, key, flags);
	default: return bpf_redirect_map(&xsks, key, flags);
	}
}

SEC("xdp")
int lookup_dev(struct xdp_md *ctx)
{
	__u32 k = key;
	struct dev_val *v = bpf_map_lookup_elem(&devs, &k);
	__u32 *ifindex = bpf_map_lookup_elem(&dev_hash, &k);

	seen_ifindex = v ? v->ifindex : -1;
	seen_prog = v ? v->prog : -1;
	return ifindex ? *ifindex : XDP_PASS;
}

/* Programs a devmap's and a cpumap's entries may name (expected_attach_type BPF_XDP_DEVMAP / _CPUMAP). */
SEC("xdp/devmap")
int on_device(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp/cpumap")
int on_cpu(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
