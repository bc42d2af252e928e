/* SPDX-License-Identifier: GPL-2.0 */
/* p2ptop's output: batch text, JSON lines and the interactive screen. */
#ifndef P2PSCOPE_TOP_VIEW_H
#define P2PSCOPE_TOP_VIEW_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include "model.h"

struct top_opts {
	bool batch, json, noclear;
	int rows;		/* 0: all */
	double interval;	/* seconds */
	long count;		/* reports left, -1: no limit */
};

void print_batch(struct top_model *m, const struct top_opts *o, FILE *f);
void print_json(const struct top_model *m, const struct top_opts *o, FILE *f);

/*
 * The interactive screen: collect(secs) refreshes the model every interval
 * until q, the count runs out, or *exiting is set (by a signal).
 */
void run_interactive(struct top_model *m, struct top_opts *o, void (*collect)(double secs),
		     volatile sig_atomic_t *exiting);
/* From a fatal signal handler: put the terminal back (async-signal-safe). */
void ui_emergency_restore(void);

#endif /* P2PSCOPE_TOP_VIEW_H */
