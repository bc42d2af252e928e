// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdoctor: will this pair of PCI devices do P2PDMA, and if not, why.
 * Reads sysfs, PCI config space (libpci), the kernel's own files and its
 * log (earlier IOMMU faults); loads no BPF and needs root only for config
 * space past 64 bytes (ACS) and, where dmesg_restrict is set, the log.
 */
#define _GNU_SOURCE
#include <argp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "allowlist.h"
#include "args.h"
#include "iommu.h"
#include "json.h"
#include "maptype.h"
#include "readiness.h"
#include "sysfs.h"
#include "topology.h"

#define PROG "p2pdoctor"

const char *argp_program_version = PROG " 0.2";

static const char doc[] =
	"Tell whether P2PDMA works between PCI devices here, and if not, why: the "
	"kernel's readiness, the P2P memory providers, and for every provider and "
	"DMA-capable function (or the DEVICEs named) the map type the kernel would "
	"choose, its distance and a one-line reason.\v"
	"DEVICE is a PCI address (0000:03:00.0, or 03:00.0 in domain 0) or an NVMe "
	"controller (nvme0, /dev/nvme0). Named providers pair with every named "
	"device; with no provider named, every provider pairs with them.\n\n"
	"Exit status: 0 if every pair can do P2P, 1 if some cannot (or the kernel "
	"lacks P2PDMA, or there is no provider), 2 on bad input.";

static const struct argp_option options[] = {
	{ "devices", 'd', "LIST", 0, "Only these devices (comma-separated; repeatable)", 0 },
	{ "json", 'j', NULL, 0, "One JSON document on stdout", 0 },
	{ "verbose", 'v', NULL, 0, "Every PCI function in DEVICES, with its ACS state", 0 },
	{ 0 },
};

static struct {
	bool json, verbose;
	char **names;
	int nnames;
} opt;

/* Text for the terminal: control bytes and bad UTF-8 become \xNN (lib/json). */
static const char *clean(const char *s)
{
	static char bufs[8][1536];
	static int next;

	if (!s)
		return "";
	return text_safe(bufs[next++ % 8], sizeof(bufs[0]), s, strlen(s));
}

static void human(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "BKMGTP";
	double d = v;
	int u = 0;

	while (d >= 1024 && u < 5) {
		d /= 1024;
		u++;
	}
	if (!u)
		snprintf(buf, len, "%llu", (unsigned long long)v);
	else
		snprintf(buf, len, d < 10 ? "%.1f%c" : "%.0f%c", d, units[u]);
}

/* ---- arguments ---- */

