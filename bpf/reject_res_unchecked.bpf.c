/* Verifier reject: the bpf_res_spin_lock result ignored. On the failure path the lock is not held, so the
 * unlock there is unlocking a lock never taken (kernel/bpf/verifier.c, process_spin_lock:
 * "bpf_res_spin_unlock without taking a lock"). */
#define LOCK_FIXTURE_RES
#include "lock_fixture.h"

COUNTER_MAP(counter, BPF_MAP_TYPE_ARRAY, 1);

SEC("tc")
int res_unchecked(struct __sk_buff *skb)
{
	COUNTER_OR_RETURN(c, 1);
	bpf_res_spin_lock(&c->lock);
	c->count++;
	bpf_res_spin_unlock(&c->lock);
	return 0;
}

char _license[] SEC("license") = "GPL";
