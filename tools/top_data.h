/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2ptop's model: what one interval shows, built from sysfs and the BPF
 * totals, with rates, sorting, column fitting and NOT_SUPPORTED reasons.
 * No BPF or terminal code here, so the host tests can drive it.
 */
#ifndef P2PSCOPE_TOP_DATA_H
#define P2PSCOPE_TOP_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include "common.h"

struct top_provider {
	char bdf[P2P_NAME_LEN];
	char name[P2P_NAME_LEN];		/* nvme name or "" */
	__u64 size, avail;			/* sysfs p2pmem */
	__u64 prev_used;
	bool published;
	struct p2p_provider_stats now, prev;	/* BPF totals */
	bool have_prev;
	/* per second over the interval */
	double alloc_s, free_s, fault_s, maps_s[P2P_MAP_NR], fallback_s;
	double rd_mbs, wr_mbs;
	/* sysfs and BPF disagree on what the interval allocated */
	bool acct_mismatch;
	bool seen;
};

/* Mappings that existed before p2ptop started, found in /proc. */
#define TOP_MAX_OLD 256

struct top_old_map {
	__u32 pid;
	__u64 start, len;
	char bdf[P2P_NAME_LEN];
};

struct top_proc {
	__u32 pid;
	char comm[P2P_COMM_LEN + 1];
	struct p2p_pid_stats now, prev;
	bool have_prev, seen;
	double rd_mbs, wr_mbs;
};

struct top_pair {
	struct p2p_pair_key key;
	struct p2p_pair_stats now;
	char reason[128];
	bool seen;
};

struct top_model {
	struct top_provider prov[P2P_MAX_PROVIDERS];
	int nprov;
	struct top_proc proc[P2P_MAX_PIDS];
	int nproc;
	struct top_pair pair[P2P_MAX_PAIRS];
	int npair;
	__u64 drops;
	double interval;			/* seconds the rates cover */
	struct top_old_map old[TOP_MAX_OLD];
	int nold;
	bool scanned;
};

/*
 * BPF sees mappings from their first fault on. Those made before p2ptop
 * started are found once in /proc/PID/smaps (populated ones: Rss > 0) and
 * followed there until they go away; call before top_end().
 */
void top_scan_old_maps(struct top_model *m);

double top_rate(__u64 now, __u64 prev, double secs);

/* Start an interval: read sysfs providers. */
void top_begin(struct top_model *m, double secs);
/* Feed BPF totals (one map dump each). */
void top_add_provider_stats(struct top_model *m, const char *bdf,
			    const struct p2p_provider_stats *s);
void top_add_pid_stats(struct top_model *m, __u32 pid, const struct p2p_pid_stats *s);
void top_add_pair_stats(struct top_model *m, const struct p2p_pair_key *k,
			const struct p2p_pair_stats *s);
/* Finish: rates, cross-checks, reasons; drop what went away. */
void top_end(struct top_model *m);

__u64 top_used(const struct top_provider *p);

/*
 * Why P2P between provider and client is NOT_SUPPORTED, from the PCI
 * topology in sysfs, as calc_map_type_and_dist() decides it.
 */
const char *p2p_reason(const char *provider, const char *client, char *buf, size_t len);

/* ---- tables ---- */

enum top_view { VIEW_PROVIDERS, VIEW_PROCESSES, VIEW_PAIRS, VIEW_NR };

struct top_column {
	const char *title;
	int width;
	int prio;		/* lower stays longer when space runs out */
	bool left;		/* left-aligned */
};

extern const struct top_column top_columns[VIEW_NR][16];
int top_ncolumns(enum top_view v);
/* Which columns fit in width, by priority, in display order; returns count. */
int top_fit(enum top_view v, int width, int *chosen);
/* Text of row i, column c (after sorting). */
void top_cell(const struct top_model *m, enum top_view v, int row, int col,
	      char *buf, size_t len);
int top_nrows(const struct top_model *m, enum top_view v);
/* Sort the view's rows by column (descending unless reverse). */
void top_sort(struct top_model *m, enum top_view v, int col, bool reverse);

/* "1.5M" style */
void human_bytes(double v, char *buf, size_t len);

#endif /* P2PSCOPE_TOP_DATA_H */
