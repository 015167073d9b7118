/* bpf_loop's result as the kernel computes it, which depends on the call site (test/diff/programs.test.ts).
 *
 * kernel/bpf/verifier.c optimize_bpf_loop replaces a bpf_loop call by an inlined loop (inline_bpf_loop)
 * when, on every path the verifier walked to that call, flags (r4) was a known 0 and the callback was the
 * same subprogram (update_loop_inline_state, loop_flag_is_zero). The inlined loop compares the full 64-bit
 * r1 with BPF_MAX_LOOPS and sets r0 = -E2BIG with a 32-bit move (zero-extended: 0x00000000fffffff9); the
 * helper (kernel/bpf/bpf_iter.c bpf_loop, BPF_CALL_4 with a u32 nr_loops) truncates nr_loops to 32 bits
 * and returns -E2BIG as a long (0xfffffffffffffff9). libbpf's prototype takes a __u32, which would hide
 * the difference, so these programs call helper 181 through their own 64-bit prototype.
 *
 * loop_inlined passes flags as a literal 0 (the kernel inlines it); loop_helper passes flags read from the
 * ctx (not a known constant: the kernel calls the helper); loop_mixed reaches one call site with flags 0
 * on one path and flags from the ctx on the other (not inlined either: every path must agree). */
#include "bpfkit.h"

static long (*const loop64)(__u64 nr_loops, void *callback_fn, void *callback_ctx, __u64 flags) = (void *)181;

struct args {
	__u64 nr_loops;
	__u64 flags;    /* loop_helper, loop_mixed: passed as flags */
	__u32 stop_at;  /* the callback stops (returns 1) after this many calls; 0: never */
	__u32 use_zero; /* loop_mixed: flags is a literal 0 when set */
};

struct counter {
	__u32 stop_at;
	__u32 calls;
};

/* One record per run (a test runs a program several times on one object and compares the globals after):
 * bpf_loop's full 64-bit r0 and the number of callbacks made. */
struct record {
	__u64 result;
	__u64 calls;
};

struct record records[8];
__u32 runs;

static void record(__u64 result, __u32 calls)
{
	__u32 at = runs;

	if (at < 8) {
		records[at].result = result;
		records[at].calls = calls;
	}
	runs = at + 1;
}

static long count_call(__u64 index, struct counter *c)
{
	c->calls++;
	return c->stop_at != 0 && c->calls >= c->stop_at ? 1 : 0;
}

SEC("syscall")
int loop_inlined(struct args *ctx)
{
	struct counter c = { .stop_at = ctx->stop_at };

	__u64 result = loop64(ctx->nr_loops, count_call, &c, 0);
	record(result, c.calls);
	return 0;
}

SEC("syscall")
int loop_helper(struct args *ctx)
{
	struct counter c = { .stop_at = ctx->stop_at };

	__u64 result = loop64(ctx->nr_loops, count_call, &c, ctx->flags);
	record(result, c.calls);
	return 0;
}

SEC("syscall")
int loop_mixed(struct args *ctx)
{
	struct counter c = { .stop_at = ctx->stop_at };
	__u64 flags = ctx->use_zero ? 0 : ctx->flags;

	__u64 result = loop64(ctx->nr_loops, count_call, &c, flags);
	record(result, c.calls);
	return 0;
}

char _license[] SEC("license") = "GPL";
