/* A bounded loop the verifier walks iteration by iteration, close to its one-million-instruction budget:
 * a checksum over a map value's words, 65536 rounds with the index in the address, so the verifier
 * tracks the index exactly and no two iterations' states are alike. bench/verifier.ts times its
 * verification on both engines; test/diff/parser.test.ts checks that both accept it. */
#include "bpfkit.h"

#define ROUNDS 65536
#define WORDS 64

struct loop_state {
	__u64 seed;
	__u64 hash;
	__u64 words[WORDS];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct loop_state);
} loop_states SEC(".maps");

SEC("xdp")
int bounded_loop(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct loop_state *s = bpf_map_lookup_elem(&loop_states, &key);
	__u64 h;

	if (!s)
		return XDP_ABORTED;
	h = s->seed ^ 0xcbf29ce484222325ULL;
#pragma clang loop unroll(disable)
	for (__u32 i = 0; i < ROUNDS; i++) {
		/* FNV-1a over the round number, folded into the word the round selects. */
		h = (h ^ i) * 0x100000001b3ULL;
		s->words[i % WORDS] += h;
	}
	s->hash = h;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
