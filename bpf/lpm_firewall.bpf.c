/* An IPv4 firewall over an LPM_TRIE: filter() looks the packet's source address up in `rules` (the longest
 * prefix that covers it decides: XDP_DROP or XDP_PASS) and counts what it did in `counters`; learn() adds the
 * source's /24 to the trie from the program (bpf_map_update_elem with the flags in `learn_flags`) and forget()
 * deletes it (bpf_map_delete_elem), each leaving its helper's return code in .bss; churn() changes another trie
 * from several CPUs at once. Run with BPF_PROG_TEST_RUN
 * by test/diff/lpm-programs.test.ts on both engines. The "?" programs are refused by the verifier. */
#include "bpfkit.h"

#define ETH_HLEN 14
#define ETH_P_IP 0x0800

/* struct bpf_lpm_trie_key_u8 with 4 bytes of data: an IPv4 prefix. */
struct ipv4_prefix {
	__u32 prefixlen;
	__u8 data[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ipv4_prefix);
	__type(value, __u32);
} rules SEC(".maps");

enum { PASSED, DROPPED, UNMATCHED, NOT_IPV4, NCOUNTERS };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NCOUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* learn()'s update flags; learn() and forget() leave their helper's result here. */
__u64 learn_flags;
__s64 learn_rc, forget_rc;
/* filter(): the action found for the last packet (0 when none matched). */
__u32 last_action;

static __always_inline void count(__u32 what)
{
	__u64 *n = bpf_map_lookup_elem(&counters, &what);

	if (n)
		__sync_fetch_and_add(n, 1);
}

/* The packet's IPv4 source address into key->data, or -1 when it is not an IPv4 packet. */
static __always_inline int source(struct xdp_md *ctx, struct ipv4_prefix *key)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;

	if (data + ETH_HLEN + 20 > end)
		return -1;
	if (((data[12] << 8) | data[13]) != ETH_P_IP || (data[ETH_HLEN] >> 4) != 4)
		return -1;
	key->prefixlen = 32;
	__builtin_memcpy(key->data, data + ETH_HLEN + 12, 4);
	return 0;
}

SEC("xdp")
int filter(struct xdp_md *ctx)
{
	struct ipv4_prefix key;
	__u32 *action;

	if (source(ctx, &key)) {
		count(NOT_IPV4);
		return XDP_PASS;
	}
	action = bpf_map_lookup_elem(&rules, &key);
	if (!action) {
		last_action = 0;
		count(UNMATCHED);
		return XDP_PASS;
	}
	last_action = *action;
	if (*action == XDP_DROP) {
		count(DROPPED);
		return XDP_DROP;
	}
	count(PASSED);
	return XDP_PASS;
}

SEC("xdp")
int learn(struct xdp_md *ctx)
{
	struct ipv4_prefix key;
	__u32 action = XDP_DROP;

	if (source(ctx, &key))
		return XDP_ABORTED;
	key.prefixlen = 24;
	key.data[3] = 0;
	learn_rc = bpf_map_update_elem(&rules, &key, &action, learn_flags);
	return XDP_PASS;
}

SEC("xdp")
int forget(struct xdp_md *ctx)
{
	struct ipv4_prefix key;

	if (source(ctx, &key))
		return XDP_ABORTED;
	key.prefixlen = 24;
	key.data[3] = 0;
	forget_rc = bpf_map_delete_elem(&rules, &key);
	return XDP_PASS;
}

/* A value written through the pointer a lookup returned changes the map: the next lookup sees it. */
SEC("xdp")
int escalate(struct xdp_md *ctx)
{
	struct ipv4_prefix key;
	__u32 *action;

	if (source(ctx, &key))
		return XDP_ABORTED;
	action = bpf_map_lookup_elem(&rules, &key);
	if (action)
		*action = XDP_DROP;
	return XDP_PASS;
}

/* Filled and emptied by churn() from several CPUs at once. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ipv4_prefix);
	__type(value, __u32);
} churn_trie SEC(".maps");

struct churn_state {
	struct ipv4_prefix key;
	long failed;
	int deleting;
};

static long churn_one(__u32 i, struct churn_state *c)
{
	__u32 value = i;

	c->key.data[3] = i;
	if (!c->deleting)
		c->failed |= bpf_map_update_elem(&churn_trie, &c->key, &value, BPF_NOEXIST);
	else
		c->failed |= bpf_map_delete_elem(&churn_trie, &c->key);
	return 0;
}

/* Adds the /32s a.b.c.0 to a.b.c.255 of the packet's source a.b.c.d (BPF_NOEXIST), then deletes them again
 * (two bpf_loop walks, which the verifier checks once): XDP_PASS when every helper call succeeded, else
 * XDP_ABORTED. Runs with other sources may change the trie meanwhile, from other CPUs. */
SEC("xdp")
int churn(struct xdp_md *ctx)
{
	struct churn_state c = {};

	if (source(ctx, &c.key))
		return XDP_ABORTED;
	bpf_loop(256, churn_one, &c, 0);
	c.deleting = 1;
	bpf_loop(256, churn_one, &c, 0);
	return c.failed ? XDP_ABORTED : XDP_PASS;
}

/* An LPM trie is not a queue: check_map_func_compatibility refuses bpf_map_push_elem on it. */
SEC("?xdp")
int push_to_trie(struct xdp_md *ctx)
{
	__u32 action = XDP_PASS;

	return bpf_map_push_elem(&rules, &action, 0);
}

/* The key is key_size (8) bytes read from the stack: a 4-byte one leaves half of it uninitialized. */
SEC("?xdp")
int short_key(struct xdp_md *ctx)
{
	__u32 half = 32;
	__u32 *action;

	action = bpf_map_lookup_elem(&rules, &half);
	return action ? *action : XDP_PASS;
}

static long count_rule(void *map, struct ipv4_prefix *key, __u32 *action, long *n)
{
	*n += 1;
	return 0;
}

/* Only hash and array maps can be walked (map_for_each_callback): "callback function not allowed for map". */
SEC("?xdp")
int walk_trie(struct xdp_md *ctx)
{
	long n = 0;

	bpf_for_each_map_elem(&rules, count_rule, &n, 0);
	return n ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
