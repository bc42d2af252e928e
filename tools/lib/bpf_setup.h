/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The p2pscope BPF object, from "can we trace here?" to attached programs:
 * preflight checks, hooks chosen by trying them on the running kernel,
 * rodata set before load, and reading back the maps.
 */
#ifndef P2PSCOPE_BPF_SETUP_H
#define P2PSCOPE_BPF_SETUP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "p2pscope.h"

struct p2pscope_bpf;
struct bpf_link;

/* What a tool can see, each from one hook (or a pair) the kernel has. */
enum p2p_feature {
	FEAT_MAP,		/* map-type decisions */
	FEAT_ALLOC,
	FEAT_FREE,
	FEAT_FAULT,		/* faults of our series' mappings */
	FEAT_CLOSE,
	FEAT_SYSFS_MMAP,	/* stock sysfs p2pmem/allocate mappings */
	FEAT_LIVE,		/* mappings holding memory, per process */
	FEAT_REVOKE,
	FEAT_IO,		/* block I/O on P2P memory, and fallbacks */
	FEAT_DMAFAULT,		/* IOMMU faults on providers' BARs */
	FEAT_NR,
};

struct bpf_setup {
	/* what the tool asks for */
	bool trace_mode;		/* events on the ring buffer */
	bool top_mode;			/* per-CPU aggregates */
	bool hist_mode;			/* latency histograms (lat_hist) */
	bool verbose;
	__u32 tgid, dev, events;	/* filters (events: 1 << P2P_EV_*) */
	bool failures;
	char provider[P2P_NAME_LEN];	/* BDF, "" for all */
	unsigned int max_maps;		/* live_maps entries, 0: default */

	/* what it got */
	struct p2pscope_bpf *skel;
	unsigned int features;		/* 1 << FEAT_* with a hook attached */
	unsigned int dma_nbars;		/* providers' BARs dmafault matches */
	struct bpf_link *links[32];
	int nlinks;
};

/*
 * Check that we can trace here (privileges, BTF, CONFIG_PCI_P2PDMA), pick
 * the hooks, load and attach. Exits with a one-line reason and status 2
 * when the system cannot be traced, 1 when the object cannot be loaded.
 * A hook the kernel lacks is switched off and said once on stderr.
 */
void bpf_setup(struct bpf_setup *s);
void bpf_teardown(struct bpf_setup *s);

const char *feature_name(enum p2p_feature f);

/*
 * PCI ids (p2p_pci_id(), what dmafault events and dmafault_stats carry
 * for devices): from a "dddd:bb:dd.f" address, and back.
 */
bool pci_id_parse(const char *bdf, __u64 *id);
const char *pci_id_name(__u64 id, char *buf, size_t len);

/* libbpf's own messages: warnings always, the rest only when verbose */
void libbpf_messages(bool verbose);

/*
 * A device the BPF side has seen, by its struct device address: its name
 * (a PCI address) from the devnames map, looked up once and remembered.
 * "" if unknown.
 */
const char *bpf_dev_name(struct p2pscope_bpf *skel, __u64 dev);

/*
 * Read a whole map in batches (one syscall per batch where the kernel can)
 * into keys/vals, room for max entries. For per-CPU maps, the values of the
 * CPUs are summed as 64-bit words (all our per-CPU values are made of
 * them). Returns the number of entries or -errno.
 */
int map_read(int fd, bool percpu, void *keys, size_t key_size, void *vals,
	     size_t val_size, int max);

struct hist_row;
/*
 * The latency histograms (lat_hist), summed over CPUs, their devices
 * named; returns how many, or -errno.
 */
int bpf_hist_rows(struct p2pscope_bpf *skel, struct hist_row *rows, int max);

/* what the BPF side could not record, summed over CPUs */
void bpf_losses(struct p2pscope_bpf *skel, struct p2p_losses *out);

#endif /* P2PSCOPE_BPF_SETUP_H */
