/* Verifier reject: unlocking a bpf_spin_lock other than the one held (kernel/bpf/verifier.c,
 * process_spin_lock: "bpf_spin_unlock of different lock"). Each lookup is a distinct pointer to the
 * verifier, even of the same key. */
#include "lock_fixture.h"

COUNTER_MAP(pair, BPF_MAP_TYPE_ARRAY, 2);

SEC("tc")
int unlock_different(struct __sk_buff *skb)
{
	__u32 k0 = 0, k1 = 1;
	struct counter *a = bpf_map_lookup_elem(&pair, &k0);
	struct counter *b = bpf_map_lookup_elem(&pair, &k1);

	if (!a || !b)
		return 1;
	bpf_spin_lock(&a->lock);
	a->count++;
	bpf_spin_unlock(&b->lock); /* not the lock taken */
	return 0;
}

char _license[] SEC("license") = "GPL";
