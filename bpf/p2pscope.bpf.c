// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel side of p2pscope: one object for every tool.
 *
 * Each hook comes in variants; userspace keeps the best one the running
 * kernel has (the p2pdma: tracepoints of our series, then fentry/fexit, then
 * kprobes) and switches the rest off with bpf_program__set_autoload(). The
 * variants of one hook must never run together, or events are counted twice.
 *
 * Events go to a ring buffer (drops are counted); totals go to bounded maps
 * that p2ptop reads.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "p2pscope.h"

char LICENSE[] SEC("license") = "GPL";

/* set by userspace before load */
const volatile __u32 targ_tgid = 0;	/* only this process's events */
const volatile bool emit_events = true;	/* false: totals only */

__u64 drops = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, P2P_RINGBUF_BYTES);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, P2P_MAX_PROVIDERS);
	__type(key, char[P2P_NAME_LEN]);
	__type(value, struct p2p_provider_stats);
} providers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, P2P_MAX_PAIRS);
	__type(key, struct p2p_pair_key);
	__type(value, struct p2p_pair_stats);
} pairs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, P2P_MAX_PIDS);
	__type(key, __u32);
	__type(value, struct p2p_pid_stats);
} pids SEC(".maps");

/* pci_dev pointers seen in trusted hooks; vets providers read from pages */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, P2P_MAX_PROVIDERS);
	__type(key, __u64);
	__type(value, __u8);
} known_providers SEC(".maps");

/* The last P2P mapping decision of a task: block requests inherit it. */
struct decision {
	char provider[P2P_NAME_LEN];
	char client[P2P_NAME_LEN];
	__u8 map_type;
	__u8 refused;
	__u8 computed;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, P2P_MAX_PIDS);
	__type(key, __u32);
	__type(value, struct decision);
} decisions SEC(".maps");

struct io_key {
	__u64 sector;
	__u32 dev;
	__u32 pad;
};

struct io_start {
	__u64 ts;
	__u64 bytes;
	__u64 id;		/* pid_tgid of the submitter */
	char comm[P2P_COMM_LEN];
	__u8 write;
	__u8 map_type;
	__u8 mapknown;
	char provider[P2P_NAME_LEN];
	char client[P2P_NAME_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, P2P_MAX_INFLIGHT);
	__type(key, struct io_key);
	__type(value, struct io_start);
} inflight SEC(".maps");

/* Userspace mappings holding memory, by struct pci_p2pdma_map pointer. */
struct live_map {
	__u64 len;
	__u32 tgid;
	char provider[P2P_NAME_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, P2P_MAX_MAPS);
	__type(key, __u64);
	__type(value, struct live_map);
} live_maps SEC(".maps");

/* kprobe variants: arguments saved at entry for the return probe */
struct saved_args {
	__u64 a0, a1, a2;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, P2P_MAX_PIDS);
	__type(key, __u32);
	__type(value, struct saved_args);
} kargs SEC(".maps");

static __always_inline void dev_name(char *dst, struct device *dev)
{
	const char *name = BPF_CORE_READ(dev, kobj.name);

	if (!name || bpf_probe_read_kernel_str(dst, P2P_NAME_LEN, name) < 0)
		dst[0] = 0;
}

static __always_inline void pci_name(char *dst, struct pci_dev *pdev)
{
	dev_name(dst, &pdev->dev);
}

static __always_inline bool name_eq(const char *a, const char *b)
{
#pragma unroll
	for (int i = 0; i < P2P_NAME_LEN; i++) {
		if (a[i] != b[i])
			return false;
		if (!a[i])
			return true;
	}
	return true;
}

static __always_inline void know_provider(struct pci_dev *pdev)
{
	__u64 key = (__u64)pdev;
	__u8 one = 1;

	if (!bpf_map_lookup_elem(&known_providers, &key))
		bpf_map_update_elem(&known_providers, &key, &one, BPF_ANY);
}

/* The provider behind a P2PDMA dev_pagemap, or NULL for any other pagemap. */
static __always_inline struct pci_dev *pgmap_provider(struct dev_pagemap *pgmap)
{
	struct pci_p2pdma_pagemap *p2p;
	int type;

	if (!pgmap)
		return NULL;
	type = BPF_CORE_READ(pgmap, type);
	if (type != bpf_core_enum_value(enum memory_type, MEMORY_DEVICE_PCI_P2PDMA))
		return NULL;
	p2p = (void *)pgmap - bpf_core_field_offset(struct pci_p2pdma_pagemap, pgmap);
	return BPF_CORE_READ(p2p, provider);
}

