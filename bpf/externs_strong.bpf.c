/* A strong __kconfig extern nobody can resolve: libbpf refuses the whole object at load
 * ("extern '...' (strong): not resolved", ESRCH), and so must the emulator. */
#include "bpfkit.h"

extern int CONFIG_BPFKIT_NO_SUCH_OPTION __kconfig;

SEC("syscall")
int read_missing(void *ctx)
{
	return CONFIG_BPFKIT_NO_SUCH_OPTION;
}

char _license[] SEC("license") = "GPL";
