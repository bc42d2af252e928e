// SPDX-License-Identifier: GPL-2.0
/* p2ptrace output: one text line or JSON object per event, and a summary. */
#define _GNU_SOURCE
#include <string.h>
#include <time.h>
#include "trace_fmt.h"

bool trace_wanted(const struct trace_opts *o, const struct p2p_event *e)
{
	if (e->type <= 0 || e->type >= P2P_EV_MAX || !(o->events & (1 << e->type)))
		return false;
	if (o->pid && e->pid != o->pid)
		return false;
	if (o->disk && e->dev != o->disk)
		return false;
	if (o->provider[0] && strncmp(e->provider, o->provider, P2P_NAME_LEN))
		return false;
	if (o->failures && !event_is_failure(e))
		return false;
	return true;
}

void trace_header(const struct trace_opts *o, FILE *f)
{
	if (o->json)
		return;
	fprintf(f, "%-12s %7s %-10s %-8s %-12s %-12s %-6s %8s %7s %s\n",
		"TIME", "PID", "COMM", "EVENT", "PROVIDER", "CLIENT", "MAP",
		"BYTES", "LAT(us)", "RESULT");
}

static void fmt_time(const struct trace_state *s, const struct trace_opts *o,
		     __u64 ts, char *buf, size_t len)
{
	long long real = (long long)ts + s->real_offset_ns;
	time_t secs = real / 1000000000LL;
	struct tm tm;

	if (!o->wallclock) {
		snprintf(buf, len, "%.6f", ts >= s->start_ns ? (ts - s->start_ns) / 1e9 : 0.0);
		return;
	}
	localtime_r(&secs, &tm);
	strftime(buf, len, "%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), len - strlen(buf), ".%03lld", real / 1000000 % 1000);
}

static bool has_map_type(const struct p2p_event *e)
{
	return e->type == P2P_EV_MAP ||
	       ((e->type == P2P_EV_IO || e->type == P2P_EV_FALLBACK) && (e->flags & P2P_F_MAPKNOWN));
}

static bool has_bytes(const struct p2p_event *e)
{
	return e->type != P2P_EV_MAP;
}

static bool has_latency(const struct p2p_event *e)
{
	return (e->type == P2P_EV_IO || e->type == P2P_EV_FALLBACK) && e->lat_ns;
}

static void json_opt_str(FILE *f, const char *key, const char *val)
{
	fprintf(f, ",\"%s\":", key);
	if (val && val[0])
		json_str(f, val);
	else
		fputs("null", f);
}

void trace_format(const struct trace_state *s, const struct trace_opts *o,
		  const struct p2p_event *e, FILE *f)
{
	char prov[P2P_NAME_LEN + 1] = "", cli[P2P_NAME_LEN + 1] = "", comm[P2P_COMM_LEN + 1] = "";
	char pname[64], cname[64], disk[64], rbuf[32], tbuf[64], when[64], lat[32], bytes[32];
	const char *dname = NULL, *pn, *cn;

	memcpy(prov, e->provider, P2P_NAME_LEN);
	memcpy(cli, e->client, P2P_NAME_LEN);
	memcpy(comm, e->comm, P2P_COMM_LEN);
	if (e->dev)
		dname = disk_name(e->dev, disk, sizeof(disk));

	if (o->json) {
		struct trace_opts wall = *o;

		fmt_time(s, o, e->ts_ns, tbuf, sizeof(tbuf));
		wall.wallclock = true;
		fmt_time(s, &wall, e->ts_ns, when, sizeof(when));
		fprintf(f, "{\"ts\":%.6f,\"time\":\"%s\",\"pid\":%u,\"tid\":%u,\"comm\":",
			e->ts_ns >= s->start_ns ? (e->ts_ns - s->start_ns) / 1e9 : 0.0,
			when, e->pid, e->tid);
		json_str(f, comm);
		fprintf(f, ",\"event\":\"%s\"", event_name(e->type));
		json_opt_str(f, "provider", prov);
		json_opt_str(f, "provider_name", prov[0] ? pci_nvme_name(prov, pname, sizeof(pname)) : NULL);
		json_opt_str(f, "client", cli);
		json_opt_str(f, "client_name", cli[0] ? pci_nvme_name(cli, cname, sizeof(cname)) : NULL);
		json_opt_str(f, "map_type", has_map_type(e) ? map_type_name(e->map_type) : NULL);
		if (has_bytes(e))
			fprintf(f, ",\"bytes\":%llu", (unsigned long long)e->bytes);
		else
			fputs(",\"bytes\":null", f);
		if (has_latency(e))
			fprintf(f, ",\"lat_us\":%.3f", e->lat_ns / 1e3);
		else
			fputs(",\"lat_us\":null", f);
		fprintf(f, ",\"result\":\"%s\",\"errno\":%d", result_name(e->result, rbuf, sizeof(rbuf)),
			e->result < 0 && e->result != P2P_RESULT_SIGBUS ? -e->result : 0);
		json_opt_str(f, "disk", dname);
		if (e->type == P2P_EV_IO || e->type == P2P_EV_FALLBACK)
			fprintf(f, ",\"sector\":%llu,\"op\":\"%s\"", (unsigned long long)e->sector,
				e->flags & P2P_F_WRITE ? "write" : "read");
		else
			fputs(",\"sector\":null,\"op\":null", f);
		if (e->flags & P2P_F_AVAIL)
			fprintf(f, ",\"available\":%llu", (unsigned long long)e->avail);
		else
			fputs(",\"available\":null", f);
		fprintf(f, ",\"cached\":%s,\"allocated\":%s}\n",
			e->type == P2P_EV_MAP ? (e->flags & P2P_F_CACHED ? "true" : "false") : "null",
			e->type == P2P_EV_FAULT ? (e->flags & P2P_F_ALLOCATED ? "true" : "false") : "null");
		return;
	}

	fmt_time(s, o, e->ts_ns, tbuf, sizeof(tbuf));
	pn = show_pci(prov, pname, sizeof(pname));
	/* an I/O's client is best named by its disk */
	cn = dname ? dname : show_pci(cli, cname, sizeof(cname));
	snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)e->bytes);
	if (has_latency(e))
		snprintf(lat, sizeof(lat), "%.1f", e->lat_ns / 1e3);
	else
		snprintf(lat, sizeof(lat), "-");
	fprintf(f, "%-12s %7u %-10.10s %-8s %-12.12s %-12.12s %-6s %8s %7s %s\n",
		tbuf, e->pid, comm, event_name(e->type), pn, cn,
		has_map_type(e) ? map_type_short(e->map_type) : "-",
		has_bytes(e) ? bytes : "-", lat, result_name(e->result, rbuf, sizeof(rbuf)));
}