/* gen_pool owners of P2PDMA chunks are the percpu_ref in the dev_pagemap */
static __always_inline struct pci_dev *owner_provider(void **owner)
{
	struct percpu_ref *ref = NULL;

	if (!owner || bpf_probe_read_kernel(&ref, sizeof(ref), owner) || !ref)
		return NULL;
	return pgmap_provider((void *)ref - bpf_core_field_offset(struct dev_pagemap, ref));
}

static __always_inline struct p2p_provider_stats *provider_stats(const char *name)
{
	static const struct p2p_provider_stats zero;
	struct p2p_provider_stats *s;

	s = bpf_map_lookup_elem(&providers, name);
	if (s)
		return s;
	bpf_map_update_elem(&providers, name, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&providers, name);
}

static __always_inline struct p2p_pair_stats *pair_stats(const char *provider,
							 const char *client)
{
	static const struct p2p_pair_stats zero;
	struct p2p_pair_key key = {};
	struct p2p_pair_stats *s;

	__builtin_memcpy(key.provider, provider, P2P_NAME_LEN);
	__builtin_memcpy(key.client, client, P2P_NAME_LEN);
	s = bpf_map_lookup_elem(&pairs, &key);
	if (s)
		return s;
	bpf_map_update_elem(&pairs, &key, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&pairs, &key);
}

/* Totals of a process; comm is the current task's if NULL. */
static __always_inline struct p2p_pid_stats *pid_stats(__u32 tgid, const char *comm)
{
	static const struct p2p_pid_stats zero;
	struct p2p_pid_stats *s;

	s = bpf_map_lookup_elem(&pids, &tgid);
	if (s)
		return s;
	bpf_map_update_elem(&pids, &tgid, &zero, BPF_NOEXIST);
	s = bpf_map_lookup_elem(&pids, &tgid);
	if (s && comm)
		__builtin_memcpy(s->comm, comm, P2P_COMM_LEN);
	else if (s)
		bpf_get_current_comm(s->comm, sizeof(s->comm));
	return s;
}

static __always_inline struct p2p_pid_stats *current_pid_stats(void)
{
	return pid_stats(bpf_get_current_pid_tgid() >> 32, NULL);
}

/* An event on behalf of a task, which may not be the current one. */
static __always_inline struct p2p_event *event_for(__u8 type, __u64 id)
{
	struct p2p_event *e;

	if (!emit_events || (targ_tgid && (id >> 32) != targ_tgid))
		return NULL;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&drops, 1);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->type = type;
	return e;
}

/*
 * Wake the reader only once a batch is waiting: a wakeup per event costs
 * more than the event. The tools poll every 100 ms in any case.
 */
static __always_inline void event_send(struct p2p_event *e)
{
	long flags = BPF_RB_NO_WAKEUP;

	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= P2P_RINGBUF_BYTES / 8)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

static __always_inline struct p2p_event *event_new(__u8 type)
{
	struct p2p_event *e = event_for(type, bpf_get_current_pid_tgid());

	if (e)
		bpf_get_current_comm(e->comm, sizeof(e->comm));
	return e;
}

/* ---- memory: alloc and free ---- */

static __always_inline void on_mem(__u8 type, struct pci_dev *pdev, __u64 bytes,
				   __u64 avail, bool has_avail)
{
	struct p2p_provider_stats *s;
	struct p2p_pid_stats *ps;
	char name[P2P_NAME_LEN] = {};
	struct p2p_event *e;

	know_provider(pdev);
	pci_name(name, pdev);
	s = provider_stats(name);
	if (s) {
		if (type == P2P_EV_ALLOC) {
			__sync_fetch_and_add(&s->allocs, 1);
			__sync_fetch_and_add(&s->alloc_bytes, bytes);
		} else {
			__sync_fetch_and_add(&s->frees, 1);
			__sync_fetch_and_add(&s->free_bytes, bytes);
		}
	}
	if (type == P2P_EV_ALLOC) {
		ps = current_pid_stats();
		if (ps)
			__sync_fetch_and_add(&ps->alloc_bytes, bytes);
	}
	e = event_new(type);
	if (!e)
		return;
	__builtin_memcpy(e->provider, name, P2P_NAME_LEN);
	e->bytes = bytes;
	if (has_avail) {
		e->avail = avail;
		e->flags |= P2P_F_AVAIL;
	}
	event_send(e);
}

