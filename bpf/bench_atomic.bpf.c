/* bench/programs.ts: BPF_ATOMIC on a map value and on the stack, 250 iterations of 64-bit add,
 * fetch-add, or, xor, fetch-and, xchg and cmpxchg, and 32-bit add. The map value is shared memory in the emulator (every emulated
 * CPU sees it), the stack is not: the two paths an atomic takes there. XDP for `repeat`. */
#include "bpfkit.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64[4]);
} bench_atomics SEC(".maps");

SEC("xdp")
int bench_atomic(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&bench_atomics, &key);
	volatile __u64 stack[2] = { 1, 2 };
	__u64 seen = 0;

	if (!v)
		return 0;
	/* Each run from the same value: its result does not depend on how many ran before (bench/programs.ts
	 * compares the engines' retvals). */
	v[0] = 0xfffffff0;
	v[1] = 0;
	v[2] = 5;
	v[3] = 0;
#pragma clang loop unroll(disable)
	for (int i = 0; i < 250; i++) {
		__sync_fetch_and_add(&v[0], 0x10000001);
		seen += __sync_fetch_and_add(&v[1], i);
		__sync_fetch_and_or(&v[2], i);
		__sync_fetch_and_add((__u32 *)&v[2], 3);
		__sync_fetch_and_xor(&v[3], seen);
		seen ^= __sync_val_compare_and_swap(&v[2], seen, i);
		seen += __sync_lock_test_and_set(&v[3], seen);
		__sync_fetch_and_add((__u64 *)&stack[0], i);
		seen += __sync_fetch_and_and((__u64 *)&stack[1], seen | 1);
	}
	return (__u32)(seen ^ (seen >> 32));
}

char _license[] SEC("license") = "GPL";
