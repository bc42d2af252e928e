// SPDX-License-Identifier: GPL-2.0
/*
 * P2P memory taken from and returned to a provider's pool. Variants, best
 * first (userspace keeps one per kernel): the p2pdma tracepoints of our
 * series; fexit or kprobes on genalloc, telling P2PDMA pools apart by their
 * chunk owner (the percpu_ref in the provider's dev_pagemap); and, where
 * genalloc cannot be traced, the P2PDMA entry points around it.
 */
#include "p2pscope.bpf.h"

static __always_inline void on_mem(__u8 type, __u64 provider, __u64 bytes,
				   __u64 avail, bool has_avail)
{
	__u64 id = bpf_get_current_pid_tgid();
	bool wanted = dev_seen(provider, true);
	struct p2p_event *e;

	if (!wanted)
		return;
	if (top_mode) {
		struct p2p_mem_stats *s = provider_stats_of(provider);
		struct p2p_pid_stats *ps;

		if (s && type == P2P_EV_ALLOC) {
			ADD(s->allocs, 1);
			ADD(s->alloc_bytes, bytes);
		} else if (s) {
			ADD(s->frees, 1);
			ADD(s->free_bytes, bytes);
		}
		if (type == P2P_EV_ALLOC && (ps = pid_stats_of(id >> 32, true)))
			ADD(ps->alloc_bytes, bytes);
	}
	if (!event_wanted(type, id) || targ_failures)
		return;
	e = event_current(type, id, provider);
	if (!e)
		return;
	e->bytes = bytes;
	if (has_avail) {
		e->aux = avail;
		e->flags = P2P_F_AVAIL;
	}
	event_send(e);
}

SEC("tp_btf/p2pdma_alloc")
int BPF_PROG(tp_alloc, struct pci_dev *pdev, size_t bytes, size_t avail)
{
	return PRIMARY(G_ALLOC_TP, on_mem(P2P_EV_ALLOC, pci_dev_addr(pdev), bytes, avail, true));
}

SEC("tp_btf/p2pdma_alloc")
int BPF_PROG(tp_alloc_twin, struct pci_dev *pdev, size_t bytes, size_t avail)
{
	return TWIN(G_ALLOC_TP, on_mem(P2P_EV_ALLOC, pci_dev_addr(pdev), bytes, avail, true));
}

SEC("tp_btf/p2pdma_free")
int BPF_PROG(tp_free, struct pci_dev *pdev, size_t bytes, size_t avail)
{
	return PRIMARY(G_FREE_TP, on_mem(P2P_EV_FREE, pci_dev_addr(pdev), bytes, avail, true));
}

SEC("tp_btf/p2pdma_free")
int BPF_PROG(tp_free_twin, struct pci_dev *pdev, size_t bytes, size_t avail)
{
	return TWIN(G_FREE_TP, on_mem(P2P_EV_FREE, pci_dev_addr(pdev), bytes, avail, true));
}

/* genalloc owners of P2PDMA chunks are the percpu_ref in the dev_pagemap */
static __always_inline __u64 owner_provider(void **owner)
{
	struct percpu_ref *ref = NULL;

	if (!owner || bpf_probe_read_kernel(&ref, sizeof(ref), owner) || !ref)
		return 0;
	return pgmap_provider((void *)ref - bpf_core_field_offset(struct dev_pagemap, ref));
}

static __always_inline void on_genalloc(__u8 type, size_t size, void **owner,
					unsigned long ret)
{
	__u64 provider;

	if (ret && (provider = owner_provider(owner)))
		on_mem(type, provider, size, 0, false);
}

SEC("fexit/gen_pool_alloc_algo_owner")
int BPF_PROG(fexit_alloc, struct gen_pool *pool, size_t size, void *algo,
	     void *data, void **owner, unsigned long ret)
{
	return PRIMARY(G_ALLOC, on_genalloc(P2P_EV_ALLOC, size, owner, ret));
}

SEC("fexit/gen_pool_alloc_algo_owner")
int BPF_PROG(fexit_alloc_twin, struct gen_pool *pool, size_t size, void *algo,
	     void *data, void **owner, unsigned long ret)
{
	return TWIN(G_ALLOC, on_genalloc(P2P_EV_ALLOC, size, owner, ret));
}

SEC("fexit/gen_pool_free_owner")
int BPF_PROG(fexit_free, struct gen_pool *pool, unsigned long addr, size_t size,
	     void **owner)
{
	return PRIMARY(G_FREE, on_genalloc(P2P_EV_FREE, size, owner, 1));
}

SEC("fexit/gen_pool_free_owner")
int BPF_PROG(fexit_free_twin, struct gen_pool *pool, unsigned long addr, size_t size,
	     void **owner)
{
	return TWIN(G_FREE, on_genalloc(P2P_EV_FREE, size, owner, 1));
}