void trace_event(struct trace_state *s, const struct trace_opts *o,
		 const struct p2p_event *e, FILE *f)
{
	if (!trace_wanted(o, e))
		return;
	s->count[e->type]++;
	if (e->type == P2P_EV_IO && !e->result)
		s->io_bytes[e->map_type < P2P_MAP_NR ? e->map_type : 0] += e->bytes;
	if (e->type == P2P_EV_FALLBACK)
		s->fallback_bytes += e->bytes;
	trace_format(s, o, e, f);
}

void trace_summary(const struct trace_state *s, const struct trace_opts *o, FILE *f)
{
	static const int order[] = { P2P_MAP_BUS_ADDR, P2P_MAP_THRU_HOST_BRIDGE,
				     P2P_MAP_NOT_SUPPORTED, P2P_MAP_UNKNOWN };
	__u64 total = 0;

	for (int t = 1; t < P2P_EV_MAX; t++)
		total += s->count[t];
	if (o->json) {
		fputs("{\"summary\":{\"events\":{", f);
		for (int t = 1; t < P2P_EV_MAX; t++)
			fprintf(f, "%s\"%s\":%llu", t > 1 ? "," : "", event_name(t),
				(unsigned long long)s->count[t]);
		fputs("},\"io_bytes\":{", f);
		for (int i = 0; i < 4; i++)
			fprintf(f, "%s\"%s\":%llu", i ? "," : "", map_type_name(order[i]),
				(unsigned long long)s->io_bytes[order[i]]);
		fprintf(f, "},\"fallback_bytes\":%llu,\"drops\":%llu}}\n",
			(unsigned long long)s->fallback_bytes, (unsigned long long)s->drops);
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
	fprintf(f, "dropped events: %llu%s\n", (unsigned long long)s->drops,
		s->drops ? " (the ring buffer was full: events are missing above)" : "");
}
