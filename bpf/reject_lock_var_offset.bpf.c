/* Verifier reject: a lock address the verifier cannot pin to one offset (kernel/bpf/verifier.c,
 * process_spin_lock: "R1 doesn't have constant offset. bpf_spin_lock has to be at the constant offset"). */
#include "bpfkit.h"

struct counter {
	struct bpf_spin_lock lock;
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
int lock_var_offset(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct counter *c = bpf_map_lookup_elem(&counter, &key);
	__u32 off = skb->len & 4; /* 0 or 4: unknown to the verifier */

	if (!c)
		return 1;
	bpf_spin_lock((struct bpf_spin_lock *)((char *)&c->lock + off));
	c->count++;
	bpf_spin_unlock(&c->lock);
	return 0;
}

char _license[] SEC("license") = "GPL";
