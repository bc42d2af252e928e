/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PCI topology walk, from sysfs and libpci, with no BPF: the PCI
 * functions, the path from the root bus down to each, their ACS and IOMMU
 * state and their P2P memory. The only user of libpci in p2pscope: the map
 * type rules (maptype.h), the host-bridge allowlist (allowlist.h) and the
 * kernel checks (readiness.h) ask this file, never libpci.
 *
 * Files are read under overridable roots, so the host tests can build a
 * fake machine: $P2PSCOPE_SYSFS (default /sys), $P2PSCOPE_PROC (/proc),
 * $P2PSCOPE_BOOT (/boot), $P2PSCOPE_CPUINFO ($P2PSCOPE_PROC/cpuinfo),
 * $P2PSCOPE_OSRELEASE (uname -r) and $P2PSCOPE_PCI_IDS (libpci's pci.ids,
 * which then also turns off udev's hwdb for names).
 */
#ifndef P2PSCOPE_TOPOLOGY_H
#define P2PSCOPE_TOPOLOGY_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "dddd:bb:dd.f"; VMD domains have 5 hex digits */
#define TOPO_BDF_LEN 24
#define TOPO_MAX_DEPTH 32

struct topo_dev {
	char bdf[TOPO_BDF_LEN];
	unsigned int vendor, device;
	unsigned int class;		/* base class << 8 | subclass */
	char driver[64];		/* bound driver, or "" */
	char nvme[32];			/* nvme controller name, or "" */
	char class_name[96];		/* as lspci names them, from libpci */
	char name[192];			/* "Red Hat, Inc. QEMU NVM Express Controller" */
	char root[TOPO_BDF_LEN];	/* root bus: "0000:00" */
	int depth;			/* PCI functions from the root bus down to this one */
	char upstream[TOPO_BDF_LEN];	/* pci_upstream_bridge(), or "" on a root bus */
	bool cfg_full;			/* all of config space readable (root) */
	bool pcie;
	int port_type;			/* PCIe device/port type, -1 if none or unknown */
	bool has_acs;
	unsigned int acs_ctrl;		/* ACS control register */
	char iommu[24];			/* off, passthrough, translated, or the group type */
	/* P2PDMA provider: a p2pmem group in sysfs */
	bool provider;
	uint64_t p2p_size, p2p_avail;
	bool published;
	bool allocate;			/* p2pmem/allocate exists */
};

/* Details of one PCI function; false if there is no such function in sysfs. */
bool topo_dev_info(const char *bdf, struct topo_dev *out);

/*
 * Every PCI function in sysfs, sorted by address; *out is malloc'ed.
 * Returns the count, or -1 if the sysfs PCI directory cannot be read.
 */
int topo_devices(struct topo_dev **out);

/* Storage, network, display, co-processors, accelerators, InfiniBand. */
bool topo_dma_capable(const struct topo_dev *d);

/*
 * A user's name for a PCI function: "0000:03:00.0", "03:00.0" (domain 0),
 * "nvme0" or "/dev/nvme0". Writes the address; false if none matches.
 */
bool topo_resolve(const char *name, char *bdf, size_t len);

/* ---- what the kernel's rules ask of the topology ---- */

/*
 * The PCI functions from the root bus down to a function: the sysfs parent
 * of a PCI function is its upstream bridge, or its host bridge
 * (pciDDDD:BB) on a root bus, as pci_upstream_bridge() and
 * pci_find_host_bridge() see it.
 */
struct topo_path {
	char host[PATH_MAX];		/* sysfs directory of the host bridge */
	char root[TOPO_BDF_LEN];	/* "0000:00" */
	int n;
	char bdf[TOPO_MAX_DEPTH][TOPO_BDF_LEN];	/* root bus first, the device last */
};

/* false if bdf is not a PCI function in sysfs */
bool topo_path(const char *bdf, struct topo_path *p);

/* devfn of "dddd:bb:dd.f" */
unsigned int topo_devfn(const char *bdf);

/* What the host-bridge check reads of a function's config space. */
struct topo_ident {
	unsigned int vendor, device;
	unsigned int class;		/* base class << 8 | subclass */
	bool cfg_full;			/* all of config space readable (root) */
	int port_type;			/* PCIe device/port type, -1 if none or unknown */
};

/* false if the function cannot be read */
bool topo_ident(const char *bdf, struct topo_ident *id);

/* ACS control bits that redirect P2P, as the kernel tests them (RR|CR|EC). */
#define TOPO_ACS_REDIR (0x0004 | 0x0008 | 0x0020)
/* "P2P Request Redirect, P2P Egress Control" for the set redirect bits */
const char *topo_acs_names(unsigned int ctrl, char *buf, size_t len);

/*
 * pci_bridge_has_acs_redir(), which the kernel asks of every device on the
 * path, bridges or not: 1 redirects (bits: which), 0 does not, -1
 * unreadable (not root).
 */
int topo_acs_redir(const char *bdf, unsigned int *bits);

/* Forget cached libpci state (names stay); for long-running callers and tests. */
void topo_reset(void);

#endif /* P2PSCOPE_TOPOLOGY_H */
