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
#include <bpf/libbpf.h>
#include "common.h"
#include "trace_fmt.h"
#include "p2pscope.skel.h"

static const char *prog = "p2ptrace";

static struct trace_opts opts = { .events = ~0 };
static double duration;
static bool verbose;
static volatile sig_atomic_t exiting;

const char *argp_program_version = "p2ptrace 0.1";
const char *argp_program_bug_address = "https://github.com/p2pscope/p2pscope/issues";
static const char doc[] =
"Trace PCI peer-to-peer DMA: P2P memory allocations and frees, userspace\n"
"mapping faults and closes, map-type decisions, and block I/O on P2P memory,\n"
"including I/O refused for P2P (fallback).\n"
"\n"
"EVENT is alloc, free, fault, close, map, io, fallback or revoke. PROVIDER\n"
"is the device whose memory is used and CLIENT the one doing the DMA, by\n"
"nvme name where they have one. MAPTYPE is BUS (through a switch), HOSTBR\n"
"(through the host bridge) or NOSUP (refused). RESULT is ok, an errno name\n"
"or SIGBUS. Ctrl-C or -D ends the trace and prints a summary.\n"
"\n"
"USAGE: p2ptrace [-h] [-v] [-T] [-j] [-x] [-p PID] [-d DISK] [-P PROVIDER]\n"
"                [-e EVENTS] [-D SECONDS]\n"
"\n"
"EXAMPLES:\n"
"    p2ptrace                 # trace every P2PDMA event\n"
"    p2ptrace -x              # only failures and fallbacks\n"
"    p2ptrace -e io,fallback  # only block I/O\n"
"    p2ptrace -P nvme1 -T     # one provider, wall-clock times\n"
"    p2ptrace -j -D 10        # JSON lines for 10 seconds\n";

static const struct argp_option options[] = {
	{ "pid", 'p', "PID", 0, "Only events of this process", 0 },
	{ "disk", 'd', "DISK", 0, "Only I/O on this disk (nvme2n1)", 0 },
	{ "provider", 'P', "PROVIDER", 0, "Only this provider (BDF or nvme name)", 0 },
	{ "events", 'e', "EVENTS", 0, "Comma list of events to show", 0 },
	{ "failures", 'x', NULL, 0, "Only failures, refusals and fallbacks", 0 },
	{ "timestamp", 'T', NULL, 0, "Wall-clock time instead of seconds since start", 0 },
	{ "json", 'j', NULL, 0, "JSON lines, one object per event, and a summary", 0 },
	{ "duration", 'D', "SECONDS", 0, "Stop after this long", 0 },
	{ "verbose", 'v', NULL, 0, "Report the hooks chosen and libbpf messages", 0 },
	{ NULL, 'h', NULL, 0, "Show this help", 0 },
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	unsigned long pid;
	int mask;

	switch (key) {
	case 'p':
		if (!parse_ulong(arg, INT32_MAX, &pid) || !pid)
			die_usage(prog, "bad PID '%s'", arg);
		if (kill((pid_t)pid, 0) && errno == ESRCH)
			die_usage(prog, "no process with PID %lu", pid);
		opts.pid = pid;
		break;
	case 'd':
		opts.disk = resolve_disk(arg);
		if (!opts.disk)
			die_usage(prog, "'%s' is not a block device", arg);
		break;
	case 'P':
		provider_arg(prog, arg, opts.provider, sizeof(opts.provider));
		break;
	case 'e':
		mask = events_parse(arg);
		if (mask < 0)
			die_usage(prog, "bad event list '%s' (alloc,free,fault,close,map,io,fallback,revoke)", arg);
		opts.events = mask;
		break;
	case 'x':
		opts.failures = true;
		break;
	case 'T':
		opts.wallclock = true;
		break;
	case 'j':
		opts.json = true;
		break;
	case 'D':
		if (!parse_seconds(arg, &duration))
			die_usage(prog, "bad duration '%s'", arg);
		break;
	case 'v':
		verbose = true;
		break;
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		exit(0);
	case ARGP_KEY_ARG:
		die_usage(prog, "unexpected argument '%s' (see --help)", arg);
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
	if (len < sizeof(struct p2p_event))
		return 0;
	trace_event(&state, &opts, data, stdout);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { options, parse_arg, NULL, doc, NULL, NULL, NULL };
	struct ring_buffer *rb = NULL;
	struct p2pscope_bpf *skel;
	struct timespec mono, real;
	double deadline = 0;
	int err;

	if (argp_parse(&argp, argc, argv, ARGP_NO_HELP, NULL, NULL))
		return EXIT_USAGE;
	libbpf_messages(verbose);
	preflight(prog);

	skel = p2pscope_bpf__open();
	if (!skel) {
		fprintf(stderr, "%s: cannot open the BPF object: %s\n", prog, strerror(errno));
		return 1;
	}
	skel->rodata->targ_tgid = opts.pid;
	if (hooks_select(skel->obj, verbose, prog) && verbose)
		fprintf(stderr, "%s: some hooks are unavailable; their events will not appear\n", prog);

	err = p2pscope_bpf__load(skel);
	if (err) {
		fprintf(stderr, "%s: cannot load the BPF programs: %s\n", prog, strerror(-err));
		goto out;
	}
	err = p2pscope_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "%s: cannot attach the BPF programs: %s\n", prog, strerror(-err));
		goto out;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, NULL, NULL);
	if (!rb) {
		err = -errno;
		fprintf(stderr, "%s: cannot open the ring buffer: %s\n", prog, strerror(errno));
		goto out;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	state.start_ns = mono.tv_sec * 1000000000ULL + mono.tv_nsec;
	state.real_offset_ns = (real.tv_sec * 1000000000LL + real.tv_nsec) - (long long)state.start_ns;
	if (duration)
		deadline = mono.tv_sec + mono.tv_nsec / 1e9 + duration;
	trace_header(&opts, stdout);
	fflush(stdout);
	fprintf(stderr, "Tracing P2PDMA events... Hit Ctrl-C to end.\n");

	while (!exiting) {
		err = ring_buffer__poll(rb, 100);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "%s: polling the ring buffer: %s\n", prog, strerror(-err));
			break;
		}
		err = 0;
		fflush(stdout);
		if (deadline) {
			clock_gettime(CLOCK_MONOTONIC, &mono);
			if (mono.tv_sec + mono.tv_nsec / 1e9 >= deadline)
				break;
		}
	}
	/* what is already in the buffer belongs to the trace */
	ring_buffer__consume(rb);
	state.drops = skel->bss->drops;
	trace_summary(&state, &opts, stdout);
	fflush(stdout);
out:
	ring_buffer__free(rb);
	p2pscope_bpf__destroy(skel);
	return err ? 1 : 0;
}
