/* Verifier reject: res locks must be released in the reverse order of taking them (kernel/bpf/verifier.c,
 * process_spin_lock: "bpf_res_spin_unlock cannot be out of order"). */
#define LOCK_FIXTURE_RES
#include "lock_fixture.h"

COUNTER_MAP(pair, BPF_MAP_TYPE_ARRAY, 2);

SEC("tc")
int res_out_of_order(struct __sk_buff *skb)
{
	__u32 k0 = 0, k1 = 1;
	struct counter *a = bpf_map_lookup_elem(&pair, &k0);
	struct counter *b = bpf_map_lookup_elem(&pair, &k1);

	if (!a || !b)
		return 1;
	if (bpf_res_spin_lock(&a->lock))
		return 2;
	if (bpf_res_spin_lock(&b->lock)) {
		bpf_res_spin_unlock(&a->lock);
		return 3;
	}
	bpf_res_spin_unlock(&a->lock); /* a before b: out of order */
	bpf_res_spin_unlock(&b->lock);
	return 0;
}

char _license[] SEC("license") = "GPL";
