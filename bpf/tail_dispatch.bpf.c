/* A tail-call dispatcher (BPF_MAP_TYPE_PROG_ARRAY, bpf_tail_call) run with BPF_PROG_TEST_RUN as tc programs.
 * `dispatch` jumps by the packet's EtherType to a handler the prog array holds, from libbpf's
 * __array(values, ...) initialiser or set by userspace; `by_index` jumps to slot `target`, falling through
 * (its own return) when the index is past the array or the slot empty; `chain` jumps to itself until the
 * kernel's limit of tail calls per run (MAX_TAIL_CALL_CNT) makes the call fall through; `from_subprog` tail-calls
 * from a bpf-to-bpf function, whose caller then gets the target's return value. Each program counts its
 * entries in .bss: test/diff/tail-calls.test.ts compares them and the retvals with the kernel's. */
#include "bpfkit.h"
#include <bpf/bpf_endian.h>

#define SLOTS 8
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD

/* In: the slot by_index and from_subprog jump to. Out: how often each program ran. */
__u32 target;
__u32 entered[6];

int handle_ipv4(struct __sk_buff *skb);
int handle_ipv6(struct __sk_buff *skb);
int chain(struct __sk_buff *skb);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, SLOTS);
	__uint(key_size, sizeof(__u32));
	__array(values, int (void *));
} jumps SEC(".maps") = {
	.values = {
		[0] = (void *)&handle_ipv4,
		[1] = (void *)&handle_ipv6,
		[3] = (void *)&chain,
	},
};

SEC("tc")
int dispatch(struct __sk_buff *skb)
{
	entered[0]++;
	if (skb->protocol == bpf_htons(ETH_P_IP))
		bpf_tail_call(skb, &jumps, 0);
	else if (skb->protocol == bpf_htons(ETH_P_IPV6))
		bpf_tail_call(skb, &jumps, 1);
	return 99; /* no handler for the protocol, or its slot is empty */
}

SEC("tc")
int handle_ipv4(struct __sk_buff *skb)
{
	entered[1]++;
	return 40 + (skb->len & 0xff) % 7;
}

SEC("tc")
int handle_ipv6(struct __sk_buff *skb)
{
	entered[2]++;
	return 60;
}

SEC("tc")
int chain(struct __sk_buff *skb)
{
	entered[3]++;
	bpf_tail_call(skb, &jumps, 3);
	return 1000 + entered[3]; /* reached once the tail calls run out */
}

SEC("tc")
int by_index(struct __sk_buff *skb)
{
	entered[4]++;
	bpf_tail_call(skb, &jumps, target);
	return 100 + target;
}

/* Its fall-through value depends on the packet: a constant would let clang fold it into the caller, which
 * then ignores what the tail call's target returned. */
static __attribute__((noinline)) int jump(struct __sk_buff *skb)
{
	bpf_tail_call(skb, &jumps, target);
	return 7 + (skb->len & 1);
}

SEC("tc")
int from_subprog(struct __sk_buff *skb)
{
	int ret = jump(skb);

	entered[5]++;
	return ret; /* not ret + c: clang knows jump() returns 7 or 8 and would turn a sum into a bitwise or */
}

char LICENSE[] SEC("license") = "GPL";
