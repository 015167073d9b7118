/* bpfkit's header for BPF programs: the resilient spin lock type and its kfuncs, declared here so programs
 * build against the uapi <linux/bpf.h> alone, with no vmlinux.h from the build host. Include it with
 * clang ... -I"$(npx bpfkit include-dir)". After a vmlinux.h (bpfkit gen vmlinux) it uses that instead:
 * the kernel's own types, struct bpf_res_spin_lock among them from 6.15. */
#ifndef BPFKIT_H
#define BPFKIT_H

#ifdef __VMLINUX_H__
#define BPFKIT_HAVE_RES_SPIN_LOCK
#else
#include <linux/bpf.h>
#endif
#include <bpf/bpf_helpers.h>

/* Linux errno numbers the res lock kfuncs return (kernel/bpf/rqspinlock.c): AA/ABBA deadlock and timeout. */
#define BPFKIT_EDEADLK 35
#define BPFKIT_ETIMEDOUT 110

/* include/asm-generic/rqspinlock.h: struct bpf_res_spin_lock is one 4-byte word. An 8-byte definition
 * compiles but the verifier refuses the map ("has no valid bpf_res_spin_lock"). The uapi header does not
 * define it today; define BPFKIT_HAVE_RES_SPIN_LOCK when a future <linux/bpf.h> does. */
#ifndef BPFKIT_HAVE_RES_SPIN_LOCK
struct bpf_res_spin_lock {
	__u32 val;
};
#endif

/* Signatures as in tools/testing/selftests/bpf/bpf_experimental.h (Linux 6.15+). The lock calls return 0,
 * -EDEADLK or -ETIMEDOUT; on failure the lock is not held and must not be unlocked. */
extern int bpf_res_spin_lock(struct bpf_res_spin_lock *lock) __ksym __weak;
extern void bpf_res_spin_unlock(struct bpf_res_spin_lock *lock) __ksym __weak;
extern int bpf_res_spin_lock_irqsave(struct bpf_res_spin_lock *lock, unsigned long *flags__irq_flag) __ksym __weak;
extern void bpf_res_spin_unlock_irqrestore(struct bpf_res_spin_lock *lock, unsigned long *flags__irq_flag) __ksym __weak;

#endif /* BPFKIT_H */
