/* A SEC("syscall") program (BPF_PROG_TYPE_SYSCALL): it takes a ctx from userspace and no packet, and the
 * kernel refuses repeat and data_in for it (net/bpf/test_run.c bpf_prog_test_run_syscall), so bpfkit
 * loops in userspace. It adds ctx->add to a counter and returns the new low 32 bits. */
#include "bpfkit.h"

struct args {
	__u32 add;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} total SEC(".maps");

SEC("syscall")
int add_to_total(struct args *ctx)
{
	__u32 key = 0;
	__u64 *t = bpf_map_lookup_elem(&total, &key);

	if (!t)
		return -1;
	__sync_fetch_and_add(t, ctx->add);
	return (int)*t;
}

char _license[] SEC("license") = "GPL";
