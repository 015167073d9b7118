/* Inlined into bpf/coverage_demo.bpf.c: the line counts of its code land here, in the header, not at the
 * lines that call it. */
#ifndef COVERAGE_DEMO_H
#define COVERAGE_DEMO_H

#define DEMO_BYTES 16

static __always_inline void demo_tally(__u64 *counter)
{
	__sync_fetch_and_add(counter, 1);
}

#endif
