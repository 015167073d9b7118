/* Verifier reject: returning with a bpf_spin_lock held (kernel/bpf/verifier.c, process_bpf_exit_full:
 * "BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region"). */
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
int exit_locked(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct counter *c = bpf_map_lookup_elem(&counter, &key);

	if (!c)
		return 1;
	bpf_spin_lock(&c->lock);
	c->count++;
	return 0; /* never unlocked */
}

char _license[] SEC("license") = "GPL";
