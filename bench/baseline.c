// SPDX-License-Identifier: GPL-2.0
/* Load and attach bench/baseline.bpf.c until SIGINT or SIGTERM. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "baseline.skel.h"

static volatile sig_atomic_t done;

static void on_signal(int sig)
{
	(void)sig;
	done = 1;
}

int main(void)
{
	struct baseline_bpf *skel = baseline_bpf__open_and_load();
	int err;

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
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("attached\n");
	fflush(stdout);
	while (!done)
		pause();
	baseline_bpf__destroy(skel);
	return 0;
}
