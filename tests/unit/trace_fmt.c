// SPDX-License-Identifier: GPL-2.0
/* p2ptrace's output: text and JSON per event, summaries, untrusted names. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fmt.h"
#include "hist.h"
#include "sysfs.h"
#include "fakesys.h"
#include "unit.h"

/* A fake /sys: provider 0000:03:00.0 = nvme1 with a CMB, nvme2 without. */
static void fake_sysfs(void)
{
	fake_begin();
	mk("bus/pci/devices/0000:03:00.0/nvme/nvme1");
	mk("bus/pci/devices/0000:03:00.0/p2pmem");
	mk("bus/pci/devices/0000:04:00.0/nvme/nvme2");
	mk("class/nvme/nvme1");
	link_to("../../bus/pci/devices/0000:03:00.0", "class/nvme/nvme1/device");
	mk("class/block/nvme2n1");
	put("class/block/nvme2n1/dev", "259:1\n");
	mk("dev/block");
	link_to("../../devices/pci0000:00/0000:04:00.0/nvme/nvme2/nvme2n1", "dev/block/259:1");
}

/* the BPF side's device addresses, named as bpf_dev_name() would */
#define DEV_PROVIDER 0xffff888001230000ULL
#define DEV_CLIENT 0xffff888004560000ULL

static const char *fake_dev_name(void *ctx, __u64 dev)
{
	(void)ctx;
	return dev == DEV_PROVIDER ? "0000:03:00.0" : dev == DEV_CLIENT ? "0000:00:04.0" : "";
}

static struct trace_state state = { .start_ns = 1000000000ULL, .dev_name = fake_dev_name };

static char *render(const struct trace_opts *o, const struct p2p_event *e)
{
	static char buf[4096];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	trace_event(&state, o, e, f);
	fclose(f);
	return buf;
}

static struct p2p_event io_event(void)
{
	struct p2p_event e = {
		.ts_ns = 3500000000ULL, .bytes = 65536, .aux = 123400,
		.pid = 4242, .tid = 4242, .dev = (259U << 20) | 1,
		.result = 5 /* BLK_STS_TARGET */, .type = P2P_EV_FALLBACK,
		.map_type = P2P_MAP_NOT_SUPPORTED, .flags = P2P_F_WRITE,
		.provider = DEV_PROVIDER, .client = DEV_CLIENT,
	};

	memcpy(e.comm, "p2pcheck", 9);
	return e;
}

static void test_format(void)
{
	struct trace_opts o = { 0 };
	struct p2p_event e = io_event();
	char *line;

	line = render(&o, &e);
	CHECK_STR(line, "2.500000        4242 p2pcheck         fallback nvme1        nvme2n1      NOSUP     65536   123.4 EREMOTEIO\n");
	CHECK(strlen(line) <= 107);

	/* 7.x fails a refused request with BLK_STS_INVAL */
	e.result = 19;
	CHECK(strstr(render(&o, &e), " EINVAL\n") != NULL);
	e.result = 42;
	CHECK(strstr(render(&o, &e), " blk_status 42\n") != NULL);

	e = io_event();
	e.type = P2P_EV_MAP;
	e.dev = 0;
	e.result = 0;
	e.flags = P2P_F_CACHED | P2P_F_CACHEKNOWN;
	line = render(&o, &e);
	CHECK_STR(line, "2.500000        4242 p2pcheck         map      nvme1        0000:00:04.0 NOSUP         -       - ok\n");

	/* a device the BPF side never named shows as "-" */
	e.provider = 0x1234;
	CHECK(strstr(render(&o, &e), " map      -            0000:00:04.0 ") != NULL);

	/* every key is always there, in JSON */
	e = io_event();
	o.json = true;
	line = render(&o, &e);
	CHECK(strstr(line, "\"event\":\"fallback\"") != NULL);
	CHECK(strstr(line, "\"provider\":\"0000:03:00.0\",\"provider_name\":\"nvme1\"") != NULL);
	CHECK(strstr(line, "\"client\":\"0000:00:04.0\",\"client_name\":null") != NULL);
	CHECK(strstr(line, "\"map_type\":\"NOT_SUPPORTED\",\"bytes\":65536,\"lat_us\":123.400") != NULL);
	CHECK(strstr(line, "\"result\":\"EREMOTEIO\",\"errno\":121,\"disk\":\"nvme2n1\"") != NULL);
	CHECK(strstr(line, "\"op\":\"write\",\"handoff\":false") != NULL);
	CHECK(strstr(line, "\"cached\":null,\"allocated\":null,\"mappings\":null,"
			   "\"direction\":null,\"bar\":null,\"iommu\":null,\"reason\":null,"
			   "\"reason_text\":null,\"pasid\":null}\n") != NULL);
	e.flags |= P2P_F_HANDOFF;
	CHECK(strstr(render(&o, &e), "\"handoff\":true") != NULL);
	e.flags &= ~P2P_F_HANDOFF;
	e.type = P2P_EV_MAP;
	e.flags = 0;	/* a hook that cannot tell cached from computed */
	CHECK(strstr(render(&o, &e), "\"cached\":null") != NULL);
	e.flags = P2P_F_CACHEKNOWN;
	CHECK(strstr(render(&o, &e), "\"cached\":false") != NULL);
}

