/* SPDX-License-Identifier: GPL-2.0 */
/* p2ptop's tables: columns, what each cell shows, fitting and sorting. */
#ifndef P2PSCOPE_TOP_TABLE_H
#define P2PSCOPE_TOP_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include "model.h"

enum top_view { VIEW_PROVIDERS, VIEW_PROCESSES, VIEW_PAIRS, VIEW_NR };

struct top_column {
	const char *title;
	int width;
	int prio;		/* lower stays longer when space runs out */
	bool left;		/* left-aligned */
};

#define TOP_MAX_COLS 16

extern const struct top_column top_columns[VIEW_NR][TOP_MAX_COLS];
int top_ncolumns(enum top_view v);
/* Which columns fit in width, by priority, in display order; returns count. */
int top_fit(enum top_view v, int width, int *chosen);
/* The same without the columns in skip (1 << column). */
int top_fit_without(enum top_view v, int width, int *chosen, unsigned int skip);

/* the pair view's latency columns: the refused pairs' overview leaves them out */
#define TOP_PAIR_LATENCY_COLS (0xfu << 7)
/* Text of row i, column c (after sorting); always safe for a terminal. */
void top_cell(const struct top_model *m, enum top_view v, int row, int col,
	      char *buf, size_t len);
int top_nrows(const struct top_model *m, enum top_view v);
/* Sort the view's rows by column (descending unless reverse). */
void top_sort(struct top_model *m, enum top_view v, int col, bool reverse);

/* "15.5M" style: three significant digits, so sizes never contradict */
void human_bytes(double v, char *buf, size_t len);

#endif /* P2PSCOPE_TOP_TABLE_H */
