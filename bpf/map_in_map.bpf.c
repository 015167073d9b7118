/* Maps in maps: an ARRAY_OF_MAPS and a HASH_OF_MAPS whose slots libbpf's __array(values, ...) initialiser
 * fills with two arrays of one shape. `route` looks the inner map up by `outer_key` and counts into its element
 * 0, returning what it counted (or 99 when the slot is empty); `by_hash` does the same through the hash of maps.
 * `locked_add` takes the lock in an inner map's value. The "?" programs are refused by the verifier: one
 * writes through the outer lookup's result (a map pointer is not memory), one unlocks another value's lock. Compared with the kernel by test/diff/map-in-map.test.ts. */
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

/* Inner maps whose values hold a lock: two lookups are two values, so two locks to the verifier. */
struct locked {
	struct bpf_spin_lock lock;
	__u32 data;
};

struct locked_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct locked);
};

struct locked_inner locked_a SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct locked_inner);
} outer_locked SEC(".maps") = {
	.values = { [0] = &locked_a },
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

SEC("tc")
int locked_add(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct locked *v;
	void *inner;

	inner = bpf_map_lookup_elem(&outer_locked, &zero);
	if (!inner)
		return 0;
	v = bpf_map_lookup_elem(inner, &zero);
	if (!v)
		return 0;
	bpf_spin_lock(&v->lock);
	v->data += 3;
	bpf_spin_unlock(&v->lock);
	return v->data;
}

SEC("?tc")
int unlock_other(struct __sk_buff *skb)
{
	struct locked *a, *b;
	__u32 zero = 0;
	void *inner;

	inner = bpf_map_lookup_elem(&outer_locked, &zero);
	if (!inner)
		return 0;
	a = bpf_map_lookup_elem(inner, &zero);
	if (!a)
		return 0;
	b = bpf_map_lookup_elem(inner, &zero);
	if (!b)
		return 0;
	bpf_spin_lock(&a->lock);
	a->data = 1;
	bpf_spin_unlock(&b->lock);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
