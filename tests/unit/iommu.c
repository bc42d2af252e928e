// SPDX-License-Identifier: GPL-2.0
/*
 * The IOMMU fault lines of the Intel and AMD drivers, parsed field by
 * field; lines that are not faults, or are cut short, refused; the
 * providers' BARs from a fake sysfs and the lookup of a faulting address;
 * the kernel log read from a file; the BUS_ADDR warning.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "fakesys.h"
#include "iommu.h"
#include "unit.h"

static struct iommu_fault f;

static bool parse(const char *line)
{
	memset(&f, 0x55, sizeof(f));	/* every field must be set, or cleared */
	return iommu_fault_parse(line, &f);
}

static const char *bdf(void)
{
	static char buf[32];

	return iommu_fault_bdf(&f, buf, sizeof(buf));
}

static void test_intel(void)
{
	/* 6.12: the device without its domain */
	CHECK(parse("[   16.227320] DMAR: [DMA Write NO_PASID] Request device [04:00.0] fault addr "
		    "0xfc000000 [fault reason 0x05] PTE Write access is not set"));
	CHECK(f.kind == IOMMU_KIND_INTEL);
	CHECK_STR(bdf(), "0000:04:00.0");
	CHECK(f.domain == 0 && f.bus == 4 && f.devfn == 0);
	CHECK(f.addr == 0xfc000000ULL);
	CHECK(f.dir == IOMMU_DIR_WRITE);
	CHECK(!f.has_pasid && f.pasid == 0);
	CHECK(f.reason == 5);
	CHECK_STR(f.reason_text, "PTE Write access is not set");
	CHECK_STR(iommu_dir_name(f.dir), "write");
	CHECK_STR(iommu_kind_name(f.kind), "intel");

	/* 7.3: with the domain, as a /dev/kmsg record */
	CHECK(parse("3,812,16233294,-;DMAR: [DMA Read NO_PASID] Request device [0001:3a:1f.7] fault "
		    "addr 0x38fffc010000 [fault reason 0x06] PTE Read access is not set\n"));
	CHECK(f.domain == 1 && f.bus == 0x3a && f.devfn == (0x1f << 3 | 7));
	CHECK_STR(bdf(), "0001:3a:1f.7");
	CHECK(f.addr == 0x38fffc010000ULL && f.dir == IOMMU_DIR_READ && f.reason == 6);
	CHECK_STR(f.reason_text, "PTE Read access is not set");

	/* with a PASID; a 64-bit address */
	CHECK(parse("DMAR: [DMA Write PASID 0x2a] Request device [00:02.0] fault addr "
		    "0xffffffffffff0000 [fault reason 0x59] SM: Present bit in PASID entry is clear"));
	CHECK(f.has_pasid && f.pasid == 0x2a);
	CHECK(f.addr == 0xffffffffffff0000ULL && f.reason == 0x59);
	CHECK_STR(f.reason_text, "SM: Present bit in PASID entry is clear");

	/* interrupt remapping faults carry no DMA address */
	CHECK(!parse("DMAR: [INTR-REMAP] Request device [f0:1f.0] fault index 0x0 "
		     "[fault reason 0x25] Blocked a compatibility format interrupt request"));
	/* the line before each fault */
	CHECK(!parse("DMAR: DRHD: handling fault status reg 2"));
	/* cut short anywhere */
	CHECK(!parse("DMAR: [DMA Write NO_PASID] Request device [04:00.0] fault addr 0xfc000000 "
		     "[fault reason 0x05]"));
	CHECK(!parse("DMAR: [DMA Write NO_PASID] Request device [04:00.0] fault addr 0xfc000000 "
		     "[fault reason 0x05"));
	CHECK(!parse("DMAR: [DMA Write NO_PASID] Request device [04:00.0] fault addr 0xfc0"));
	CHECK(!parse("DMAR: [DMA Write NO_PASID] Request device [04:0"));
	CHECK(!parse("DMAR: [DMA Wr"));
	/* nonsense in the fields */
	CHECK(!parse("DMAR: [DMA Write NO_PASID] Request device [04:20.0] fault addr 0xfc000000 "
		     "[fault reason 0x05] x"));	/* device 0x20 > 0x1f */
	CHECK(!parse("DMAR: [DMA Write NO_PASID] Request device [04:00.8] fault addr 0xfc000000 "
		     "[fault reason 0x05] x"));	/* function 8 */
	CHECK(!parse("DMAR: [DMA Write NO_PASID] Request device [04:00.0] fault addr "
		     "0x1fc0000000000000000 [fault reason 0x05] x"));	/* 65 bits */
	CHECK(!parse("DMAR: [DMA Write NO_PASID] Request device [04:00.0] fault addr zz "
		     "[fault reason 0x05] x"));
	CHECK(!parse("DMAR: [DMA Exec NO_PASID] Request device [04:00.0] fault addr 0x0 "
		     "[fault reason 0x05] x"));
	/* a failed parse leaves nothing behind */
	CHECK(f.kind == 0 && f.addr == 0 && !f.reason_text[0]);
}

