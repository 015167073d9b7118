/* Verifier reject: a legacy packet load (BPF_LD_ABS) inside a locked region: it may end the program on a
 * short packet, leaving the lock held (kernel/bpf/verifier.c, check_ld_abs then check_resource_leak:
 * "BPF_LD_[ABS|IND] cannot be used inside bpf_spin_lock-ed region"). */
#include "lock_fixture.h"

/* The LLVM BPF builtin that emits BPF_LD | BPF_ABS | BPF_B (r6 must hold the skb). */
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");

COUNTER_MAP(counter, BPF_MAP_TYPE_ARRAY, 1);

SEC("tc")
int ld_abs_locked(struct __sk_buff *skb)
{
	COUNTER_OR_RETURN(c, 0);
	bpf_spin_lock(&c->lock);
	c->count += load_byte(skb, 0);
	bpf_spin_unlock(&c->lock);
	return 0;
}

char _license[] SEC("license") = "GPL";
