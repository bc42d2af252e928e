/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2ptop's model: what one interval shows, built from sysfs, the BPF
 * totals and /proc, with rates and cross-checks. No BPF or terminal code
 * here, so the host tests can drive it.
 */
#ifndef P2PSCOPE_TOP_MODEL_H
#define P2PSCOPE_TOP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "p2pscope.h"
#include "hist.h"
#include "sysfs.h"

#define TOP_HISTORY 60		/* samples kept for the sparklines */

/* A provider's totals: its memory's from BPF, the rest summed over its pairs. */
struct top_totals {
	__u64 allocs, frees;
	__u64 alloc_bytes, free_bytes;
	__u64 faults, closes;
	__u64 maps[P2P_MAP_NR];
	__u64 fallbacks, fallback_bytes;
	__u64 ios, read_bytes, write_bytes;
	__s64 live_maps;	/* live userspace mappings holding memory */
	__s64 held_bytes;	/* the memory they hold */
	__u64 dma_faults;	/* IOMMU faults on its BARs, summed over its pairs */
};

struct top_provider {
	char bdf[P2P_NAME_LEN];
	char name[P2P_NAME_LEN];		/* nvme name or "" */
	__u64 size, avail;			/* sysfs p2pmem */
	bool published;
	struct p2pmem_files files;		/* kept open between intervals */
	struct top_totals now, prev;
	bool have_prev;
	__s64 old_maps, old_bytes;		/* mappings from before the start */
	/* per second over the interval */
	double alloc_s, free_s, fault_s, maps_s[P2P_MAP_NR], fallback_s;
	double rd_mbs, wr_mbs;
	double hist_mbs[TOP_HISTORY], hist_fb[TOP_HISTORY];	/* oldest first */
	/* sysfs and BPF disagree on what the interval allocated */
	bool acct_mismatch;
	__u64 prev_used;
	bool seen;
	double dma_fault_s;			/* IOMMU faults on its BARs per second */
};

struct top_proc {
	__u32 pid;
	char comm[P2P_COMM_LEN + 1];
	struct p2p_pid_stats now, prev;
	__s64 old_maps, old_bytes;
	bool have_prev, seen;
	double rd_mbs, wr_mbs;
};

struct top_pair {
	char provider[P2P_NAME_LEN], client[P2P_NAME_LEN];
	struct p2p_pair_stats now, prev;
	bool have_prev;
	int map_type;			/* what the kernel decides for the pair */
	char reason[160];
	bool seen;
	/* IOMMU faults of the client's DMA on the provider's BARs */
	struct p2p_dmafault_stats dma_now, dma_prev;
	double dma_fault_s;
	/* latency since the start: its P2P I/O, and the client's host-memory I/O */
	struct p2p_hist lat, host_lat;
};



/* Mappings found in /proc (see top_scan_old_maps). */
#define TOP_MAX_OLD 256

struct top_old_map {
	__u32 pid;
	__u64 start, len;
	char bdf[P2P_NAME_LEN];
	bool seen;
	bool copy;		/* inherited from a mapping counted already */
};

struct top_model {
	struct top_provider prov[P2P_MAX_PROVIDERS];
	int nprov;
	struct top_proc proc[P2P_MAX_PIDS];
	int nproc;
	struct top_pair pair[P2P_MAX_PAIRS];
	int npair;
	struct hist_row hist[P2P_MAX_HISTS];	/* read afresh every interval */
	int nhist;
	struct p2p_losses lost;
	double interval;		/* seconds the rates cover */
	char only[P2P_NAME_LEN];	/* -P: this provider only */
	bool live_tracked;		/* the kernel lets BPF follow mappings */
	bool dma_tracked;		/* the dmafault hook is attached */
	bool incomplete;		/* a BPF map could not be read */
	struct top_old_map old[TOP_MAX_OLD];
	int nold;
	bool scanned;
	/* why P2P is refused for a pair (the PCI topology's verdict) */
	const char *(*reason)(const char *provider, const char *client, char *buf, size_t len);
};

double top_rate(__u64 now, __u64 prev, double secs);
__u64 top_used(const struct top_provider *p);
__s64 top_held(const struct top_provider *p);
__s64 top_live(const struct top_provider *p);
__s64 top_proc_held(const struct top_proc *p);
__s64 top_proc_live(const struct top_proc *p);

/* Start an interval: read the providers from sysfs; totals start over. */
void top_begin(struct top_model *m, double secs);
/* Feed the BPF totals, devices already named by their PCI address. */
void top_add_provider_stats(struct top_model *m, const char *bdf,
			    const struct p2p_mem_stats *s);
void top_add_pid_stats(struct top_model *m, __u32 pid, const char *comm,
		       const struct p2p_pid_stats *s);
void top_add_pair_stats(struct top_model *m, const char *provider, const char *client,
			const struct p2p_pair_stats *s);
void top_add_hist(struct top_model *m, const struct hist_row *r);
/*
 * The pair's IOMMU faults (dmafault_stats, its PCI ids named): a pair with
 * faults and no other P2P activity is shown too. After top_add_pair_stats.
 */
void top_add_dmafault_stats(struct top_model *m, const char *provider, const char *client,
			    const struct p2p_dmafault_stats *s);
/*
 * Mappings BPF does not follow itself (populated before the start, and the
 * sysfs p2pmem/allocate mappings, which have no vma operations to hook)
 * are found in /proc/PID/smaps, leaving out those BPF follows (known): in
 * every process at the first call, then in the processes that had some
 * and in holders (the processes BPF saw map P2P memory or inherit it).
 */
void top_scan_old_maps(struct top_model *m, const struct p2p_live_map *known, int nknown,
		       const __u32 *holders, int nholders);
/* Finish: rates, cross-checks, reasons, pair latencies; drop what went away. */
void top_end(struct top_model *m);

/* Whether the process is gone for good: no /proc entry. */
bool top_pid_gone(__u32 pid);

#endif /* P2PSCOPE_TOP_MODEL_H */
