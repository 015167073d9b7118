/* Two counters that move together under one bpf_spin_lock: every run adds 1 to both. Userspace reads with
 * BPF_F_LOCK take the same lock, so a locked read always sees a == b, even while programs run on other CPUs. */
#include "bpfkit.h"

struct pair {
	struct bpf_spin_lock lock;
	__u64 a;
	__u64 b;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pair);
} pairs SEC(".maps");

SEC("tc")
int pair_inc(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct pair *p = bpf_map_lookup_elem(&pairs, &key);

	if (!p)
		return 1;
	bpf_spin_lock(&p->lock);
	p->a++;
	p->b++;
	bpf_spin_unlock(&p->lock);
	return 0;
}

char _license[] SEC("license") = "GPL";
