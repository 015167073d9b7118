/* Verifier reject: calling a global (non-static) function while holding a bpf_spin_lock. The verifier
 * checks a global function once on its own, assuming no lock, so it may not run inside a locked region
 * (kernel/bpf/verifier.c, check_func_call: "global function calls are not allowed while holding a lock,"
 * then "use static function instead"). Static functions are verified in place and are allowed. */
#include "lock_fixture.h"

COUNTER_MAP(counter, BPF_MAP_TYPE_ARRAY, 1);

__attribute__((noinline)) int global_add(int x)
{
	return x + 1;
}

SEC("tc")
int global_call_locked(struct __sk_buff *skb)
{
	COUNTER_OR_RETURN(c, 1);
	bpf_spin_lock(&c->lock);
	c->count += global_add(skb->len);
	bpf_spin_unlock(&c->lock);
	return 0;
}

char _license[] SEC("license") = "GPL";
