// SPDX-License-Identifier: GPL-2.0
/* p2ptop's output: batch text, JSON lines and the interactive screen. */
#define _GNU_SOURCE
#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "hist.h"
#include "json.h"
#include "names.h"
#include "sysfs.h"
#include "table.h"
#include "view.h"

static void totals(const struct top_model *m, __u64 *used, __u64 *freeb)
{
	*used = *freeb = 0;
	for (int i = 0; i < m->nprov; i++) {
		*used += top_used(&m->prov[i]);
		*freeb += m->prov[i].avail;
	}
}

static __u64 lost_total(const struct top_model *m)
{
	__u64 n = 0;

	for (int i = P2P_LOST_MAPS; i < P2P_LOST_NR; i++)
		n += m->lost.n[i];
	return n;
}

static void header_text(const struct top_model *m, const struct top_opts *o, char *buf, size_t len)
{
	char u[16], f[16], when[16];
	struct utsname un;
	__u64 used, freeb;
	time_t t = time(NULL);
	struct tm tm;

	uname(&un);
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	totals(m, &used, &freeb);
	human_bytes(used, u, sizeof(u));
	human_bytes(freeb, f, sizeof(f));
	snprintf(buf, len, "p2ptop %s  kernel %s  providers %d  CMB used %s free %s  every %gs%s",
		 when, un.release, m->nprov, u, f, o->interval,
		 lost_total(m) || m->incomplete ? "  INCOMPLETE (see JSON \"lost\")" : "");
}

/* ---- batch text ---- */

static void print_table(const struct top_model *m, const struct top_opts *o,
			enum top_view v, int width, FILE *f)
{
	int cols[TOP_MAX_COLS], n = top_fit(v, width, cols), rows = top_nrows(m, v);
	char cell[200];

	if (o->rows && rows > o->rows)
		rows = o->rows;
	for (int c = 0; c < n; c++) {
		const struct top_column *col = &top_columns[v][cols[c]];

		fprintf(f, col->left ? "%s%-*s" : "%s%*s", c ? " " : "", col->width, col->title);
	}
	fputc('\n', f);
	for (int r = 0; r < rows; r++) {
		for (int c = 0; c < n; c++) {
			const struct top_column *col = &top_columns[v][cols[c]];

			top_cell(m, v, r, cols[c], cell, sizeof(cell));
			/* the last column may run on: reasons are long */
			if (c == n - 1 && col->left)
				fprintf(f, "%s%s", c ? " " : "", cell);
			else
				fprintf(f, col->left ? "%s%-*.*s" : "%s%*.*s", c ? " " : "",
					col->width, col->width, cell);
		}
		fputc('\n', f);
	}
}

static int out_width(FILE *f)
{
	struct winsize ws;

	if (isatty(fileno(f)) && !ioctl(fileno(f), TIOCGWINSZ, &ws) && ws.ws_col)
		return ws.ws_col;
	return 250;	/* a file or pipe gets every column */
}

void print_batch(struct top_model *m, const struct top_opts *o, FILE *f)
{
	char head[256];
	int width = out_width(f);

	if (isatty(fileno(f)) && !o->noclear)
		fputs("\033[H\033[2J", f);
	header_text(m, o, head, sizeof(head));
	fprintf(f, "%s\n\n", head);
	top_sort(m, VIEW_PROVIDERS, 3, false);
	print_table(m, o, VIEW_PROVIDERS, width, f);
	fputc('\n', f);
	top_sort(m, VIEW_PROCESSES, 2, false);
	print_table(m, o, VIEW_PROCESSES, width, f);
	fputc('\n', f);
	top_sort(m, VIEW_PAIRS, 5, false);
	print_table(m, o, VIEW_PAIRS, width, f);
	fputc('\n', f);
}

/* ---- JSON ---- */

static const int map_order[] = { P2P_MAP_BUS_ADDR, P2P_MAP_THRU_HOST_BRIDGE,
				 P2P_MAP_NOT_SUPPORTED };

