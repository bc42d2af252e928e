// SPDX-License-Identifier: GPL-2.0
/* tools/lib: number parsers, sysfs names, value names, JSON and safe text. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "args.h"
#include "json.h"
#include "names.h"
#include "sysfs.h"
#include "fakesys.h"
#include "unit.h"

/*
 * A fake /sys: provider 0000:03:00.0 = nvme1 with a CMB, nvme2 without, and
 * a provider behind a VMD bridge, in a 5-digit PCI domain.
 */
static void fake_sysfs(void)
{
	fake_begin();
	mk("bus/pci/devices/0000:03:00.0/nvme/nvme1");
	mk("bus/pci/devices/0000:03:00.0/p2pmem");
	put("bus/pci/devices/0000:03:00.0/p2pmem/available", "16711680\n");
	put("bus/pci/devices/0000:03:00.0/vendor", "0x1b36\n");
	mk("bus/pci/devices/0000:04:00.0/nvme/nvme2");
	mk("bus/pci/devices/10000:01:00.0/p2pmem");
	mk("class/nvme/nvme1");
	link_to("../../bus/pci/devices/0000:03:00.0", "class/nvme/nvme1/device");
	mk("class/block/nvme2n1");
	put("class/block/nvme2n1/dev", "259:1\n");
	mk("dev/block");
	link_to("../../devices/pci0000:00/0000:04:00.0/nvme/nvme2/nvme2n1", "dev/block/259:1");
}

static void test_sysfs(void)
{
	char buf[64], list[4][P2P_NAME_LEN];
	unsigned long long v;

	CHECK_STR(pci_nvme_name("0000:03:00.0", buf, sizeof(buf)), "nvme1");
	CHECK(pci_nvme_name("0000:05:00.0", buf, sizeof(buf)) == NULL);
	CHECK_STR(resolve_pci("nvme1", buf, sizeof(buf)), "0000:03:00.0");
	CHECK_STR(resolve_pci("/dev/nvme1", buf, sizeof(buf)), "0000:03:00.0");
	CHECK_STR(resolve_pci("0000:04:00.0", buf, sizeof(buf)), "0000:04:00.0");
	CHECK_STR(resolve_pci("10000:01:00.0", buf, sizeof(buf)), "10000:01:00.0");
	CHECK(resolve_pci("0000:09:00.0", buf, sizeof(buf)) == NULL);
	CHECK(resolve_pci("nvme7", buf, sizeof(buf)) == NULL);
	CHECK(resolve_pci("0000:03:00", buf, sizeof(buf)) == NULL);
	CHECK(resolve_pci("../nvme1", buf, sizeof(buf)) == NULL);
	CHECK(pci_is_provider("0000:03:00.0"));
	CHECK(!pci_is_provider("0000:04:00.0"));
	CHECK(provider_list(list, 4) == 2);
	CHECK_STR(list[0], "0000:03:00.0");
	CHECK_STR(list[1], "10000:01:00.0");
	CHECK(provider_list(list, 1) == 1);
	CHECK(resolve_disk("nvme2n1") == ((259U << 20) | 1));
	CHECK(resolve_disk("/dev/nvme2n1") == ((259U << 20) | 1));
	CHECK(resolve_disk("nvme9n1") == 0);
	CHECK(resolve_disk("../nvme2n1") == 0);
	CHECK_STR(disk_name((259U << 20) | 1, buf, sizeof(buf)), "nvme2n1");
	CHECK_STR(pci_display_name("0000:04:00.0", buf, sizeof(buf)), "nvme2");
	CHECK_STR(pci_display_name("0000:00:1f.0", buf, sizeof(buf)), "0000:00:1f.0");
	CHECK_STR(pci_display_name("", buf, sizeof(buf)), "-");
	CHECK(sysfs_u64(&v, "bus/pci/devices/%s/p2pmem/available", "0000:03:00.0") && v == 16711680);
	CHECK(sysfs_u64(&v, "bus/pci/devices/0000:03:00.0/vendor") && v == 0x1b36);
	CHECK(!sysfs_u64(&v, "bus/pci/devices/0000:03:00.0/missing"));
	CHECK(sysfs_str(buf, sizeof(buf), "class/block/nvme2n1/dev") && !strcmp(buf, "259:1"));
}

