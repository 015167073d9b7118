/* Objects a program allocates for itself (bpf_obj_new, Linux 6.2+): a tally with a bpf_spin_lock inside,
 * taken and dropped within one run, and the verifier's rules for such objects, one refused program each
 * (SEC("?tc"): loaded only when a test names it). The kfuncs are declared __weak so the object opens on a
 * kernel without them; tests skip there. */
#include "bpfkit.h"
#include <bpf/bpf_core_read.h>

/* kernel/bpf/helpers.c; bpf_obj_new_impl takes the local type's BTF id (libbpf's CO-RE relocation). */
extern void *bpf_obj_new_impl(__u64 local_type_id, void *meta) __ksym __weak;
extern void bpf_obj_drop_impl(void *obj, void *meta) __ksym __weak;
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

#define obj_new(type) ((type *)bpf_obj_new_impl(bpf_core_type_id_local(type), 0))
#define obj_drop(p) bpf_obj_drop_impl(p, 0)

struct tally {
	struct bpf_spin_lock lock;
	__u32 packets;
	__u64 bytes;
};

struct pair {
	__u32 a;
	__u32 b;
};

struct res_slot {
	struct bpf_res_spin_lock lock;
	__u32 n;
};

/* What tally_packet leaves for userspace: the sum of what its runs computed. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} result SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct res_slot);
} slots SEC(".maps");

SEC("tc")
int tally_packet(struct __sk_buff *skb)
{
	struct tally *t = obj_new(struct tally);
	__u32 key = 0;
	__u64 *out, v;

	if (!t)
		return 1;
	/* bpf_obj_new zeroes only the special fields (bpf_obj_init): the rest is what the allocator had. */
	t->packets = 0;
	t->bytes = skb->len;
	bpf_spin_lock(&t->lock);
	t->packets += 2;
	t->bytes += t->packets;
	bpf_spin_unlock(&t->lock);
	v = t->bytes * 1000 + t->packets;
	obj_drop(t);
	out = bpf_map_lookup_elem(&result, &key);
	if (out)
		__sync_fetch_and_add(out, v);
	return v & 0xff;
}

/* "Unreleased reference": the object is neither dropped nor stored. */
SEC("?tc")
int leak(struct __sk_buff *skb)
{
	struct pair *p = obj_new(struct pair);

	if (!p)
		return 0;
	p->a = skb->len;
	return p->a;
}

/* "bpf_spin_unlock of different lock": two objects, two locks. */
SEC("?tc")
int unlock_other(struct __sk_buff *skb)
{
	struct tally *a = obj_new(struct tally), *b;

	if (!a)
		return 0;
	b = obj_new(struct tally);
	if (!b) {
		obj_drop(a);
		return 0;
	}
	bpf_spin_lock(&a->lock);
	bpf_spin_unlock(&b->lock);
	obj_drop(a);
	obj_drop(b);
	return 0;
}

/* "direct access to bpf_spin_lock is disallowed" */
SEC("?tc")
int touch_lock(struct __sk_buff *skb)
{
	struct tally *t = obj_new(struct tally);
	__u32 v;

	if (!t)
		return 0;
	v = *(volatile __u32 *)&t->lock;
	obj_drop(t);
	return v;
}

/* "access beyond struct pair": the object is only as large as its type. */
SEC("?tc")
int beyond(struct __sk_buff *skb)
{
	struct pair *p = obj_new(struct pair);
	__u32 v;

	if (!p)
		return 0;
	v = *(volatile __u32 *)((char *)p + sizeof(*p));
	obj_drop(p);
	return v;
}

/* After bpf_obj_drop the pointer is a scalar. */
SEC("?tc")
int use_after_drop(struct __sk_buff *skb)
{
	struct pair *p = obj_new(struct pair);

	if (!p)
		return 0;
	obj_drop(p);
	return *(volatile __u32 *)&p->b;
}

/* bpf_obj_new may return NULL. */
SEC("?tc")
int unchecked(struct __sk_buff *skb)
{
	struct pair *p = obj_new(struct pair);

	p->a = 1;
	obj_drop(p);
	return 0;
}

/* An allocated object is not per-CPU memory. */
SEC("?tc")
int not_percpu(struct __sk_buff *skb)
{
	struct pair *p = obj_new(struct pair);

	if (!p)
		return 0;
	bpf_this_cpu_ptr(p);
	obj_drop(p);
	return 0;
}

/* No allocation while a lock is held. */
SEC("?tc")
int new_in_lock(struct __sk_buff *skb)
{
	struct tally *t = obj_new(struct tally), *u;

	if (!t)
		return 0;
	bpf_spin_lock(&t->lock);
	u = obj_new(struct tally);
	bpf_spin_unlock(&t->lock);
	if (u)
		obj_drop(u);
	obj_drop(t);
	return 0;
}

/* Linux 6.15+: "local 'kptr' has no valid bpf_res_spin_lock" */
SEC("?tc")
int res_no_lock(struct __sk_buff *skb)
{
	struct pair *p = obj_new(struct pair);

	if (!p)
		return 0;
	if (!bpf_res_spin_lock((struct bpf_res_spin_lock *)p))
		bpf_res_spin_unlock((struct bpf_res_spin_lock *)p);
	obj_drop(p);
	return 0;
}

/* Linux 6.15+: a map value seen as a kernel struct (bpf_rdonly_cast) is no longer a map value to lock. */
SEC("?tc")
int res_cast(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct res_slot *s = bpf_map_lookup_elem(&slots, &key);
	struct bpf_res_spin_lock *l;

	if (!s)
		return 0;
	l = bpf_rdonly_cast(&s->lock, bpf_core_type_id_kernel(struct __sk_buff));
	if (!bpf_res_spin_lock(l))
		bpf_res_spin_unlock(l);
	return 0;
}

char _license[] SEC("license") = "GPL";
