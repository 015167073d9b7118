/* Verifier reject: returning with interrupts still disabled by bpf_local_irq_save (kernel/bpf/verifier.c,
 * check_resource_leak: "BPF_EXIT instruction in main prog cannot be used inside bpf_local_irq_save-ed
 * region"). */
#include "bpfkit.h"

/* kernel/bpf/helpers.c (Linux 6.14+); declared here as only the irq fixtures use them. */
extern void bpf_local_irq_save(unsigned long *flags__irq_flag) __ksym __weak;
extern void bpf_local_irq_restore(unsigned long *flags__irq_flag) __ksym __weak;

SEC("tc")
int exit_irq_saved(struct __sk_buff *skb)
{
	unsigned long flags;

	bpf_local_irq_save(&flags);
	if (skb->len > 100)
		return 1; /* this path never restores */
	bpf_local_irq_restore(&flags);
	return 0;
}

char _license[] SEC("license") = "GPL";
