// SPDX-License-Identifier: GPL-2.0
/*
 * IOMMU faults from the kernel log, the providers' BARs they hit, and the
 * warning for BUS_ADDR pairs behind a translating IOMMU.
 *
 * The fault lines are those of drivers/iommu/intel/dmar.c
 * (dmar_fault_do_one()) and drivers/iommu/amd/iommu.c
 * (amd_iommu_report_page_fault()) in 6.12 and 7.3.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <unistd.h>
#include "iommu.h"
#include "strbuf.h"
#include "sysfs.h"	/* sysfs_root(), proc_root(), provider_list() */

/* ---- the fault lines ---- */

static bool lit(const char **s, const char *text)
{
	size_t n = strlen(text);

	if (strncmp(*s, text, n))
		return false;
	*s += n;
	return true;
}

/* 1 to max hex digits, with or without 0x */
static bool hex(const char **s, int max, uint64_t *v)
{
	const char *p = *s;
	int n = 0;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	*v = 0;
	while (isxdigit((unsigned char)*p) && n < max) {
		*v = *v << 4 | (isdigit((unsigned char)*p) ? *p - '0' : (tolower(*p) - 'a' + 10));
		p++;
		n++;
	}
	if (!n || isxdigit((unsigned char)*p))
		return false;
	*s = p;
	return true;
}

/* "0000:04:00.0" or "04:00.0" (domain 0), as the two drivers print them */
static bool bdf(const char **s, struct iommu_fault *f)
{
	uint64_t a, b, c, fn;
	const char *p = *s;

	if (!hex(&p, 5, &a) || !lit(&p, ":") || !hex(&p, 2, &b))
		return false;
	if (lit(&p, ":")) {
		if (!hex(&p, 2, &c))
			return false;
	} else {
		c = b;
		b = a;
		a = 0;
	}
	if (!lit(&p, ".") || !hex(&p, 1, &fn) || b > 0xff || c > 0x1f || fn > 7)
		return false;
	f->domain = a;
	f->bus = b;
	f->devfn = c << 3 | fn;
	*s = p;
	return true;
}

/* the rest of the line, without trailing blanks; false if nothing is left */
static bool text(const char *s, char *buf, size_t len)
{
	size_t n;

	while (*s == ' ')
		s++;
	n = strcspn(s, "\n");
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (!n)
		return false;
	buf_set(buf, len, "%.*s", (int)n, s);
	return true;
}

/*
 * "[DMA Write NO_PASID] Request device [04:00.0] fault addr 0xfc000000
 * [fault reason 0x05] PTE Write access is not set"; the interrupt
 * remapping faults ("[INTR-REMAP]") carry no DMA address and are not ours.
 */
static bool parse_intel(const char *p, struct iommu_fault *f)
{
	uint64_t v;

	if (!lit(&p, "[DMA "))
		return false;
	if (lit(&p, "Read"))
		f->dir = IOMMU_DIR_READ;
	else if (lit(&p, "Write"))
		f->dir = IOMMU_DIR_WRITE;
	else
		return false;
	if (lit(&p, " PASID ")) {
		if (!hex(&p, 8, &v))
			return false;
		f->has_pasid = true;
		f->pasid = v;
	} else if (!lit(&p, " NO_PASID")) {
		return false;
	}
	if (!lit(&p, "] Request device [") || !bdf(&p, f) || !lit(&p, "] fault addr ") ||
	    !hex(&p, 16, &f->addr) || !lit(&p, " [fault reason ") || !hex(&p, 2, &v) ||
	    !lit(&p, "]"))
		return false;
	f->reason = v;
	return text(p, f->reason_text, sizeof(f->reason_text));
}

/*
 * "Event logged [IO_PAGE_FAULT device=0000:04:00.0 domain=0x0000
 * address=0xfc000000 flags=0x0020]": the device is in the brackets when
 * the driver has no struct device for it, else in dev_printk's prefix
 * ("nvme 0000:04:00.0: AMD-Vi: ...").
 */
