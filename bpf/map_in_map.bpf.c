/* Maps in maps: an ARRAY_OF_MAPS and a HASH_OF_MAPS whose slots libbpf's __array(values, ...) initialiser
 * fills with two arrays of one shape. `route` looks the inner map up by `outer_key` and counts into its element
 * 0, returning what it counted (or 99 when the slot is empty); `by_hash` does the same through the hash of maps.
 * The "?" program writes through the outer lookup's result, which the verifier refuses (a map pointer is not
 * memory). Inner maps whose values hold a lock are bpf/map_in_map_lock.bpf.c's. Compared with the kernel by test/diff/map-in-map.test.ts. */
#include "bpfkit.h"

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
};

struct inner inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner);
} outer_array SEC(".maps") = {
	.values = { [0] = &inner_a, [2] = &inner_b },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner);
} outer_hash SEC(".maps") = {
	.values = { [3] = &inner_b },
};

__u32 outer_key;

static __always_inline int count_in(void *inner_map)
{
	__u32 zero = 0;
	__u64 *count;

	if (!inner_map)
		return 99;
	count = bpf_map_lookup_elem(inner_map, &zero);
	if (!count)
		return 98;
	*count += 1;
	return *count;
}

SEC("tc")
int route(struct __sk_buff *skb)
{
	return count_in(bpf_map_lookup_elem(&outer_array, &outer_key));
}

SEC("tc")
int by_hash(struct __sk_buff *skb)
{
	return count_in(bpf_map_lookup_elem(&outer_hash, &outer_key));
}

SEC("?tc")
int write_map_pointer(struct __sk_buff *skb)
{
	__u64 *inner = bpf_map_lookup_elem(&outer_array, &outer_key);

	if (!inner)
		return 0;
	*inner = 1;
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
