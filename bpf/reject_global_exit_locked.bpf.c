/* Verifier reject: a global function that returns holding a lock. The verifier checks a global function
 * on its own, as a main program, after the program that calls it, so its exit is a main-program exit
 * (kernel/bpf/verifier.c, do_check_subprogs, then check_resource_leak: "BPF_EXIT instruction in main
 * prog cannot be used inside bpf_spin_lock-ed region"). A static function may return locked. */
#include "bpfkit.h"

#define __hidden __attribute__((visibility("hidden")))

struct bpf_res_spin_lock lock __hidden SEC(".data.lock");

__attribute__((noinline)) int take_lock(int x)
{
	if (bpf_res_spin_lock(&lock))
		return 0;
	return x; /* still holding the lock */
}

SEC("tc")
int global_exit_locked(struct __sk_buff *skb)
{
	return take_lock(skb->len);
}

char _license[] SEC("license") = "GPL";