SEC("tp_btf/p2pdma_alloc")
int BPF_PROG(tp_alloc, struct pci_dev *pdev, size_t bytes, size_t avail)
{
	on_mem(P2P_EV_ALLOC, pdev, bytes, avail, true);
	return 0;
}

SEC("tp_btf/p2pdma_free")
int BPF_PROG(tp_free, struct pci_dev *pdev, size_t bytes, size_t avail)
{
	on_mem(P2P_EV_FREE, pdev, bytes, avail, true);
	return 0;
}

SEC("fexit/gen_pool_alloc_algo_owner")
int BPF_PROG(fexit_alloc, struct gen_pool *pool, size_t size, void *algo,
	     void *data, void **owner, unsigned long ret)
{
	struct pci_dev *pdev;

	if (!ret)
		return 0;
	pdev = owner_provider(owner);
	if (pdev)
		on_mem(P2P_EV_ALLOC, pdev, size, 0, false);
	return 0;
}

SEC("fexit/gen_pool_free_owner")
int BPF_PROG(fexit_free, struct gen_pool *pool, unsigned long addr, size_t size,
	     void **owner)
{
	struct pci_dev *pdev = owner_provider(owner);

	if (pdev)
		on_mem(P2P_EV_FREE, pdev, size, 0, false);
	return 0;
}

/* The P2PDMA functions around genalloc, for kernels where it is notrace. */
SEC("fexit/pci_alloc_p2pmem")
int BPF_PROG(fexit_pci_alloc, struct pci_dev *pdev, size_t size, void *ret)
{
	if (ret)
		on_mem(P2P_EV_ALLOC, pdev, size, 0, false);
	return 0;
}

SEC("fentry/pci_free_p2pmem")
int BPF_PROG(fentry_pci_free, struct pci_dev *pdev, void *addr, size_t size)
{
	on_mem(P2P_EV_FREE, pdev, size, 0, false);
	return 0;
}

SEC("fexit/p2pmem_alloc_mmap")
int BPF_PROG(fexit_sysfs_alloc, struct file *filp, struct kobject *kobj,
	     void *attr, struct vm_area_struct *vma, int ret)
{
	struct pci_dev *pdev;

	if (ret)
		return 0;
	pdev = (void *)kobj - bpf_core_field_offset(struct pci_dev, dev) -
	       bpf_core_field_offset(struct device, kobj);
	on_mem(P2P_EV_ALLOC, pdev, BPF_CORE_READ(vma, vm_end) - BPF_CORE_READ(vma, vm_start),
	       0, false);
	return 0;
}

/* userspace P2P pages come back one at a time through the pagemap */
SEC("fentry/p2pdma_page_free")
int BPF_PROG(fentry_page_free, struct page *page)
{
	struct pci_dev *pdev = pgmap_provider(BPF_CORE_READ(page, pgmap));

	if (pdev)
		on_mem(P2P_EV_FREE, pdev, 4096, 0, false);
	return 0;
}

static __always_inline void save_args(__u64 a0, __u64 a1, __u64 a2)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct saved_args a = { a0, a1, a2 };

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

SEC("kprobe/gen_pool_alloc_algo_owner")
int BPF_KPROBE(kp_alloc, struct gen_pool *pool, size_t size, void *algo,
	       void *data, void **owner)
{
	save_args(size, (__u64)owner, 0);
	return 0;
}

SEC("kretprobe/gen_pool_alloc_algo_owner")
int BPF_KRETPROBE(krp_alloc, unsigned long ret)
{
	struct saved_args a;
	struct pci_dev *pdev;

	if (!take_args(&a) || !ret)
		return 0;
	pdev = owner_provider((void **)a.a1);
	if (pdev)
		on_mem(P2P_EV_ALLOC, pdev, a.a0, 0, false);
	return 0;
}

SEC("kprobe/gen_pool_free_owner")
int BPF_KPROBE(kp_free, struct gen_pool *pool, unsigned long addr, size_t size,
	       void **owner)
{
	save_args(size, (__u64)owner, 0);
	return 0;
}

