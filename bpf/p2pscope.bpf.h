/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the BPF programs of p2pscope share: the settings userspace fixes
 * before load, the maps, and small helpers. Each bpf/ source file holds the
 * hooks of one concern; `bpftool gen object` links them into one object, so
 * the maps below (weak, identical in every file) become one set.
 *
 * Kernel differences are handled here with CO-RE, never with versions:
 * struct page lost its pgmap to struct folio, and pci_p2pdma_pagemap and
 * pci_p2pdma_map_state changed shape after 6.15.
 */
#ifndef P2PSCOPE_BPF_H
#define P2PSCOPE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "p2pscope.h"

/* ---- set by userspace before load (.rodata: the verifier prunes on them) ---- */

extern const volatile bool trace_mode;		/* emit events (p2ptrace) */
extern const volatile bool top_mode;		/* keep aggregates (p2ptop) */
extern const volatile bool hist_mode;		/* keep latency histograms */
extern const volatile __u32 targ_tgid;		/* only this process, 0: all */
extern const volatile __u32 targ_dev;		/* only I/O on this disk, 0: all */
extern const volatile char targ_provider[P2P_NAME_LEN];	/* BDF, "": all */
extern const volatile __u32 targ_events;	/* mask of 1 << P2P_EV_* */
extern const volatile bool targ_failures;	/* only failures and refusals */
extern const volatile __u32 page_size;
extern bool calc_hooked;			/* fentry_calc is attached */
extern bool have_client_disks;			/* client_disks is not empty */
extern __u64 last_client_q;			/* the last disk client_disks has */
extern __u64 since_ns;				/* every hook attached since (blockio) */

/* ---- maps ---- */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, P2P_RINGBUF_BYTES);
} events SEC(".maps") __weak;

/* device address -> name, written once per device, read by userspace */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, P2P_MAX_DEVICES);
	__type(key, __u64);
	__type(value, struct p2p_devname);
} devnames SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct p2p_losses);
} losses SEC(".maps") __weak;

/* p2ptop's aggregates: plain (never evicting) per-CPU hashes */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, P2P_MAX_PROVIDERS);
	__type(key, __u64);
	__type(value, struct p2p_mem_stats);
} provider_stats SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, P2P_MAX_PAIRS);
	__type(key, struct p2p_pair_key);
	__type(value, struct p2p_pair_stats);
} pair_stats SEC(".maps") __weak;

/* userspace removes a process once it is gone and holds nothing */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, P2P_MAX_PIDS);
	__type(key, __u32);
	__type(value, struct p2p_pid_stats);
} pid_stats SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, P2P_MAX_PIDS);
	__type(key, __u32);
	__type(value, char[P2P_COMM_LEN]);
} pid_comm SEC(".maps") __weak;

/* live userspace mappings of our series, by struct pci_p2pdma_map address */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, P2P_MAX_MAPS);
	__type(key, __u64);
	__type(value, struct p2p_live_map);
} live_maps SEC(".maps") __weak;

/* The hooks with a primary and a twin (PRIMARY, below). */
enum guard {
	G_MAP_TP, G_MAP_TYPE, G_UPDATE_STATE, G_MAP_SEGMENT,
	G_ALLOC_TP, G_FREE_TP, G_ALLOC, G_FREE, G_PCI_ALLOC, G_PCI_FREE,
	G_SYSFS_ALLOC, G_PAGE_FREE, G_FOLIO_FREE,
	G_FAULT_TP, G_CLOSE_TP, G_SYSFS_MMAP, G_VMA_FAULT, G_VMA_CLOSE,
	G_RQ_INSERT, G_RQ_COMPLETE,
	G_DMAR_FAULT, G_DMAR_ENTER, G_DMAR_TURN, G_DMAR_CONSOLE, G_IO_PAGE_FAULT,
	G_NR,
};

/*
 * The task's last P2P map-type decision. A driver maps a request and then
 * issues it (or fails it) in the same call chain of the same task, so the
 * request that comes next in this task is the one decided, once its pages
 * are checked to be the same provider's.
 */
