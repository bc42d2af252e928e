// SPDX-License-Identifier: GPL-2.0
/*
 * p2ptop's metrics for Prometheus. The text is the Prometheus exposition
 * format (0.0.4) that OpenMetrics also frames with "# EOF": counters are
 * typed under their _total name, and there are no # UNIT lines, _created
 * samples or timestamps. Debian bookworm's node_exporter 1.5 and promtool
 * 2.42 read OpenMetrics-only syntax as untyped metrics with no help, and
 * treat "# EOF" as a comment.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "hist.h"
#include "json.h"
#include "metrics.h"
#include "names.h"

static const int map_order[] = { P2P_MAP_BUS_ADDR, P2P_MAP_THRU_HOST_BRIDGE,
				 P2P_MAP_NOT_SUPPORTED };
#define NMAP (sizeof(map_order) / sizeof(map_order[0]))

/* the tables JSON reports as "lost", by the same names */
static const char *const lost_names[P2P_LOST_NR] = {
	[P2P_LOST_MAPS] = "maps", [P2P_LOST_IOS] = "ios", [P2P_LOST_PIDS] = "pids",
	[P2P_LOST_PAIRS] = "pairs", [P2P_LOST_PROVIDERS] = "providers",
	[P2P_LOST_NAMES] = "names", [P2P_LOST_NESTED] = "nested",
	[P2P_LOST_IOMMU] = "iommu", [P2P_LOST_DMAFAULTS] = "dmafaults", [P2P_LOST_HISTS] = "hists",
};

