// SPDX-License-Identifier: GPL-2.0
/*
 * The floors bench/run.sh measures p2pscope's programs against, on the same
 * hooks: an empty program, one that only reserves and submits a ring-buffer
 * record the size of a p2pscope event, and one that only increments one
 * per-CPU counter (the least any aggregating tool does per event).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "p2pscope.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, P2P_RINGBUF_BYTES);
} records SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} counter SEC(".maps");

static __always_inline int count(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&counter, &zero);

	if (n)
		*n += 1;
	return 0;
}

static __always_inline int record(void)
{
	struct p2p_event *e = bpf_ringbuf_reserve(&records, sizeof(*e), 0);

	if (e)
		bpf_ringbuf_submit(e, 0);
	return 0;
}

#define FLOORS(hook, name)						\
	SEC("tp_btf/" #hook) int BPF_PROG(empty_##name) { return 0; }	\
	SEC("tp_btf/" #hook) int BPF_PROG(rec_##name) { return record(); }	\
	SEC("tp_btf/" #hook) int BPF_PROG(cnt_##name) { return count(); }

FLOORS(p2pdma_map_type, map)
FLOORS(p2pdma_alloc, alloc)
FLOORS(p2pdma_free, free)
FLOORS(p2pdma_vma_fault, fault)
FLOORS(block_rq_issue, rq_issue)
FLOORS(block_rq_complete, rq_done)
