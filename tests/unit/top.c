// SPDX-License-Identifier: GPL-2.0
/* p2ptop's model: rates, old mappings, pairs, sorting, column fitting. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "model.h"
#include "table.h"
#include "fakesys.h"
#include "unit.h"

static struct top_model m;

/* a PCI function at devices/PATH, linked from bus/pci/devices/BDF */
static void pci(const char *path, const char *vendor, const char *device)
{
	char rel[512], target[512];
	const char *bdf = strrchr(path, '/') + 1;

	snprintf(rel, sizeof(rel), "devices/%s/vendor", path);
	put(rel, vendor);
	snprintf(rel, sizeof(rel), "devices/%s/device", path);
	put(rel, device);
	snprintf(target, sizeof(target), "../../../devices/%s", path);
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s", bdf);
	link_to(target, rel);
}


/*
 * q35-like: host bridge 00:00.0; a root port 00:1c.0 with a switch
 * (01:00.0 up, 02:00.0 and 02:01.0 down) holding NVMe 03:00.0 (provider)
 * and 04:00.0; NVMe 00:04.0 on the root bus.
 */
static void topology(const char *host_device)
{
	fake_begin();
	pci("pci0000:00/0000:00:00.0", "0x8086\n", host_device);
	pci("pci0000:00/0000:00:1c.0", "0x8086\n", "0x29c9\n");
	pci("pci0000:00/0000:00:1c.0/0000:01:00.0", "0x104c\n", "0x8232\n");
	pci("pci0000:00/0000:00:1c.0/0000:01:00.0/0000:02:00.0", "0x104c\n", "0x8233\n");
	pci("pci0000:00/0000:00:1c.0/0000:01:00.0/0000:02:01.0", "0x104c\n", "0x8233\n");
	pci("pci0000:00/0000:00:1c.0/0000:01:00.0/0000:02:00.0/0000:03:00.0", "0x1b36\n", "0x0010\n");
	pci("pci0000:00/0000:00:1c.0/0000:01:00.0/0000:02:01.0/0000:04:00.0", "0x1b36\n", "0x0010\n");
	pci("pci0000:00/0000:00:04.0", "0x1b36\n", "0x0010\n");
	put("devices/pci0000:00/0000:00:1c.0/0000:01:00.0/0000:02:00.0/0000:03:00.0/p2pmem/size", "16777216\n");
	put("devices/pci0000:00/0000:00:1c.0/0000:01:00.0/0000:02:00.0/0000:03:00.0/p2pmem/available", "15728640\n");
	put("devices/pci0000:00/0000:00:1c.0/0000:01:00.0/0000:02:00.0/0000:03:00.0/p2pmem/published", "1\n");
	put("devices/pci0000:00/0000:00:1c.0/0000:01:00.0/0000:02:00.0/0000:03:00.0/nvme/nvme1/dev", "");
	put("cpuinfo-intel", "vendor_id\t: GenuineIntel\ncpu family\t: 6\n\n");
	put("cpuinfo-zen", "vendor_id\t: AuthenticAMD\ncpu family\t: 23\n\n");
}


/*
 * the model asks for a refused pair's reason, only for a refused pair, and
 * once while it stays refused (a reason reads the PCI topology)
 */
static int reasons_asked;

static const char *fake_reason(const char *provider, const char *client, char *buf, size_t len)
{
	reasons_asked++;
	snprintf(buf, len, "why %s to %s", provider, client);
	return buf;
}

static void test_rates(void)
{
	CHECK(top_rate(300, 100, 2.0) == 100.0);
	CHECK(top_rate(100, 300, 2.0) == 0);	/* counters went back: a reset */
	CHECK(top_rate(5, 0, 0) == 0);
	/* beyond 32 bits nothing is truncated */
	CHECK(top_rate(0x300000000ULL, 0x100000000ULL, 1.0) == (double)0x200000000ULL);
}

