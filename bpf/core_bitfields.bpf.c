/* CO-RE bitfield reads (BPF_CORE_READ_BITFIELD: byte offset, byte size, left and right shift and
 * signedness relocations). core_bits reads a copy of __sk_buff's first fields through a local flavor that
 * declares them as bitfields: the target's fields are whole u32s, so each read takes the whole field on
 * both engines. (The copy is on the stack: the macro adds the offset to the pointer first, and the
 * verifier refuses a load through a modified ctx pointer.)
 * core_iphdr_bits reads struct iphdr's ihl, a bitfield of a kernel type the emulator does not have: its
 * relocations are poisoned there, which must not stop the object from opening (it is SEC("?tc"), loaded
 * only when asked for). */
#include "bpfkit.h"
#include <bpf/bpf_core_read.h>

struct __sk_buff___bits {
	__u32 len: 12;
	__u32 mark: 20;
	__s32 priority: 8;
} __attribute__((preserve_access_index));

struct iphdr___bits {
	__u8 ihl: 4;
	__u8 version: 4;
} __attribute__((preserve_access_index));

struct {
	__u64 len;
	__u64 mark;
	__s64 priority;
} bits_seen;

SEC("tc")
int core_bits(struct __sk_buff *ctx)
{
	union {
		struct __sk_buff___bits bits;
		__u32 words[9];
	} copy = { .words = { ctx->len, ctx->pkt_type, ctx->mark, ctx->queue_mapping, ctx->protocol,
			      ctx->vlan_present, ctx->vlan_tci, ctx->vlan_proto, ctx->priority } };
	struct __sk_buff___bits *skb = &copy.bits;

	bits_seen.len = BPF_CORE_READ_BITFIELD(skb, len);
	bits_seen.mark = BPF_CORE_READ_BITFIELD(skb, mark);
	bits_seen.priority = BPF_CORE_READ_BITFIELD(skb, priority);
	return 0;
}

SEC("?tc")
int core_iphdr_bits(struct __sk_buff *ctx)
{
	struct iphdr___bits ip = {};

	if (bpf_skb_load_bytes(ctx, 14, &ip, 1))
		return 0;
	return BPF_CORE_READ_BITFIELD(&ip, ihl);
}

char _license[] SEC("license") = "GPL";
