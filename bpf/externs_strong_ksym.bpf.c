/* A strong __ksym variable the kernel does not have: libbpf refuses the object at load ("extern (var
 * ksym) '...': not found in kernel BTF", ESRCH); the emulator has no kernel variables at all. */
#include "bpfkit.h"

extern const int bpfkit_no_such_variable __ksym;

SEC("syscall")
int read_missing_ksym(void *ctx)
{
	return (int)((unsigned long)&bpfkit_no_such_variable >> 4);
}

char _license[] SEC("license") = "GPL";
