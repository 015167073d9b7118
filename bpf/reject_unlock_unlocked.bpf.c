/* Verifier reject: bpf_spin_unlock with no lock held (kernel/bpf/verifier.c, process_spin_lock:
 * "bpf_spin_unlock without taking a lock"). */
#include "bpfkit.h"

struct counter {
	struct bpf_spin_lock lock;
	__u64 count;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counter);
} counter SEC(".maps");

SEC("tc")
int unlock_unlocked(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct counter *c = bpf_map_lookup_elem(&counter, &key);

	if (!c)
		return 1;
	c->count++;
	bpf_spin_unlock(&c->lock); /* never locked */
	return 0;
}

char _license[] SEC("license") = "GPL";
