/* Verifier reject: a program may not read or write the lock word itself (kernel/bpf/verifier.c,
 * check_map_access: "bpf_spin_lock cannot be accessed directly by load/store"). */
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
int lock_access(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct counter *c = bpf_map_lookup_elem(&counter, &key);

	if (!c)
		return 1;
	/* Steal the lock by writing its word: refused. */
	*(volatile __u32 *)&c->lock = 1;
	c->count++;
	return 0;
}

char _license[] SEC("license") = "GPL";
