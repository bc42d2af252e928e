// SPDX-License-Identifier: GPL-2.0
/*
 * p2ptop: live per-provider view of PCI peer-to-peer DMA: CMB use, mappings,
 * map-type decisions, fallbacks and P2P I/O, with process and pair views.
 */
#define _GNU_SOURCE
#include <argp.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "args.h"
#include "bpf_setup.h"
#include "sysfs.h"
#include "metrics.h"
#include "model.h"
#include "maptype.h"
#include "table.h"
#include "view.h"
#include "p2pscope.skel.h"

static struct bpf_setup setup = { .top_mode = true, .hist_mode = true };
static struct top_opts opts = { .interval = 1.0, .count = -1 };
static struct top_model model;
static volatile sig_atomic_t exiting;
static const char *output;		/* -o */
static bool openmetrics;
static const char *textfile;		/* --textfile DIR */

const char *argp_program_version = "p2ptop 0.2";
static const char doc[] =
"Show PCI peer-to-peer DMA live: per provider, its P2P memory (CMB) size and\n"
"use, live userspace mappings, allocs, frees and faults per second, map-type\n"
"decisions per second (BUS through a switch, HOSTBR through the host bridge,\n"
"NOSUP refused), fallbacks per second and P2P I/O in MB/s. The process view\n"
"shows who holds P2P memory; the pair view shows each provider -> client\n"
"decision and, when P2P is refused, why, with the latency of its P2P I/O and\n"
"of the client disk's I/O through host memory (p50 and p99 in microseconds).\n"
"\n"
"Interactive when stdout is a terminal: q quit, s or < > sort column, r\n"
"reverse, p process view, c pair view (up and down select a pair, whose\n"
"latency histograms show below), ? help, + - interval. Otherwise, or\n"
"with -b, it prints a report every INTERVAL seconds (0.1 to 86400, default\n"
"1), COUNT times (default: until interrupted).\n"
"\n"
"EXAMPLES:\n"
"    p2ptop              # interactive, 1 s refresh\n"
"    p2ptop -b 5 3       # three reports, 5 s apart\n"
"    p2ptop -j 1 10      # ten JSON objects, one a second\n"
"    p2ptop -P nvme1     # one provider\n"
"    p2ptop -o openmetrics 1 1   # one report for Prometheus\n"
"    p2ptop --textfile /var/lib/prometheus/node-exporter 15\n"
"                        # for node_exporter's textfile collector\n";

enum { OPT_TEXTFILE = 0x100 };

static const struct argp_option options[] = {
	{ "batch", 'b', NULL, 0, "Print reports instead of the interactive screen", 0 },
	{ "json", 'j', NULL, 0, "One JSON object per interval", 0 },
	{ "noclear", 'C', NULL, 0, "Don't clear the screen between batch reports", 0 },
	{ "rows", 'r', "ROWS", 0, "Show at most ROWS rows per table", 0 },
	{ "provider", 'P', "PROVIDER", 0, "Only this provider (PCI address or nvme name)", 0 },
	{ "output", 'o', "FORMAT", 0, "Report format: text, json (as -j) or openmetrics (Prometheus)", 0 },
	{ "textfile", OPT_TEXTFILE, "DIR", 0,
	  "Write the openmetrics report to DIR/" METRICS_TEXTFILE " every interval, atomically, "
	  "for node_exporter's textfile collector (removed at exit)", 0 },
	{ "verbose", 'v', NULL, 0, "Report the kernel, the hooks chosen and libbpf messages", 0 },
	{ 0 },
};