struct pending {
	__u64 provider;
	__u64 client;
	__u8 map_type;
	__u8 valid;
	__u8 computed;		/* a cache miss is being computed (stock hooks) */
	__u64 hit[G_NR];	/* the primaries' marks on the task's stack (PRIMARY): */
	__u64 hit_at[G_NR];	/* first argument and ctx */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct pending);
} pending SEC(".maps") __weak;

static __always_inline struct pending *task_pending(bool create)
{
	return bpf_task_storage_get(&pending, bpf_get_current_task_btf(), 0,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

/* P2P requests between issue and completion, by struct request address */
struct inflight {
	__u64 ts;
	__u64 provider;
	__u64 client;
	__u64 id;		/* pid_tgid of the issuer */
	__u32 dev;
	__u8 map_type;
	__u8 write;
	__u8 handoff;		/* issued by another task than the one that queued it */
	__u8 ignore;		/* filtered out: nothing to do at completion */
	char comm[P2P_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, P2P_MAX_INFLIGHT);
	__type(key, __u64);
	__type(value, struct inflight);
} inflight SEC(".maps") __weak;

/* latency histograms (see struct p2p_hist); never evicting */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, P2P_MAX_HISTS);
	__type(key, struct p2p_hist_key);
	__type(value, struct p2p_hist);
} lat_hist SEC(".maps") __weak;

/*
 * Disks seen doing P2P I/O or refusing it, by struct request_queue address:
 * the struct device of their controller. Their other I/O (through host
 * memory) is timed too, so P2P and the bounce compare on one disk.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, P2P_MAX_CLIENT_DISKS);
	__type(key, __u64);
	__type(value, __u64);
} client_disks SEC(".maps") __weak;

/* kprobe variants: the entry's arguments, for the return probe */
struct saved_args {
	__u64 a0, a1;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct saved_args);
} kargs SEC(".maps") __weak;

/* ---- kernel types that differ between versions (CO-RE flavours) ---- */

/* up to 6.15 (6.12's shape is in vmlinux.h) and from 6.16 on */
struct p2pdma_provider {
	struct device *owner;
	u64 bus_offset;
} __attribute__((preserve_access_index));

struct pci_p2pdma_pagemap___v7 {
	struct dev_pagemap pgmap;
	struct p2pdma_provider *mem;
} __attribute__((preserve_access_index));

struct pci_p2pdma_map_state___v7 {
	struct p2pdma_provider *mem;
	enum pci_p2pdma_map_type map;
} __attribute__((preserve_access_index));

/* page->pgmap until 6.15, folio->pgmap after */
struct page___pgmap {
	struct dev_pagemap *pgmap;
} __attribute__((preserve_access_index));

struct folio___pgmap {
	struct dev_pagemap *pgmap;
} __attribute__((preserve_access_index));

/*
 * The kernel runs a tracing program at most once per CPU at a time: a hook
 * entered again while its program is running on that CPU (from an
 * interrupt, or, where programs can be preempted, as on Debian's 7.x, by
 * another task) is skipped and only counted, in the program's
 * recursion_misses. So each counting program has a twin on the same hook
 * that does the runs the kernel skips.
 *
 * The kernel runs a tracepoint's programs in the order they were attached,
 * and a trampoline's (fentry, fexit) the last attached first; userspace
 * attaches each pair so that the primary runs first. The primary leaves a
 * mark of the hit (where its arguments are: ctx, and the first of them) and
 * the twin, finding none, makes up the run; it does so too when the primary
 * is busy on this CPU (its flag, set while it works), for then the kernel
 * skipped it here whatever mark is found. A busy flag alone misses the skips
 * in the instructions around it, entry and exit, where interrupts land too:
 * at the lab's peak, 1 in 5 of block_rq_complete's.
 *
 * Where a mark is kept, so that no hit nested in this one overwrites it: on a
 * task's stack (task context, or an interrupt taken from user space), in the
 * task, since a task can be preempted between the two programs and move to
 * another CPU, and no hit of a hook nests in another there. On a CPU's
 * interrupt stack, per CPU: there a nested hit is deeper, so the marks at or
 * below a hit's ctx are of hits that are over. A mark is left where the twin
 * itself was skipped; found at a later hit at the same place with the same
 * first argument, where the kernel skipped the primary outside its busy
 * flag, it hides that run, which userspace reports lost (recursion_misses
 * less the runs the twins made up), as it does a run both were skipped at.
 * block_rq_issue's pair works otherwise (blockio.bpf.c).
 */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, G_NR);
	__type(key, __u32);
	__type(value, __u32);
} busy SEC(".maps") __weak;