static void test_model(void)
{
	struct p2p_mem_stats s = { .allocs = 2, .alloc_bytes = 2 << 20, .live_maps = 2,
				   .held_bytes = 2 << 20 };
	/* two clients: the provider's decisions, I/O and fallbacks are their sum */
	struct p2p_pair_stats peer = { .maps = { [P2P_MAP_BUS_ADDR] = 2 }, .ios = 2,
				       .read_bytes = 4096, .write_bytes = 8192 };
	struct p2p_pair_stats far = { .maps = { [P2P_MAP_NOT_SUPPORTED] = 4 }, .fallbacks = 2,
				      .fallback_bytes = 8192 };
	struct p2p_pid_stats ps = { .live_maps = 2, .held_bytes = 2 << 20 };

	memset(&m, 0, sizeof(m));
	top_begin(&m, 0);
	top_add_provider_stats(&m, "0000:03:00.0", &s);
	top_add_provider_stats(&m, "0000:09:00.0", &s);	/* gone from sysfs */
	top_add_pid_stats(&m, 1, "holder", &ps);
	top_add_pair_stats(&m, "0000:03:00.0", "0000:04:00.0", &peer);
	top_add_pair_stats(&m, "0000:03:00.0", "0000:00:04.0", &far);
	top_end(&m);
	CHECK(m.nprov == 1);
	CHECK(m.prov[0].now.maps[P2P_MAP_BUS_ADDR] == 2 && m.prov[0].now.maps[P2P_MAP_NOT_SUPPORTED] == 4);
	CHECK(m.prov[0].now.ios == 2 && m.prov[0].now.read_bytes == 4096 && m.prov[0].now.write_bytes == 8192);
	CHECK(m.prov[0].now.fallbacks == 2 && m.prov[0].now.fallback_bytes == 8192);
	CHECK(top_used(&m.prov[0]) == 1 << 20);
	CHECK(m.nproc == 1);
	CHECK_STR(m.proc[0].comm, "holder");

	/* the next interval: 2 s, one more alloc of 1 MiB and one free of 2 MiB */
	s.allocs = 3;
	s.alloc_bytes = 3 << 20;
	s.frees = 1;
	s.free_bytes = 2 << 20;
	far.maps[P2P_MAP_NOT_SUPPORTED] = 12;
	top_begin(&m, 2.0);
	top_add_provider_stats(&m, "0000:03:00.0", &s);
	top_add_pair_stats(&m, "0000:03:00.0", "0000:04:00.0", &peer);
	top_add_pair_stats(&m, "0000:03:00.0", "0000:00:04.0", &far);
	top_end(&m);
	CHECK(m.prov[0].alloc_s == 0.5);
	CHECK(m.prov[0].maps_s[P2P_MAP_NOT_SUPPORTED] == 4.0);
	/* sysfs says nothing changed, BPF says -1 MiB: flagged */
	CHECK(m.prov[0].acct_mismatch);
	/* the process has no BPF entry this time: gone from the table */
	CHECK(m.nproc == 0);
}

/* One report in which the pair 03:00.0 -> 04:00.0 has the totals st. */
static void pair_report(double secs, const struct p2p_pair_stats *st)
{
	top_begin(&m, secs);
	top_add_pair_stats(&m, "0000:03:00.0", "0000:04:00.0", st);
	top_end(&m);
}

static void test_pairs(void)
{
	struct p2p_pair_stats st = { .maps = { [P2P_MAP_BUS_ADDR] = 5 } };

	memset(&m, 0, sizeof(m));
	m.reason = fake_reason;
	pair_report(0, &st);
	CHECK(m.npair == 1 && m.pair[0].map_type == P2P_MAP_BUS_ADDR && !m.pair[0].reason[0]);
	/* the interval's decisions say what the pair gets now */
	st.maps[P2P_MAP_NOT_SUPPORTED] = 2;
	pair_report(1.0, &st);
	CHECK(m.pair[0].map_type == P2P_MAP_NOT_SUPPORTED);
	CHECK_STR(m.pair[0].reason, "why 0000:03:00.0 to 0000:04:00.0");
	CHECK(reasons_asked == 1);
	/* still refused in the next report: the reason is kept, not asked again */
	st.maps[P2P_MAP_NOT_SUPPORTED] = 4;
	pair_report(1.0, &st);
	CHECK(m.pair[0].map_type == P2P_MAP_NOT_SUPPORTED);
	CHECK_STR(m.pair[0].reason, "why 0000:03:00.0 to 0000:04:00.0");
	CHECK(reasons_asked == 1);
	/* nothing new: the most frequent since the start */
	pair_report(1.0, &st);
	CHECK(m.pair[0].map_type == P2P_MAP_BUS_ADDR);
	/* -P: only that provider's pairs */
	memcpy(m.only, "0000:05:00.0", 13);
	pair_report(1.0, &st);
	CHECK(m.npair == 0);
}

