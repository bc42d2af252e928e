// SPDX-License-Identifier: GPL-2.0
/* p2ptop's model: sysfs, BPF totals and /proc, rates and cross-checks. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "hist.h"
#include "model.h"
#include "sysfs.h"

double top_rate(__u64 now, __u64 prev, double secs)
{
	if (secs <= 0 || now < prev)
		return 0;
	return (double)(now - prev) / secs;
}

__u64 top_used(const struct top_provider *p)
{
	return p->size > p->avail ? p->size - p->avail : 0;
}

__s64 top_held(const struct top_provider *p)
{
	return p->now.held_bytes + p->old_bytes;
}

__s64 top_live(const struct top_provider *p)
{
	return p->now.live_maps + p->old_maps;
}

__s64 top_proc_held(const struct top_proc *p)
{
	return p->now.held_bytes + p->old_bytes;
}

__s64 top_proc_live(const struct top_proc *p)
{
	return p->now.live_maps + p->old_maps;
}

static struct top_provider *find_provider(struct top_model *m, const char *bdf)
{
	for (int i = 0; i < m->nprov; i++)
		if (!strncmp(m->prov[i].bdf, bdf, P2P_NAME_LEN))
			return &m->prov[i];
	return NULL;
}

static struct top_proc *find_proc(struct top_model *m, __u32 pid, bool create)
{
	struct top_proc *p;

	for (int i = 0; i < m->nproc; i++)
		if (m->proc[i].pid == pid)
			return &m->proc[i];
	if (!create || m->nproc == P2P_MAX_PIDS)
		return NULL;
	p = &m->proc[m->nproc++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	return p;
}

void top_begin(struct top_model *m, double secs)
{
	char bdfs[P2P_MAX_PROVIDERS][P2P_NAME_LEN];
	unsigned long long ids[P2P_MAX_PROVIDERS];
	int n = provider_scan(bdfs, ids, P2P_MAX_PROVIDERS);

	m->interval = secs;
	/* every total is read afresh: nothing carries over but prev */
	for (int i = 0; i < m->nprov; i++) {
		m->prov[i].seen = false;
		memset(&m->prov[i].now, 0, sizeof(m->prov[i].now));
		m->prov[i].old_maps = m->prov[i].old_bytes = 0;
	}
	for (int i = 0; i < m->nproc; i++) {
		m->proc[i].seen = false;
		memset(&m->proc[i].now, 0, sizeof(m->proc[i].now));
		m->proc[i].old_maps = m->proc[i].old_bytes = 0;
	}
	for (int i = 0; i < m->npair; i++)
		m->pair[i].seen = false;
	m->nhist = 0;

	for (int i = 0; i < n; i++) {
		struct top_provider *p;
		unsigned long long v[P2PMEM_NR];

		if (m->only[0] && strcmp(bdfs[i], m->only))
			continue;
		p = find_provider(m, bdfs[i]);
		if (!p) {
			if (m->nprov == P2P_MAX_PROVIDERS)
				continue;
			p = &m->prov[m->nprov++];
			memset(p, 0, sizeof(*p));
			memcpy(p->bdf, bdfs[i], P2P_NAME_LEN);
		}
		p->seen = true;
		if (!pci_nvme_name(p->bdf, p->name, sizeof(p->name)))
			p->name[0] = 0;
		p2pmem_read(&p->files, p->bdf, ids[i], v);
		p->size = v[P2PMEM_SIZE];
		p->avail = v[P2PMEM_AVAILABLE];
		p->published = v[P2PMEM_PUBLISHED];
	}
	/* a provider gone from sysfs keeps no files open */
	for (int i = 0; i < m->nprov; i++)
		if (!m->prov[i].seen)
			p2pmem_close(&m->prov[i].files);
}

void top_add_provider_stats(struct top_model *m, const char *bdf,
			    const struct p2p_mem_stats *s)
{
	struct top_provider *p = find_provider(m, bdf);

	/* a provider BPF saw but sysfs no longer lists has gone away */
	if (!p)
		return;
	p->now.allocs = s->allocs;
	p->now.frees = s->frees;
	p->now.alloc_bytes = s->alloc_bytes;
	p->now.free_bytes = s->free_bytes;
	p->now.faults = s->faults;
	p->now.closes = s->closes;
	p->now.live_maps = s->live_maps;
	p->now.held_bytes = s->held_bytes;
}

