// SPDX-License-Identifier: GPL-2.0
/* p2ptop's model: sysfs plus BPF totals, rates, tables and reasons. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "top_data.h"

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

static bool read_u64(const char *path, __u64 *v)
{
	unsigned long long x;
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fscanf(f, "%llu", &x) == 1;
	fclose(f);
	if (ok)
		*v = x;
	return ok;
}

static struct top_provider *find_provider(struct top_model *m, const char *bdf)
{
	for (int i = 0; i < m->nprov; i++)
		if (!strncmp(m->prov[i].bdf, bdf, P2P_NAME_LEN))
			return &m->prov[i];
	return NULL;
}

void top_begin(struct top_model *m, double secs)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	m->interval = secs;
	for (int i = 0; i < m->nprov; i++)
		m->prov[i].seen = false;
	for (int i = 0; i < m->nproc; i++)
		m->proc[i].seen = false;
	for (int i = 0; i < m->npair; i++)
		m->pair[i].seen = false;

	snprintf(path, sizeof(path), "%s/bus/pci/devices", sysfs_root());
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		struct top_provider *p;
		char base[PATH_MAX + 512];
		__u64 pub = 0;

		if (de->d_name[0] == '.' || !pci_is_provider(de->d_name))
			continue;
		p = find_provider(m, de->d_name);
		if (!p) {
			if (m->nprov == P2P_MAX_PROVIDERS)
				continue;
			p = &m->prov[m->nprov++];
			memset(p, 0, sizeof(*p));
			snprintf(p->bdf, sizeof(p->bdf), "%.15s", de->d_name);
		}
		p->seen = true;
		if (!pci_nvme_name(p->bdf, p->name, sizeof(p->name)))
			p->name[0] = 0;
		snprintf(base, sizeof(base), "%s/%s/p2pmem/size", path, de->d_name);
		read_u64(base, &p->size);
		snprintf(base, sizeof(base), "%s/%s/p2pmem/available", path, de->d_name);
		read_u64(base, &p->avail);
		snprintf(base, sizeof(base), "%s/%s/p2pmem/published", path, de->d_name);
		read_u64(base, &pub);
		p->published = pub;
	}
	closedir(dir);
}

void top_add_provider_stats(struct top_model *m, const char *bdf,
			    const struct p2p_provider_stats *s)
{
	struct top_provider *p = find_provider(m, bdf);

	/* a provider BPF saw but sysfs no longer lists has gone away */
	if (p)
		p->now = *s;
}

void top_add_pid_stats(struct top_model *m, __u32 pid, const struct p2p_pid_stats *s)
{
	struct top_proc *p = NULL;

	for (int i = 0; i < m->nproc; i++)
		if (m->proc[i].pid == pid)
			p = &m->proc[i];
	if (!p) {
		if (m->nproc == P2P_MAX_PIDS)
			return;
		p = &m->proc[m->nproc++];
		memset(p, 0, sizeof(*p));
		p->pid = pid;
	}
	p->now = *s;
	memcpy(p->comm, s->comm, P2P_COMM_LEN);
	p->comm[P2P_COMM_LEN] = 0;
	p->seen = true;
}

void top_add_pair_stats(struct top_model *m, const struct p2p_pair_key *k,
			const struct p2p_pair_stats *s)
{
	struct top_pair *p = NULL;

	for (int i = 0; i < m->npair; i++)
		if (!memcmp(&m->pair[i].key, k, sizeof(*k)))
			p = &m->pair[i];
	if (!p) {
		if (m->npair == P2P_MAX_PAIRS)
			return;
		p = &m->pair[m->npair++];
		memset(p, 0, sizeof(*p));
		p->key = *k;
	}
	p->now = *s;
	p->seen = true;
}

static bool proc_alive(__u32 pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%u", pid);
	return !access(path, F_OK);
}

/* The provider a VMA's file belongs to: /dev/nvmeN or a p2pmem/allocate. */
static bool vma_provider(const char *file, const struct top_model *m, char *bdf)
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

