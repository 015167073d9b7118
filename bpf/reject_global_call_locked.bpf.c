/* Verifier reject: calling a global (non-static) function while holding a bpf_spin_lock. The verifier
 * checks a global function once on its own, assuming no lock, so it may not run inside a locked region
 * (kernel/bpf/verifier.c, check_func_call: "global function calls are not allowed while holding a lock,"
 * then "use static function instead"). Static functions are verified in place and are allowed. */
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

__attribute__((noinline)) int global_add(int x)
{
	return x + 1;
}

SEC("tc")
int global_call_locked(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct counter *c = bpf_map_lookup_elem(&counter, &key);

	if (!c)
		return 1;
	bpf_spin_lock(&c->lock);
	c->count += global_add(skb->len);
	bpf_spin_unlock(&c->lock);
	return 0;
}

char _license[] SEC("license") = "GPL";
