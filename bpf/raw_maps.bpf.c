// Maps whose BTF gives no usable key or value type: one declared by sizes (__uint(key_size/value_size)),
// one whose value holds a union. obj.map(name) reads them without codecs: bytes where C says nothing more.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(key_size, 4);
	__uint(value_size, 12);
	__uint(max_entries, 2);
} sized SEC(".maps");

struct tagged {
	__u8 tag;
	union {
		__u64 count;
		__u8 mac[6];
	} u;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct tagged);
	__uint(max_entries, 1);
} tagged SEC(".maps");

SEC("tc")
int fill_raw_maps(struct __sk_buff *skb)
{
	__u32 key = 1;
	__u8 *v = bpf_map_lookup_elem(&sized, &key);
	struct tagged *t;

	if (v)
		v[11] = 0xab;
	key = 0;
	t = bpf_map_lookup_elem(&tagged, &key);
	if (t) {
		t->tag = 1;
		t->u.count = skb->len;
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
