/* Raw tracepoint programs for BPF_PROG_TEST_RUN (net/bpf/test_run.c bpf_prog_test_run_raw_tp): the context is
 * the tracepoint's u64 argument array, given whole as ctx_in. `mix` reads the first three arguments (so the
 * verifier's max_ctx_offset is 24: a shorter ctx_in is refused) and returns a value built from all of them,
 * counting its runs per CPU; `cpu` returns the CPU it ran on (BPF_F_TEST_RUN_ON_CPU). `writable` is a
 * raw_tp.w program, and `first` reads only args[0]. `past_args` reads a 13th argument, which the verifier
 * refuses (a tracepoint has at most MAX_BPF_FUNC_ARGS). `typed` is the BTF-typed kind (tp_btf, a tracing
 * program), whose test run the kernel does not run. */
#include "bpfkit.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} runs SEC(".maps");

SEC("raw_tp/sys_enter")
int mix(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&runs, &key);

	if (n)
		*n += 1;
	return (int)(ctx->args[0] * 3 + (ctx->args[1] >> 32) - ctx->args[2]);
}

SEC("raw_tracepoint/sys_exit")
int first(struct bpf_raw_tracepoint_args *ctx)
{
	return (int)(ctx->args[0] >> 8);
}

SEC("raw_tp/sched_switch")
int cpu(void *ctx)
{
	return bpf_get_smp_processor_id();
}

SEC("raw_tp.w/bpf_test_finish")
int writable(struct bpf_raw_tracepoint_args *ctx)
{
	return 1;
}

SEC("raw_tp/sys_enter")
int past_args(struct bpf_raw_tracepoint_args *ctx)
{
	return (int)ctx->args[12];
}

SEC("tp_btf/sched_switch")
int typed(__u64 *ctx)
{
	return 1;
}

char _license[] SEC("license") = "GPL";
