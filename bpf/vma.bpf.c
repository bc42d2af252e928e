// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace mappings of P2P memory: faults and closes of our series'
 * mappings (p2pdma tracepoints), the stock sysfs p2pmem/allocate mmap, the
 * mappings that hold memory (for p2ptop's "who holds the CMB"), and
 * revocation on unbind.
 */
#include "p2pscope.bpf.h"

static __always_inline void on_vma(__u8 type, __u64 provider, __u64 addr, __u64 len,
				   __u16 flags, int result)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct p2p_event *e;

	if (!dev_seen(provider, true))
		return;
	if (top_mode) {
		struct p2p_mem_stats *s = provider_stats_of(provider);
		struct p2p_pid_stats *ps;

		if (s && type == P2P_EV_FAULT)
			ADD(s->faults, 1);
		else if (s)
			ADD(s->closes, 1);
		if (type == P2P_EV_FAULT && (ps = pid_stats_of(id >> 32, true)))
			ADD(ps->faults, 1);
	}
	if (!event_wanted(type, id) || (targ_failures && !result))
		return;
	e = event_current(type, id, provider);
	if (!e)
		return;
	e->aux = addr;
	e->bytes = len;
	e->flags = flags;
	e->result = result;
	event_send(e);
}

static __always_inline void on_tp_fault(struct pci_dev *pdev, unsigned long address, size_t len,
				       bool allocated, vm_fault_t ret)
{
	int result = 0;

	if (ret & bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_SIGBUS))
		result = P2P_RESULT_SIGBUS;
	else if (ret & bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_OOM))
		result = -12;	/* ENOMEM */
	else if (ret & ~(vm_fault_t)bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_NOPAGE))
		result = -14;	/* EFAULT: any other failure */
	on_vma(P2P_EV_FAULT, pci_dev_addr(pdev), address, len,
	       allocated ? P2P_F_ALLOCATED : 0, result);
}

SEC("tp_btf/p2pdma_vma_fault")
int BPF_PROG(tp_fault, struct pci_dev *pdev, unsigned long address, size_t len,
	     bool allocated, vm_fault_t ret)
{
	return PRIMARY(G_FAULT_TP, on_tp_fault(pdev, address, len, allocated, ret));
}

SEC("tp_btf/p2pdma_vma_fault")
int BPF_PROG(tp_fault_twin, struct pci_dev *pdev, unsigned long address, size_t len,
	     bool allocated, vm_fault_t ret)
{
	return TWIN(G_FAULT_TP, on_tp_fault(pdev, address, len, allocated, ret));
}

static __always_inline void on_tp_close(struct pci_dev *pdev, unsigned long start, size_t len,
				       bool populated)
{
	on_vma(P2P_EV_CLOSE, pci_dev_addr(pdev), start, len,
	       populated ? P2P_F_POPULATED : 0, 0);
}

SEC("tp_btf/p2pdma_vma_close")
int BPF_PROG(tp_close, struct pci_dev *pdev, unsigned long start, size_t len,
	     bool populated)
{
	return PRIMARY(G_CLOSE_TP, on_tp_close(pdev, start, len, populated));
}

SEC("tp_btf/p2pdma_vma_close")
int BPF_PROG(tp_close_twin, struct pci_dev *pdev, unsigned long start, size_t len,
	     bool populated)
{
	return TWIN(G_CLOSE_TP, on_tp_close(pdev, start, len, populated));
}

/* stock kernels: the sysfs p2pmem/allocate file maps everything at mmap() */
static __always_inline void on_sysfs_mmap(struct kobject *kobj, struct vm_area_struct *vma, int ret)
{
	__u64 provider = (__u64)kobj - bpf_core_field_offset(struct device, kobj);
	__u64 start = vma->vm_start;

	on_vma(P2P_EV_FAULT, provider, start, vma->vm_end - start,
	       P2P_F_MMAP | (ret ? 0 : P2P_F_ALLOCATED), ret);
}

SEC("fexit/p2pmem_alloc_mmap")
int BPF_PROG(fexit_sysfs_mmap, struct file *filp, struct kobject *kobj,
	     void *attr, struct vm_area_struct *vma, int ret)
{
	return PRIMARY(G_SYSFS_MMAP, on_sysfs_mmap(kobj, vma, ret));
}

SEC("fexit/p2pmem_alloc_mmap")
int BPF_PROG(fexit_sysfs_mmap_twin, struct file *filp, struct kobject *kobj,
	     void *attr, struct vm_area_struct *vma, int ret)
{
	return TWIN(G_SYSFS_MMAP, on_sysfs_mmap(kobj, vma, ret));
}

/*
 * Live mappings (our series): the fault that finds a map populated for the
 * first time starts it, the close that drops its last reference ends it.
 * A mapping made before the tool started is unknown here, and its close is
 * ignored; p2ptop finds those in /proc.
 */
