// SPDX-License-Identifier: GPL-2.0
/* p2ptrace formatting, JSON escaping, parsing and sysfs name resolution. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "trace_fmt.h"
#include "unit.h"

static char root[] = "/tmp/p2pscope-unit.XXXXXX";

static void mk(const char *rel)
{
	char path[512], *p;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = 0;
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
}

static void put(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static void link_to(const char *target, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	CHECK(symlink(target, path) == 0);
}

/* A fake /sys: provider 0000:03:00.0 = nvme1 with a CMB, nvme2 without. */
static void fake_sysfs(void)
{
	CHECK(mkdtemp(root) != NULL);
	mk("bus/pci/devices/0000:03:00.0/nvme/nvme1");
	mk("bus/pci/devices/0000:03:00.0/p2pmem");
	mk("bus/pci/devices/0000:04:00.0/nvme/nvme2");
	mk("class/nvme/nvme1");
	link_to("../../bus/pci/devices/0000:03:00.0", "class/nvme/nvme1/device");
	mk("class/block/nvme2n1");
	put("class/block/nvme2n1/dev", "259:1\n");
	mk("dev/block");
	link_to("../../devices/pci0000:00/0000:04:00.0/nvme/nvme2/nvme2n1", "dev/block/259:1");
	setenv("P2PSCOPE_SYSFS", root, 1);
}

static char *render(const struct trace_opts *o, const struct p2p_event *e)
{
	static struct trace_state s = { .start_ns = 1000000000ULL };
	static char buf[4096];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	trace_format(&s, o, e, f);
	fclose(f);
	return buf;
}

static struct p2p_event io_event(void)
{
	struct p2p_event e = {
		.ts_ns = 3500000000ULL, .bytes = 65536, .lat_ns = 123400,
		.pid = 4242, .tid = 4242, .dev = (259U << 20) | 1,
		.result = -121, .type = P2P_EV_FALLBACK,
		.map_type = P2P_MAP_NOT_SUPPORTED, .flags = P2P_F_MAPKNOWN | P2P_F_WRITE,
	};

	memcpy(e.provider, "0000:03:00.0", 13);
	memcpy(e.client, "0000:00:04.0", 13);
	memcpy(e.comm, "p2pcheck", 9);
	return e;
}

static void test_names(void)
{
	char buf[64];

	CHECK_STR(pci_nvme_name("0000:03:00.0", buf, sizeof(buf)), "nvme1");
	CHECK(pci_nvme_name("0000:05:00.0", buf, sizeof(buf)) == NULL);
	CHECK_STR(resolve_pci("nvme1", buf, sizeof(buf)), "0000:03:00.0");
	CHECK_STR(resolve_pci("/dev/nvme1", buf, sizeof(buf)), "0000:03:00.0");
	CHECK_STR(resolve_pci("0000:04:00.0", buf, sizeof(buf)), "0000:04:00.0");
	CHECK(resolve_pci("0000:09:00.0", buf, sizeof(buf)) == NULL);
	CHECK(resolve_pci("nvme7", buf, sizeof(buf)) == NULL);
	CHECK(resolve_pci("0000:03:00", buf, sizeof(buf)) == NULL);
	CHECK(pci_is_provider("0000:03:00.0"));
	CHECK(!pci_is_provider("0000:04:00.0"));
	CHECK(count_providers() == 1);
	CHECK(resolve_disk("nvme2n1") == ((259U << 20) | 1));
	CHECK(resolve_disk("/dev/nvme2n1") == ((259U << 20) | 1));
	CHECK(resolve_disk("nvme9n1") == 0);
	CHECK(resolve_disk("../nvme2n1") == 0);
	CHECK_STR(disk_name((259U << 20) | 1, buf, sizeof(buf)), "nvme2n1");
	CHECK_STR(show_pci("0000:04:00.0", buf, sizeof(buf)), "nvme2");
	CHECK_STR(show_pci("0000:00:1f.0", buf, sizeof(buf)), "0000:00:1f.0");
	CHECK_STR(show_pci("", buf, sizeof(buf)), "-");
}

static void test_parsing(void)
{
	unsigned long v;
	double d;

	CHECK(parse_ulong("42", 100, &v) && v == 42);
	CHECK(!parse_ulong("101", 100, &v));
	CHECK(!parse_ulong("-1", 100, &v));
	CHECK(!parse_ulong("4x", 100, &v));
	CHECK(!parse_ulong("", 100, &v));
	CHECK(!parse_ulong(" 4", 100, &v));
	CHECK(!parse_ulong("99999999999999999999999", ~0UL, &v));
	CHECK(parse_seconds("2.5", &d) && d == 2.5);
	CHECK(!parse_seconds("0", &d));
	CHECK(!parse_seconds("-1", &d));
	CHECK(!parse_seconds("1s", &d));
	CHECK(!parse_seconds("nan", &d));
	CHECK(events_parse("io,fallback") == ((1 << P2P_EV_IO) | (1 << P2P_EV_FALLBACK)));
	CHECK(events_parse("alloc") == 1 << P2P_EV_ALLOC);
	CHECK(events_parse("io,bogus") == -1);
	CHECK(events_parse("") == -1);
	CHECK(events_parse(",") == -1);
	CHECK(event_parse("revoke") == P2P_EV_REVOKE);
}

