/* The control: the same counter with no lock. Concurrent runs race on the load/add/store and lose
 * increments (shown by the demo and the bench, not asserted: the loss is nondeterministic). */
#include "bpfkit.h"

struct counter {
	__u64 count;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counter);
} counter SEC(".maps");

SEC("tc")
int unlocked_inc(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct counter *c = bpf_map_lookup_elem(&counter, &key);

	if (!c)
		return 1;
	/* A plain read-modify-write on purpose (no __sync_fetch_and_add). */
	c->count = c->count + 1;
	return 0;
}

char _license[] SEC("license") = "GPL";
