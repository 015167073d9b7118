// A tc classifier in a section libbpf has no program type for (SEC("mysec/...")): it loads only once the
// loader is told its type (openObject's programTypes, libbpf bpf_program__set_type).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("mysec/classify")
int custom_classify(struct __sk_buff *skb)
{
	return skb->len > 64 ? 1 : 0;
}

char LICENSE[] SEC("license") = "GPL";
