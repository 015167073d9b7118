/* Verifier reject: returning with a bpf_spin_lock held (kernel/bpf/verifier.c, process_bpf_exit_full:
 * "BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region"). */
#include "lock_fixture.h"

COUNTER_MAP(counter, BPF_MAP_TYPE_ARRAY, 1);

SEC("tc")
int exit_locked(struct __sk_buff *skb)
{
	COUNTER_OR_RETURN(c, 1);
	bpf_spin_lock(&c->lock);
	c->count++;
	return 0; /* never unlocked */
}

char _license[] SEC("license") = "GPL";
