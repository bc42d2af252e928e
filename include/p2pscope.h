/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ABI between the BPF programs in bpf/ and the tools in tools/: event
 * records on the ring buffer and the keys and values of the aggregate maps.
 * Included by both sides, so it uses only fixed-size types.
 *
 * Devices are identified by the kernel address of their struct device: the
 * BPF side publishes each one's name in the "devnames" map the first time it
 * sees it, and userspace resolves them from there, once per device.
 */
#ifndef P2PSCOPE_H
#define P2PSCOPE_H

#define P2P_NAME_LEN	16	/* PCI names are "dddd:bb:dd.f"; VMD domains are 5 digits */
#define P2P_COMM_LEN	16

enum p2p_event_type {
	P2P_EV_ALLOC = 1,	/* memory taken from a provider's pool */
	P2P_EV_FREE,		/* memory returned to it */
	P2P_EV_FAULT,		/* userspace mapping fault (or sysfs mmap) */
	P2P_EV_CLOSE,		/* userspace mapping vma closed */
	P2P_EV_MAP,		/* map-type decision for a DMA mapping */
	P2P_EV_IO,		/* block request with P2P pages completed */
	P2P_EV_FALLBACK,	/* block request refused for P2P */
	P2P_EV_REVOKE,		/* mappings revoked on unbind */
	P2P_EV_DMAFAULT,	/* IOMMU fault on a provider's BAR (see below) */
	P2P_EV_MAX,
};

/*
 * Map types as the tools number them. The kernel's enum pci_p2pdma_map_type
 * differs between versions (7.x added PCI_P2PDMA_MAP_NONE); the BPF side
 * translates with bpf_core_enum_value().
 */
enum p2p_map_type {
	P2P_MAP_UNKNOWN = 0,
	P2P_MAP_NOT_SUPPORTED = 1,
	P2P_MAP_BUS_ADDR = 2,
	P2P_MAP_THRU_HOST_BRIDGE = 3,
	P2P_MAP_NR,
};

/* result of a fault that raised SIGBUS (not an errno) */
#define P2P_RESULT_SIGBUS	(-1000)

/* event flags */
#define P2P_F_CACHED	(1 << 0)	/* map type from the per-client cache */
#define P2P_F_ALLOCATED	(1 << 1)	/* this fault allocated the mapping */
#define P2P_F_POPULATED	(1 << 2)	/* closed mapping had memory */
#define P2P_F_MMAP	(1 << 3)	/* sysfs p2pmem/allocate mmap */
#define P2P_F_WRITE	(1 << 4)	/* I/O writes to the disk */
#define P2P_F_AVAIL	(1 << 5)	/* aux is the pool's available bytes */
#define P2P_F_CACHEKNOWN (1 << 6)	/* the hook can tell cached from computed */
#define P2P_F_HANDOFF	(1 << 7)	/* io, fallback: issued by another task (a
					 * kblockd worker, an interrupt) on behalf
					 * of pid, which queued it */
#define P2P_F_PASID	(1 << 8)	/* dmafault: tid is the PASID */
#define P2P_F_AMD	(1 << 9)	/* dmafault: from AMD-Vi (io_page_fault), not DMAR */

struct p2p_event {
	__u64 ts_ns;		/* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 provider;		/* struct device * of the provider */
	__u64 client;		/* struct device * of the client (map), or 0 */
	__u64 bytes;
	__u64 aux;		/* alloc/free: available (P2P_F_AVAIL); fault and
				 * close: address; io and fallback: latency in
				 * ns (0 if unknown); revoke: mappings revoked */
	__u32 pid;		/* tgid */
	__u32 tid;
	__u32 dev;		/* io and fallback: the disk, kernel dev_t
				 * (major << 20 | minor) */
	__s32 result;		/* fault: 0, -errno or P2P_RESULT_SIGBUS;
				 * io and fallback: the kernel's blk_status_t */
	__u16 flags;
	__u8 type;		/* enum p2p_event_type */
	__u8 map_type;		/* enum p2p_map_type */
	char comm[P2P_COMM_LEN];
};

/*
 * A dmafault event (P2P_EV_DMAFAULT) comes from the IOMMU's fault
 * interrupt, not from a task: pid, tid (but see P2P_F_PASID) and comm are
 * 0, and the fault belongs to the pair. Its fields:
 *   provider  the PCI id (p2p_pci_id()) of the provider whose BAR holds
 *             the address, not a struct device address
 *   client    the PCI id of the device whose DMA faulted
 *   aux       the faulting DMA address (Intel: its page, as the IOMMU
 *             records it)
 *   bytes     the BAR number
 *   dev       the IOMMU's reason: the DMAR fault reason number (Intel), or
 *             the event flags (AMD, P2P_F_AMD: io_page_fault's flags)
 *   flags     P2P_F_WRITE for a DMA write (else a read), P2P_F_PASID,
 *             P2P_F_AMD
 * The faulting device is known to the IOMMU only by its requester id, so
 * devices are PCI ids here; userspace names them.
 */
#define p2p_pci_id(domain, bus, devfn) \
	((__u64)(domain) << 16 | (__u64)(bus) << 8 | (__u64)(devfn))