static void test_amd(void)
{
	/* no struct device: the device in the brackets */
	CHECK(parse("[    5.1] AMD-Vi: Event logged [IO_PAGE_FAULT device=0000:04:00.0 domain=0x0000 "
		    "address=0xfc000000 flags=0x0020]"));
	CHECK(f.kind == IOMMU_KIND_AMD);
	CHECK_STR(bdf(), "0000:04:00.0");
	CHECK(f.addr == 0xfc000000ULL && f.dir == IOMMU_DIR_WRITE && f.reason == 0x20);
	CHECK_STR(f.reason_text, "IO_PAGE_FAULT");
	CHECK_STR(iommu_kind_name(f.kind), "amd");
	/* older kernels: no domain in the device; flags without RW: a read */
	CHECK(parse("AMD-Vi: Event logged [IO_PAGE_FAULT device=41:00.1 domain=0x000e "
		    "address=0x7f000 flags=0x0010]"));
	CHECK_STR(bdf(), "0000:41:00.1");
	CHECK(f.addr == 0x7f000 && f.dir == IOMMU_DIR_READ && f.reason == 0x10);
	/* the device in dev_printk's prefix, as a kmsg record */
	CHECK(parse("3,900,5000000,-;nvme 0000:04:00.0: AMD-Vi: Event logged [IO_PAGE_FAULT "
		    "domain=0x000e address=0xfc010000 flags=0x0020]"));
	CHECK_STR(bdf(), "0000:04:00.0");
	CHECK(f.addr == 0xfc010000ULL && f.dir == IOMMU_DIR_WRITE);
	/* other events, and no device at all */
	CHECK(!parse("AMD-Vi: Event logged [ILLEGAL_DEV_TABLE_ENTRY device=0000:04:00.0 "
		     "pasid=0x00000 address=0xfc000000 flags=0x0020]"));
	CHECK(!parse("AMD-Vi: Event logged [IO_PAGE_FAULT domain=0x000e address=0xfc010000 "
		     "flags=0x0020]"));
	CHECK(!parse("nvme nvme1: AMD-Vi: Event logged [IO_PAGE_FAULT domain=0x000e "
		     "address=0xfc010000 flags=0x0020]"));
	/* cut short */
	CHECK(!parse("AMD-Vi: Event logged [IO_PAGE_FAULT device=0000:04:00.0 domain=0x0000 "
		     "address=0xfc000000 flags=0x0020"));
	CHECK(!parse("AMD-Vi: Event logged [IO_PAGE_FAULT device=0000:04:00.0 domain=0x0000 "
		     "address=0xfc00"));
	CHECK(!parse("AMD-Vi: Event logged [IO_PAGE_FAULT device=0000:04:00.0 domain=0x0000]"));
	CHECK(!parse("AMD-Vi: Event logged [IO_PAGE_FAULT device=0000:04:0"));
	CHECK(!parse("AMD-Vi: Event logged [IO_PAGE_FAULT device=0000:04:00.0 bogus=1 "
		     "address=0xfc000000 flags=0x0020]"));
}

