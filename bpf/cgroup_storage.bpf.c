/* cgroup_skb programs on CGROUP_STORAGE and PERCPU_CGROUP_STORAGE (bpf_get_local_storage) run with
 * BPF_PROG_TEST_RUN: each test run gets its storage zeroed (net/bpf/test_run.c bpf_cgroup_storages_alloc) and
 * its repeats share it, so the counts a run leaves in .bss are its repeat count. The shared storage's counter is
 * taken under its bpf_spin_lock, as runs on several CPUs at once would need. The "?" programs are refused by the
 * verifier: get_local_storage with flags, and two cgroup storages of one type. Compared with the kernel by
 * test/diff/cgroup-storage.test.ts. */
#include "bpfkit.h"

struct counted {
	struct bpf_spin_lock lock;
	__u32 runs;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_STORAGE);
	__type(key, struct bpf_cgroup_storage_key);
	__type(value, struct counted);
} shared_store SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_STORAGE);
	__type(key, __u64);
	__type(value, __u32);
} other_store SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE);
	__type(key, __u64);
	__type(value, __u64);
} cpu_store SEC(".maps");

/* Out: what the last repeat of the last run saw. */
__u32 runs_seen;
__u64 bytes_seen, cpu_seen;

SEC("cgroup_skb/ingress")
int count_ingress(struct __sk_buff *skb)
{
	struct counted *c = bpf_get_local_storage(&shared_store, 0);
	__u64 *per_cpu = bpf_get_local_storage(&cpu_store, 0);

	bpf_spin_lock(&c->lock);
	c->runs++;
	c->bytes += skb->len;
	runs_seen = c->runs;
	bytes_seen = c->bytes;
	bpf_spin_unlock(&c->lock);
	*per_cpu += 2;
	cpu_seen = *per_cpu;
	return 1;
}

SEC("?cgroup_skb/ingress")
int storage_flags(struct __sk_buff *skb)
{
	struct counted *c = bpf_get_local_storage(&shared_store, 1);

	return c->runs & 1;
}

SEC("?cgroup_skb/egress")
int two_shared(struct __sk_buff *skb)
{
	struct counted *c = bpf_get_local_storage(&shared_store, 0);
	__u32 *o = bpf_get_local_storage(&other_store, 0);

	return (c->runs + *o) & 1;
}

char LICENSE[] SEC("license") = "GPL";