/* Any process can name itself anything: no byte of it reaches a terminal raw. */
static void test_hostile_comm(void)
{
	struct trace_opts o = { 0 };
	struct p2p_event e = io_event();
	char *line;

	/* invalid UTF-8, an escape sequence, a quote, a backslash, a C1 control */
	memcpy(e.comm, "\xff\x1b[2J\"x\\\x9b", 10);
	line = render(&o, &e);
	CHECK(!strchr(line, 0x1b) && !strchr(line, 0xff) && !strchr(line, 0x9b));
	CHECK(strstr(line, " \\xff\\x1b[2J\"x\\\\x9b ") != NULL);
	o.json = true;
	line = render(&o, &e);
	CHECK(!strchr(line, 0x1b) && !strchr(line, 0xff) && !strchr(line, 0x9b));
	CHECK(strstr(line, "\"comm\":\"\\\\xff\\u001b[2J\\\"x\\\\\\\\x9b\"") != NULL);
}

static void test_summary(void)
{
	struct trace_opts o = { .json = true };
	struct trace_state s = { .dev_name = fake_dev_name };
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
	s.lost = 3;
	s.skipped = 2;
	s.untracked = 1;
	f = fmemopen(buf, sizeof(buf), "w");
	trace_summary(&s, &o, f);
	fclose(f);
	CHECK_STR(buf, "{\"summary\":{\"events\":{\"alloc\":0,\"free\":0,\"fault\":0,\"close\":0,"
		  "\"map\":0,\"io\":2,\"fallback\":1,\"revoke\":0,\"dmafault\":0},\"io_bytes\":{\"BUS_ADDR\":131072,"
		  "\"THRU_HOST_BRIDGE\":0,\"NOT_SUPPORTED\":0,\"UNKNOWN\":0},\"fallback_bytes\":65536,"
		  "\"drops\":6,\"lost\":{\"ringbuf\":3,\"nested\":2,\"ios\":1,\"iommu\":0},"
		  "\"dmafaults_other\":null}}\n");
	/* in text, each loss says what is missing */
	o.json = false;
	f = fmemopen(buf, sizeof(buf), "w");
	trace_summary(&s, &o, f);
	fclose(f);
	CHECK(strstr(buf, "\ndropped events: 3 (the ring buffer was full") != NULL);
	CHECK(strstr(buf, "\nskipped hook runs: 2 ") != NULL);
	CHECK(strstr(buf, "\nuntracked P2P I/Os: 1 (done, but not recorded when issued") != NULL);
}

/*
 * An IOMMU fault on a provider's BAR: devices are PCI ids (no devnames),
 * no task; the direction, BAR and the IOMMU's reason.
 */
