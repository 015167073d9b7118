/* Verifier reject: the bpf_res_spin_lock result ignored. On the failure path the lock is not held, so the
 * unlock there is unlocking a lock never taken (kernel/bpf/verifier.c, process_spin_lock:
 * "bpf_res_spin_unlock without taking a lock"). */
#include "bpfkit.h"

struct counter {
	struct bpf_res_spin_lock lock;
	__u64 count;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counter);
} counter SEC(".maps");

SEC("tc")
int res_unchecked(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct counter *c = bpf_map_lookup_elem(&counter, &key);

	if (!c)
		return 1;
	bpf_res_spin_lock(&c->lock);
	c->count++;
	bpf_res_spin_unlock(&c->lock);
	return 0;
}

char _license[] SEC("license") = "GPL";
