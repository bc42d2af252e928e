/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What sysfs says about PCI devices, P2PDMA providers, NVMe controllers and
 * disks. The root is $P2PSCOPE_SYSFS if set (the unit tests build fake
 * trees), else /sys; /proc's is $P2PSCOPE_PROC.
 */
#ifndef P2PSCOPE_SYSFS_H
#define P2PSCOPE_SYSFS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "p2pscope.h"

const char *sysfs_root(void);
/* /proc, or $P2PSCOPE_PROC for a fake one */
const char *proc_root(void);

/* The first number in a file under the root (decimal, or hex with 0x). */
bool sysfs_u64(unsigned long long *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Its first line, without the newline. */
bool sysfs_str(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "0000:03:00.0", or with a longer domain ("10000:01:00.0", VMD) */
bool is_bdf(const char *s);
/* PCI address behind "nvme1", "/dev/nvme1" or a BDF; NULL if none */
const char *resolve_pci(const char *name, char *buf, size_t len);
bool pci_is_provider(const char *bdf);
/* -P PROVIDER: its PCI address into bdf, or a one-line reason and exit 2 */
void provider_arg(const char *arg, char *bdf, size_t len);
/* P2PDMA providers (devices with a p2pmem group), sorted; returns the count */
int provider_list(char (*bdfs)[P2P_NAME_LEN], int max);
/* the same, with an id for each p2pmem group (a new one after a rebind) */
int provider_scan(char (*bdfs)[P2P_NAME_LEN], unsigned long long *ids, int max);

/*
 * A provider's p2pmem numbers, read every interval by top-like tools. The
 * files stay open while the group is the same one (the id from
 * provider_scan), so an interval costs a pread each, not a path walk and
 * an open.
 */
enum { P2PMEM_SIZE, P2PMEM_AVAILABLE, P2PMEM_PUBLISHED, P2PMEM_NR };
struct p2pmem_files {
	unsigned long long id;		/* 0: nothing open */
	int fd[P2PMEM_NR];		/* -1: that file cannot be read */
};
/* Reads each number into v (0 if unreadable); false if none could be read. */
bool p2pmem_read(struct p2pmem_files *f, const char *bdf, unsigned long long id,
		 unsigned long long v[P2PMEM_NR]);
void p2pmem_close(struct p2pmem_files *f);

/*
 * "nvme1" for a PCI function driven by nvme, or NULL. Cached: after a
 * second a name is confirmed by one stat, and a miss is looked up again.
 */
const char *pci_nvme_name(const char *bdf, char *buf, size_t len);
/* its nvme name if it has one, else the BDF; "-" for "" */
const char *pci_display_name(const char *bdf, char *buf, size_t len);

/* "nvme2n1" for a kernel dev_t (major << 20 | minor), or NULL (cached) */
const char *disk_name(__u32 kdev, char *buf, size_t len);
/* kernel dev_t of "nvme2n1" or "/dev/nvme2n1"; 0 if not a disk */
__u32 resolve_disk(const char *name);

#endif /* P2PSCOPE_SYSFS_H */
