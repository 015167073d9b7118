/* A bpf_res_spin_lock in global data: the lock and the counter it guards share a .data.* section (one
 * internal array map, as libbpf makes it). Each run takes the lock, adds 1, releases it; a failed lock
 * counts itself in global_failures (atomically, outside the lock) and returns its errno. */
#include "bpfkit.h"

#define __hidden __attribute__((visibility("hidden")))

/* One struct, so the section's layout is fixed: lock, count, failures. */
struct {
	struct bpf_res_spin_lock lock;
	__u64 count;
	__u64 failures;
} global_state __hidden SEC(".data.res");

SEC("tc")
int res_global_inc(struct __sk_buff *skb)
{
	int err = bpf_res_spin_lock(&global_state.lock);

	if (err) {
		__sync_fetch_and_add(&global_state.failures, 1);
		return err;
	}
	global_state.count++;
	bpf_res_spin_unlock(&global_state.lock);
	return 0;
}

char _license[] SEC("license") = "GPL";
