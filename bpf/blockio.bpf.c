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
 *
 * Latency histograms (hist_mode) time P2P requests, and the other requests
 * of disks seen doing P2P I/O or refusing it (client_disks): the bounce
 * through host memory on the same disk. Both are timed from the request's
 * start as the kernel's disk statistics take it (rq->start_time_ns, what
 * iostat's await averages) to completion, so the other requests cost
 * nothing at issue and one hash lookup at completion, and only once some
 * disk is a client. A P2P request on a queue that keeps no start time
 * (iostats off) is timed from its issue; another request there is not.
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

/*
 * The pagemaps of P2P requests recorded at issue, and their provider. At
 * completion, where most requests have pages of host memory, a lookup here
 * tells P2P pages: page_pgmap() of such a page reads whatever shares the
 * field, which pgmap_provider() could take for a P2P pagemap.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, P2P_MAX_PROVIDERS);
	__type(key, __u64);
	__type(value, __u64);
} p2p_pgmaps SEC(".maps");

static __always_inline struct dev_pagemap *rq_pgmap(struct request *rq)
{
	struct bio *bio = rq->bio;

	if (!bio || !bio->bi_io_vec)
		return NULL;
	return page_pgmap(bio->bi_io_vec->bv_page);
}

static __always_inline __u64 rq_provider(struct request *rq)
{
	return pgmap_provider(rq_pgmap(rq));
}

/* The provider of a request's pages, if a P2P request of theirs was recorded. */
static __always_inline __u64 rq_known_provider(struct request *rq)
{
	__u64 pgmap = (__u64)rq_pgmap(rq), *provider;

	if (!pgmap)
		return 0;
	provider = bpf_map_lookup_elem(&p2p_pgmaps, &pgmap);
	return provider ? *provider : 0;
}

/* A decided request's pagemap, every provider's (-P or not). */
static __always_inline void note_pgmap(struct request *rq, __u64 provider)
{
	if (!rq_known_provider(rq)) {
		__u64 pgmap = (__u64)rq_pgmap(rq);

		bpf_map_update_elem(&p2p_pgmaps, &pgmap, &provider, BPF_NOEXIST);
	}
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

/* The histograms follow -p and -d as the events do. */
static __always_inline bool hist_wanted(__u64 id, __u32 dev)
{
	return hist_mode && (!targ_tgid || (id >> 32) == targ_tgid) &&
	       (!targ_dev || dev == targ_dev);
}

/* floor(log2(v)), 0 for 0: a few shifts, no loop */
static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0, s;

	s = (v > 0xffffffffULL) << 5; v >>= s; r |= s;
	s = (v > 0xffff) << 4; v >>= s; r |= s;
	s = (v > 0xff) << 3; v >>= s; r |= s;
	s = (v > 0xf) << 2; v >>= s; r |= s;
	s = (v > 0x3) << 1; v >>= s; r |= s;
	return r | (__u32)(v >> 1);
}

/* One I/O into its bucket: the same atomic pattern as the counters. */
static __always_inline void hist_add(__u64 provider, __u64 client, __u8 map_type,
				     __u8 write, __u64 ns)
{
	static const struct p2p_hist zero;
	struct p2p_hist_key k = { .provider = provider, .client = client,
				  .map_type = map_type, .write = write };
	struct p2p_hist *h = bpf_map_lookup_elem(&lat_hist, &k);
	__u32 slot = log2_u64(ns / 1000);

	if (!h) {
		if (bpf_map_update_elem(&lat_hist, &k, &zero, BPF_NOEXIST) == -P2P_E2BIG)
			lose(P2P_LOST_HISTS);
		h = bpf_map_lookup_elem(&lat_hist, &k);
		if (!h)
			return;
	}
	if (slot >= P2P_HIST_SLOTS)
		slot = P2P_HIST_SLOTS - 1;
	ADD(h->slot[slot], 1);
	ADD(h->sum_ns, ns);
}

/*
 * A disk doing P2P I/O, or refusing it: its other I/O is timed from now on.
 * The last disk seen spares the lookup of a run of P2P I/O (a stale value
 * read while another CPU writes it only costs that lookup).
 */
static __always_inline void client_disk(struct request *rq, __u64 client)
{
	__u64 q = (__u64)rq->q;

	if (q == last_client_q)
		return;
	if (!bpf_map_lookup_elem(&client_disks, &q) &&
	    bpf_map_update_elem(&client_disks, &q, &client, BPF_NOEXIST) == -P2P_E2BIG) {
		lose(P2P_LOST_HISTS);
		return;
	}
	have_client_disks = true;
	last_client_q = q;
}

