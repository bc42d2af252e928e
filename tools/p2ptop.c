// SPDX-License-Identifier: GPL-2.0
/*
 * p2ptop: live per-provider view of PCI peer-to-peer DMA: CMB use, mappings,
 * map-type decisions, fallbacks and P2P I/O, with process and pair views.
 */
#define _GNU_SOURCE
#include <argp.h>
#include <curses.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "common.h"
#include "top_data.h"
#include "p2pscope.skel.h"

static const char *prog = "p2ptop";

static struct {
	bool batch, json, noclear, verbose;
	int rows;
	double interval;
	long count;
	char provider[P2P_NAME_LEN];
} env = { .interval = 1.0, .count = -1 };

static volatile sig_atomic_t exiting;
static bool curses_on;
static struct top_model model;

const char *argp_program_version = "p2ptop 0.1";
static const char doc[] =
"Show PCI peer-to-peer DMA live: per provider, its P2P memory (CMB) size and\n"
"use, live userspace mappings, allocs, frees and faults per second, map-type\n"
"decisions per second (BUS through a switch, HOSTBR through the host bridge,\n"
"NOSUP refused), fallbacks per second and P2P I/O in MB/s. The process view\n"
"shows who holds P2P memory; the pair view shows each provider -> client\n"
"decision and, when P2P is refused, why.\n"
"\n"
"Interactive when stdout is a terminal: q quit, s or < > sort column, r reverse,\n"
"p process view, c pair view, ? help, + - interval. Otherwise, or with -b,\n"
"it prints every INTERVAL seconds, COUNT times.\n"
"\n"
"USAGE: p2ptop [-h] [-v] [-b] [-j] [-C] [-r ROWS] [-P PROVIDER] [interval [count]]\n"
"\n"
"EXAMPLES:\n"
"    p2ptop              # interactive, 1 s refresh\n"
"    p2ptop -b 5 3       # three reports, 5 s apart\n"
"    p2ptop -j 1 10      # ten JSON objects, one a second\n"
"    p2ptop -P nvme1     # one provider\n";

