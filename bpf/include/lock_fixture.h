/* What the lock fixtures share: `struct counter` (one lock and a u64 count), maps of counters, and the
 * lookup of counter 0. Include it with LOCK_FIXTURE_RES defined for a bpf_res_spin_lock counter; the
 * default is a bpf_spin_lock. The names stay the fixtures' own (struct counter, maps such as 'counter' and
 * 'pair'): tests and the verifier's messages name them. */
#ifndef BPFKIT_LOCK_FIXTURE_H
#define BPFKIT_LOCK_FIXTURE_H

#include "bpfkit.h"

#ifdef LOCK_FIXTURE_RES
struct counter {
	struct bpf_res_spin_lock lock;
	__u64 count;
};
#else
struct counter {
	struct bpf_spin_lock lock;
	__u64 count;
};
#endif

/* A map `name` of `map_type` holding `entries` counters under u32 keys. */
#define COUNTER_MAP(name, map_type, entries)	\
	struct {				\
		__uint(type, map_type);		\
		__uint(max_entries, entries);	\
		__type(key, __u32);		\
		__type(value, struct counter);	\
	} name SEC(".maps")

/* `c`: counter 0 of the map 'counter', or the program returns `miss` (a lookup may fail, and the
 * verifier refuses a dereference it has not seen checked). */
#define COUNTER_OR_RETURN(c, miss)					\
	__u32 key = 0;							\
	struct counter *c = bpf_map_lookup_elem(&counter, &key);	\
									\
	if (!c)								\
		return miss

#endif /* BPFKIT_LOCK_FIXTURE_H */