/*
 * IOMMU faults: the pair's totals and rate, summed for its provider; a pair
 * that only faulted is shown too; -P filters them.
 */
static void test_dmafaults(void)
{
	struct p2p_pair_stats st = { .maps = { [P2P_MAP_BUS_ADDR] = 5 }, .ios = 5 };
	struct p2p_dmafault_stats d = { .faults = 2, .write_faults = 2 };
	struct p2p_dmafault_stats other = { .faults = 1, .read_faults = 1 };

	memset(&m, 0, sizeof(m));
	top_begin(&m, 0);
	top_add_pair_stats(&m, "0000:03:00.0", "0000:04:00.0", &st);
	top_add_dmafault_stats(&m, "0000:03:00.0", "0000:04:00.0", &d);
	top_end(&m);
	CHECK(m.nprov == 1 && m.prov[0].now.dma_faults == 2 && m.prov[0].dma_fault_s == 0);
	CHECK(m.npair == 1 && m.pair[0].dma_now.faults == 2 && m.pair[0].now.ios == 5);
	/* 2 s later: 4 more, and a pair seen only faulting */
	d.faults = d.write_faults = 6;
	top_begin(&m, 2.0);
	top_add_pair_stats(&m, "0000:03:00.0", "0000:04:00.0", &st);
	top_add_dmafault_stats(&m, "0000:03:00.0", "0000:04:00.0", &d);
	top_add_dmafault_stats(&m, "0000:03:00.0", "0000:00:04.0", &other);
	top_end(&m);
	CHECK(m.prov[0].now.dma_faults == 7 && m.prov[0].dma_fault_s == 2.5);
	CHECK(m.npair == 2 && m.pair[0].dma_fault_s == 2.0 && m.pair[0].map_type == P2P_MAP_BUS_ADDR);
	CHECK_STR(m.pair[1].client, "0000:00:04.0");
	CHECK(m.pair[1].dma_now.read_faults == 1 && m.pair[1].map_type == P2P_MAP_UNKNOWN);
	/* -P another provider: none */
	memcpy(m.only, "0000:05:00.0", 13);
	top_begin(&m, 1.0);
	top_add_dmafault_stats(&m, "0000:03:00.0", "0000:04:00.0", &d);
	top_end(&m);
	CHECK(m.npair == 0);
}

/*
 * Mappings made before p2ptop started count once, in every interval, not
 * once more each interval; and not at all once they are gone.
 */
static void test_old_maps(void)
{
	static const char smaps[] =
		"7f0000000000-7f0000100000 rw-s 00000000 00:05 123 /dev/nvme1\n"
		"Rss:                1024 kB\n"
		"7f0000100000-7f0000200000 rw-s 00000000 00:05 123 /dev/nvme1\n"
		"Rss:                1024 kB\n"
		"7f0000200000-7f0000300000 rw-s 00000000 00:05 123 /dev/nvme1\n"
		"Rss:                   0 kB\n"
		"7f0000300000-7f0000400000 rw-p 00000000 00:00 0 \n"
		"Rss:                1024 kB\n";
	/* BPF saw the second one allocate: it is in its live_maps */
	const struct p2p_live_map known[] = { { .tgid = 4242, .start = 0x7f0000100000ULL,
						.len = 1 << 20 } };
	char proc[600];

	snprintf(proc, sizeof(proc), "%s/proc", fake_root);
	setenv("P2PSCOPE_PROC", proc, 1);
	put("proc/4242/smaps", smaps);
	put("proc/4242/comm", "holder\n");

	memset(&m, 0, sizeof(m));
	for (int round = 0; round < 3; round++) {
		top_begin(&m, round ? 1.0 : 0);
		top_scan_old_maps(&m, known, 1, NULL, 0);
		top_end(&m);
		CHECK(m.nprov == 1 && top_live(&m.prov[0]) == 1);
		CHECK(top_held(&m.prov[0]) == 1 << 20);
		CHECK(m.nproc == 1 && m.proc[0].pid == 4242);
		CHECK(top_proc_live(&m.proc[0]) == 1 && top_proc_held(&m.proc[0]) == 1 << 20);
		CHECK_STR(m.proc[0].comm, "holder");
	}
	/* the process exits */
	put("proc/4242/smaps", "");
	top_begin(&m, 1.0);
	top_scan_old_maps(&m, NULL, 0, NULL, 0);
	top_end(&m);
	CHECK(top_live(&m.prov[0]) == 0 && top_held(&m.prov[0]) == 0);
	CHECK(m.nproc == 0);
	unsetenv("P2PSCOPE_PROC");
}

