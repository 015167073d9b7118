/* Global variables set before load (openObject's `constants` option): a `const volatile` in .rodata the
 * verifier reads as a constant once libbpf froze the map, so the branch on it that the constant rules out
 * is never walked; initial values of .data and .bss variables; a static variable, which has no name to set. */
#include "bpfkit.h"

const volatile __u32 max_tokens = 0;   /* .rodata: 0 leaves the refused path reachable */
const volatile __s16 bias = -2;        /* .rodata */
__u32 seen = 7;                        /* .data */
__u64 total;                           /* .bss */
static volatile __u32 calls;           /* .bss, static: not settable by name */

SEC("syscall")
int guarded(void *ctx)
{
	if (max_tokens == 0) {
		/* Reads 8 bytes above the frame: the verifier refuses this path, so the program loads only
		 * when max_tokens is known not to be 0. */
		asm volatile("r0 = *(u64 *)(r10 + 8); exit" ::: "r0");
	}
	calls += 1;
	total += max_tokens + seen;
	return max_tokens + bias;
}

char LICENSE[] SEC("license") = "GPL";
