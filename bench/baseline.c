// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark's floor programs (baseline.bpf.c), attached until SIGINT or
 * SIGTERM, with their records consumed. While it runs, BPF run-time
 * statistics are on: bpf_enable_stats() returns an fd, and the kernel turns
 * them off again when this process exits, however it exits.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "baseline.skel.h"

static volatile sig_atomic_t done;

static void on_signal(int sig)
{
	(void)sig;
	done = 1;
}

static int drop(void *ctx, void *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
	return 0;
}

int main(void)
{
	struct baseline_bpf *skel;
	struct ring_buffer *rb;
	int stats, err;

	stats = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats < 0) {
		fprintf(stderr, "baseline: cannot enable BPF run-time stats: %s\n", strerror(-stats));
		return 1;
	}
	skel = baseline_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "baseline: cannot load: %s\n", strerror(errno));
		return 1;
	}
	err = baseline_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "baseline: cannot attach: %s\n", strerror(-err));
		baseline_bpf__destroy(skel);
		return 1;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.records), drop, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "baseline: cannot read the ring buffer: %s\n", strerror(errno));
		baseline_bpf__destroy(skel);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("attached\n");
	fflush(stdout);
	while (!done)
		ring_buffer__poll(rb, 100);
	ring_buffer__free(rb);
	baseline_bpf__destroy(skel);
	close(stats);
	return 0;
}