void top_add_pid_stats(struct top_model *m, __u32 pid, const char *comm,
		       const struct p2p_pid_stats *s)
{
	struct top_proc *p = find_proc(m, pid, true);

	if (!p)
		return;
	p->now = *s;
	if (comm && comm[0]) {
		memcpy(p->comm, comm, P2P_COMM_LEN);
		p->comm[P2P_COMM_LEN] = 0;
	}
	p->seen = true;
}

/* The pair's row, added if new; NULL when the table is full. */
static struct top_pair *pair_of(struct top_model *m, const char *provider, const char *client)
{
	struct top_pair *p;

	for (int i = 0; i < m->npair; i++)
		if (!strcmp(m->pair[i].provider, provider) && !strcmp(m->pair[i].client, client))
			return &m->pair[i];
	if (m->npair == P2P_MAX_PAIRS)
		return NULL;
	p = &m->pair[m->npair++];
	memset(p, 0, sizeof(*p));
	snprintf(p->provider, sizeof(p->provider), "%s", provider);
	snprintf(p->client, sizeof(p->client), "%s", client);
	return p;
}

void top_add_pair_stats(struct top_model *m, const char *provider, const char *client,
			const struct p2p_pair_stats *s)
{
	struct top_provider *prov = find_provider(m, provider);
	struct top_pair *p;

	if (m->only[0] && strcmp(provider, m->only))
		return;
	if (prov) {
		for (int k = 0; k < P2P_MAP_NR; k++)
			prov->now.maps[k] += s->maps[k];
		prov->now.fallbacks += s->fallbacks;
		prov->now.fallback_bytes += s->fallback_bytes;
		prov->now.ios += s->ios;
		prov->now.read_bytes += s->read_bytes;
		prov->now.write_bytes += s->write_bytes;
	}
	p = pair_of(m, provider, client);
	if (!p)
		return;
	p->now = *s;
	p->seen = true;
}

void top_add_dmafault_stats(struct top_model *m, const char *provider, const char *client,
			    const struct p2p_dmafault_stats *s)
{
	struct top_provider *prov = find_provider(m, provider);
	struct top_pair *p;

	if (m->only[0] && strcmp(provider, m->only))
		return;
	if (prov)
		prov->now.dma_faults += s->faults;
	p = pair_of(m, provider, client);
	if (!p)
		return;
	p->dma_now = *s;
	p->seen = true;
}

void top_add_hist(struct top_model *m, const struct hist_row *r)
{
	/* -P: that provider's pairs; host memory is kept for their clients (top_end) */
	if (r->map_type != P2P_HIST_HOST && m->only[0] && strcmp(r->provider, m->only))
		return;
	if (m->nhist < P2P_MAX_HISTS)
		m->hist[m->nhist++] = *r;
}

bool top_pid_gone(__u32 pid)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%u", proc_root(), pid);
	return access(path, F_OK) != 0;
}

/* ---- mappings from before the start ---- */

/* The provider a VMA's file belongs to: /dev/nvmeN or a p2pmem/allocate. */
static bool vma_provider(const struct top_model *m, const char *file, char *bdf)
{
	const char *p;

	for (int i = 0; i < m->nprov; i++) {
		char dev[P2P_NAME_LEN + 8];

		snprintf(dev, sizeof(dev), "/dev/%s", m->prov[i].name);
		if ((m->prov[i].name[0] && !strcmp(file, dev)) ||
		    ((p = strstr(file, m->prov[i].bdf)) && strstr(p, "/p2pmem/allocate"))) {
			memcpy(bdf, m->prov[i].bdf, P2P_NAME_LEN);
			return true;
		}
	}
	return false;
}

typedef void (*vma_fn)(struct top_model *m, __u32 pid, __u64 start, __u64 len,
		       const char *bdf);

static const struct p2p_live_map *known_maps;
static int nknown_maps;

/* Calls fn for each populated P2P VMA of pid. */
static void scan_smaps(struct top_model *m, __u32 pid, vma_fn fn)
{
	char path[PATH_MAX], line[512], file[400], bdf[P2P_NAME_LEN];
	unsigned long long start = 0, end = 0, rss;
	bool ours = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%u/smaps", proc_root(), pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		file[0] = 0;
		if (sscanf(line, "%llx-%llx %*s %*s %*s %*s %399s", &start, &end, file) >= 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			ours = file[0] && vma_provider(m, file, bdf);
		} else if (ours && sscanf(line, "Rss: %llu kB", &rss) == 1) {
			if (rss)
				fn(m, pid, start, end - start, bdf);
			ours = false;
		}
	}
	fclose(f);
}

