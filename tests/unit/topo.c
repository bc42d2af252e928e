// SPDX-License-Identifier: GPL-2.0
/*
 * The P2PDMA topology engine on fake machines: sysfs trees with config
 * space (read through libpci), /proc and /boot, checked against what
 * calc_map_type_and_dist() decides in drivers/pci/p2pdma.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <linux/btf.h>
#include "allowlist.h"
#include "maptype.h"
#include "readiness.h"
#include "topology.h"
#include "unit.h"

static char root[] = "/tmp/p2pscope-topo.XXXXXX";
static char sys[600], proc[600], boot[600];

/* ---- fixture builders ---- */

static void mkdirs(const char *path)
{
	char buf[1024], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; (p = strchr(p, '/')); p++) {
		*p = 0;
		mkdir(buf, 0755);
		*p = '/';
	}
	mkdir(buf, 0755);
}

static void put(const char *path, const void *data, size_t len)
{
	char dir[1024];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = 0;
	mkdirs(dir);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fwrite(data, 1, len, f);
	fclose(f);
}

static void putf(const char *text, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(const char *text, const char *fmt, ...)
{
	char path[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	put(path, text, strlen(text));
}

static void link_to(const char *target, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void link_to(const char *target, const char *fmt, ...)
{
	char path[1024], dir[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = 0;
	mkdirs(dir);
	unlink(path);
	CHECK(symlink(target, path) == 0);
}

/* a symlink at SYS/link to SYS/target, relative as sysfs makes them (libpci needs that) */
static void sys_link(const char *target, const char *link)
{
	char rel[1024] = "";

	for (const char *p = strchr(link, '/'); p; p = strchr(p + 1, '/'))
		strcat(rel, "../");
	strcat(rel, target);
	link_to(rel, "%s/%s", sys, link);
}

#define NO_PCIE -1
#define NO_ACS -1

/*
 * Config space as the kernel shows it to root: IDs, class, header type,
 * a PCIe capability with the port type at 0x40 and an ACS capability at
 * 0x100 whose control register is acs. cfg_len < 4096 is what a user sees.
 */
static void config(const char *dev, unsigned int vendor, unsigned int device,
		   unsigned int class, int pcie_type, int acs, size_t cfg_len)
{
	unsigned char cfg[4096] = { 0 };
	char path[1024];

	cfg[0] = vendor;
	cfg[1] = vendor >> 8;
	cfg[2] = device;
	cfg[3] = device >> 8;
	cfg[9] = class;
	cfg[10] = class >> 8;
	cfg[11] = class >> 16;
	cfg[0x0e] = (class >> 8) == 0x0604 ? 1 : 0;
	if (pcie_type != NO_PCIE) {
		cfg[6] = 0x10;			/* capability list */
		cfg[0x34] = 0x40;
		cfg[0x40] = 0x10;		/* PCI_CAP_ID_EXP */
		cfg[0x42] = 0x02 | pcie_type << 4;
	}
	if (acs != NO_ACS) {
		cfg[0x100] = 0x0d;		/* PCI_EXT_CAP_ID_ACS, version 1 */
		cfg[0x102] = 0x01;
		cfg[0x104] = 0x7f;		/* every ACS capability */
		cfg[0x106] = acs;
		cfg[0x107] = acs >> 8;
	}
	snprintf(path, sizeof(path), "%s/config", dev);
	put(path, cfg, cfg_len);
}

/* a PCI function at devices/PATH (under a pciDDDD:BB host bridge) */
static void pci(const char *path, unsigned int vendor, unsigned int device, unsigned int class,
		int pcie_type)
{
	char dev[1024], buf[32];
	const char *bdf = strrchr(path, '/') + 1;

	snprintf(dev, sizeof(dev), "%s/devices/%s", sys, path);
	snprintf(buf, sizeof(buf), "0x%04x\n", vendor);
	putf(buf, "%s/vendor", dev);
	snprintf(buf, sizeof(buf), "0x%04x\n", device);
	putf(buf, "%s/device", dev);
	snprintf(buf, sizeof(buf), "0x%06x\n", class);
	putf(buf, "%s/class", dev);
	config(dev, vendor, device, class, pcie_type, NO_ACS, 4096);
	link_to(dev, "%s/bus/pci/devices/%s", sys, bdf);
}

static void set_acs(const char *path, unsigned int vendor, unsigned int device, int pcie_type,
		    int acs)
{
	char dev[1024];

	snprintf(dev, sizeof(dev), "%s/devices/%s", sys, path);
	config(dev, vendor, device, 0x060400, pcie_type, acs, 4096);
}

static void set_id(const char *path, unsigned int device)
{
	char file[1024], buf[32];

	snprintf(file, sizeof(file), "%s/devices/%s/device", sys, path);
	snprintf(buf, sizeof(buf), "0x%04x\n", device);
	put(file, buf, strlen(buf));
}

static void nvme(const char *path, const char *name)
{
	char dev[1024], drv[1024];

	snprintf(dev, sizeof(dev), "%s/devices/%s", sys, path);
	putf("", "%s/nvme/%s/dev", dev, name);
	link_to(dev, "%s/class/nvme/%s/device", sys, name);
	snprintf(drv, sizeof(drv), "%s/bus/pci/drivers/nvme", sys);
	mkdirs(drv);
	snprintf(dev, sizeof(dev), "devices/%s/driver", path);
	sys_link("bus/pci/drivers/nvme", dev);
}

static void provider(const char *path, const char *size, const char *avail)
{
	char dev[1024];

	snprintf(dev, sizeof(dev), "%s/devices/%s/p2pmem", sys, path);
	putf(size, "%s/size", dev);
	putf(avail, "%s/available", dev);
	putf("1\n", "%s/published", dev);
	putf("", "%s/allocate", dev);
}

static void cpu(const char *vendor, int family)
{
	char text[256];

	snprintf(text, sizeof(text), "processor\t: 0\nvendor_id\t: %s\ncpu family\t: %d\n\n"
		 "processor\t: 1\nvendor_id\t: GenuineIntel\ncpu family\t: 6\n\n", vendor, family);
	putf(text, "%s/cpuinfo", proc);
}

/* q35-like paths */
#define HB	"pci0000:00/0000:00:00.0"
#define RP	"pci0000:00/0000:00:1c.0"
#define UP	RP "/0000:01:00.0"
#define DN0	UP "/0000:02:00.0"
#define DN1	UP "/0000:02:01.0"
#define A	DN0 "/0000:03:00.0"
#define B	DN1 "/0000:04:00.0"
#define C	"pci0000:00/0000:00:04.0"
#define RP2	"pci0000:00/0000:00:1d.0"
#define D	RP2 "/0000:05:00.0"
#define HB40	"pci0000:40/0000:40:00.0"
#define RP40	"pci0000:40/0000:40:01.0"
#define E	RP40 "/0000:41:00.0"

#define NVME_CLASS 0x010802
#define T_ROOT 4	/* PCI_EXP_TYPE_ROOT_PORT */
#define T_UP 5
#define T_DOWN 6
#define T_EP 0
#define T_RCIEP 9

/*
 * host bridge 00:00.0; root port 00:1c.0 with a switch (up 01:00.0, down
 * 02:00.0 and 02:01.0) holding NVMe A 03:00.0 (CMB provider) and B
 * 04:00.0; NVMe C 00:04.0 on the root bus: the lab's topology. Root port
 * 00:1d.0 with NVMe D 05:00.0; a second root complex 0000:40 with NVMe E
 * 41:00.0 under root port 40:01.0; an Ethernet function and a USB one.
 */
static void machine(void)
{
	CHECK(mkdtemp(root) != NULL);
	snprintf(sys, sizeof(sys), "%s/sys", root);
	snprintf(proc, sizeof(proc), "%s/proc", root);
	snprintf(boot, sizeof(boot), "%s/boot", root);
	mkdirs(boot);
	mkdirs(proc);
	setenv("P2PSCOPE_SYSFS", sys, 1);
	setenv("P2PSCOPE_PROC", proc, 1);
	setenv("P2PSCOPE_BOOT", boot, 1);
	setenv("P2PSCOPE_OSRELEASE", "6.12.57-test", 1);
	unsetenv("P2PSCOPE_CPUINFO");

	pci(HB, 0x8086, 0x29c0, 0x060000, NO_PCIE);
	pci(RP, 0x8086, 0x29c9, 0x060400, T_ROOT);
	pci(UP, 0x104c, 0x8232, 0x060400, T_UP);
	pci(DN0, 0x104c, 0x8233, 0x060400, T_DOWN);
	pci(DN1, 0x104c, 0x8233, 0x060400, T_DOWN);
	pci(A, 0x1b36, 0x0010, NVME_CLASS, T_EP);
	pci(B, 0x1b36, 0x0010, NVME_CLASS, T_EP);
	pci(C, 0x1b36, 0x0010, NVME_CLASS, T_RCIEP);
	pci(RP2, 0x8086, 0x29c9, 0x060400, T_ROOT);
	pci(D, 0x1b36, 0x0010, NVME_CLASS, T_EP);
	pci(HB40, 0x8086, 0x2020, 0x060000, NO_PCIE);
	pci(RP40, 0x8086, 0x2030, 0x060400, T_ROOT);
	pci(E, 0x1b36, 0x0010, NVME_CLASS, T_EP);
	pci("pci0000:00/0000:00:19.0", 0x8086, 0x10d3, 0x020000, T_RCIEP);
	pci("pci0000:00/0000:00:1a.0", 0x8086, 0x2937, 0x0c0300, NO_PCIE);
	nvme(A, "nvme0");
	nvme(B, "nvme1");
	nvme(C, "nvme2");
	provider(A, "16777216\n", "16711680\n");
	cpu("GenuineIntel", 6);
}

static void cleanup(void)
{
	char cmd[700];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", root);
}

static struct topo_verdict v;

static int predict(const char *p, const char *c)
{
	memset(&v, 0x55, sizeof(v));	/* every field must be set */
	return topo_predict(p, c, &v);
}

/* ---- the verdicts ---- */

static void test_lab(void)
{
	/* the CMB's own namespace */
	CHECK(predict("0000:03:00.0", "0000:03:00.0") == 0);
	CHECK(v.map_type == TOPO_MAP_BUS_ADDR && v.distance == 0);
	CHECK_STR(v.reason, "same PCI function");
	CHECK_STR(v.common, "0000:03:00.0");
	CHECK(!v.guessed && !v.nacs && !v.fix[0]);

	/* two downstream ports of one switch: 4 hops */
	CHECK(predict("0000:03:00.0", "0000:04:00.0") == 0);
	CHECK(v.map_type == TOPO_MAP_BUS_ADDR && v.distance == 4);
	CHECK_STR(v.reason, "common upstream bridge 0000:01:00.0, no ACS redirect on the path");
	CHECK_STR(v.common, "0000:01:00.0");

	/* the root-bus NVMe goes through the q35 host bridge, which is not allowed */
	CHECK(predict("0000:03:00.0", "0000:00:04.0") == 0);
	CHECK(v.map_type == TOPO_MAP_NOT_SUPPORTED);
	CHECK(v.distance == 5);		/* no common device: both depths */
	CHECK_STR(v.reason, "no common upstream bridge; host bridge 8086:29c0 not on the allowlist");
	CHECK(!v.common[0] && !v.cpu_rule && !v.guessed);
	CHECK(strstr(v.fix, "one PCIe switch") != NULL);

	/* not PCI functions */
	CHECK(predict("0000:03:00.0", "nvme-fabrics") == -ENODEV);
	CHECK_STR(v.reason, "client nvme-fabrics is not a PCI function");
	CHECK(predict("0000:09:00.0", "0000:03:00.0") == -ENODEV);
	CHECK_STR(v.reason, "provider 0000:09:00.0 is not a PCI function");
}

static void test_acs(void)
{
	/* ACS P2P Request Redirect on the client's downstream port */
	set_acs(DN1, 0x104c, 0x8233, T_DOWN, 0x0004);
	CHECK(predict("0000:03:00.0", "0000:04:00.0") == 0);
	CHECK(v.map_type == TOPO_MAP_NOT_SUPPORTED && v.distance == 4);
	CHECK_STR(v.reason, "ACS P2P Request Redirect set on 0000:02:01.0; "
		  "host bridge 8086:29c0 not on the allowlist");
	CHECK(v.nacs == 1);
	CHECK_STR(v.acs[0], "0000:02:01.0");
	CHECK_STR(v.fix, "boot with pci=disable_acs_redir=0000:02:01.0 for BUS_ADDR "
		  "(weakens isolation between devices)");

	/* through an allowlisted host bridge it still works, the long way round */
	set_id(HB, 0x2020);
	CHECK(predict("0000:03:00.0", "0000:04:00.0") == 0);
	CHECK(v.map_type == TOPO_MAP_THRU_HOST_BRIDGE && v.distance == 4);
	CHECK_STR(v.reason, "ACS P2P Request Redirect set on 0000:02:01.0; "
		  "host bridge 8086:2020 on the allowlist");
	set_id(HB, 0x29c0);

	/* the provider's side too, both listed in walk order; bits named per device */
	set_acs(DN0, 0x104c, 0x8233, T_DOWN, 0x0028);
	CHECK(predict("0000:03:00.0", "0000:04:00.0") == 0);
	CHECK(v.nacs == 2);
	CHECK_STR(v.reason, "ACS P2P Completion Redirect, P2P Egress Control set on 0000:02:00.0; "
		  "ACS P2P Request Redirect set on 0000:02:01.0; "
		  "host bridge 8086:29c0 not on the allowlist");
	CHECK_STR(v.fix, "boot with pci=disable_acs_redir=0000:02:00.0;0000:02:01.0 for BUS_ADDR "
		  "(weakens isolation between devices)");

	/* Source Validation, Translation Blocking, Upstream Forwarding: no redirect */
	set_acs(DN0, 0x104c, 0x8233, T_DOWN, 0x0013);
	set_acs(DN1, 0x104c, 0x8233, T_DOWN, 0x0013);
	CHECK(predict("0000:03:00.0", "0000:04:00.0") == 0);
	CHECK(v.map_type == TOPO_MAP_BUS_ADDR && v.nacs == 0);

	/*
	 * Exactly the kernel's walk: the provider's side includes the common
	 * device (it is tested before it is found to be common) ...
	 */
	set_acs(UP, 0x104c, 0x8232, T_UP, 0x0020);
	CHECK(predict("0000:03:00.0", "0000:04:00.0") == 0);
	CHECK(v.map_type == TOPO_MAP_NOT_SUPPORTED);
	CHECK_STR(v.acs[0], "0000:01:00.0");
	set_acs(UP, 0x104c, 0x8232, T_UP, NO_ACS);
	/* ... and nothing above it counts */
	set_acs(RP, 0x8086, 0x29c9, T_ROOT, 0x001d);
	CHECK(predict("0000:03:00.0", "0000:04:00.0") == 0);
	CHECK(v.map_type == TOPO_MAP_BUS_ADDR && v.nacs == 0);
	/* with no common device it does not matter at all */
	CHECK(predict("0000:03:00.0", "0000:00:04.0") == 0);
	CHECK(v.nacs == 1 && v.map_type == TOPO_MAP_NOT_SUPPORTED);
	CHECK_STR(v.reason, "no common upstream bridge; host bridge 8086:29c0 not on the allowlist");
	set_acs(RP, 0x8086, 0x29c9, T_ROOT, NO_ACS);
	set_acs(DN0, 0x104c, 0x8233, T_DOWN, NO_ACS);
	set_acs(DN1, 0x104c, 0x8233, T_DOWN, NO_ACS);
}

static void test_cpu_rule(void)
{
	char desc[64];

	cpu("AuthenticAMD", 23);
	CHECK(topo_cpu_zen(desc, sizeof(desc)));
	CHECK_STR(desc, "AuthenticAMD family 0x17");
	CHECK(predict("0000:03:00.0", "0000:00:04.0") == 0);
	CHECK(v.map_type == TOPO_MAP_THRU_HOST_BRIDGE && v.distance == 5 && v.cpu_rule);
	CHECK_STR(v.reason, "no common upstream bridge; AuthenticAMD family 0x17 CPU (Zen or later) "
		  "allows any host bridge");
	CHECK(!v.fix[0]);
	/* even between root complexes */
	CHECK(predict("0000:03:00.0", "0000:41:00.0") == 0);
	CHECK(v.map_type == TOPO_MAP_THRU_HOST_BRIDGE && v.cpu_rule);

	cpu("AuthenticAMD", 21);	/* Bulldozer */
	CHECK(!topo_cpu_zen(NULL, 0));
	CHECK(predict("0000:03:00.0", "0000:00:04.0") == 0 && v.map_type == TOPO_MAP_NOT_SUPPORTED);
	cpu("HygonGenuine", 24);	/* X86_VENDOR_HYGON, not AMD */
	CHECK(!topo_cpu_zen(NULL, 0));
	/* the kernel asks CPU 0 only */
	putf("vendor_id\t: GenuineIntel\ncpu family\t: 6\n\nvendor_id\t: AuthenticAMD\n"
	     "cpu family\t: 25\n\n", "%s/cpuinfo", proc);
	CHECK(!topo_cpu_zen(NULL, 0));
	/* $P2PSCOPE_CPUINFO wins over $P2PSCOPE_PROC */
	putf("vendor_id\t: AuthenticAMD\ncpu family\t: 25\n\n", "%s/zen", root);
	setenv("P2PSCOPE_CPUINFO", strcat(strcpy((char[700]){ 0 }, root), "/zen"), 1);
	CHECK(topo_cpu_zen(NULL, 0));
	unsetenv("P2PSCOPE_CPUINFO");
	cpu("GenuineIntel", 6);
}

static void test_root_ports(void)
{
	/* different root ports of one host bridge: no common upstream device */
	CHECK(predict("0000:03:00.0", "0000:05:00.0") == 0);
	CHECK(v.map_type == TOPO_MAP_NOT_SUPPORTED && v.distance == 6);
	CHECK_STR(v.reason, "no common upstream bridge; host bridge 8086:29c0 not on the allowlist");

	/* an allowlisted host bridge (Skylake-E) */
	set_id(HB, 0x2020);
	CHECK(predict("0000:03:00.0", "0000:05:00.0") == 0);
	CHECK(v.map_type == TOPO_MAP_THRU_HOST_BRIDGE && v.distance == 6);
	CHECK_STR(v.reason, "no common upstream bridge; host bridge 8086:2020 on the allowlist");
	CHECK(!v.fix[0]);

	/* REQ_SAME_HOST_BRIDGE entries are fine within one host bridge */
	set_id(HB, 0x3c00);
	CHECK(predict("0000:03:00.0", "0000:05:00.0") == 0);
	CHECK(v.map_type == TOPO_MAP_THRU_HOST_BRIDGE);
	set_id(HB, 0x29c0);
}

static void test_root_complexes(void)
{
	struct topo_host h[8];
	int n;

	/* host bridge 0000:00 not allowed, 0000:40 (8086:2020) allowed */
	CHECK(predict("0000:03:00.0", "0000:41:00.0") == 0);
	CHECK(v.map_type == TOPO_MAP_NOT_SUPPORTED && v.distance == 6);
	CHECK_STR(v.reason, "different root complexes; host bridge 8086:29c0 not on the allowlist");

	/* both allowed */
	set_id(HB, 0x2020);
	CHECK(predict("0000:03:00.0", "0000:41:00.0") == 0);
	CHECK(v.map_type == TOPO_MAP_THRU_HOST_BRIDGE);
	CHECK_STR(v.reason, "different root complexes; host bridges 8086:2020 and 8086:2020 on "
		  "the allowlist");

	/* Xeon E5 host bridges only within themselves */
	set_id(HB, 0x3c00);
	CHECK(predict("0000:41:00.0", "0000:03:00.0") == 0);
	CHECK(v.map_type == TOPO_MAP_NOT_SUPPORTED);
	CHECK_STR(v.reason, "different root complexes; host bridge 8086:3c00 allows P2P only "
		  "within itself");
	set_id(HB, 0x29c0);

	n = topo_hosts(h, 8);
	CHECK(n == 2);
	CHECK_STR(h[0].root, "0000:00");
	CHECK_STR(h[0].dev, "0000:00:00.0");
	CHECK(h[0].vendor == 0x8086 && h[0].device == 0x29c0 && h[0].allow == TOPO_ALLOW_NO);
	CHECK_STR(h[1].root, "0000:40");
	CHECK(h[1].allow == TOPO_ALLOW_YES && !h[1].guessed);

	/*
	 * Skylake has no 00.0: a root port first on the root bus stands for the
	 * host bridge (pci_host_bridge_dev()), and its ID is on the allowlist.
	 */
	pci("pci0000:80/0000:80:01.0", 0x8086, 0x2030, 0x060400, T_ROOT);
	pci("pci0000:80/0000:80:01.0/0000:81:00.0", 0x1b36, 0x0010, NVME_CLASS, T_EP);
	set_id(HB, 0x2020);
	CHECK(predict("0000:03:00.0", "0000:81:00.0") == 0);
	CHECK(v.map_type == TOPO_MAP_THRU_HOST_BRIDGE);
	CHECK_STR(v.reason, "different root complexes; host bridges 8086:2020 and 8086:2030 on "
		  "the allowlist");
	/* a first device that is neither 00.0 nor a root port: no host bridge device */
	pci("pci0000:80/0000:80:00.3", 0x8086, 0x2021, 0x088000, T_RCIEP);
	CHECK(predict("0000:03:00.0", "0000:81:00.0") == 0);
	CHECK(v.map_type == TOPO_MAP_NOT_SUPPORTED);
	CHECK_STR(v.reason, "different root complexes; no host bridge device on root bus 0000:80");
	CHECK(strstr(v.note, "first device 0000:80:00.3 on root bus 0000:80 is neither 00.0 nor "
		     "a root port") != NULL);
	set_id(HB, 0x29c0);
}

static void test_versions(void)
{
	struct topo_host h[8];

	/* Google SoCs (any device): not in 6.12, in 7.3 */
	set_id(HB, 0x0001);
	putf("0x1ae0\n", "%s/devices/" HB "/vendor", sys);
	CHECK(predict("0000:03:00.0", "0000:00:04.0") == 0);
	CHECK(v.map_type == TOPO_MAP_NOT_SUPPORTED && !v.guessed);
	CHECK_STR(v.note, "Google SoCs: on the allowlist from 7.1, not in 6.12");
	setenv("P2PSCOPE_OSRELEASE", "7.3.4+deb13-cloud-amd64", 1);
	CHECK(predict("0000:03:00.0", "0000:00:04.0") == 0);
	CHECK(v.map_type == TOPO_MAP_THRU_HOST_BRIDGE && !v.guessed && !v.note[0]);
	CHECK_STR(v.reason, "no common upstream bridge; host bridge 1ae0:0001 on the allowlist");
	/* in between nobody here knows: said so */
	setenv("P2PSCOPE_OSRELEASE", "6.15.0", 1);
	CHECK(predict("0000:03:00.0", "0000:00:04.0") == 0);
	CHECK(v.map_type == TOPO_MAP_NOT_SUPPORTED && v.guessed);
	CHECK_STR(v.note, "Google SoCs: on the allowlist by 7.1, not in 6.12: this 6.15 kernel "
		  "may have it");
	putf("0x8086\n", "%s/devices/" HB "/vendor", sys);

	/* Intel QAT as the first device of a root bus: 7.2 on */
	set_id(HB, 0x4940);
	setenv("P2PSCOPE_OSRELEASE", "7.2.1", 1);
	CHECK(topo_hosts(h, 8) >= 1 && h[0].allow == TOPO_ALLOW_YES);
	setenv("P2PSCOPE_OSRELEASE", "7.0.9", 1);
	CHECK(topo_hosts(h, 8) >= 1 && h[0].allow == TOPO_ALLOW_NO && !h[0].guessed);
	setenv("P2PSCOPE_OSRELEASE", "7.1.3", 1);
	CHECK(topo_hosts(h, 8) >= 1 && h[0].allow == TOPO_ALLOW_NO && h[0].guessed);
	/* newer than any list we know */
	set_id(HB, 0x29c0);
	setenv("P2PSCOPE_OSRELEASE", "7.9.0", 1);
	CHECK(topo_hosts(h, 8) >= 1 && h[0].allow == TOPO_ALLOW_NO);
	CHECK_STR(h[0].note, "allowlist as of 7.3: this newer kernel may list more");
	setenv("P2PSCOPE_OSRELEASE", "6.12.57-test", 1);
}

/* What a user sees: 64 bytes of config space, so no ACS and no port types. */
static void test_not_root(void)
{
	struct topo_check c[TOPO_MAX_CHECKS];
	bool limited = false;
	char dev[1024];
	struct topo_dev d;
	int n;

	snprintf(dev, sizeof(dev), "%s/devices/%s", sys, DN1);
	config(dev, 0x104c, 0x8233, 0x060400, T_DOWN, 0x0004, 64);
	CHECK(predict("0000:03:00.0", "0000:04:00.0") == 0);
	CHECK(v.map_type == TOPO_MAP_BUS_ADDR && v.guessed);
	CHECK_STR(v.note, "ACS of 0000:02:01.0 unreadable without root: assumed off");
	CHECK(topo_dev_info("0000:02:01.0", &d));
	CHECK(!d.cfg_full && !d.has_acs && d.port_type == -1);
	/* ACS does not matter through the host bridge: no guess */
	CHECK(predict("0000:03:00.0", "0000:00:04.0") == 0);
	CHECK(v.map_type == TOPO_MAP_NOT_SUPPORTED && !v.guessed);
	config(dev, 0x104c, 0x8233, 0x060400, T_DOWN, NO_ACS, 4096);

	/* a root port first on a root bus, its type unreadable: taken as one */
	snprintf(dev, sizeof(dev), "%s/devices/pci0000:80/0000:80:00.3", sys);
	CHECK(system(strcat(strcpy((char[1200]){ 0 }, "rm -rf "), dev)) == 0);
	unlink(strcat(strcpy((char[1024]){ 0 }, sys), "/bus/pci/devices/0000:80:00.3"));
	snprintf(dev, sizeof(dev), "%s/devices/pci0000:80/0000:80:01.0", sys);
	config(dev, 0x8086, 0x2030, 0x060400, T_ROOT, NO_ACS, 64);
	set_id(HB, 0x2020);
	CHECK(predict("0000:03:00.0", "0000:81:00.0") == 0);
	CHECK(v.map_type == TOPO_MAP_THRU_HOST_BRIDGE && v.guessed);
	CHECK(strstr(v.note, "0000:80:01.0 taken for a root port") != NULL);
	set_id(HB, 0x29c0);
	n = topo_kernel_checks(c, TOPO_MAX_CHECKS);
	for (int i = 0; i < n; i++)
		if (!strcmp(c[i].name, "config_space")) {
			CHECK(c[i].status == TOPO_WARN && !strcmp(c[i].value, "limited"));
			CHECK(strstr(c[i].message, "1 of 17 devices show only 64 bytes") != NULL);
			CHECK_STR(c[i].fix, "run as root for a certain answer");
			limited = true;
		}
	CHECK(limited);
	config(dev, 0x8086, 0x2030, 0x060400, T_ROOT, NO_ACS, 4096);
}

static void test_devices(void)
{
	struct topo_dev *devs, d;
	char bdf[TOPO_BDF_LEN];
	int n, dma = 0;

	CHECK(topo_dev_info("0000:03:00.0", &d));
	CHECK(d.provider && d.published && d.allocate);
	CHECK(d.p2p_size == 16777216 && d.p2p_avail == 16711680);
	CHECK_STR(d.nvme, "nvme0");
	CHECK_STR(d.driver, "nvme");
	CHECK_STR(d.upstream, "0000:02:00.0");
	CHECK_STR(d.root, "0000:00");
	CHECK(d.depth == 4 && d.cfg_full && d.pcie && d.port_type == 0);
	CHECK(d.vendor == 0x1b36 && d.device == 0x0010 && d.class == 0x0108);
	CHECK_STR(d.name, "Red Hat, Inc. QEMU NVM Express Controller");
	CHECK_STR(d.class_name, "Non-Volatile memory controller");
	CHECK_STR(d.iommu, "off");
	CHECK(topo_dev_info("0000:00:04.0", &d) && !d.provider && !d.upstream[0] && d.depth == 1);
	CHECK(!topo_dev_info("0000:07:00.0", &d));

	n = topo_devices(&devs);
	CHECK(n == 17);
	for (int i = 1; i < n; i++)
		CHECK(strcmp(devs[i - 1].bdf, devs[i].bdf) < 0);
	for (int i = 0; i < n; i++)
		dma += topo_dma_capable(&devs[i]);
	CHECK(dma == 7);	/* 6 NVMe and the Ethernet function; not bridges, not USB */
	free(devs);

	CHECK(topo_resolve("0000:03:00.0", bdf, sizeof(bdf)));
	CHECK_STR(bdf, "0000:03:00.0");
	CHECK(topo_resolve("04:00.0", bdf, sizeof(bdf)));
	CHECK_STR(bdf, "0000:04:00.0");
	CHECK(topo_resolve("nvme2", bdf, sizeof(bdf)));
	CHECK_STR(bdf, "0000:00:04.0");
	CHECK(topo_resolve("/dev/nvme0", bdf, sizeof(bdf)));
	CHECK_STR(bdf, "0000:03:00.0");
	CHECK(!topo_resolve("nvme9", bdf, sizeof(bdf)));
	CHECK(!topo_resolve("0000:09:00.0", bdf, sizeof(bdf)));
	CHECK(!topo_resolve("../../etc", bdf, sizeof(bdf)));
	CHECK(!topo_resolve("", bdf, sizeof(bdf)));

	/* an IOMMU translating for A, passthrough for B */
	putf("DMA-FQ\n", "%s/kernel/iommu_groups/3/type", sys);
	putf("identity\n", "%s/kernel/iommu_groups/4/type", sys);
	sys_link("kernel/iommu_groups/3", "devices/" A "/iommu_group");
	sys_link("kernel/iommu_groups/4", "devices/" B "/iommu_group");
	CHECK(topo_dev_info("0000:03:00.0", &d));
	CHECK_STR(d.iommu, "translated");
	CHECK(topo_dev_info("0000:04:00.0", &d));
	CHECK_STR(d.iommu, "passthrough");
}

/* ---- the kernel ---- */

/* A BTF blob: an int, the given struct, enum zone_type with the given
 * enumerators, and a FUNC_PROTO and ENUM64 so other kinds are stepped over. */
static void btf(const char *strct, const char *zone_last)
{
	unsigned char buf[4096];
	char strs[512];
	size_t t = 0, s = 1;
	struct btf_header h = { .magic = BTF_MAGIC, .version = BTF_VERSION, .hdr_len = sizeof(h) };
	uint32_t name_int, name_struct, name_x, name_zone, name_normal, name_last, name_e64;

#define STR(var, text) do { var = s; strcpy(strs + s, text); s += strlen(text) + 1; } while (0)
#define U32(v) do { uint32_t x_ = (v); memcpy(buf + sizeof(h) + t, &x_, 4); t += 4; } while (0)
	strs[0] = 0;
	STR(name_int, "int");
	STR(name_struct, strct);
	STR(name_x, "x");
	STR(name_zone, "zone_type");
	STR(name_normal, "ZONE_NORMAL");
	STR(name_last, zone_last);
	STR(name_e64, "big");
	/* [1] INT int */
	U32(name_int); U32(BTF_KIND_INT << 24); U32(4); U32(32);
	/* [2] FUNC_PROTO int (int) */
	U32(0); U32(BTF_KIND_FUNC_PROTO << 24 | 1); U32(1); U32(0); U32(1);
	/* [3] ENUM64 big { x = 1 } */
	U32(name_e64); U32(BTF_KIND_ENUM64 << 24 | 1); U32(8); U32(name_x); U32(1); U32(0);
	/* [4] STRUCT strct { int x; } */
	U32(name_struct); U32(BTF_KIND_STRUCT << 24 | 1); U32(4); U32(name_x); U32(1); U32(0);
	/* [5] ENUM zone_type { ZONE_NORMAL, zone_last } */
	U32(name_zone); U32(BTF_KIND_ENUM << 24 | 2); U32(4);
	U32(name_normal); U32(0); U32(name_last); U32(1);
	h.type_off = 0;
	h.type_len = t;
	h.str_off = t;
	h.str_len = s;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h) + t, strs, s);
	put(strcat(strcpy((char[700]){ 0 }, sys), "/kernel/btf/vmlinux"), buf, sizeof(h) + t + s);
#undef STR
#undef U32
}

static void config_gz(const char *text)
{
	char path[700];
	gzFile z;

	snprintf(path, sizeof(path), "%s/config.gz", proc);
	z = gzopen(path, "wb");
	CHECK(z != NULL);
	gzputs(z, text);
	gzclose(z);
}

static void rm(const char *dir, const char *name)
{
	char path[700];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

static const struct topo_check *find(const struct topo_check *c, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(c[i].name, name))
			return &c[i];
	return NULL;
}

static void test_kconfig(void)
{
	char src[1024], want[1024];
	struct topo_check c[TOPO_MAX_CHECKS];
	const struct topo_check *k;
	int n;

	/* nothing to read */
	CHECK(topo_kconfig("PCI_P2PDMA", src, sizeof(src)) == -1);
	CHECK(strstr(src, "none of ") == src);

	/* BTF only: struct pci_p2pdma_pagemap is defined in p2pdma.c alone */
	btf("pci_p2pdma_pagemap", "ZONE_DEVICE");
	CHECK(topo_kconfig("PCI_P2PDMA", src, sizeof(src)) == 1);
	snprintf(want, sizeof(want), "BTF %s/kernel/btf/vmlinux: struct pci_p2pdma_pagemap", sys);
	CHECK_STR(src, want);
	CHECK(topo_kconfig("ZONE_DEVICE", src, sizeof(src)) == 1);
	CHECK(topo_kconfig("DEBUG_INFO_BTF", src, sizeof(src)) == 1);
	/* pci_p2pdma_map_state is in every kernel's BTF (pci-p2pdma.h): not a sign */
	btf("pci_p2pdma_map_state", "ZONE_MOVABLE");
	CHECK(topo_kconfig("PCI_P2PDMA", src, sizeof(src)) == 0);
	CHECK(topo_kconfig("ZONE_DEVICE", src, sizeof(src)) == 0);
	CHECK(topo_kconfig("PCI_MSI", src, sizeof(src)) == -1);
	/* a broken blob tells nothing */
	putf("garbage", "%s/kernel/btf/vmlinux", sys);
	CHECK(topo_kconfig("PCI_P2PDMA", src, sizeof(src)) == -1);
	btf("pci_p2pdma_pagemap", "ZONE_DEVICE");

	/* /proc/config.gz comes before BTF, with P2PDMA ... */
	btf("pci_p2pdma_map_state", "ZONE_MOVABLE");
	config_gz("CONFIG_ZONE_DEVICE=y\nCONFIG_PCI_P2PDMA=y\n");
	CHECK(topo_kconfig("PCI_P2PDMA", src, sizeof(src)) == 1);
	CHECK(topo_kconfig("ZONE_DEVICE", src, sizeof(src)) == 1);
	btf("pci_p2pdma_pagemap", "ZONE_DEVICE");
	/* ... and without */
	config_gz("CONFIG_ZONE_DEVICE=y\n# CONFIG_PCI_P2PDMA is not set\n");
	CHECK(topo_kconfig("PCI_P2PDMA", src, sizeof(src)) == 0);
	snprintf(want, sizeof(want), "%s/config.gz", proc);
	CHECK_STR(src, want);
	CHECK(topo_kconfig("ZONE_DEVICE", src, sizeof(src)) == 1);
	/* absent from a config: its dependencies are not met */
	CHECK(topo_kconfig("DEBUG_INFO_BTF", src, sizeof(src)) == 0);

	/* /boot/config-RELEASE comes first; =m counts (not that P2PDMA can be) */
	putf("CONFIG_PCI_P2PDMA=y\nCONFIG_ZONE_DEVICE=y\nCONFIG_NVME_CORE=m\n",
	     "%s/config-6.12.57-test", boot);
	CHECK(topo_kconfig("PCI_P2PDMA", src, sizeof(src)) == 1);
	snprintf(want, sizeof(want), "%s/config-6.12.57-test", boot);
	CHECK_STR(src, want);
	CHECK(topo_kconfig("NVME_CORE", src, sizeof(src)) == 1);
	/* of the running release only */
	setenv("P2PSCOPE_OSRELEASE", "6.1.0-28-amd64", 1);
	CHECK(topo_kconfig("PCI_P2PDMA", src, sizeof(src)) == 0);
	setenv("P2PSCOPE_OSRELEASE", "6.12.57-test", 1);

	/* the checks: a kernel with P2PDMA and our patches */
	putf("ffffffff81000000 T pci_mmap_p2pmem\nffffffff82000000 D __tracepoint_p2pdma_map_type\n",
	     "%s/kallsyms", proc);
	n = topo_kernel_checks(c, TOPO_MAX_CHECKS);
	CHECK(n == 9);
	CHECK((k = find(c, n, "p2pdma")) && k->status == TOPO_OK && !k->fix[0]);
	CHECK(k && !strcmp(k->source, want));
	CHECK((k = find(c, n, "zone_device")) && k->status == TOPO_OK);
	CHECK((k = find(c, n, "btf")) && k->status == TOPO_OK);
	CHECK((k = find(c, n, "sysfs_alloc")) && k->status == TOPO_OK && !strcmp(k->value, "1"));
	CHECK(k && strstr(k->message, "(0000:03:00.0)"));
	CHECK((k = find(c, n, "cmb_mmap")) && k->status == TOPO_OK && !strcmp(k->value, "yes"));
	CHECK((k = find(c, n, "tracepoints")) && k->status == TOPO_OK);
	CHECK((k = find(c, n, "iommu")) && !strcmp(k->value, "mixed"));
	CHECK((k = find(c, n, "cpu")) && !strcmp(k->value, "other"));
	CHECK((k = find(c, n, "config_space")) && k->status == TOPO_OK);

	/* a config that says no while a p2pmem group exists is another build's */
	putf("# CONFIG_PCI_P2PDMA is not set\n", "%s/config-6.12.57-test", boot);
	n = topo_kernel_checks(c, TOPO_MAX_CHECKS);
	CHECK((k = find(c, n, "p2pdma")) && k->status == TOPO_OK);
	CHECK(k && strstr(k->source, "says not set, but it must be another build"));

	/* a stock kernel without P2PDMA: says so with the fix */
	rename(strcat(strcpy((char[1024]){ 0 }, sys), "/devices/" A "/p2pmem"),
	       strcat(strcpy((char[1024]){ 0 }, sys), "/devices/" A "/p2pmem.off"));
	putf("ffffffff81000000 T pci_p2pdma_add_resource\n", "%s/kallsyms", proc);
	n = topo_kernel_checks(c, TOPO_MAX_CHECKS);
	CHECK((k = find(c, n, "p2pdma")) && k->status == TOPO_FAIL && !strcmp(k->value, "not set"));
	CHECK(k && strstr(k->fix, "CONFIG_PCI_P2PDMA=y"));
	CHECK((k = find(c, n, "cmb_mmap")) && !strcmp(k->value, "no"));
	CHECK((k = find(c, n, "tracepoints")) && !strcmp(k->value, "no"));
	CHECK(k && strstr(k->message, "fall back to fentry and kprobes"));

	CHECK((k = find(c, n, "sysfs_alloc")) && k->status == TOPO_FAIL);
	rename(strcat(strcpy((char[1024]){ 0 }, sys), "/devices/" A "/p2pmem.off"),
	       strcat(strcpy((char[1024]){ 0 }, sys), "/devices/" A "/p2pmem"));

	/* nothing tells, but a p2pmem group exists: only P2PDMA kernels make them */
	rm(boot, "config-6.12.57-test");
	rm(proc, "config.gz");
	rm(sys, "kernel/btf/vmlinux");
	rm(proc, "kallsyms");
	n = topo_kernel_checks(c, TOPO_MAX_CHECKS);
	CHECK((k = find(c, n, "p2pdma")) && k->status == TOPO_OK);
	CHECK(k && strstr(k->source, "p2pmem groups"));
	CHECK((k = find(c, n, "zone_device")) && k->status == TOPO_OK);
	CHECK(k && !strcmp(k->source, "implied: PCI_P2PDMA depends on ZONE_DEVICE"));
	CHECK((k = find(c, n, "btf")) && k->status == TOPO_WARN);
	CHECK((k = find(c, n, "cmb_mmap")) && !strcmp(k->value, "unknown"));
	/* the tracepoints of a tracefs */
	mkdirs(strcat(strcpy((char[700]){ 0 }, sys), "/kernel/tracing/events/p2pdma"));
	n = topo_kernel_checks(c, TOPO_MAX_CHECKS);
	CHECK((k = find(c, n, "tracepoints")) && k->status == TOPO_OK);
}

/* Two functions of one device, and ACS on an endpoint. */
static void test_functions(void)
{
	pci(DN0 "/0000:03:00.1", 0x1b36, 0x0010, NVME_CLASS, T_EP);
	CHECK(predict("0000:03:00.0", "0000:03:00.1") == 0);
	CHECK(v.map_type == TOPO_MAP_BUS_ADDR && v.distance == 2);
	CHECK_STR(v.reason, "common upstream bridge 0000:02:00.0, no ACS redirect on the path");
	/* the provider's own ACS counts, as the kernel tests it first */
	config(strcat(strcpy((char[1024]){ 0 }, sys), "/devices/" A), 0x1b36, 0x0010, NVME_CLASS,
	       T_EP, 0x0004, 4096);
	CHECK(predict("0000:03:00.0", "0000:03:00.1") == 0);
	CHECK(v.map_type == TOPO_MAP_NOT_SUPPORTED && v.distance == 2);
	CHECK_STR(v.reason, "ACS P2P Request Redirect set on 0000:03:00.0; "
		  "host bridge 8086:29c0 not on the allowlist");
	/* even for DMA to its own memory */
	CHECK(predict("0000:03:00.0", "0000:03:00.0") == 0);
	CHECK(v.map_type == TOPO_MAP_NOT_SUPPORTED && v.distance == 0);
	config(strcat(strcpy((char[1024]){ 0 }, sys), "/devices/" A), 0x1b36, 0x0010, NVME_CLASS,
	       T_EP, NO_ACS, 4096);
}

int main(void)
{
	machine();
	/* names from a database of our own, not the host's */
	{
		char ids[700];

		snprintf(ids, sizeof(ids), "%s/pci.ids", root);
		putf("1b36  Red Hat, Inc.\n\t0010  QEMU NVM Express Controller\n"
		     "8086  Intel Corporation\n\t29c0  82G33/G31/P35/P31 Express DRAM Controller\n"
		     "C 01  Mass storage controller\n\t08  Non-Volatile memory controller\n",
		     "%s", ids);
		setenv("P2PSCOPE_PCI_IDS", ids, 1);
	}
	test_lab();
	test_acs();
	test_cpu_rule();
	test_root_ports();
	test_root_complexes();
	test_versions();
	test_not_root();
	test_devices();
	test_kconfig();
	test_functions();
	cleanup();
	return unit_done("topo");
}
