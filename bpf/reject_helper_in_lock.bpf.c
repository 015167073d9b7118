/* Verifier reject: a helper call while holding a bpf_spin_lock (kernel/bpf/verifier.c, check_helper_call
 * path: "function calls are not allowed while holding a lock"). */
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
int helper_in_lock(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct counter *c = bpf_map_lookup_elem(&counter, &key);

	if (!c)
		return 1;
	bpf_spin_lock(&c->lock);
	c->count = bpf_ktime_get_ns();
	bpf_spin_unlock(&c->lock);
	return 0;
}

char _license[] SEC("license") = "GPL";
