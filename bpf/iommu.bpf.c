// SPDX-License-Identifier: GPL-2.0
/*
 * IOMMU faults on P2P memory: a DMA the IOMMU refused whose address lies
 * in a provider's BAR (a BUS_ADDR mapping behind a translating IOMMU).
 * They come from the IOMMU's fault interrupt, whoever is on the CPU, so
 * they are the pair's (provider, faulting device), never a task's.
 *
 * Intel (DMAR): the interrupt handler dmar_fault() reads the fault
 * recording registers and prints each record unless rate limited
 * (dmar_fault_do_one(), inlined on our kernels, prints; once the limit is
 * hit the records are only cleared, never read). The records are read
 * here the way the handler does, before it clears them: every fault the
 * IOMMU recorded, rate limit or not. The register layout is the VT-d
 * specification's (Fault Status, the Capability register's
 * fault-recording offset and count, 128-bit records), not a kernel
 * structure; the kernel's fields (reg, cap, segment) are read with CO-RE.
 *
 * Best: the handler's own loop. Each turn of it asks the rate limit
 * (___ratelimit(rs, "dmar_fault")) before it reads the next record, so
 * fentry on ___ratelimit, while this CPU is in dmar_fault() (fentry and
 * fexit keep a per-CPU run), reads the record the turn is about to
 * handle: also the records the IOMMU writes while the handler runs (it
 * raises no new interrupt for them; under TCG, where the handler's printk
 * to the serial console takes milliseconds, that is common). fentry where
 * ___ratelimit takes a trampoline, else a kprobe on it. Where it cannot be
 * traced at all: a snapshot at fentry on dmar_fault(), which misses those.
 *
 * What is missed, and counted (P2P_LOST_IOMMU): a Primary Fault Overflow
 * (the IOMMU had no free record and dropped faults: how many is not
 * known), and, for the snapshot, pending records beyond
 * P2P_MAX_FAULT_RECORDS (the Capability register allows up to 256).
 * Faults QEMU's vIOMMU collapses (a second fault of a device whose record
 * is still pending) reach no register at all.
 *
 * AMD (and any driver reporting through report_iommu_fault()): the
 * iommu:io_page_fault tracepoint, which AMD-Vi fires before its rate
 * limit for devices it knows; Intel's DMA remapping faults never go
 * through it.
 */
#include "p2pscope.bpf.h"

/* the providers' memory BARs, from sysfs, fixed before load */
const volatile struct p2p_bar dma_bars[P2P_MAX_BARS] = {};
const volatile __u32 dma_nbars = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, P2P_MAX_PAIRS);
	__type(key, struct p2p_pair_key);
	__type(value, struct p2p_dmafault_stats);
} dmafault_stats SEC(".maps");

/* IOMMU faults outside every provider's BAR (not P2P), per CPU */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} dmafault_other SEC(".maps");

/* the kernel's struct intel_iommu, as far as we read it */
struct intel_iommu___p2p {
	void *reg;		/* the registers, ioremapped */
	__u64 cap;
	int segment;
} __attribute__((preserve_access_index));

/* VT-d registers and fields (Intel VT-d specification, 11.4.9 and 11.4.14) */
#define DMAR_FSTS_REG		0x34
#define DMA_FSTS_PFO		(1U << 0)	/* Primary Fault Overflow */
#define DMA_FSTS_PPF		(1U << 1)	/* Primary Pending Fault */
#define fsts_fault_index(s)	(((s) >> 8) & 0xff)
#define cap_num_fault_regs(c)	((((c) >> 40) & 0xff) + 1)
#define cap_fault_reg_offset(c)	((((c) >> 24) & 0x3ff) * 16)
#define FRCD_F			(1U << 31)	/* in the record's top 32 bits */
#define frcd_read(d)		(((d) >> 30) & 1)	/* type: 1 read, 0 write */
#define frcd_reason(d)		((d) & 0xff)
#define frcd_pasid(d)		(((d) >> 8) & 0xfffff)
#define frcd_source_id(c)	((c) & 0xffff)	/* bits 64..95 */
#define frcd_pasid_present(c)	(((c) >> 31) & 1)
#define frcd_page(lo)		((lo) & ~0xfffULL)
/* interrupt remapping faults: no DMA address */
#define INTR_REMAP_FIRST	0x20
#define INTR_REMAP_LAST		0x26

