/* Verifier reject: bpf_spin_lock on an address that is not the value's lock field (kernel/bpf/verifier.c,
 * process_spin_lock: "off 8 doesn't point to 'struct bpf_spin_lock' that is at 0"). */
#include "lock_fixture.h"

COUNTER_MAP(counter, BPF_MAP_TYPE_ARRAY, 1);

SEC("tc")
int lock_offset(struct __sk_buff *skb)
{
	COUNTER_OR_RETURN(c, 1);
	bpf_spin_lock((struct bpf_spin_lock *)&c->count); /* the counter, not the lock */
	c->count++;
	bpf_spin_unlock((struct bpf_spin_lock *)&c->count);
	return 0;
}

char _license[] SEC("license") = "GPL";
