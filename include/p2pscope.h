/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ABI between the BPF programs in bpf/ and the tools in tools/: event
 * records on the ring buffer and the keys and values of the aggregate maps.
 * Included by both sides, so it uses only fixed-size types.
 */
#ifndef P2PSCOPE_H
#define P2PSCOPE_H

#define P2P_NAME_LEN	16	/* PCI names are "dddd:bb:dd.f" */
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
	P2P_EV_MAX,
};

/* The values of the kernel's enum pci_p2pdma_map_type. */
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
#define P2P_F_AVAIL	(1 << 5)	/* avail is known */
#define P2P_F_MAPKNOWN	(1 << 6)	/* map_type of an I/O is known */

struct p2p_event {
	__u64 ts_ns;		/* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 bytes;
	__u64 avail;		/* pool bytes left, if P2P_F_AVAIL */
	__u64 lat_ns;		/* I/O latency from issue to completion */
	__u64 sector;
	__u64 addr;		/* fault address, vma start */
	__u32 pid;		/* tgid */
	__u32 tid;
	__u32 dev;		/* disk, kernel dev_t (major << 20 | minor) */
	__s32 result;		/* 0 or -errno */
	__u32 flags;
	__u8 type;		/* enum p2p_event_type */
	__u8 map_type;		/* enum p2p_map_type */
	__u8 pad[2];
	char provider[P2P_NAME_LEN];
	char client[P2P_NAME_LEN];
	char comm[P2P_COMM_LEN];
};

/* Per-provider totals since the programs were loaded. */
struct p2p_provider_stats {
	__u64 alloc_bytes, free_bytes;
	__u64 allocs, frees;
	__u64 faults, closes;
	__u64 maps[P2P_MAP_NR];
	__u64 fallbacks;
	__u64 read_bytes, write_bytes;
	__u64 ios;
	__s64 live_maps;	/* live userspace mappings holding memory */
	__s64 held_bytes;	/* the memory they hold */
};

struct p2p_pair_key {
	char provider[P2P_NAME_LEN];
	char client[P2P_NAME_LEN];
};

struct p2p_pair_stats {
	__u64 maps[P2P_MAP_NR];
	__u64 bytes;		/* completed P2P I/O */
	__u64 fallbacks;
	__u8 last_type;
	__u8 pad[7];
};

struct p2p_pid_stats {
	__s64 live_maps;	/* live mappings this process allocated */
	__s64 held_bytes;
	__u64 alloc_bytes;
	__u64 faults;
	__u64 read_bytes, write_bytes;
	__u64 fallbacks;
	char comm[P2P_COMM_LEN];
};

#define P2P_MAX_PROVIDERS	64
#define P2P_MAX_PAIRS		1024
#define P2P_MAX_PIDS		4096
#define P2P_MAX_INFLIGHT	8192
#define P2P_MAX_MAPS		8192
#define P2P_RINGBUF_BYTES	(1 << 20)

#endif /* P2PSCOPE_H */
