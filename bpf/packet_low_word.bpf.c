/* A packet pointer tested for NULL on its low word alone, as clang sometimes compiles a u32-loaded
 * skb->data: a kernel pointer's low word is never 0, so the verifier takes the branch to be dead and the run
 * returns 2. Written in assembly to pin the 32-bit compare; test/diff/packet-low-word.test.ts runs both. */
#include <stddef.h>
#include "bpfkit.h"

/* r0 = 2, or 1 when w2 (a packet pointer's low word) is 0. */
#define RETURN_2_UNLESS_LOW_WORD_0 "r0 = 2; if w2 != 0 goto .Ldone%=; r0 = 1; .Ldone%=: exit;"

SEC("tc")
__attribute__((naked)) int tc_data_low_word(void)
{
	asm volatile("r2 = *(u32 *)(r1 + %[data]);"
		     RETURN_2_UNLESS_LOW_WORD_0
		     :: [data] "i"(offsetof(struct __sk_buff, data)) : "memory");
}

/* The same after bpf_skb_change_head pushed more than the headroom the test run reserved. */
SEC("tc")
__attribute__((naked)) int tc_pushed_low_word(void)
{
	asm volatile("r6 = r1;"
		     "r2 = 128;"
		     "r3 = 0;"
		     "call %[change_head];"
		     "r2 = *(u32 *)(r6 + %[data]);"
		     RETURN_2_UNLESS_LOW_WORD_0
		     :: [data] "i"(offsetof(struct __sk_buff, data)), [change_head] "i"(BPF_FUNC_skb_change_head) : "memory");
}

SEC("xdp")
__attribute__((naked)) int xdp_data_low_word(void)
{
	asm volatile("r2 = *(u32 *)(r1 + %[data]);"
		     RETURN_2_UNLESS_LOW_WORD_0
		     :: [data] "i"(offsetof(struct xdp_md, data)) : "memory");
}

char LICENSE[] SEC("license") = "GPL";
