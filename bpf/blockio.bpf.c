// SPDX-License-Identifier: GPL-2.0
/*
 * Block requests with P2P pages: issue and completion, and requests the
 * kernel refused to map (fallbacks), which complete with an error without
 * ever being issued.
 *
 * Every request on the machine passes these two tracepoints, so the common
 * case must be cheap: a request is looked at only if its task has a pending
 * P2P decision (one task-storage lookup) or it is in the inflight map (one
 * hash lookup). Anything P2P is then checked against the request's own
 * pages, so a decision is never charged to another request.
 */
#include "p2pscope.bpf.h"

/*
 * Who queued a P2P request that another task may issue: a plug flushed as
 * its task sleeps, or a request held by a scheduler, is issued by kblockd's
 * worker or from an interrupt, and the I/O belongs to the process that
 * queued it. By struct request address; LRU, since a merged request's later
 * bios are never issued as themselves.
 */
struct submitter {
	__u64 id;		/* pid_tgid */
	char comm[P2P_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, P2P_MAX_INFLIGHT);
	__type(key, __u64);
	__type(value, struct submitter);
} submitters SEC(".maps");

static __always_inline __u64 rq_provider(struct request *rq)
{
	struct bio *bio = rq->bio;

	if (!bio || !bio->bi_io_vec)
		return 0;
	return pgmap_provider(page_pgmap(bio->bi_io_vec->bv_page));
}

static __always_inline bool rq_is_write(struct request *rq)
{
	/* REQ_OP_BITS is where the first flag bit starts */
	__u32 op_mask = (1U << bpf_core_enum_value(enum req_flag_bits, __REQ_FAILFAST_DEV)) - 1;

	return (rq->cmd_flags & op_mask) == bpf_core_enum_value(enum req_op, REQ_OP_WRITE);
}

static __always_inline __u32 rq_dev(struct request *rq)
{
	struct gendisk *disk = rq->q->disk;

	return disk ? disk->part0->bd_dev : 0;
}

/* The task's pending decision, if it is about this request's pages. */
static __always_inline struct pending *pending_for(struct request *rq)
{
	struct pending *p = task_pending(false);

	if (!p || !p->valid || rq_provider(rq) != p->provider)
		return NULL;
	p->valid = 0;
	return p;
}

/* A user task queues a P2P request: remember it, in case another issues it. */
static __always_inline void on_insert(struct request *rq)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 key = (__u64)rq;
	struct submitter sub;

	/* a kernel thread (kblockd requeueing) queues nothing of its own */
	if (!t->mm || !rq_provider(rq))
		return;
	sub.id = bpf_get_current_pid_tgid();
	bpf_get_current_comm(sub.comm, sizeof(sub.comm));
	if (top_mode)
		pid_stats_of(sub.id >> 32, true);	/* named while it is current */
	bpf_map_update_elem(&submitters, &key, &sub, BPF_ANY);
}

SEC("tp_btf/block_rq_insert")
int BPF_PROG(tp_rq_insert, struct request *rq)
{
	return PRIMARY(G_RQ_INSERT, on_insert(rq));
}

SEC("tp_btf/block_rq_insert")
int BPF_PROG(tp_rq_insert_twin, struct request *rq)
{
	return TWIN(G_RQ_INSERT, on_insert(rq));
}

/*
 * Whose I/O this is, into st: the task that queued the request if another
 * task issues it, the first issuer of a request the driver requeued, or
 * the current task.
 */
static __always_inline void issuer_of(__u64 key, struct inflight *st)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct submitter *sub;
	struct inflight *old;

	old = bpf_map_lookup_elem(&inflight, &key);
	if (old) {
		st->id = old->id;
		st->handoff = old->handoff;
		__builtin_memcpy(st->comm, old->comm, P2P_COMM_LEN);
		return;
	}
	sub = bpf_map_lookup_elem(&submitters, &key);
	if (sub) {
		st->id = sub->id;
		st->handoff = sub->id != id;
		__builtin_memcpy(st->comm, sub->comm, P2P_COMM_LEN);
		bpf_map_delete_elem(&submitters, &key);
		return;
	}
	st->id = id;
	bpf_get_current_comm(st->comm, sizeof(st->comm));
}

