/* Verifier reject: bpf_spin_lock on a map whose value holds no bpf_spin_lock (kernel/bpf/verifier.c,
 * process_spin_lock: "map 'counter' has no valid bpf_spin_lock"). */
#include "bpfkit.h"

struct counter {
	__u32 word;
	__u32 pad;
	__u64 count;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counter);
} counter SEC(".maps");

SEC("tc")
int lock_no_field(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct counter *c = bpf_map_lookup_elem(&counter, &key);

	if (!c)
		return 1;
	bpf_spin_lock((struct bpf_spin_lock *)&c->word); /* a plain __u32, not a lock */
	c->count++;
	bpf_spin_unlock((struct bpf_spin_lock *)&c->word);
	return 0;
}

char _license[] SEC("license") = "GPL";