static __always_inline int bar_of(__u64 addr)
{
	for (int i = 0; i < P2P_MAX_BARS; i++) {
		if (i >= dma_nbars)
			break;
		if (addr >= dma_bars[i].start && addr <= dma_bars[i].end)
			return i;
	}
	return -1;
}

static __always_inline void on_dmafault(__u64 client, __u64 addr, bool write, __u32 reason,
					__u16 flags, __u32 pasid)
{
	int b = bar_of(addr);
	struct p2p_event *e;
	__u64 provider;

	if (b < 0 || b >= P2P_MAX_BARS) {
		__u32 zero = 0;
		__u64 *n = bpf_map_lookup_elem(&dmafault_other, &zero);

		if (n)
			ADD(*n, 1);
		return;
	}
	provider = dma_bars[b].provider;
	if (top_mode) {
		static const struct p2p_dmafault_stats zero;
		struct p2p_pair_key key = { provider, client };
		struct p2p_dmafault_stats *s = bpf_map_lookup_elem(&dmafault_stats, &key);

		if (!s) {
			if (bpf_map_update_elem(&dmafault_stats, &key, &zero, BPF_NOEXIST) ==
			    -P2P_E2BIG)
				lose(P2P_LOST_DMAFAULTS);
			s = bpf_map_lookup_elem(&dmafault_stats, &key);
		}
		if (s) {
			ADD(s->faults, 1);
			if (write)
				ADD(s->write_faults, 1);
			else
				ADD(s->read_faults, 1);
		}
	}
	/* no task's: -p and -d leave them out (event_wanted) */
	if (!event_wanted(P2P_EV_DMAFAULT, 0))
		return;
	e = event_start(P2P_EV_DMAFAULT, 0);
	if (!e)
		return;
	e->provider = provider;
	e->client = client;
	e->aux = addr;
	e->bytes = dma_bars[b].bar;
	e->dev = reason;
	e->flags = flags | (write ? P2P_F_WRITE : 0);
	if (flags & P2P_F_PASID)
		e->tid = pasid;
	event_send(e);
}

static __always_inline __u32 mmio32(void *reg, __u64 off)
{
	__u32 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), reg + off);
	return v;
}

static __always_inline __u64 mmio64(void *reg, __u64 off)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), reg + off);
	return v;
}

static __always_inline int on_dmar_fault(struct intel_iommu___p2p *iommu)
{
	void *reg = BPF_CORE_READ(iommu, reg);
	__u64 cap = BPF_CORE_READ(iommu, cap);
	__u32 fsts, idx, nregs, domain = 0;
	__u64 base;
	int i, seen = 0;

	if (!reg)
		return 0;
	if (bpf_core_field_exists(iommu->segment))
		domain = BPF_CORE_READ(iommu, segment);
	fsts = mmio32(reg, DMAR_FSTS_REG);
	/* the IOMMU dropped faults: it had no free record */
	if (fsts & DMA_FSTS_PFO)
		lose(P2P_LOST_IOMMU);
	if (!(fsts & DMA_FSTS_PPF))
		return 0;
	idx = fsts_fault_index(fsts);
	nregs = cap_num_fault_regs(cap);
	base = cap_fault_reg_offset(cap);
	/*
	 * One pass around the records from the first pending one: the handler
	 * clears each as it goes, we do not, so a second pass (or, with one
	 * record, a second read) would see the same fault again.
	 */
	for (i = 0; i < P2P_MAX_FAULT_RECORDS && i < nregs; i++) {
		__u64 rec = base + (__u64)(idx & 0xff) * 16, lo;
		__u32 hi = mmio32(reg, rec + 12), mid, reason;
		__u16 flags = 0;

		if (!(hi & FRCD_F))
			break;
		reason = frcd_reason(hi);
		mid = mmio32(reg, rec + 8);
		lo = mmio64(reg, rec);
		if (frcd_pasid_present(mid))
			flags |= P2P_F_PASID;
		if (reason < INTR_REMAP_FIRST || reason > INTR_REMAP_LAST)
			on_dmafault(p2p_pci_id(domain, frcd_source_id(mid) >> 8,
					       frcd_source_id(mid) & 0xff),
				    frcd_page(lo), !frcd_read(hi), reason, flags, frcd_pasid(hi));
		seen++;
		if (++idx >= nregs)
			idx = 0;
	}
	/* more pending than we read */
	if (i == P2P_MAX_FAULT_RECORDS && i < nregs &&
	    (mmio32(reg, base + (__u64)(idx & 0xff) * 16 + 12) & FRCD_F))
		lose(P2P_LOST_IOMMU);
	return seen;
}