/* Calls fn for each populated P2P VMA of pid; returns false if pid is gone. */
static bool scan_smaps(struct top_model *m, __u32 pid,
		       void (*fn)(struct top_model *, __u32, __u64, __u64, const char *))
{
	char path[64], line[512], file[400], bdf[P2P_NAME_LEN];
	unsigned long long start = 0, end = 0, rss;
	bool ours = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/smaps", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		file[0] = 0;
		if (sscanf(line, "%llx-%llx %*s %*s %*s %*s %399s", &start, &end, file) >= 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			ours = file[0] && vma_provider(file, m, bdf);
		} else if (ours && sscanf(line, "Rss: %llu kB", &rss) == 1) {
			if (rss)
				fn(m, pid, start, end - start, bdf);
			ours = false;
		}
	}
	fclose(f);
	return true;
}

static void add_old(struct top_model *m, __u32 pid, __u64 start, __u64 len, const char *bdf)
{
	if (m->nold == TOP_MAX_OLD)
		return;
	m->old[m->nold] = (struct top_old_map){ pid, start, len };
	memcpy(m->old[m->nold].bdf, bdf, P2P_NAME_LEN);
	m->nold++;
}

static struct top_old_map *still;	/* the entry being confirmed */

static void confirm_old(struct top_model *m, __u32 pid, __u64 start, __u64 len, const char *bdf)
{
	(void)m;
	(void)bdf;
	if (still && still->pid == pid && still->start == start && still->len == len)
		still->len |= 1ULL << 63;	/* seen */
}

void top_scan_old_maps(struct top_model *m)
{
	int n = 0;

	if (!m->scanned) {
		struct dirent *de;
		DIR *dir = opendir("/proc");

		m->scanned = true;
		while (dir && (de = readdir(dir)))
			if (isdigit((unsigned char)de->d_name[0]))
				scan_smaps(m, strtoul(de->d_name, NULL, 10), add_old);
		if (dir)
			closedir(dir);
	} else {
		for (int i = 0; i < m->nold; i++) {
			still = &m->old[i];
			scan_smaps(m, still->pid, confirm_old);
			if (still->len >> 63) {
				still->len &= ~(1ULL << 63);
				m->old[n++] = *still;
			}
		}
		still = NULL;
		m->nold = n;
	}
	/* count them in, as BPF would have */
	for (int i = 0; i < m->nold; i++) {
		struct top_provider *p = find_provider(m, m->old[i].bdf);
		struct top_proc *proc = NULL;

		if (p) {
			p->now.live_maps++;
			p->now.held_bytes += m->old[i].len;
		}
		for (int k = 0; k < m->nproc; k++)
			if (m->proc[k].pid == m->old[i].pid)
				proc = &m->proc[k];
		if (!proc && m->nproc < P2P_MAX_PIDS) {
			char path[64];
			FILE *f;

			proc = &m->proc[m->nproc++];
			memset(proc, 0, sizeof(*proc));
			proc->pid = m->old[i].pid;
			snprintf(path, sizeof(path), "/proc/%u/comm", proc->pid);
			f = fopen(path, "r");
			if (f) {
				if (fgets(proc->comm, sizeof(proc->comm), f))
					proc->comm[strcspn(proc->comm, "\n")] = 0;
				fclose(f);
			}
		}
		if (proc) {
			proc->seen = true;
			proc->now.live_maps++;
			proc->now.held_bytes += m->old[i].len;
		}
	}
}