/* runs a twin made up, per CPU (userspace sums them) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} rescued SEC(".maps") __weak;

/* a primary's marks on a CPU's interrupt stack, per hook */
#define P2P_IRQ_MARKS 4

struct irq_marks {
	__u64 ctx[P2P_IRQ_MARKS];
	__u64 arg[P2P_IRQ_MARKS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, G_NR);
	__type(key, __u32);
	__type(value, struct irq_marks);
} irq_marks SEC(".maps") __weak;

/*
 * Counters are per CPU, but a twin can run between the load and the store
 * of an interrupted update on the same CPU: every update is one atomic
 * instruction.
 */
#define ADD(field, v) __sync_fetch_and_add(&(field), (v))

static __always_inline __u32 *busy_slot(__u32 g)
{
	return bpf_map_lookup_elem(&busy, &g);
}

static __always_inline void rescued_add(__u64 v)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&rescued, &zero);

	if (n)
		ADD(*n, v);
}

/* in pcpu_hot from 6.2 to 6.15, a per-CPU variable of its own before and after */
extern struct pcpu_hot pcpu_hot __ksym __weak;
extern bool hardirq_stack_inuse __ksym __weak;

/* 1 on the CPU's interrupt stack, 0 on the task's, -1 if this kernel does not say */
static __always_inline int on_irq_stack(void)
{
	if (bpf_core_field_exists(struct pcpu_hot, hardirq_stack_inuse))
		return ((struct pcpu_hot *)bpf_this_cpu_ptr(&pcpu_hot))->hardirq_stack_inuse;
	if (&hardirq_stack_inuse)
		return *(bool *)bpf_this_cpu_ptr(&hardirq_stack_inuse);
	return -1;
}

/*
 * The primary's mark of a hit. Where it can leave none (the task's storage
 * cannot be made), the twin finds none either and goes by the busy flag.
 */
static __always_inline void hit_mark(__u32 g, void *ctx)
{
	__u64 c = (__u64)ctx, arg = *(__u64 *)ctx;	/* compared, never followed */
	int irq = on_irq_stack(), free = P2P_IRQ_MARKS - 1;
	struct irq_marks *m;
	struct pending *p;

	if (irq < 0)
		return;
	if (!irq) {
		p = task_pending(true);
		if (p) {
			p->hit[g] = arg;
			p->hit_at[g] = c;
		}
		return;
	}
	m = bpf_map_lookup_elem(&irq_marks, &g);
	if (!m)
		return;
	/* a free slot (ctx 0) or one at or below ctx; the last if none is */
	for (int i = P2P_IRQ_MARKS - 1; i >= 0; i--)
		if (m->ctx[i] <= c)
			free = i;
	m->ctx[free] = c;
	m->arg[free] = arg;
}

/* 1: the hit is marked (the mark is taken), 0: it is not, -1: no marks here */
static __always_inline int hit_marked(__u32 g, void *ctx)
{
	__u64 c = (__u64)ctx, arg = *(__u64 *)ctx;
	int irq = on_irq_stack();
	struct irq_marks *m;
	struct pending *p;

	if (irq < 0)
		return -1;
	if (!irq) {
		p = task_pending(false);
		if (!p)
			return -1;
		if (p->hit[g] != arg || p->hit_at[g] != c)
			return 0;
		p->hit_at[g] = 0;
		return 1;
	}
	m = bpf_map_lookup_elem(&irq_marks, &g);
	if (!m)
		return -1;
	for (int i = 0; i < P2P_IRQ_MARKS; i++)
		if (m->ctx[i] == c && m->arg[i] == arg) {
			m->ctx[i] = 0;
			return 1;
		}
	return 0;
}

/* The primary's run: its mark, then its work, flagged busy on this CPU. */
#define PRIMARY(g, work) ({						\
	__u32 *_busy = busy_slot(g);					\
	hit_mark(g, ctx);						\
	if (_busy)							\
		*_busy = 1;						\
	work;								\
	if (_busy)							\
		*_busy = 0;						\
	0;								\
})

