/* A producer and a consumer over a QUEUE, a STACK and a BLOOM_FILTER (helpers 87-89: bpf_map_push_elem,
 * bpf_map_pop_elem, bpf_map_peek_elem), run with BPF_PROG_TEST_RUN as tc programs (a sleepable program may
 * not use a bloom filter). Their arguments and results are global variables: every helper's return code and
 * every value popped lands in .bss, and test/diff/keyless-programs.test.ts compares them, the retval and the
 * maps afterwards with the kernel's. The "?" programs are refused by the verifier, each for one rule. */
#include "bpfkit.h"

#define SLOTS 8

/* In: how many values to push or pop (at most SLOTS), the first value (base, base + 1, ...), push flags. */
__u32 count, base;
__u64 flags;
/* Out: each call's return code, per map (queue, stack, bloom filter); each value popped (0 when empty). */
__s64 rc[3][SLOTS];
__u32 got[2][SLOTS];
/* The value a bloom filter is asked about. Not on the stack: 7.2's stack liveness takes the helper's
 * prototype (the value written, MEM_UNINIT) for a bloom filter's peek too (which reads it), and refuses the
 * read of the store it thought dead ("slot poisoned by dead code elimination"). */
__u32 probe;

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 4);
	__type(value, __u32);
} fifo SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 4);
	__type(value, __u32);
} lifo SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 8);
	__uint(map_flags, BPF_F_ZERO_SEED);
	__uint(map_extra, 2);
	__type(value, __u32);
} seen SEC(".maps");

/* Filled by flood() from several CPUs at once. */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 4096);
	__type(value, __u64);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 4);
	__uint(map_flags, BPF_F_RDONLY_PROG);
	__type(value, __u32);
} readonly SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} table SEC(".maps");

/* Pushes base .. base + count - 1 into the queue, the stack and the bloom filter; returns the last push's
 * code. The loops branch only on their bounds, so a verifier that prunes no path walks few of them. */
SEC("tc")
int produce(struct __sk_buff *skb)
{
	__u32 n = count, first = base;
	__u64 f = flags;
	long last = 0;

	for (__u32 i = 0; i < SLOTS && i < n; i++) {
		__u32 v = first + i;

		last = bpf_map_push_elem(&fifo, &v, f);
		rc[0][i] = last;
		rc[1][i] = bpf_map_push_elem(&lifo, &v, f);
		rc[2][i] = bpf_map_push_elem(&seen, &v, f);
	}
	return last;
}

/* Pops count values from the queue and the stack (a failed pop leaves zeros: the map's op clears the
 * value), and asks the bloom filter about base .. base + count - 1. Returns what a peek at the queue sees. */
SEC("tc")
int consume(struct __sk_buff *skb)
{
	__u32 n = count, first = base;
	__u32 head = 0xdeadbeef;

	for (__u32 i = 0; i < SLOTS && i < n; i++) {
		__u32 v = 0xdeadbeef, w = 0xdeadbeef;

		rc[0][i] = bpf_map_pop_elem(&fifo, &v);
		got[0][i] = v;
		rc[1][i] = bpf_map_pop_elem(&lifo, &w);
		got[1][i] = w;
		probe = first + i;
		rc[2][i] = bpf_map_peek_elem(&seen, &probe);
	}
	if (bpf_map_peek_elem(&fifo, &head))
		return -1;
	return head;
}

/* Pushes count (at most 512) values (CPU << 32 | i) into `events`, for runs on several CPUs at once; returns
 * the pushes' codes or'ed (0 when every one succeeded). */
SEC("tc")
int flood(struct __sk_buff *skb)
{
	__u64 cpu = bpf_get_smp_processor_id();
	__u32 n = count;
	long failed = 0;

	for (__u32 i = 0; i < 512 && i < n; i++) {
		__u64 v = cpu << 32 | i;

		failed |= bpf_map_push_elem(&events, &v, 0);
	}
	return failed;
}

/* A sleepable program may use a queue (check_map_prog_compatibility)... */
SEC("?syscall")
int sleepable_queue(void *ctx)
{
	__u32 v = 7;

	return bpf_map_push_elem(&fifo, &v, 0);
}

/* ... but not a bloom filter. */
SEC("?syscall")
int sleepable_bloom(void *ctx)
{
	__u32 v = 7;

	return bpf_map_push_elem(&seen, &v, 0);
}

/* A queue has no keys to look up by: the zero-sized key is refused before the map type is. */
SEC("?tc")
int lookup_queue(struct __sk_buff *skb)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(&fifo, &key) ? 1 : 0;
}

/* check_map_func_compatibility: a hash map has no pop. */
SEC("?tc")
int pop_hash(struct __sk_buff *skb)
{
	__u32 v;

	return bpf_map_pop_elem(&table, &v);
}

/* ... and a bloom filter cannot give anything back. */
SEC("?tc")
int pop_bloom(struct __sk_buff *skb)
{
	__u32 v;

	return bpf_map_pop_elem(&seen, &v);
}

/* record_func_map: a BPF_F_RDONLY_PROG map is not the program's to change. */
SEC("?tc")
int push_readonly(struct __sk_buff *skb)
{
	__u32 v = 1;

	return bpf_map_push_elem(&readonly, &v, 0);
}

char _license[] SEC("license") = "GPL";