void top_end(struct top_model *m)
{
	double t = m->interval;
	int n = 0;

	for (int i = 0; i < m->nprov; i++) {
		struct top_provider *p = &m->prov[i];
		const struct p2p_provider_stats *a = &p->now, *b = &p->prev;

		if (!p->seen)
			continue;
		if (p->have_prev) {
			p->alloc_s = top_rate(a->allocs, b->allocs, t);
			p->free_s = top_rate(a->frees, b->frees, t);
			p->fault_s = top_rate(a->faults, b->faults, t);
			for (int k = 0; k < P2P_MAP_NR; k++)
				p->maps_s[k] = top_rate(a->maps[k], b->maps[k], t);
			p->fallback_s = top_rate(a->fallbacks, b->fallbacks, t);
			p->rd_mbs = top_rate(a->read_bytes, b->read_bytes, t) / 1e6;
			p->wr_mbs = top_rate(a->write_bytes, b->write_bytes, t) / 1e6;
			/* what sysfs says the interval took against what BPF saw */
			p->acct_mismatch = (long long)(top_used(p) - p->prev_used) !=
				(long long)((a->alloc_bytes - a->free_bytes) -
					    (b->alloc_bytes - b->free_bytes));
		}
		p->prev_used = top_used(p);
		m->prov[n] = *p;
		m->prov[n].prev = p->now;
		m->prov[n].have_prev = true;
		n++;
	}
	m->nprov = n;

	n = 0;
	for (int i = 0; i < m->nproc; i++) {
		struct top_proc *p = &m->proc[i];

		if (!p->seen || (p->now.held_bytes <= 0 && !proc_alive(p->pid)))
			continue;
		if (p->have_prev) {
			p->rd_mbs = top_rate(p->now.read_bytes, p->prev.read_bytes, t) / 1e6;
			p->wr_mbs = top_rate(p->now.write_bytes, p->prev.write_bytes, t) / 1e6;
		}
		m->proc[n] = *p;
		m->proc[n].prev = p->now;
		m->proc[n].have_prev = true;
		n++;
	}
	m->nproc = n;

	n = 0;
	for (int i = 0; i < m->npair; i++) {
		struct top_pair *p = &m->pair[i];
		char prov[P2P_NAME_LEN + 1] = "", cli[P2P_NAME_LEN + 1] = "";

		if (!p->seen)
			continue;
		memcpy(prov, p->key.provider, P2P_NAME_LEN);
		memcpy(cli, p->key.client, P2P_NAME_LEN);
		if (p->now.last_type == P2P_MAP_NOT_SUPPORTED)
			p2p_reason(prov, cli, p->reason, sizeof(p->reason));
		else
			p->reason[0] = 0;
		m->pair[n++] = *p;
	}
	m->npair = n;
}

/* ---- reasons ---- */

#define MAX_DEPTH 16

/* The PCI functions from the root bus down to bdf, from its sysfs path. */
static int pci_path(const char *bdf, char out[][P2P_NAME_LEN], int max)
{
	char path[PATH_MAX], real[PATH_MAX], *tok, *save = NULL;
	int n = 0;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", sysfs_root(), bdf);
	if (!realpath(path, real))
		return 0;
	for (tok = strtok_r(real, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		unsigned int d, b, s, f;
		char end;

		if (strlen(tok) == 12 && sscanf(tok, "%4x:%2x:%2x.%1x%c", &d, &b, &s, &f, &end) == 4 &&
		    n < max)
			snprintf(out[n++], P2P_NAME_LEN, "%s", tok);
	}
	return n;
}

static bool read_config(const char *bdf, unsigned char *cfg, size_t len)
{
	char path[PATH_MAX];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/config", sysfs_root(), bdf);
	f = fopen(path, "rb");
	if (!f)
		return false;
	n = fread(cfg, 1, len, f);
	fclose(f);
	return n == len;
}

/* ACS P2P Request/Completion Redirect or Egress Control set on a bridge */
static bool acs_redirects(const char *bdf)
{
	unsigned char cfg[4096];
	unsigned int pos = 0x100;

	if (!read_config(bdf, cfg, sizeof(cfg)))
		return false;
	for (int guard = 0; pos >= 0x100 && pos < 4093 && guard < 64; guard++) {
		unsigned int hdr = cfg[pos] | cfg[pos + 1] << 8 | cfg[pos + 2] << 16 |
				   (unsigned int)cfg[pos + 3] << 24;
		unsigned int ctrl;

		if (!hdr)
			break;
		if ((hdr & 0xffff) == 0x000d) {	/* PCI_EXT_CAP_ID_ACS */
			ctrl = cfg[pos + 6] | cfg[pos + 7] << 8;
			return ctrl & (0x04 | 0x08 | 0x20);	/* RR | CR | EC */
		}
		pos = hdr >> 20;
	}
	return false;
}

static bool read_id(const char *bdf, const char *file, unsigned int *id)
{
	char path[PATH_MAX];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/%s", sysfs_root(), bdf, file);
	f = fopen(path, "r");
	if (!f)
		return false;
	ok = fscanf(f, "%x", id) == 1;
	fclose(f);
	return ok;
}

/* cpu_supports_p2pdma(): AMD Zen (family 0x17) and later */
static bool cpu_is_zen(void)
{
	const char *path = getenv("P2PSCOPE_CPUINFO");
	char line[256];
	bool amd = false;
	int family = 0;
	FILE *f = fopen(path && *path ? path : "/proc/cpuinfo", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "vendor_id", 9))
			amd = strstr(line, "AuthenticAMD") != NULL;
		else if (!strncmp(line, "cpu family", 10))
			sscanf(strchr(line, ':') ? strchr(line, ':') + 1 : line, "%d", &family);
		else if (line[0] == '\n')
			break;	/* first CPU only, as the kernel checks cpu 0 */
	}
	fclose(f);
	return amd && family >= 0x17;
}

