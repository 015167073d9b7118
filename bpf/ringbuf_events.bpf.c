/* A BPF_MAP_TYPE_RINGBUF and two programs that use it: one the verifier refuses (a read past the end of
 * __sk_buff), one it accepts, which emits skb->len. The emulator must give the kernel's verdict for the first
 * (test/emulator/unemulated-maps.test.ts) and the kernel's record for the second. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("?tc")
int event_bad_ctx(struct __sk_buff *skb)
{
	__u32 len = *(volatile __u32 *)((char *)skb + 1024);

	bpf_ringbuf_output(&events, &len, sizeof(len), 0);
	return 0;
}

SEC("?tc")
int event_len(struct __sk_buff *skb)
{
	__u32 len = skb->len;

	bpf_ringbuf_output(&events, &len, sizeof(len), 0);
	return 0;
}

char _license[] SEC("license") = "GPL";