static void test_garbage(void)
{
	char junk[600];

	CHECK(!parse(""));
	CHECK(!parse("nvme nvme1: 1/0/0 default/read/poll queues"));
	CHECK(!parse("DMAR:"));
	CHECK(!parse("AMD-Vi:"));
	CHECK(!parse("DMAR: [DMA "));
	CHECK(!parse("AMD-Vi: Event logged ["));
	CHECK(!parse("\xff\xfe DMAR: [DMA Write NO_PASID] Request device [\x1b[31m] fault addr 0x0 "
		     "[fault reason 0x05] x"));
	memset(junk, 'f', sizeof(junk) - 1);
	junk[sizeof(junk) - 1] = 0;
	memcpy(junk, "DMAR: [DMA Write NO_PASID] Request device [04:00.0] fault addr 0x", 65);
	CHECK(!parse(junk));
	/* reason text beyond the buffer is cut, not overrun; control bytes are kept for the caller to escape */
	snprintf(junk, sizeof(junk), "DMAR: [DMA Write NO_PASID] Request device [04:00.0] fault addr "
		 "0x1000 [fault reason 0x05] \x1b]0;owned\x07 %0400d", 0);
	CHECK(parse(junk));
	CHECK(strlen(f.reason_text) == sizeof(f.reason_text) - 1);
	CHECK(!strncmp(f.reason_text, "\x1b]0;owned\x07 0000", 14));
}