/* The twin's run: the work, where the kernel skipped the primary. */
#define TWIN(g, work) ({						\
	int _marked = hit_marked(g, ctx);				\
	__u32 *_busy = busy_slot(g);					\
	bool _held = _busy && *_busy;					\
	if (_marked < 0 ? _held : !_marked || _held) {			\
		rescued_add(1);						\
		work;							\
	}								\
	0;								\
})

/* ---- helpers ---- */

#define P2P_E2BIG	7	/* a full map refuses a new element */
#define P2P_EEXIST	17

static __always_inline void lose(int what)
{
	__u32 zero = 0;
	struct p2p_losses *l = bpf_map_lookup_elem(&losses, &zero);

	if (l && what >= 0 && what < P2P_LOST_NR)
		ADD(l->n[what], 1);
}

/* The kernel's enum pci_p2pdma_map_type as ours. */
static __always_inline __u8 map_type_of(int kt)
{
	if (kt == bpf_core_enum_value(enum pci_p2pdma_map_type, PCI_P2PDMA_MAP_BUS_ADDR))
		return P2P_MAP_BUS_ADDR;
	if (kt == bpf_core_enum_value(enum pci_p2pdma_map_type, PCI_P2PDMA_MAP_THRU_HOST_BRIDGE))
		return P2P_MAP_THRU_HOST_BRIDGE;
	if (kt == bpf_core_enum_value(enum pci_p2pdma_map_type, PCI_P2PDMA_MAP_NOT_SUPPORTED))
		return P2P_MAP_NOT_SUPPORTED;
	return P2P_MAP_UNKNOWN;
}

static __always_inline __u64 pci_dev_addr(struct pci_dev *pdev)
{
	return pdev ? (__u64)pdev + bpf_core_field_offset(struct pci_dev, dev) : 0;
}

static __always_inline bool name_matches(const char *name)
{
#pragma unroll
	for (int i = 0; i < P2P_NAME_LEN; i++) {
		if (name[i] != targ_provider[i])
			return false;
		if (!name[i])
			return true;
	}
	return true;
}

/*
 * Make a device's name known to userspace the first time it is seen, and
 * say whether it is the provider asked for. A known device costs one
 * lookup of an 8-byte key.
 */
static __always_inline bool dev_seen(__u64 dev, bool is_provider)
{
	struct p2p_devname *d, n = {};
	const char *kname;

	if (!dev)
		return !targ_provider[0] || !is_provider;
	d = bpf_map_lookup_elem(&devnames, &dev);
	if (d)
		return d->wanted || !is_provider;
	kname = BPF_CORE_READ((struct device *)dev, kobj.name);
	if (kname)
		bpf_probe_read_kernel_str(n.name, sizeof(n.name), kname);
	n.wanted = !targ_provider[0] || name_matches(n.name);
	if (bpf_map_update_elem(&devnames, &dev, &n, BPF_NOEXIST) == -P2P_E2BIG)
		lose(P2P_LOST_NAMES);
	return n.wanted || !is_provider;
}

/* The provider (its struct device) behind a P2PDMA pagemap, or 0. */
static __always_inline __u64 pgmap_provider(struct dev_pagemap *pgmap)
{
	if (!pgmap || BPF_CORE_READ(pgmap, type) !=
		      bpf_core_enum_value(enum memory_type, MEMORY_DEVICE_PCI_P2PDMA))
		return 0;
	if (bpf_core_field_exists(struct pci_p2pdma_pagemap___v7, mem)) {
		struct pci_p2pdma_pagemap___v7 *p = (void *)pgmap -
			bpf_core_field_offset(struct pci_p2pdma_pagemap___v7, pgmap);

		return (__u64)BPF_CORE_READ(p, mem, owner);
	} else {
		struct pci_p2pdma_pagemap *p = (void *)pgmap -
			bpf_core_field_offset(struct pci_p2pdma_pagemap, pgmap);

		return pci_dev_addr(BPF_CORE_READ(p, provider));
	}
}

