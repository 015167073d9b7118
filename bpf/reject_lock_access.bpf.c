/* Verifier reject: a program may not read or write the lock word itself (kernel/bpf/verifier.c,
 * check_map_access: "bpf_spin_lock cannot be accessed directly by load/store"). */
#include "lock_fixture.h"

COUNTER_MAP(counter, BPF_MAP_TYPE_ARRAY, 1);

SEC("tc")
int lock_access(struct __sk_buff *skb)
{
	COUNTER_OR_RETURN(c, 1);
	/* Steal the lock by writing its word: refused. */
	*(volatile __u32 *)&c->lock = 1;
	c->count++;
	return 0;
}

char _license[] SEC("license") = "GPL";
