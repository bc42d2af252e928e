/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The latency histograms the BPF side keeps (struct p2p_hist: log2 buckets
 * of microseconds): bucket bounds, counts, quantiles, and the one text and
 * JSON form p2ptrace --hist and p2ptop share. No BPF here.
 */
#ifndef P2PSCOPE_HIST_H
#define P2PSCOPE_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "p2pscope.h"
#include "json.h"

/*
 * One histogram with its devices named: a pair's P2P I/O of one map type
 * and direction, or (provider "", map_type P2P_HIST_HOST) the I/O through
 * host memory of a disk that is some pair's client.
 */
struct hist_row {
	char provider[P2P_NAME_LEN], client[P2P_NAME_LEN];
	int map_type;
	bool write;
	struct p2p_hist h;
};

/* Slot k holds latencies in [lo, hi) us; the last slot has no upper bound (hi -1). */
double hist_lo_us(int k);
double hist_hi_us(int k);

__u64 hist_count(const struct p2p_hist *h);
void hist_merge(struct p2p_hist *dst, const struct p2p_hist *src);

/*
 * The q-quantile (0..1) in microseconds, interpolated linearly inside its
 * bucket as Prometheus' histogram_quantile() does (a rank in the open last
 * bucket gives its lower bound); -1 if the histogram is empty.
 */
double hist_quantile(const struct p2p_hist *h, double q);

/* "123" or "1.5" us, or "-" when q < 0 */
void hist_us(double us, char *buf, size_t len);

/* the map type of a histogram: map_type_name(), or "HOST" (host memory) */
const char *hist_map_name(int map_type);

/* Slots first..last hold every count (false if empty). */
bool hist_span(const struct p2p_hist *h, int *first, int *last);
/* Slot k as a biolatency line: "  64 -> 127   : 5   |****   |" (stars wide). */
void hist_line(const struct p2p_hist *h, int k, int stars, char *buf, size_t len);
/* The header and the lines of the histogram's span, indented. */
void hist_print(const struct p2p_hist *h, FILE *f);

/*
 * Its fields into the open JSON object: count, sum_us, p50_us, p99_us and
 * buckets, the non-empty ones as {lo_us, hi_us (null: open), count}.
 */
/* KEY: microseconds with 3 decimals, or null when us < 0 (empty) */
void hist_json_us(struct json *j, const char *key, double us);
void hist_json_fields(struct json *j, const struct p2p_hist *h);
/* A row's map_type and op, then its fields, into the open JSON object. */
void hist_row_json(struct json *j, const struct hist_row *r);
/* A row as text: what it times, count, p50, p99 and mean, then its lines. */
void hist_row_print(const struct hist_row *r, FILE *f);

#endif /* P2PSCOPE_HIST_H */