static __always_inline void on_vma_fault(struct vm_fault *vmf, vm_fault_t ret)
{
	struct pci_p2pdma_map *pmap = vmf->vma->vm_private_data;
	__u64 key = (__u64)pmap, id;
	struct p2p_mem_stats *s;
	struct p2p_pid_stats *ps;
	struct p2p_live_map lm = {};
	long err;

	/* a first fault that cleared the memory is retried: the retry counts */
	if (!top_mode || (ret & bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_RETRY)))
		return;
	if (!pmap || !BPF_CORE_READ(pmap, kaddr) || bpf_map_lookup_elem(&live_maps, &key))
		return;
	lm.provider = pci_dev_addr(BPF_CORE_READ(pmap, pdev));
	if (!dev_seen(lm.provider, true))
		return;
	id = bpf_get_current_pid_tgid();
	lm.len = BPF_CORE_READ(pmap, len);
	lm.start = vmf->vma->vm_start;
	lm.tgid = id >> 32;
	err = bpf_map_update_elem(&live_maps, &key, &lm, BPF_NOEXIST);
	if (err) {
		if (err != -P2P_EEXIST)	/* another thread's fault won */
			lose(P2P_LOST_MAPS);
		return;
	}
	s = provider_stats_of(lm.provider);
	if (s) {
		ADD(s->live_maps, 1);
		ADD(s->held_bytes, lm.len);
	}
	ps = pid_stats_of(lm.tgid, true);
	if (ps) {
		ADD(ps->live_maps, 1);
		ADD(ps->held_bytes, lm.len);
	}
}

SEC("fexit/pci_p2pdma_vma_fault")
int BPF_PROG(fexit_vma_fault, struct vm_fault *vmf, vm_fault_t ret)
{
	return PRIMARY(G_VMA_FAULT, on_vma_fault(vmf, ret));
}

SEC("fexit/pci_p2pdma_vma_fault")
int BPF_PROG(fexit_vma_fault_twin, struct vm_fault *vmf, vm_fault_t ret)
{
	return TWIN(G_VMA_FAULT, on_vma_fault(vmf, ret));
}

static __always_inline void on_vma_close(struct vm_area_struct *vma)
{
	struct pci_p2pdma_map *pmap = vma->vm_private_data;
	struct p2p_mem_stats *s;
	struct p2p_pid_stats *ps;
	struct p2p_live_map *lm;
	__u64 key = (__u64)pmap;

	/* only the close that drops the last reference releases the map */
	if (!top_mode || !pmap || BPF_CORE_READ(pmap, ref.refcount.refs.counter) != 1)
		return;
	lm = bpf_map_lookup_elem(&live_maps, &key);
	if (!lm)
		return;
	s = bpf_map_lookup_elem(&provider_stats, &lm->provider);
	if (s) {
		ADD(s->live_maps, -1);
		ADD(s->held_bytes, -(__s64)lm->len);
	}
	ps = bpf_map_lookup_elem(&pid_stats, &lm->tgid);
	if (ps) {
		ADD(ps->live_maps, -1);
		ADD(ps->held_bytes, -(__s64)lm->len);
	}
	bpf_map_delete_elem(&live_maps, &key);
}

SEC("fentry/pci_p2pdma_vma_close")
int BPF_PROG(fentry_vma_close, struct vm_area_struct *vma)
{
	return PRIMARY(G_VMA_CLOSE, on_vma_close(vma));
}

SEC("fentry/pci_p2pdma_vma_close")
int BPF_PROG(fentry_vma_close_twin, struct vm_area_struct *vma)
{
	return TWIN(G_VMA_CLOSE, on_vma_close(vma));
}

SEC("tp_btf/p2pdma_revoke")
int BPF_PROG(tp_revoke, struct pci_dev *pdev, unsigned int nr_maps, size_t bytes)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 provider = pci_dev_addr(pdev);
	struct p2p_event *e;

	if (!dev_seen(provider, true) || !event_wanted(P2P_EV_REVOKE, id))
		return 0;
	e = event_current(P2P_EV_REVOKE, id, provider);
	if (!e)
		return 0;
	e->bytes = bytes;
	e->aux = nr_maps;
	event_send(e);
	return 0;
}

/*
 * A child of a process that maps P2P memory inherits its MAP_SHARED
 * mappings: p2ptop looks for them in the child's /proc entry too.
 */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(tp_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	struct p2p_pid_stats *ps;

	if (!top_mode || ptgid == ctgid || !bpf_map_lookup_elem(&pid_stats, &ptgid))
		return 0;
	ps = pid_stats_of(ctgid, false);
	if (ps)
		ADD(ps->inherited, 1);
	return 0;
}