static void test_values(void)
{
	char buf[32];

	CHECK_STR(result_name(0, buf, sizeof(buf)), "ok");
	CHECK_STR(result_name(-121, buf, sizeof(buf)), "EREMOTEIO");
	CHECK_STR(result_name(-22, buf, sizeof(buf)), "EINVAL");
	CHECK_STR(result_name(P2P_RESULT_SIGBUS, buf, sizeof(buf)), "SIGBUS");
	CHECK_STR(result_name(-4000, buf, sizeof(buf)), "-4000");
	CHECK_STR(map_type_name(P2P_MAP_BUS_ADDR), "BUS_ADDR");
	CHECK_STR(map_type_short(P2P_MAP_THRU_HOST_BRIDGE), "HOSTBR");
	CHECK_STR(map_type_short(P2P_MAP_NOT_SUPPORTED), "NOSUP");
	CHECK_STR(map_type_name(9), "UNKNOWN");
	CHECK_STR(event_name(P2P_EV_FALLBACK), "fallback");
	CHECK_STR(event_name(0), "?");
	CHECK_STR(event_name(P2P_EV_MAX), "?");
}

static void test_json_escape(void)
{
	char buf[128];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	json_str(f, "a\"b\\c\n\x01\x7f" "d");
	fclose(f);
	CHECK_STR(buf, "\"a\\\"b\\\\c\\n\\u0001\\u007fd\"");
}

static void test_format(void)
{
	struct trace_opts o = { .events = ~0 };
	struct p2p_event e = io_event();
	char *line;

	line = render(&o, &e);
	CHECK_STR(line, "2.500000        4242 p2pcheck   fallback nvme1        nvme2n1      NOSUP     65536   123.4 EREMOTEIO\n");
	CHECK(strlen(line) <= 101);	/* 100 columns and the newline */

	e.type = P2P_EV_MAP;
	e.dev = 0;
	e.result = 0;
	e.flags = P2P_F_CACHED;
	line = render(&o, &e);
	CHECK_STR(line, "2.500000        4242 p2pcheck   map      nvme1        0000:00:04.0 NOSUP         -       - ok\n");

	/* a comm with a quote stays valid JSON, and every key is always there */
	e = io_event();
	memcpy(e.comm, "a\"b", 4);
	o.json = true;
	line = render(&o, &e);
	CHECK(strstr(line, "\"comm\":\"a\\\"b\"") != NULL);
	CHECK(strstr(line, "\"event\":\"fallback\"") != NULL);
	CHECK(strstr(line, "\"provider\":\"0000:03:00.0\",\"provider_name\":\"nvme1\"") != NULL);
	CHECK(strstr(line, "\"client\":\"0000:00:04.0\",\"client_name\":null") != NULL);
	CHECK(strstr(line, "\"map_type\":\"NOT_SUPPORTED\",\"bytes\":65536,\"lat_us\":123.400") != NULL);
	CHECK(strstr(line, "\"result\":\"EREMOTEIO\",\"errno\":121,\"disk\":\"nvme2n1\"") != NULL);
	CHECK(strstr(line, "\"op\":\"write\"") != NULL);
	CHECK(strstr(line, "\"cached\":null,\"allocated\":null}\n") != NULL);
}

static void test_filters(void)
{
	struct trace_opts o = { .events = ~0 };
	struct p2p_event e = io_event();

	CHECK(trace_wanted(&o, &e));
	o.events = 1 << P2P_EV_IO;
	CHECK(!trace_wanted(&o, &e));
	o.events = ~0;
	o.pid = 1;
	CHECK(!trace_wanted(&o, &e));
	o.pid = 4242;
	CHECK(trace_wanted(&o, &e));
	o.disk = (259U << 20) | 2;
	CHECK(!trace_wanted(&o, &e));
	o.disk = 0;
	strcpy(o.provider, "0000:04:00.0");
	CHECK(!trace_wanted(&o, &e));
	strcpy(o.provider, "0000:03:00.0");
	CHECK(trace_wanted(&o, &e));
	o.failures = true;
	CHECK(trace_wanted(&o, &e));
	e.type = P2P_EV_IO;
	e.result = 0;
	CHECK(!trace_wanted(&o, &e));
	e.type = P2P_EV_MAP;
	e.map_type = P2P_MAP_NOT_SUPPORTED;
	CHECK(trace_wanted(&o, &e));
	e.map_type = P2P_MAP_BUS_ADDR;
	CHECK(!trace_wanted(&o, &e));
}

static void test_summary(void)
{
	struct trace_opts o = { .events = ~0, .json = true };
	struct trace_state s = { 0 };
	struct p2p_event e = io_event();
	char buf[1024];
	FILE *f = fopen("/dev/null", "w");

	trace_event(&s, &o, &e, f);		/* fallback */
	e.type = P2P_EV_IO;
	e.result = 0;
	e.map_type = P2P_MAP_BUS_ADDR;
	trace_event(&s, &o, &e, f);
	trace_event(&s, &o, &e, f);
	fclose(f);
	s.drops = 3;
	f = fmemopen(buf, sizeof(buf), "w");
	trace_summary(&s, &o, f);
	fclose(f);
	CHECK_STR(buf, "{\"summary\":{\"events\":{\"alloc\":0,\"free\":0,\"fault\":0,\"close\":0,"
		  "\"map\":0,\"io\":2,\"fallback\":1,\"revoke\":0},\"io_bytes\":{\"BUS_ADDR\":131072,"
		  "\"THRU_HOST_BRIDGE\":0,\"NOT_SUPPORTED\":0,\"UNKNOWN\":0},\"fallback_bytes\":65536,"
		  "\"drops\":3}}\n");
}

int main(void)
{
	char cmd[600];

	setenv("TZ", "UTC", 1);
	fake_sysfs();
	test_names();
	test_parsing();
	test_values();
	test_json_escape();
	test_format();
	test_filters();
	test_summary();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", root);
	return unit_done("trace_fmt");
}