static void fake_rename(const char *from, const char *to)
{
	char a[512], b[512];

	fake_path(a, sizeof(a), from, 0);
	fake_path(b, sizeof(b), to, 0);
	CHECK(rename(a, b) == 0);
}

/* Numbers come afresh from the open files; a new group (a rebind) is opened anew. */
static void test_p2pmem_files(void)
{
	const char *dir = "bus/pci/devices/0000:03:00.0/p2pmem";
	char list[4][P2P_NAME_LEN], rel[128];
	unsigned long long ids[4], v[P2PMEM_NR], first;
	struct p2pmem_files f = { 0 }, none = { 0 };

	snprintf(rel, sizeof(rel), "%s/size", dir);
	put(rel, "16777216\n");
	snprintf(rel, sizeof(rel), "%s/published", dir);
	put(rel, "1\n");
	CHECK(provider_scan(list, ids, 4) == 2);
	CHECK_STR(list[0], "0000:03:00.0");
	CHECK(ids[0] && ids[1] && ids[0] != ids[1]);
	first = ids[0];
	CHECK(p2pmem_read(&f, list[0], ids[0], v));
	CHECK(v[P2PMEM_SIZE] == 16777216 && v[P2PMEM_AVAILABLE] == 16711680 &&
	      v[P2PMEM_PUBLISHED] == 1);
	snprintf(rel, sizeof(rel), "%s/available", dir);
	put(rel, "0\n");
	CHECK(p2pmem_read(&f, list[0], ids[0], v) && v[P2PMEM_AVAILABLE] == 0);

	/* unbind and bind: the old group is gone and a new one has other files */
	fake_rename(dir, "p2pmem-old");
	mk(dir);
	snprintf(rel, sizeof(rel), "%s/size", dir);
	put(rel, "8388608\n");
	CHECK(provider_scan(list, ids, 4) == 2 && ids[0] != first);
	CHECK(p2pmem_read(&f, list[0], ids[0], v));
	CHECK(v[P2PMEM_SIZE] == 8388608 && v[P2PMEM_AVAILABLE] == 0 && v[P2PMEM_PUBLISHED] == 0);
	p2pmem_close(&f);
	CHECK(f.id == 0);

	/* a group without the files reads as nothing */
	CHECK(!p2pmem_read(&none, list[1], ids[1], v));
	CHECK(v[P2PMEM_SIZE] == 0 && v[P2PMEM_AVAILABLE] == 0 && v[P2PMEM_PUBLISHED] == 0);
	p2pmem_close(&none);
}

/* A cached controller name is confirmed after a second, so a new name is seen. */
static void test_nvme_rename(void)
{
	char buf[64];

	CHECK_STR(pci_nvme_name("0000:04:00.0", buf, sizeof(buf)), "nvme2");
	fake_rename("bus/pci/devices/0000:04:00.0/nvme/nvme2", "bus/pci/devices/0000:04:00.0/nvme/nvme7");
	sleep(2);
	CHECK_STR(pci_nvme_name("0000:04:00.0", buf, sizeof(buf)), "nvme7");
	CHECK_STR(pci_nvme_name("0000:03:00.0", buf, sizeof(buf)), "nvme1");
}

static void test_bdf(void)
{
	CHECK(is_bdf("0000:03:00.0"));
	CHECK(is_bdf("10000:e1:1f.7"));
	CHECK(!is_bdf("0000:03:00.8"));
	CHECK(!is_bdf("000:03:00.0"));
	CHECK(!is_bdf("0000:03:00.0x"));
	CHECK(!is_bdf("0000:3:00.0"));
	CHECK(!is_bdf("0000:03:00"));
	CHECK(!is_bdf("pci0000:00"));
}

