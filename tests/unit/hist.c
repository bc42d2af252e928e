// SPDX-License-Identifier: GPL-2.0
/*
 * Latency histograms: bucket bounds, counts, quantiles interpolated as
 * Prometheus' histogram_quantile() does, the biolatency-style lines and the
 * JSON fields.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include "hist.h"
#include "unit.h"

static bool near(double a, double b)
{
	return fabs(a - b) < 1e-9;
}

int main(void)
{
	struct p2p_hist h = {}, o = {};
	char line[320], *buf = NULL;
	size_t len = 0;
	int first, last;
	struct json j;
	FILE *f;

	/* slot 0 is 0 and 1 us, slot k [2^k, 2^(k+1)), the last one open */
	CHECK(hist_lo_us(0) == 0 && hist_hi_us(0) == 2);
	CHECK(hist_lo_us(1) == 2 && hist_hi_us(1) == 4);
	CHECK(hist_lo_us(6) == 64 && hist_hi_us(6) == 128);
	CHECK(hist_hi_us(P2P_HIST_SLOTS - 1) < 0);
	CHECK(hist_quantile(&h, 0.5) < 0);
	CHECK(!hist_span(&h, &first, &last));

	h.slot[6] = 2;
	CHECK(hist_count(&h) == 2);
	/* rank 1 of 2 in [64, 128): halfway */
	CHECK(near(hist_quantile(&h, 0.5), 96));
	CHECK(near(hist_quantile(&h, 0.99), 64 + 64 * 0.99));
	/* the rank falls in the lower bucket until it is full */
	h.slot[3] = 2;
	CHECK(near(hist_quantile(&h, 0.5), 16));
	CHECK(near(hist_quantile(&h, 0.25), 12));
	CHECK(near(hist_quantile(&h, 0.75), 96));
	/* a rank in the open bucket is its lower bound */
	h.slot[P2P_HIST_SLOTS - 1] = 100;
	CHECK(near(hist_quantile(&h, 0.99), hist_lo_us(P2P_HIST_SLOTS - 1)));
	h.slot[P2P_HIST_SLOTS - 1] = 0;
	CHECK(hist_span(&h, &first, &last) && first == 3 && last == 6);

	o.slot[3] = 1;
	o.sum_ns = 5;
	hist_merge(&o, &h);
	CHECK(o.slot[3] == 3 && o.slot[6] == 2 && o.sum_ns == 5);

	hist_line(&h, 6, 10, line, sizeof(line));
	CHECK_STR(line, "            64 -> 127 : 2        |**********|");
	hist_line(&h, 0, 10, line, sizeof(line));
	CHECK_STR(line, "               0 -> 1 : 0        |          |");
	h.slot[P2P_HIST_SLOTS - 1] = 1;
	hist_line(&h, P2P_HIST_SLOTS - 1, 4, line, sizeof(line));
	CHECK_STR(line, "          67108864 -> : 1        |**  |");

	hist_us(-1, line, sizeof(line));
	CHECK_STR(line, "-");
	hist_us(1.25, line, sizeof(line));
	CHECK_STR(line, "1.2");
	hist_us(96, line, sizeof(line));
	CHECK_STR(line, "96");
	CHECK_STR(hist_map_name(P2P_HIST_HOST), "HOST");
	CHECK_STR(hist_map_name(P2P_MAP_BUS_ADDR), "BUS_ADDR");

	memset(&h, 0, sizeof(h));
	h.slot[6] = 2;
	h.sum_ns = 200000;
	f = open_memstream(&buf, &len);
	json_init(&j, f);
	json_object_begin(&j);
	hist_json_fields(&j, &h);
	json_object_end(&j);
	fclose(f);
	CHECK_STR(buf, "{\"count\":2,\"sum_us\":200.000,\"p50_us\":96.000,\"p99_us\":127.360,"
		  "\"buckets\":[{\"lo_us\":64,\"hi_us\":128,\"count\":2}]}\n");
	free(buf);
	return unit_done("hist");
}
