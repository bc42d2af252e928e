/* SPDX-License-Identifier: GPL-2.0 */
/* p2ptrace's filtering, formatting and summary, kept apart from BPF for tests. */
#ifndef P2PSCOPE_TRACE_FMT_H
#define P2PSCOPE_TRACE_FMT_H

#include <stdbool.h>
#include <stdio.h>
#include "common.h"

struct trace_opts {
	__u32 pid;			/* 0: all */
	__u32 disk;			/* kernel dev_t, 0: all */
	char provider[P2P_NAME_LEN];	/* BDF, "": all */
	int events;			/* mask of 1 << P2P_EV_* */
	bool failures, wallclock, json;
};

struct trace_state {
	__u64 start_ns;			/* CLOCK_MONOTONIC at start */
	long long real_offset_ns;	/* CLOCK_REALTIME - CLOCK_MONOTONIC */
	__u64 count[P2P_EV_MAX];
	__u64 io_bytes[P2P_MAP_NR];
	__u64 fallback_bytes;
	__u64 drops;
};

bool trace_wanted(const struct trace_opts *o, const struct p2p_event *e);
void trace_header(const struct trace_opts *o, FILE *f);
/* filter, count and print one event */
void trace_event(struct trace_state *s, const struct trace_opts *o,
		 const struct p2p_event *e, FILE *f);
void trace_format(const struct trace_state *s, const struct trace_opts *o,
		  const struct p2p_event *e, FILE *f);
void trace_summary(const struct trace_state *s, const struct trace_opts *o, FILE *f);

#endif /* P2PSCOPE_TRACE_FMT_H */