static bool parse_amd(const char *line, const char *p, struct iommu_fault *f)
{
	bool dev = false, addr = false, flags = false;
	uint64_t v;

	/* dev_printk's "DRIVER BDF: " right before the prefix */
	if (p - line >= 2 && p[-2] == ':' && p[-1] == ' ') {
		const char *q = p - 2;

		while (q > line && q[-1] != ' ' && q[-1] != ';' && q[-1] != ']')
			q--;
		dev = bdf(&q, f) && q == p - 2;
	}
	p += strlen("AMD-Vi: ");
	if (!lit(&p, "Event logged [IO_PAGE_FAULT"))
		return false;
	for (;;) {
		if (lit(&p, "]"))
			break;
		if (!lit(&p, " "))
			return false;	/* cut short */
		if (lit(&p, "device=")) {
			if (!bdf(&p, f))
				return false;
			dev = true;
		} else if (lit(&p, "address=")) {
			if (!hex(&p, 16, &f->addr))
				return false;
			addr = true;
		} else if (lit(&p, "flags=")) {
			if (!hex(&p, 4, &v))
				return false;
			f->reason = v;
			flags = true;
		} else if (lit(&p, "domain=") || lit(&p, "pasid=")) {
			if (!hex(&p, 8, &v))
				return false;
		} else {
			return false;
		}
	}
	if (!dev || !addr || !flags)
		return false;
	/* EVENT_FLAG_RW: the request was a write */
	f->dir = f->reason & 0x020 ? IOMMU_DIR_WRITE : IOMMU_DIR_READ;
	buf_set(f->reason_text, sizeof(f->reason_text), "IO_PAGE_FAULT");
	return true;
}

bool iommu_fault_parse(const char *line, struct iommu_fault *f)
{
	const char *p;

	memset(f, 0, sizeof(*f));
	if ((p = strstr(line, "DMAR: [DMA "))) {
		f->kind = IOMMU_KIND_INTEL;
		if (parse_intel(p + strlen("DMAR: "), f))
			return true;
	} else if ((p = strstr(line, "AMD-Vi: Event logged ["))) {
		f->kind = IOMMU_KIND_AMD;
		if (parse_amd(line, p, f))
			return true;
	}
	memset(f, 0, sizeof(*f));
	return false;
}

const char *iommu_fault_bdf(const struct iommu_fault *f, char *buf, size_t len)
{
	buf_set(buf, len, "%04x:%02x:%02x.%x", f->domain, f->bus, f->devfn >> 3, f->devfn & 7);
	return buf;
}

/* drivers/iommu/intel/dmar.c's dma_remap_fault_reasons and _sm_ (from 0x30) */
static const char *const dma_remap_reasons[] = {
	"Software",
	"Present bit in root entry is clear",
	"Present bit in context entry is clear",
	"Invalid context entry",
	"Access beyond MGAW",
	"PTE Write access is not set",
	"PTE Read access is not set",
	"Next page table ptr is invalid",
	"Root table address invalid",
	"Context table ptr is invalid",
	"non-zero reserved fields in RTP",
	"non-zero reserved fields in CTP",
	"non-zero reserved fields in PTE",
	"PCE for translation request specifies blocking",
};