static void json_maps(struct json *j, const char *key, const double *rates, const __u64 *counts)
{
	json_key(j, key);
	json_object_begin(j);
	for (int k = 0; k < 3; k++) {
		if (rates)
			json_kv_double(j, map_type_name(map_order[k]), rates[map_order[k]], 6);
		else
			json_kv_u64(j, map_type_name(map_order[k]), counts[map_order[k]]);
	}
	json_object_end(j);
}

/* The pair's histograms, and its client's through host memory (map_type HOST). */
static void json_latency(struct json *j, const struct top_model *m, const struct top_pair *p)
{
	hist_json_us(j, "p50_us", hist_quantile(&p->lat, 0.5));
	hist_json_us(j, "p99_us", hist_quantile(&p->lat, 0.99));
	hist_json_us(j, "host_p50_us", hist_quantile(&p->host_lat, 0.5));
	hist_json_us(j, "host_p99_us", hist_quantile(&p->host_lat, 0.99));
	json_key(j, "latency");
	json_array_begin(j);
	for (int k = 0; k < m->nhist; k++) {
		const struct hist_row *t = &m->hist[k];

		if (strcmp(t->client, p->client) ||
		    (t->map_type != P2P_HIST_HOST && strcmp(t->provider, p->provider)))
			continue;
		json_object_begin(j);
		hist_row_json(j, t);
		json_object_end(j);
	}
	json_array_end(j);
}

static void json_provider(struct json *j, const struct top_provider *p)
{
	json_object_begin(j);
	json_kv_string(j, "bdf", p->bdf);
	json_kv_string(j, "name", p->name[0] ? p->name : NULL);
	json_kv_u64(j, "size", p->size);
	json_kv_u64(j, "available", p->avail);
	json_kv_u64(j, "used", top_used(p));
	json_kv_bool(j, "published", p->published);
	json_kv_bool(j, "accounting_ok", !p->acct_mismatch);
	json_kv_s64(j, "live_maps", top_live(p));
	json_kv_s64(j, "held_bytes", top_held(p));
	json_kv_double(j, "alloc_per_s", p->alloc_s, 6);
	json_kv_double(j, "free_per_s", p->free_s, 6);
	json_kv_double(j, "fault_per_s", p->fault_s, 6);
	json_maps(j, "maps_per_s", p->maps_s, NULL);
	json_kv_double(j, "fallback_per_s", p->fallback_s, 6);
	json_kv_double(j, "read_mb_per_s", p->rd_mbs, 6);
	json_kv_double(j, "write_mb_per_s", p->wr_mbs, 6);
	/* IOMMU faults on its BARs: per second, and since the start */
	json_kv_double(j, "dma_faults_per_s", p->dma_fault_s, 6);
	json_kv_u64(j, "dma_faults", p->now.dma_faults);
	json_key(j, "totals");
	json_object_begin(j);
	json_kv_u64(j, "allocs", p->now.allocs);
	json_kv_u64(j, "frees", p->now.frees);
	json_kv_u64(j, "alloc_bytes", p->now.alloc_bytes);
	json_kv_u64(j, "free_bytes", p->now.free_bytes);
	json_kv_u64(j, "faults", p->now.faults);
	json_kv_u64(j, "closes", p->now.closes);
	json_kv_u64(j, "fallbacks", p->now.fallbacks);
	json_kv_u64(j, "fallback_bytes", p->now.fallback_bytes);
	json_kv_u64(j, "ios", p->now.ios);
	json_kv_u64(j, "read_bytes", p->now.read_bytes);
	json_kv_u64(j, "write_bytes", p->now.write_bytes);
	json_maps(j, "maps", NULL, p->now.maps);
	json_object_end(j);
	json_object_end(j);
}

