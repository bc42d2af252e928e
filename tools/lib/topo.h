/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI topology for P2PDMA, from sysfs and libpci, with no BPF:
 *  - the verdict for a provider and a client: the map type and distance the
 *    kernel's calc_map_type_and_dist() would choose, and a one-line reason;
 *  - the devices, providers and host bridges that verdict is made of;
 *  - the kernel's readiness for P2PDMA, one check per line.
 *
 * Files are read under overridable roots, so the host tests can build a
 * fake machine: $P2PSCOPE_SYSFS (default /sys), $P2PSCOPE_PROC (/proc),
 * $P2PSCOPE_BOOT (/boot), $P2PSCOPE_CPUINFO ($P2PSCOPE_PROC/cpuinfo),
 * $P2PSCOPE_OSRELEASE (uname -r) and $P2PSCOPE_PCI_IDS (libpci's pci.ids,
 * which then also turns off udev's hwdb for names).
 */
#ifndef P2PSCOPE_TOPO_H
#define P2PSCOPE_TOPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "dddd:bb:dd.f"; VMD domains have 5 hex digits */
#define TOPO_BDF_LEN 24

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

/* ---- devices ---- */

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

/* ACS control bits that redirect P2P, as the kernel tests them (RR|CR|EC). */
#define TOPO_ACS_REDIR (0x0004 | 0x0008 | 0x0020)
/* "P2P Request Redirect, P2P Egress Control" for the set redirect bits */
const char *topo_acs_names(unsigned int ctrl, char *buf, size_t len);

/* ---- host bridges ---- */

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

/* cpu_supports_p2pdma(): an AMD CPU of family 0x17 (Zen) or later. */
bool topo_cpu_zen(char *desc, size_t len);

/* ---- the kernel ---- */

/* The running kernel's release ($P2PSCOPE_OSRELEASE overrides uname -r). */
const char *topo_release(void);

/*
 * CONFIG_<option> from /boot/config-RELEASE, then /proc/config.gz, then the
 * kernel's BTF (PCI_P2PDMA, ZONE_DEVICE and DEBUG_INFO_BTF only), in that
 * order. Returns 1 (y or m), 0 (not set) or -1 (no source could tell);
 * source names what answered, or every source tried.
 */
int topo_kconfig(const char *option, char *source, size_t len);

enum topo_status { TOPO_INFO, TOPO_OK, TOPO_WARN, TOPO_FAIL };

struct topo_check {
	const char *name;		/* p2pdma, zone_device, btf, sysfs_alloc, ... */
	int status;			/* enum topo_status */
	char value[48];			/* "y", "not set", "translated", ... */
	char source[160];		/* what answered */
	char message[256];		/* one line: what it means */
	char fix[256];			/* one line: what to do, or "" */
};

#define TOPO_MAX_CHECKS 12

/*
 * Kernel readiness, one check per item: P2PDMA, ZONE_DEVICE, BTF, the
 * sysfs p2pmem/allocate and /dev/nvmeN CMB mmap interfaces, the IOMMU, the
 * p2pdma tracepoints, the CPU rule and config space access. Reads files
 * only: no BPF, no mmap, no writes. Returns the number of checks.
 */
int topo_kernel_checks(struct topo_check *out, int max);
const char *topo_status_name(int status);	/* info, ok, warn, FAIL */

/* Forget cached libpci state (names stay); for long-running callers and tests. */
void topo_reset(void);

#endif /* P2PSCOPE_TOPO_H */