/* ---- the handler's loop (best) ---- */

/* this CPU's run of dmar_fault() */
struct dmar_run {
	void *reg;
	__u64 cap;
	__u32 next;		/* the record the handler reads next */
	__u32 nregs;
	__u32 calls;		/* its ___ratelimit() calls so far */
	__u32 domain;
	__u32 seen;		/* snapshot: the records it reported */
	__u32 lines;		/* snapshot: DMA fault lines the handler printed */
	__u8 active;		/* in dmar_fault(), with a fault pending */
	__u8 snapshot;		/* the entry snapshot, not the loop */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dmar_run);
} dmar_runs SEC(".maps");

static __always_inline void on_dmar_enter(struct intel_iommu___p2p *iommu)
{
	__u32 zero = 0, fsts;
	struct dmar_run *r = bpf_map_lookup_elem(&dmar_runs, &zero);

	if (!r)
		return;
	r->active = 0;
	r->reg = BPF_CORE_READ(iommu, reg);
	if (!r->reg)
		return;
	r->cap = BPF_CORE_READ(iommu, cap);
	r->domain = bpf_core_field_exists(iommu->segment) ? BPF_CORE_READ(iommu, segment) : 0;
	fsts = mmio32(r->reg, DMAR_FSTS_REG);
	if (fsts & DMA_FSTS_PFO)
		lose(P2P_LOST_IOMMU);
	r->next = fsts_fault_index(fsts);
	r->nregs = cap_num_fault_regs(r->cap);
	r->calls = 0;
	r->snapshot = 0;
	/* without a pending fault the handler reads no record */
	r->active = !!(fsts & DMA_FSTS_PPF);
}

static __always_inline void on_dmar_turn(const char *func)
{
	char name[11] = {};
	__u32 zero = 0, hi, mid, reason;
	struct dmar_run *r = bpf_map_lookup_elem(&dmar_runs, &zero);
	__u64 rec, lo;
	__u16 flags = 0;

	if (!r || !r->active || r->snapshot)
		return;
	bpf_probe_read_kernel(name, sizeof(name), func);
#pragma unroll
	for (int i = 0; i < (int)sizeof(name); i++)
		if (name[i] != "dmar_fault"[i])
			return;
	/* the first call is for the "DRHD: handling fault status" line */
	if (++r->calls == 1)
		return;
	rec = cap_fault_reg_offset(r->cap) + (__u64)(r->next & 0xff) * 16;
	hi = mmio32(r->reg, rec + 12);
	/* a clear record ends the handler's loop */
	if (!(hi & FRCD_F))
		return;
	reason = frcd_reason(hi);
	mid = mmio32(r->reg, rec + 8);
	lo = mmio64(r->reg, rec);
	if (frcd_pasid_present(mid))
		flags |= P2P_F_PASID;
	if (reason < INTR_REMAP_FIRST || reason > INTR_REMAP_LAST)
		on_dmafault(p2p_pci_id(r->domain, frcd_source_id(mid) >> 8,
				       frcd_source_id(mid) & 0xff),
			    frcd_page(lo), !frcd_read(hi), reason, flags, frcd_pasid(hi));
	/* the handler handles it and goes on with the next */
	if (++r->next >= r->nregs)
		r->next = 0;
}

SEC("fentry/dmar_fault")
int BPF_PROG(fentry_dmar_enter, int irq, void *dev_id)
{
	return PRIMARY(G_DMAR_ENTER, on_dmar_enter(dev_id));
}

SEC("fentry/dmar_fault")
int BPF_PROG(fentry_dmar_enter_twin, int irq, void *dev_id)
{
	return TWIN(G_DMAR_ENTER, on_dmar_enter(dev_id));
}

SEC("fentry/___ratelimit")
int BPF_PROG(fentry_dmar_turn, struct ratelimit_state *rs, const char *func)
{
	return PRIMARY(G_DMAR_TURN, on_dmar_turn(func));
}

SEC("fentry/___ratelimit")
int BPF_PROG(fentry_dmar_turn_twin, struct ratelimit_state *rs, const char *func)
{
	return TWIN(G_DMAR_TURN, on_dmar_turn(func));
}

/* where ___ratelimit takes no trampoline (6.12: EBUSY) */
SEC("kprobe/___ratelimit")
int BPF_KPROBE(kp_dmar_turn, struct ratelimit_state *rs, const char *func)
{
	on_dmar_turn(func);
	return 0;
}