void metrics_label_value(FILE *f, const char *str, size_t n)
{
	size_t i = 0;

	fputc('"', f);
	while (i < n && str[i]) {
		size_t len = utf8_seq_len(str + i, n - i);

		if (!len) {
			fprintf(f, "\\\\x%02x", (unsigned char)str[i]);	/* the text \xNN */
			i++;
		} else if (str[i] == '\\' || str[i] == '"') {
			fprintf(f, "\\%c", str[i++]);
		} else if (str[i] == '\n') {
			fputs("\\n", f);
			i++;
		} else {
			fwrite(str + i, 1, len, f);
			i += len;
		}
	}
	fputc('"', f);
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void label(FILE *f, const char *key, const char *value, size_t n, bool first)
{
	fprintf(f, "%s%s=", first ? "" : ",", key);
	metrics_label_value(f, value, n);
}

/* name{provider="..."} (the value follows) */
static void provider_series(FILE *f, const char *name, const struct top_provider *p)
{
	fprintf(f, "%s{", name);
	label(f, "provider", p->bdf, sizeof(p->bdf), true);
	fputs("} ", f);
}

static void pair_series(FILE *f, const char *name, const struct top_pair *p)
{
	fprintf(f, "%s{", name);
	label(f, "provider", p->provider, sizeof(p->provider), true);
	label(f, "client", p->client, sizeof(p->client), false);
	fputs("} ", f);
}

/* a provider's BPF total, by its offset in struct top_provider */
struct provider_counter {
	const char *name, *help;
	size_t off;
};

#define NOW(field) offsetof(struct top_provider, now.field)

static const struct provider_counter provider_counters[] = {
	{ "p2pdma_allocs_total",
	  "Allocations from the provider's P2P memory since p2ptop started.", NOW(allocs) },
	{ "p2pdma_frees_total",
	  "Frees back to the provider's P2P memory since p2ptop started.", NOW(frees) },
	{ "p2pdma_allocated_bytes_total",
	  "Bytes allocated from the provider's P2P memory since p2ptop started.", NOW(alloc_bytes) },
	{ "p2pdma_freed_bytes_total",
	  "Bytes freed back to the provider's P2P memory since p2ptop started.", NOW(free_bytes) },
	{ "p2pdma_faults_total",
	  "Page faults of userspace mappings of the provider's memory, and mmaps of its sysfs "
	  "p2pmem/allocate file.", NOW(faults) },
};

static const struct provider_counter provider_io[] = {
	{ "p2pdma_fallbacks_total",
	  "Block requests on the provider's memory that the kernel refused to map peer-to-peer: "
	  "the I/O fails and the application must bounce it through host memory.", NOW(fallbacks) },
	{ "p2pdma_fallback_bytes_total",
	  "Bytes of the block requests refused for P2P.", NOW(fallback_bytes) },
	{ "p2pdma_io_requests_total",
	  "Block requests on the provider's memory that completed peer-to-peer.", NOW(ios) },
	{ "p2pdma_read_bytes_total",
	  "Bytes read from disks into the provider's memory, peer-to-peer.", NOW(read_bytes) },
	{ "p2pdma_written_bytes_total",
	  "Bytes written to disks from the provider's memory, peer-to-peer.", NOW(write_bytes) },
};

static void counter_family(FILE *f, const struct top_model *m, const struct provider_counter *c)
{
	family(f, c->name, "counter", c->help);
	for (int i = 0; i < m->nprov; i++) {
		__u64 v;

		memcpy(&v, (const char *)&m->prov[i] + c->off, sizeof(v));
		provider_series(f, c->name, &m->prov[i]);
		fprintf(f, "%llu\n", (unsigned long long)v);
	}
}

static void providers(FILE *f, const struct top_model *m)
{
	family(f, "p2pdma_provider_info", "gauge",
	       "A P2PDMA provider (PCI device with P2P memory, such as an NVMe CMB); name is "
	       "its nvme controller, if any.");
	for (int i = 0; i < m->nprov; i++) {
		const struct top_provider *p = &m->prov[i];

		fputs("p2pdma_provider_info{", f);
		label(f, "provider", p->bdf, sizeof(p->bdf), true);
		label(f, "name", p->name, sizeof(p->name), false);
		fputs("} 1\n", f);
	}
	family(f, "p2pdma_cmb_published", "gauge",
	       "1 if the provider publishes its P2P memory for any user (sysfs "
	       "p2pmem/published), else 0.");
	for (int i = 0; i < m->nprov; i++) {
		provider_series(f, "p2pdma_cmb_published", &m->prov[i]);
		fprintf(f, "%d\n", m->prov[i].published ? 1 : 0);
	}
	family(f, "p2pdma_cmb_size_bytes", "gauge",
	       "Size of the provider's P2P memory (sysfs p2pmem/size).");
	for (int i = 0; i < m->nprov; i++) {
		provider_series(f, "p2pdma_cmb_size_bytes", &m->prov[i]);
		fprintf(f, "%llu\n", (unsigned long long)m->prov[i].size);
	}
	family(f, "p2pdma_cmb_used_bytes", "gauge",
	       "P2P memory in use: size minus available.");
	for (int i = 0; i < m->nprov; i++) {
		provider_series(f, "p2pdma_cmb_used_bytes", &m->prov[i]);
		fprintf(f, "%llu\n", (unsigned long long)top_used(&m->prov[i]));
	}
	family(f, "p2pdma_cmb_available_bytes", "gauge",
	       "P2P memory free to allocate (sysfs p2pmem/available).");
	for (int i = 0; i < m->nprov; i++) {
		provider_series(f, "p2pdma_cmb_available_bytes", &m->prov[i]);
		fprintf(f, "%llu\n", (unsigned long long)m->prov[i].avail);
	}
	/* a count the kernel does not let us keep is left out, not shown as 0 */
	family(f, "p2pdma_live_mappings", "gauge",
	       "Live userspace mappings that hold the provider's memory (only where "
	       "p2pdma_held_tracked is 1).");
	for (int i = 0; m->live_tracked && i < m->nprov; i++) {
		provider_series(f, "p2pdma_live_mappings", &m->prov[i]);
		fprintf(f, "%lld\n", (long long)top_live(&m->prov[i]));
	}
	family(f, "p2pdma_held_bytes", "gauge",
	       "P2P memory those mappings hold (only where p2pdma_held_tracked is 1).");
	for (int i = 0; m->live_tracked && i < m->nprov; i++) {
		provider_series(f, "p2pdma_held_bytes", &m->prov[i]);
		fprintf(f, "%lld\n", (long long)top_held(&m->prov[i]));
	}
	for (size_t k = 0; k < sizeof(provider_counters) / sizeof(provider_counters[0]); k++)
		counter_family(f, m, &provider_counters[k]);
	family(f, "p2pdma_map_decisions_total", "counter",
	       "Map-type decisions for DMA to or from the provider's memory, by type: BUS_ADDR "
	       "through a switch, THRU_HOST_BRIDGE through the host bridge, NOT_SUPPORTED "
	       "refused.");
	for (int i = 0; i < m->nprov; i++)
		for (size_t k = 0; k < NMAP; k++) {
			fputs("p2pdma_map_decisions_total{", f);
			label(f, "provider", m->prov[i].bdf, sizeof(m->prov[i].bdf), true);
			fprintf(f, ",type=\"%s\"} %llu\n", map_type_name(map_order[k]),
				(unsigned long long)m->prov[i].now.maps[map_order[k]]);
		}
	for (size_t k = 0; k < sizeof(provider_io) / sizeof(provider_io[0]); k++)
		counter_family(f, m, &provider_io[k]);
}

static void pairs(FILE *f, const struct top_model *m)
{
	family(f, "p2pdma_pair_info", "gauge",
	       "A provider and a client (the device doing the DMA) seen together, the map type "
	       "decided most for them, and why P2P is refused (empty if it is not).");
	for (int i = 0; i < m->npair; i++) {
		const struct top_pair *p = &m->pair[i];

		fputs("p2pdma_pair_info{", f);
		label(f, "provider", p->provider, sizeof(p->provider), true);
		label(f, "client", p->client, sizeof(p->client), false);
		fprintf(f, ",map_type=\"%s\"", map_type_name(p->map_type));
		label(f, "reason", p->reason, sizeof(p->reason), false);
		fputs("} 1\n", f);
	}
	family(f, "p2pdma_pair_map_decisions_total", "counter",
	       "Map-type decisions for the pair, by type (as p2pdma_map_decisions_total).");
	for (int i = 0; i < m->npair; i++)
		for (size_t k = 0; k < NMAP; k++) {
			fputs("p2pdma_pair_map_decisions_total{", f);
			label(f, "provider", m->pair[i].provider, sizeof(m->pair[i].provider), true);
			label(f, "client", m->pair[i].client, sizeof(m->pair[i].client), false);
			fprintf(f, ",type=\"%s\"} %llu\n", map_type_name(map_order[k]),
				(unsigned long long)m->pair[i].now.maps[map_order[k]]);
		}
	family(f, "p2pdma_pair_fallbacks_total", "counter",
	       "Block requests of the pair refused for P2P.");
	for (int i = 0; i < m->npair; i++) {
		pair_series(f, "p2pdma_pair_fallbacks_total", &m->pair[i]);
		fprintf(f, "%llu\n", (unsigned long long)m->pair[i].now.fallbacks);
	}
	family(f, "p2pdma_pair_io_requests_total", "counter",
	       "Block requests of the pair that completed peer-to-peer.");
	for (int i = 0; i < m->npair; i++) {
		pair_series(f, "p2pdma_pair_io_requests_total", &m->pair[i]);
		fprintf(f, "%llu\n", (unsigned long long)m->pair[i].now.ios);
	}
	family(f, "p2pdma_pair_io_bytes_total", "counter",
	       "Bytes the pair moved peer-to-peer.");
	for (int i = 0; i < m->npair; i++) {
		pair_series(f, "p2pdma_pair_io_bytes_total", &m->pair[i]);
		fprintf(f, "%llu\n", (unsigned long long)m->pair[i].now.bytes);
	}
}

/* IOMMU faults of the pair: the client's DMA into the provider's BARs, blocked */
static void dma_faults(FILE *f, const struct top_model *m)
{
	family(f, "p2pdma_dma_faults_tracked", "gauge",
	       "1 if p2ptop sees the IOMMU's DMA faults on this kernel, so "
	       "p2pdma_dma_faults_total is exported, else 0.");
	fprintf(f, "p2pdma_dma_faults_tracked %d\n", m->dma_tracked ? 1 : 0);
	family(f, "p2pdma_dma_faults_total", "counter",
	       "IOMMU faults on the provider's BARs by the client's DMA (a P2P transfer the "
	       "IOMMU blocked, whatever the I/O reported), since p2ptop started (only where "
	       "p2pdma_dma_faults_tracked is 1).");
	for (int i = 0; i < m->npair && m->dma_tracked; i++) {
		pair_series(f, "p2pdma_dma_faults_total", &m->pair[i]);
		fprintf(f, "%llu\n", (unsigned long long)m->pair[i].dma_now.faults);
	}
}

static void hist_series(FILE *f, const char *suffix, const struct hist_row *t, const char *le)
{
	fprintf(f, "p2pdma_io_latency_seconds_%s{", suffix);
	label(f, "provider", t->provider, sizeof(t->provider), true);
	label(f, "client", t->client, sizeof(t->client), false);
	fprintf(f, ",map_type=\"%s\",op=\"%s\"", hist_map_name(t->map_type),
		t->write ? "write" : "read");
	if (le)
		fprintf(f, ",le=\"%s\"", le);
	fputs("} ", f);
}

/* Every bucket of every histogram, so a series keeps its buckets between scrapes. */
static void latency(FILE *f, const struct top_model *m)
{
	family(f, "p2pdma_io_latency_seconds", "histogram",
	       "Block I/O latency from the request's start (as the kernel's disk statistics take "
	       "it) to completion since p2ptop started: a pair's P2P "
	       "I/O by map type and op, and (map_type HOST, provider empty) the I/O through "
	       "host memory of a disk that is a P2P client, such as the bounce of a refused "
	       "request.");
	for (int i = 0; i < m->nhist; i++) {
		const struct hist_row *t = &m->hist[i];
		__u64 cum = 0;
		char le[32];

		for (int k = 0; k < P2P_HIST_SLOTS - 1; k++) {
			cum += t->h.slot[k];
			snprintf(le, sizeof(le), "%.9g", hist_hi_us(k) / 1e6);
			hist_series(f, "bucket", t, le);
			fprintf(f, "%llu\n", (unsigned long long)cum);
		}
		cum += t->h.slot[P2P_HIST_SLOTS - 1];
		hist_series(f, "bucket", t, "+Inf");
		fprintf(f, "%llu\n", (unsigned long long)cum);
		hist_series(f, "sum", t, NULL);
		fprintf(f, "%.9f\n", t->h.sum_ns / 1e9);
		hist_series(f, "count", t, NULL);
		fprintf(f, "%llu\n", (unsigned long long)cum);
	}
}

void metrics_write(const struct top_model *m, FILE *f)
{
	__u64 lost = 0;

	providers(f, m);
	pairs(f, m);
	dma_faults(f, m);
	latency(f, m);
	family(f, "p2pdma_held_tracked", "gauge",
	       "1 if the kernel lets p2ptop follow every mapping, so p2pdma_live_mappings and "
	       "p2pdma_held_bytes are exported, else 0.");
	fprintf(f, "p2pdma_held_tracked %d\n", m->live_tracked ? 1 : 0);
	family(f, "p2pdma_lost_total", "counter",
	       "Records the BPF side could not keep since p2ptop started, by table; the numbers "
	       "above miss them.");
	for (int i = P2P_LOST_MAPS; i < P2P_LOST_NR; i++) {
		fprintf(f, "p2pdma_lost_total{table=\"%s\"} %llu\n", lost_names[i],
			(unsigned long long)m->lost.n[i]);
		lost += m->lost.n[i];
	}
	family(f, "p2pdma_complete", "gauge",
	       "1 if every table was read and nothing was lost, else 0.");
	fprintf(f, "p2pdma_complete %d\n", !lost && !m->incomplete ? 1 : 0);
	fputs("# EOF\n", f);
}

/* ---- node_exporter's textfile collector ---- */

static char textfile_path[PATH_MAX];

static void remove_textfile(void)
{
	unlink(textfile_path);
}

int metrics_textfile(const struct top_model *m, const char *dir)
{
	static bool registered;
	char tmp[PATH_MAX];
	int fd, err = 0;
	FILE *f;

	if (snprintf(textfile_path, sizeof(textfile_path), "%s/%s", dir, METRICS_TEXTFILE) >=
	    (int)sizeof(textfile_path) ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, METRICS_TEXTFILE) >= (int)sizeof(tmp)) {
		fprintf(stderr, "p2ptop: textfile directory name too long: %s\n", dir);
		return -ENAMETOOLONG;
	}
	/* the collector reads *.prom only, so it never sees the partial file */
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = errno;
		fprintf(stderr, "p2ptop: cannot create a file in %s: %s\n", dir, strerror(err));
		return -err;
	}
	/* node_exporter runs as another user */
	if (fchmod(fd, 0644) || !(f = fdopen(fd, "w"))) {
		err = errno;
		close(fd);
	} else {
		/* no fsync: a reader needs the rename to be atomic, not durable */
		errno = 0;
		metrics_write(m, f);
		if (fflush(f) || ferror(f))
			err = errno ? errno : EIO;
		if (fclose(f) && !err)
			err = errno;
		if (!err && rename(tmp, textfile_path))
			err = errno;
	}
	if (err) {
		unlink(tmp);
		fprintf(stderr, "p2ptop: cannot write %s: %s\n", textfile_path, strerror(err));
		return -err;
	}
	if (!registered)
		atexit(remove_textfile);
	registered = true;
	return 0;
}

int metrics_report(const struct top_model *m, const char *dir, FILE *f)
{
	if (dir)
		return metrics_textfile(m, dir);
	metrics_write(m, f);
	return 0;
}