/* The held bytes of a sysfs mapping, as it is made, shrunk, inherited and dropped. */
static void held_round(const __u32 *holders, int n, __s64 prov_held, int nproc)
{
	top_begin(&m, 1.0);
	top_scan_old_maps(&m, NULL, 0, holders, n);
	top_end(&m);
	CHECK(top_held(&m.prov[0]) == prov_held);
	CHECK(m.nproc == nproc);
}

static void test_sysfs_holders(void)
{
	const char *map2m = "7f0000000000-7f0000200000 rw-s 00000000 00:05 9 "
			    "/sys/devices/pci0000:00/0000:00:1c.0/0000:01:00.0/0000:02:00.0/0000:03:00.0/p2pmem/allocate\n"
			    "Rss:                2048 kB\n";
	const char *map1m = "7f0000100000-7f0000200000 rw-s 00100000 00:05 9 "
			    "/sys/devices/pci0000:00/0000:00:1c.0/0000:01:00.0/0000:02:00.0/0000:03:00.0/p2pmem/allocate\n"
			    "Rss:                1024 kB\n";
	const __u32 parent[] = { 5000 }, both[] = { 5000, 5001 };
	char proc[600];

	snprintf(proc, sizeof(proc), "%s/proc", fake_root);
	setenv("P2PSCOPE_PROC", proc, 1);
	memset(&m, 0, sizeof(m));
	held_round(NULL, 0, 0, 0);		/* the first scan: nobody yet */
	put("proc/5000/smaps", map2m);
	put("proc/5000/comm", "fio\n");
	held_round(NULL, 0, 0, 0);		/* not a holder BPF named: not scanned */
	held_round(parent, 1, 2 << 20, 1);	/* BPF saw it mmap */
	held_round(NULL, 0, 2 << 20, 1);	/* followed from then on */
	put("proc/5000/smaps", map1m);		/* munmap of the first half */
	held_round(NULL, 0, 1 << 20, 1);
	put("proc/5001/smaps", map1m);		/* a child inherits it */
	put("proc/5001/comm", "fio\n");
	held_round(both, 2, 1 << 20, 2);	/* the provider's memory once */
	CHECK(top_proc_held(&m.proc[0]) == 1 << 20 && top_proc_held(&m.proc[1]) == 1 << 20);
	put("proc/5000/smaps", "");		/* the parent exits */
	held_round(NULL, 0, 1 << 20, 1);
	CHECK(m.proc[0].pid == 5001 && top_proc_held(&m.proc[0]) == 1 << 20);
	put("proc/5001/smaps", "");
	held_round(NULL, 0, 0, 0);

	/* a child's copy of a mapping BPF follows in the parent: the provider once */
	{
		const struct p2p_live_map known[] = { { .tgid = 5000, .start = 0x7f0000100000ULL,
							.len = 1 << 20 } };
		const __u32 child[] = { 5001 };

		put("proc/5001/smaps", map1m);
		top_begin(&m, 1.0);
		top_scan_old_maps(&m, known, 1, child, 1);
		top_end(&m);
		CHECK(m.nold == 1 && m.old[0].copy);
		CHECK(m.prov[0].old_bytes == 0);
		CHECK(m.nproc == 1 && top_proc_held(&m.proc[0]) == 1 << 20);
		put("proc/5001/smaps", "");
	}
	unsetenv("P2PSCOPE_PROC");
}

