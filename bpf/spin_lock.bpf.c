/* A counter incremented under bpf_spin_lock, in a prealloc HASH, a BPF_F_NO_PREALLOC HASH and an ARRAY.
 * Each run adds 1 to key 0's count; concurrent test runs must never lose an increment. */
#include "lock_fixture.h"

COUNTER_MAP(hash_counter, BPF_MAP_TYPE_HASH, 1);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct counter);
} hash_np_counter SEC(".maps");

COUNTER_MAP(array_counter, BPF_MAP_TYPE_ARRAY, 1);

/* Hash maps start empty: the first run inserts key 0. BPF_NOEXIST makes a racing second insert fail
 * harmlessly (EEXIST) instead of replacing an element another CPU already counted in. */
static __always_inline struct counter *hash_elem(void *map)
{
	__u32 key = 0;
	struct counter zero = {};
	struct counter *c = bpf_map_lookup_elem(map, &key);

	if (c)
		return c;
	bpf_map_update_elem(map, &key, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, &key);
}

static __always_inline int locked_inc(struct counter *c)
{
	if (!c)
		return 1;
	bpf_spin_lock(&c->lock);
	c->count++;
	bpf_spin_unlock(&c->lock);
	return 0;
}

SEC("tc")
int spin_hash(struct __sk_buff *skb)
{
	return locked_inc(hash_elem(&hash_counter));
}

SEC("tc")
int spin_hash_noprealloc(struct __sk_buff *skb)
{
	return locked_inc(hash_elem(&hash_np_counter));
}

SEC("tc")
int spin_array(struct __sk_buff *skb)
{
	__u32 key = 0;

	return locked_inc(bpf_map_lookup_elem(&array_counter, &key));
}

char _license[] SEC("license") = "GPL";
