/* Producers for a BPF_MAP_TYPE_RINGBUF (helpers 130-134: bpf_ringbuf_output, _reserve, _submit, _discard,
 * _query), run with BPF_PROG_TEST_RUN as tc programs. Their arguments and results are global variables, so
 * test/diff/ringbuf.test.ts can run the same program on both engines and compare the records the ring holds,
 * every helper's answer and the drop count. Each record is a u64 taken from `seq` (unique across CPUs), so a
 * run from several CPUs at once shows whether any record was lost or written twice. The "?" programs are
 * refused by the verifier, each for one rule. */
#include "bpfkit.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

/* In: the flags of bpf_ringbuf_reserve, of the output or the submit/discard; whether to discard; how many
 * bytes emit_bytes sends (at most 32, from the packet). */
__u64 reserve_flags, commit_flags;
__u32 discard, size;
/* Out: the next record's number, how many records the ring refused, the last helper's answer, and
 * bpf_ringbuf_query's answers for BPF_RB_AVAIL_DATA, RING_SIZE, CONS_POS, PROD_POS and an unknown flag. */
__u64 seq, drops;
__s64 last_rc;
__u64 answers[5];

SEC("tc")
int emit(struct __sk_buff *skb)
{
	__u64 rec = __sync_fetch_and_add(&seq, 1);
	long rc = bpf_ringbuf_output(&events, &rec, sizeof(rec), commit_flags);

	if (rc)
		__sync_fetch_and_add(&drops, 1);
	last_rc = rc;
	return 0;
}

SEC("tc")
int reserve_commit(struct __sk_buff *skb)
{
	__u64 *rec = bpf_ringbuf_reserve(&events, sizeof(*rec), reserve_flags);

	if (!rec) {
		__sync_fetch_and_add(&drops, 1);
		last_rc = -1;
		return 0;
	}
	*rec = __sync_fetch_and_add(&seq, 1);
	if (discard)
		bpf_ringbuf_discard(rec, commit_flags);
	else
		bpf_ringbuf_submit(rec, commit_flags);
	last_rc = 0;
	return 0;
}

SEC("tc")
int emit_bytes(struct __sk_buff *skb)
{
	__u8 buf[32] = {};
	__u32 n = size;

	if (bpf_skb_load_bytes(skb, 0, buf, sizeof(buf)))
		return 1;
	if (n > sizeof(buf))
		n = sizeof(buf);
	last_rc = bpf_ringbuf_output(&events, buf, n, commit_flags);
	return 0;
}

SEC("tc")
int query(struct __sk_buff *skb)
{
	answers[0] = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	answers[1] = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE);
	answers[2] = bpf_ringbuf_query(&events, BPF_RB_CONS_POS);
	answers[3] = bpf_ringbuf_query(&events, BPF_RB_PROD_POS);
	answers[4] = bpf_ringbuf_query(&events, 4);
	return 0;
}

/* The dynptr variants (helpers 198-203 on a ring buffer dynptr): a record of `size` bytes (at most 32) reserved
 * as a dynptr, written through bpf_dynptr_write and bpf_dynptr_data, read back through bpf_dynptr_read, then
 * submitted, or discarded when `discard` is set. The answers land in dynptr_rc. */
__s64 dynptr_rc[5];

SEC("tc")
int emit_dynptr(struct __sk_buff *skb)
{
	struct bpf_dynptr ptr;
	__u8 buf[32] = {}, back[4] = {};
	__u64 *head;

	if (bpf_skb_load_bytes(skb, 0, buf, sizeof(buf)))
		return 1;
	dynptr_rc[0] = bpf_ringbuf_reserve_dynptr(&events, size, reserve_flags, &ptr);
	dynptr_rc[1] = bpf_dynptr_write(&ptr, 0, buf, size < sizeof(buf) ? size : sizeof(buf), 0);
	head = bpf_dynptr_data(&ptr, 0, sizeof(*head));
	dynptr_rc[2] = head != 0;
	if (head)
		*head = __sync_fetch_and_add(&seq, 1);
	dynptr_rc[3] = bpf_dynptr_read(back, sizeof(back), &ptr, 4, 0);
	dynptr_rc[4] = back[0] | back[1] << 8 | back[2] << 16 | (__u32)back[3] << 24;
	if (discard)
		bpf_ringbuf_discard_dynptr(&ptr, commit_flags);
	else
		bpf_ringbuf_submit_dynptr(&ptr, commit_flags);
	return 0;
}

/* Refused: a ring buffer dynptr that is never submitted or discarded. */
SEC("?tc")
int leak_dynptr(struct __sk_buff *skb)
{
	struct bpf_dynptr ptr;

	bpf_ringbuf_reserve_dynptr(&events, 8, 0, &ptr);
	return 0;
}

/* Refused: the reservation is neither submitted nor discarded on one path ("Unreleased reference"). */
SEC("?tc")
int leak(struct __sk_buff *skb)
{
	__u64 *rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);

	if (!rec)
		return 0;
	*rec = 1;
	if (skb->len > 100)
		return 1;
	bpf_ringbuf_submit(rec, 0);
	return 0;
}

/* Refused: the record is written after it was submitted. */
SEC("?tc")
int write_after_submit(struct __sk_buff *skb)
{
	__u64 *rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);

	if (!rec)
		return 0;
	bpf_ringbuf_submit(rec, 0);
	*rec = 1;
	return 0;
}

/* Refused: the reservation is used before the NULL check. */
SEC("?tc")
int unchecked(struct __sk_buff *skb)
{
	__u64 *rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);

	*rec = 1;
	bpf_ringbuf_submit(rec, 0);
	return 0;
}

char _license[] SEC("license") = "GPL";
