/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2ptop's metrics for Prometheus: the model of one interval as text that
 * promtool, node_exporter's textfile collector and Prometheus all read the
 * same way (see docs/fleet.md for why this exact form). A pure function of
 * the model, so the unit tests drive it without BPF.
 */
#ifndef P2PSCOPE_TOP_METRICS_H
#define P2PSCOPE_TOP_METRICS_H

#include <stddef.h>
#include <stdio.h>
#include "model.h"

/* The file node_exporter's textfile collector reads from the directory. */
#define METRICS_TEXTFILE "p2pdma.prom"

/* Every metric of the model, ending with "# EOF". */
void metrics_write(const struct top_model *m, FILE *f);

/*
 * A label value, quotes included: backslash, double quote and newline
 * escaped, and bytes that are not UTF-8 written as the text \xNN, since
 * names come from the kernel and label values must be UTF-8.
 */
void metrics_label_value(FILE *f, const char *s, size_t n);

/*
 * Replace DIR/p2pdma.prom with metrics_write()'s text at once (a temporary
 * file in DIR, renamed over it), so a scrape never reads half a file. The
 * file is removed when the process exits, so node_exporter never serves
 * numbers nobody updates. Returns 0, or -errno after one line on stderr.
 */
int metrics_textfile(const struct top_model *m, const char *dir);

/* One interval's report: into DIR/p2pdma.prom if dir is set, else to f. */
int metrics_report(const struct top_model *m, const char *dir, FILE *f);

#endif /* P2PSCOPE_TOP_METRICS_H */