/* A request without P2P pages on a client disk: into its host-memory bucket. */
static __always_inline void host_complete(struct request *rq)
{
	__u64 q = (__u64)rq->q, start = rq->start_time_ns, *client;

	/* a completion does not run in the issuing process: -p leaves these out */
	if (!have_client_disks || !start || targ_tgid)
		return;
	client = bpf_map_lookup_elem(&client_disks, &q);
	if (!client || (targ_dev && rq_dev(rq) != targ_dev))
		return;
	hist_add(0, *client, P2P_HIST_HOST, rq_is_write(rq), bpf_ktime_get_ns() - start);
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

/*
 * Can a completion tell that this request's issue went unrecorded? Only if
 * the decision and block hooks were all attached before the request was
 * made (since_ns, set by userspace after attach), which the request's start
 * time says (0 where the queue keeps none).
 */
static __always_inline bool unrecorded_seen(struct request *rq)
{
	return since_ns && rq->start_time_ns > since_ns;
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
	if (!p)
		return;
	note_pgmap(rq, p->provider);
	if (!dev_seen(p->provider, true))
		return;
	issuer_of(key, &st);
	st.dev = rq_dev(rq);
	/* left out by -p, -d or -e: there only so its completion is not a miss */
	st.ignore = !top_mode && !hist_wanted(st.id, st.dev) &&
		    (!event_wanted(P2P_EV_IO, st.id) || (targ_dev && st.dev != targ_dev));
	if (st.ignore) {
		bpf_map_update_elem(&inflight, &key, &st, BPF_ANY);
		return;
	}
	if (trace_mode || (hist_mode && !rq->start_time_ns))
		st.ts = bpf_ktime_get_ns();
	if (top_mode)
		pid_stats_of(st.id >> 32, !st.handoff);	/* named while it is current */
	st.provider = p->provider;
	st.client = p->client;
	st.map_type = p->map_type;
	st.write = rq_is_write(rq);
	err = bpf_map_update_elem(&inflight, &key, &st, BPF_ANY);
	/* else its completion counts it (unrecorded) */
	if (err && !unrecorded_seen(rq))
		lose(P2P_LOST_IOS);
	if (hist_mode)
		client_disk(rq, st.client);
}

/*
 * Not a PRIMARY/TWIN pair: on a preemptible kernel the task holding the
 * primary can be preempted outside its busy mark, and the twin then does
 * not make up the run the kernel skips. Both run at every issue instead,
 * and the pending decision, which the first to run takes from its task,
 * keeps the second from counting the request again. If the kernel skips
 * both, the completion finds the request unrecorded (unrecorded_seen).
 */
SEC("tp_btf/block_rq_issue")
int BPF_PROG(tp_rq_issue, struct request *rq)
{
	on_issue(rq);
	return 0;
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(tp_rq_issue_twin, struct request *rq)
{
	on_issue(rq);
	return 0;
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
	__u64 key = (__u64)rq, now = 0;
	struct inflight st, *found;
	bool fallback = false;
	struct p2p_event *e;
	struct pending *p;

	found = bpf_map_lookup_elem(&inflight, &key);
	if (found) {
		st = *found;
		bpf_map_delete_elem(&inflight, &key);
		if (st.ignore)
			return;
		/* every I/O issued, failed or not, in exactly one bucket */
		if (hist_wanted(st.id, st.dev)) {
			__u64 start = rq->start_time_ns ?: st.ts;

			now = bpf_ktime_get_ns();
			if (start)
				hist_add(st.provider, st.client, st.map_type, st.write, now - start);
		}
	} else {
		/* refused requests complete in their task, never issued */
		p = error ? pending_for(rq) : NULL;
		if (!p) {
			__u64 provider = rq_known_provider(rq);

			/* without P2P pages: maybe a client disk's host-memory I/O */
			if (!provider) {
				if (hist_mode)
					host_complete(rq);
				return;
			}
			/*
			 * P2P pages, done, and nothing recorded at issue: a run
			 * the kernel skipped on both issue programs, or inflight
			 * full (seen once the provider has had a request
			 * recorded). Those of providers -P leaves out are not
			 * ours; a failed one may never have been issued (a dying
			 * queue).
			 */
			if (!error && unrecorded_seen(rq) && dev_seen(provider, true) &&
			    (!targ_dev || rq_dev(rq) == targ_dev))
				lose(P2P_LOST_IOS);
			return;
		}
		note_pgmap(rq, p->provider);
		if (p->map_type != P2P_MAP_NOT_SUPPORTED || !dev_seen(p->provider, true))
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
		/* the application's retry through host memory is timed */
		if (hist_mode)
			client_disk(rq, st.client);
	}
	if (top_mode)
		account(&st, fallback, nr_bytes);
	if (!event_wanted(fallback ? P2P_EV_FALLBACK : P2P_EV_IO, st.id) ||
	    (targ_failures && !fallback && !error) || (targ_dev && st.dev != targ_dev))
		return;
	e = event_start(fallback ? P2P_EV_FALLBACK : P2P_EV_IO, st.id);
	if (!e)
		return;
	if (!now)
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
