/* An ARRAY_OF_MAPS whose inner maps' values hold a bpf_spin_lock (which Linux refuses before 6.2:
 * map_in_map.c bpf_map_meta_alloc, ENOTSUPP). `locked_add` takes the lock in the inner value it looks up; the
 * "?" program unlocks another lookup's value, which the verifier refuses: two lookups, two locks. Compared
 * with the kernel by test/diff/map-in-map.test.ts. */
#include "bpfkit.h"

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