static void add_old(struct top_model *m, __u32 pid, __u64 start, __u64 len, const char *bdf)
{
	struct top_old_map *o;
	bool copy = false;

	if (m->nold == TOP_MAX_OLD)
		return;
	for (int i = 0; i < nknown_maps; i++) {
		if (known_maps[i].tgid == pid && known_maps[i].start == start)
			return;		/* BPF saw it allocate */
		/* a forked child's copy of a mapping BPF follows in its parent */
		copy |= known_maps[i].start == start && known_maps[i].len == len;
	}
	o = &m->old[m->nold++];
	*o = (struct top_old_map){ .pid = pid, .start = start, .len = len, .seen = true,
				   .copy = copy };
	memcpy(o->bdf, bdf, P2P_NAME_LEN);
}

static bool listed(const __u32 *pids, int n, __u32 pid)
{
	for (int i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

void top_scan_old_maps(struct top_model *m, const struct p2p_live_map *known, int nknown,
		       const __u32 *holders, int nholders)
{
	known_maps = known;
	nknown_maps = nknown;
	if (!m->scanned) {
		struct dirent *de;
		DIR *dir = opendir(proc_root());

		m->scanned = true;
		while (dir && (de = readdir(dir)))
			if (isdigit((unsigned char)de->d_name[0]))
				scan_smaps(m, strtoul(de->d_name, NULL, 10), add_old);
		if (dir)
			closedir(dir);
	} else {
		/*
		 * Found afresh each interval, so a partial munmap, an exit or a
		 * fork shows at once: the processes that had some, and those
		 * BPF saw map one (or inherit one) since.
		 */
		__u32 pids[TOP_MAX_OLD + P2P_MAX_PIDS];
		int n = 0;

		for (int i = 0; i < m->nold; i++)
			if (!listed(pids, n, m->old[i].pid))
				pids[n++] = m->old[i].pid;
		for (int i = 0; i < nholders; i++)
			if (!listed(pids, n, holders[i]))
				pids[n++] = holders[i];
		m->nold = 0;
		for (int i = 0; i < n; i++)
			scan_smaps(m, pids[i], add_old);
	}
	known_maps = NULL;
	nknown_maps = 0;
	/* counted beside the BPF totals, afresh each interval */
	for (int i = 0; i < m->nold; i++) {
		struct top_provider *p = find_provider(m, m->old[i].bdf);
		struct top_proc *proc = find_proc(m, m->old[i].pid, true);

		/*
		 * A forked child maps the parent's memory at the same place:
		 * each process holds it, the provider once.
		 */
		bool copy = m->old[i].copy;

		for (int k = 0; k < i && !copy; k++)
			copy = m->old[k].start == m->old[i].start && m->old[k].len == m->old[i].len &&
			       !strcmp(m->old[k].bdf, m->old[i].bdf);
		if (p && !copy) {
			p->old_maps++;
			p->old_bytes += m->old[i].len;
		}
		if (!proc)
			continue;
		if (!proc->comm[0]) {
			char path[PATH_MAX];
			FILE *f;

			snprintf(path, sizeof(path), "%s/%u/comm", proc_root(), proc->pid);
			f = fopen(path, "r");
			if (f) {
				if (fgets(proc->comm, sizeof(proc->comm), f))
					proc->comm[strcspn(proc->comm, "\n")] = 0;
				fclose(f);
			}
		}
		proc->seen = true;
		proc->old_maps++;
		proc->old_bytes += m->old[i].len;
	}
}

/* ---- the end of an interval ---- */

static void push(double *hist, double v)
{
	memmove(hist, hist + 1, (TOP_HISTORY - 1) * sizeof(*hist));
	hist[TOP_HISTORY - 1] = v;
}

static void end_provider(struct top_provider *p, double t)
{
	const struct top_totals *a = &p->now, *b = &p->prev;

	if (p->have_prev) {
		p->alloc_s = top_rate(a->allocs, b->allocs, t);
		p->free_s = top_rate(a->frees, b->frees, t);
		p->fault_s = top_rate(a->faults, b->faults, t);
		for (int k = 0; k < P2P_MAP_NR; k++)
			p->maps_s[k] = top_rate(a->maps[k], b->maps[k], t);
		p->fallback_s = top_rate(a->fallbacks, b->fallbacks, t);
		p->rd_mbs = top_rate(a->read_bytes, b->read_bytes, t) / 1e6;
		p->wr_mbs = top_rate(a->write_bytes, b->write_bytes, t) / 1e6;
		p->dma_fault_s = top_rate(a->dma_faults, b->dma_faults, t);
		/* what sysfs says the interval took against what BPF saw */
		p->acct_mismatch = (long long)(top_used(p) - p->prev_used) !=
			(long long)((a->alloc_bytes - a->free_bytes) -
				    (b->alloc_bytes - b->free_bytes));
		push(p->hist_mbs, p->rd_mbs + p->wr_mbs);
		push(p->hist_fb, p->fallback_s);
	}
	p->prev_used = top_used(p);
	p->prev = p->now;
	p->have_prev = true;
}

/* The map type decided most often: over the interval, or since the start. */
static int most_decided(const struct p2p_pair_stats *now, const struct p2p_pair_stats *prev)
{
	int best = P2P_MAP_UNKNOWN;
	__u64 most = 0;

	for (int k = 1; k < P2P_MAP_NR; k++) {
		__u64 n = now->maps[k] - (prev ? prev->maps[k] : 0);

		if (n > most) {
			most = n;
			best = k;
		}
	}
	return best;
}

static int pair_type(const struct top_pair *p)
{
	int t = p->have_prev ? most_decided(&p->now, &p->prev) : P2P_MAP_UNKNOWN;

	return t != P2P_MAP_UNKNOWN ? t : most_decided(&p->now, NULL);
}

/* Each pair's P2P latency, and its client's through host memory. */
static void pair_latency(struct top_model *m)
{
	int n = 0;

	for (int i = 0; i < m->npair; i++) {
		memset(&m->pair[i].lat, 0, sizeof(m->pair[i].lat));
		memset(&m->pair[i].host_lat, 0, sizeof(m->pair[i].host_lat));
	}
	for (int k = 0; k < m->nhist; k++) {
		const struct hist_row *t = &m->hist[k];
		bool client_listed = false;

		for (int i = 0; i < m->npair; i++) {
			struct top_pair *p = &m->pair[i];

			if (strcmp(p->client, t->client))
				continue;
			client_listed = true;
			if (t->map_type == P2P_HIST_HOST)
				hist_merge(&p->host_lat, &t->h);
			else if (!strcmp(p->provider, t->provider))
				hist_merge(&p->lat, &t->h);
		}
		/* a disk that is no listed pair's client is not shown */
		if (client_listed || t->map_type != P2P_HIST_HOST)
			m->hist[n++] = *t;
	}
	m->nhist = n;
}

void top_end(struct top_model *m)
{
	double t = m->interval;
	int n = 0, type;

	for (int i = 0; i < m->nprov; i++) {
		if (!m->prov[i].seen)
			continue;
		end_provider(&m->prov[i], t);
		m->prov[n++] = m->prov[i];
	}
	m->nprov = n;

	n = 0;
	for (int i = 0; i < m->nproc; i++) {
		struct top_proc *p = &m->proc[i];

		if (!p->seen)
			continue;
		if (p->have_prev) {
			p->rd_mbs = top_rate(p->now.read_bytes, p->prev.read_bytes, t) / 1e6;
			p->wr_mbs = top_rate(p->now.write_bytes, p->prev.write_bytes, t) / 1e6;
		}
		p->prev = p->now;
		p->have_prev = true;
		m->proc[n++] = *p;
	}
	m->nproc = n;

	n = 0;
	for (int i = 0; i < m->npair; i++) {
		struct top_pair *p = &m->pair[i];

		if (!p->seen)
			continue;
		type = pair_type(p);
		/* a reason reads the PCI topology: once per refused pair, not per report */
		if (type != P2P_MAP_NOT_SUPPORTED)
			p->reason[0] = 0;
		else if ((!p->reason[0] || p->map_type != type) && m->reason)
			m->reason(p->provider, p->client, p->reason, sizeof(p->reason));
		p->map_type = type;
		if (p->have_prev)
			p->dma_fault_s = top_rate(p->dma_now.faults, p->dma_prev.faults, t);
		p->dma_prev = p->dma_now;
		p->prev = p->now;
		p->have_prev = true;
		m->pair[n++] = *p;
	}
	m->npair = n;
	pair_latency(m);
}
