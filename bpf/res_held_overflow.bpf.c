/* rqspinlock's held-locks table holds RES_NR_HELD (31) entries per CPU; the count keeps growing past it.
 * held_overflow takes 32 distinct bpf_res_spin_locks (the 32nd is not recorded), then takes the 32nd again
 * through a second pointer: the AA check cannot see it, so the attempt waits out the timeout and fails with
 * -ETIMEDOUT, which the program returns after releasing everything in reverse order. */
#include "bpfkit.h"

#define NLOCKS 32

struct elem {
	struct bpf_res_spin_lock lock;
	__u64 count;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NLOCKS);
	__type(key, __u32);
	__type(value, struct elem);
} locks SEC(".maps");

#define LOOKUP(i) do { key = i; held[i] = bpf_map_lookup_elem(&locks, &key); if (!held[i]) return 1; } while (0)
/* On failure, release the locks taken so far (release_i unlocks held[i-1] .. held[0]). */
#define TAKE(i) do { err = bpf_res_spin_lock(&held[i]->lock); if (err) goto release_##i; } while (0)
#define RELEASE(i) release_##i: bpf_res_spin_unlock(&held[i - 1]->lock)

SEC("tc")
int held_overflow(struct __sk_buff *skb)
{
	struct elem *held[NLOCKS];
	struct elem *again;
	__u32 key, last = NLOCKS - 1;
	int err;

	LOOKUP(0);
	LOOKUP(1);
	LOOKUP(2);
	LOOKUP(3);
	LOOKUP(4);
	LOOKUP(5);
	LOOKUP(6);
	LOOKUP(7);
	LOOKUP(8);
	LOOKUP(9);
	LOOKUP(10);
	LOOKUP(11);
	LOOKUP(12);
	LOOKUP(13);
	LOOKUP(14);
	LOOKUP(15);
	LOOKUP(16);
	LOOKUP(17);
	LOOKUP(18);
	LOOKUP(19);
	LOOKUP(20);
	LOOKUP(21);
	LOOKUP(22);
	LOOKUP(23);
	LOOKUP(24);
	LOOKUP(25);
	LOOKUP(26);
	LOOKUP(27);
	LOOKUP(28);
	LOOKUP(29);
	LOOKUP(30);
	LOOKUP(31);
	again = bpf_map_lookup_elem(&locks, &last);
	if (!again)
		return 1;
	TAKE(0);
	TAKE(1);
	TAKE(2);
	TAKE(3);
	TAKE(4);
	TAKE(5);
	TAKE(6);
	TAKE(7);
	TAKE(8);
	TAKE(9);
	TAKE(10);
	TAKE(11);
	TAKE(12);
	TAKE(13);
	TAKE(14);
	TAKE(15);
	TAKE(16);
	TAKE(17);
	TAKE(18);
	TAKE(19);
	TAKE(20);
	TAKE(21);
	TAKE(22);
	TAKE(23);
	TAKE(24);
	TAKE(25);
	TAKE(26);
	TAKE(27);
	TAKE(28);
	TAKE(29);
	TAKE(30);
	TAKE(31);
	err = bpf_res_spin_lock(&again->lock);
	if (!err) {
		/* Not expected: release it and report success (0) as the anomaly. */
		bpf_res_spin_unlock(&again->lock);
	}
	bpf_res_spin_unlock(&held[31]->lock);
	RELEASE(31);
	RELEASE(30);
	RELEASE(29);
	RELEASE(28);
	RELEASE(27);
	RELEASE(26);
	RELEASE(25);
	RELEASE(24);
	RELEASE(23);
	RELEASE(22);
	RELEASE(21);
	RELEASE(20);
	RELEASE(19);
	RELEASE(18);
	RELEASE(17);
	RELEASE(16);
	RELEASE(15);
	RELEASE(14);
	RELEASE(13);
	RELEASE(12);
	RELEASE(11);
	RELEASE(10);
	RELEASE(9);
	RELEASE(8);
	RELEASE(7);
	RELEASE(6);
	RELEASE(5);
	RELEASE(4);
	RELEASE(3);
	RELEASE(2);
	RELEASE(1);
release_0:
	return err;
}

char _license[] SEC("license") = "GPL";
