/* Objects a program allocates (bpf_obj_new, 6.2+) kept in a map value's kptr field between runs with
 * bpf_kptr_xchg (local kptrs, 6.4+), and the verifier's rules for kptr fields, one refused program each
 * (SEC("?tc"): loaded only when a test names it). The kfuncs are __weak so the object opens without them. */
#include "bpfkit.h"
#include <bpf/bpf_core_read.h>

extern void *bpf_obj_new_impl(__u64 local_type_id, void *meta) __ksym __weak;
extern void bpf_obj_drop_impl(void *obj, void *meta) __ksym __weak;

#define obj_new(type) ((type *)bpf_obj_new_impl(bpf_core_type_id_local(type), 0))
#define obj_drop(p) bpf_obj_drop_impl(p, 0)
#define __kptr __attribute__((btf_type_tag("kptr")))
#define __kptr_untrusted __attribute__((btf_type_tag("kptr_untrusted")))

struct flow {
	__u64 packets;
	__u64 bytes;
};

struct other {
	__u64 x;
	__u64 y;
};

struct slot {
	__u64 tag;
	struct flow __kptr *flow;
	struct flow __kptr_untrusted *seen;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct slot);
} stash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct slot);
} hstash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} plain SEC(".maps");

static struct slot *slot_of(struct __sk_buff *skb)
{
	__u32 key = skb->mark & 3;

	return bpf_map_lookup_elem(&stash, &key);
}

/* Puts a new flow of this packet's length in slot mark & 3; 3 when the slot held one (dropped). */
SEC("tc")
int stash_put(struct __sk_buff *skb)
{
	struct slot *s = slot_of(skb);
	struct flow *f;

	if (!s)
		return 1;
	f = obj_new(struct flow);
	if (!f)
		return 2;
	f->packets = 1;
	f->bytes = skb->len;
	f = bpf_kptr_xchg(&s->flow, f);
	if (f) {
		obj_drop(f);
		return 3;
	}
	return 0;
}

/* Takes the flow out of slot mark & 3: its bytes, or 100 when the slot was empty. */
SEC("tc")
int stash_take(struct __sk_buff *skb)
{
	struct slot *s = slot_of(skb);
	struct flow *f;
	__u64 bytes;

	if (!s)
		return 1;
	f = bpf_kptr_xchg(&s->flow, NULL);
	if (!f)
		return 100;
	bytes = f->bytes;
	obj_drop(f);
	return bytes;
}

/* As stash_put, in a hash map's element for key mark & 3, made (empty) when missing. */
SEC("tc")
int hash_put(struct __sk_buff *skb)
{
	__u32 key = skb->mark & 3;
	struct slot empty = {}, *s;
	struct flow *f;

	s = bpf_map_lookup_elem(&hstash, &key);
	if (!s) {
		bpf_map_update_elem(&hstash, &key, &empty, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&hstash, &key);
		if (!s)
			return 1;
	}
	f = obj_new(struct flow);
	if (!f)
		return 2;
	f->bytes = skb->len;
	f = bpf_kptr_xchg(&s->flow, f);
	if (f) {
		obj_drop(f);
		return 3;
	}
	return 0;
}

SEC("?tc")
int leak_taken(struct __sk_buff *skb)
{
	struct slot *s = slot_of(skb);
	struct flow *f;

	if (!s)
		return 1;
	f = bpf_kptr_xchg(&s->flow, NULL);
	if (!f)
		return 100;
	return f->bytes;
}

SEC("?tc")
int store_direct(struct __sk_buff *skb)
{
	struct slot *s = slot_of(skb);

	if (!s)
		return 1;
	*(volatile __u64 *)&s->flow = 0;
	return 0;
}

SEC("?tc")
int read_half(struct __sk_buff *skb)
{
	struct slot *s = slot_of(skb);

	if (!s)
		return 1;
	return *(volatile __u32 *)&s->flow;
}

SEC("?tc")
int xchg_not_kptr(struct __sk_buff *skb)
{
	struct slot *s = slot_of(skb);
	struct flow *f;

	if (!s)
		return 1;
	f = bpf_kptr_xchg((void *)&s->tag, NULL);
	if (f)
		obj_drop(f);
	return 0;
}

SEC("?tc")
int xchg_untrusted(struct __sk_buff *skb)
{
	struct slot *s = slot_of(skb);
	struct flow *f;

	if (!s)
		return 1;
	f = bpf_kptr_xchg(&s->seen, NULL);
	if (f)
		obj_drop(f);
	return 0;
}

SEC("?tc")
int xchg_no_kptrs(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&plain, &key);
	struct flow *f;

	if (!v)
		return 1;
	f = bpf_kptr_xchg(v, NULL);
	if (f)
		obj_drop(f);
	return 0;
}

SEC("?tc")
int xchg_wrong_type(struct __sk_buff *skb)
{
	struct slot *s = slot_of(skb);
	struct other *o;

	if (!s)
		return 1;
	o = obj_new(struct other);
	if (!o)
		return 2;
	o = bpf_kptr_xchg(&s->flow, o);
	if (o)
		obj_drop(o);
	return 0;
}

SEC("?tc")
int drop_unchecked(struct __sk_buff *skb)
{
	struct flow *f = obj_new(struct flow);

	obj_drop(f);
	return 0;
}

SEC("?tc")
int helper_over_kptr(struct __sk_buff *skb)
{
	struct slot *s = slot_of(skb);

	if (!s)
		return 1;
	bpf_skb_load_bytes(skb, 0, s, sizeof(*s));
	return 0;
}

char _license[] SEC("license") = "GPL";
