/* An unguarded CO-RE read of a __sk_buff field nobody has: libbpf poisons the instruction
 * (bpf_core_poison_insn) and the verifier refuses it as "invalid func unknown#195896080"; the emulator
 * must refuse it the same way. */
#include "bpfkit.h"

struct __sk_buff___local {
	__u32 bpfkit_no_such_field;
} __attribute__((preserve_access_index));

SEC("tc")
int core_poison(struct __sk_buff *ctx)
{
	return ((struct __sk_buff___local *)ctx)->bpfkit_no_such_field;
}

char _license[] SEC("license") = "GPL";
