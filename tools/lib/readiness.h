/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Is the running kernel ready for P2PDMA: its config (CONFIG_PCI_P2PDMA,
 * ZONE_DEVICE), BTF, the P2P memory interfaces, our tracepoints and CMB
 * mmap (kallsyms), the IOMMU mode, the CPU rule and config space access.
 * Reads files only: no BPF, no mmap, no writes.
 */
#ifndef P2PSCOPE_READINESS_H
#define P2PSCOPE_READINESS_H

#include <stddef.h>

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
 * p2pdma tracepoints, the CPU rule and config space access. Returns the
 * number of checks.
 */
int topo_kernel_checks(struct topo_check *out, int max);
const char *topo_status_name(int status);	/* info, ok, warn, FAIL */

#endif /* P2PSCOPE_READINESS_H */
