// SPDX-License-Identifier: GPL-2.0
/* p2ptrace output: one text line or JSON object per event, and a summary. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "fmt.h"
#include "iommu.h"
#include "hist.h"
#include "json.h"
#include "names.h"
#include "sysfs.h"

void trace_header(const struct trace_opts *o, FILE *f)
{
	if (o->json)
		return;
	fprintf(f, "%-12s %7s %-16s %-8s %-12s %-12s %-6s %8s %7s %s\n",
		"TIME", "PID", "COMM", "EVENT", "PROVIDER", "CLIENT", "MAP",
		"BYTES", "LAT(us)", "RESULT");
}

static double since_start(const struct trace_state *s, __u64 ts)
{
	return ts >= s->start_ns ? (ts - s->start_ns) / 1e9 : 0.0;
}

static void wall_time(const struct trace_state *s, __u64 ts, char *buf, size_t len)
{
	long long real = (long long)ts + s->real_offset_ns;
	time_t secs = real / 1000000000LL;
	struct tm tm;

	localtime_r(&secs, &tm);
	strftime(buf, len, "%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), len - strlen(buf), ".%03lld", real / 1000000 % 1000);
}

static bool is_io(const struct p2p_event *e)
{
	return e->type == P2P_EV_IO || e->type == P2P_EV_FALLBACK;
}

static bool has_map_type(const struct p2p_event *e)
{
	return e->type == P2P_EV_MAP || is_io(e);
}

static bool has_bytes(const struct p2p_event *e)
{
	return e->type != P2P_EV_MAP && e->type != P2P_EV_DMAFAULT;
}

static bool is_dmafault(const struct p2p_event *e)
{
	return e->type == P2P_EV_DMAFAULT;
}

/* a dmafault's devices are PCI ids (include/p2pscope.h), named here */
static const char *dev_of_buf(const struct trace_state *s, const struct p2p_event *e, __u64 dev,
			      char *buf, size_t len)
{
	if (is_dmafault(e)) {
		snprintf(buf, len, "%04x:%02x:%02x.%x", (unsigned int)(dev >> 16) & 0xffff,
			 (unsigned int)(dev >> 8) & 0xff, (unsigned int)(dev >> 3) & 0x1f,
			 (unsigned int)dev & 7);
		return buf;
	}
	return dev && s->dev_name ? s->dev_name(s->ctx, dev) : "";
}

#define dev_of(s, e, dev) dev_of_buf(s, e, dev, (char[24]){ 0 }, 24)

static int fault_kind(const struct p2p_event *e)
{
	return e->flags & P2P_F_AMD ? IOMMU_KIND_AMD : IOMMU_KIND_INTEL;
}

static const char *fault_dir(const struct p2p_event *e)
{
	return iommu_dir_name(e->flags & P2P_F_WRITE ? IOMMU_DIR_WRITE : IOMMU_DIR_READ);
}

static void format_json(const struct trace_state *s, const struct p2p_event *e, FILE *f)
{
	char pbuf[24], cbuf[24];
	const char *prov = dev_of_buf(s, e, e->provider, pbuf, sizeof(pbuf));
	const char *cli = dev_of_buf(s, e, e->client, cbuf, sizeof(cbuf));
	char name[64], disk[64], rbuf[32], when[64];
	const char *dname = e->dev && is_io(e) ? disk_name(e->dev, disk, sizeof(disk)) : NULL;
	struct json j;

	wall_time(s, e->ts_ns, when, sizeof(when));
	json_init(&j, f);
	json_object_begin(&j);
	json_kv_double(&j, "ts", since_start(s, e->ts_ns), 6);
	json_kv_string(&j, "time", when);
	json_kv_u64(&j, "pid", e->pid);
	json_kv_u64(&j, "tid", e->tid);
	json_key(&j, "comm");
	json_string_n(&j, e->comm, P2P_COMM_LEN);
	json_kv_string(&j, "event", event_name(e->type));
	json_kv_string(&j, "provider", prov[0] ? prov : NULL);
	json_kv_string(&j, "provider_name", prov[0] ? pci_nvme_name(prov, name, sizeof(name)) : NULL);
	json_kv_string(&j, "client", cli[0] ? cli : NULL);
	json_kv_string(&j, "client_name", cli[0] ? pci_nvme_name(cli, name, sizeof(name)) : NULL);
	json_kv_string(&j, "map_type", has_map_type(e) ? map_type_name(e->map_type) : NULL);
	json_key(&j, "bytes");
	if (has_bytes(e))
		json_u64(&j, e->bytes);
	else
		json_null(&j);
	json_key(&j, "lat_us");
	if (is_io(e) && e->aux)
		json_double(&j, e->aux / 1e3, 3);
	else
		json_null(&j);
	json_kv_string(&j, "result", result_name(e, rbuf, sizeof(rbuf)));
	json_kv_u64(&j, "errno", result_errno(e));
	json_kv_string(&j, "disk", dname);
	json_kv_string(&j, "op", is_io(e) ? (e->flags & P2P_F_WRITE ? "write" : "read") : NULL);
	json_key(&j, "handoff");
	if (is_io(e))
		json_bool(&j, e->flags & P2P_F_HANDOFF);
	else
		json_null(&j);
	json_key(&j, "address");
	if (e->type == P2P_EV_FAULT || e->type == P2P_EV_CLOSE || is_dmafault(e))
		json_u64(&j, e->aux);
	else
		json_null(&j);
	json_key(&j, "available");
	if (e->flags & P2P_F_AVAIL)
		json_u64(&j, e->aux);
	else
		json_null(&j);
	json_key(&j, "cached");
	if (e->type == P2P_EV_MAP && (e->flags & P2P_F_CACHEKNOWN))
		json_bool(&j, e->flags & P2P_F_CACHED);
	else
		json_null(&j);
	json_key(&j, "allocated");
	if (e->type == P2P_EV_FAULT)
		json_bool(&j, e->flags & P2P_F_ALLOCATED);
	else
		json_null(&j);
	json_key(&j, "mappings");
	if (e->type == P2P_EV_REVOKE)
		json_u64(&j, e->aux);
	else
		json_null(&j);
	/* dmafault: what the IOMMU refused */
	json_kv_string(&j, "direction", is_dmafault(e) ? fault_dir(e) : NULL);
	json_key(&j, "bar");
	if (is_dmafault(e))
		json_u64(&j, e->bytes);
	else
		json_null(&j);
	json_kv_string(&j, "iommu", is_dmafault(e) ? iommu_kind_name(fault_kind(e)) : NULL);
	json_key(&j, "reason");
	if (is_dmafault(e))
		json_u64(&j, e->dev);
	else
		json_null(&j);
	json_kv_string(&j, "reason_text", is_dmafault(e) ? iommu_reason_text(fault_kind(e), e->dev) : NULL);
	json_key(&j, "pasid");
	if (is_dmafault(e) && (e->flags & P2P_F_PASID))
		json_u64(&j, e->tid);
	else
		json_null(&j);
	json_object_end(&j);
}

