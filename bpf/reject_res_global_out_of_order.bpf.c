/* Verifier reject: res locks in global data released out of order. Each lock lives in its own .data.*
 * section (one internal map each, as libbpf makes them); a global-data lock is named by its map, as the
 * verifier gives such pointers no lookup id (kernel/bpf/verifier.c, check_ld_imm; process_spin_lock:
 * "bpf_res_spin_unlock cannot be out of order"). */
#include "bpfkit.h"

#define __hidden __attribute__((visibility("hidden")))

struct bpf_res_spin_lock lock_a __hidden SEC(".data.lock_a");
struct bpf_res_spin_lock lock_b __hidden SEC(".data.lock_b");
__u64 count SEC(".data.lock_a");

SEC("tc")
int res_global_out_of_order(struct __sk_buff *skb)
{
	if (bpf_res_spin_lock(&lock_a))
		return 1;
	if (bpf_res_spin_lock(&lock_b)) {
		bpf_res_spin_unlock(&lock_a);
		return 2;
	}
	count++;
	bpf_res_spin_unlock(&lock_a); /* lock_b was taken last: it must go first */
	bpf_res_spin_unlock(&lock_b);
	return 0;
}

char _license[] SEC("license") = "GPL";