static void test_parsing(void)
{
	unsigned long long sz;
	unsigned long v;
	double d;

	CHECK(parse_ulong("42", 100, &v) && v == 42);
	CHECK(!parse_ulong("101", 100, &v));
	CHECK(!parse_ulong("-1", 100, &v));
	CHECK(!parse_ulong("4x", 100, &v));
	CHECK(!parse_ulong("", 100, &v));
	CHECK(!parse_ulong(" 4", 100, &v));
	CHECK(!parse_ulong("99999999999999999999999", ~0UL, &v));
	CHECK(parse_seconds("2.5", 0.1, 10, &d) && d == 2.5);
	CHECK(parse_seconds("0.1", 0.1, 10, &d));
	CHECK(!parse_seconds("0", 0.1, 10, &d));
	CHECK(!parse_seconds("10.5", 0.1, 10, &d));
	CHECK(!parse_seconds("-1", 0.1, 10, &d));
	CHECK(!parse_seconds("1s", 0.1, 10, &d));
	CHECK(!parse_seconds("nan", 0.1, 10, &d));
	CHECK(!parse_seconds("inf", 0.1, 10, &d));
	CHECK(!parse_seconds("1e-300", 0, 10, &d));	/* no exponents: they spin */
	CHECK(!parse_seconds("1.2.3", 0.1, 10, &d));
	CHECK(!parse_seconds(".", 0.1, 10, &d));
	CHECK(parse_size("64K", 1ULL << 40, &sz) && sz == 65536);
	CHECK(parse_size("3M", 1ULL << 40, &sz) && sz == 3 << 20);
	CHECK(parse_size("4096M", 1ULL << 40, &sz) && sz == 4096ULL << 20);
	CHECK(parse_size("2G", 1ULL << 40, &sz) && sz == 2ULL << 30);
	CHECK(parse_size("4096", 1ULL << 40, &sz) && sz == 4096);
	CHECK(!parse_size("2T", 1ULL << 40, &sz));
	CHECK(!parse_size("M", 1ULL << 40, &sz));
	CHECK(!parse_size("2048G", 1ULL << 40, &sz));
}

static void test_values(void)
{
	struct p2p_event e = { .type = P2P_EV_FAULT };
	char buf[32];
	bool known;

	CHECK_STR(result_name(&e, buf, sizeof(buf)), "ok");
	e.result = P2P_RESULT_SIGBUS;
	CHECK_STR(result_name(&e, buf, sizeof(buf)), "SIGBUS");
	CHECK(result_errno(&e) == 0);
	e.result = -14;
	CHECK_STR(result_name(&e, buf, sizeof(buf)), "EFAULT");
	CHECK(result_errno(&e) == 14);
	e.type = P2P_EV_FALLBACK;
	e.result = 5;	/* BLK_STS_TARGET, 6.12 */
	CHECK_STR(result_name(&e, buf, sizeof(buf)), "EREMOTEIO");
	CHECK(result_errno(&e) == EREMOTEIO);
	e.result = 19;	/* BLK_STS_INVAL, 7.x */
	CHECK_STR(result_name(&e, buf, sizeof(buf)), "EINVAL");
	e.result = 10;
	CHECK_STR(result_name(&e, buf, sizeof(buf)), "EIO");
	e.result = 18;	/* a hole in the table */
	CHECK_STR(result_name(&e, buf, sizeof(buf)), "blk_status 18");
	CHECK(blk_status_errno(0, &known) == 0 && known);
	CHECK(blk_status_errno(200, &known) == 0 && !known);
	CHECK_STR(map_type_name(P2P_MAP_BUS_ADDR), "BUS_ADDR");
	CHECK_STR(map_type_short(P2P_MAP_THRU_HOST_BRIDGE), "HOSTBR");
	CHECK_STR(map_type_short(P2P_MAP_NOT_SUPPORTED), "NOSUP");
	CHECK_STR(map_type_name(9), "UNKNOWN");
	CHECK_STR(event_name(P2P_EV_FALLBACK), "fallback");
	CHECK_STR(event_name(0), "?");
	CHECK_STR(event_name(P2P_EV_MAX), "?");
	CHECK(events_parse("io,fallback") == ((1 << P2P_EV_IO) | (1 << P2P_EV_FALLBACK)));
	CHECK(events_parse("alloc") == 1 << P2P_EV_ALLOC);
	CHECK(events_parse("io,bogus") == -1);
	CHECK(events_parse("") == -1);
	CHECK(events_parse(",") == -1);
	CHECK(events_parse("io,") == -1);
	CHECK(event_parse("revoke") == P2P_EV_REVOKE);
}

