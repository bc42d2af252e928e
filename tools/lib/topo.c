// SPDX-License-Identifier: GPL-2.0
/*
 * PCI topology for P2PDMA from sysfs and libpci, the verdict of the kernel's
 * calc_map_type_and_dist() for a pair, and the kernel's readiness.
 *
 * The verdict follows drivers/pci/p2pdma.c, which is the same in Debian's
 * linux-source-6.12 (6.12.117) and linux-source-7.3 (7.3.4) except for the
 * host-bridge allowlist: see allowlist[] below.
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
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>
#include <linux/btf.h>
#include <pci/pci.h>
#include "sysfs.h"	/* sysfs_root(), is_bdf(), resolve_pci() */
#include "topo.h"

#define MAX_DEPTH 32

/* ---- where files are ---- */

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

static const char *procfs(void)
{
	return env_or("P2PSCOPE_PROC", "/proc");
}

const char *topo_release(void)
{
	static struct utsname u;

	if (getenv("P2PSCOPE_OSRELEASE") && *getenv("P2PSCOPE_OSRELEASE"))
		return getenv("P2PSCOPE_OSRELEASE");
	if (!u.release[0] && uname(&u))
		return "unknown";
	return u.release;
}

/* major * 1000 + minor of the running kernel; INT_MAX if unparseable */
#define KV(major, minor) ((major) * 1000 + (minor))

static int release_version(void)
{
	int major, minor;

	if (sscanf(topo_release(), "%d.%d", &major, &minor) != 2 || major < 2)
		return INT_MAX;
	return KV(major, minor);
}

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

/*
 * snprintf() that truncates silently: every string here fits or is only
 * shown, so a cut is acceptable and not worth a warning per call.
 */