static void test_fit(void)
{
	int cols[16], n, width = 0;

	n = top_fit(VIEW_PROVIDERS, 80, cols);
	for (int i = 0; i < n; i++)
		width += top_columns[VIEW_PROVIDERS][cols[i]].width + (i ? 1 : 0);
	CHECK(width <= 80);
	CHECK(n >= 8);
	CHECK(cols[0] == 0);			/* PROVIDER first */
	for (int i = 1; i < n; i++)
		CHECK(cols[i] > cols[i - 1]);	/* display order kept */
	/* FALLBK/s outranks FAULT/s when space runs out */
	{
		bool fallbk = false, fault = false;

		for (int i = 0; i < n; i++) {
			fallbk |= cols[i] == 12;
			fault |= cols[i] == 8;
		}
		CHECK(fallbk && !fault);
	}
	CHECK(top_fit(VIEW_PROVIDERS, 250, cols) == top_ncolumns(VIEW_PROVIDERS));
	CHECK(top_fit(VIEW_PROVIDERS, 12, cols) == 1);
	/* the refused pairs' overview leaves the latency columns out, REASON last */
	n = top_fit_without(VIEW_PAIRS, 250, cols, TOP_PAIR_LATENCY_COLS);
	CHECK(n == top_ncolumns(VIEW_PAIRS) - 4);
	CHECK(n > 0 && !strcmp(top_columns[VIEW_PAIRS][cols[n - 1]].title, "REASON"));
	CHECK(top_fit(VIEW_PAIRS, 250, cols) == top_ncolumns(VIEW_PAIRS));
}

static void test_sort(void)
{
	char buf[64];

	memset(&m, 0, sizeof(m));
	m.nproc = 3;
	m.live_tracked = true;
	m.proc[0] = (struct top_proc){ .pid = 10, .comm = "b" };
	m.proc[0].now.held_bytes = 0x100000000LL;	/* 4 GiB: beyond int */
	m.proc[1] = (struct top_proc){ .pid = 11, .comm = "a" };
	m.proc[1].now.held_bytes = 1;
	m.proc[2] = (struct top_proc){ .pid = 12, .comm = "c" };
	m.proc[2].now.held_bytes = 0x200000001LL;
	top_sort(&m, VIEW_PROCESSES, 2, false);
	CHECK(m.proc[0].pid == 12 && m.proc[1].pid == 10 && m.proc[2].pid == 11);
	top_sort(&m, VIEW_PROCESSES, 2, true);
	CHECK(m.proc[0].pid == 11 && m.proc[2].pid == 12);
	top_sort(&m, VIEW_PROCESSES, 1, false);		/* text ascends */
	CHECK(m.proc[0].pid == 11 && m.proc[1].pid == 10);
	top_cell(&m, VIEW_PROCESSES, 2, 2, buf, sizeof(buf));
	CHECK_STR(buf, "8.0G");
	human_bytes(1536, buf, sizeof(buf));
	CHECK_STR(buf, "1.5K");
	human_bytes(16 << 20, buf, sizeof(buf));
	CHECK_STR(buf, "16.0M");
	/* 16 MiB - 512 KiB does not round to the full 16M */
	human_bytes((16 << 20) - (512 << 10), buf, sizeof(buf));
	CHECK_STR(buf, "15.5M");
	human_bytes(200 << 20, buf, sizeof(buf));
	CHECK_STR(buf, "200M");
	human_bytes(100, buf, sizeof(buf));
	CHECK_STR(buf, "100");
}

int main(void)
{
	topology("0x29c0\n");
	test_rates();
	test_model();
	test_pairs();
	test_dmafaults();
	test_old_maps();
	test_sysfs_holders();
	test_fit();
	test_sort();
	fake_end();
	return unit_done("top");
}
