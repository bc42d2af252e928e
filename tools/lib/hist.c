// SPDX-License-Identifier: GPL-2.0
/* Latency histograms: bounds, quantiles, biolatency-style text, JSON. */
#include <string.h>
#include "hist.h"
#include "names.h"
#include "sysfs.h"

double hist_lo_us(int k)
{
	return k <= 0 ? 0 : (double)(1ULL << k);
}

double hist_hi_us(int k)
{
	return k >= P2P_HIST_SLOTS - 1 ? -1 : (double)(2ULL << k);
}

__u64 hist_count(const struct p2p_hist *h)
{
	__u64 n = 0;

	for (int k = 0; k < P2P_HIST_SLOTS; k++)
		n += h->slot[k];
	return n;
}

void hist_merge(struct p2p_hist *dst, const struct p2p_hist *src)
{
	for (int k = 0; k < P2P_HIST_SLOTS; k++)
		dst->slot[k] += src->slot[k];
	dst->sum_ns += src->sum_ns;
}

double hist_quantile(const struct p2p_hist *h, double q)
{
	__u64 n = hist_count(h), below = 0;
	double rank;

	if (!n)
		return -1;
	q = q < 0 ? 0 : q > 1 ? 1 : q;
	rank = q * n;
	for (int k = 0; k < P2P_HIST_SLOTS; k++) {
		if (!h->slot[k] || below + h->slot[k] < rank) {
			below += h->slot[k];
			continue;
		}
		if (hist_hi_us(k) < 0)
			return hist_lo_us(k);
		return hist_lo_us(k) + (hist_hi_us(k) - hist_lo_us(k)) *
			(rank - below) / h->slot[k];
	}
	return hist_lo_us(P2P_HIST_SLOTS - 1);
}

void hist_us(double us, char *buf, size_t len)
{
	if (us < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, us < 10 ? "%.1f" : "%.0f", us);
}

const char *hist_map_name(int map_type)
{
	return map_type == P2P_HIST_HOST ? "HOST" : map_type_name(map_type);
}

bool hist_span(const struct p2p_hist *h, int *first, int *last)
{
	*first = *last = -1;
	for (int k = 0; k < P2P_HIST_SLOTS; k++)
		if (h->slot[k]) {
			if (*first < 0)
				*first = k;
			*last = k;
		}
	return *first >= 0;
}

void hist_line(const struct p2p_hist *h, int k, int stars, char *buf, size_t len)
{
	char bar[256], range[48];
	__u64 max = 0;
	int n;

	for (int i = 0; i < P2P_HIST_SLOTS; i++)
		max = h->slot[i] > max ? h->slot[i] : max;
	stars = stars < 0 ? 0 : stars > (int)sizeof(bar) - 1 ? (int)sizeof(bar) - 1 : stars;
	n = max ? (int)((h->slot[k] * stars + max - 1) / max) : 0;
	memset(bar, '*', n);
	memset(bar + n, ' ', stars - n);
	bar[stars] = 0;
	if (hist_hi_us(k) < 0)
		snprintf(range, sizeof(range), "%.0f ->", hist_lo_us(k));
	else
		snprintf(range, sizeof(range), "%.0f -> %.0f", hist_lo_us(k), hist_hi_us(k) - 1);
	snprintf(buf, len, "%21s : %-8llu |%s|", range, (unsigned long long)h->slot[k], bar);
}

void hist_print(const struct p2p_hist *h, FILE *f)
{
	char line[320];
	int first, last;

	if (!hist_span(h, &first, &last))
		return;
	fprintf(f, "%21s : %-8s %s\n", "usecs", "count", "distribution");
	for (int k = first; k <= last; k++) {
		hist_line(h, k, 40, line, sizeof(line));
		fprintf(f, "%s\n", line);
	}
}

void hist_json_us(struct json *j, const char *key, double us)
{
	json_key(j, key);
	if (us < 0)
		json_null(j);
	else
		json_double(j, us, 3);
}

void hist_json_fields(struct json *j, const struct p2p_hist *h)
{
	__u64 n = hist_count(h);

	json_kv_u64(j, "count", n);
	json_kv_double(j, "sum_us", h->sum_ns / 1e3, 3);
	hist_json_us(j, "p50_us", hist_quantile(h, 0.5));
	hist_json_us(j, "p99_us", hist_quantile(h, 0.99));
	json_key(j, "buckets");
	json_array_begin(j);
	for (int k = 0; k < P2P_HIST_SLOTS; k++) {
		if (!h->slot[k])
			continue;
		json_object_begin(j);
		json_kv_u64(j, "lo_us", (unsigned long long)hist_lo_us(k));
		json_key(j, "hi_us");
		if (hist_hi_us(k) < 0)
			json_null(j);
		else
			json_u64(j, (unsigned long long)hist_hi_us(k));
		json_kv_u64(j, "count", h->slot[k]);
		json_object_end(j);
	}
	json_array_end(j);
}

void hist_row_json(struct json *j, const struct hist_row *r)
{
	json_kv_string(j, "map_type", hist_map_name(r->map_type));
	json_kv_string(j, "op", r->write ? "write" : "read");
	hist_json_fields(j, &r->h);
}

void hist_row_print(const struct hist_row *r, FILE *f)
{
	char prov[64], cli[64], p50[16], p99[16], mean[16];
	__u64 n = hist_count(&r->h);

	pci_display_name(r->client, cli, sizeof(cli));
	hist_us(hist_quantile(&r->h, 0.5), p50, sizeof(p50));
	hist_us(hist_quantile(&r->h, 0.99), p99, sizeof(p99));
	hist_us(n ? r->h.sum_ns / 1e3 / n : -1, mean, sizeof(mean));
	if (r->map_type == P2P_HIST_HOST)
		fprintf(f, "\nhost memory -> %s, %s (not P2P: the disk's other I/O, bounces "
			"included)", cli, r->write ? "write" : "read");
	else
		fprintf(f, "\n%s -> %s, %s, %s", pci_display_name(r->provider, prov, sizeof(prov)),
			cli, map_type_name(r->map_type), r->write ? "write" : "read");
	fprintf(f, ": %llu I/Os, p50 %s us, p99 %s us, mean %s us\n", (unsigned long long)n,
		p50, p99, mean);
	hist_print(&r->h, f);
}
