/* CO-RE against the context struct: the program reads __sk_buff through a local flavor of it whose
 * layout is NOT the uapi one (fields reordered, one that does not exist), marked preserve_access_index,
 * so every access is a CO-RE relocation that libbpf resolves against the kernel's BTF and the emulator
 * against its own type table. test/diff/programs.test.ts runs it on both engines. */
#include "bpfkit.h"
#include <bpf/bpf_core_read.h>

struct __sk_buff___local {
	__u32 mark;
	__u32 cb[5];
	__u32 len;
	__u32 bpfkit_no_such_field;
	__u32 priority;
	__u32 protocol;
} __attribute__((preserve_access_index));

struct bpfkit_no_such_type {
	int x;
} __attribute__((preserve_access_index));

/* A local flavor of the kernel's enum of helpers: one this build's uapi header lacks (Linux 6.2's
 * bpf_cgrp_storage_get), and one no kernel has. */
enum bpf_func_id___local {
	BPF_FUNC_loop___local = 1,
	BPF_FUNC_cgrp_storage_get = 2,
	BPF_FUNC_bpfkit_no_such_helper = 3,
};

struct {
	__u32 len;
	__u32 mark;
	__u32 cb2;
	__u32 protocol;
	__u32 missing_field_exists;
	__u32 len_exists;
	__u32 cb_size;
	__u32 cb_offset;
	__u32 skb_type_exists;
	__u32 missing_type_exists;
	__u32 xdp_md_size;
	__u32 missing_read;
	__u32 loop_exists;
	__u32 loop_id;
	__u32 cgrp_storage_exists;
	__u32 missing_helper_exists;
	__u32 func_id_size;
} core_seen;

SEC("tc")
int core_skb(struct __sk_buff *ctx)
{
	struct __sk_buff___local *skb = (void *)ctx;

	skb->cb[2] = skb->len + 1000;
	skb->priority = 7;
	core_seen.len = skb->len;
	core_seen.mark = skb->mark;
	core_seen.cb2 = skb->cb[2];
	core_seen.protocol = skb->protocol;
	core_seen.missing_field_exists = bpf_core_field_exists(skb->bpfkit_no_such_field);
	core_seen.len_exists = bpf_core_field_exists(skb->len);
	core_seen.cb_size = bpf_core_field_size(skb->cb);
	core_seen.cb_offset = bpf_core_field_offset(skb->cb[1]);
	core_seen.skb_type_exists = bpf_core_type_exists(struct __sk_buff___local);
	core_seen.missing_type_exists = bpf_core_type_exists(struct bpfkit_no_such_type);
	core_seen.xdp_md_size = bpf_core_type_size(struct xdp_md);
	/* Enum relocations: which helpers this kernel has, and their ids. */
	core_seen.loop_exists = bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_loop);
	core_seen.loop_id = bpf_core_enum_value(enum bpf_func_id___local, BPF_FUNC_loop___local);
	core_seen.cgrp_storage_exists = bpf_core_enum_value_exists(enum bpf_func_id___local, BPF_FUNC_cgrp_storage_get);
	core_seen.missing_helper_exists = bpf_core_enum_value_exists(enum bpf_func_id___local, BPF_FUNC_bpfkit_no_such_helper);
	core_seen.func_id_size = bpf_core_type_size(enum bpf_func_id);
	/* Guarded as CO-RE users do: the poisoned read of a field nobody has sits in code the verifier
	 * proves dead once the existence check became the constant 0. */
	if (bpf_core_field_exists(skb->bpfkit_no_such_field))
		core_seen.missing_read = skb->bpfkit_no_such_field;
	return 1;
}

char _license[] SEC("license") = "GPL";
