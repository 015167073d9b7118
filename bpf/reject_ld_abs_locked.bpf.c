/* Verifier reject: a legacy packet load (BPF_LD_ABS) inside a locked region: it may end the program on a
 * short packet, leaving the lock held (kernel/bpf/verifier.c, check_ld_abs then check_resource_leak:
 * "BPF_LD_[ABS|IND] cannot be used inside bpf_spin_lock-ed region"). */
#include "bpfkit.h"

/* The LLVM BPF builtin that emits BPF_LD | BPF_ABS | BPF_B (r6 must hold the skb). */
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");

struct counter {
	struct bpf_spin_lock lock;
	__u64 count;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counter);
} counter SEC(".maps");

SEC("tc")
int ld_abs_locked(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct counter *c = bpf_map_lookup_elem(&counter, &key);

	if (!c)
		return 0;
	bpf_spin_lock(&c->lock);
	c->count += load_byte(skb, 0);
	bpf_spin_unlock(&c->lock);
	return 0;
}

char _license[] SEC("license") = "GPL";
