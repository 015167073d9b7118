/* __kconfig and __ksym extern variables as libbpf resolves them (bpf_object__resolve_externs): the
 * program copies what it was given into .bss for test/emulator/externs.test.ts to read on each engine.
 * LINUX_KERNEL_VERSION is the engine's version; CONFIG_BPF_SYSCALL and CONFIG_BPF are set on this
 * kernel and stated by the emulator; an option nobody has and a kernel variable nobody has are __weak,
 * so they read as zero. */
#include "bpfkit.h"

extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern _Bool CONFIG_BPF_SYSCALL __kconfig;
extern enum libbpf_tristate CONFIG_BPF __kconfig __weak;
extern char CONFIG_BPF_SYSCALL_AS_CHAR __kconfig __weak;
extern int CONFIG_BPFKIT_NO_SUCH_OPTION __kconfig __weak;
extern const int bpfkit_no_such_variable __ksym __weak;

/* One struct, so its layout in .bss is the declaration order. */
struct {
	__u32 kernel_version;
	__u32 bpf_syscall;
	__u32 bpf_tristate;
	__u32 no_such_option;
	__u32 as_char;
	__u32 variable_missing;
} seen;

SEC("syscall")
int read_externs(void *ctx)
{
	seen.kernel_version = LINUX_KERNEL_VERSION;
	seen.bpf_syscall = CONFIG_BPF_SYSCALL;
	seen.bpf_tristate = CONFIG_BPF;
	seen.as_char = CONFIG_BPF_SYSCALL_AS_CHAR;
	seen.no_such_option = CONFIG_BPFKIT_NO_SUCH_OPTION + 7;
	seen.variable_missing = &bpfkit_no_such_variable == 0;
	return 0;
}

char _license[] SEC("license") = "GPL";
