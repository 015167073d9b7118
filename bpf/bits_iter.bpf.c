/* The bits iterator (kernel/bpf/helpers.c bpf_iter_bits_new/_next/_destroy, 6.11+): the set bits of a few
 * words of a global, summed and counted; the iterator's answers for no words, too many, and NULL. The kfuncs
 * are __weak so the object opens on a kernel without them; tests skip there. */
#include "bpfkit.h"

struct bpf_iter_bits {
	__u64 __opaque[2];
} __attribute__((aligned(8)));

extern int bpf_iter_bits_new(struct bpf_iter_bits *it, const __u64 *unsafe_ptr__ign, __u32 nr_words) __ksym __weak;
extern int *bpf_iter_bits_next(struct bpf_iter_bits *it) __ksym __weak;
extern void bpf_iter_bits_destroy(struct bpf_iter_bits *it) __ksym __weak;

__u64 words[8];
__u32 nr_words;
int null_ptr;
long rc_new;
__u64 sum;
__u32 count;
int last;

SEC("tc")
int bits_sum(struct __sk_buff *skb)
{
	struct bpf_iter_bits it;
	__u64 s = 0;
	__u32 n = 0;
	int *bit;

	rc_new = bpf_iter_bits_new(&it, null_ptr ? 0 : words, nr_words);
	while ((bit = bpf_iter_bits_next(&it))) {
		s += *bit;
		last = *bit;
		n++;
	}
	bpf_iter_bits_destroy(&it);
	sum = s;
	count = n;
	return 0;
}

/* An iterator used before bpf_iter_bits_new made it: refused (SEC("?tc"): loaded only when a test names it). */
SEC("?tc")
int next_before_new(struct __sk_buff *skb)
{
	struct bpf_iter_bits it = {};

	bpf_iter_bits_next(&it);
	return 0;
}

SEC("?tc")
int destroy_before_new(struct __sk_buff *skb)
{
	struct bpf_iter_bits it = {};

	bpf_iter_bits_destroy(&it);
	return 0;
}

char _license[] SEC("license") = "GPL";
