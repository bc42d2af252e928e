/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host bridges and the kernel's P2PDMA host-bridge allowlist
 * (pci_p2pdma_whitelist[] in drivers/pci/p2pdma.c), which differs between
 * kernel releases: each entry knows the releases that have it.
 */
#ifndef P2PSCOPE_ALLOWLIST_H
#define P2PSCOPE_ALLOWLIST_H

#include <stdbool.h>
#include <stddef.h>
#include "topology.h"

enum topo_allow {
	TOPO_ALLOW_NO,			/* not on the allowlist */
	TOPO_ALLOW_YES,
	TOPO_ALLOW_SAME_BRIDGE,		/* REQ_SAME_HOST_BRIDGE: only within itself */
};

struct topo_host {
	char root[TOPO_BDF_LEN];	/* root bus "0000:00" */
	/* pci_host_bridge_dev(): first device on the root bus, if it is devfn 00.0 or a root port */
	char dev[TOPO_BDF_LEN];		/* "" if none */
	char first[TOPO_BDF_LEN];	/* the root bus's first device, whatever it is */
	unsigned int vendor, device;
	int allow;			/* enum topo_allow, for the running kernel */
	bool guessed;			/* root port type or allowlist version uncertain */
	char note[160];
};

/* The host bridges (root buses) in sysfs; returns how many were written. */
int topo_hosts(struct topo_host *out, int max);

/* The host bridge above a function's path, with its allowlist entry. */
void topo_host_of(const struct topo_path *p, struct topo_host *h);

/*
 * The running kernel's release ($P2PSCOPE_OSRELEASE overrides uname -r),
 * which picks the allowlist's entries.
 */
const char *topo_release(void);

#endif /* P2PSCOPE_ALLOWLIST_H */