SEC("fexit/dmar_fault")
int BPF_PROG(fexit_dmar_exit, int irq, void *dev_id, int ret)
{
	__u32 zero = 0;
	struct dmar_run *r = bpf_map_lookup_elem(&dmar_runs, &zero);

	if (r)
		r->active = 0;
	return 0;
}

/* ---- a snapshot at the handler's entry (where ___ratelimit cannot be traced) ---- */

/*
 * The snapshot sees the records pending at entry. A record written while
 * the handler runs is handled by it unseen here; if the handler prints it
 * (it is not rate limited), the printed fault line (the console
 * tracepoint, in the handler on this CPU) is one more than the snapshot
 * saw, and counted lost (P2P_LOST_IOMMU). One it does not print is missed
 * by the log too.
 */
static __always_inline void on_dmar_snapshot(struct intel_iommu___p2p *iommu)
{
	__u32 zero = 0;
	struct dmar_run *r = bpf_map_lookup_elem(&dmar_runs, &zero);
	int seen = on_dmar_fault(iommu);

	if (!r)
		return;
	r->seen = seen;
	r->lines = 0;
	r->snapshot = 1;
	r->active = 1;
}

SEC("fentry/dmar_fault")
int BPF_PROG(fentry_dmar_fault, int irq, void *dev_id)
{
	return PRIMARY(G_DMAR_FAULT, on_dmar_snapshot(dev_id));
}

SEC("fentry/dmar_fault")
int BPF_PROG(fentry_dmar_fault_twin, int irq, void *dev_id)
{
	return TWIN(G_DMAR_FAULT, on_dmar_snapshot(dev_id));
}

static __always_inline void on_dmar_line(const char *text)
{
	static const char want[] = "DMAR: [DMA ";
	char head[sizeof(want) - 1] = {};
	__u32 zero = 0;
	struct dmar_run *r = bpf_map_lookup_elem(&dmar_runs, &zero);

	if (!r || !r->active || !r->snapshot)
		return;
	bpf_probe_read_kernel(head, sizeof(head), text);
#pragma unroll
	for (int i = 0; i < (int)sizeof(head); i++)
		if (head[i] != want[i])
			return;
	if (++r->lines > r->seen)
		lose(P2P_LOST_IOMMU);
}

SEC("tp_btf/console")
int BPF_PROG(tp_dmar_console, const char *text, size_t len)
{
	return PRIMARY(G_DMAR_CONSOLE, on_dmar_line(text));
}

SEC("tp_btf/console")
int BPF_PROG(tp_dmar_console_twin, const char *text, size_t len)
{
	return TWIN(G_DMAR_CONSOLE, on_dmar_line(text));
}

/* x86's PCI domain: the bus's sysdata (pci_domain_nr()) */
static __always_inline __u32 pci_domain_of(struct pci_dev *pdev)
{
	struct pci_sysdata *sd = BPF_CORE_READ(pdev, bus, sysdata);

	return sd ? BPF_CORE_READ(sd, domain) : 0;
}

/* IOMMU_FAULT_WRITE in report_iommu_fault()'s flags */
#define IOMMU_FAULT_WRITE	0x1

static __always_inline void on_io_page_fault(struct device *dev, unsigned long iova, int flags)
{
	const char *bus = BPF_CORE_READ(dev, bus, name);
	char name[4] = {};
	struct pci_dev *pdev;

	/* only PCI devices have a requester id (and BARs to fault on) */
	if (!bus || bpf_probe_read_kernel_str(name, sizeof(name), bus) != 4 ||
	    name[0] != 'p' || name[1] != 'c' || name[2] != 'i')
		return;
	pdev = (void *)dev - bpf_core_field_offset(struct pci_dev, dev);
	on_dmafault(p2p_pci_id(pci_domain_of(pdev), BPF_CORE_READ(pdev, bus, number),
			       BPF_CORE_READ(pdev, devfn)),
		    iova, flags & IOMMU_FAULT_WRITE, flags, P2P_F_AMD, 0);
}

SEC("tp_btf/io_page_fault")
int BPF_PROG(tp_io_page_fault, struct device *dev, unsigned long iova, int flags)
{
	return PRIMARY(G_IO_PAGE_FAULT, on_io_page_fault(dev, iova, flags));
}

SEC("tp_btf/io_page_fault")
int BPF_PROG(tp_io_page_fault_twin, struct device *dev, unsigned long iova, int flags)
{
	return TWIN(G_IO_PAGE_FAULT, on_io_page_fault(dev, iova, flags));
}
