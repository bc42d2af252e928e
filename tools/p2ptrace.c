// SPDX-License-Identifier: GPL-2.0
/*
 * p2ptrace: trace PCI peer-to-peer DMA as it happens, one line per event.
 */
#define _GNU_SOURCE
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "args.h"
#include "bpf_setup.h"
#include "names.h"
#include "sysfs.h"
#include "fmt.h"
#include "hist.h"
#include "p2pscope.skel.h"

static struct bpf_setup setup = { .trace_mode = true };
static struct trace_opts opts;
static double duration;
static bool hists;		/* --hist */
static volatile sig_atomic_t exiting;

const char *argp_program_version = "p2ptrace 0.2";
static const char doc[] =
"Trace PCI peer-to-peer DMA: P2P memory allocations and frees, userspace\n"
"mapping faults and closes, map-type decisions, and block I/O on P2P memory,\n"
"including I/O refused for P2P (fallback).\n"
"\n"
"EVENT is alloc, free, fault, close, map, io, fallback, revoke or dmafault\n"
"(an IOMMU fault on a provider's BAR: the IOMMU blocked CLIENT's DMA into\n"
"PROVIDER's memory; from an interrupt, so no process's); -e none: no events,\n"
"for --hist. PROVIDER is the device whose memory is used and CLIENT the one\n"
"doing the DMA, by nvme name where they have one. MAP is BUS (through a\n"
"switch), HOSTBR (through the host bridge) or NOSUP (refused). RESULT is ok,\n"
"an errno name or SIGBUS. Filters are applied in the kernel. Ctrl-C or -D\n"
"ends the trace and prints a summary, with the events the ring buffer had to\n"
"drop; --hist first prints the latency histograms, which the kernel keeps (no\n"
"event per I/O) and -p, -d and -P filter too.\n"
"\n"
"EXAMPLES:\n"
"    p2ptrace                 # trace every P2PDMA event\n"
"    p2ptrace -x              # only failures and fallbacks\n"
"    p2ptrace -e io,fallback  # only block I/O\n"
"    p2ptrace -P nvme1 -T     # one provider, wall-clock times\n"
"    p2ptrace -j -D 10        # JSON lines for 10 seconds\n"
"    p2ptrace --hist -e none  # only latency histograms, at Ctrl-C\n";

enum { OPT_HIST = 0x100 };

static const struct argp_option options[] = {
	{ "pid", 'p', "PID", 0, "Only events of this process", 0 },
	{ "disk", 'd', "DISK", 0, "Only I/O on this disk (nvme2n1)", 0 },
	{ "provider", 'P', "PROVIDER", 0, "Only this provider (PCI address or nvme name)", 0 },
	{ "events", 'e', "EVENTS", 0, "Comma list of events to show", 0 },
	{ "failures", 'x', NULL, 0, "Only failures, refusals and fallbacks", 0 },
	{ "timestamp", 'T', NULL, 0, "Wall-clock time instead of seconds since start", 0 },
	{ "json", 'j', NULL, 0, "JSON lines, one object per event, and a summary", 0 },
	{ "duration", 'D', "SECONDS", 0, "Stop after this long", 0 },
	{ "hist", OPT_HIST, NULL, 0,
	  "At exit, a latency histogram (microseconds, log2 buckets, kept in the kernel) per "
	  "pair, map type and direction, and of the client disks' I/O through host memory", 0 },
	{ "verbose", 'v', NULL, 0, "Report the kernel, the hooks chosen and libbpf messages", 0 },
	{ 0 },
};