/* A provider's memory BAR, for matching fault addresses (dma_bars, .rodata) */
struct p2p_bar {
	__u64 start, end;	/* inclusive bus addresses */
	__u64 provider;		/* PCI id */
	__u32 bar;		/* 0 to 5 */
	__u32 pad;
};

#define P2P_MAX_BARS	32
/* at most this many DMAR fault records are read per interrupt */
#define P2P_MAX_FAULT_RECORDS	16

/* p2ptop's DMA faults per pair (dmafault_stats, keyed by PCI ids) */
struct p2p_dmafault_stats {
	__u64 faults;
	__u64 read_faults, write_faults;
};

/* A device's name, by its struct device address (devnames map). */
struct p2p_devname {
	char name[P2P_NAME_LEN];
	__u8 wanted;		/* the provider filter lets it through */
	__u8 pad[7];
};

/*
 * Aggregates for p2ptop, kept per CPU without atomics; userspace sums the
 * CPUs. Signed fields go up and down (mappings made and closed). What a
 * provider's pairs count (decisions, fallbacks, I/O) is summed from them
 * by userspace, so each event updates one aggregate, not two.
 */
struct p2p_mem_stats {
	__u64 allocs, frees;
	__u64 alloc_bytes, free_bytes;
	__u64 faults, closes;
	__s64 live_maps;	/* live userspace mappings holding memory */
	__s64 held_bytes;	/* the memory they hold */
};

struct p2p_pair_key {
	__u64 provider;		/* struct device * */
	__u64 client;
};

struct p2p_pair_stats {
	__u64 maps[P2P_MAP_NR];
	__u64 ios, bytes;	/* completed P2P I/O */
	__u64 read_bytes, write_bytes;
	__u64 fallbacks, fallback_bytes;
};

struct p2p_pid_stats {
	__s64 live_maps;	/* live mappings this process allocated */
	__s64 held_bytes;
	__u64 alloc_bytes;
	__u64 faults;
	__u64 read_bytes, write_bytes;
	__u64 fallbacks;
	__u64 inherited;	/* forked from a process that mapped P2P memory */
};

/* A userspace mapping of our series that holds memory (live_maps map). */
struct p2p_live_map {
	__u64 len;
	__u64 provider;		/* struct device * */
	__u64 start;		/* the vma's start at its first fault */
	__u32 tgid;		/* the process that allocated it */
	__u32 pad;
};

/*
 * What the BPF side could not record, per CPU: userspace shows these, so a
 * table is never silently incomplete.
 */
enum p2p_loss {
	P2P_LOST_EVENTS,	/* ring buffer full */
	P2P_LOST_MAPS,		/* live_maps full: a mapping's bytes untracked */
	P2P_LOST_IOS,		/* inflight full: an I/O untracked */
	P2P_LOST_PIDS,		/* pid_stats full */
	P2P_LOST_PAIRS,		/* pair_stats full */
	P2P_LOST_PROVIDERS,	/* provider_stats full */
	P2P_LOST_NAMES,		/* devnames full: a device shown by address */
	P2P_LOST_NESTED,	/* hook runs the kernel skipped (filled by userspace) */
	P2P_LOST_IOMMU,		/* IOMMU fault records overflowed or unread: faults
				 * the IOMMU or we did not record (each counts one
				 * overflow, an unknown number of faults) */
	P2P_LOST_DMAFAULTS,	/* dmafault_stats full */
	P2P_LOST_HISTS,		/* lat_hist or client_disks full: an I/O not timed */
	P2P_LOST_NR,
};

struct p2p_losses {
	__u64 n[P2P_LOST_NR];
};

/*
 * I/O latency histograms (lat_hist map), kept in the kernel: log2 buckets
 * of microseconds from issue to completion, no per-event record. Slot 0
 * holds 0 and 1 us, slot k (k >= 1) [2^k, 2^(k+1)) us, and the last slot
 * everything longer. A pair's P2P I/O is keyed by provider, client, map
 * type and direction; the host-memory I/O (the bounce) of a disk that is a
 * P2P client is keyed with provider 0 and map type P2P_HIST_HOST.
 */
#define P2P_HIST_SLOTS	27
#define P2P_HIST_HOST	P2P_MAP_NR	/* map_type of a host-memory histogram */

struct p2p_hist_key {
	__u64 provider;		/* struct device *, 0 for host memory */
	__u64 client;		/* struct device * of the disk's controller */
	__u8 map_type;		/* enum p2p_map_type, or P2P_HIST_HOST */
	__u8 write;		/* 1: writes to the disk, 0: reads */
	__u8 pad[6];
};

/* the count is the sum of the slots: one atomic add less per I/O */
struct p2p_hist {
	__u64 slot[P2P_HIST_SLOTS];
	__u64 sum_ns;
};

#define P2P_MAX_PROVIDERS	64
#define P2P_MAX_DEVICES		256
#define P2P_MAX_PAIRS		1024
#define P2P_MAX_PIDS		4096
#define P2P_MAX_INFLIGHT	8192
#define P2P_MAX_HISTS		1024	/* pairs x map types x directions, and host */
#define P2P_MAX_CLIENT_DISKS	256
#define P2P_MAX_MAPS		8192	/* default; p2ptop sizes it from the pools */
#define P2P_RINGBUF_BYTES	(8 << 20)	/* the lab's peak: 1.5 MiB of events in 3 s */

#endif /* P2PSCOPE_H */
