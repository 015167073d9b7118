/* bpf_for_each_map_elem (helper 164) over a hash, an array and a per-CPU array, compared with the kernel
 * by test/diff/programs.test.ts. The hash is BPF_F_ZERO_SEED so its bucket order, and with it the order
 * the callback sees the elements, is the same on every run and engine: the program records that order
 * in .bss. The callback doubles each value in place, stops at ctx->stop_at, and the program also checks
 * that flags other than 0 are EINVAL. The per-CPU walk must hand the value of the CPU the program runs
 * on (set to 5 through bpf_map_lookup_elem first). */
#include "bpfkit.h"

struct bpf_map;

struct args {
	__u32 count;   /* keys 1..count go into the hash */
	__u32 stop_at; /* the callback returns 1 on this key (0: never) */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32);
	__uint(map_flags, BPF_F_ZERO_SEED);
	__type(key, __u32);
	__type(value, __u64);
} elems SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 6);
	__type(key, __u32);
	__type(value, __u64);
} slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u32);
} per_cpu SEC(".maps");

__u32 order[32];
__u32 seen;
long visited_hash, visited_array, visited_percpu, bad_flags;

struct walk {
	__u32 stop_at;
	__u32 n;
	__u64 sum;
};

static long on_hash(struct bpf_map *map, __u32 *key, __u64 *value, struct walk *w)
{
	__u32 n = w->n;

	if (n < 32)
		order[n] = *key;
	w->n = n + 1;
	w->sum += *value;
	*value *= 2;
	return *key == w->stop_at ? 1 : 0;
}

static long on_array(struct bpf_map *map, __u32 *key, __u64 *value, struct walk *w)
{
	*value += *key * 100 + 1;
	w->sum += *value;
	return 0;
}

/* The CPU a test run lands on is the scheduler's choice, so this leaves every slot zero again: what it
 * saw of this CPU's values goes into the sum. */
static long on_percpu(struct bpf_map *map, __u32 *key, __u32 *value, struct walk *w)
{
	w->sum += *value * 1000 + *key;
	*value = 0;
	w->n++;
	return *key == 1;
}

SEC("syscall")
int walk_maps(struct args *ctx)
{
	struct walk w = { .stop_at = ctx->stop_at };
	__u32 count = ctx->count;

	for (int i = 1; i <= 32; i++) {
		/* the key's address goes to the helper, so it is a copy: the loop counter stays a register
		 * the verifier can bound */
		__u32 key = i;
		__u64 v = i * 10;

		if (i > count)
			break;
		bpf_map_update_elem(&elems, &key, &v, BPF_ANY);
	}
	visited_hash = bpf_for_each_map_elem(&elems, on_hash, &w, 0);
	seen = w.n;
	visited_array = bpf_for_each_map_elem(&slots, on_array, &w, 0);
	__u32 one = 1;
	__u32 *mine = bpf_map_lookup_elem(&per_cpu, &one);

	if (mine)
		*mine = 5;
	visited_percpu = bpf_for_each_map_elem(&per_cpu, on_percpu, &w, 0);
	bad_flags = bpf_for_each_map_elem(&slots, on_array, &w, 1);
	return (int)(w.sum & 0x7fffffff);
}

/* An LRU walked half-way through filling it past full: the walk must not set the elements' ref bits
 * (hashtab.c bpf_for_each_hash_elem reads them in place, no bpf_lru_node_set_ref), so which keys the later
 * inserts evict shows whether it did. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} lru SEC(".maps");

static long on_lru(struct bpf_map *map, __u32 *key, __u64 *value, struct walk *w)
{
	w->sum += *value;
	w->n++;
	return 0;
}

/* Keys 1..count go into the LRU; after key stop_at, one walk over it. Returns how many elements the walk saw. */
SEC("syscall")
int walk_lru(struct args *ctx)
{
	struct walk w = {};
	__u32 count = ctx->count;
	__u32 stop_at = ctx->stop_at;

	for (int i = 1; i <= 32; i++) {
		__u32 key = i;
		__u64 v = i;

		if (i > count)
			break;
		bpf_map_update_elem(&lru, &key, &v, BPF_ANY);
		if (i == stop_at)
			bpf_for_each_map_elem(&lru, on_lru, &w, 0);
	}
	return w.n;
}

char _license[] SEC("license") = "GPL";
