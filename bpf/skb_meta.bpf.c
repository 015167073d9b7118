/* tc programs that change an skb's metadata with the helpers, run with BPF_PROG_TEST_RUN, each step's
 * result and the __sk_buff fields after it recorded in globals for test/diff/skb-meta.test.ts to compare:
 * skb_meta runs a script of bpf_skb_vlan_push / _vlan_pop / _change_proto / _change_type (ops[], args[]);
 * skb_hash calls bpf_get_hash_recalc, bpf_set_hash and bpf_set_hash_invalid in turn; tunnel_key reads the
 * tunnel key with bpf_skb_get_tunnel_key, before and after bpf_skb_set_tunnel_key. */
#include "bpfkit.h"

#define MAX_OPS 6

enum { OP_END, OP_VLAN_PUSH, OP_VLAN_POP, OP_CHANGE_PROTO, OP_CHANGE_TYPE };

struct seen {
	__s64 rc;
	__u32 len, protocol, vlan_present, vlan_tci, vlan_proto, pkt_type, data_len;
	__u32 pad;
};

__u32 ops[MAX_OPS];
__u64 arg1[MAX_OPS], arg2[MAX_OPS];
struct seen seen[MAX_OPS];

/* Keeps clang from reusing ctx + offset across a helper call: the verifier refuses a moved ctx pointer. */
#define fresh(ctx) asm volatile("" : "+r"(ctx))

static __always_inline void record(struct __sk_buff *skb, struct seen *s, long rc)
{
	fresh(skb);
	s->rc = rc;
	s->len = skb->len;
	s->protocol = skb->protocol;
	s->vlan_present = skb->vlan_present;
	s->vlan_tci = skb->vlan_tci;
	s->vlan_proto = skb->vlan_proto;
	s->pkt_type = skb->pkt_type;
	s->data_len = (long)skb->data_end - (long)skb->data;
}

SEC("tc")
int skb_meta(struct __sk_buff *skb)
{
	for (int i = 0; i < MAX_OPS; i++) {
		long rc;

		fresh(skb);
		switch (ops[i]) {
		case OP_VLAN_PUSH: rc = bpf_skb_vlan_push(skb, arg1[i], arg2[i]); break;
		case OP_VLAN_POP: rc = bpf_skb_vlan_pop(skb); break;
		case OP_CHANGE_PROTO: rc = bpf_skb_change_proto(skb, arg1[i], arg2[i]); break;
		case OP_CHANGE_TYPE: rc = bpf_skb_change_type(skb, arg1[i]); break;
		default: return 0;
		}
		record(skb, &seen[i], rc);
	}
	return 0;
}

__u32 set_hash_to;
__u32 hashes[8];

SEC("tc")
int skb_hash(struct __sk_buff *skb)
{
	hashes[0] = skb->hash;
	hashes[1] = bpf_get_hash_recalc(skb);
	fresh(skb);
	hashes[2] = skb->hash;
	bpf_set_hash_invalid(skb);
	fresh(skb);
	hashes[3] = skb->hash;
	bpf_set_hash(skb, set_hash_to);
	fresh(skb);
	hashes[4] = skb->hash;
	hashes[5] = bpf_get_hash_recalc(skb);
	bpf_set_hash_invalid(skb);
	hashes[6] = bpf_get_hash_recalc(skb);
	fresh(skb);
	hashes[7] = skb->hash;
	return 0;
}

/* set_size 0: no bpf_skb_set_tunnel_key. get_size: one of the sizes bpf_skb_get_tunnel_key knows, or not. */
__u32 set_size, get_size;
__u64 set_flags, get_flags;
__u8 set_key[sizeof(struct bpf_tunnel_key)]; /* the key's bytes: globals have no anonymous unions */
long rc_set, rc_get;
__u8 got[sizeof(struct bpf_tunnel_key)];

SEC("tc")
int tunnel_key(struct __sk_buff *skb)
{
	struct bpf_tunnel_key key;

	__builtin_memset(&key, 0xa5, sizeof(key));
	rc_set = 0;
	switch (set_size) {
	case 0: break;
	case 8: rc_set = bpf_skb_set_tunnel_key(skb, (void *)set_key, 8, set_flags); break;
	case 28: rc_set = bpf_skb_set_tunnel_key(skb, (void *)set_key, 28, set_flags); break;
	default: rc_set = bpf_skb_set_tunnel_key(skb, (void *)set_key, sizeof(set_key), set_flags); break;
	}
	fresh(skb);
	switch (get_size) {
	case 8: rc_get = bpf_skb_get_tunnel_key(skb, &key, 8, get_flags); break;
	case 22: rc_get = bpf_skb_get_tunnel_key(skb, &key, 22, get_flags); break;
	case 24: rc_get = bpf_skb_get_tunnel_key(skb, &key, 24, get_flags); break;
	case 28: rc_get = bpf_skb_get_tunnel_key(skb, &key, 28, get_flags); break;
	case 12: rc_get = bpf_skb_get_tunnel_key(skb, &key, 12, get_flags); break;
	default: rc_get = bpf_skb_get_tunnel_key(skb, &key, sizeof(key), get_flags); break;
	}
	__builtin_memcpy(got, &key, sizeof(key));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
