/* Verifier reject: a helper call while holding a bpf_spin_lock (kernel/bpf/verifier.c, check_helper_call
 * path: "function calls are not allowed while holding a lock"). */
#include "lock_fixture.h"

COUNTER_MAP(counter, BPF_MAP_TYPE_ARRAY, 1);

SEC("tc")
int helper_in_lock(struct __sk_buff *skb)
{
	COUNTER_OR_RETURN(c, 1);
	bpf_spin_lock(&c->lock);
	c->count = bpf_ktime_get_ns();
	bpf_spin_unlock(&c->lock);
	return 0;
}

char _license[] SEC("license") = "GPL";