SEC("kretprobe/gen_pool_free_owner")
int BPF_KRETPROBE(krp_free)
{
	struct saved_args a;
	struct pci_dev *pdev;

	if (!take_args(&a))
		return 0;
	pdev = owner_provider((void **)a.a1);
	if (pdev)
		on_mem(P2P_EV_FREE, pdev, a.a0, 0, false);
	return 0;
}

/* ---- userspace mappings ---- */

static __always_inline void on_vma(__u8 type, const char *name, __u64 addr,
				   __u64 len, __u32 flags, int result)
{
	struct p2p_provider_stats *s = provider_stats(name);
	struct p2p_pid_stats *ps;
	struct p2p_event *e;

	if (s)
		__sync_fetch_and_add(type == P2P_EV_FAULT ? &s->faults : &s->closes, 1);
	if (type == P2P_EV_FAULT) {
		ps = current_pid_stats();
		if (ps)
			__sync_fetch_and_add(&ps->faults, 1);
	}
	e = event_new(type);
	if (!e)
		return;
	__builtin_memcpy(e->provider, name, P2P_NAME_LEN);
	e->addr = addr;
	e->bytes = len;
	e->flags = flags;
	e->result = result;
	event_send(e);
}

SEC("tp_btf/p2pdma_vma_fault")
int BPF_PROG(tp_fault, struct pci_dev *pdev, unsigned long address, size_t len,
	     bool allocated, vm_fault_t ret)
{
	char name[P2P_NAME_LEN] = {};
	int result = 0;

	/* VM_FAULT_NOPAGE (0x100) is success; VM_FAULT_SIGBUS is 0x2 */
	if (ret & 0x2)
		result = P2P_RESULT_SIGBUS;
	else if (ret & ~(vm_fault_t)0x100)
		result = -14;	/* EFAULT */
	pci_name(name, pdev);
	on_vma(P2P_EV_FAULT, name, address, len, allocated ? P2P_F_ALLOCATED : 0, result);
	return 0;
}

SEC("tp_btf/p2pdma_vma_close")
int BPF_PROG(tp_close, struct pci_dev *pdev, unsigned long start, size_t len,
	     bool populated)
{
	char name[P2P_NAME_LEN] = {};

	pci_name(name, pdev);
	on_vma(P2P_EV_CLOSE, name, start, len, populated ? P2P_F_POPULATED : 0, 0);
	return 0;
}

/* stock kernels: the sysfs p2pmem/allocate file maps everything at mmap() */
SEC("fexit/p2pmem_alloc_mmap")
int BPF_PROG(fexit_sysfs_mmap, struct file *filp, struct kobject *kobj,
	     void *attr, struct vm_area_struct *vma, int ret)
{
	char name[P2P_NAME_LEN] = {};
	const char *kname = BPF_CORE_READ(kobj, name);
	__u64 start = BPF_CORE_READ(vma, vm_start);

	if (!kname || bpf_probe_read_kernel_str(name, sizeof(name), kname) < 0)
		return 0;
	on_vma(P2P_EV_FAULT, name, start, BPF_CORE_READ(vma, vm_end) - start,
	       P2P_F_MMAP | (ret ? 0 : P2P_F_ALLOCATED), ret);
	return 0;
}

/*
 * Live mappings (our series only): the fault that allocated a map starts
 * it, the close that drops its last reference ends it.
 */
SEC("fexit/pci_p2pdma_vma_fault")
int BPF_PROG(fexit_vma_fault, struct vm_fault *vmf, vm_fault_t ret)
{
	struct pci_p2pdma_map *pmap = BPF_CORE_READ(vmf, vma, vm_private_data);
	struct p2p_provider_stats *s;
	struct p2p_pid_stats *ps;
	struct live_map lm = {};
	__u64 key = (__u64)pmap;

	if (!pmap || !BPF_CORE_READ(pmap, kaddr) || bpf_map_lookup_elem(&live_maps, &key))
		return 0;
	lm.len = BPF_CORE_READ(pmap, len);
	lm.tgid = bpf_get_current_pid_tgid() >> 32;
	pci_name(lm.provider, BPF_CORE_READ(pmap, pdev));
	if (bpf_map_update_elem(&live_maps, &key, &lm, BPF_NOEXIST))
		return 0;
	s = provider_stats(lm.provider);
	if (s) {
		__sync_fetch_and_add(&s->live_maps, 1);
		__sync_fetch_and_add(&s->held_bytes, lm.len);
	}
	ps = current_pid_stats();
	if (ps) {
		__sync_fetch_and_add(&ps->live_maps, 1);
		__sync_fetch_and_add(&ps->held_bytes, lm.len);
	}
	return 0;
}