static void test_dmafault(void)
{
	struct trace_opts o = { 0 };
	struct p2p_event e = {
		.ts_ns = 3500000000ULL, .type = P2P_EV_DMAFAULT,
		.provider = p2p_pci_id(0, 3, 0), .client = p2p_pci_id(0, 4, 0),
		.aux = 0xfc000000, .bytes = 2, .dev = 5, .flags = P2P_F_WRITE,
	};
	char *line;

	line = render(&o, &e);
	CHECK_STR(line, "2.500000           0 -                dmafault nvme1        nvme2        -             -       - "
		  "blocked: write at 0xfc000000 (BAR 2): PTE Write access is not set (DMAR fault reason 0x05)\n");
	o.json = true;
	line = render(&o, &e);
	CHECK(strstr(line, "\"pid\":0,\"tid\":0,\"comm\":\"\",\"event\":\"dmafault\","
			   "\"provider\":\"0000:03:00.0\",\"provider_name\":\"nvme1\","
			   "\"client\":\"0000:04:00.0\",\"client_name\":\"nvme2\",\"map_type\":null,"
			   "\"bytes\":null,\"lat_us\":null,\"result\":\"blocked\",\"errno\":0,"
			   "\"disk\":null,\"op\":null,\"handoff\":null,\"address\":4227858432,") != NULL);
	CHECK(strstr(line, "\"direction\":\"write\",\"bar\":2,\"iommu\":\"intel\",\"reason\":5,"
			   "\"reason_text\":\"PTE Write access is not set\",\"pasid\":null}\n") != NULL);
	/* a read with a PASID, and AMD's flags */
	e.flags = P2P_F_PASID;
	e.tid = 7;
	e.dev = 6;
	CHECK(strstr(render(&o, &e), "\"direction\":\"read\",\"bar\":2,\"iommu\":\"intel\",\"reason\":6,"
			   "\"reason_text\":\"PTE Read access is not set\",\"pasid\":7}") != NULL);
	e.flags = P2P_F_AMD | P2P_F_WRITE;
	e.dev = 1;
	CHECK(strstr(render(&o, &e), "\"iommu\":\"amd\",\"reason\":1,\"reason_text\":\"IO_PAGE_FAULT\"") != NULL);
	o.json = false;
	CHECK(strstr(render(&o, &e), "blocked: write at 0xfc000000 (BAR 2): IO_PAGE_FAULT (AMD-Vi flags 0x01)\n") != NULL);
}

/* --hist: host memory after the pairs, reads first; names by nvme name */
static void test_hists(void)
{
	struct trace_opts o = { .json = true };
	struct hist_row rows[3] = {};
	char buf[4096];
	FILE *f;

	strcpy(rows[0].client, "0000:04:00.0");
	rows[0].map_type = P2P_HIST_HOST;
	rows[0].write = true;
	rows[0].h.slot[0] = 1;
	rows[0].h.sum_ns = 1500;
	strcpy(rows[1].provider, "0000:03:00.0");
	strcpy(rows[1].client, "0000:04:00.0");
	rows[1].map_type = P2P_MAP_BUS_ADDR;
	rows[1].write = true;
	rows[1].h.slot[6] = 1;
	rows[1].h.sum_ns = 100000;
	rows[2] = rows[1];
	rows[2].write = false;
	rows[2].h.slot[7] = 3;
	rows[2].h.sum_ns = 300000 + 100000;
	f = fmemopen(buf, sizeof(buf), "w");
	trace_hists(&o, rows, 3, 0, f);
	fclose(f);
	CHECK_STR(buf,
		  "{\"hist\":{\"provider\":\"0000:03:00.0\",\"client\":\"0000:04:00.0\",\"client_name\":\"nvme2\","
		  "\"map_type\":\"BUS_ADDR\",\"op\":\"read\",\"count\":4,\"sum_us\":400.000,\"p50_us\":170.667,"
		  "\"p99_us\":254.293,\"buckets\":[{\"lo_us\":64,\"hi_us\":128,\"count\":1},"
		  "{\"lo_us\":128,\"hi_us\":256,\"count\":3}]}}\n"
		  "{\"hist\":{\"provider\":\"0000:03:00.0\",\"client\":\"0000:04:00.0\",\"client_name\":\"nvme2\","
		  "\"map_type\":\"BUS_ADDR\",\"op\":\"write\",\"count\":1,\"sum_us\":100.000,\"p50_us\":96.000,"
		  "\"p99_us\":127.360,\"buckets\":[{\"lo_us\":64,\"hi_us\":128,\"count\":1}]}}\n"
		  "{\"hist\":{\"provider\":null,\"client\":\"0000:04:00.0\",\"client_name\":\"nvme2\","
		  "\"map_type\":\"HOST\",\"op\":\"write\",\"count\":1,\"sum_us\":1.500,\"p50_us\":1.000,"
		  "\"p99_us\":1.980,\"buckets\":[{\"lo_us\":0,\"hi_us\":2,\"count\":1}]}}\n");
	o.json = false;
	f = fmemopen(buf, sizeof(buf), "w");
	trace_hists(&o, rows, 1, 2, f);
	fclose(f);
	CHECK_STR(buf, "\nnvme1 -> nvme2, BUS_ADDR, read: 4 I/Os, p50 171 us, p99 254 us, mean 100 us\n"
		  "                usecs : count    distribution\n"
		  "            64 -> 127 : 1        |**************                          |\n"
		  "           128 -> 255 : 3        |****************************************|\n"
		  "\nI/Os not timed: 2 (a histogram table was full)\n");
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	fake_sysfs();
	test_format();
	test_hostile_comm();
	test_summary();
	test_dmafault();
	test_hists();
	fake_end();
	return unit_done("trace_fmt");
}