/* pci_p2pdma_whitelist[] of 6.12 */
static const struct { unsigned short vendor, device; } allowlist[] = {
	{ 0x8086, 0x3c00 }, { 0x8086, 0x3c01 }, { 0x8086, 0x2f00 }, { 0x8086, 0x2f01 },
	{ 0x8086, 0x2030 }, { 0x8086, 0x2031 }, { 0x8086, 0x2032 }, { 0x8086, 0x2033 },
	{ 0x8086, 0x2020 }, { 0x8086, 0x09a2 },
};

const char *p2p_reason(const char *provider, const char *client, char *buf, size_t len)
{
	char a[MAX_DEPTH][P2P_NAME_LEN], b[MAX_DEPTH][P2P_NAME_LEN], host[P2P_NAME_LEN];
	int na = pci_path(provider, a, MAX_DEPTH), nb = pci_path(client, b, MAX_DEPTH);
	char acs[P2P_NAME_LEN] = "";
	unsigned int vendor = 0, device = 0;
	int common = -1;
	size_t used;

	if (!na)
		return snprintf(buf, len, "provider %s not found in sysfs", provider), buf;
	if (!nb)
		return snprintf(buf, len, "client %s is not a PCI device", client), buf;

	/* deepest bridge above both (the devices themselves included) */
	for (int i = 0; i < na && i < nb && !strcmp(a[i], b[i]); i++)
		common = i;
	for (int i = na - 1; i > common && !acs[0]; i--)
		if (acs_redirects(a[i]))
			snprintf(acs, sizeof(acs), "%s", a[i]);
	for (int i = nb - 1; i > common && !acs[0]; i--)
		if (acs_redirects(b[i]))
			snprintf(acs, sizeof(acs), "%s", b[i]);
	if (common >= 0 && acs_redirects(a[common]) && !acs[0] && common < na - 1)
		snprintf(acs, sizeof(acs), "%s", a[common]);

	buf[0] = 0;
	if (common >= 0 && !acs[0])
		return snprintf(buf, len, "same switch, no ACS redirect: should map"), buf;
	if (acs[0])
		snprintf(buf, len, "ACS redirect on %s", acs);
	used = strlen(buf);

	if (cpu_is_zen())
		return snprintf(buf + used, len - used, "%sAMD Zen host bridge allowed",
				used ? "; " : ""), buf;
	/* pci_host_bridge_dev(): devfn 00.0 on the root bus */
	snprintf(host, sizeof(host), "%.8s00.0", a[0]);
	if (!read_id(host, "vendor", &vendor) || !read_id(host, "device", &device))
		return snprintf(buf + used, len - used, "%sno host bridge device at %s",
				used ? "; " : "", host), buf;
	for (size_t i = 0; i < sizeof(allowlist) / sizeof(allowlist[0]); i++)
		if (allowlist[i].vendor == vendor && allowlist[i].device == device)
			return snprintf(buf + used, len - used, "%shost bridge %04x:%04x allowed",
					used ? "; " : "", vendor, device), buf;
	snprintf(buf + used, len - used, "%shost bridge %04x:%04x not on allowlist",
		 used ? "; " : "", vendor, device);
	return buf;
}

/* ---- tables ---- */

