// A resilient lock taken through a strong kfunc extern (no __weak): on a kernel without the kfunc libbpf
// fails the whole load ("extern (func ksym) ...: not found in kernel or module BTFs", ESRCH) instead of
// poisoning the calls as it does for bpfkit.h's weak declarations.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_res_spin_lock {
	__u32 val;
};

extern int bpf_res_spin_lock(struct bpf_res_spin_lock *lock) __ksym;
extern void bpf_res_spin_unlock(struct bpf_res_spin_lock *lock) __ksym;

struct strong_counter {
	struct bpf_res_spin_lock lock;
	__u32 count;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct strong_counter);
	__uint(max_entries, 1);
} strong_counter SEC(".maps");

SEC("tc")
int strong_inc(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct strong_counter *c = bpf_map_lookup_elem(&strong_counter, &key);

	if (!c || bpf_res_spin_lock(&c->lock))
		return 1;
	c->count++;
	bpf_res_spin_unlock(&c->lock);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