SEC("fentry/pci_p2pdma_vma_close")
int BPF_PROG(fentry_vma_close, struct vm_area_struct *vma)
{
	struct pci_p2pdma_map *pmap = BPF_CORE_READ(vma, vm_private_data);
	struct p2p_provider_stats *s;
	struct p2p_pid_stats *ps;
	struct live_map *lm;
	__u64 key = (__u64)pmap;

	/* only the close that drops the last reference releases the map */
	if (!pmap || BPF_CORE_READ(pmap, ref.refcount.refs.counter) != 1)
		return 0;
	lm = bpf_map_lookup_elem(&live_maps, &key);
	if (!lm)
		return 0;
	s = bpf_map_lookup_elem(&providers, lm->provider);
	if (s) {
		__sync_fetch_and_add(&s->live_maps, -1);
		__sync_fetch_and_add(&s->held_bytes, -(__s64)lm->len);
	}
	ps = bpf_map_lookup_elem(&pids, &lm->tgid);
	if (ps) {
		__sync_fetch_and_add(&ps->live_maps, -1);
		__sync_fetch_and_add(&ps->held_bytes, -(__s64)lm->len);
	}
	bpf_map_delete_elem(&live_maps, &key);
	return 0;
}

SEC("tp_btf/p2pdma_revoke")
int BPF_PROG(tp_revoke, struct pci_dev *pdev, unsigned int nr_maps, size_t bytes)
{
	struct p2p_event *e = event_new(P2P_EV_REVOKE);

	if (!e)
		return 0;
	pci_name(e->provider, pdev);
	e->bytes = bytes;
	e->addr = nr_maps;
	event_send(e);
	return 0;
}

/* ---- map-type decisions and refusals ---- */

static __always_inline void on_map(struct pci_dev *provider, struct device *client,
				   int type, __u32 flags)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct p2p_provider_stats *s;
	struct p2p_pair_stats *pair;
	struct decision d = {}, *dp;
	struct p2p_event *e;

	if (type < 0 || type >= P2P_MAP_NR)
		type = P2P_MAP_UNKNOWN;
	know_provider(provider);
	pci_name(d.provider, provider);
	dev_name(d.client, client);
	d.map_type = type;
	/*
	 * The DMA mapping fails on NOT_SUPPORTED; 6.12's dma_map_sg_err does
	 * not fire for -EREMOTEIO, so this is the refusal on stock kernels.
	 */
	d.refused = type == P2P_MAP_NOT_SUPPORTED;
	/* overwrite in place: an update of an LRU hash allocates */
	dp = bpf_map_lookup_elem(&decisions, &tid);
	if (dp)
		*dp = d;
	else
		bpf_map_update_elem(&decisions, &tid, &d, BPF_ANY);

	s = provider_stats(d.provider);
	if (s)
		__sync_fetch_and_add(&s->maps[type & 3], 1);
	pair = pair_stats(d.provider, d.client);
	if (pair) {
		__sync_fetch_and_add(&pair->maps[type & 3], 1);
		pair->last_type = type;
	}
	e = event_new(P2P_EV_MAP);
	if (!e)
		return;
	__builtin_memcpy(e->provider, d.provider, P2P_NAME_LEN);
	__builtin_memcpy(e->client, d.client, P2P_NAME_LEN);
	e->map_type = type;
	e->flags = flags;
	event_send(e);
}

SEC("tp_btf/p2pdma_map_type")
int BPF_PROG(tp_map_type, struct pci_dev *provider, struct device *client,
	     enum pci_p2pdma_map_type type, bool cached)
{
	on_map(provider, client, type, cached ? P2P_F_CACHED : 0);
	return 0;
}