const struct top_column top_columns[VIEW_NR][16] = {
	[VIEW_PROVIDERS] = {
		{ "PROVIDER", 12, 0, true }, { "NAME", 6, 1, true },
		{ "SIZE", 6, 2, false }, { "USED", 7, 2, false }, { "USE%", 5, 3, false },
		{ "MAPS", 5, 4, false }, { "ALLOC/s", 7, 9, false },
		{ "FREE/s", 7, 9, false }, { "FAULT/s", 7, 10, false },
		{ "BUS/s", 7, 6, false }, { "HOSTBR/s", 8, 7, false },
		{ "NOSUP/s", 7, 5, false }, { "FALLBK/s", 8, 4, false },
		{ "RD-MB/s", 8, 3, false }, { "WR-MB/s", 8, 3, false },
	},
	[VIEW_PROCESSES] = {
		{ "PID", 7, 0, false }, { "COMM", 16, 1, true }, { "HELD", 7, 2, false },
		{ "MAPS", 5, 2, false }, { "RD-MB/s", 8, 3, false },
		{ "WR-MB/s", 8, 3, false }, { "FALLBK", 7, 4, false },
		{ "ALLOCED", 8, 5, false },
	},
	[VIEW_PAIRS] = {
		{ "PROVIDER", 12, 0, true }, { "CLIENT", 12, 0, true },
		{ "MAP", 6, 1, true }, { "BYTES", 8, 2, false }, { "FALLBK", 7, 2, false },
		{ "DECISIONS", 9, 4, false }, { "REASON", 30, 3, true },
	},
};

int top_ncolumns(enum top_view v)
{
	int n = 0;

	while (n < 16 && top_columns[v][n].title)
		n++;
	return n;
}

int top_fit(enum top_view v, int width, int *chosen)
{
	int n = top_ncolumns(v), used = 0, count = 0;
	bool take[16] = { false };

	for (int prio = 0; prio <= 10; prio++)
		for (int c = 0; c < n; c++) {
			int w = top_columns[v][c].width + (used ? 1 : 0);

			if (top_columns[v][c].prio != prio || used + w > width)
				continue;
			take[c] = true;
			used += w;
		}
	for (int c = 0; c < n; c++)
		if (take[c])
			chosen[count++] = c;
	return count;
}

int top_nrows(const struct top_model *m, enum top_view v)
{
	return v == VIEW_PROVIDERS ? m->nprov : v == VIEW_PROCESSES ? m->nproc : m->npair;
}

void human_bytes(double v, char *buf, size_t len)
{
	static const char units[] = "BKMGTP";
	int u = 0;

	if (v < 0)
		v = 0;
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (!u)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, v < 10 ? "%.1f%c" : "%.0f%c", v, units[u]);
}

/* numeric value of a cell, for sorting; strings sort by text */
static double cell_value(const struct top_model *m, enum top_view v, int row, int col)
{
	if (v == VIEW_PROVIDERS) {
		const struct top_provider *p = &m->prov[row];

		switch (col) {
		case 2: return p->size;
		case 3: return top_used(p);
		case 4: return p->size ? 100.0 * top_used(p) / p->size : 0;
		case 5: return p->now.live_maps;
		case 6: return p->alloc_s;
		case 7: return p->free_s;
		case 8: return p->fault_s;
		case 9: return p->maps_s[P2P_MAP_BUS_ADDR];
		case 10: return p->maps_s[P2P_MAP_THRU_HOST_BRIDGE];
		case 11: return p->maps_s[P2P_MAP_NOT_SUPPORTED];
		case 12: return p->fallback_s;
		case 13: return p->rd_mbs;
		case 14: return p->wr_mbs;
		}
	} else if (v == VIEW_PROCESSES) {
		const struct top_proc *p = &m->proc[row];

		switch (col) {
		case 0: return p->pid;
		case 2: return p->now.held_bytes;
		case 3: return p->now.live_maps;
		case 4: return p->rd_mbs;
		case 5: return p->wr_mbs;
		case 6: return p->now.fallbacks;
		case 7: return p->now.alloc_bytes;
		}
	} else {
		const struct top_pair *p = &m->pair[row];
		double d = 0;

		switch (col) {
		case 3: return p->now.bytes;
		case 4: return p->now.fallbacks;
		case 5:
			for (int k = 0; k < P2P_MAP_NR; k++)
				d += p->now.maps[k];
			return d;
		}
	}
	return 0;
}