static const char *const dma_remap_sm_reasons[] = {
	"SM: Invalid Root Table Address",
	"SM: TTM 0 for request with PASID",
	"SM: TTM 0 for page group request",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", /* 0x33-0x37 */
	"SM: Error attempting to access Root Entry",
	"SM: Present bit in Root Entry is clear",
	"SM: Non-zero reserved field set in Root Entry",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", /* 0x3B-0x3F */
	"SM: Error attempting to access Context Entry",
	"SM: Present bit in Context Entry is clear",
	"SM: Non-zero reserved field set in the Context Entry",
	"SM: Invalid Context Entry",
	"SM: DTE field in Context Entry is clear",
	"SM: PASID Enable field in Context Entry is clear",
	"SM: PASID is larger than the max in Context Entry",
	"SM: PRE field in Context-Entry is clear",
	"SM: RID_PASID field error in Context-Entry",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown", /* 0x49-0x4F */
	"SM: Error attempting to access the PASID Directory Entry",
	"SM: Present bit in Directory Entry is clear",
	"SM: Non-zero reserved field set in PASID Directory Entry",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", /* 0x53-0x57 */
	"SM: Error attempting to access PASID Table Entry",
	"SM: Present bit in PASID Table Entry is clear",
	"SM: Non-zero reserved field set in PASID Table Entry",
	"SM: Invalid Scalable-Mode PASID Table Entry",
	"SM: ERE field is clear in PASID Table Entry",
	"SM: SRE field is clear in PASID Table Entry",
	"Unknown", "Unknown",/* 0x5E-0x5F */
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown", /* 0x60-0x67 */
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown", /* 0x68-0x6F */
	"SM: Error attempting to access first-level paging entry",
	"SM: Present bit in first-level paging entry is clear",
	"SM: Non-zero reserved field set in first-level paging entry",
	"SM: Error attempting to access FL-PML4 entry",
	"SM: First-level entry address beyond MGAW in Nested translation",
	"SM: Read permission error in FL-PML4 entry in Nested translation",
	"SM: Read permission error in first-level paging entry in Nested translation",
	"SM: Write permission error in first-level paging entry in Nested translation",
	"SM: Error attempting to access second-level paging entry",
	"SM: Read/Write permission error in second-level paging entry",
	"SM: Non-zero reserved field set in second-level paging entry",
	"SM: Invalid second-level page table pointer",
	"SM: A/D bit update needed in second-level entry when set up in no snoop",
	"Unknown", "Unknown", "Unknown", /* 0x7D-0x7F */
	"SM: Address in first-level translation is not canonical",
	"SM: U/S set 0 for first-level translation with user privilege",
	"SM: No execute permission for request with PASID and ER=1",
	"SM: Address beyond the DMA hardware max",
	"SM: Second-level entry address beyond the max",
	"SM: No write permission for Write/AtomicOp request",
	"SM: No read permission for Read/AtomicOp request",
	"SM: Invalid address-interrupt address",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown", /* 0x88-0x8F */
	"SM: A/D bit update needed in first-level entry when set up in no snoop",
};

const char *iommu_reason_text(int kind, unsigned int reason)
{
	size_t n = sizeof(dma_remap_reasons) / sizeof(dma_remap_reasons[0]);
	size_t sm = sizeof(dma_remap_sm_reasons) / sizeof(dma_remap_sm_reasons[0]);

	if (kind == IOMMU_KIND_AMD)
		return "IO_PAGE_FAULT";
	if (reason < n)
		return dma_remap_reasons[reason];
	if (reason >= 0x30 && reason - 0x30 < sm)
		return dma_remap_sm_reasons[reason - 0x30];
	return "Unknown";
}

const char *iommu_dir_name(int dir)
{
	return dir == IOMMU_DIR_READ ? "read" : dir == IOMMU_DIR_WRITE ? "write" : "unknown";
}

const char *iommu_kind_name(int kind)
{
	return kind == IOMMU_KIND_INTEL ? "intel" : kind == IOMMU_KIND_AMD ? "amd" : "unknown";
}

/* ---- providers' memory ---- */

#define PCI_STD_NUM_BARS	6
#define IORESOURCE_MEM		0x00000200

int provider_bars_load(struct iommu_bars *t)
{
	char bdfs[64][P2P_NAME_LEN], path[PATH_MAX], line[256];
	int n = provider_list(bdfs, 64);

	t->n = 0;
	for (int i = 0; i < n; i++) {
		FILE *f;

		buf_set(path, sizeof(path), "%s/bus/pci/devices/%s/resource", sysfs_root(), bdfs[i]);
		f = fopen(path, "r");
		if (!f)
			continue;
		/* one line per resource: BARs 0 to 5 first, then the ROM and bridge windows */
		for (int bar = 0; bar < PCI_STD_NUM_BARS && fgets(line, sizeof(line), f); bar++) {
			unsigned long long start, end, flags;
			struct iommu_bar *b;

			if (sscanf(line, "%llx %llx %llx", &start, &end, &flags) != 3 ||
			    !(flags & IORESOURCE_MEM) || end <= start || t->n == IOMMU_MAX_BARS)
				continue;
			b = &t->bar[t->n++];
			buf_set(b->bdf, sizeof(b->bdf), "%s", bdfs[i]);
			b->bar = bar;
			b->start = start;
			b->end = end;
		}
		fclose(f);
	}
	return t->n;
}

int provider_for_addr(const struct iommu_bars *t, uint64_t addr)
{
	for (int i = 0; i < t->n; i++)
		if (addr >= t->bar[i].start && addr <= t->bar[i].end)
			return i;
	return -1;
}

/* ---- the kernel log ---- */