static const struct argp_option options[] = {
	{ "batch", 'b', NULL, 0, "Print reports instead of the interactive screen", 0 },
	{ "json", 'j', NULL, 0, "One JSON object per interval", 0 },
	{ "noclear", 'C', NULL, 0, "Don't clear the screen between batch reports", 0 },
	{ "rows", 'r', "ROWS", 0, "Show at most ROWS rows per table", 0 },
	{ "provider", 'P', "PROVIDER", 0, "Only this provider (BDF or nvme name)", 0 },
	{ "verbose", 'v', NULL, 0, "Report the hooks chosen and libbpf messages", 0 },
	{ NULL, 'h', NULL, 0, "Show this help", 0 },
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	static int pos;
	unsigned long v;

	switch (key) {
	case 'b': env.batch = true; break;
	case 'j': env.json = true; break;
	case 'C': env.noclear = true; break;
	case 'v': env.verbose = true; break;
	case 'r':
		if (!parse_ulong(arg, 100000, &v) || !v)
			die_usage(prog, "bad row count '%s'", arg);
		env.rows = v;
		break;
	case 'P':
		provider_arg(prog, arg, env.provider, sizeof(env.provider));
		break;
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		exit(0);
	case ARGP_KEY_ARG:
		if (pos == 0) {
			if (!parse_seconds(arg, &env.interval))
				die_usage(prog, "bad interval '%s'", arg);
		} else if (pos == 1) {
			if (!parse_ulong(arg, 1000000000, &v) || !v)
				die_usage(prog, "bad count '%s'", arg);
			env.count = v;
		} else {
			die_usage(prog, "unexpected argument '%s' (see --help)", arg);
		}
		pos++;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static void restore_terminal(void)
{
	if (curses_on) {
		endwin();
		curses_on = false;
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- one interval ---- */

static struct {
	char prov_keys[P2P_MAX_PROVIDERS][P2P_NAME_LEN];
	struct p2p_provider_stats prov[P2P_MAX_PROVIDERS];
	__u32 pid_keys[P2P_MAX_PIDS];
	struct p2p_pid_stats pids[P2P_MAX_PIDS];
	struct p2p_pair_key pair_keys[P2P_MAX_PAIRS];
	struct p2p_pair_stats pairs[P2P_MAX_PAIRS];
} dump;

static void collect(struct p2pscope_bpf *skel, double secs)
{
	int n;

	top_begin(&model, secs);
	n = map_dump(bpf_map__fd(skel->maps.providers), dump.prov_keys, P2P_NAME_LEN,
		     dump.prov, sizeof(dump.prov[0]), P2P_MAX_PROVIDERS);
	for (int i = 0; i < n; i++) {
		char bdf[P2P_NAME_LEN + 1] = "";

		memcpy(bdf, dump.prov_keys[i], P2P_NAME_LEN);
		top_add_provider_stats(&model, bdf, &dump.prov[i]);
	}
	n = map_dump(bpf_map__fd(skel->maps.pids), dump.pid_keys, sizeof(__u32),
		     dump.pids, sizeof(dump.pids[0]), P2P_MAX_PIDS);
	for (int i = 0; i < n; i++)
		top_add_pid_stats(&model, dump.pid_keys[i], &dump.pids[i]);
	n = map_dump(bpf_map__fd(skel->maps.pairs), dump.pair_keys, sizeof(dump.pair_keys[0]),
		     dump.pairs, sizeof(dump.pairs[0]), P2P_MAX_PAIRS);
	for (int i = 0; i < n; i++)
		if (!env.provider[0] || !strncmp(dump.pair_keys[i].provider, env.provider, P2P_NAME_LEN))
			top_add_pair_stats(&model, &dump.pair_keys[i], &dump.pairs[i]);
	top_scan_old_maps(&model);
	top_end(&model);
	if (env.provider[0]) {
		int k = 0;

		for (int i = 0; i < model.nprov; i++)
			if (!strcmp(model.prov[i].bdf, env.provider))
				model.prov[k++] = model.prov[i];
		model.nprov = k;
	}
	model.drops = skel->bss->drops;
}

static void totals(__u64 *used, __u64 *freeb)
{
	*used = *freeb = 0;
	for (int i = 0; i < model.nprov; i++) {
		*used += top_used(&model.prov[i]);
		*freeb += model.prov[i].avail;
	}
}

static void header_text(char *buf, size_t len)
{
	char u[16], f[16], when[16];
	struct utsname un;
	__u64 used, freeb;
	time_t t = time(NULL);
	struct tm tm;

	uname(&un);
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	totals(&used, &freeb);
	human_bytes(used, u, sizeof(u));
	human_bytes(freeb, f, sizeof(f));
	snprintf(buf, len, "p2ptop %s  kernel %s  providers %d  CMB used %s free %s  drops %llu  every %gs",
		 when, un.release, model.nprov, u, f, (unsigned long long)model.drops, env.interval);
}

/* ---- batch text ---- */

static void print_table(enum top_view v, int width)
{
	int cols[16], n = top_fit(v, width, cols), rows = top_nrows(&model, v);
	char cell[160];

	if (env.rows && rows > env.rows)
		rows = env.rows;
	for (int c = 0; c < n; c++) {
		const struct top_column *col = &top_columns[v][cols[c]];

		printf(col->left ? "%s%-*s" : "%s%*s", c ? " " : "", col->width, col->title);
	}
	putchar('\n');
	for (int r = 0; r < rows; r++) {
		for (int c = 0; c < n; c++) {
			const struct top_column *col = &top_columns[v][cols[c]];

			top_cell(&model, v, r, cols[c], cell, sizeof(cell));
			/* the last column may run on: reasons are long */
			if (c == n - 1 && col->left)
				printf("%s%s", c ? " " : "", cell);
			else
				printf(col->left ? "%s%-*.*s" : "%s%*.*s", c ? " " : "",
				       col->width, col->width, cell);
		}
		putchar('\n');
	}
}

static int out_width(void)
{
	struct winsize ws;

	if (isatty(STDOUT_FILENO) && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col)
		return ws.ws_col;
	return 250;	/* a file or pipe gets every column */
}

static void print_batch(void)
{
	char head[256];
	int width = out_width();

	if (isatty(STDOUT_FILENO) && !env.noclear)
		fputs("\033[H\033[2J", stdout);
	header_text(head, sizeof(head));
	printf("%s\n\n", head);
	top_sort(&model, VIEW_PROVIDERS, 3, false);
	print_table(VIEW_PROVIDERS, width);
	putchar('\n');
	top_sort(&model, VIEW_PROCESSES, 2, false);
	print_table(VIEW_PROCESSES, width);
	putchar('\n');
	top_sort(&model, VIEW_PAIRS, 5, false);
	print_table(VIEW_PAIRS, width);
	putchar('\n');
	fflush(stdout);
}

/* ---- JSON ---- */

static void print_json(void)
{
	static const int order[] = { P2P_MAP_BUS_ADDR, P2P_MAP_THRU_HOST_BRIDGE,
				     P2P_MAP_NOT_SUPPORTED };
	struct utsname un;
	__u64 used, freeb;
	struct timespec rt;

	uname(&un);
	clock_gettime(CLOCK_REALTIME, &rt);
	totals(&used, &freeb);
	printf("{\"time\":%.3f,\"kernel\":", rt.tv_sec + rt.tv_nsec / 1e9);
	json_str(stdout, un.release);
	printf(",\"interval\":%.6f,\"drops\":%llu,\"used\":%llu,\"free\":%llu,\"providers\":[",
	       model.interval, (unsigned long long)model.drops,
	       (unsigned long long)used, (unsigned long long)freeb);
	for (int i = 0; i < model.nprov; i++) {
		const struct top_provider *p = &model.prov[i];

		printf("%s{\"bdf\":\"%s\",\"name\":", i ? "," : "", p->bdf);
		if (p->name[0])
			json_str(stdout, p->name);
		else
			fputs("null", stdout);
		printf(",\"size\":%llu,\"available\":%llu,\"used\":%llu,\"published\":%s,"
		       "\"accounting_ok\":%s,\"live_maps\":%lld,\"held_bytes\":%lld,"
		       "\"alloc_per_s\":%.6f,\"free_per_s\":%.6f,\"fault_per_s\":%.6f,\"maps_per_s\":{",
		       (unsigned long long)p->size, (unsigned long long)p->avail,
		       (unsigned long long)top_used(p), p->published ? "true" : "false",
		       p->acct_mismatch ? "false" : "true", (long long)p->now.live_maps,
		       (long long)p->now.held_bytes, p->alloc_s, p->free_s, p->fault_s);
		for (int k = 0; k < 3; k++)
			printf("%s\"%s\":%.6f", k ? "," : "", map_type_name(order[k]),
			       p->maps_s[order[k]]);
		printf("},\"fallback_per_s\":%.6f,\"read_mb_per_s\":%.6f,\"write_mb_per_s\":%.6f,"
		       "\"totals\":{\"allocs\":%llu,\"frees\":%llu,\"faults\":%llu,\"closes\":%llu,"
		       "\"fallbacks\":%llu,\"read_bytes\":%llu,\"write_bytes\":%llu,\"maps\":{",
		       p->fallback_s, p->rd_mbs, p->wr_mbs,
		       (unsigned long long)p->now.allocs, (unsigned long long)p->now.frees,
		       (unsigned long long)p->now.faults, (unsigned long long)p->now.closes,
		       (unsigned long long)p->now.fallbacks, (unsigned long long)p->now.read_bytes,
		       (unsigned long long)p->now.write_bytes);
		for (int k = 0; k < 3; k++)
			printf("%s\"%s\":%llu", k ? "," : "", map_type_name(order[k]),
			       (unsigned long long)p->now.maps[order[k]]);
		fputs("}}}", stdout);
	}
	fputs("],\"processes\":[", stdout);
	for (int i = 0; i < model.nproc; i++) {
		const struct top_proc *p = &model.proc[i];

		printf("%s{\"pid\":%u,\"comm\":", i ? "," : "", p->pid);
		json_str(stdout, p->comm);
		printf(",\"held_bytes\":%lld,\"live_maps\":%lld,\"alloc_bytes\":%llu,"
		       "\"read_mb_per_s\":%.3f,\"write_mb_per_s\":%.3f,\"fallbacks\":%llu}",
		       (long long)p->now.held_bytes, (long long)p->now.live_maps,
		       (unsigned long long)p->now.alloc_bytes, p->rd_mbs, p->wr_mbs,
		       (unsigned long long)p->now.fallbacks);
	}
	fputs("],\"pairs\":[", stdout);
	for (int i = 0; i < model.npair; i++) {
		const struct top_pair *p = &model.pair[i];
		char prov[P2P_NAME_LEN + 1] = "", cli[P2P_NAME_LEN + 1] = "", name[32];

		memcpy(prov, p->key.provider, P2P_NAME_LEN);
		memcpy(cli, p->key.client, P2P_NAME_LEN);
		printf("%s{\"provider\":", i ? "," : "");
		json_str(stdout, prov);
		fputs(",\"client\":", stdout);
		json_str(stdout, cli);
		fputs(",\"client_name\":", stdout);
		if (pci_nvme_name(cli, name, sizeof(name)))
			json_str(stdout, name);
		else
			fputs("null", stdout);
		printf(",\"map_type\":\"%s\",\"bytes\":%llu,\"fallbacks\":%llu,\"decisions\":{",
		       map_type_name(p->now.last_type), (unsigned long long)p->now.bytes,
		       (unsigned long long)p->now.fallbacks);
		for (int k = 0; k < 3; k++)
			printf("%s\"%s\":%llu", k ? "," : "", map_type_name(order[k]),
			       (unsigned long long)p->now.maps[order[k]]);
		fputs("},\"reason\":", stdout);
		if (p->reason[0])
			json_str(stdout, p->reason);
		else
			fputs("null", stdout);
		putchar('}');
	}
	fputs("]}\n", stdout);
	fflush(stdout);
}

/* ---- interactive ---- */

static struct {
	enum top_view view;
	int sort[VIEW_NR];
	bool reverse, help;
} ui = { .sort = { 3, 2, 5 } };

static void draw(void)
{
	int cols[16], n, rows, y = 0;
	enum top_view v = ui.view;
	static const char *const names[VIEW_NR] = { "providers", "processes", "pairs" };
	char buf[256], cell[160];

	erase();
	header_text(buf, sizeof(buf));
	mvaddnstr(y++, 0, buf, COLS);
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
			"+ / -    longer / shorter interval",
			"?        this help (any key closes it)",
		};

		for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
			mvaddnstr(y++, 2, lines[i], COLS - 2);
		refresh();
		return;
	}
	top_sort(&model, v, ui.sort[v], ui.reverse);
	n = top_fit(v, COLS, cols);
	attron(A_REVERSE);
	move(y, 0);
	for (int c = 0; c < n; c++) {
		const struct top_column *col = &top_columns[v][cols[c]];

		printw(col->left ? "%s%-*s" : "%s%*s", c ? " " : "", col->width, col->title);
	}
	attroff(A_REVERSE);
	y++;
	rows = top_nrows(&model, v);
	if (env.rows && rows > env.rows)
		rows = env.rows;
	for (int r = 0; r < rows && y < LINES; r++, y++) {
		move(y, 0);
		for (int c = 0; c < n; c++) {
			const struct top_column *col = &top_columns[v][cols[c]];

			top_cell(&model, v, r, cols[c], cell, sizeof(cell));
			printw(col->left ? "%s%-*.*s" : "%s%*.*s", c ? " " : "", col->width,
			       col->width, cell);
		}
	}
	if (!top_nrows(&model, v) && y < LINES)
		mvaddnstr(y, 0, v == VIEW_PROVIDERS ? "no P2PDMA provider" : "nothing yet", COLS);
	refresh();
}

/* Returns false to quit. */
static bool handle_key(int ch)
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
	case '+': env.interval = env.interval < 60 ? env.interval * 2 : env.interval; break;
	case '-': env.interval = env.interval > 0.25 ? env.interval / 2 : env.interval; break;
	}
	return true;
}