void print_json(const struct top_model *m, const struct top_opts *o, FILE *f)
{
	static const char *const lost_names[P2P_LOST_NR] = {
		"events", "maps", "ios", "pids", "pairs", "providers", "names", "nested",
		"iommu", "dmafaults", "hists",
	};
	struct utsname un;
	__u64 used, freeb;
	struct timespec rt;
	char name[32];
	struct json j;

	(void)o;
	uname(&un);
	clock_gettime(CLOCK_REALTIME, &rt);
	totals(m, &used, &freeb);
	json_init(&j, f);
	json_object_begin(&j);
	json_kv_double(&j, "time", rt.tv_sec + rt.tv_nsec / 1e9, 3);
	json_kv_string(&j, "kernel", un.release);
	json_kv_double(&j, "interval", m->interval, 6);
	json_kv_u64(&j, "used", used);
	json_kv_u64(&j, "free", freeb);
	/* the tables are exact unless something here is non-zero */
	json_kv_bool(&j, "complete", !lost_total(m) && !m->incomplete);
	json_kv_bool(&j, "held_tracked", m->live_tracked);
	json_key(&j, "lost");
	json_object_begin(&j);
	for (int i = P2P_LOST_MAPS; i < P2P_LOST_NR; i++)
		json_kv_u64(&j, lost_names[i], m->lost.n[i]);
	json_object_end(&j);
	json_key(&j, "providers");
	json_array_begin(&j);
	for (int i = 0; i < m->nprov; i++)
		json_provider(&j, &m->prov[i]);
	json_array_end(&j);
	json_key(&j, "processes");
	json_array_begin(&j);
	for (int i = 0; i < m->nproc; i++) {
		const struct top_proc *p = &m->proc[i];

		json_object_begin(&j);
		json_kv_u64(&j, "pid", p->pid);
		json_key(&j, "comm");
		json_string_n(&j, p->comm, P2P_COMM_LEN);
		json_kv_s64(&j, "held_bytes", top_proc_held(p));
		json_kv_s64(&j, "live_maps", top_proc_live(p));
		json_kv_u64(&j, "alloc_bytes", p->now.alloc_bytes);
		json_kv_u64(&j, "faults", p->now.faults);
		json_kv_double(&j, "read_mb_per_s", p->rd_mbs, 3);
		json_kv_double(&j, "write_mb_per_s", p->wr_mbs, 3);
		json_kv_u64(&j, "read_bytes", p->now.read_bytes);
		json_kv_u64(&j, "write_bytes", p->now.write_bytes);
		json_kv_u64(&j, "fallbacks", p->now.fallbacks);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_key(&j, "pairs");
	json_array_begin(&j);
	for (int i = 0; i < m->npair; i++) {
		const struct top_pair *p = &m->pair[i];

		json_object_begin(&j);
		json_kv_string(&j, "provider", p->provider);
		json_kv_string(&j, "client", p->client);
		json_kv_string(&j, "client_name", pci_nvme_name(p->client, name, sizeof(name)));
		json_kv_string(&j, "map_type", map_type_name(p->map_type));
		json_kv_u64(&j, "ios", p->now.ios);
		json_kv_u64(&j, "bytes", p->now.bytes);
		json_kv_u64(&j, "fallbacks", p->now.fallbacks);
		json_maps(&j, "decisions", NULL, p->now.maps);
		json_kv_string(&j, "reason", p->reason[0] ? p->reason : NULL);
		json_kv_u64(&j, "dma_faults", p->dma_now.faults);
		json_kv_u64(&j, "dma_write_faults", p->dma_now.write_faults);
		json_kv_u64(&j, "dma_read_faults", p->dma_now.read_faults);
		json_kv_double(&j, "dma_faults_per_s", p->dma_fault_s, 6);
		json_latency(&j, m, p);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
}

/* ---- interactive ---- */

static struct termios saved_tty;
static bool tty_saved;
static volatile sig_atomic_t curses_on;

void ui_emergency_restore(void)
{
	static const char reset[] = "\033[?1049l\033[?25h\033[0m\r\n";

	if (!curses_on)
		return;
	if (tty_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
	if (write(STDOUT_FILENO, reset, sizeof(reset) - 1) < 0)
		return;
}

static void ui_end(void)
{
	if (curses_on) {
		endwin();
		curses_on = 0;
	}
}

static struct {
	enum top_view view;
	int sort[VIEW_NR];
	bool reverse, help;
	int sel;		/* the selected pair's row, kept by its names */
	char sel_provider[P2P_NAME_LEN], sel_client[P2P_NAME_LEN];
} ui = { .sort = { 3, 2, 5 } };

/* ---- the screen's parts ---- */

enum { C_OK = 1, C_WARN, C_BAD, C_DIM };

static bool utf8, colour;

static void paint_on(int pair, int attr)
{
	if (colour && pair)
		attron(COLOR_PAIR(pair));
	if (attr)
		attron(attr);
}

static void paint_off(int pair, int attr)
{
	if (colour && pair)
		attroff(COLOR_PAIR(pair));
	if (attr)
		attroff(attr);
}

/* [#####.....]: a share of width cells */
static void meter(int y, int x, int width, double share)
{
	int fill = (int)(share * width + 0.5), pair = share > 0.9 ? C_BAD : share > 0.7 ? C_WARN : C_OK;

	if (width < 3)
		return;
	fill = fill < 0 ? 0 : fill > width ? width : fill;
	mvaddch(y, x, '[');
	paint_on(pair, 0);
	for (int i = 0; i < fill; i++)
		addstr(utf8 ? "\u2588" : "#");
	paint_off(pair, 0);
	paint_on(C_DIM, 0);
	for (int i = fill; i < width; i++)
		addstr(utf8 ? "\u00b7" : ".");
	paint_off(C_DIM, 0);
	addch(']');
}

/* The last width samples, scaled to their own maximum. */
static void sparkline(int y, int x, int width, const double *hist, int pair)
{
	static const char *const bars[] = { " ", "\u2581", "\u2582", "\u2583", "\u2584",
					    "\u2585", "\u2586", "\u2587", "\u2588" };
	static const char ascii[] = " .:-=+*#%";
	const double *h = hist + TOP_HISTORY - width;
	double max = 0;

	if (width <= 0)
		return;
	for (int i = 0; i < width; i++)
		max = h[i] > max ? h[i] : max;
	move(y, x);
	paint_on(pair, 0);
	for (int i = 0; i < width; i++) {
		int lvl = max > 0 ? (int)(h[i] / max * 8 + 0.999) : 0;

		lvl = lvl < 0 ? 0 : lvl > 8 ? 8 : lvl;
		if (utf8)
			addstr(bars[lvl]);
		else
			addch(ascii[lvl]);
	}
	paint_off(pair, 0);
}

/* Two lines per provider: how full it is, and what it did over the last minute. */
static int draw_provider_cards(const struct top_model *m, int y)
{
	int bar = COLS >= 120 ? 40 : COLS >= 90 ? 24 : 12;
	int spark = (COLS - 64) / 2;
	char used[16], size[16], avail[16], line[256];

	spark = spark > TOP_HISTORY ? TOP_HISTORY : spark < 8 ? 8 : spark;
	for (int i = 0; i < m->nprov && y < LINES - 2; i++) {
		const struct top_provider *p = &m->prov[i];
		double share = p->size ? (double)top_used(p) / p->size : 0;

		human_bytes(top_used(p), used, sizeof(used));
		human_bytes(p->size, size, sizeof(size));
		human_bytes(p->avail, avail, sizeof(avail));
		snprintf(line, sizeof(line), "%s %-6s", p->bdf, p->name[0] ? p->name : "-");
		attron(A_BOLD);
		mvaddnstr(y, 0, line, COLS);
		attroff(A_BOLD);
		meter(y, 20, bar, share);
		snprintf(line, sizeof(line), " %s of %s used (%.1f%%), %s free, %lld mappings%s",
			 used, size, share * 100, avail, (long long)top_live(p),
			 p->acct_mismatch ? "  (sysfs and BPF disagree)" : "");
		mvaddnstr(y, 22 + bar, line, COLS - 22 - bar);
		/* the IOMMU blocked DMA into its memory: a P2P copy did not happen */
		if (p->now.dma_faults && getcurx(stdscr) < COLS - 1) {
			snprintf(line, sizeof(line), "  DMA FAULTS %llu (%.1f/s)",
				 (unsigned long long)p->now.dma_faults, p->dma_fault_s);
			paint_on(C_BAD, A_BOLD);
			addnstr(line, COLS - getcurx(stdscr));
			paint_off(C_BAD, A_BOLD);
		}
		y++;
		if (COLS < 60)
			continue;
		mvaddstr(y, 2, "P2P MB/s ");
		sparkline(y, 11, spark, p->hist_mbs, C_OK);
		snprintf(line, sizeof(line), " %7.2f  fallbacks/s ", p->rd_mbs + p->wr_mbs);
		mvaddnstr(y, 11 + spark, line, COLS - 11 - spark);
		sparkline(y, 11 + spark + 23, spark, p->hist_fb, C_BAD);
		paint_on(p->fallback_s > 0 ? C_BAD : 0, 0);
		snprintf(line, sizeof(line), " %6.1f", p->fallback_s);
		mvaddnstr(y, 11 + 2 * spark + 23, line, COLS - 11 - 2 * spark - 23);
		paint_off(p->fallback_s > 0 ? C_BAD : 0, 0);
		y++;
	}
	return y;
}

/* A table: title row, then rows (at most max), the last text column to the edge. */
static int draw_table(struct top_model *m, const struct top_opts *o, enum top_view v,
		      int y, int max, int selected, unsigned int skip)
{
	int cols[TOP_MAX_COLS], n = top_fit_without(v, COLS, cols, skip), rows = top_nrows(m, v), x;
	char cell[200];

	if (o->rows && rows > o->rows)
		rows = o->rows;
	if (max >= 0 && rows > max)
		rows = max;
	attron(A_REVERSE);
	move(y, 0);
	for (int c = 0; c < n; c++) {
		const struct top_column *col = &top_columns[v][cols[c]];

		printw(col->left ? "%s%-*s" : "%s%*s", c ? " " : "", col->width, col->title);
	}
	for (x = getcurx(stdscr); x < COLS; x++)
		addch(' ');
	attroff(A_REVERSE);
	y++;
	for (int r = 0; r < rows && y < LINES; r++, y++) {
		bool refused = (v == VIEW_PAIRS && m->pair[r].map_type == P2P_MAP_NOT_SUPPORTED) ||
			       (v == VIEW_PAIRS && m->pair[r].dma_now.faults > 0) ||
			       (v == VIEW_PROVIDERS && m->prov[r].fallback_s > 0) ||
			       (v == VIEW_PROVIDERS && m->prov[r].now.dma_faults > 0) ||
			       (v == VIEW_PROCESSES && m->proc[r].now.fallbacks > 0);

		move(y, 0);
		paint_on(refused ? C_BAD : 0, r == selected ? A_REVERSE : 0);
		for (int c = 0; c < n; c++) {
			const struct top_column *col = &top_columns[v][cols[c]];
			int w = col->width;

			top_cell(m, v, r, cols[c], cell, sizeof(cell));
			/* the last text column (reasons) gets the rest of the line */
			if (c == n - 1 && col->left)
				w = COLS - getcurx(stdscr) - (c ? 1 : 0);
			if (w > 0)
				printw(col->left ? "%s%-*.*s" : "%s%*.*s", c ? " " : "", w, w, cell);
		}
		paint_off(refused ? C_BAD : 0, r == selected ? A_REVERSE : 0);
	}
	return y;
}

/* The selected pair after sorting: the same names, else the same row. */
static void select_pair(struct top_model *m)
{
	for (int i = 0; i < m->npair; i++)
		if (!strcmp(m->pair[i].provider, ui.sel_provider) &&
		    !strcmp(m->pair[i].client, ui.sel_client)) {
			ui.sel = i;
			return;
		}
	ui.sel = ui.sel < 0 ? 0 : ui.sel >= m->npair ? m->npair - 1 : ui.sel;
	memcpy(ui.sel_provider, m->pair[ui.sel].provider, P2P_NAME_LEN);
	memcpy(ui.sel_client, m->pair[ui.sel].client, P2P_NAME_LEN);
}

static void move_selection(const struct top_model *m, int by)
{
	int n = m->npair;

	if (!n)
		return;
	ui.sel = ui.sel + by < 0 ? 0 : ui.sel + by >= n ? n - 1 : ui.sel + by;
	memcpy(ui.sel_provider, m->pair[ui.sel].provider, P2P_NAME_LEN);
	memcpy(ui.sel_client, m->pair[ui.sel].client, P2P_NAME_LEN);
}

/* The pair's P2P latency beside its client's through host memory. */
static void draw_latency(const struct top_pair *p, int y)
{
	const struct p2p_hist *h[2] = { &p->lat, &p->host_lat };
	static const char *const what[2] = { "P2P", "host memory" };
	int half = COLS / 2, stars = half - 36, first = P2P_HIST_SLOTS, last = -1;
	char prov[64], cli[64], line[320], p50[16], p99[16];

	if (y >= LINES - 2)
		return;
	pci_display_name(p->provider, prov, sizeof(prov));
	pci_display_name(p->client, cli, sizeof(cli));
	snprintf(line, sizeof(line), "Latency %s -> %s since the start (up/down: another pair)",
		 prov, cli);
	attron(A_BOLD);
	mvaddnstr(y++, 0, line, COLS);
	attroff(A_BOLD);
	for (int i = 0; i < 2; i++) {
		int f, l;

		hist_us(hist_quantile(h[i], 0.5), p50, sizeof(p50));
		hist_us(hist_quantile(h[i], 0.99), p99, sizeof(p99));
		snprintf(line, sizeof(line), "%s: %llu I/Os, p50 %s us, p99 %s us", what[i],
			 (unsigned long long)hist_count(h[i]), p50, p99);
		mvaddnstr(y, i * half, line, half - 1);
		if (hist_span(h[i], &f, &l)) {
			first = f < first ? f : first;
			last = l > last ? l : last;
		}
	}
	y++;
	if (last < 0 || stars < 4)
		return;
	for (int k = first; k <= last && y < LINES; k++, y++)
		for (int i = 0; i < 2; i++) {
			hist_line(h[i], k, stars, line, sizeof(line));
			mvaddnstr(y, i * half, line, half - 1);
		}
}

static void draw(struct top_model *m, const struct top_opts *o)
{
	enum top_view v = ui.view;
	static const char *const names[VIEW_NR] = { "providers", "processes", "pairs" };
	char buf[256];
	int y = 0;

	erase();
	header_text(m, o, buf, sizeof(buf));
	paint_on(lost_total(m) || m->incomplete ? C_BAD : 0, A_BOLD);
	mvaddnstr(y++, 0, buf, COLS);
	paint_off(lost_total(m) || m->incomplete ? C_BAD : 0, A_BOLD);
	snprintf(buf, sizeof(buf), "view: %s  sort: %s%s  (? for help)", names[v],
		 top_columns[v][ui.sort[v]].title, ui.reverse ? " (reversed)" : "");
	mvaddnstr(y++, 0, buf, COLS);
	y++;
	if (ui.help) {
		static const char *const lines[] = {
			"q        quit",
			"s or >   sort by the next column",
			"<        sort by the previous column",
			"r        reverse the sort",
			"p        process view (again: providers)",
			"c        pair view (again: providers)",
			"up/down  pair view: select a pair for its latency histograms",
			"+ / -    longer / shorter interval",
			"?        this help (any key closes it)",
			"",
			"Red: refused pairs, fallbacks and IOMMU DMA faults. NO_COLOR=1 turns colour off.",
		};

		for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
			mvaddnstr(y++, 2, lines[i], COLS - 2);
		refresh();
		return;
	}
	top_sort(m, v, ui.sort[v], ui.reverse);
	if (v == VIEW_PAIRS && m->npair) {
		/* the table gives the pane half of what is left, at least 10 lines */
		int room = LINES - y - 1, max = room > 20 ? room / 2 : room - 10;

		select_pair(m);
		y = draw_table(m, o, v, y, max > 1 ? max : 1, ui.sel, 0) + 1;
		draw_latency(&m->pair[ui.sel], y);
		refresh();
		return;
	}
	if (v != VIEW_PROVIDERS) {
		y = draw_table(m, o, v, y, -1, -1, 0);
		if (!top_nrows(m, v) && y < LINES)
			mvaddnstr(y, 0, "nothing yet", COLS);
		refresh();
		return;
	}
	if (!m->nprov) {
		mvaddnstr(y, 0, "no P2PDMA provider", COLS);
		refresh();
		return;
	}
	/* the overview: cards, the providers, and when there is room the
	 * busiest processes and the refused pairs with their reasons */
	y = draw_provider_cards(m, y) + 1;
	y = draw_table(m, o, VIEW_PROVIDERS, y, LINES - y - 1 > 4 ? 4 : LINES - y - 1, -1, 0) + 1;
	if (LINES - y >= 4 && m->nproc) {
		top_sort(m, VIEW_PROCESSES, 2, false);
		mvaddstr(y++, 0, "Busiest processes (p for all)");
		y = draw_table(m, o, VIEW_PROCESSES, y, LINES - y - 5 > 5 ? 5 : LINES - y - 5 > 1 ? LINES - y - 5 : 1, -1, 0) + 1;
	}
	if (LINES - y >= 3) {
		int refused = 0;

		top_sort(m, VIEW_PAIRS, 4, false);
		for (int i = 0; i < m->npair; i++)
			refused += m->pair[i].map_type == P2P_MAP_NOT_SUPPORTED;
		if (refused) {
			paint_on(C_BAD, A_BOLD);
			mvaddstr(y++, 0, "Refused pairs (c for all pairs)");
			paint_off(C_BAD, A_BOLD);
			/* refused: no P2P latency, and the reason needs the room */
			y = draw_table(m, o, VIEW_PAIRS, y, LINES - y - 1, -1, TOP_PAIR_LATENCY_COLS);
		}
	}
	refresh();
}

/* Returns false to quit. */
static bool handle_key(const struct top_model *m, struct top_opts *o, int ch)
{
	int n = top_ncolumns(ui.view);

	if (ui.help && ch != ERR && ch != KEY_RESIZE) {
		ui.help = false;
		return true;
	}
	switch (ch) {
	case 'q': case 'Q': return false;
	case 's': case '>': ui.sort[ui.view] = (ui.sort[ui.view] + 1) % n; break;
	case '<': ui.sort[ui.view] = (ui.sort[ui.view] + n - 1) % n; break;
	case 'r': ui.reverse = !ui.reverse; break;
	case 'p': ui.view = ui.view == VIEW_PROCESSES ? VIEW_PROVIDERS : VIEW_PROCESSES; break;
	case 'c': ui.view = ui.view == VIEW_PAIRS ? VIEW_PROVIDERS : VIEW_PAIRS; break;
	case '?': case 'h': ui.help = true; break;
	case KEY_UP: if (ui.view == VIEW_PAIRS) move_selection(m, -1); break;
	case KEY_DOWN: if (ui.view == VIEW_PAIRS) move_selection(m, 1); break;
	case '+': o->interval = o->interval < 3600 ? o->interval * 2 : o->interval; break;
	case '-': o->interval = o->interval > 0.2 ? o->interval / 2 : o->interval; break;
	}
	return true;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void run_interactive(struct top_model *m, struct top_opts *o, void (*collect)(double secs),
		     volatile sig_atomic_t *exiting)
{
	double last = now_s(), next = last + o->interval;

	tty_saved = !tcgetattr(STDIN_FILENO, &saved_tty);
	setlocale(LC_ALL, "");
	utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	initscr();
	curses_on = 1;
	/* https://no-color.org: any value turns colour off */
	colour = has_colors() && !getenv("NO_COLOR");
	if (colour) {
		start_color();
		use_default_colors();
		init_pair(C_OK, COLOR_GREEN, -1);
		init_pair(C_WARN, COLOR_YELLOW, -1);
		init_pair(C_BAD, COLOR_RED, -1);
		init_pair(C_DIM, COLOR_BLUE, -1);
	}
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	collect(0);
	draw(m, o);
	while (!*exiting && o->count) {
		/* at most a second at a time: long intervals stay responsive */
		double left = fmin(next - now_s(), 1.0);
		int ch;

		timeout(left > 0 ? (int)(left * 1000) : 0);
		ch = getch();
		if (ch != ERR) {
			if (!handle_key(m, o, ch))
				break;
			draw(m, o);
			continue;
		}
		if (now_s() < next)
			continue;
		collect(now_s() - last);
		last = now_s();
		next = last + o->interval;
		if (o->count > 0)
			o->count--;
		draw(m, o);
	}
	ui_end();
}
