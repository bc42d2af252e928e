// SPDX-License-Identifier: GPL-2.0
/* p2ptop's tables: columns, cells, fitting and sorting. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hist.h"
#include "json.h"
#include "names.h"
#include "sysfs.h"
#include "table.h"

const struct top_column top_columns[VIEW_NR][TOP_MAX_COLS] = {
	[VIEW_PROVIDERS] = {
		{ "PROVIDER", 12, 0, true }, { "NAME", 6, 1, true },
		{ "SIZE", 6, 2, false }, { "USED", 7, 2, false }, { "USE%", 5, 3, false },
		{ "MAPS", 5, 4, false }, { "ALLOC/s", 7, 9, false },
		{ "FREE/s", 7, 9, false }, { "FAULT/s", 7, 10, false },
		{ "BUS/s", 7, 6, false }, { "HOSTBR/s", 8, 7, false },
		{ "NOSUP/s", 7, 5, false }, { "FALLBK/s", 8, 4, false },
		{ "RD-MB/s", 8, 3, false }, { "WR-MB/s", 8, 3, false },
		{ "DMAFLT/s", 8, 4, false },
	},
	[VIEW_PROCESSES] = {
		{ "PID", 7, 0, false }, { "COMM", 16, 1, true }, { "HELD", 7, 2, false },
		{ "MAPS", 5, 2, false }, { "RD-MB/s", 8, 3, false },
		{ "WR-MB/s", 8, 3, false }, { "FALLBK", 7, 4, false },
		{ "ALLOCED", 8, 5, false },
	},
	[VIEW_PAIRS] = {
		{ "PROVIDER", 12, 0, true }, { "CLIENT", 12, 0, true },
		{ "MAP", 6, 1, true }, { "BYTES", 8, 2, false }, { "FALLBK", 7, 2, false },
		{ "DECISIONS", 9, 4, false }, { "DMAFLT/s", 8, 4, false },
		{ "P50us", 7, 3, false }, { "P99us", 7, 3, false },
		{ "HOST-P50", 8, 5, false }, { "HOST-P99", 8, 5, false },
		{ "REASON", 30, 3, true },
	},
};

int top_ncolumns(enum top_view v)
{
	int n = 0;

	while (n < TOP_MAX_COLS && top_columns[v][n].title)
		n++;
	return n;
}

int top_fit(enum top_view v, int width, int *chosen)
{
	return top_fit_without(v, width, chosen, 0);
}

int top_fit_without(enum top_view v, int width, int *chosen, unsigned int skip)
{
	int n = top_ncolumns(v), used = 0, count = 0;
	bool take[TOP_MAX_COLS] = { false };

	for (int prio = 0; prio <= 10; prio++)
		for (int c = 0; c < n; c++) {
			int w = top_columns[v][c].width + (used ? 1 : 0);

			if (top_columns[v][c].prio != prio || used + w > width || (skip & (1u << c)))
				continue;
			take[c] = true;
			used += w;
		}
	for (int c = 0; c < n; c++)
		if (take[c])
			chosen[count++] = c;
	return count;
}

int top_nrows(const struct top_model *m, enum top_view v)
{
	return v == VIEW_PROVIDERS ? m->nprov : v == VIEW_PROCESSES ? m->nproc : m->npair;
}

void human_bytes(double v, char *buf, size_t len)
{
	static const char units[] = "BKMGTP";
	int u = 0;

	if (v < 0)
		v = 0;
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (!u)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, v < 100 ? "%.1f%c" : "%.0f%c", v, units[u]);
}

/* numeric value of a cell, for sorting; strings sort by text */
static double cell_value(const struct top_model *m, enum top_view v, int row, int col)
{
	if (v == VIEW_PROVIDERS) {
		const struct top_provider *p = &m->prov[row];

		switch (col) {
		case 2: return p->size;
		case 3: return top_used(p);
		case 4: return p->size ? 100.0 * top_used(p) / p->size : 0;
		case 5: return top_live(p);
		case 6: return p->alloc_s;
		case 7: return p->free_s;
		case 8: return p->fault_s;
		case 9: return p->maps_s[P2P_MAP_BUS_ADDR];
		case 10: return p->maps_s[P2P_MAP_THRU_HOST_BRIDGE];
		case 11: return p->maps_s[P2P_MAP_NOT_SUPPORTED];
		case 12: return p->fallback_s;
		case 13: return p->rd_mbs;
		case 14: return p->wr_mbs;
		case 15: return p->dma_fault_s;
		}
	} else if (v == VIEW_PROCESSES) {
		const struct top_proc *p = &m->proc[row];

		switch (col) {
		case 0: return p->pid;
		case 2: return top_proc_held(p);
		case 3: return top_proc_live(p);
		case 4: return p->rd_mbs;
		case 5: return p->wr_mbs;
		case 6: return p->now.fallbacks;
		case 7: return p->now.alloc_bytes;
		}
	} else {
		const struct top_pair *p = &m->pair[row];
		double d = 0;

		switch (col) {
		case 3: return p->now.bytes;
		case 4: return p->now.fallbacks;
		case 5:
			for (int k = 0; k < P2P_MAP_NR; k++)
				d += p->now.maps[k];
			return d;
		case 6: return p->dma_fault_s;
		case 7: return hist_quantile(&p->lat, 0.5);
		case 8: return hist_quantile(&p->lat, 0.99);
		case 9: return hist_quantile(&p->host_lat, 0.5);
		case 10: return hist_quantile(&p->host_lat, 0.99);
		}
	}
	return 0;
}

