/* A fixture for the emulator's object loader (src/elf/object.ts): every ELF shape the loader
 * must link the way libbpf does. Global data in .data, .bss, .rodata and a custom .data.custom section; a
 * static subprogram and a global (__noinline) subprogram in .text; two programs in one section; a "?tc"
 * program (autoload off); bpf_loop with a callback (ld_imm64 BPF_PSEUDO_FUNC). No pinning: the kernel
 * tests load this object. */
#include "bpfkit.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct { struct bpf_spin_lock lock; __u32 pad; __u64 hits[2]; });
} locked SEC(".maps");

__u64 data_counter = 7;          /* .data */
__u64 bss_counter;               /* .bss */
const volatile __u32 rodata_limit = 3; /* .rodata */
__u32 custom_value SEC(".data.custom") = 42;
/* Static: relocations name the .bss section symbol, with the variable's offset in the insn's imm. */
static __u64 static_hits;

/* Static: called through a relocation against the .text section symbol. */
static __noinline __u64 add_twice(__u64 x)
{
	return x + data_counter + data_counter;
}

/* Global: called through a relocation against its own STT_FUNC symbol (imm = -1). */
__noinline int global_bump(__u32 key)
{
	__u64 one = 1, *v = bpf_map_lookup_elem(&counts, &key);

	if (!v) {
		bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
		return 0;
	}
	__sync_fetch_and_add(v, 1);
	return 1;
}

static int loop_cb(__u32 index, void *ctx)
{
	__u64 *acc = ctx;

	*acc += index;
	bss_counter += 1;
	return 0;
}

SEC("tc")
int first_tc(struct __sk_buff *skb)
{
	__u64 acc = 0;

	bpf_loop(rodata_limit, loop_cb, &acc, 0);
	custom_value += 1;
	return (int)add_twice(acc) + global_bump(1);
}

SEC("tc")
int second_tc(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct bpf_spin_lock *l = bpf_map_lookup_elem(&locked, &key);

	if (l) {
		bpf_spin_lock(l);
		bpf_spin_unlock(l);
	}
	return global_bump(2);
}

SEC("?tc")
int optional_tc(struct __sk_buff *skb)
{
	return (int)add_twice(1);
}

SEC("syscall")
int sys_prog(void *ctx)
{
	bss_counter += rodata_limit;
	static_hits += 1;
	return 0;
}

char _license[] SEC("license") = "GPL";
