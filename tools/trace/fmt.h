/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2ptrace's output: one text line or JSON object per event, and the
 * summary. Kept apart from BPF: device names come through a resolver, so
 * the host tests can drive it.
 */
#ifndef P2PSCOPE_TRACE_FMT_H
#define P2PSCOPE_TRACE_FMT_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include "p2pscope.h"

struct trace_opts {
	bool wallclock, json;
};

struct trace_state {
	__u64 start_ns;			/* CLOCK_MONOTONIC at start */
	long long real_offset_ns;	/* CLOCK_REALTIME - CLOCK_MONOTONIC */
	/* the PCI address of a struct device the BPF side has seen, or "" */
	const char *(*dev_name)(void *ctx, __u64 dev);
	void *ctx;
	__u64 count[P2P_EV_MAX];
	__u64 io_bytes[P2P_MAP_NR];
	__u64 fallback_bytes;
	__u64 lost;			/* events the ring buffer had no room for */
	__u64 skipped;			/* hook runs the kernel skipped (nested) */
	__u64 untracked;		/* P2P I/Os done but not recorded at issue */
	__u64 iommu_lost;		/* IOMMU fault records overflowed or unread */
	__u64 dma_other;		/* IOMMU faults outside the providers' BARs */
	bool dmafault_hooked;		/* the dmafault hook is attached */
};

void trace_header(const struct trace_opts *o, FILE *f);
/* count and print one event */
void trace_event(struct trace_state *s, const struct trace_opts *o,
		 const struct p2p_event *e, FILE *f);
struct hist_row;
/*
 * --hist: each histogram (JSON: one {"hist": {...}} line each), P2P pairs
 * first; lost is how many I/Os could not be given a histogram.
 */
void trace_hists(const struct trace_opts *o, struct hist_row *rows, int n, __u64 lost, FILE *f);
void trace_summary(const struct trace_state *s, const struct trace_opts *o, FILE *f);

#endif /* P2PSCOPE_TRACE_FMT_H */