static void format_text(const struct trace_state *s, const struct trace_opts *o,
			const struct p2p_event *e, FILE *f)
{
	char pname[64], cname[64], disk[64], rbuf[32], tbuf[64], lat[32], bytes[32], comm[80];
	const char *dname = e->dev && is_io(e) ? disk_name(e->dev, disk, sizeof(disk)) : NULL;
	const char *pn, *cn;
	char result[256];

	if (o->wallclock)
		wall_time(s, e->ts_ns, tbuf, sizeof(tbuf));
	else
		snprintf(tbuf, sizeof(tbuf), "%.6f", since_start(s, e->ts_ns));
	pn = pci_display_name(dev_of(s, e, e->provider), pname, sizeof(pname));
	/* an I/O's client is best named by its disk */
	cn = dname ? dname : pci_display_name(dev_of(s, e, e->client), cname, sizeof(cname));
	if (is_dmafault(e))
		snprintf(result, sizeof(result), "blocked: %s at 0x%llx (BAR %llu): %s (%s 0x%02x)",
			 fault_dir(e), (unsigned long long)e->aux, (unsigned long long)e->bytes,
			 iommu_reason_text(fault_kind(e), e->dev),
			 fault_kind(e) == IOMMU_KIND_AMD ? "AMD-Vi flags" : "DMAR fault reason",
			 e->dev);
	else
		snprintf(result, sizeof(result), "%s", result_name(e, rbuf, sizeof(rbuf)));
	snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)e->bytes);
	if (is_io(e) && e->aux)
		snprintf(lat, sizeof(lat), "%.1f", e->aux / 1e3);
	else
		snprintf(lat, sizeof(lat), "-");
	fprintf(f, "%-12s %7u %-16s %-8s %-12.12s %-12.12s %-6s %8s %7s %s\n",
		/* a dmafault comes from an interrupt: no task's */
		tbuf, e->pid, is_dmafault(e) ? "-" : text_safe(comm, sizeof(comm), e->comm, P2P_COMM_LEN),
		event_name(e->type), pn, cn,
		has_map_type(e) ? map_type_short(e->map_type) : "-",
		has_bytes(e) ? bytes : "-", lat, result);
}

void trace_event(struct trace_state *s, const struct trace_opts *o,
		 const struct p2p_event *e, FILE *f)
{
	if (e->type <= 0 || e->type >= P2P_EV_MAX)
		return;
	s->count[e->type]++;
	if (e->type == P2P_EV_IO && !e->result)
		s->io_bytes[e->map_type < P2P_MAP_NR ? e->map_type : 0] += e->bytes;
	if (e->type == P2P_EV_FALLBACK)
		s->fallback_bytes += e->bytes;
	if (o->json)
		format_json(s, e, f);
	else
		format_text(s, o, e, f);
}