static void run_interactive(struct p2pscope_bpf *skel)
{
	double last = now_s(), next = last + env.interval;

	initscr();
	curses_on = true;
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	collect(skel, 0);
	draw();
	while (!exiting && env.count) {
		int wait_ms = (int)((next - now_s()) * 1000);
		int ch;

		timeout(wait_ms > 0 ? wait_ms : 0);
		ch = getch();
		if (ch != ERR) {
			if (!handle_key(ch))
				break;
			draw();
			continue;
		}
		if (now_s() < next)
			continue;
		collect(skel, now_s() - last);
		last = now_s();
		next = last + env.interval;
		if (env.count > 0)
			env.count--;
		draw();
	}
	restore_terminal();
}

static void run_batch(struct p2pscope_bpf *skel)
{
	double last = now_s();

	collect(skel, 0);
	while (!exiting && env.count) {
		struct timespec ts = { (time_t)env.interval,
				       (long)((env.interval - (time_t)env.interval) * 1e9) };

		/* signals cut the sleep short; the report still comes */
		nanosleep(&ts, NULL);
		collect(skel, now_s() - last);
		last = now_s();
		if (env.json)
			print_json();
		else
			print_batch();
		if (env.count > 0)
			env.count--;
	}
}

int main(int argc, char **argv)
{
	static const struct argp argp = { options, parse_arg, "[interval [count]]", doc,
					  NULL, NULL, NULL };
	struct p2pscope_bpf *skel;
	struct sigaction sa = { .sa_handler = on_signal };
	int err;

	if (argp_parse(&argp, argc, argv, ARGP_NO_HELP, NULL, NULL))
		return EXIT_USAGE;
	if (!isatty(STDOUT_FILENO) || env.json)
		env.batch = true;
	libbpf_messages(env.verbose);
	preflight(prog);

	skel = p2pscope_bpf__open();
	if (!skel) {
		fprintf(stderr, "%s: cannot open the BPF object: %s\n", prog, strerror(errno));
		return 1;
	}
	/* totals only: nothing goes through the ring buffer, so keep it small */
	skel->rodata->emit_events = false;
	err = bpf_map__set_max_entries(skel->maps.events, getpagesize());
	if (err) {
		fprintf(stderr, "%s: cannot size the ring buffer: %s\n", prog, strerror(-err));
		goto out;
	}
	hooks_select(skel->obj, env.verbose, prog);
	err = p2pscope_bpf__load(skel);
	if (err) {
		fprintf(stderr, "%s: cannot load the BPF programs: %s\n", prog, strerror(-err));
		goto out;
	}
	/* mappings from before now come from /proc: look before BPF does */
	collect(skel, 0);
	err = p2pscope_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "%s: cannot attach the BPF programs: %s\n", prog, strerror(-err));
		goto out;
	}
	/* no SA_RESTART: a signal must end getch() and nanosleep() */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	atexit(restore_terminal);

	if (env.batch)
		run_batch(skel);
	else
		run_interactive(skel);
out:
	restore_terminal();
	p2pscope_bpf__destroy(skel);
	return err ? 1 : 0;
}
