/* Program-side lookups for the emulator's differential tests: BPF-program lookups set an LRU element's
 * ref bit (kernel/bpf/hashtab.c htab_lru_map_lookup_elem → bpf_lru_node_set_ref), syscall lookups do not.
 * The key is the packet's first 4 bytes (host order). `target` is meant to be replaced by the caller's own
 * map (openObject(path, { maps: { target } })); this definition only fixes key size 4 for the verifier. */
#include "bpfkit.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} target SEC(".maps");

/* Returns 1 when the key is in the map, 0 when it is not, 2 when the packet is shorter than 4 bytes. */
SEC("tc")
int lru_touch(struct __sk_buff *skb)
{
	__u32 key;

	if (bpf_skb_load_bytes(skb, 0, &key, sizeof(key)))
		return 2;
	return bpf_map_lookup_elem(&target, &key) ? 1 : 0;
}

char _license[] SEC("license") = "GPL";