/* stock 6.12: pci_p2pdma_map_type() is inlined into map_segment */
SEC("fexit/calc_map_type_and_dist")
int BPF_PROG(fexit_calc, struct pci_dev *provider, struct pci_dev *client,
	     int *dist, bool verbose, int ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct decision d = { .computed = 1 };

	/* marks the next decision of this task as a cache miss */
	bpf_map_update_elem(&decisions, &tid, &d, BPF_ANY);
	return 0;
}

static __always_inline void on_map_segment(struct pci_p2pdma_map_state *state,
					   struct device *dev, int ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct decision *d = bpf_map_lookup_elem(&decisions, &tid);
	struct pci_dev *provider;
	__u32 flags = P2P_F_CACHED;

	provider = pgmap_provider(BPF_CORE_READ(state, pgmap));
	if (!provider)
		return;
	if (d && d->computed)
		flags = 0;
	on_map(provider, dev, ret, flags);
}

SEC("fexit/pci_p2pdma_map_segment")
int BPF_PROG(fexit_map_segment, struct pci_p2pdma_map_state *state,
	     struct device *dev, struct scatterlist *sg, int ret)
{
	on_map_segment(state, dev, ret);
	return 0;
}

SEC("kprobe/pci_p2pdma_map_segment")
int BPF_KPROBE(kp_map_segment, struct pci_p2pdma_map_state *state,
	       struct device *dev)
{
	save_args((__u64)state, (__u64)dev, 0);
	return 0;
}

SEC("kretprobe/pci_p2pdma_map_segment")
int BPF_KRETPROBE(krp_map_segment, int ret)
{
	struct saved_args a;

	if (take_args(&a))
		on_map_segment((void *)a.a0, (void *)a.a1, ret);
	return 0;
}

/* 6.16 and later: the map type is kept in the state by this helper */
SEC("fexit/__pci_p2pdma_update_state")
int BPF_PROG(fexit_update_state, struct pci_p2pdma_map_state *state,
	     struct device *dev, struct page *page)
{
	struct pci_dev *provider = pgmap_provider(BPF_CORE_READ(page, pgmap));

	if (provider)
		on_map(provider, dev, BPF_CORE_READ(state, map), 0);
	return 0;
}

static __always_inline void on_refused(struct pci_dev *provider, struct device *client)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct decision *d = bpf_map_lookup_elem(&decisions, &tid);
	struct decision nd = { .map_type = P2P_MAP_NOT_SUPPORTED, .refused = 1 };

	if (d) {
		d->refused = 1;
		return;
	}
	pci_name(nd.provider, provider);
	dev_name(nd.client, client);
	bpf_map_update_elem(&decisions, &tid, &nd, BPF_ANY);
}

SEC("tp_btf/p2pdma_map_refused")
int BPF_PROG(tp_refused, struct pci_dev *provider, struct device *client,
	     unsigned int len)
{
	on_refused(provider, client);
	return 0;
}

SEC("tp_btf/dma_map_sg_err")
int BPF_PROG(tp_sg_err, struct device *dev, struct scatterlist *sgl, int nents,
	     int err)
{
	struct page *page;
	struct pci_dev *provider;

	if (err != -121 /* EREMOTEIO */ && err != -22 /* EINVAL, >= 6.17 */)
		return 0;
	/* sg_page(): the low bits of page_link are flags */
	page = (void *)(BPF_CORE_READ(sgl, page_link) & ~7UL);
	provider = pgmap_provider(BPF_CORE_READ(page, pgmap));
	if (provider)
		on_refused(provider, dev);
	return 0;
}

/* ---- per-I/O ---- */