SEC("kprobe/gen_pool_alloc_algo_owner")
int BPF_KPROBE(kp_alloc, struct gen_pool *pool, size_t size, void *algo,
	       void *data, void **owner)
{
	save_args(size, (__u64)owner);
	return 0;
}

SEC("kretprobe/gen_pool_alloc_algo_owner")
int BPF_KRETPROBE(krp_alloc, unsigned long ret)
{
	struct saved_args a;
	__u64 provider;

	if (take_args(&a) && ret && (provider = owner_provider((void **)a.a1)))
		on_mem(P2P_EV_ALLOC, provider, a.a0, 0, false);
	return 0;
}

SEC("kprobe/gen_pool_free_owner")
int BPF_KPROBE(kp_free, struct gen_pool *pool, unsigned long addr, size_t size,
	       void **owner)
{
	__u64 provider = owner_provider(owner);

	if (provider)
		on_mem(P2P_EV_FREE, provider, size, 0, false);
	return 0;
}

/* The P2PDMA functions around genalloc, for kernels where it is notrace. */
SEC("fexit/pci_alloc_p2pmem")
int BPF_PROG(fexit_pci_alloc, struct pci_dev *pdev, size_t size, void *ret)
{
	return PRIMARY(G_PCI_ALLOC, ret ? on_mem(P2P_EV_ALLOC, pci_dev_addr(pdev), size, 0, false) : (void)0);
}

SEC("fexit/pci_alloc_p2pmem")
int BPF_PROG(fexit_pci_alloc_twin, struct pci_dev *pdev, size_t size, void *ret)
{
	return TWIN(G_PCI_ALLOC, ret ? on_mem(P2P_EV_ALLOC, pci_dev_addr(pdev), size, 0, false) : (void)0);
}

SEC("fentry/pci_free_p2pmem")
int BPF_PROG(fentry_pci_free, struct pci_dev *pdev, void *addr, size_t size)
{
	return PRIMARY(G_PCI_FREE, on_mem(P2P_EV_FREE, pci_dev_addr(pdev), size, 0, false));
}

SEC("fentry/pci_free_p2pmem")
int BPF_PROG(fentry_pci_free_twin, struct pci_dev *pdev, void *addr, size_t size)
{
	return TWIN(G_PCI_FREE, on_mem(P2P_EV_FREE, pci_dev_addr(pdev), size, 0, false));
}

/* the sysfs p2pmem/allocate file allocates a whole mapping at mmap() */
static __always_inline void on_sysfs_alloc(struct kobject *kobj, struct vm_area_struct *vma,
					   int ret)
{
	__u64 provider = (__u64)kobj - bpf_core_field_offset(struct device, kobj);

	if (!ret)
		on_mem(P2P_EV_ALLOC, provider, vma->vm_end - vma->vm_start, 0, false);
}

SEC("fexit/p2pmem_alloc_mmap")
int BPF_PROG(fexit_sysfs_alloc, struct file *filp, struct kobject *kobj,
	     void *attr, struct vm_area_struct *vma, int ret)
{
	return PRIMARY(G_SYSFS_ALLOC, on_sysfs_alloc(kobj, vma, ret));
}

SEC("fexit/p2pmem_alloc_mmap")
int BPF_PROG(fexit_sysfs_alloc_twin, struct file *filp, struct kobject *kobj,
	     void *attr, struct vm_area_struct *vma, int ret)
{
	return TWIN(G_SYSFS_ALLOC, on_sysfs_alloc(kobj, vma, ret));
}

/* userspace P2P pages come back one at a time through the pagemap */
static __always_inline void on_page_free(struct dev_pagemap *pgmap)
{
	__u64 provider = pgmap_provider(pgmap);
	__u64 shift = BPF_CORE_READ(pgmap, vmemmap_shift);

	if (provider)
		on_mem(P2P_EV_FREE, provider, (__u64)page_size << (shift & 31), 0, false);
}

SEC("fentry/p2pdma_page_free")
int BPF_PROG(fentry_page_free, struct page *page)
{
	return PRIMARY(G_PAGE_FREE, on_page_free(page_pgmap(page)));
}

SEC("fentry/p2pdma_page_free")
int BPF_PROG(fentry_page_free_twin, struct page *page)
{
	return TWIN(G_PAGE_FREE, on_page_free(page_pgmap(page)));
}

SEC("fentry/p2pdma_folio_free")
int BPF_PROG(fentry_folio_free, struct folio *folio)
{
	return PRIMARY(G_FOLIO_FREE, on_page_free(page_pgmap(folio)));
}

SEC("fentry/p2pdma_folio_free")
int BPF_PROG(fentry_folio_free_twin, struct folio *folio)
{
	return TWIN(G_FOLIO_FREE, on_page_free(page_pgmap(folio)));
}