void top_cell(const struct top_model *m, enum top_view v, int row, int col,
	      char *buf, size_t len)
{
	char tmp[64];

	buf[0] = 0;
	if (v == VIEW_PROVIDERS) {
		const struct top_provider *p = &m->prov[row];

		switch (col) {
		case 0: snprintf(buf, len, "%s", p->bdf); return;
		case 1: snprintf(buf, len, "%s", p->name[0] ? p->name : "-"); return;
		case 2: human_bytes(p->size, buf, len); return;
		case 3:
			human_bytes(top_used(p), tmp, sizeof(tmp));
			snprintf(buf, len, "%s%s", tmp, p->acct_mismatch ? "!" : "");
			return;
		case 4: snprintf(buf, len, "%.1f", cell_value(m, v, row, col)); return;
		case 5: snprintf(buf, len, "%lld", (long long)top_live(p)); return;
		case 13: case 14: snprintf(buf, len, "%.2f", cell_value(m, v, row, col)); return;
		case 15: snprintf(buf, len, "%.1f", p->dma_fault_s); return;
		default: snprintf(buf, len, "%.0f", cell_value(m, v, row, col)); return;
		}
	} else if (v == VIEW_PROCESSES) {
		const struct top_proc *p = &m->proc[row];

		switch (col) {
		case 0: snprintf(buf, len, "%u", p->pid); return;
		case 1: text_safe(buf, len, p->comm, P2P_COMM_LEN); return;
		case 2:
			if (!m->live_tracked && !p->old_maps)
				snprintf(buf, len, "-");
			else
				human_bytes(top_proc_held(p), buf, len);
			return;
		case 3:
			if (!m->live_tracked && !p->old_maps)
				snprintf(buf, len, "-");
			else
				snprintf(buf, len, "%lld", (long long)top_proc_live(p));
			return;
		case 4: case 5: snprintf(buf, len, "%.2f", cell_value(m, v, row, col)); return;
		case 6: snprintf(buf, len, "%llu", (unsigned long long)p->now.fallbacks); return;
		case 7: human_bytes(p->now.alloc_bytes, buf, len); return;
		}
	} else {
		const struct top_pair *p = &m->pair[row];

		switch (col) {
		case 0: pci_display_name(p->provider, buf, len); return;
		case 1: pci_display_name(p->client, buf, len); return;
		case 2: snprintf(buf, len, "%s", map_type_short(p->map_type)); return;
		case 3: human_bytes(p->now.bytes, buf, len); return;
		case 4: snprintf(buf, len, "%llu", (unsigned long long)p->now.fallbacks); return;
		case 5: snprintf(buf, len, "%.0f", cell_value(m, v, row, col)); return;
		case 6: snprintf(buf, len, "%.1f", p->dma_fault_s); return;
		case 7: case 8: case 9: case 10:
			hist_us(cell_value(m, v, row, col), buf, len);
			return;
		case 11: snprintf(buf, len, "%s", p->reason[0] ? p->reason : "-"); return;
		}
	}
}

struct sort_ctx {
	const struct top_model *m;
	enum top_view v;
	int col;
	bool reverse;
};

static int cmp_rows(const void *x, const void *y, void *arg)
{
	const struct sort_ctx *c = arg;
	int a = *(const int *)x, b = *(const int *)y, r;

	if (top_columns[c->v][c->col].left) {
		char sa[160], sb[160];

		top_cell(c->m, c->v, a, c->col, sa, sizeof(sa));
		top_cell(c->m, c->v, b, c->col, sb, sizeof(sb));
		r = strcmp(sa, sb);	/* text ascends */
	} else {
		double va = cell_value(c->m, c->v, a, c->col);
		double vb = cell_value(c->m, c->v, b, c->col);

		r = (va < vb) - (va > vb);	/* numbers descend */
	}
	if (!r)
		r = (a > b) - (a < b);	/* stable */
	return c->reverse ? -r : r;
}

void top_sort(struct top_model *m, enum top_view v, int col, bool reverse)
{
	static int order[P2P_MAX_PIDS];
	struct sort_ctx c = { m, v, col, reverse };
	int n = top_nrows(m, v);

	if (col < 0 || col >= top_ncolumns(v) || n < 2)
		return;
	for (int i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(order[0]), cmp_rows, &c);
	if (v == VIEW_PROVIDERS) {
		static struct top_provider tmp[P2P_MAX_PROVIDERS];

		for (int i = 0; i < n; i++)
			tmp[i] = m->prov[order[i]];
		memcpy(m->prov, tmp, n * sizeof(tmp[0]));
	} else if (v == VIEW_PROCESSES) {
		static struct top_proc tmp[P2P_MAX_PIDS];

		for (int i = 0; i < n; i++)
			tmp[i] = m->proc[order[i]];
		memcpy(m->proc, tmp, n * sizeof(tmp[0]));
	} else {
		static struct top_pair tmp[P2P_MAX_PAIRS];

		for (int i = 0; i < n; i++)
			tmp[i] = m->pair[order[i]];
		memcpy(m->pair, tmp, n * sizeof(tmp[0]));
	}
}