/* A page's dev_pagemap (meaningful for ZONE_DEVICE pages only). */
static __always_inline struct dev_pagemap *page_pgmap(void *page)
{
	if (bpf_core_field_exists(struct page___pgmap, pgmap))
		return BPF_CORE_READ((struct page___pgmap *)page, pgmap);
	/* P2P pages are order 0: the page is its folio */
	return BPF_CORE_READ((struct folio___pgmap *)page, pgmap);
}

static __always_inline bool event_wanted(__u8 type, __u64 id)
{
	if (!trace_mode || !(targ_events & (1U << type)))
		return false;
	/* -d DISK: only I/O, and only that disk's (checked by the caller) */
	if (targ_dev && type != P2P_EV_IO && type != P2P_EV_FALLBACK)
		return false;
	return !targ_tgid || (id >> 32) == targ_tgid;
}

/* A zeroed event record on behalf of task id, or NULL (counted as lost). */
static __always_inline struct p2p_event *event_start(__u8 type, __u64 id)
{
	struct p2p_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		lose(P2P_LOST_EVENTS);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->type = type;
	return e;
}

/* An event of the current task about a provider. */
static __always_inline struct p2p_event *event_current(__u8 type, __u64 id, __u64 provider)
{
	struct p2p_event *e = event_start(type, id);

	if (e) {
		bpf_get_current_comm(e->comm, sizeof(e->comm));
		e->provider = provider;
	}
	return e;
}

static __always_inline void event_send(struct p2p_event *e)
{
	/* the default adapts: a wakeup only when the reader has caught up */
	bpf_ringbuf_submit(e, 0);
}

static __always_inline struct p2p_mem_stats *provider_stats_of(__u64 provider)
{
	static const struct p2p_mem_stats zero;
	struct p2p_mem_stats *s = bpf_map_lookup_elem(&provider_stats, &provider);

	if (s)
		return s;
	if (bpf_map_update_elem(&provider_stats, &provider, &zero, BPF_NOEXIST) == -P2P_E2BIG)
		lose(P2P_LOST_PROVIDERS);
	return bpf_map_lookup_elem(&provider_stats, &provider);
}

static __always_inline struct p2p_pair_stats *pair_stats_of(__u64 provider, __u64 client)
{
	static const struct p2p_pair_stats zero;
	struct p2p_pair_key key = { provider, client };
	struct p2p_pair_stats *s = bpf_map_lookup_elem(&pair_stats, &key);

	if (s)
		return s;
	if (bpf_map_update_elem(&pair_stats, &key, &zero, BPF_NOEXIST) == -P2P_E2BIG)
		lose(P2P_LOST_PAIRS);
	return bpf_map_lookup_elem(&pair_stats, &key);
}

/*
 * A process's totals; its name is taken once, from the current task's
 * process (an io_uring worker or SQPOLL thread is named iou-wrk-N or
 * iou-sqp-N; the process is what the user knows).
 */
static __always_inline struct p2p_pid_stats *pid_stats_of(__u32 tgid, bool current_is_it)
{
	static const struct p2p_pid_stats zero;
	struct p2p_pid_stats *s = bpf_map_lookup_elem(&pid_stats, &tgid);
	char comm[P2P_COMM_LEN];

	if (s)
		return s;
	if (bpf_map_update_elem(&pid_stats, &tgid, &zero, BPF_NOEXIST) == -P2P_E2BIG) {
		lose(P2P_LOST_PIDS);
		return NULL;
	}
	if (current_is_it) {
		struct task_struct *t = (void *)bpf_get_current_task();

		BPF_CORE_READ_STR_INTO(&comm, t, group_leader, comm);
		bpf_map_update_elem(&pid_comm, &tgid, comm, BPF_NOEXIST);
	}
	return bpf_map_lookup_elem(&pid_stats, &tgid);
}

static __always_inline void save_args(__u64 a0, __u64 a1)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct saved_args a = { a0, a1 };

	bpf_map_update_elem(&kargs, &tid, &a, BPF_ANY);
}

static __always_inline bool take_args(struct saved_args *a)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct saved_args *p = bpf_map_lookup_elem(&kargs, &tid);

	if (!p)
		return false;
	*a = *p;
	bpf_map_delete_elem(&kargs, &tid);
	return true;
}

#endif /* P2PSCOPE_BPF_H */
