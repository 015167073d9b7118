/* Verifier reject: bpf_spin_unlock with no lock held (kernel/bpf/verifier.c, process_spin_lock:
 * "bpf_spin_unlock without taking a lock"). */
#include "lock_fixture.h"

COUNTER_MAP(counter, BPF_MAP_TYPE_ARRAY, 1);

SEC("tc")
int unlock_unlocked(struct __sk_buff *skb)
{
	COUNTER_OR_RETURN(c, 1);
	c->count++;
	bpf_spin_unlock(&c->lock); /* never locked */
	return 0;
}

char _license[] SEC("license") = "GPL";
