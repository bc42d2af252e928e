/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the p2pscope tools: names, formatting, checks, hooks. */
#ifndef P2PSCOPE_COMMON_H
#define P2PSCOPE_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>
#include "p2pscope.h"

/* Bad input or an unusable system: one line on stderr, exit 2. */
#define EXIT_USAGE 2

void die_usage(const char *prog, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* ---- names (sysfs root from $P2PSCOPE_SYSFS, default /sys) ---- */

const char *sysfs_root(void);
/* "nvme1" for a PCI function driven by nvme, or NULL */
const char *pci_nvme_name(const char *bdf, char *buf, size_t len);
/* PCI address behind "nvme1" or "0000:03:00.0"; NULL if none */
const char *resolve_pci(const char *name, char *buf, size_t len);
bool pci_is_provider(const char *bdf);
/* number of P2PDMA providers (devices with a p2pmem group) */
int count_providers(void);
/* "nvme2n1" for a kernel dev_t (major << 20 | minor), or NULL */
const char *disk_name(__u32 kdev, char *buf, size_t len);
/* kernel dev_t of "nvme2n1" or "/dev/nvme2n1"; 0 if not a disk */
__u32 resolve_disk(const char *name);
/* how to show a PCI device: its nvme name if it has one, else the BDF */
const char *show_pci(const char *bdf, char *buf, size_t len);

/* -P PROVIDER: a BDF or nvme name that has P2P memory, or exit 2 */
void provider_arg(const char *prog, const char *arg, char *bdf, size_t len);

/* ---- values ---- */

const char *event_name(int type);
int event_parse(const char *name);
/* comma list of event names to a bit mask (1 << type); -1 on error */
int events_parse(const char *list);
const char *map_type_name(int type);	/* BUS_ADDR, ... */
const char *map_type_short(int type);	/* BUS, HOSTBR, NOSUP */
/* "ok", "EREMOTEIO", "SIGBUS" */
const char *result_name(int result, char *buf, size_t len);
bool event_is_failure(const struct p2p_event *e);

/* strict parsers: false on anything but a whole, in-range number */
bool parse_ulong(const char *s, unsigned long max, unsigned long *out);
bool parse_seconds(const char *s, double *out);

/* ---- output ---- */

void json_str(FILE *f, const char *s);

/* ---- kernel and BPF ---- */

/*
 * Check that we can trace P2PDMA here: privileges, BTF, CONFIG_PCI_P2PDMA.
 * Exits with EXIT_USAGE and a clear line if not; warns if no provider.
 */
void preflight(const char *prog);

/*
 * Read a whole hash map in batches into keys/vals (room for max entries);
 * returns the number read or -errno.
 */
int map_dump(int fd, void *keys, __u32 key_size, void *vals, __u32 val_size, __u32 max);

/* libbpf's own messages: warnings always, the rest only when verbose */
void libbpf_messages(bool verbose);

struct bpf_object;
/*
 * Keep the best variant of every hook the running kernel has and switch
 * the others off; with verbose, report the choice on stderr. Call between
 * open and load. Returns the number of hooks with no variant.
 */
int hooks_select(struct bpf_object *obj, bool verbose, const char *prog);

#endif /* P2PSCOPE_COMMON_H */
