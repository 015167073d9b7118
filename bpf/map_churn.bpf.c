/* Churn for concurrency stress: each run picks a random key in [0, 128) and a random operation on a
 * 64-entry HASH and a 64-entry LRU_HASH: insert (or overwrite), delete, or look up and bump the value in
 * place. Several CPUs running this at once exercise every structural path (bucket links, the free list,
 * LRU eviction) against each other. */
#include "bpfkit.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} churn_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} churn_lru SEC(".maps");

static __always_inline void churn(void *map, __u32 r)
{
	__u32 key = r & 127;
	__u64 one = 1, *v;

	switch ((r >> 8) % 3) {
	case 0:
		bpf_map_update_elem(map, &key, &one, BPF_ANY);
		break;
	case 1:
		bpf_map_delete_elem(map, &key);
		break;
	default:
		v = bpf_map_lookup_elem(map, &key);
		if (v)
			__sync_fetch_and_add(v, 1);
	}
}

SEC("tc")
int churn_maps(struct __sk_buff *skb)
{
	churn(&churn_hash, bpf_get_prandom_u32());
	churn(&churn_lru, bpf_get_prandom_u32());
	return 0;
}

char _license[] SEC("license") = "GPL";