static __always_inline void on_issue(struct request *rq)
{
	__u64 key = (__u64)rq;
	struct inflight st = {};
	struct pending *p;
	long err;

	p = pending_for(rq);
	if (!p || !dev_seen(p->provider, true))
		return;
	issuer_of(key, &st);
	st.dev = rq_dev(rq);
	if (!top_mode && (!event_wanted(P2P_EV_IO, st.id) || (targ_dev && st.dev != targ_dev)))
		return;
	if (trace_mode)
		st.ts = bpf_ktime_get_ns();
	if (top_mode)
		pid_stats_of(st.id >> 32, !st.handoff);	/* named while it is current */
	st.provider = p->provider;
	st.client = p->client;
	st.map_type = p->map_type;
	st.write = rq_is_write(rq);
	err = bpf_map_update_elem(&inflight, &key, &st, BPF_ANY);
	if (err)
		lose(P2P_LOST_IOS);
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(tp_rq_issue, struct request *rq)
{
	return PRIMARY(G_RQ_ISSUE, on_issue(rq));
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(tp_rq_issue_twin, struct request *rq)
{
	return TWIN(G_RQ_ISSUE, on_issue(rq));
}

static __always_inline void account(struct inflight *st, bool fallback, __u64 bytes)
{
	struct p2p_pair_stats *pair = pair_stats_of(st->provider, st->client);
	struct p2p_pid_stats *ps = pid_stats_of(st->id >> 32, fallback && !st->handoff);

	if (fallback) {
		if (pair) {
			ADD(pair->fallbacks, 1);
			ADD(pair->fallback_bytes, bytes);
		}
		if (ps)
			ADD(ps->fallbacks, 1);
		return;
	}
	if (pair) {
		ADD(pair->ios, 1);
		ADD(pair->bytes, bytes);
		if (st->write)
			ADD(pair->write_bytes, bytes);
		else
			ADD(pair->read_bytes, bytes);
	}
	if (ps) {
		if (st->write)
			ADD(ps->write_bytes, bytes);
		else
			ADD(ps->read_bytes, bytes);
	}
}

static __always_inline void on_complete(struct request *rq, blk_status_t error,
					unsigned int nr_bytes)
{
	__u64 key = (__u64)rq, now;
	struct inflight st, *found;
	bool fallback = false;
	struct p2p_event *e;
	struct pending *p;

	found = bpf_map_lookup_elem(&inflight, &key);
	if (found) {
		st = *found;
		bpf_map_delete_elem(&inflight, &key);
	} else {
		/* refused requests complete in their task, never issued */
		if (!error)
			return;
		p = pending_for(rq);
		if (!p || p->map_type != P2P_MAP_NOT_SUPPORTED || !dev_seen(p->provider, true))
			return;
		fallback = true;
		__builtin_memset(&st, 0, sizeof(st));
		issuer_of(key, &st);
		st.provider = p->provider;
		st.client = p->client;
		st.map_type = p->map_type;
		st.write = rq_is_write(rq);
		st.dev = rq_dev(rq);
		if (targ_dev && st.dev != targ_dev && !top_mode)
			return;
	}
	if (top_mode)
		account(&st, fallback, nr_bytes);
	if (!event_wanted(fallback ? P2P_EV_FALLBACK : P2P_EV_IO, st.id) ||
	    (targ_failures && !fallback && !error) || (targ_dev && st.dev != targ_dev))
		return;
	e = event_start(fallback ? P2P_EV_FALLBACK : P2P_EV_IO, st.id);
	if (!e)
		return;
	now = e->ts_ns;
	__builtin_memcpy(e->comm, st.comm, P2P_COMM_LEN);
	e->provider = st.provider;
	e->client = st.client;
	e->map_type = st.map_type;
	e->bytes = nr_bytes;
	e->dev = st.dev;
	e->result = error;
	e->aux = st.ts && now > st.ts ? now - st.ts : 0;
	e->flags = (st.write ? P2P_F_WRITE : 0) | (st.handoff ? P2P_F_HANDOFF : 0);
	event_send(e);
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(tp_rq_complete, struct request *rq, blk_status_t error, unsigned int nr_bytes)
{
	return PRIMARY(G_RQ_COMPLETE, on_complete(rq, error, nr_bytes));
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(tp_rq_complete_twin, struct request *rq, blk_status_t error, unsigned int nr_bytes)
{
	return TWIN(G_RQ_COMPLETE, on_complete(rq, error, nr_bytes));
}