static const char *quoted(const char *s, size_t n)
{
	static char buf[256];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	json_quote(f, s, n);
	fclose(f);
	return buf;
}

static void test_json(void)
{
	char buf[512];
	struct json j;
	FILE *f;

	CHECK_STR(quoted("a\"b\\c\n\x01\x7f" "d", 9), "\"a\\\"b\\\\c\\n\\u0001\\u007fd\"");
	/* valid UTF-8 passes; invalid bytes become the text \xNN */
	CHECK_STR(quoted("caf\xc3\xa9", 5), "\"caf\xc3\xa9\"");
	CHECK_STR(quoted("\xff", 1), "\"\\\\xff\"");
	CHECK_STR(quoted("\xc3", 1), "\"\\\\xc3\"");		/* cut short */
	CHECK_STR(quoted("\xc0\x80", 2), "\"\\\\xc0\\\\x80\"");	/* overlong */
	CHECK_STR(quoted("\xed\xa0\x80", 3), "\"\\\\xed\\\\xa0\\\\x80\"");	/* surrogate */
	CHECK_STR(quoted("\xc2\x9b", 2), "\"\\u009b\"");	/* C1 control */
	CHECK_STR(quoted("abc", 2), "\"ab\"");			/* at most n bytes */
	CHECK_STR(quoted("a\0b", 3), "\"a\"");

	f = fmemopen(buf, sizeof(buf), "w");
	json_init(&j, f);
	json_object_begin(&j);
	json_kv_u64(&j, "a", 1);
	json_key(&j, "list");
	json_array_begin(&j);
	json_u64(&j, 2);
	json_object_begin(&j);
	json_kv_string(&j, "s", NULL);
	json_kv_bool(&j, "b", true);
	json_object_end(&j);
	json_double(&j, 1.0 / 0.0, 2);
	json_array_end(&j);
	json_kv_s64(&j, "n", -3);
	json_kv_double(&j, "d", 0.25, 3);
	json_object_end(&j);
	fclose(f);
	CHECK_STR(buf, "{\"a\":1,\"list\":[2,{\"s\":null,\"b\":true},null],\"n\":-3,\"d\":0.250}\n");
}

static void test_text_safe(void)
{
	char buf[64];

	CHECK_STR(text_safe(buf, sizeof(buf), "p2pcheck", 16), "p2pcheck");
	CHECK_STR(text_safe(buf, sizeof(buf), "\x1b[2J\xff", 16), "\\x1b[2J\\xff");
	CHECK_STR(text_safe(buf, sizeof(buf), "caf\xc3\xa9", 16), "caf\xc3\xa9");
	CHECK_STR(text_safe(buf, sizeof(buf), "\xc2\x9b" "x", 16), "\\xc2\\x9bx");
	CHECK_STR(text_safe(buf, 6, "\x1b\x1b", 16), "\\x1b");	/* never a cut escape */
	CHECK_STR(text_safe(buf, sizeof(buf), "abcdef", 3), "abc");
}

int main(void)
{
	fake_sysfs();
	test_sysfs();
	test_p2pmem_files();
	test_nvme_rename();
	test_bdf();
	test_parsing();
	test_values();
	test_json();
	test_text_safe();
	fake_end();
	return unit_done("lib");
}