static error_t parse_arg(int key, char *arg, struct argp_state *state __attribute__((unused)))
{
	static int pos;
	unsigned long v;
	struct stat st;

	switch (key) {
	case 'b': opts.batch = true; break;
	case 'j': opts.json = true; break;
	case 'C': opts.noclear = true; break;
	case 'v': setup.verbose = true; break;
	case 'r':
		if (!parse_ulong(arg, 100000, &v) || !v)
			die_usage("bad row count '%s' (1 to 100000)", arg);
		opts.rows = v;
		break;
	case 'P':
		provider_arg(arg, setup.provider, sizeof(setup.provider));
		break;
	case 'o':
		if (strcmp(arg, "text") && strcmp(arg, "json") && strcmp(arg, "openmetrics"))
			die_usage("bad output format '%s' (text, json or openmetrics)", arg);
		output = arg;
		break;
	case OPT_TEXTFILE:
		if (stat(arg, &st) || (S_ISDIR(st.st_mode) && access(arg, W_OK | X_OK)))
			die_usage("--textfile %s: %s", arg, strerror(errno));
		if (!S_ISDIR(st.st_mode))
			die_usage("--textfile %s: not a directory", arg);
		textfile = arg;
		break;
	case ARGP_KEY_END:
		if (opts.json && output && strcmp(output, "json"))
			die_usage("-j and -o %s are different outputs: give one", output);
		if (textfile && (opts.json || (output && strcmp(output, "openmetrics"))))
			die_usage("--textfile writes the openmetrics output only");
		if (output && !strcmp(output, "json"))
			opts.json = true;
		openmetrics = textfile || (output && !strcmp(output, "openmetrics"));
		/* text, JSON and metrics are reports, never the screen */
		if (output)
			opts.batch = true;
		break;
	case ARGP_KEY_ARG:
		if (pos == 0) {
			if (!parse_seconds(arg, 0.1, 86400, &opts.interval))
				die_usage("bad interval '%s' (seconds, 0.1 to 86400)", arg);
		} else if (pos == 1) {
			if (!parse_ulong(arg, 1000000000, &v) || !v)
				die_usage("bad count '%s' (1 to 1000000000)", arg);
			opts.count = v;
		} else {
			die_usage("unexpected argument '%s' (see --help)", arg);
		}
		pos++;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* ---- one interval ---- */

static struct {
	__u64 prov_keys[P2P_MAX_PROVIDERS];
	struct p2p_mem_stats prov[P2P_MAX_PROVIDERS];
	__u32 pid_keys[P2P_MAX_PIDS];
	struct p2p_pid_stats pids[P2P_MAX_PIDS];
	struct p2p_pair_key pair_keys[P2P_MAX_PAIRS];
	struct p2p_pair_stats pairs[P2P_MAX_PAIRS];
	struct p2p_pair_key dma_keys[P2P_MAX_PAIRS];
	struct p2p_dmafault_stats dma[P2P_MAX_PAIRS];
	struct hist_row hists[P2P_MAX_HISTS];
} dump;
static int ndump_pids;

static void map_error(const char *map, int err)
{
	static bool said;

	/* a table that cannot be read is not shown as zeros */
	if (!said)
		fprintf(stderr, "p2ptop: cannot read the %s map: %s\n", map, strerror(-err));
	said = true;
	model.incomplete = true;
}

static void collect(double secs)
{
	struct p2pscope_bpf *skel = setup.skel;
	char comm[P2P_COMM_LEN];
	int n;

	top_begin(&model, secs);
	model.incomplete = false;
	n = map_read(bpf_map__fd(skel->maps.provider_stats), true, dump.prov_keys,
		     sizeof(dump.prov_keys[0]), dump.prov, sizeof(dump.prov[0]), P2P_MAX_PROVIDERS);
	if (n < 0)
		map_error("provider", n);
	for (int i = 0; i < n; i++)
		top_add_provider_stats(&model, bpf_dev_name(skel, dump.prov_keys[i]), &dump.prov[i]);

	n = map_read(bpf_map__fd(skel->maps.pid_stats), true, dump.pid_keys,
		     sizeof(dump.pid_keys[0]), dump.pids, sizeof(dump.pids[0]), P2P_MAX_PIDS);
	if (n < 0)
		map_error("process", n);
	ndump_pids = n > 0 ? n : 0;
	for (int i = 0; i < n; i++) {
		__u32 pid = dump.pid_keys[i];

		comm[0] = 0;
		bpf_map_lookup_elem(bpf_map__fd(skel->maps.pid_comm), &pid, comm);
		top_add_pid_stats(&model, pid, comm, &dump.pids[i]);
		/* a process that is gone and holds nothing is shown once more, then forgotten */
		if (!dump.pids[i].live_maps && !dump.pids[i].held_bytes && top_pid_gone(pid)) {
			bpf_map_delete_elem(bpf_map__fd(skel->maps.pid_stats), &pid);
			bpf_map_delete_elem(bpf_map__fd(skel->maps.pid_comm), &pid);
		}
	}

	n = map_read(bpf_map__fd(skel->maps.pair_stats), true, dump.pair_keys,
		     sizeof(dump.pair_keys[0]), dump.pairs, sizeof(dump.pairs[0]), P2P_MAX_PAIRS);
	if (n < 0)
		map_error("pair", n);
	for (int i = 0; i < n; i++) {
		char prov[P2P_NAME_LEN];

		snprintf(prov, sizeof(prov), "%s", bpf_dev_name(skel, dump.pair_keys[i].provider));
		top_add_pair_stats(&model, prov, bpf_dev_name(skel, dump.pair_keys[i].client),
				   &dump.pairs[i]);
	}
	/* IOMMU faults, keyed by PCI ids (bpf/iommu.bpf.c) */
	if (setup.features & (1U << FEAT_DMAFAULT)) {
		n = map_read(bpf_map__fd(skel->maps.dmafault_stats), true, dump.dma_keys,
			     sizeof(dump.dma_keys[0]), dump.dma, sizeof(dump.dma[0]), P2P_MAX_PAIRS);
		if (n < 0)
			map_error("DMA fault", n);
		for (int i = 0; i < n; i++) {
			char prov[24], cli[24];

			top_add_dmafault_stats(&model, pci_id_name(dump.dma_keys[i].provider, prov, sizeof(prov)),
					       pci_id_name(dump.dma_keys[i].client, cli, sizeof(cli)),
					       &dump.dma[i]);
		}
	}
	n = bpf_hist_rows(skel, dump.hists, P2P_MAX_HISTS);
	if (n < 0)
		map_error("latency", n);
	for (int i = 0; i < n; i++)
		top_add_hist(&model, &dump.hists[i]);
	{
		/* what BPF already follows is not counted again from /proc */
		static __u64 keys[65536];
		static struct p2p_live_map known[65536];
		static __u32 holders[P2P_MAX_PIDS];
		int nk = 0, nh = 0;

		if (setup.features & (1U << FEAT_LIVE))
			nk = map_read(bpf_map__fd(skel->maps.live_maps), false, keys,
				      sizeof(keys[0]), known, sizeof(known[0]), 65536);
		if (nk < 0)
			map_error("live mappings", nk);
		/* processes BPF saw map P2P memory or inherit it */
		for (int i = 0; i < ndump_pids; i++)
			if (dump.pids[i].faults || dump.pids[i].inherited)
				holders[nh++] = dump.pid_keys[i];
		top_scan_old_maps(&model, known, nk > 0 ? nk : 0, holders, nh);
	}
	top_end(&model);
	bpf_losses(skel, &model.lost);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sleep until t (monotonic seconds) or a signal; false if a signal came. */
static bool sleep_until(double t)
{
	struct timespec ts;
	double left = t - now_s();

	if (left <= 0)
		return true;
	ts.tv_sec = (time_t)left;
	ts.tv_nsec = (long)((left - floor(left)) * 1e9);
	return !nanosleep(&ts, NULL);
}

static int run_batch(void)
{
	double last = now_s();

	collect(0);
	while (!exiting && opts.count) {
		/* a signal cuts the sleep short; the report still comes */
		sleep_until(last + opts.interval);
		collect(now_s() - last);
		last = now_s();
		if (openmetrics) {
			if (metrics_report(&model, textfile, stdout))
				return 1;	/* said why; a service restarts it */
		} else if (opts.json)
			print_json(&model, &opts, stdout);
		else
			print_batch(&model, &opts, stdout);
		fflush(stdout);
		if (opts.count > 0)
			opts.count--;
	}
	return 0;
}

/* ---- signals: every way out leaves the terminal as it was ---- */

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static void on_fatal(int sig)
{
	ui_emergency_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void signals(void)
{
	static const int quit[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	struct sigaction sa = { .sa_handler = on_signal };

	/* no SA_RESTART: a signal must end getch() and nanosleep() */
	for (size_t i = 0; i < sizeof(quit) / sizeof(quit[0]); i++)
		sigaction(quit[i], &sa, NULL);
	sa.sa_handler = on_fatal;
	sa.sa_flags = SA_RESETHAND;
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
}

/* Why a pair is refused: p2pdoctor's verdict, one implementation for both. */
static const char *pair_reason(const char *provider, const char *client, char *buf, size_t len)
{
	struct topo_verdict v;

	if (topo_predict(provider, client, &v))
		snprintf(buf, len, "%s or %s is not in sysfs", provider, client);
	else
		snprintf(buf, len, "%s", v.reason);
	return buf;
}

static void collect_cb(double secs)
{
	collect(secs);
}

static unsigned int live_map_slots(void)
{
	char bdfs[P2P_MAX_PROVIDERS][P2P_NAME_LEN];
	unsigned long long total = 0, v;
	const char *env = getenv("P2PSCOPE_MAX_MAPS");
	unsigned long n;

	/* tests shrink it to see what the tool says when it runs out */
	if (env && parse_ulong(env, 1 << 20, &n) && n)
		return n;
	/* every mapping holds at least a page: room for all of them */
	for (int i = provider_list(bdfs, P2P_MAX_PROVIDERS) - 1; i >= 0; i--)
		if (sysfs_u64(&v, "bus/pci/devices/%s/p2pmem/size", bdfs[i]))
			total += v;
	total /= getpagesize();
	return total < P2P_MAX_MAPS ? P2P_MAX_MAPS : total > 65536 ? 65536 : total;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { options, parse_arg, "[interval [count]]", doc,
					  NULL, NULL, NULL };
	int rc = 0;

	args_parse(&argp, argc, argv);
	if (!isatty(STDOUT_FILENO) || opts.json)
		opts.batch = true;
	libbpf_messages(setup.verbose);
	setup.max_maps = live_map_slots();
	/* the bench measures what the histograms cost against a run without them */
	if (getenv("P2PSCOPE_NO_HIST"))
		setup.hist_mode = false;
	memcpy(model.only, setup.provider, P2P_NAME_LEN);
	model.reason = pair_reason;
	bpf_setup(&setup);
	/*
	 * Every mapping is followed: our series' by BPF, sysfs p2pmem ones in
	 * /proc of the processes BPF saw map or inherit them. Kernels without
	 * our series have only the sysfs ones.
	 */
	model.live_tracked = (setup.features & (1U << FEAT_SYSFS_MMAP)) &&
			     (!(setup.features & (1U << FEAT_FAULT)) ||
			      (setup.features & (1U << FEAT_LIVE)));
	model.dma_tracked = setup.features & (1U << FEAT_DMAFAULT);
	signals();

	if (opts.batch)
		rc = run_batch();
	else
		run_interactive(&model, &opts, collect_cb, &exiting);
	bpf_teardown(&setup);
	return rc;
}