static error_t parse_arg(int key, char *arg, struct argp_state *state __attribute__((unused)))
{
	unsigned long pid;
	int mask;

	switch (key) {
	case 'p':
		if (!parse_ulong(arg, INT32_MAX, &pid) || !pid)
			die_usage("bad PID '%s'", arg);
		if (kill((pid_t)pid, 0) && errno == ESRCH)
			die_usage("no process with PID %lu", pid);
		setup.tgid = pid;
		break;
	case 'd':
		setup.dev = resolve_disk(arg);
		if (!setup.dev)
			die_usage("'%s' is not a block device", arg);
		break;
	case 'P':
		provider_arg(arg, setup.provider, sizeof(setup.provider));
		break;
	case 'e':
		/* bit 0 is no event: the BPF side sends none (--hist only) */
		mask = !strcmp(arg, "none") ? 1 : events_parse(arg);
		if (mask < 0)
			die_usage("bad event list '%s' (alloc,free,fault,close,map,io,fallback,revoke,dmafault)", arg);
		setup.events = mask;
		break;
	case 'x': setup.failures = true; break;
	case 'T': opts.wallclock = true; break;
	case 'j': opts.json = true; break;
	case 'D':
		if (!parse_seconds(arg, 0.001, 1e7, &duration))
			die_usage("bad duration '%s' (seconds, 0.001 to 10000000)", arg);
		break;
	case 'v': setup.verbose = true; break;
	case OPT_HIST: hists = setup.hist_mode = true; break;
	case ARGP_KEY_END:
		if (setup.events == 1 && !hists)
			die_usage("-e none shows nothing without --hist");
		break;
	case ARGP_KEY_ARG:
		die_usage("unexpected argument '%s' (see --help)", arg);
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

static struct trace_state state;

static int on_event(void *ctx, void *data, size_t len)
{
	(void)ctx;
	if (len >= sizeof(struct p2p_event))
		trace_event(&state, &opts, data, stdout);
	return 0;
}

static const char *dev_name(void *ctx, __u64 dev)
{
	return bpf_dev_name(ctx, dev);
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { options, parse_arg, NULL, doc, NULL, NULL, NULL };
	struct sigaction sa = { .sa_handler = on_signal };
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct ring_buffer *rb;
	struct timespec mono, real;
	struct p2p_losses lost;
	double deadline = 0;
	int err = 0;

	args_parse(&argp, argc, argv);
	libbpf_messages(setup.verbose);
	bpf_setup(&setup);

	rb = ring_buffer__new(bpf_map__fd(setup.skel->maps.events), on_event, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "p2ptrace: cannot open the ring buffer: %s\n", strerror(errno));
		bpf_teardown(&setup);
		return 1;
	}
	/* no SA_RESTART: a signal ends the poll at once */
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	state.start_ns = mono.tv_sec * 1000000000ULL + mono.tv_nsec;
	state.real_offset_ns = (real.tv_sec * 1000000000LL + real.tv_nsec) - (long long)state.start_ns;
	state.dev_name = dev_name;
	state.ctx = setup.skel;
	if (duration)
		deadline = mono_s() + duration;
	trace_header(&opts, stdout);
	fflush(stdout);
	fprintf(stderr, "Tracing P2PDMA events... Hit Ctrl-C to end.\n");

	while (!exiting) {
		err = ring_buffer__poll(rb, 100);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "p2ptrace: polling the ring buffer: %s\n", strerror(-err));
			break;
		}
		err = 0;
		fflush(stdout);
		if (deadline && mono_s() >= deadline)
			break;
	}
	/* what is already in the buffer belongs to the trace */
	ring_buffer__consume(rb);
	bpf_losses(setup.skel, &lost);
	state.lost = lost.n[P2P_LOST_EVENTS];
	state.skipped = lost.n[P2P_LOST_NESTED];
	state.untracked = lost.n[P2P_LOST_IOS];
	state.iommu_lost = lost.n[P2P_LOST_IOMMU];
	state.dmafault_hooked = setup.features & (1U << FEAT_DMAFAULT);
	if (state.dmafault_hooked) {
		__u64 *per_cpu = calloc(libbpf_num_possible_cpus(), sizeof(__u64));
		__u32 zero = 0;

		if (per_cpu && !bpf_map_lookup_elem(bpf_map__fd(setup.skel->maps.dmafault_other),
						    &zero, per_cpu))
			for (int c = 0; c < libbpf_num_possible_cpus(); c++)
				state.dma_other += per_cpu[c];
		free(per_cpu);
	}
	if (hists) {
		static struct hist_row rows[P2P_MAX_HISTS];
		int n = bpf_hist_rows(setup.skel, rows, P2P_MAX_HISTS);

		if (n < 0) {
			fprintf(stderr, "p2ptrace: cannot read the latency histograms: %s\n",
				strerror(-n));
			err = n;
		}
		trace_hists(&opts, rows, n > 0 ? n : 0, lost.n[P2P_LOST_HISTS], stdout);
	}
	trace_summary(&state, &opts, stdout);
	fflush(stdout);
	ring_buffer__free(rb);
	bpf_teardown(&setup);
	return err ? 1 : 0;
}
