/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's map-type rules: for a provider and a client, the map type
 * and distance calc_map_type_and_dist() in drivers/pci/p2pdma.c would
 * choose, with a one-line reason and fix, from the topology (topology.h),
 * the host-bridge allowlist (allowlist.h) and the CPU rule.
 */
#ifndef P2PSCOPE_MAPTYPE_H
#define P2PSCOPE_MAPTYPE_H

#include <stdbool.h>
#include <stddef.h>
#include "topology.h"

/* The kernel's enum pci_p2pdma_map_type of 6.12; same values as P2P_MAP_*. */
enum topo_map {
	TOPO_MAP_UNKNOWN = 0,
	TOPO_MAP_NOT_SUPPORTED = 1,
	TOPO_MAP_BUS_ADDR = 2,
	TOPO_MAP_THRU_HOST_BRIDGE = 3,
};

#define TOPO_MAX_ACS 8

struct topo_verdict {
	int map_type;			/* enum topo_map */
	/*
	 * calc_map_type_and_dist()'s distance: hops to the common upstream
	 * device and back down (0: same function, 2: functions of one device,
	 * 4: two ports of one switch); without one, the two depths summed.
	 * pci_p2pdma_distance() reports -1 instead for NOT_SUPPORTED.
	 */
	int distance;
	char reason[256];		/* one line: why this map type */
	char fix[256];			/* one line: what would change it, or "" */
	char common[TOPO_BDF_LEN];	/* deepest common upstream device, or "" */
	int nacs;			/* devices with ACS redirect on the path */
	char acs[TOPO_MAX_ACS][TOPO_BDF_LEN];
	bool cpu_rule;			/* cpu_supports_p2pdma() decided it */
	/*
	 * Part of the answer could not be read (config space beyond 64 bytes
	 * needs root) or depends on the kernel version: note says which.
	 */
	bool guessed;
	char note[256];
};

/*
 * What the kernel would decide for DMA by client to provider's memory.
 * Both are PCI addresses ("0000:03:00.0"). Returns 0, or -ENODEV with the
 * reason filled in when either is not a PCI function in sysfs.
 */
int topo_predict(const char *provider_bdf, const char *client_bdf, struct topo_verdict *out);

const char *topo_map_name(int map_type);	/* BUS_ADDR, THRU_HOST_BRIDGE, ... */
const char *topo_map_short(int map_type);	/* BUS, HOSTBR, NOSUP */

/* cpu_supports_p2pdma(): an AMD CPU of family 0x17 (Zen) or later. */
bool topo_cpu_zen(char *desc, size_t len);
/* the cpuinfo file it reads ($P2PSCOPE_CPUINFO, else PROC/cpuinfo) */
const char *topo_cpuinfo(void);

#endif /* P2PSCOPE_MAPTYPE_H */
