/* Verifier reject: taking the same bpf_res_spin_lock twice through one pointer (kernel/bpf/verifier.c,
 * process_spin_lock: "Acquiring the same lock again, AA deadlock detected"). Two separate lookups of the
 * same key would pass the verifier (it cannot know they alias) and deadlock only at run time. */
#define LOCK_FIXTURE_RES
#include "lock_fixture.h"

COUNTER_MAP(counter, BPF_MAP_TYPE_ARRAY, 1);

SEC("tc")
int res_aa(struct __sk_buff *skb)
{
	COUNTER_OR_RETURN(c, 1);
	if (bpf_res_spin_lock(&c->lock))
		return 2;
	if (bpf_res_spin_lock(&c->lock)) { /* the same lock again */
		bpf_res_spin_unlock(&c->lock);
		return 3;
	}
	bpf_res_spin_unlock(&c->lock);
	bpf_res_spin_unlock(&c->lock);
	return 0;
}

char _license[] SEC("license") = "GPL";
