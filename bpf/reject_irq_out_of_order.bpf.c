/* Verifier reject: irq flags restored out of order. Saved flags nest: the most recently saved one must be
 * restored first (kernel/bpf/verifier.c, unmark_stack_slot_irq_flag: "cannot restore irq state out of
 * order, expected id=... acquired at insn_idx=..."; release_irq_state refuses with EACCES). */
#include "bpfkit.h"

/* kernel/bpf/helpers.c (Linux 6.14+); declared here as only the irq fixtures use them. */
extern void bpf_local_irq_save(unsigned long *flags__irq_flag) __ksym __weak;
extern void bpf_local_irq_restore(unsigned long *flags__irq_flag) __ksym __weak;

SEC("tc")
int irq_out_of_order(struct __sk_buff *skb)
{
	unsigned long outer, inner;

	bpf_local_irq_save(&outer);
	bpf_local_irq_save(&inner);
	bpf_local_irq_restore(&outer); /* inner was saved last: it must be restored first */
	bpf_local_irq_restore(&inner);
	return 0;
}

char _license[] SEC("license") = "GPL";