/* a /dev/kmsg record: "PRIO,SEQ,USEC,FLAGS;TEXT\n" and " KEY=VALUE" lines */
static void kmsg_record(char *rec, void (*fn)(const char *, void *), void *arg)
{
	char *text = strchr(rec, ';');

	text = text ? text + 1 : rec;
	text[strcspn(text, "\n")] = 0;
	fn(text, arg);
}

static int read_lines(FILE *f, void (*fn)(const char *, void *), void *arg)
{
	char line[1024];
	int n = 0;

	while (fgets(line, sizeof(line), f)) {
		/* the rest of a longer line is no fault line of ours */
		if (!strchr(line, '\n') && !feof(f)) {
			int c;

			while ((c = fgetc(f)) != EOF && c != '\n')
				;
		}
		line[strcspn(line, "\n")] = 0;
		fn(line, arg);
		n++;
	}
	return n;
}

int iommu_klog_read(void (*fn)(const char *line, void *arg), void *arg, char *source,
		    size_t len)
{
	const char *fake = getenv("P2PSCOPE_KMSG");
	char rec[8192], *buf, *line, *save = NULL;
	int fd, n = 0, kmsg_err, size;
	FILE *f;

	if (fake && *fake) {
		f = fopen(fake, "r");
		buf_set(source, len, "%s", fake);
		if (!f) {
			int err = errno;

			buf_add(source, len, ": %s", strerror(err));
			return -err;
		}
		n = read_lines(f, fn, arg);
		fclose(f);
		return n;
	}

	/* /dev/kmsg first: whole records, and it never waits with O_NONBLOCK */
	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		buf_set(source, len, "/dev/kmsg");
		for (;;) {
			ssize_t got = read(fd, rec, sizeof(rec) - 1);

			if (got > 0) {
				rec[got] = 0;
				kmsg_record(rec, fn, arg);
				n++;
			} else if (got < 0 && (errno == EPIPE || errno == EINTR)) {
				continue;	/* EPIPE: records overwritten while reading */
			} else {
				break;		/* EAGAIN: the end of the log */
			}
		}
		close(fd);
		return n;
	}
	kmsg_err = errno;

	/* syslog(2): the same buffer, as "<6>[    1.0] text" lines */
	size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	if (size > 0 && (buf = malloc(size + 1))) {
		int got = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);

		if (got >= 0) {
			buf[got] = 0;
			buf_set(source, len, "syslog(2)");
			for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
				fn(line, arg);
				n++;
			}
			free(buf);
			return n;
		}
		free(buf);
	}
	buf_set(source, len, "/dev/kmsg: %s; syslog(2): %s", strerror(kmsg_err), strerror(errno));
	if (kmsg_err == EPERM || kmsg_err == EACCES) {
		char path[PATH_MAX];
		unsigned long long restrict_ = 0;
		FILE *f2;

		/* the usual cause, said where it is set */
		buf_set(path, sizeof(path), "%s/sys/kernel/dmesg_restrict", proc_root());
		f2 = fopen(path, "r");
		if (f2 && fscanf(f2, "%llu", &restrict_) == 1 && restrict_)
			buf_add(source, len, "; kernel.dmesg_restrict = %llu", restrict_);
		if (f2)
			fclose(f2);
	}
	return -kmsg_err;
}

/* ---- the warning ---- */

bool iommu_pair_warning(bool bus_addr, const char *client_iommu, const char *provider,
			const char *client, int distance, char *buf, size_t len)
{
	buf[0] = 0;
	if (!bus_addr || strcmp(client_iommu, "translated"))
		return false;
	buf_set(buf, len,
		"the IOMMU translates DMA of %s, but a BUS_ADDR mapping is not in its domain: "
		"the transfer works only if the fabric routes it inside the %s, never up to the "
		"IOMMU (not in a VM with a vIOMMU, not where a switch forwards P2P upstream); "
		"there the IOMMU blocks it and logs a fault (DMAR, AMD-Vi), and the I/O may "
		"still report success. Check: a verified copy of non-zero data through %s's memory "
		"(p2pio --verify --pattern --sysfs %s SRC DST) and no IOMMU fault in the "
		"kernel log. Fix: iommu=pt or an identity domain for these devices "
		"(iommu_group/type), a VM without a vIOMMU or with the devices passed "
		"through, or ACS redirect so the kernel routes through an allowlisted host "
		"bridge (THRU_HOST_BRIDGE, mapped by the IOMMU)",
		client, distance <= 2 ? "device" : "switch", provider, provider);
	return true;
}
