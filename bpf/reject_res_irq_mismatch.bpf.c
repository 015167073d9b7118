/* Verifier reject: an irq flag saved by bpf_local_irq_save restored by bpf_res_spin_unlock_irqrestore
 * (kernel/bpf/verifier.c, unmark_stack_slot_irq_flag: "irq flag acquired by native kfuncs cannot be
 * restored with lock kfuncs"). Each flag must go back through the family of kfunc that saved it. */
#define LOCK_FIXTURE_RES
#include "lock_fixture.h"

/* kernel/bpf/helpers.c (Linux 6.14+); declared here as it is used by this fixture only. */
extern void bpf_local_irq_save(unsigned long *flags__irq_flag) __ksym __weak;
extern void bpf_local_irq_restore(unsigned long *flags__irq_flag) __ksym __weak;

COUNTER_MAP(counter, BPF_MAP_TYPE_ARRAY, 1);

SEC("tc")
int res_irq_mismatch(struct __sk_buff *skb)
{
	__u32 key = 0;
	unsigned long native_flags, lock_flags;
	struct counter *c = bpf_map_lookup_elem(&counter, &key);

	if (!c)
		return 1;
	bpf_local_irq_save(&native_flags);
	if (bpf_res_spin_lock_irqsave(&c->lock, &lock_flags)) {
		bpf_local_irq_restore(&native_flags);
		return 2;
	}
	c->count++;
	bpf_res_spin_unlock_irqrestore(&c->lock, &native_flags); /* the native flag, not lock_flags */
	bpf_local_irq_restore(&lock_flags);
	return 0;
}

char _license[] SEC("license") = "GPL";
