/* Deadlock probes for bpf_res_spin_lock (kernel/bpf/rqspinlock.c).
 * aa_probe: takes one element's lock twice; the second call must return -EDEADLK at once (AA detection
 * through the per-CPU held-locks table), which the program returns.
 * abba_ab / abba_ba: take two elements' locks in opposite orders; run concurrently they deadlock, and the
 * lock that would close the cycle fails with -EDEADLK (or -ETIMEDOUT). Failures are counted in `stats`. */
#include "bpfkit.h"

struct elem {
	struct bpf_res_spin_lock lock;
	__u64 count;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct elem);
} pair SEC(".maps");

/* [0] EDEADLK, [1] ETIMEDOUT, [2] other errno, [3] runs that held both locks. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void bump(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&stats, &slot);

	if (n)
		__sync_fetch_and_add(n, 1);
}

static __always_inline int count_failure(int err)
{
	bump(err == -BPFKIT_EDEADLK ? 0 : err == -BPFKIT_ETIMEDOUT ? 1 : 2);
	return err;
}

SEC("tc")
int aa_probe(struct __sk_buff *skb)
{
	__u32 key = 0;
	/* Two lookups of the same key: the verifier sees two distinct pointers, so it accepts the second
	 * lock; only the kernel's run-time check can catch the AA deadlock. */
	struct elem *first = bpf_map_lookup_elem(&pair, &key);
	struct elem *second = bpf_map_lookup_elem(&pair, &key);
	int err;

	if (!first || !second)
		return 1;
	err = bpf_res_spin_lock(&first->lock);
	if (err)
		return count_failure(err);
	err = bpf_res_spin_lock(&second->lock);
	if (!err) {
		/* Not detected: should never happen. Release both and report success (0) as the anomaly. */
		bpf_res_spin_unlock(&second->lock);
		bpf_res_spin_unlock(&first->lock);
		return 0;
	}
	bpf_res_spin_unlock(&first->lock);
	return count_failure(err);
}

static __always_inline int lock_both(__u32 outer_key, __u32 inner_key)
{
	struct elem *outer = bpf_map_lookup_elem(&pair, &outer_key);
	struct elem *inner = bpf_map_lookup_elem(&pair, &inner_key);
	int err;

	if (!outer || !inner)
		return 1;
	err = bpf_res_spin_lock(&outer->lock);
	if (err)
		return count_failure(err);
	err = bpf_res_spin_lock(&inner->lock);
	if (err) {
		bpf_res_spin_unlock(&outer->lock);
		return count_failure(err);
	}
	outer->count++;
	inner->count++;
	bpf_res_spin_unlock(&inner->lock);
	bpf_res_spin_unlock(&outer->lock);
	bump(3);
	return 0;
}

SEC("tc")
int abba_ab(struct __sk_buff *skb)
{
	return lock_both(0, 1);
}

SEC("tc")
int abba_ba(struct __sk_buff *skb)
{
	return lock_both(1, 0);
}

char _license[] SEC("license") = "GPL";
