/* Refused before load by bpfkit: the kernel allows bpf_spin_lock only in HASH and ARRAY values (and local
 * storages; kernel/bpf/syscall.c map_check_btf), so an LRU map with a locked value cannot be created. */
#include "lock_fixture.h"

COUNTER_MAP(lru_counter, BPF_MAP_TYPE_LRU_HASH, 8);

SEC("tc")
int lru_inc(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct counter *c = bpf_map_lookup_elem(&lru_counter, &key);

	if (!c)
		return 1;
	bpf_spin_lock(&c->lock);
	c->count++;
	bpf_spin_unlock(&c->lock);
	return 0;
}

char _license[] SEC("license") = "GPL";
