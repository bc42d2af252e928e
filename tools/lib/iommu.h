/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What an IOMMU does to P2P DMA: the faults it logs, which provider's
 * memory a faulting address lies in, and the warning for pairs the kernel
 * maps BUS_ADDR behind a translating IOMMU. No libpci and no libbpf:
 * p2pdoctor reads earlier faults from the kernel log, and p2ptrace and
 * p2ptop can parse the same lines as they come.
 */
#ifndef P2PSCOPE_IOMMU_H
#define P2PSCOPE_IOMMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum iommu_kind { IOMMU_KIND_INTEL = 1, IOMMU_KIND_AMD = 2 };
enum iommu_dir { IOMMU_DIR_UNKNOWN, IOMMU_DIR_READ, IOMMU_DIR_WRITE };

struct iommu_fault {
	int kind;			/* enum iommu_kind: DMAR or AMD-Vi */
	unsigned int domain, bus, devfn;	/* the device whose DMA faulted */
	uint64_t addr;			/* the DMA (bus) address it used */
	int dir;			/* enum iommu_dir */
	bool has_pasid;
	unsigned int pasid;
	/* Intel: the fault reason number; AMD: the event's flags */
	unsigned int reason;
	char reason_text[128];		/* "PTE Write access is not set", "IO_PAGE_FAULT" */
};

/*
 * One line of the kernel log (a dmesg line or a /dev/kmsg record, with
 * whatever prefix) holding a DMA fault of the Intel or AMD IOMMU driver:
 *   DMAR: [DMA Write NO_PASID] Request device [04:00.0] fault addr 0xfc000000
 *         [fault reason 0x05] PTE Write access is not set
 *   (also DMA Read, PASID 0x.., and the device as 0000:04:00.0)
 *   AMD-Vi: Event logged [IO_PAGE_FAULT device=0000:04:00.0 domain=0x0000
 *         address=0xfc000000 flags=0x0020]
 *   (device=04:00.0 on older kernels; or the device in the dev_printk
 *   prefix: "nvme 0000:04:00.0: AMD-Vi: Event logged [IO_PAGE_FAULT domain=...")
 * Fills f and returns true; false for any other line, or one cut short.
 */
bool iommu_fault_parse(const char *line, struct iommu_fault *f);

/* "0000:04:00.0", the faulting device */
const char *iommu_fault_bdf(const struct iommu_fault *f, char *buf, size_t len);
const char *iommu_dir_name(int dir);	/* "read", "write", "unknown" */
const char *iommu_kind_name(int kind);	/* "intel", "amd" */
/*
 * What the driver prints for a fault reason: Intel's DMA remapping reason
 * number ("PTE Write access is not set" for 5), "IO_PAGE_FAULT" for AMD.
 */
const char *iommu_reason_text(int kind, unsigned int reason);

/* ---- providers' memory ---- */

#define IOMMU_MAX_BARS 64

struct iommu_bar {
	char bdf[24];			/* the provider */
	int bar;			/* BAR number, 0 to 5 */
	uint64_t start, end;		/* inclusive, as sysfs "resource" shows them */
};

struct iommu_bars {
	int n;
	struct iommu_bar bar[IOMMU_MAX_BARS];
};

/*
 * The memory BARs of every P2PDMA provider (a device with a p2pmem group),
 * from sysfs bus/pci/devices/BDF/resource. These are CPU addresses; on x86
 * a BAR's bus address, which a device's DMA and so a fault carry, is the
 * same. Returns the number of BARs.
 */
int provider_bars_load(struct iommu_bars *t);

/* The index in t->bar of the BAR that holds addr, or -1. */
int provider_for_addr(const struct iommu_bars *t, uint64_t addr);

/* ---- the kernel log ---- */

/*
 * Calls fn with every line of the kernel log as it is now, without
 * waiting for more: the records of /dev/kmsg (opened non-blocking), else
 * syslog(2) (klogctl); $P2PSCOPE_KMSG names a file of lines to read
 * instead, for tests. source gets what was read. Returns the number of
 * lines, or -errno with source saying what was tried and why it failed
 * (dmesg_restrict keeps the log from users without CAP_SYSLOG).
 */
int iommu_klog_read(void (*fn)(const char *line, void *arg), void *arg, char *source,
		    size_t len);

/* ---- the warning ---- */

/*
 * A BUS_ADDR mapping is not in the client's IOMMU domain: it works only
 * where the fabric routes the transfer to the provider without passing the
 * IOMMU. For a BUS_ADDR pair whose client's IOMMU group translates
 * (client_iommu "translated", as topology.h reports DMA and DMA-FQ),
 * writes the warning (what, how to check, the fixes) and returns true;
 * else writes "" and returns false. distance is calc_map_type_and_dist()'s.
 */
bool iommu_pair_warning(bool bus_addr, const char *client_iommu, const char *provider,
			const char *client, int distance, char *buf, size_t len);

#endif /* P2PSCOPE_IOMMU_H */
