// SPDX-License-Identifier: GPL-2.0
/*
 * Empty programs on the hooks p2pscope uses on our kernel: the floor that
 * bench/run.sh compares the real programs' per-event cost with.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/p2pdma_map_type")
int BPF_PROG(empty_map_type) { return 0; }

SEC("tp_btf/p2pdma_alloc")
int BPF_PROG(empty_alloc) { return 0; }

SEC("tp_btf/p2pdma_free")
int BPF_PROG(empty_free) { return 0; }

SEC("tp_btf/p2pdma_vma_fault")
int BPF_PROG(empty_fault) { return 0; }

SEC("tp_btf/block_rq_issue")
int BPF_PROG(empty_rq_issue) { return 0; }

SEC("tracepoint/block/block_rq_complete")
int empty_rq_complete(void *ctx) { return 0; }
