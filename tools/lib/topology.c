// SPDX-License-Identifier: GPL-2.0
/*
 * The PCI topology from sysfs and libpci: functions, the path from the root
 * bus to each, ACS, IOMMU groups and P2P memory. libpci reads config space
 * as lspci does; everything else is sysfs.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <pci/pci.h>
#include "strbuf.h"
#include "sysfs.h"	/* sysfs_root(), is_bdf(), resolve_pci() */
#include "topology.h"

/* ---- files ---- */

static bool read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = 0;
	return ok;
}

static bool read_u64(const char *path, uint64_t *v)
{
	char buf[64], *end;
	unsigned long long x;

	if (!read_line(path, buf, sizeof(buf)) || !isdigit((unsigned char)buf[0]))
		return false;
	errno = 0;
	x = strtoull(buf, &end, 0);
	if (errno || (*end && !isspace((unsigned char)*end)))
		return false;
	*v = x;
	return true;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* ---- names of PCI things ---- */

static bool hexrun(const char **s, int min, int max)
{
	int n = 0;

	while (isxdigit((unsigned char)**s) && n < max) {
		(*s)++;
		n++;
	}
	return n >= min;
}

/* "pcidddd:bb", a host bridge's sysfs directory */
static bool is_host(const char *s)
{
	if (strncmp(s, "pci", 3))
		return false;
	s += 3;
	return hexrun(&s, 4, 5) && *s++ == ':' && hexrun(&s, 2, 2) && !*s;
}

unsigned int topo_devfn(const char *bdf)
{
	const char *p = strrchr(bdf, ':');
	unsigned int dev = 0, fn = 0;

	if (p)
		sscanf(p + 1, "%x.%x", &dev, &fn);
	return dev << 3 | fn;
}

const char *topo_acs_names(unsigned int ctrl, char *buf, size_t len)
{
	static const struct { unsigned int bit; const char *name; } bits[] = {
		{ PCI_ACS_CTRL_REQ_RED, "P2P Request Redirect" },
		{ PCI_ACS_CTRL_CMPLT_RED, "P2P Completion Redirect" },
		{ PCI_ACS_CTRL_EGRESS, "P2P Egress Control" },
	};

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (ctrl & bits[i].bit)
			buf_add(buf, len, "%s%s", buf[0] ? ", " : "", bits[i].name);
	return buf;
}

/* ---- libpci ---- */

static struct pci_access *pacc;
static jmp_buf *pci_jump;	/* where a libpci error goes */
static char pci_ids[PATH_MAX], sysfs_pci[PATH_MAX];

static void PCI_NONRET pci_fail(char *fmt, ...)
{
	va_list ap;

	if (pci_jump)
		longjmp(*pci_jump, 1);
	/* unreachable in practice: every libpci call that can fail is guarded */
	va_start(ap, fmt);
	fputs("libpci: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static void pci_quiet(char *fmt, ...)
{
	(void)fmt;	/* unreadable files are reported by what they leave unknown */
}

static struct pci_access *pci(void)
{
	if (pacc)
		return pacc;
	pacc = pci_alloc();
	pacc->error = pci_fail;
	pacc->warning = pci_quiet;
	pacc->debug = pci_quiet;
	pacc->method = PCI_ACCESS_SYS_BUS_PCI;
	buf_set(sysfs_pci, sizeof(sysfs_pci), "%s/bus/pci", sysfs_root());
	pci_set_param(pacc, "sysfs.path", sysfs_pci);
	if (getenv("P2PSCOPE_PCI_IDS") && *getenv("P2PSCOPE_PCI_IDS")) {
		buf_set(pci_ids, sizeof(pci_ids), "%s", getenv("P2PSCOPE_PCI_IDS"));
		pci_set_name_list_path(pacc, pci_ids, 0);
	}
	pci_init(pacc);
	return pacc;
}

void topo_reset(void)
{
	if (pacc)
		pci_cleanup(pacc);
	pacc = NULL;
}

/* A libpci device with its identity and capabilities, or NULL. */
static struct pci_dev *pci_open(const char *bdf)
{
	unsigned int dom, bus, dev, fn;
	struct pci_dev *volatile d = NULL;
	jmp_buf jb;

	if (!is_bdf(bdf) || sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4)
		return NULL;
	pci_jump = &jb;
	if (!setjmp(jb)) {
		d = pci_get_dev(pci(), dom, bus, dev, fn);
		pci_fill_info(d, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CAPS |
			      PCI_FILL_EXT_CAPS | PCI_FILL_DRIVER);
	} else if (d) {
		pci_free_dev(d);
		d = NULL;
	}
	pci_jump = NULL;
	return d;
}

/* Config space past the header: root only (sysfs gives others 64 bytes). */
static bool cfg_full(struct pci_dev *d)
{
	u8 b[4];

	return pci_read_block(d, 0x40, b, sizeof(b));
}

/* PCIe device/port type, -1 if not PCIe or unreadable */
static int port_type(struct pci_dev *d)
{
	struct pci_cap *cap = pci_find_cap(d, PCI_CAP_ID_EXP, PCI_CAP_NORMAL);

	if (!cap)
		return -1;
	return (pci_read_word(d, cap->addr + PCI_EXP_FLAGS) & PCI_EXP_FLAGS_TYPE) >> 4;
}

/* ACS control register; false if there is no ACS capability */
static bool acs_ctrl(struct pci_dev *d, unsigned int *ctrl)
{
	struct pci_cap *cap = pci_find_cap(d, PCI_EXT_CAP_ID_ACS, PCI_CAP_EXTENDED);

	if (!cap)
		return false;
	*ctrl = pci_read_word(d, cap->addr + PCI_ACS_CTRL);
	return true;
}

/* pci_bridge_has_acs_redir(): any of RR, CR, EC in the ACS control register */
int topo_acs_redir(const char *bdf, unsigned int *bits)
{
	struct pci_dev *d = pci_open(bdf);
	unsigned int ctrl = 0;
	int ret;

	*bits = 0;
	if (!d)
		return -1;
	if (!cfg_full(d))
		ret = -1;
	else if (!acs_ctrl(d, &ctrl))
		ret = 0;
	else
		ret = (*bits = ctrl & TOPO_ACS_REDIR) != 0;
	pci_free_dev(d);
	return ret;
}

static void lookup_names(struct pci_dev *d, struct topo_dev *out)
{
	int flags = getenv("P2PSCOPE_PCI_IDS") && *getenv("P2PSCOPE_PCI_IDS") ?
		    PCI_LOOKUP_NO_HWDB : 0;
	char buf[256];

	/* as lspci prints them: numbers for what the database lacks */
	buf_set(out->name, sizeof(out->name), "%s",
		 pci_lookup_name(pci(), buf, sizeof(buf), flags | PCI_LOOKUP_VENDOR |
				 PCI_LOOKUP_DEVICE, d->vendor_id, d->device_id));
	buf_set(out->class_name, sizeof(out->class_name), "%s",
		 pci_lookup_name(pci(), buf, sizeof(buf), flags | PCI_LOOKUP_CLASS,
				 d->device_class));
}

bool topo_ident(const char *bdf, struct topo_ident *id)
{
	struct pci_dev *d = pci_open(bdf);

	memset(id, 0, sizeof(*id));
	id->port_type = -1;
	if (!d)
		return false;
	id->vendor = d->vendor_id;
	id->device = d->device_id;
	id->class = d->device_class;
	id->cfg_full = cfg_full(d);
	if (id->cfg_full)
		id->port_type = port_type(d);
	pci_free_dev(d);
	return true;
}

/* ---- the path from the root bus ---- */

/* The last host bridge counts: VMD domains hang below an endpoint of another one. */
bool topo_path(const char *bdf, struct topo_path *p)
{
	char link[PATH_MAX], real[PATH_MAX], *tok, *save = NULL;
	size_t end = 0;

	memset(p, 0, sizeof(*p));
	if (!is_bdf(bdf))
		return false;
	buf_set(link, sizeof(link), "%s/bus/pci/devices/%s", sysfs_root(), bdf);
	if (!realpath(link, real))
		return false;
	buf_set(link, sizeof(link), "%s", real);
	for (tok = strtok_r(link, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (is_host(tok)) {
			p->n = 0;
			end = tok - link + strlen(tok);
			buf_set(p->root, sizeof(p->root), "%s", tok + 3);
		} else if (is_bdf(tok) && p->n < TOPO_MAX_DEPTH) {
			buf_set(p->bdf[p->n++], TOPO_BDF_LEN, "%s", tok);
		}
	}
	if (!p->n || strcmp(p->bdf[p->n - 1], bdf))
		return false;
	if (!end) {	/* no host bridge directory: the domain and bus of the top device */
		buf_set(p->root, sizeof(p->root), "%.*s", (int)(strrchr(p->bdf[0], ':') - p->bdf[0]),
			 p->bdf[0]);
		buf_set(p->host, sizeof(p->host), "%s", p->root);
	} else {
		buf_set(p->host, sizeof(p->host), "%.*s", (int)end, real);
	}
	return true;
}

/* ---- devices ---- */

static void iommu_of(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX], type[32];

	buf_set(path, sizeof(path), "%s/bus/pci/devices/%s/iommu_group", sysfs_root(), bdf);
	if (!is_dir(path)) {
		buf_set(buf, len, "off");
		return;
	}
	buf_set(path, sizeof(path), "%s/bus/pci/devices/%s/iommu_group/type", sysfs_root(), bdf);
	if (!read_line(path, type, sizeof(type)))
		buf_set(buf, len, "translated");	/* before 5.11 groups had no type */
	else if (!strcmp(type, "identity"))
		buf_set(buf, len, "passthrough");
	else if (!strncmp(type, "DMA", 3))
		buf_set(buf, len, "translated");
	else
		buf_set(buf, len, "%s", type);
}

bool topo_dev_info(const char *bdf, struct topo_dev *out)
{
	char path[PATH_MAX], dir[PATH_MAX];
	struct dirent *de;
	struct pci_dev *d;
	struct topo_path p;
	DIR *nv;

	memset(out, 0, sizeof(*out));
	out->port_type = -1;
	if (!topo_path(bdf, &p) || !(d = pci_open(bdf)))
		return false;
	buf_set(out->bdf, sizeof(out->bdf), "%s", bdf);
	buf_set(out->root, sizeof(out->root), "%s", p.root);
	out->depth = p.n;
	if (p.n > 1)
		buf_set(out->upstream, sizeof(out->upstream), "%s", p.bdf[p.n - 2]);
	out->vendor = d->vendor_id;
	out->device = d->device_id;
	out->class = d->device_class;
	if (pci_get_string_property(d, PCI_FILL_DRIVER))
		buf_set(out->driver, sizeof(out->driver), "%s",
			 pci_get_string_property(d, PCI_FILL_DRIVER));
	lookup_names(d, out);
	out->cfg_full = cfg_full(d);
	if (out->cfg_full) {
		out->port_type = port_type(d);
		out->pcie = out->port_type >= 0;
		out->has_acs = acs_ctrl(d, &out->acs_ctrl);
	}
	pci_free_dev(d);
	iommu_of(bdf, out->iommu, sizeof(out->iommu));

	buf_set(dir, sizeof(dir), "%s/bus/pci/devices/%s", sysfs_root(), bdf);
	buf_set(path, sizeof(path), "%s/nvme", dir);
	nv = opendir(path);
	while (nv && (de = readdir(nv)))
		if (!strncmp(de->d_name, "nvme", 4) && isdigit((unsigned char)de->d_name[4])) {
			buf_set(out->nvme, sizeof(out->nvme), "%s", de->d_name);
			break;
		}
	if (nv)
		closedir(nv);

	buf_set(path, sizeof(path), "%s/p2pmem", dir);
	out->provider = is_dir(path);
	if (out->provider) {
		uint64_t pub = 0;

		buf_set(path, sizeof(path), "%s/p2pmem/size", dir);
		read_u64(path, &out->p2p_size);
		buf_set(path, sizeof(path), "%s/p2pmem/available", dir);
		read_u64(path, &out->p2p_avail);
		buf_set(path, sizeof(path), "%s/p2pmem/published", dir);
		read_u64(path, &pub);
		out->published = pub;
		buf_set(path, sizeof(path), "%s/p2pmem/allocate", dir);
		out->allocate = !access(path, F_OK);
	}
	return true;
}

static int cmp_dev(const void *x, const void *y)
{
	const struct topo_dev *a = x, *b = y;

	return strcmp(a->bdf, b->bdf);
}

int topo_devices(struct topo_dev **out)
{
	char path[PATH_MAX];
	struct topo_dev *devs = NULL;
	struct dirent *de;
	int n = 0, cap = 0;
	DIR *dir;

	*out = NULL;
	buf_set(path, sizeof(path), "%s/bus/pci/devices", sysfs_root());
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((de = readdir(dir))) {
		if (!is_bdf(de->d_name))
			continue;
		if (n == cap) {
			struct topo_dev *more = realloc(devs, (cap = cap ? cap * 2 : 32) * sizeof(*devs));

			if (!more)
				break;
			devs = more;
		}
		if (topo_dev_info(de->d_name, &devs[n]))
			n++;
	}
	closedir(dir);
	if (n)
		qsort(devs, n, sizeof(*devs), cmp_dev);
	*out = devs;
	return n;
}

bool topo_dma_capable(const struct topo_dev *d)
{
	switch (d->class >> 8) {
	case PCI_BASE_CLASS_STORAGE:
	case PCI_BASE_CLASS_NETWORK:
	case PCI_BASE_CLASS_DISPLAY:
	case 0x12:	/* processing accelerators */
		return true;
	}
	return d->provider || d->class == PCI_CLASS_PROCESSOR_CO ||
	       d->class == PCI_CLASS_SERIAL_INFINIBAND;
}

bool topo_resolve(const char *name, char *bdf, size_t len)
{
	char full[TOPO_BDF_LEN + 8];

	if (resolve_pci(name, bdf, len))
		return true;
	if (!strncmp(name, "/dev/", 5) || strlen(name) >= TOPO_BDF_LEN)
		return false;
	buf_set(full, sizeof(full), "0000:%s", name);	/* lspci -s style, domain 0 */
	return resolve_pci(full, bdf, len) != NULL;
}