/* The provider of the request's pages, if they are P2P memory we know. */
static __always_inline struct pci_dev *rq_provider(struct request *rq)
{
	struct page *page = BPF_CORE_READ(rq, bio, bi_io_vec, bv_page);
	struct pci_dev *pdev;
	__u64 key;

	if (!page)
		return NULL;
	pdev = pgmap_provider(BPF_CORE_READ(page, pgmap));
	key = (__u64)pdev;
	/* for pages that are not ZONE_DEVICE the pgmap word is something else */
	if (!pdev || !bpf_map_lookup_elem(&known_providers, &key))
		return NULL;
	return pdev;
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(tp_rq_issue, struct request *rq)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct io_start st = {};
	struct io_key key = {};
	struct decision *d;
	struct pci_dev *pdev;

	pdev = rq_provider(rq);
	if (!pdev)
		return 0;
	key.dev = BPF_CORE_READ(rq, q, disk, part0, bd_dev);
	key.sector = BPF_CORE_READ(rq, __sector);
	st.ts = bpf_ktime_get_ns();
	st.bytes = BPF_CORE_READ(rq, __data_len);
	st.id = id;
	bpf_get_current_comm(st.comm, sizeof(st.comm));
	st.write = (BPF_CORE_READ(rq, cmd_flags) & 0xff) == 1;	/* REQ_OP_WRITE */
	pci_name(st.provider, pdev);
	d = bpf_map_lookup_elem(&decisions, &tid);
	if (d && name_eq(d->provider, st.provider)) {
		st.map_type = d->map_type;
		st.mapknown = 1;
		__builtin_memcpy(st.client, d->client, P2P_NAME_LEN);
	}
	bpf_map_update_elem(&inflight, &key, &st, BPF_ANY);
	return 0;
}

static __always_inline void account_io(struct io_start *st, bool fallback, __u64 bytes)
{
	struct p2p_provider_stats *s = provider_stats(st->provider);
	struct p2p_pid_stats *ps = pid_stats(st->id >> 32, st->comm);
	struct p2p_pair_stats *pair = NULL;

	if (st->client[0])
		pair = pair_stats(st->provider, st->client);
	if (fallback) {
		if (s)
			__sync_fetch_and_add(&s->fallbacks, 1);
		if (pair)
			__sync_fetch_and_add(&pair->fallbacks, 1);
		if (ps)
			__sync_fetch_and_add(&ps->fallbacks, 1);
		return;
	}
	if (s) {
		__sync_fetch_and_add(&s->ios, 1);
		__sync_fetch_and_add(st->write ? &s->write_bytes : &s->read_bytes, bytes);
	}
	if (pair)
		__sync_fetch_and_add(&pair->bytes, bytes);
	if (ps)
		__sync_fetch_and_add(st->write ? &ps->write_bytes : &ps->read_bytes, bytes);
}

/* The classic tracepoint: its error is already an errno. */
SEC("tracepoint/block/block_rq_complete")
int tp_rq_complete(struct trace_event_raw_block_rq_completion *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct io_key key = { .sector = ctx->sector, .dev = ctx->dev };
	__u64 bytes = (__u64)ctx->nr_sector << 9;
	struct io_start *st, fst = {};
	struct decision *d;
	struct p2p_event *e;
	bool fallback;

	st = bpf_map_lookup_elem(&inflight, &key);
	if (st) {
		fst = *st;
		bpf_map_delete_elem(&inflight, &key);
	} else {
		/* refused requests complete in the submitter without an issue */
		d = bpf_map_lookup_elem(&decisions, &tid);
		if (!d || !d->refused || !ctx->error)
			return 0;
		d->refused = 0;
		fst.id = bpf_get_current_pid_tgid();
		bpf_get_current_comm(fst.comm, sizeof(fst.comm));
		fst.map_type = d->map_type;
		fst.mapknown = 1;
		fst.write = ctx->rwbs[0] == 'W' || ctx->rwbs[1] == 'W';
		__builtin_memcpy(fst.provider, d->provider, P2P_NAME_LEN);
		__builtin_memcpy(fst.client, d->client, P2P_NAME_LEN);
	}
	fallback = ctx->error == -121 || ctx->error == -22;
	account_io(&fst, fallback, bytes);

	e = event_for(fallback ? P2P_EV_FALLBACK : P2P_EV_IO, fst.id);
	if (!e)
		return 0;
	__builtin_memcpy(e->comm, fst.comm, P2P_COMM_LEN);
	__builtin_memcpy(e->provider, fst.provider, P2P_NAME_LEN);
	__builtin_memcpy(e->client, fst.client, P2P_NAME_LEN);
	e->map_type = fst.map_type;
	e->bytes = bytes;
	e->dev = ctx->dev;
	e->sector = ctx->sector;
	e->result = ctx->error;
	e->lat_ns = fst.ts ? e->ts_ns - fst.ts : 0;
	e->flags = (fst.write ? P2P_F_WRITE : 0) | (fst.mapknown ? P2P_F_MAPKNOWN : 0);
	event_send(e);
	return 0;
}