/* pairs by provider, client, map type, reads first; host memory last */
static int row_order(const void *x, const void *y)
{
	const struct hist_row *a = x, *b = y;
	int r = (a->map_type == P2P_HIST_HOST) - (b->map_type == P2P_HIST_HOST);

	if (!r)
		r = strcmp(a->provider, b->provider);
	if (!r)
		r = strcmp(a->client, b->client);
	if (!r)
		r = a->map_type - b->map_type;
	return r ? r : a->write - b->write;
}

void trace_hists(const struct trace_opts *o, struct hist_row *rows, int n, __u64 lost, FILE *f)
{
	char name[64];
	struct json j;

	qsort(rows, n, sizeof(*rows), row_order);
	for (int i = 0; i < n; i++) {
		const struct hist_row *r = &rows[i];

		if (!o->json) {
			hist_row_print(r, f);
			continue;
		}
		json_init(&j, f);
		json_object_begin(&j);
		json_key(&j, "hist");
		json_object_begin(&j);
		json_kv_string(&j, "provider", r->provider[0] ? r->provider : NULL);
		json_kv_string(&j, "client", r->client[0] ? r->client : NULL);
		json_kv_string(&j, "client_name",
			       r->client[0] ? pci_nvme_name(r->client, name, sizeof(name)) : NULL);
		hist_row_json(&j, r);
		json_object_end(&j);
		json_object_end(&j);
	}
	if (!o->json && !n)
		fprintf(f, "\nno block I/O was timed\n");
	if (!o->json && lost)
		fprintf(f, "\nI/Os not timed: %llu (a histogram table was full)\n",
			(unsigned long long)lost);
}

void trace_summary(const struct trace_state *s, const struct trace_opts *o, FILE *f)
{
	static const int order[] = { P2P_MAP_BUS_ADDR, P2P_MAP_THRU_HOST_BRIDGE,
				     P2P_MAP_NOT_SUPPORTED, P2P_MAP_UNKNOWN };
	__u64 total = 0;
	struct json j;

	for (int t = 1; t < P2P_EV_MAX; t++)
		total += s->count[t];
	if (o->json) {
		json_init(&j, f);
		json_object_begin(&j);
		json_key(&j, "summary");
		json_object_begin(&j);
		json_key(&j, "events");
		json_object_begin(&j);
		for (int t = 1; t < P2P_EV_MAX; t++)
			json_kv_u64(&j, event_name(t), s->count[t]);
		json_object_end(&j);
		json_key(&j, "io_bytes");
		json_object_begin(&j);
		for (int i = 0; i < 4; i++)
			json_kv_u64(&j, map_type_name(order[i]), s->io_bytes[order[i]]);
		json_object_end(&j);
		json_kv_u64(&j, "fallback_bytes", s->fallback_bytes);
		/* drops: every event missing from the trace, whatever the cause */
		json_kv_u64(&j, "drops", s->lost + s->skipped + s->untracked);
		json_key(&j, "lost");
		json_object_begin(&j);
		json_kv_u64(&j, "ringbuf", s->lost);
		json_kv_u64(&j, "nested", s->skipped);
		json_kv_u64(&j, "ios", s->untracked);
		/* overflows of the IOMMU's fault log: each an unknown number of faults */
		json_kv_u64(&j, "iommu", s->iommu_lost);
		json_object_end(&j);
		/* DMA faults that hit no provider's BAR: no P2P, not shown */
		json_key(&j, "dmafaults_other");
		if (s->dmafault_hooked)
			json_u64(&j, s->dma_other);
		else
			json_null(&j);
		json_object_end(&j);
		json_object_end(&j);
		return;
	}
	fprintf(f, "\n%llu events:", (unsigned long long)total);
	for (int t = 1; t < P2P_EV_MAX; t++)
		fprintf(f, " %s %llu%s", event_name(t), (unsigned long long)s->count[t],
			t < P2P_EV_MAX - 1 ? "," : "\n");
	fprintf(f, "I/O bytes by map type:");
	for (int i = 0; i < 4; i++)
		fprintf(f, " %s %llu,", map_type_name(order[i]), (unsigned long long)s->io_bytes[order[i]]);
	fprintf(f, " fallback %llu\n", (unsigned long long)s->fallback_bytes);
	fprintf(f, "dropped events: %llu%s\n", (unsigned long long)s->lost,
		s->lost ? " (the ring buffer was full: events are missing above)" : "");
	if (s->skipped)
		fprintf(f, "skipped hook runs: %llu (the kernel did not run a hook nested in "
			"itself on one CPU: events are missing above)\n",
			(unsigned long long)s->skipped);
	if (s->untracked)
		fprintf(f, "untracked P2P I/Os: %llu (done, but not recorded when issued: io events "
			"are missing above)\n", (unsigned long long)s->untracked);
	if (s->iommu_lost)
		fprintf(f, "IOMMU fault log overflows: %llu (the IOMMU, or the hook, dropped fault "
			"records: dmafault events are missing above, how many is not known)\n",
			(unsigned long long)s->iommu_lost);
	if (s->dma_other)
		fprintf(f, "IOMMU faults outside the providers' BARs (not P2P, not shown): %llu\n",
			(unsigned long long)s->dma_other);
}