/* A provider whose CMB is BAR 2, as the lab's A; a device that is not one. */
static void test_bars(void)
{
	struct iommu_bars t;
	int i;

	mk("bus/pci/devices/0000:03:00.0/p2pmem");
	put("bus/pci/devices/0000:03:00.0/resource",
	    "0x00000000fe800000 0x00000000fe803fff 0x0000000000140204\n"
	    "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	    "0x00000000fc000000 0x00000000fcffffff 0x000000000014220c\n"
	    "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	    "0x000000000000c000 0x000000000000c03f 0x0000000000040101\n"	/* I/O ports */
	    "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	    "0x00000000fe840000 0x00000000fe87ffff 0x0000000000046200\n");	/* ROM: not a BAR */
	mk("bus/pci/devices/0000:04:00.0");
	put("bus/pci/devices/0000:04:00.0/resource",
	    "0x00000000fe600000 0x00000000fe603fff 0x0000000000140204\n");
	/* a second provider, its BAR 0 in 64-bit space */
	mk("bus/pci/devices/0000:41:00.0/p2pmem");
	put("bus/pci/devices/0000:41:00.0/resource",
	    "0x0000380000000000 0x00003800ffffffff 0x000000000014220c\n");

	CHECK(provider_bars_load(&t) == 3);
	CHECK(t.n == 3);
	CHECK_STR(t.bar[0].bdf, "0000:03:00.0");
	CHECK(t.bar[0].bar == 0 && t.bar[0].start == 0xfe800000 && t.bar[0].end == 0xfe803fff);
	CHECK(t.bar[1].bar == 2 && t.bar[1].start == 0xfc000000 && t.bar[1].end == 0xfcffffff);
	CHECK_STR(t.bar[2].bdf, "0000:41:00.0");

	CHECK((i = provider_for_addr(&t, 0xfc000000)) == 1);
	CHECK(provider_for_addr(&t, 0xfc010000) == 1);
	CHECK(provider_for_addr(&t, 0xfcffffff) == 1);
	CHECK(provider_for_addr(&t, 0xfd000000) == -1);	/* one past the end */
	CHECK(provider_for_addr(&t, 0xfbffffff) == -1);
	CHECK(provider_for_addr(&t, 0xfe600000) == -1);	/* B's BAR: not a provider */
	CHECK(provider_for_addr(&t, 0xc000) == -1);		/* I/O space */
	CHECK(provider_for_addr(&t, 0xfe840000) == -1);	/* the ROM */
	CHECK(provider_for_addr(&t, 0x380012345000ULL) == 2);

	/* a fault parsed, then looked up: the lab's */
	CHECK(parse("DMAR: [DMA Write NO_PASID] Request device [0000:04:00.0] fault addr 0xfc020000 "
		    "[fault reason 0x05] PTE Write access is not set"));
	CHECK(provider_for_addr(&t, f.addr) == 1);

	/* a provider without a resource file is left out */
	CHECK(unlink(strcat(strcpy((char[600]){ 0 }, fake_root),
			    "/bus/pci/devices/0000:41:00.0/resource")) == 0);
	CHECK(provider_bars_load(&t) == 2);
}

static int nlines, nfaults;

static void count(const char *line, void *arg)
{
	struct iommu_fault g;

	CHECK(arg == &nlines);
	CHECK(!strchr(line, '\n'));
	nlines++;
	nfaults += iommu_fault_parse(line, &g);
}

static void test_klog(void)
{
	char path[600], src[300];
	int n;

	fake_path(path, sizeof(path), "kmsg", 0);
	put("kmsg", "6,1,0,-;Linux version 7.3.4\n"
	    " SUBSYSTEM=pci\n"
	    "3,2,16227049,-;DMAR: DRHD: handling fault status reg 2\n"
	    "3,3,16227320,-;DMAR: [DMA Write NO_PASID] Request device [0000:04:00.0] fault addr "
	    "0xfc000000 [fault reason 0x05] PTE Write access is not set\n"
	    "[   16.2] DMAR: [DMA Write NO_PASID] Request device [04:00.0] fault addr 0xfc010000 "
	    "[fault reason 0x05] PTE Write access is not set\n"
	    "no newline at the end");
	setenv("P2PSCOPE_KMSG", path, 1);
	nlines = nfaults = 0;
	n = iommu_klog_read(count, &nlines, src, sizeof(src));
	CHECK(n == 6 && nlines == 6 && nfaults == 2);
	CHECK_STR(src, path);

	fake_path(path, sizeof(path), "no-such-log", 0);
	setenv("P2PSCOPE_KMSG", path, 1);
	CHECK(iommu_klog_read(count, &nlines, src, sizeof(src)) == -ENOENT);
	CHECK(strstr(src, "No such file or directory") != NULL);
	unsetenv("P2PSCOPE_KMSG");
}

static void test_warning(void)
{
	char w[1024];

	CHECK(iommu_pair_warning(true, "translated", "0000:03:00.0", "0000:04:00.0", 4, w, sizeof(w)));
	CHECK(strstr(w, "the IOMMU translates DMA of 0000:04:00.0") == w);
	CHECK(strstr(w, "inside the switch") != NULL);
	CHECK(strstr(w, "not in a VM with a vIOMMU, not where a switch forwards P2P upstream"));
	CHECK(strstr(w, "p2pio --verify --pattern --sysfs 0000:03:00.0 SRC DST"));
	CHECK(strstr(w, "iommu=pt or an identity domain"));
	CHECK(strstr(w, "a VM without a vIOMMU or with the devices passed through"));
	CHECK(strstr(w, "ACS redirect so the kernel routes through an allowlisted host bridge"));
	CHECK(iommu_pair_warning(true, "translated", "0000:03:00.0", "0000:03:00.0", 0, w, sizeof(w)));
	CHECK(strstr(w, "inside the device") != NULL);
	/* nothing to warn about: passthrough, off, or not BUS_ADDR */
	w[0] = 'x';
	CHECK(!iommu_pair_warning(true, "passthrough", "a", "b", 4, w, sizeof(w)) && !w[0]);
	CHECK(!iommu_pair_warning(true, "off", "a", "b", 4, w, sizeof(w)) && !w[0]);
	CHECK(!iommu_pair_warning(false, "translated", "a", "b", 5, w, sizeof(w)) && !w[0]);
}

int main(void)
{
	fake_begin();
	test_intel();
	test_amd();
	test_garbage();
	test_bars();
	test_klog();
	test_warning();
	fake_end();
	return unit_done("iommu");
}