static error_t parse(int key, char *arg, struct argp_state *state)
{
	(void)state;
	switch (key) {
	case 'd':
	case ARGP_KEY_ARG: {
		char *save = NULL, *tok;
		int before = opt.nnames;

		for (tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			char **more = realloc(opt.names, (opt.nnames + 1) * sizeof(*more));

			if (!more)
				die_usage("out of memory");
			opt.names = more;
			opt.names[opt.nnames++] = tok;
		}
		if (opt.nnames == before)
			die_usage("empty device list '%s' (see --help)", clean(arg));
		return 0;
	}
	case 'j':
		opt.json = true;
		return 0;
	case 'v':
		opt.verbose = true;
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static const struct argp argp = { options, parse, "[DEVICE...]", doc, NULL, NULL, NULL };

/* ---- the model ---- */

struct pair {
	const struct topo_dev *prov, *cli;
	struct topo_verdict v;
	char warning[1024];		/* the IOMMU's, or "" */
	unsigned long faults;		/* earlier IOMMU faults by cli on prov's BARs */
};

/* Earlier IOMMU faults on the providers' BARs, by device and BAR. */
#define MAX_FAULT_GROUPS 64

static struct {
	int lines;			/* kernel log lines read, or -errno */
	char source[256];		/* what was read, or why it could not be */
	struct iommu_bars bars;
	struct {
		char dev[TOPO_BDF_LEN];	/* the faulting device */
		int bar;		/* index in bars */
		unsigned long count;
		struct iommu_fault last;
	} g[MAX_FAULT_GROUPS];
	int ng;
	unsigned long other;		/* faults on no provider's BAR */
	unsigned long ungrouped;	/* on one, beyond MAX_FAULT_GROUPS */
} faults;

static void fault_line(const char *line, void *arg)
{
	struct iommu_fault f;
	char dev[TOPO_BDF_LEN];
	int b, i;

	(void)arg;
	if (!iommu_fault_parse(line, &f))
		return;
	b = provider_for_addr(&faults.bars, f.addr);
	if (b < 0) {
		faults.other++;
		return;
	}
	iommu_fault_bdf(&f, dev, sizeof(dev));
	for (i = 0; i < faults.ng; i++)
		if (faults.g[i].bar == b && !strcmp(faults.g[i].dev, dev))
			break;
	if (i == faults.ng) {
		if (i == MAX_FAULT_GROUPS) {
			faults.ungrouped++;
			return;
		}
		faults.ng++;
		snprintf(faults.g[i].dev, sizeof(faults.g[i].dev), "%s", dev);
		faults.g[i].bar = b;
	}
	faults.g[i].count++;
	faults.g[i].last = f;
}

static void read_faults(void)
{
	provider_bars_load(&faults.bars);
	faults.lines = iommu_klog_read(fault_line, NULL, faults.source, sizeof(faults.source));
}

/* earlier faults by client on provider's BARs */
static unsigned long pair_faults(const char *provider, const char *client)
{
	unsigned long n = 0;

	for (int i = 0; i < faults.ng; i++)
		if (!strcmp(faults.g[i].dev, client) &&
		    !strcmp(faults.bars.bar[faults.g[i].bar].bdf, provider))
			n += faults.g[i].count;
	return n;
}

static struct topo_dev *devs;
static int ndev;

static const struct topo_dev *find_dev(const char *bdf)
{
	for (int i = 0; i < ndev; i++)
		if (!strcmp(devs[i].bdf, bdf))
			return &devs[i];
	return NULL;
}

/* "nvme0", else the address without domain 0000 */
static const char *short_name(const struct topo_dev *d)
{
	if (d->nvme[0])
		return d->nvme;
	return strncmp(d->bdf, "0000:", 5) ? d->bdf : d->bdf + 5;
}

/* ACS of a device for people: "RR,CR", "-" none, "?" unreadable */
static const char *acs_text(const struct topo_dev *d, char *buf, size_t len)
{
	unsigned int r;

	if (!d->cfg_full)
		return "?";
	if (!d->has_acs)
		return "-";
	r = d->acs_ctrl & TOPO_ACS_REDIR;
	snprintf(buf, len, "%s", r ? "" : "off");
	for (int i = 0; i < 3; i++) {
		static const struct { unsigned int bit; const char *name; } bits[] = {
			{ 0x04, "RR" }, { 0x08, "CR" }, { 0x20, "EC" },
		};
		size_t used = strlen(buf);

		if (r & bits[i].bit)
			snprintf(buf + used, len - used, "%s%s", used ? "," : "", bits[i].name);
	}
	return buf;
}

/* "0000:00 > 00:01.0 > 01:00.0* > 02:00.0": root bus and bridges above d, * = ACS redirect */
static const char *path_text(const struct topo_dev *d, char *buf, size_t len)
{
	const struct topo_dev *chain[32];
	int n = 0;
	size_t used;

	for (const struct topo_dev *u = d; u && u->upstream[0] && n < 32;)
		u = chain[n++] = find_dev(u->upstream);
	used = snprintf(buf, len, "%s", d->root);
	for (int i = n - 1; i >= 0 && used < len; i--) {
		const struct topo_dev *b = chain[i];

		if (!b)
			continue;
		used += snprintf(buf + used, len - used, " > %s%s", short_name(b),
				 !b->cfg_full ? "?" : b->acs_ctrl & TOPO_ACS_REDIR ? "*" : "");
	}
	return buf;
}

/* Is d listed under DEVICES: everything with -v, else the pairs' devices */
static bool shown(const struct topo_dev *d, const struct topo_dev **provs, int nprov,
		  const struct topo_dev **clis, int ncli)
{
	bool show = opt.verbose;

	for (int k = 0; k < ncli && !show; k++)
		show = clis[k] == d;
	for (int k = 0; k < nprov && !show; k++)
		show = provs[k] == d;
	return show;
}

static const char *allow_text(int allow)
{
	return allow == TOPO_ALLOW_YES ? "yes" : allow == TOPO_ALLOW_SAME_BRIDGE ?
	       "same_host_bridge" : "no";
}

/* ---- text ---- */

/* "write at 0xfc000000: PTE Write access is not set (DMAR fault reason 0x05)" */
static const char *fault_text(const struct iommu_fault *f, char *buf, size_t len)
{
	snprintf(buf, len, "%s at 0x%llx: %s (%s 0x%02x)", iommu_dir_name(f->dir),
		 (unsigned long long)f->addr, f->reason_text,
		 f->kind == IOMMU_KIND_INTEL ? "DMAR fault reason" : "AMD-Vi flags", f->reason);
	return buf;
}

static void print_faults_text(void)
{
	char buf[256];

	if (faults.lines < 0) {
		printf("\nIOMMU FAULTS\n  kernel log not readable (%s): earlier IOMMU faults unknown; "
		       "root or CAP_SYSLOG can read it\n", clean(faults.source));
		return;
	}
	printf("\nIOMMU FAULTS (earlier, on the providers' memory; %d lines of %s)\n", faults.lines,
	       clean(faults.source));
	if (!faults.ng)
		printf("  none\n");
	else
		printf("  %-13s %-13s %3s %6s  %s\n", "DEVICE", "PROVIDER", "BAR", "COUNT", "LAST");
	for (int i = 0; i < faults.ng; i++) {
		const struct iommu_bar *b = &faults.bars.bar[faults.g[i].bar];

		printf("  %-13s %-13s %3d %6lu  %s\n", clean(faults.g[i].dev), clean(b->bdf), b->bar,
		       faults.g[i].count, clean(fault_text(&faults.g[i].last, buf, sizeof(buf))));
	}
	if (faults.ungrouped)
		printf("  %lu more on the providers' memory, from more devices than listed\n",
		       faults.ungrouped);
	if (faults.other)
		printf("  %lu other IOMMU fault%s, at addresses in no provider's BAR\n", faults.other,
		       faults.other > 1 ? "s" : "");
	if (faults.ng)
		printf("  (the kernel rate-limits these messages: there may have been more faults than "
		       "lines)\n");
}

static void print_text(const struct topo_check *checks, int nchecks, const struct topo_host *hosts,
		       int nhosts, const struct topo_dev **provs, int nprov,
		       const struct topo_dev **clis, int ncli, const struct pair *pairs, int npairs,
		       const char *verdict)
{
	char cpu[64], a[32], b[32], path[256];

	topo_cpu_zen(cpu, sizeof(cpu));
	printf("%s: Linux %s, CPU %s\n\n", PROG, clean(topo_release()), clean(cpu));

	printf("KERNEL\n");
	for (int i = 0; i < nchecks; i++) {
		const struct topo_check *c = &checks[i];

		printf("  %-5s %-12s %-10s %s", topo_status_name(c->status), c->name,
		       clean(c->value), clean(c->message));
		if (c->fix[0])
			printf("; fix: %s", clean(c->fix));
		printf(" [%s]\n", clean(c->source));
	}

	printf("\nHOST BRIDGES\n  %-9s %-13s %-10s %-16s %s\n", "ROOT BUS", "DEVICE", "ID",
	       "ALLOWLIST", "NAME");
	for (int i = 0; i < nhosts; i++) {
		const struct topo_host *h = &hosts[i];
		const struct topo_dev *d = h->dev[0] ? find_dev(h->dev) : NULL;

		snprintf(a, sizeof(a), "%04x:%04x", h->vendor, h->device);
		printf("  %-9s %-13s %-10s %-16s %s%s%s\n", clean(h->root),
		       h->dev[0] ? clean(h->dev) : "none", h->dev[0] ? a : "-",
		       h->dev[0] ? allow_text(h->allow) : "-", d ? clean(d->name) : "",
		       h->note[0] ? (d ? " -- " : "-- ") : "", clean(h->note));
	}

	printf("\nPROVIDERS (P2P memory: a p2pmem group in sysfs)\n");
	if (!nprov)
		printf("  none\n");
	else
		printf("  %-13s %-7s %-8s %6s %6s %-9s %s\n", "DEVICE", "NVME", "DRIVER", "SIZE",
		       "AVAIL", "PUBLISHED", "NAME");
	for (int i = 0; i < nprov; i++) {
		const struct topo_dev *p = provs[i];

		human(p->p2p_size, a, sizeof(a));
		human(p->p2p_avail, b, sizeof(b));
		printf("  %-13s %-7s %-8s %6s %6s %-9s %s\n", p->bdf, p->nvme[0] ? clean(p->nvme) : "-",
		       p->driver[0] ? clean(p->driver) : "-", a, b, p->published ? "yes" : "no",
		       clean(p->name));
	}

	printf("\nDEVICES (%s; path from the root bus, * = ACS redirect, ? = unreadable)\n",
	       opt.verbose ? "every PCI function" : opt.nnames ? "as named" :
	       "DMA-capable functions and providers");
	{
		int w[4] = { 4, 6, 5, 4 };	/* NVME, DRIVER, IOMMU, PATH */

		for (int pass = 0; pass < 2; pass++) {
			if (pass)
				printf("  %-13s %-*s %-*s %-*s %-5s %-*s %s\n", "DEVICE", w[0], "NVME",
				       w[1], "DRIVER", w[2], "IOMMU", "ACS", w[3], "PATH",
				       "CLASS: NAME");
			for (int i = 0; i < ndev; i++) {
				const struct topo_dev *d = &devs[i];
				const char *col[4];

				if (!shown(d, provs, nprov, clis, ncli))
					continue;
				col[0] = d->nvme[0] ? clean(d->nvme) : "-";
				col[1] = d->driver[0] ? clean(d->driver) : "-";
				col[2] = clean(d->iommu);
				col[3] = clean(path_text(d, path, sizeof(path)));
				if (!pass) {
					for (int c = 0; c < 4; c++)
						if ((int)strlen(col[c]) > w[c])
							w[c] = strlen(col[c]);
					continue;
				}
				printf("  %-13s %-*s %-*s %-*s %-5s %-*s %s: %s\n", d->bdf, w[0], col[0],
				       w[1], col[1], w[2], col[2], acs_text(d, a, sizeof(a)), w[3],
				       col[3], clean(d->class_name), clean(d->name));
			}
		}
	}

	printf("\nPAIRS (map type the kernel would choose and distance; ? = partly guessed)\n");
	if (!npairs) {
		printf("  none: %s\n", nprov ? "no client device" : "no provider");
	} else {
		printf("  %-14s", "PROVIDER");
		for (int k = 0; k < ncli; k++)
			printf(" %-11s", clean(short_name(clis[k])));
		putchar('\n');
		for (int i = 0; i < nprov; i++) {
			printf("  %-14s", clean(short_name(provs[i])));
			for (int k = 0; k < ncli; k++) {
				const struct topo_verdict *v = &pairs[i * ncli + k].v;

				if (v->map_type == TOPO_MAP_NOT_SUPPORTED)
					snprintf(a, sizeof(a), "NOSUP%s", v->guessed ? "?" : "");
				else
					snprintf(a, sizeof(a), "%s %d%s", topo_map_short(v->map_type),
						 v->distance, v->guessed ? "?" : "");
				printf(" %-11s", a);
			}
			putchar('\n');
		}
		printf("\n  %-13s %-13s %-16s %4s  %s\n", "PROVIDER", "CLIENT", "MAP", "DIST", "REASON");
		for (int i = 0; i < npairs; i++) {
			const struct pair *p = &pairs[i];

			printf("  %-13s %-13s %-16s %4d  %s%s\n", p->prov->bdf, p->cli->bdf,
			       topo_map_name(p->v.map_type), p->v.distance, clean(p->v.reason),
			       p->v.guessed ? " (?)" : "");
			if (p->v.note[0])
				printf("  %28s note: %s\n", "", clean(p->v.note));
			if (p->v.fix[0] && (opt.verbose || p->v.map_type == TOPO_MAP_NOT_SUPPORTED))
				printf("  %28s fix: %s\n", "", clean(p->v.fix));
			if (p->warning[0])
				printf("  %28s warning: %s\n", "", clean(p->warning));
			if (p->faults)
				printf("  %28s faults: %lu earlier IOMMU fault%s by the client on the "
				       "provider's memory (IOMMU FAULTS below)\n", "", p->faults,
				       p->faults > 1 ? "s" : "");
		}
	}
	print_faults_text();
	printf("\n%s: %s\n", PROG, clean(verdict));
}

/* ---- JSON ---- */

static void hex_string(struct json *j, const char *key, unsigned long long v)
{
	char buf[24];

	/* a string: JSON readers lose bits of numbers above 2^53 */
	snprintf(buf, sizeof(buf), "0x%llx", v);
	json_kv_string(j, key, buf);
}

static void print_faults_json(struct json *j)
{
	bool readable = faults.lines >= 0;

	json_key(j, "iommu_faults");
	json_object_begin(j);
	json_kv_bool(j, "readable", readable);
	json_kv_string(j, "source", readable ? faults.source : NULL);
	json_kv_string(j, "error", readable ? NULL : faults.source);
	json_key(j, "lines");
	if (readable)
		json_u64(j, faults.lines);
	else
		json_null(j);
	json_key(j, "faults");
	json_array_begin(j);
	for (int i = 0; i < faults.ng; i++) {
		const struct iommu_bar *b = &faults.bars.bar[faults.g[i].bar];
		const struct iommu_fault *f = &faults.g[i].last;

		json_object_begin(j);
		json_kv_string(j, "device", faults.g[i].dev);
		json_kv_string(j, "provider", b->bdf);
		json_kv_s64(j, "bar", b->bar);
		hex_string(j, "bar_start", b->start);
		hex_string(j, "bar_end", b->end);
		json_kv_u64(j, "count", faults.g[i].count);
		json_key(j, "last");
		json_object_begin(j);
		json_kv_string(j, "iommu", iommu_kind_name(f->kind));
		json_kv_string(j, "direction", iommu_dir_name(f->dir));
		hex_string(j, "address", f->addr);
		json_kv_u64(j, "reason", f->reason);
		json_kv_string(j, "reason_text", f->reason_text);
		json_key(j, "pasid");
		if (f->has_pasid)
			json_u64(j, f->pasid);
		else
			json_null(j);
		json_object_end(j);
		json_object_end(j);
	}
	json_array_end(j);
	json_key(j, "other");
	if (readable)
		json_u64(j, faults.other + faults.ungrouped);
	else
		json_null(j);
	json_object_end(j);
}

static void print_json(const struct topo_check *checks, int nchecks, const struct topo_host *hosts,
		       int nhosts, const struct topo_dev **provs, int nprov,
		       const struct topo_dev **clis, int ncli, const struct pair *pairs, int npairs,
		       bool ready, int ncannot, const char *verdict)
{
	char id[16], cpu[64];
	bool zen = topo_cpu_zen(cpu, sizeof(cpu));
	struct json j;

#define OR_NULL(s) ((s)[0] ? (s) : NULL)
	json_init(&j, stdout);
	json_object_begin(&j);
	json_kv_string(&j, "version", argp_program_version);
	json_key(&j, "kernel");
	json_object_begin(&j);
	json_kv_string(&j, "release", topo_release());
	json_kv_string(&j, "cpu", cpu);
	json_kv_bool(&j, "cpu_supports_p2pdma", zen);
	json_kv_bool(&j, "p2pdma", ready);
	json_object_end(&j);

	json_key(&j, "checks");
	json_array_begin(&j);
	for (int i = 0; i < nchecks; i++) {
		const struct topo_check *c = &checks[i];

		json_object_begin(&j);
		json_kv_string(&j, "name", c->name);
		json_kv_string(&j, "status", c->status == TOPO_FAIL ? "fail" : topo_status_name(c->status));
		json_kv_string(&j, "value", c->value);
		json_kv_string(&j, "source", c->source);
		json_kv_string(&j, "message", c->message);
		json_kv_string(&j, "fix", OR_NULL(c->fix));
		json_object_end(&j);
	}
	json_array_end(&j);

	json_key(&j, "host_bridges");
	json_array_begin(&j);
	for (int i = 0; i < nhosts; i++) {
		const struct topo_host *h = &hosts[i];

		json_object_begin(&j);
		json_kv_string(&j, "root_bus", h->root);
		json_kv_string(&j, "first_device", OR_NULL(h->first));
		json_kv_string(&j, "device", OR_NULL(h->dev));
		snprintf(id, sizeof(id), "%04x:%04x", h->vendor, h->device);
		json_kv_string(&j, "id", h->dev[0] ? id : NULL);
		json_kv_string(&j, "allowlist", h->dev[0] ? allow_text(h->allow) : NULL);
		json_kv_bool(&j, "guessed", h->guessed);
		json_kv_string(&j, "note", OR_NULL(h->note));
		json_object_end(&j);
	}
	json_array_end(&j);

	json_key(&j, "devices");
	json_array_begin(&j);
	for (int i = 0; i < ndev; i++) {
		const struct topo_dev *d = &devs[i];

		if (!shown(d, provs, nprov, clis, ncli))
			continue;
		json_object_begin(&j);
		json_kv_string(&j, "bdf", d->bdf);
		snprintf(id, sizeof(id), "%04x:%04x", d->vendor, d->device);
		json_kv_string(&j, "id", id);
		snprintf(id, sizeof(id), "%04x", d->class);
		json_kv_string(&j, "class_id", id);
		json_kv_string(&j, "class", d->class_name);
		json_kv_string(&j, "name", d->name);
		json_kv_string(&j, "driver", OR_NULL(d->driver));
		json_kv_string(&j, "nvme", OR_NULL(d->nvme));
		json_kv_string(&j, "root_bus", d->root);
		json_kv_string(&j, "upstream", OR_NULL(d->upstream));
		json_kv_s64(&j, "depth", d->depth);
		json_kv_string(&j, "iommu", d->iommu);
		json_kv_bool(&j, "config_readable", d->cfg_full);
		json_key(&j, "acs_ctrl");
		if (d->cfg_full && d->has_acs)
			json_u64(&j, d->acs_ctrl);
		else
			json_null(&j);
		json_kv_bool(&j, "acs_redirect", d->cfg_full && (d->acs_ctrl & TOPO_ACS_REDIR));
		json_kv_bool(&j, "provider", d->provider);
		if (d->provider) {
			json_key(&j, "p2pmem");
			json_object_begin(&j);
			json_kv_u64(&j, "size", d->p2p_size);
			json_kv_u64(&j, "available", d->p2p_avail);
			json_kv_bool(&j, "published", d->published);
			json_kv_bool(&j, "allocate", d->allocate);
			json_object_end(&j);
		}
		json_object_end(&j);
	}
	json_array_end(&j);

	json_key(&j, "providers");
	json_array_begin(&j);
	for (int i = 0; i < nprov; i++)
		json_string(&j, provs[i]->bdf);
	json_array_end(&j);
	json_key(&j, "clients");
	json_array_begin(&j);
	for (int i = 0; i < ncli; i++)
		json_string(&j, clis[i]->bdf);
	json_array_end(&j);

	json_key(&j, "pairs");
	json_array_begin(&j);
	for (int i = 0; i < npairs; i++) {
		const struct pair *p = &pairs[i];

		json_object_begin(&j);
		json_kv_string(&j, "provider", p->prov->bdf);
		json_kv_string(&j, "client", p->cli->bdf);
		json_kv_string(&j, "map_type", topo_map_name(p->v.map_type));
		json_kv_s64(&j, "distance", p->v.distance);
		json_kv_bool(&j, "p2p", p->v.map_type != TOPO_MAP_NOT_SUPPORTED && ready);
		json_kv_string(&j, "reason", p->v.reason);
		json_kv_string(&j, "fix", OR_NULL(p->v.fix));
		json_kv_string(&j, "common_upstream", OR_NULL(p->v.common));
		json_key(&j, "acs_redirect");
		json_array_begin(&j);
		for (int k = 0; k < p->v.nacs; k++)
			json_string(&j, p->v.acs[k]);
		json_array_end(&j);
		json_kv_bool(&j, "cpu_rule", p->v.cpu_rule);
		json_kv_bool(&j, "guessed", p->v.guessed);
		json_kv_string(&j, "note", OR_NULL(p->v.note));
		json_kv_string(&j, "warning", OR_NULL(p->warning));
		json_key(&j, "iommu_faults");
		if (faults.lines >= 0)
			json_u64(&j, p->faults);
		else
			json_null(&j);
		json_object_end(&j);
	}
	json_array_end(&j);

	print_faults_json(&j);

	json_key(&j, "summary");
	json_object_begin(&j);
	json_kv_s64(&j, "pairs", npairs);
	json_kv_s64(&j, "cannot", ncannot);
	json_kv_bool(&j, "ok", ready && npairs && !ncannot);
	json_kv_string(&j, "message", verdict);
	json_object_end(&j);
	json_object_end(&j);
#undef OR_NULL
}

int main(int argc, char **argv)
{
	struct topo_check checks[TOPO_MAX_CHECKS];
	struct topo_host hosts[64];
	const struct topo_dev **provs, **clis;
	struct pair *pairs;
	int nchecks, nhosts, nprov = 0, ncli = 0, npairs = 0, ncannot = 0, nwarn = 0;
	bool named_prov = false, ready;
	const struct topo_check *p2p = NULL;
	char verdict[1024];

	args_parse(&argp, argc, argv);

	ndev = topo_devices(&devs);
	if (ndev < 0)
		die_usage("cannot read %s/bus/pci/devices: no PCI here?", clean(sysfs_root()));
	provs = calloc(ndev + 1, sizeof(*provs));
	clis = calloc(ndev + opt.nnames + 1, sizeof(*clis));
	if (!provs || !clis)
		die_usage("out of memory");

	for (int i = 0; i < opt.nnames; i++) {
		char bdf[TOPO_BDF_LEN];
		const struct topo_dev *d;
		bool dup = false;

		if (!topo_resolve(opt.names[i], bdf, sizeof(bdf)) || !(d = find_dev(bdf)))
			die_usage("'%s' is neither a PCI address nor an NVMe controller here",
				  clean(opt.names[i]));
		for (int k = 0; k < ncli; k++)
			dup |= clis[k] == d;
		if (dup)
			continue;
		clis[ncli++] = d;
		if (d->provider) {
			provs[nprov++] = d;
			named_prov = true;
		}
	}
	if (!named_prov)
		for (int i = 0; i < ndev; i++)
			if (devs[i].provider)
				provs[nprov++] = &devs[i];
	if (!opt.nnames)
		for (int i = 0; i < ndev; i++)
			if (topo_dma_capable(&devs[i]))
				clis[ncli++] = &devs[i];

	nchecks = topo_kernel_checks(checks, TOPO_MAX_CHECKS);
	for (int i = 0; i < nchecks; i++)
		if (!strcmp(checks[i].name, "p2pdma"))
			p2p = &checks[i];
	ready = p2p && p2p->status == TOPO_OK;
	nhosts = topo_hosts(hosts, 64);
	read_faults();

	pairs = calloc((size_t)nprov * ncli + 1, sizeof(*pairs));
	if (!pairs)
		die_usage("out of memory");
	for (int i = 0; i < nprov; i++)
		for (int k = 0; k < ncli; k++) {
			struct pair *p = &pairs[npairs++];

			p->prov = provs[i];
			p->cli = clis[k];
			topo_predict(p->prov->bdf, p->cli->bdf, &p->v);
			ncannot += p->v.map_type == TOPO_MAP_NOT_SUPPORTED;
			nwarn += iommu_pair_warning(p->v.map_type == TOPO_MAP_BUS_ADDR, p->cli->iommu,
						    p->prov->bdf, p->cli->bdf, p->v.distance,
						    p->warning, sizeof(p->warning));
			p->faults = pair_faults(p->prov->bdf, p->cli->bdf);
		}

	if (!ready)
		snprintf(verdict, sizeof(verdict), "no P2PDMA on this kernel: %s%s%s",
			 p2p ? p2p->message : "unknown", p2p && p2p->fix[0] ? "; fix: " : "",
			 p2p ? p2p->fix : "");
	else if (!nprov)
		snprintf(verdict, sizeof(verdict), "no P2P memory provider: no device has a p2pmem "
			 "group; bind one (e.g. an NVMe with a CMB) to its driver");
	else if (!npairs)
		snprintf(verdict, sizeof(verdict), "no pair to check");
	else if (ncannot)
		snprintf(verdict, sizeof(verdict), "%d of %d pairs cannot do P2P", ncannot, npairs);
	else
		snprintf(verdict, sizeof(verdict), "all %d pairs can do P2P", npairs);
	if (ready && npairs && nwarn)
		snprintf(verdict + strlen(verdict), sizeof(verdict) - strlen(verdict),
			 "; %d BUS_ADDR pair%s behind a translating IOMMU: see %s warning", nwarn,
			 nwarn > 1 ? "s" : "", nwarn > 1 ? "their" : "its");

	if (opt.json)
		print_json(checks, nchecks, hosts, nhosts, provs, nprov, clis, ncli, pairs, npairs,
			   ready, ncannot, verdict);
	else
		print_text(checks, nchecks, hosts, nhosts, provs, nprov, clis, ncli, pairs, npairs,
			   verdict);
	if (fflush(stdout) || ferror(stdout))
		return EXIT_USAGE;
	free(pairs);
	free(provs);
	free(clis);
	free(devs);
	return ready && npairs && !ncannot ? 0 : 1;
}