void top_cell(const struct top_model *m, enum top_view v, int row, int col,
	      char *buf, size_t len)
{
	char tmp[64];

	buf[0] = 0;
	if (v == VIEW_PROVIDERS) {
		const struct top_provider *p = &m->prov[row];

		switch (col) {
		case 0: snprintf(buf, len, "%s", p->bdf); return;
		case 1: snprintf(buf, len, "%s", p->name[0] ? p->name : "-"); return;
		case 2: human_bytes(p->size, buf, len); return;
		case 3:
			human_bytes(top_used(p), tmp, sizeof(tmp));
			snprintf(buf, len, "%s%s", tmp, p->acct_mismatch ? "!" : "");
			return;
		case 4: snprintf(buf, len, "%.1f", cell_value(m, v, row, col)); return;
		case 5: snprintf(buf, len, "%lld", (long long)p->now.live_maps); return;
		case 13: case 14: snprintf(buf, len, "%.2f", cell_value(m, v, row, col)); return;
		default: snprintf(buf, len, "%.0f", cell_value(m, v, row, col)); return;
		}
	} else if (v == VIEW_PROCESSES) {
		const struct top_proc *p = &m->proc[row];

		switch (col) {
		case 0: snprintf(buf, len, "%u", p->pid); return;
		case 1: snprintf(buf, len, "%s", p->comm); return;
		case 2: human_bytes(p->now.held_bytes, buf, len); return;
		case 3: snprintf(buf, len, "%lld", (long long)p->now.live_maps); return;
		case 4: case 5: snprintf(buf, len, "%.2f", cell_value(m, v, row, col)); return;
		case 6: snprintf(buf, len, "%llu", (unsigned long long)p->now.fallbacks); return;
		case 7: human_bytes(p->now.alloc_bytes, buf, len); return;
		}
	} else {
		const struct top_pair *p = &m->pair[row];
		char name[P2P_NAME_LEN + 1] = "";

		switch (col) {
		case 0: case 1:
			memcpy(name, col ? p->key.client : p->key.provider, P2P_NAME_LEN);
			show_pci(name, buf, len);
			return;
		case 2: snprintf(buf, len, "%s", map_type_short(p->now.last_type)); return;
		case 3: human_bytes(p->now.bytes, buf, len); return;
		case 4: snprintf(buf, len, "%llu", (unsigned long long)p->now.fallbacks); return;
		case 5: snprintf(buf, len, "%.0f", cell_value(m, v, row, col)); return;
		case 6: snprintf(buf, len, "%s", p->reason[0] ? p->reason : "-"); return;
		}
	}
}

struct sort_ctx {
	const struct top_model *m;
	enum top_view v;
	int col;
	bool reverse;
};

static int cmp_rows(const void *x, const void *y, void *arg)
{
	const struct sort_ctx *c = arg;
	int a = *(const int *)x, b = *(const int *)y, r;

	if (top_columns[c->v][c->col].left) {
		char sa[128], sb[128];

		top_cell(c->m, c->v, a, c->col, sa, sizeof(sa));
		top_cell(c->m, c->v, b, c->col, sb, sizeof(sb));
		r = strcmp(sa, sb);	/* text ascends */
	} else {
		double va = cell_value(c->m, c->v, a, c->col);
		double vb = cell_value(c->m, c->v, b, c->col);

		r = (va < vb) - (va > vb);	/* numbers descend */
	}
	if (!r)
		r = (a > b) - (a < b);	/* stable */
	return c->reverse ? -r : r;
}

void top_sort(struct top_model *m, enum top_view v, int col, bool reverse)
{
	static int order[P2P_MAX_PIDS];
	struct sort_ctx c = { m, v, col, reverse };
	int n = top_nrows(m, v);

	if (col < 0 || col >= top_ncolumns(v) || n < 2)
		return;
	for (int i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(order[0]), cmp_rows, &c);
	if (v == VIEW_PROVIDERS) {
		static struct top_provider tmp[P2P_MAX_PROVIDERS];

		for (int i = 0; i < n; i++)
			tmp[i] = m->prov[order[i]];
		memcpy(m->prov, tmp, n * sizeof(tmp[0]));
	} else if (v == VIEW_PROCESSES) {
		static struct top_proc tmp[P2P_MAX_PIDS];

		for (int i = 0; i < n; i++)
			tmp[i] = m->proc[order[i]];
		memcpy(m->proc, tmp, n * sizeof(tmp[0]));
	} else {
		static struct top_pair tmp[P2P_MAX_PAIRS];

		for (int i = 0; i < n; i++)
			tmp[i] = m->pair[order[i]];
		memcpy(m->pair, tmp, n * sizeof(tmp[0]));
	}
}
