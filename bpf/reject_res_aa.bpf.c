/* Verifier reject: taking the same bpf_res_spin_lock twice through one pointer (kernel/bpf/verifier.c,
 * process_spin_lock: "Acquiring the same lock again, AA deadlock detected"). Two separate lookups of the
 * same key would pass the verifier (it cannot know they alias) and deadlock only at run time. */
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
int res_aa(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct counter *c = bpf_map_lookup_elem(&counter, &key);

	if (!c)
		return 1;
	if (bpf_res_spin_lock(&c->lock))
		return 2;
	if (bpf_res_spin_lock(&c->lock)) { /* the same lock again */
		bpf_res_spin_unlock(&c->lock);
		return 3;
	}
	bpf_res_spin_unlock(&c->lock);
	bpf_res_spin_unlock(&c->lock);
	return 0;
}

char _license[] SEC("license") = "GPL";
