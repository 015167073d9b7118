/* Verifier reject: bpf_spin_lock on an address that is not the value's lock field (kernel/bpf/verifier.c,
 * process_spin_lock: "off 8 doesn't point to 'struct bpf_spin_lock' that is at 0"). */
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
int lock_offset(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct counter *c = bpf_map_lookup_elem(&counter, &key);

	if (!c)
		return 1;
	bpf_spin_lock((struct bpf_spin_lock *)&c->count); /* the counter, not the lock */
	c->count++;
	bpf_spin_unlock((struct bpf_spin_lock *)&c->count);
	return 0;
}

char _license[] SEC("license") = "GPL";
