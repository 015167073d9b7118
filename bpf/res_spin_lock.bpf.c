/* A counter incremented under bpf_res_spin_lock (Linux 6.15+) in a HASH, an ARRAY, and an ARRAY with the
 * irqsave variant. The lock can fail (-EDEADLK, -ETIMEDOUT); a failed run counts its errno in `stats`
 * and does not increment, so count + failures == runs. */
#define LOCK_FIXTURE_RES
#include "lock_fixture.h"

COUNTER_MAP(hash_counter, BPF_MAP_TYPE_HASH, 1);

COUNTER_MAP(array_counter, BPF_MAP_TYPE_ARRAY, 1);

COUNTER_MAP(irq_counter, BPF_MAP_TYPE_ARRAY, 1);

/* Failures by errno: [0] EDEADLK, [1] ETIMEDOUT, [2] any other. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline int count_failure(int err)
{
	__u32 slot = err == -BPFKIT_EDEADLK ? 0 : err == -BPFKIT_ETIMEDOUT ? 1 : 2;
	__u64 *n = bpf_map_lookup_elem(&stats, &slot);

	if (n)
		__sync_fetch_and_add(n, 1);
	return err;
}

static __always_inline int res_inc(struct counter *c)
{
	int err;

	if (!c)
		return 1;
	err = bpf_res_spin_lock(&c->lock);
	if (err)
		return count_failure(err);
	c->count++;
	bpf_res_spin_unlock(&c->lock);
	return 0;
}

SEC("tc")
int res_hash(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct counter zero = {};
	struct counter *c = bpf_map_lookup_elem(&hash_counter, &key);

	if (!c) {
		/* BPF_NOEXIST: a racing insert from another CPU must not replace a counted element. */
		bpf_map_update_elem(&hash_counter, &key, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&hash_counter, &key);
	}
	return res_inc(c);
}

SEC("tc")
int res_array(struct __sk_buff *skb)
{
	__u32 key = 0;

	return res_inc(bpf_map_lookup_elem(&array_counter, &key));
}

SEC("tc")
int res_array_irqsave(struct __sk_buff *skb)
{
	__u32 key = 0;
	unsigned long flags;
	struct counter *c = bpf_map_lookup_elem(&irq_counter, &key);
	int err;

	if (!c)
		return 1;
	err = bpf_res_spin_lock_irqsave(&c->lock, &flags);
	if (err)
		return count_failure(err);
	c->count++;
	bpf_res_spin_unlock_irqrestore(&c->lock, &flags);
	return 0;
}

char _license[] SEC("license") = "GPL";
