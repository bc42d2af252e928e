// SPDX-License-Identifier: GPL-2.0
/*
 * Map-type decisions: for a provider's P2P memory and a client device, the
 * kernel maps with PCI bus addresses (BUS_ADDR), through the host bridge
 * (THRU_HOST_BRIDGE), or not at all (NOT_SUPPORTED: the I/O is refused).
 *
 * Each era has one function that sees every decision: the p2pdma_map_type
 * tracepoint of our series; pci_p2pdma_map_type() where it is global (6.19
 * on); __pci_p2pdma_update_state() (6.16 to 6.18); pci_p2pdma_map_segment()
 * (up to 6.15, also as kprobes). Userspace keeps the first that loads.
 *
 * Every decision is also left in the task's "pending" slot, for the block
 * request the driver issues (or fails) next.
 */
#include "p2pscope.bpf.h"

static __always_inline void on_decision(__u64 provider, __u64 client, __u8 type,
					__u16 flags)
{
	__u64 id;
	struct pending *p;
	struct p2p_event *e;
	bool wanted = dev_seen(provider, true);

	dev_seen(client, false);
	p = task_pending(true);
	if (p) {
		/* function hooks learn of a cache miss from fentry_calc, if loaded */
		if (!(flags & P2P_F_CACHEKNOWN) && calc_hooked)
			flags |= P2P_F_CACHEKNOWN | (p->computed ? 0 : P2P_F_CACHED);
		p->provider = provider;
		p->client = client;
		p->map_type = type;
		p->valid = 1;
		p->computed = 0;
	}
	if (!wanted)
		return;
	if (top_mode) {
		struct p2p_pair_stats *ps = pair_stats_of(provider, client);

		if (ps)
			ADD(ps->maps[type & 3], 1);
	}
	if (!trace_mode)
		return;
	id = bpf_get_current_pid_tgid();
	if (!event_wanted(P2P_EV_MAP, id) || (targ_failures && type != P2P_MAP_NOT_SUPPORTED))
		return;
	e = event_current(P2P_EV_MAP, id, provider);
	if (!e)
		return;
	e->client = client;
	e->map_type = type;
	e->flags = flags;
	event_send(e);
}

#define TP_DECISION pci_dev_addr(provider), (__u64)client, map_type_of(type), \
	P2P_F_CACHEKNOWN | (cached ? P2P_F_CACHED : 0)

SEC("tp_btf/p2pdma_map_type")
int BPF_PROG(tp_map_type, struct pci_dev *provider, struct device *client,
	     enum pci_p2pdma_map_type type, bool cached)
{
	return PRIMARY(G_MAP_TP, on_decision(TP_DECISION));
}

SEC("tp_btf/p2pdma_map_type")
int BPF_PROG(tp_map_type_twin, struct pci_dev *provider, struct device *client,
	     enum pci_p2pdma_map_type type, bool cached)
{
	return TWIN(G_MAP_TP, on_decision(TP_DECISION));
}

/* 6.19 on: pci_p2pdma_map_type(provider, client) is global */
SEC("fexit/pci_p2pdma_map_type")
int BPF_PROG(fexit_map_type, struct p2pdma_provider *provider, struct device *dev, int ret)
{
	return PRIMARY(G_MAP_TYPE,
		       on_decision((__u64)provider->owner, (__u64)dev, map_type_of(ret), 0));
}

SEC("fexit/pci_p2pdma_map_type")
int BPF_PROG(fexit_map_type_twin, struct p2pdma_provider *provider, struct device *dev, int ret)
{
	return TWIN(G_MAP_TYPE,
		    on_decision((__u64)provider->owner, (__u64)dev, map_type_of(ret), 0));
}

/* 6.16 to 6.18: the decision is kept in the state by this helper */
static __always_inline void on_update_state(struct pci_p2pdma_map_state___v7 *state,
					    struct device *dev)
{
	on_decision((__u64)BPF_CORE_READ(state, mem, owner), (__u64)dev,
		    map_type_of(BPF_CORE_READ(state, map)), 0);
}

SEC("fexit/__pci_p2pdma_update_state")
int BPF_PROG(fexit_update_state, struct pci_p2pdma_map_state___v7 *state,
	     struct device *dev, struct page *page)
{
	return PRIMARY(G_UPDATE_STATE, on_update_state(state, dev));
}

SEC("fexit/__pci_p2pdma_update_state")
int BPF_PROG(fexit_update_state_twin, struct pci_p2pdma_map_state___v7 *state,
	     struct device *dev, struct page *page)
{
	return TWIN(G_UPDATE_STATE, on_update_state(state, dev));
}

/* up to 6.15: pci_p2pdma_map_type() is inlined into map_segment */
static __always_inline void on_map_segment(struct pci_p2pdma_map_state *state,
					   struct device *dev, int ret)
{
	__u64 provider = pgmap_provider(BPF_CORE_READ(state, pgmap));

	if (provider)
		on_decision(provider, (__u64)dev, map_type_of(ret), 0);
}

SEC("fexit/pci_p2pdma_map_segment")
int BPF_PROG(fexit_map_segment, struct pci_p2pdma_map_state *state,
	     struct device *dev, struct scatterlist *sg, int ret)
{
	return PRIMARY(G_MAP_SEGMENT, on_map_segment(state, dev, ret));
}

SEC("fexit/pci_p2pdma_map_segment")
int BPF_PROG(fexit_map_segment_twin, struct pci_p2pdma_map_state *state,
	     struct device *dev, struct scatterlist *sg, int ret)
{
	return TWIN(G_MAP_SEGMENT, on_map_segment(state, dev, ret));
}

SEC("kprobe/pci_p2pdma_map_segment")
int BPF_KPROBE(kp_map_segment, struct pci_p2pdma_map_state *state, struct device *dev)
{
	save_args((__u64)state, (__u64)dev);
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

/*
 * A cache miss: the next decision of this task was computed, not cached.
 * An optional companion of the function hooks above.
 */
SEC("fentry/calc_map_type_and_dist")
int BPF_PROG(fentry_calc, struct pci_dev *provider, struct pci_dev *client)
{
	struct pending *p = task_pending(true);

	if (p)
		p->computed = 1;
	return 0;
}