static void str(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void str(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* appends to a string buffer, truncating */
static void add(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used >= len - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
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

static unsigned int devfn_of(const char *bdf)
{
	const char *p = strrchr(bdf, ':');
	unsigned int dev = 0, fn = 0;

	if (p)
		sscanf(p + 1, "%x.%x", &dev, &fn);
	return dev << 3 | fn;
}

const char *topo_map_name(int type)
{
	switch (type) {
	case TOPO_MAP_NOT_SUPPORTED: return "NOT_SUPPORTED";
	case TOPO_MAP_BUS_ADDR: return "BUS_ADDR";
	case TOPO_MAP_THRU_HOST_BRIDGE: return "THRU_HOST_BRIDGE";
	default: return "UNKNOWN";
	}
}

const char *topo_map_short(int type)
{
	switch (type) {
	case TOPO_MAP_NOT_SUPPORTED: return "NOSUP";
	case TOPO_MAP_BUS_ADDR: return "BUS";
	case TOPO_MAP_THRU_HOST_BRIDGE: return "HOSTBR";
	default: return "?";
	}
}

const char *topo_status_name(int status)
{
	switch (status) {
	case TOPO_OK: return "ok";
	case TOPO_WARN: return "warn";
	case TOPO_FAIL: return "FAIL";
	default: return "info";
	}
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
			add(buf, len, "%s%s", buf[0] ? ", " : "", bits[i].name);
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
	str(sysfs_pci, sizeof(sysfs_pci), "%s/bus/pci", sysfs_root());
	pci_set_param(pacc, "sysfs.path", sysfs_pci);
	if (getenv("P2PSCOPE_PCI_IDS") && *getenv("P2PSCOPE_PCI_IDS")) {
		str(pci_ids, sizeof(pci_ids), "%s", getenv("P2PSCOPE_PCI_IDS"));
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

/*
 * pci_bridge_has_acs_redir(), which the kernel asks of every device on the
 * path, bridges or not: 1 redirects, 0 does not, -1 unreadable (not root).
 */
static int acs_redir(const char *bdf, unsigned int *bits)
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
	str(out->name, sizeof(out->name), "%s",
		 pci_lookup_name(pci(), buf, sizeof(buf), flags | PCI_LOOKUP_VENDOR |
				 PCI_LOOKUP_DEVICE, d->vendor_id, d->device_id));
	str(out->class_name, sizeof(out->class_name), "%s",
		 pci_lookup_name(pci(), buf, sizeof(buf), flags | PCI_LOOKUP_CLASS,
				 d->device_class));
}

/* ---- the path from the root bus ---- */

struct path {
	char host[PATH_MAX];	/* sysfs directory of the host bridge */
	char root[TOPO_BDF_LEN];	/* "0000:00" */
	int n;
	char bdf[MAX_DEPTH][TOPO_BDF_LEN];	/* root bus first, the device last */
};

/*
 * The PCI functions from the root bus down to bdf: the sysfs parent of a PCI
 * function is its upstream bridge, or its host bridge (pciDDDD:BB) on a root
 * bus, as pci_upstream_bridge() and pci_find_host_bridge() see it. The last
 * host bridge counts: VMD domains hang below an endpoint of another one.
 */
static bool pci_path(const char *bdf, struct path *p)
{
	char link[PATH_MAX], real[PATH_MAX], *tok, *save = NULL;
	size_t end = 0;

	memset(p, 0, sizeof(*p));
	if (!is_bdf(bdf))
		return false;
	str(link, sizeof(link), "%s/bus/pci/devices/%s", sysfs_root(), bdf);
	if (!realpath(link, real))
		return false;
	str(link, sizeof(link), "%s", real);
	for (tok = strtok_r(link, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (is_host(tok)) {
			p->n = 0;
			end = tok - link + strlen(tok);
			str(p->root, sizeof(p->root), "%s", tok + 3);
		} else if (is_bdf(tok) && p->n < MAX_DEPTH) {
			str(p->bdf[p->n++], TOPO_BDF_LEN, "%s", tok);
		}
	}
	if (!p->n || strcmp(p->bdf[p->n - 1], bdf))
		return false;
	if (!end) {	/* no host bridge directory: the domain and bus of the top device */
		str(p->root, sizeof(p->root), "%.*s", (int)(strrchr(p->bdf[0], ':') - p->bdf[0]),
			 p->bdf[0]);
		str(p->host, sizeof(p->host), "%s", p->root);
	} else {
		str(p->host, sizeof(p->host), "%.*s", (int)end, real);
	}
	return true;
}

/* ---- host bridges ---- */

/*
 * pci_p2pdma_whitelist[]. The 6.12 entries are those of Debian's
 * linux-source-6.12 (6.12.117); the others are in Debian's 7.3.4. An entry
 * is known absent up to "after" and present from "since"; between the two
 * the running kernel may or may not have it.
 */
static const struct allow_entry {
	unsigned short vendor;
	int device;		/* -1: PCI_ANY_ID */
	bool same_host_bridge;	/* REQ_SAME_HOST_BRIDGE */
	int after, since;
	const char *what;
} allowlist[] = {
	{ 0x8086, 0x3c00, true, 0, 0, "Intel Xeon E5/Core i7" },
	{ 0x8086, 0x3c01, true, 0, 0, "Intel Xeon E5/Core i7" },
	{ 0x8086, 0x2f00, true, 0, 0, "Intel Xeon E7 v3/Xeon E5 v3/Core i7" },
	{ 0x8086, 0x2f01, true, 0, 0, "Intel Xeon E7 v3/Xeon E5 v3/Core i7" },
	{ 0x8086, 0x2030, false, 0, 0, "Intel Skylake-E" },
	{ 0x8086, 0x2031, false, 0, 0, "Intel Skylake-E" },
	{ 0x8086, 0x2032, false, 0, 0, "Intel Skylake-E" },
	{ 0x8086, 0x2033, false, 0, 0, "Intel Skylake-E" },
	{ 0x8086, 0x2020, false, 0, 0, "Intel Skylake-E" },
	{ 0x8086, 0x09a2, false, 0, 0, "Intel Xeon Scalable (Ice Lake and later)" },
	/* present in 7.1: the context of the 7.1.y backport of the next ones */
	{ 0x1ae0, -1, false, KV(6, 12), KV(7, 1), "Google SoCs" },
	/* upstream 0ba76b19fd4c in 7.2, backported to 7.1.y: 7.1 may have them */
	{ 0x8086, 0x0b25, false, KV(7, 0), KV(7, 2), "Intel DSA (Sapphire Rapids)" },
	{ 0x8086, 0x0cfe, false, KV(7, 0), KV(7, 2), "Intel IAX (Sapphire Rapids)" },
	{ 0x8086, 0x11fb, false, KV(7, 0), KV(7, 2), "Intel DSA (Granite Rapids-D)" },
	{ 0x8086, 0x1212, false, KV(7, 0), KV(7, 2), "Intel DSA (Diamond Rapids)" },
	{ 0x8086, 0x1216, false, KV(7, 0), KV(7, 2), "Intel IAA (Diamond Rapids)" },
	{ 0x8086, 0x4940, false, KV(7, 0), KV(7, 2), "Intel QAT 4xxx" },
	{ 0x8086, 0x4942, false, KV(7, 0), KV(7, 2), "Intel QAT 401xx" },
	{ 0x8086, 0x4944, false, KV(7, 0), KV(7, 2), "Intel QAT 402xx" },
	{ 0x8086, 0x4946, false, KV(7, 0), KV(7, 2), "Intel QAT 420xx" },
	{ 0x8086, 0x4948, false, KV(7, 0), KV(7, 2), "Intel QAT 6xxx" },
	/* not in 7.1 (see above), in 7.3.4 */
	{ 0x10de, 0x2f95, false, KV(7, 1), KV(7, 3), "NVIDIA CPUs" },
	{ 0x10de, 0x2f96, false, KV(7, 1), KV(7, 3), "NVIDIA CPUs" },
	{ 0x10de, 0x2f97, false, KV(7, 1), KV(7, 3), "NVIDIA CPUs" },
	{ 0x10de, 0x2f98, false, KV(7, 1), KV(7, 3), "NVIDIA CPUs" },
};

#define NEWEST_KNOWN KV(7, 3)

/* The allowlist entry of a host bridge device for the running kernel. */
static int allow_lookup(unsigned int vendor, unsigned int device, bool *guessed,
			char *note, size_t len)
{
	int rel = release_version();

	for (size_t i = 0; i < sizeof(allowlist) / sizeof(allowlist[0]); i++) {
		const struct allow_entry *e = &allowlist[i];

		if (e->vendor != vendor || (e->device != -1 && (unsigned int)e->device != device))
			continue;
		if (rel >= e->since) {
			if (rel == INT_MAX && e->since) {
				*guessed = true;
				str(note, len, "%s: on the allowlist from %d.%d; kernel release "
					 "'%s' not understood", e->what, e->since / 1000,
					 e->since % 1000, topo_release());
			}
			return e->same_host_bridge ? TOPO_ALLOW_SAME_BRIDGE : TOPO_ALLOW_YES;
		}
		if (rel <= e->after) {
			str(note, len, "%s: on the allowlist from %d.%d, not in %d.%d",
				 e->what, e->since / 1000, e->since % 1000, rel / 1000, rel % 1000);
			return TOPO_ALLOW_NO;
		}
		*guessed = true;
		str(note, len, "%s: on the allowlist by %d.%d, not in %d.%d: this %d.%d "
			 "kernel may have it", e->what, e->since / 1000, e->since % 1000,
			 e->after / 1000, e->after % 1000, rel / 1000, rel % 1000);
		return TOPO_ALLOW_NO;
	}
	if (rel > NEWEST_KNOWN && rel != INT_MAX)
		str(note, len, "allowlist as of %d.%d: this newer kernel may list more",
			 NEWEST_KNOWN / 1000, NEWEST_KNOWN % 1000);
	return TOPO_ALLOW_NO;
}

/*
 * pci_host_bridge_dev(): the first device on the root bus (the kernel lists
 * them in scan order, lowest devfn first) if it is devfn 00.0 or a PCIe
 * Root Port; then its allowlist entry.
 */
static void host_of(const char *hostdir, const char *root, struct topo_host *h)
{
	unsigned int best = 256;
	struct dirent *de;
	DIR *dir;

	memset(h, 0, sizeof(*h));
	str(h->root, sizeof(h->root), "%s", root);
	dir = opendir(hostdir);
	while (dir && (de = readdir(dir))) {
		if (is_bdf(de->d_name) && devfn_of(de->d_name) < best) {
			best = devfn_of(de->d_name);
			str(h->first, sizeof(h->first), "%s", de->d_name);
		}
	}
	if (dir)
		closedir(dir);
	if (!h->first[0]) {
		str(h->note, sizeof(h->note), "no device on root bus %s", root);
		return;
	}

	struct pci_dev *d = pci_open(h->first);

	if (!d) {
		str(h->note, sizeof(h->note), "cannot read %s", h->first);
		return;
	}
	if (best == 0) {
		str(h->dev, sizeof(h->dev), "%s", h->first);
	} else if (cfg_full(d)) {
		if (port_type(d) == PCI_EXP_TYPE_ROOT_PORT)
			str(h->dev, sizeof(h->dev), "%s", h->first);
		else
			str(h->note, sizeof(h->note), "first device %s on root bus %s is "
				 "neither 00.0 nor a root port", h->first, root);
	} else if (d->device_class == PCI_CLASS_BRIDGE_PCI) {
		/* the port type is past the first 64 bytes */
		str(h->dev, sizeof(h->dev), "%s", h->first);
		h->guessed = true;
		str(h->note, sizeof(h->note), "%s taken for a root port (its type needs "
			 "root to read)", h->first);
	} else {
		str(h->note, sizeof(h->note), "first device %s on root bus %s is "
			 "neither 00.0 nor a root port", h->first, root);
	}
	if (h->dev[0]) {
		char more[160] = "";

		h->vendor = d->vendor_id;
		h->device = d->device_id;
		h->allow = allow_lookup(h->vendor, h->device, &h->guessed, more, sizeof(more));
		if (more[0])
			add(h->note, sizeof(h->note), "%s%s", h->note[0] ? "; " : "", more);
	}
	pci_free_dev(d);
}

int topo_hosts(struct topo_host *out, int max)
{
	char path[PATH_MAX], real[PATH_MAX], seen[64][PATH_MAX / 8];
	struct dirent *de;
	int n = 0, nseen = 0;
	DIR *dir;

	str(path, sizeof(path), "%s/bus/pci/devices", sysfs_root());
	dir = opendir(path);
	while (dir && (de = readdir(dir)) && n < max) {
		struct path p;
		bool dup = false;

		if (!pci_path(de->d_name, &p))
			continue;
		str(real, sizeof(real), "%s", p.host);
		for (int i = 0; i < nseen && !dup; i++)
			dup = !strncmp(seen[i], real, sizeof(seen[i]) - 1);
		if (dup || nseen == 64)
			continue;
		str(seen[nseen++], sizeof(seen[0]), "%s", real);
		host_of(p.host, p.root, &out[n++]);
	}
	if (dir)
		closedir(dir);
	/* by root bus */
	for (int i = 1; i < n; i++)
		for (int k = i; k > 0 && strcmp(out[k - 1].root, out[k].root) > 0; k--) {
			struct topo_host t = out[k];

			out[k] = out[k - 1];
			out[k - 1] = t;
		}
	return n;
}

bool topo_cpu_zen(char *desc, size_t len)
{
	char path[PATH_MAX], line[256], vendor[64] = "";
	int family = -1;
	FILE *f;

	str(path, sizeof(path), "%s/cpuinfo", procfs());
	f = fopen(env_or("P2PSCOPE_CPUINFO", path), "r");
	if (desc && len)
		str(desc, len, "unknown CPU");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (line[0] == '\n')
			break;	/* the first CPU only: the kernel asks cpu_data(0) */
		if (!colon)
			continue;
		if (!strncmp(line, "vendor_id", 9))
			sscanf(colon + 1, " %63s", vendor);
		else if (!strncmp(line, "cpu family", 10))
			sscanf(colon + 1, "%d", &family);
	}
	fclose(f);
	if (desc && len) {
		if (vendor[0])
			str(desc, len, "%s family 0x%x", vendor, family < 0 ? 0 : family);
		else
			str(desc, len, "no x86 vendor in cpuinfo");
	}
	/* X86_VENDOR_AMD only: Hygon is a vendor of its own */
	return !strcmp(vendor, "AuthenticAMD") && family >= 0x17;
}

/* ---- the verdict ---- */

/* the ACS part of a reason: "ACS P2P Request Redirect set on 0000:02:01.0" */
static void acs_reason(const struct topo_verdict *v, const unsigned int *bits,
		       char *buf, size_t len)
{
	char names[96];

	for (int i = 0; i < v->nacs; i++) {
		/* devices with the same bits share one phrase */
		if (i == 0 || bits[i - 1] != bits[i])
			add(buf, len, "%sACS %s set on ", i ? "; " : "",
			    topo_acs_names(bits[i], names, sizeof(names)));
		else
			add(buf, len, ", ");
		add(buf, len, "%s", v->acs[i]);
	}
}

int topo_predict(const char *provider, const char *client, struct topo_verdict *v)
{
	struct path a, b;
	unsigned int bits[TOPO_MAX_ACS] = { 0 }, got;
	char unreadable[TOPO_BDF_LEN] = "", cpu[64];
	int ia, ib = -1, dist_a = 0, dist_b = 0, r;
	bool found = false, acs_redirects = false;
	struct topo_host ha, hb;

	memset(v, 0, sizeof(*v));
	v->distance = -1;
	if (!pci_path(provider, &a)) {
		str(v->reason, sizeof(v->reason), "provider %s is not a PCI function", provider);
		return -ENODEV;
	}
	if (!pci_path(client, &b)) {
		str(v->reason, sizeof(v->reason), "client %s is not a PCI function", client);
		return -ENODEV;
	}

#define NOTE_ACS(bdf, ret) do {							\
		if ((ret) == 1 && v->nacs < TOPO_MAX_ACS) {			\
			bits[v->nacs] = got;					\
			str(v->acs[v->nacs++], TOPO_BDF_LEN, "%s", bdf);	\
		} else if ((ret) < 0 && !unreadable[0]) {			\
			str(unreadable, sizeof(unreadable), "%s", bdf);	\
		}								\
	} while (0)

	/* calc_map_type_and_dist(): walk up from the provider ... */
	for (ia = a.n - 1; ia >= 0 && !found; ia--) {
		dist_b = 0;
		r = acs_redir(a.bdf[ia], &got);
		NOTE_ACS(a.bdf[ia], r);
		/* ... looking for each of its devices above the client */
		for (ib = b.n - 1; ib >= 0; ib--) {
			if (!strcmp(a.host, b.host) && !strcmp(a.bdf[ia], b.bdf[ib])) {
				found = true;
				break;
			}
			dist_b++;
		}
		if (!found)
			dist_a++;
	}
	ia++;

	if (found) {
		str(v->common, sizeof(v->common), "%s", a.bdf[ia]);
		/* check_b_path_acs: the client's side, below the common device */
		for (int k = b.n - 1; k > ib; k--) {
			r = acs_redir(b.bdf[k], &got);
			NOTE_ACS(b.bdf[k], r);
		}
		v->distance = dist_a + dist_b;
		if (!v->nacs) {
			v->map_type = TOPO_MAP_BUS_ADDR;
			if (!strcmp(provider, client))
				str(v->reason, sizeof(v->reason), "same PCI function");
			else
				str(v->reason, sizeof(v->reason),
					 "common upstream %s %s, no ACS redirect on the path",
					 dist_a && dist_b ? "bridge" : "device", v->common);
			if (unreadable[0]) {
				v->guessed = true;
				str(v->note, sizeof(v->note), "ACS of %s unreadable without "
					 "root: assumed off", unreadable);
			}
			return 0;
		}
		acs_redirects = true;
		acs_reason(v, bits, v->reason, sizeof(v->reason));
		add(v->reason, sizeof(v->reason), "; ");
		/* what the kernel itself suggests when it warns */
		str(v->fix, sizeof(v->fix), "boot with pci=disable_acs_redir=");
		for (int i = 0; i < v->nacs; i++)
			add(v->fix, sizeof(v->fix), "%s%s", i ? ";" : "", v->acs[i]);
		add(v->fix, sizeof(v->fix), " for BUS_ADDR (weakens isolation between devices)");
	} else {
		v->distance = dist_a + dist_b;	/* both depths */
		if (strcmp(a.host, b.host))
			str(v->reason, sizeof(v->reason), "different root complexes; ");
		else
			str(v->reason, sizeof(v->reason), "no common upstream bridge; ");
	}
#undef NOTE_ACS

	/* map_through_host_bridge */
	v->map_type = TOPO_MAP_THRU_HOST_BRIDGE;
	if (topo_cpu_zen(cpu, sizeof(cpu))) {
		v->cpu_rule = true;
		add(v->reason, sizeof(v->reason), "%s CPU (Zen or later) allows any host bridge",
		    cpu);
		return 0;
	}
	host_of(a.host, a.root, &ha);
	if (strcmp(a.host, b.host))
		host_of(b.host, b.root, &hb);
	else
		hb = ha;
	v->guessed |= ha.guessed || hb.guessed;
	if (ha.note[0])
		str(v->note, sizeof(v->note), "%s", ha.note);
	if (hb.note[0] && strcmp(ha.note, hb.note))
		add(v->note, sizeof(v->note), "%s%s", v->note[0] ? "; " : "", hb.note);

	if (!strcmp(a.host, b.host)) {
		/* __host_bridge_whitelist(host, same_host_bridge = true) */
		if (!ha.dev[0]) {
			add(v->reason, sizeof(v->reason), "no host bridge device on root bus %s",
			    ha.root);
			v->map_type = TOPO_MAP_NOT_SUPPORTED;
		} else if (ha.allow == TOPO_ALLOW_NO) {
			add(v->reason, sizeof(v->reason), "host bridge %04x:%04x not on the allowlist",
			    ha.vendor, ha.device);
			v->map_type = TOPO_MAP_NOT_SUPPORTED;
		} else {
			add(v->reason, sizeof(v->reason), "host bridge %04x:%04x on the allowlist",
			    ha.vendor, ha.device);
		}
	} else {
		/* both must be allowed, and not only within themselves */
		const struct topo_host *bad = NULL;

		for (int i = 0; i < 2 && !bad; i++) {
			const struct topo_host *h = i ? &hb : &ha;

			if (!h->dev[0] || h->allow != TOPO_ALLOW_YES)
				bad = h;
		}
		if (!bad)
			add(v->reason, sizeof(v->reason), "host bridges %04x:%04x and %04x:%04x "
			    "on the allowlist", ha.vendor, ha.device, hb.vendor, hb.device);
		else if (!bad->dev[0])
			add(v->reason, sizeof(v->reason), "no host bridge device on root bus %s",
			    bad->root);
		else if (bad->allow == TOPO_ALLOW_SAME_BRIDGE)
			add(v->reason, sizeof(v->reason), "host bridge %04x:%04x allows P2P only "
			    "within itself", bad->vendor, bad->device);
		else
			add(v->reason, sizeof(v->reason), "host bridge %04x:%04x not on the "
			    "allowlist", bad->vendor, bad->device);
		if (bad)
			v->map_type = TOPO_MAP_NOT_SUPPORTED;
	}
	if (v->map_type == TOPO_MAP_NOT_SUPPORTED && !acs_redirects)
		str(v->fix, sizeof(v->fix), "put both devices under one PCIe switch (no ACS "
			 "redirect), or use an allowlisted host bridge or an AMD Zen CPU");
	return 0;
}

/* ---- devices ---- */

static void iommu_of(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX], type[32];

	str(path, sizeof(path), "%s/bus/pci/devices/%s/iommu_group", sysfs_root(), bdf);
	if (!is_dir(path)) {
		str(buf, len, "off");
		return;
	}
	str(path, sizeof(path), "%s/bus/pci/devices/%s/iommu_group/type", sysfs_root(), bdf);
	if (!read_line(path, type, sizeof(type)))
		str(buf, len, "translated");	/* before 5.11 groups had no type */
	else if (!strcmp(type, "identity"))
		str(buf, len, "passthrough");
	else if (!strncmp(type, "DMA", 3))
		str(buf, len, "translated");
	else
		str(buf, len, "%s", type);
}

bool topo_dev_info(const char *bdf, struct topo_dev *out)
{
	char path[PATH_MAX], dir[PATH_MAX];
	struct dirent *de;
	struct pci_dev *d;
	struct path p;
	DIR *nv;

	memset(out, 0, sizeof(*out));
	out->port_type = -1;
	if (!pci_path(bdf, &p) || !(d = pci_open(bdf)))
		return false;
	str(out->bdf, sizeof(out->bdf), "%s", bdf);
	str(out->root, sizeof(out->root), "%s", p.root);
	out->depth = p.n;
	if (p.n > 1)
		str(out->upstream, sizeof(out->upstream), "%s", p.bdf[p.n - 2]);
	out->vendor = d->vendor_id;
	out->device = d->device_id;
	out->class = d->device_class;
	if (pci_get_string_property(d, PCI_FILL_DRIVER))
		str(out->driver, sizeof(out->driver), "%s",
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

	str(dir, sizeof(dir), "%s/bus/pci/devices/%s", sysfs_root(), bdf);
	str(path, sizeof(path), "%s/nvme", dir);
	nv = opendir(path);
	while (nv && (de = readdir(nv)))
		if (!strncmp(de->d_name, "nvme", 4) && isdigit((unsigned char)de->d_name[4])) {
			str(out->nvme, sizeof(out->nvme), "%s", de->d_name);
			break;
		}
	if (nv)
		closedir(nv);

	str(path, sizeof(path), "%s/p2pmem", dir);
	out->provider = is_dir(path);
	if (out->provider) {
		uint64_t pub = 0;

		str(path, sizeof(path), "%s/p2pmem/size", dir);
		read_u64(path, &out->p2p_size);
		str(path, sizeof(path), "%s/p2pmem/available", dir);
		read_u64(path, &out->p2p_avail);
		str(path, sizeof(path), "%s/p2pmem/published", dir);
		read_u64(path, &pub);
		out->published = pub;
		str(path, sizeof(path), "%s/p2pmem/allocate", dir);
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
	str(path, sizeof(path), "%s/bus/pci/devices", sysfs_root());
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
	str(full, sizeof(full), "0000:%s", name);	/* lspci -s style, domain 0 */
	return resolve_pci(full, bdf, len) != NULL;
}

/* ---- the kernel ---- */

/* CONFIG_<option> in a config file read line by line: 1, 0 */
static int config_lookup(const char *option, char *(*next)(void *, char *, int), void *f)
{
	char line[512], set[128], unset[128];
	int ret = 0;

	str(set, sizeof(set), "CONFIG_%s=", option);
	str(unset, sizeof(unset), "# CONFIG_%s is not set", option);
	while (next(f, line, sizeof(line))) {
		if (!strncmp(line, set, strlen(set))) {
			char v = line[strlen(set)];

			ret = v == 'y' || v == 'm';
			break;
		}
		if (!strncmp(line, unset, strlen(unset)))
			break;
	}
	return ret;	/* absent: its dependencies are not met, so not set */
}

static char *file_next(void *f, char *buf, int len)
{
	return fgets(buf, len, f);
}

static char *gz_next(void *f, char *buf, int len)
{
	return gzgets(f, buf, len);
}

/*
 * Looks through the kernel's BTF for a STRUCT with one of the names, or an
 * ENUM called enum_name with the enumerator: 1 found, 0 not, -1 unreadable.
 */
static int btf_has(const char *const *structs, const char *enum_name, const char *enumerator)
{
	char path[PATH_MAX];
	struct btf_header h;
	unsigned char *data = NULL;
	size_t size = 0, cap = 0, n;
	const char *strs;
	FILE *f;
	int ret = 0;

	str(path, sizeof(path), "%s/kernel/btf/vmlinux", sysfs_root());
	f = fopen(path, "rb");
	if (!f)
		return -1;
	do {
		if (size == cap) {
			unsigned char *more = realloc(data, cap = cap ? cap * 2 : 1 << 20);

			if (!more) {
				free(data);
				fclose(f);
				return -1;
			}
			data = more;
		}
		n = fread(data + size, 1, cap - size, f);
		size += n;
	} while (n);
	fclose(f);
	if (size < sizeof(h))
		goto bad;
	memcpy(&h, data, sizeof(h));
	if (h.magic != BTF_MAGIC || h.hdr_len < sizeof(h) ||
	    (size_t)h.hdr_len + h.type_off + h.type_len > size ||
	    (size_t)h.hdr_len + h.str_off + h.str_len > size || !h.str_len)
		goto bad;
	strs = (const char *)data + h.hdr_len + h.str_off;
	if (strs[h.str_len - 1])
		goto bad;

	for (size_t off = 0; off + sizeof(struct btf_type) <= h.type_len && !ret;) {
		struct btf_type t;
		size_t extra;
		unsigned int kind, vlen;
		const char *name;

		memcpy(&t, data + h.hdr_len + h.type_off + off, sizeof(t));
		kind = BTF_INFO_KIND(t.info);
		vlen = BTF_INFO_VLEN(t.info);
		name = t.name_off < h.str_len ? strs + t.name_off : "";
		switch (kind) {
		case BTF_KIND_INT: extra = 4; break;
		case BTF_KIND_ARRAY: extra = sizeof(struct btf_array); break;
		case BTF_KIND_STRUCT: case BTF_KIND_UNION:
			extra = vlen * sizeof(struct btf_member); break;
		case BTF_KIND_ENUM: extra = vlen * sizeof(struct btf_enum); break;
		case BTF_KIND_FUNC_PROTO: extra = vlen * sizeof(struct btf_param); break;
		case BTF_KIND_VAR: extra = sizeof(struct btf_var); break;
		case BTF_KIND_DATASEC: extra = vlen * sizeof(struct btf_var_secinfo); break;
		case BTF_KIND_DECL_TAG: extra = sizeof(struct btf_decl_tag); break;
		case BTF_KIND_ENUM64: extra = vlen * sizeof(struct btf_enum64); break;
		case BTF_KIND_PTR: case BTF_KIND_FWD: case BTF_KIND_TYPEDEF:
		case BTF_KIND_VOLATILE: case BTF_KIND_CONST: case BTF_KIND_RESTRICT:
		case BTF_KIND_FUNC: case BTF_KIND_FLOAT: case BTF_KIND_TYPE_TAG:
			extra = 0; break;
		default:
			goto bad;	/* a kind newer than this parser: cannot tell */
		}
		if (off + sizeof(t) + extra > h.type_len)
			goto bad;
		if (kind == BTF_KIND_STRUCT)
			for (int i = 0; structs && structs[i]; i++)
				if (!strcmp(name, structs[i]))
					ret = 1;
		if (kind == BTF_KIND_ENUM && enum_name && !strcmp(name, enum_name)) {
			for (unsigned int i = 0; i < vlen; i++) {
				struct btf_enum e;

				memcpy(&e, data + h.hdr_len + h.type_off + off + sizeof(t) +
				       i * sizeof(e), sizeof(e));
				if (e.name_off < h.str_len && !strcmp(strs + e.name_off, enumerator))
					ret = 1;
			}
		}
		off += sizeof(t) + extra;
	}
	free(data);
	return ret;
bad:
	free(data);
	return -1;
}

int topo_kconfig(const char *option, char *source, size_t len)
{
	static const char *const p2pdma_structs[] = {
		/* defined in p2pdma.c only: pci-p2pdma.h's map state is always there */
		"pci_p2pdma_pagemap", "pci_p2pdma", NULL,
	};
	char path[PATH_MAX], gz[PATH_MAX], btf[PATH_MAX];
	FILE *f;
	gzFile z;
	int ret;

	str(path, sizeof(path), "%s/config-%s", env_or("P2PSCOPE_BOOT", "/boot"),
		 topo_release());
	f = fopen(path, "r");
	if (f) {
		ret = config_lookup(option, file_next, f);
		fclose(f);
		str(source, len, "%s", path);
		return ret;
	}
	str(gz, sizeof(gz), "%s/config.gz", procfs());
	z = access(gz, R_OK) ? NULL : gzopen(gz, "rb");
	if (z) {
		ret = config_lookup(option, gz_next, z);
		gzclose(z);
		str(source, len, "%s", gz);
		return ret;
	}
	str(btf, sizeof(btf), "%s/kernel/btf/vmlinux", sysfs_root());
	if (!strcmp(option, "DEBUG_INFO_BTF")) {
		ret = !access(btf, R_OK);
		str(source, len, "%s %s", btf, ret ? "exists" : "is missing");
		return ret;
	}
	if (!strcmp(option, "PCI_P2PDMA"))
		ret = btf_has(p2pdma_structs, NULL, NULL);
	else if (!strcmp(option, "ZONE_DEVICE"))
		ret = btf_has(NULL, "zone_type", "ZONE_DEVICE");
	else
		ret = -2;
	if (ret >= 0) {
		str(source, len, "BTF %s: %s", btf,
			 !strcmp(option, "ZONE_DEVICE") ?
			 (ret ? "enum zone_type has ZONE_DEVICE" : "enum zone_type lacks ZONE_DEVICE") :
			 (ret ? "struct pci_p2pdma_pagemap" : "no struct pci_p2pdma_pagemap"));
		return ret;
	}
	str(source, len, "none of %s, %s%s%s", path, gz,
		 ret == -1 ? " or " : "", ret == -1 ? btf : "");
	return -1;
}

/* Which of the names /proc/kallsyms lists (names are shown even to users). */
static bool kallsyms_has(const char *const *names, bool *found, int n)
{
	char path[PATH_MAX], line[512], sym[256];
	FILE *f;

	str(path, sizeof(path), "%s/kallsyms", procfs());
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %255s", sym) == 1)
			for (int i = 0; i < n; i++)
				found[i] |= !strcmp(sym, names[i]);
	fclose(f);
	return true;
}

static struct topo_check *check(struct topo_check *c, int *n, int max, const char *name,
				int status)
{
	struct topo_check *k;

	if (*n >= max)
		return NULL;
	k = &c[(*n)++];
	memset(k, 0, sizeof(*k));
	k->name = name;
	k->status = status;
	return k;
}

#define SET(field, ...) str(k->field, sizeof(k->field), __VA_ARGS__)

int topo_kernel_checks(struct topo_check *c, int max)
{
	static const char *const syms[] = {
		"pci_mmap_p2pmem", "__tracepoint_p2pdma_map_type", "__traceiter_p2pdma_map_type",
	};
	bool found[3] = { false };
	char src[PATH_MAX + 64], path[PATH_MAX], cpu[64];
	struct topo_dev *devs;
	struct topo_check *k;
	int n = 0, ndev, p2p, zone, btf, nprov = 0, nalloc = 0, limited = 0;
	int groups[4] = { 0 };	/* off, passthrough, translated, other */
	bool kallsyms, tracepoints;
	char provs[128] = "";

	ndev = topo_devices(&devs);
	for (int i = 0; i < ndev; i++) {
		if (devs[i].provider) {
			nprov++;
			if (devs[i].allocate) {
				nalloc++;
				if (strlen(provs) + strlen(devs[i].bdf) + 2 < sizeof(provs))
					add(provs, sizeof(provs), "%s%s", provs[0] ? " " : "",
					    devs[i].bdf);
			}
		}
		limited += !devs[i].cfg_full;
		groups[!strcmp(devs[i].iommu, "off") ? 0 : !strcmp(devs[i].iommu, "passthrough") ? 1 :
		       !strcmp(devs[i].iommu, "translated") ? 2 : 3]++;
	}

	p2p = topo_kconfig("PCI_P2PDMA", src, sizeof(src));
	if (p2p <= 0 && nprov) {
		/* only a P2PDMA kernel makes p2pmem groups: a config saying otherwise is stale */
		char was[sizeof(src)];

		str(was, sizeof(was), "%s", src);
		if (p2p == 0)
			str(src, sizeof(src), "p2pmem groups in %s/bus/pci/devices; %s says not set, "
			    "but it must be another build", sysfs_root(), was);
		else
			str(src, sizeof(src), "p2pmem groups in %s/bus/pci/devices", sysfs_root());
		p2p = 1;
	}
	k = check(c, &n, max, "p2pdma", p2p > 0 ? TOPO_OK : p2p == 0 ? TOPO_FAIL : TOPO_WARN);
	if (k) {
		SET(value, "%s", p2p > 0 ? "y" : p2p == 0 ? "not set" : "unknown");
		SET(source, "%s", src);
		if (p2p > 0) {
			SET(message, "CONFIG_PCI_P2PDMA=y: the kernel can do P2PDMA");
		} else if (p2p == 0) {
			SET(message, "CONFIG_PCI_P2PDMA is not set: this kernel %s cannot do P2PDMA",
			    topo_release());
			SET(fix, "boot a kernel with CONFIG_PCI_P2PDMA=y (Debian: trixie-backports 7.x; "
			    "Ubuntu 24.04, RHEL 9/10 and Fedora have it)");
		} else {
			SET(message, "no kernel config or BTF to tell whether CONFIG_PCI_P2PDMA is set");
			SET(fix, "install /boot/config-%s or boot with CONFIG_IKCONFIG_PROC=y",
			    topo_release());
		}
	}

	zone = topo_kconfig("ZONE_DEVICE", src, sizeof(src));
	if (zone < 0 && p2p > 0) {
		zone = 1;
		str(src, sizeof(src), "implied: PCI_P2PDMA depends on ZONE_DEVICE");
	}
	k = check(c, &n, max, "zone_device", zone > 0 ? TOPO_OK : zone == 0 ? TOPO_FAIL : TOPO_WARN);
	if (k) {
		SET(value, "%s", zone > 0 ? "y" : zone == 0 ? "not set" : "unknown");
		SET(source, "%s", src);
		SET(message, "%s", zone > 0 ? "CONFIG_ZONE_DEVICE=y: P2P memory can have struct pages" :
		    zone == 0 ? "CONFIG_ZONE_DEVICE is not set: P2PDMA depends on it" :
		    "cannot tell whether CONFIG_ZONE_DEVICE is set");
		if (zone == 0)
			SET(fix, "boot a kernel with CONFIG_ZONE_DEVICE=y and CONFIG_PCI_P2PDMA=y");
	}

	str(path, sizeof(path), "%s/kernel/btf/vmlinux", sysfs_root());
	btf = !access(path, R_OK);
	k = check(c, &n, max, "btf", btf ? TOPO_OK : TOPO_WARN);
	if (k) {
		SET(value, "%s", btf ? "yes" : "no");
		SET(source, "%s", path);
		SET(message, "%s", btf ? "kernel BTF: p2ptrace and p2ptop can load" :
		    "no kernel BTF: p2ptrace and p2ptop cannot load (p2pdoctor and p2pio need none)");
		if (!btf)
			SET(fix, "boot a kernel with CONFIG_DEBUG_INFO_BTF=y");
	}

	k = check(c, &n, max, "sysfs_alloc", nalloc ? TOPO_OK : p2p == 0 ? TOPO_FAIL : TOPO_WARN);
	if (k) {
		SET(value, "%d", nalloc);
		SET(source, "%s/bus/pci/devices/*/p2pmem/allocate", sysfs_root());
		if (nalloc) {
			SET(message, "p2pmem/allocate on %d provider%s (%s): mmap() it for P2P buffers",
			    nalloc, nalloc > 1 ? "s" : "", provs);
		} else if (nprov) {
			SET(message, "%d provider%s without p2pmem/allocate (added in 6.2)", nprov,
			    nprov > 1 ? "s" : "");
			SET(fix, "boot Linux 6.2 or later for userspace P2P buffers");
		} else if (p2p == 0) {
			SET(message, "no P2P memory: the kernel lacks P2PDMA");
			SET(fix, "see p2pdma above");
		} else {
			SET(message, "no device publishes P2P memory (no p2pmem group in sysfs)");
			SET(fix, "bind a device with P2P memory to its driver, e.g. an NVMe with a "
			    "CMB to nvme");
		}
	}

	kallsyms = kallsyms_has(syms, found, 3);
	k = check(c, &n, max, "cmb_mmap", TOPO_INFO);
	if (k) {
		str(k->source, sizeof(k->source), "%s/kallsyms", procfs());
		if (!kallsyms) {
			SET(value, "unknown");
			SET(message, "cannot read %s/kallsyms", procfs());
		} else if (found[0]) {
			k->status = TOPO_OK;
			SET(value, "yes");
			SET(message, "pci_mmap_p2pmem: mmap() of /dev/nvmeN maps that controller's "
			    "CMB (p2pscope kernel)");
		} else {
			SET(value, "no");
			SET(message, "no pci_mmap_p2pmem: /dev/nvmeN cannot map the CMB; use "
			    "p2pmem/allocate (p2pio falls back to it)");
		}
	}

	k = check(c, &n, max, "iommu", TOPO_INFO);
	if (k) {
		SET(source, "%s/bus/pci/devices/*/iommu_group/type", sysfs_root());
		if (!groups[1] && !groups[2] && !groups[3]) {
			SET(value, "off");
			SET(message, "no IOMMU groups: devices DMA to bus addresses directly");
		} else if (groups[2] && !groups[1] && !groups[3] && !groups[0]) {
			SET(value, "translated");
			SET(message, "THRU_HOST_BRIDGE mappings go through the IOMMU; IOMMU drivers "
			    "turn on ACS, which can redirect switch traffic upstream");
		} else if (groups[1] && !groups[2] && !groups[3] && !groups[0]) {
			SET(value, "passthrough");
			SET(message, "identity-mapped: no remapping, but ACS is still turned on");
		} else {
			SET(value, "mixed");
			SET(message, "%d off, %d passthrough, %d translated, %d other (e.g. vfio)",
			    groups[0], groups[1], groups[2], groups[3]);
		}
	}

	str(path, sizeof(path), "%s/kernel/tracing/events/p2pdma", sysfs_root());
	tracepoints = is_dir(path);
	if (!tracepoints) {
		str(path, sizeof(path), "%s/kernel/debug/tracing/events/p2pdma", sysfs_root());
		tracepoints = is_dir(path);
	}
	if (!tracepoints && (found[1] || found[2]))
		str(path, sizeof(path), "%s/kallsyms: __tracepoint_p2pdma_map_type", procfs());
	tracepoints |= found[1] || found[2];
	k = check(c, &n, max, "tracepoints", tracepoints ? TOPO_OK : TOPO_INFO);
	if (k) {
		SET(value, "%s", tracepoints ? "yes" : kallsyms ? "no" : "unknown");
		SET(source, "%s", tracepoints ? path : kallsyms ? "tracefs and kallsyms" :
		    "no tracefs or kallsyms");
		if (tracepoints)
			SET(message, "p2pdma:* events: p2ptrace and p2ptop see map decisions, "
			    "refusals, allocations, faults, closes and revokes%s",
			    btf ? "" : " (once the kernel has BTF)");
		else
			SET(message, "no p2pdma:* events: p2ptrace and p2ptop fall back to fentry "
			    "and kprobes: map types, allocations, frees and sysfs mmaps; no "
			    "faults, closes or revokes%s", btf ? "" : " (and they need BTF)");
	}

	k = check(c, &n, max, "cpu", TOPO_INFO);
	if (k) {
		bool zen = topo_cpu_zen(cpu, sizeof(cpu));

		SET(value, "%s", zen ? "zen" : "other");
		str(path, sizeof(path), "%s/cpuinfo", procfs());
		SET(source, "%s", env_or("P2PSCOPE_CPUINFO", path));
		SET(message, "%s: %s", cpu, zen ? "cpu_supports_p2pdma() allows P2P through any "
		    "host bridge" : "P2P through a host bridge needs it on the allowlist");
	}

	k = check(c, &n, max, "config_space", limited ? TOPO_WARN : TOPO_OK);
	if (k) {
		SET(value, "%s", limited ? "limited" : "full");
		SET(source, "%s/bus/pci/devices/*/config", sysfs_root());
		if (limited) {
			SET(message, "%d of %d devices show only 64 bytes of config space: ACS and "
			    "port types unknown, verdicts marked ? assume no ACS redirect",
			    limited, ndev);
			SET(fix, "run as root for a certain answer");
		} else {
			SET(message, "config space readable: ACS and port types known");
		}
	}
	free(devs);
	return n;
}
