// SPDX-License-Identifier: GPL-2.0
/*
 * Host bridges and the kernel's P2PDMA allowlist: pci_host_bridge_dev() and
 * __host_bridge_whitelist() of drivers/pci/p2pdma.c, for the running
 * release. The config space they need comes from topology.c.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include "allowlist.h"
#include "strbuf.h"
#include "sysfs.h"	/* sysfs_root(), is_bdf() */

#define PCI_CLASS_BRIDGE_PCI	0x0604
#define PCI_EXP_TYPE_ROOT_PORT	4

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
				buf_set(note, len, "%s: on the allowlist from %d.%d; kernel release "
					 "'%s' not understood", e->what, e->since / 1000,
					 e->since % 1000, topo_release());
			}
			return e->same_host_bridge ? TOPO_ALLOW_SAME_BRIDGE : TOPO_ALLOW_YES;
		}
		if (rel <= e->after) {
			buf_set(note, len, "%s: on the allowlist from %d.%d, not in %d.%d",
				 e->what, e->since / 1000, e->since % 1000, rel / 1000, rel % 1000);
			return TOPO_ALLOW_NO;
		}
		*guessed = true;
		buf_set(note, len, "%s: on the allowlist by %d.%d, not in %d.%d: this %d.%d "
			 "kernel may have it", e->what, e->since / 1000, e->since % 1000,
			 e->after / 1000, e->after % 1000, rel / 1000, rel % 1000);
		return TOPO_ALLOW_NO;
	}
	if (rel > NEWEST_KNOWN && rel != INT_MAX)
		buf_set(note, len, "allowlist as of %d.%d: this newer kernel may list more",
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
	struct topo_ident id;
	unsigned int best = 256;
	struct dirent *de;
	DIR *dir;

	memset(h, 0, sizeof(*h));
	buf_set(h->root, sizeof(h->root), "%s", root);
	dir = opendir(hostdir);
	while (dir && (de = readdir(dir))) {
		if (is_bdf(de->d_name) && topo_devfn(de->d_name) < best) {
			best = topo_devfn(de->d_name);
			buf_set(h->first, sizeof(h->first), "%s", de->d_name);
		}
	}
	if (dir)
		closedir(dir);
	if (!h->first[0]) {
		buf_set(h->note, sizeof(h->note), "no device on root bus %s", root);
		return;
	}

	if (!topo_ident(h->first, &id)) {
		buf_set(h->note, sizeof(h->note), "cannot read %s", h->first);
		return;
	}
	if (best == 0) {
		buf_set(h->dev, sizeof(h->dev), "%s", h->first);
	} else if (id.cfg_full) {
		if (id.port_type == PCI_EXP_TYPE_ROOT_PORT)
			buf_set(h->dev, sizeof(h->dev), "%s", h->first);
		else
			buf_set(h->note, sizeof(h->note), "first device %s on root bus %s is "
				 "neither 00.0 nor a root port", h->first, root);
	} else if (id.class == PCI_CLASS_BRIDGE_PCI) {
		/* the port type is past the first 64 bytes */
		buf_set(h->dev, sizeof(h->dev), "%s", h->first);
		h->guessed = true;
		buf_set(h->note, sizeof(h->note), "%s taken for a root port (its type needs "
			 "root to read)", h->first);
	} else {
		buf_set(h->note, sizeof(h->note), "first device %s on root bus %s is "
			 "neither 00.0 nor a root port", h->first, root);
	}
	if (h->dev[0]) {
		char more[160] = "";

		h->vendor = id.vendor;
		h->device = id.device;
		h->allow = allow_lookup(h->vendor, h->device, &h->guessed, more, sizeof(more));
		if (more[0])
			buf_add(h->note, sizeof(h->note), "%s%s", h->note[0] ? "; " : "", more);
	}
}

void topo_host_of(const struct topo_path *p, struct topo_host *h)
{
	host_of(p->host, p->root, h);
}

int topo_hosts(struct topo_host *out, int max)
{
	char path[PATH_MAX], real[PATH_MAX], seen[64][PATH_MAX / 8];
	struct dirent *de;
	int n = 0, nseen = 0;
	DIR *dir;

	buf_set(path, sizeof(path), "%s/bus/pci/devices", sysfs_root());
	dir = opendir(path);
	while (dir && (de = readdir(dir)) && n < max) {
		struct topo_path p;
		bool dup = false;

		if (!topo_path(de->d_name, &p))
			continue;
		buf_set(real, sizeof(real), "%s", p.host);
		for (int i = 0; i < nseen && !dup; i++)
			dup = !strncmp(seen[i], real, sizeof(seen[i]) - 1);
		if (dup || nseen == 64)
			continue;
		buf_set(seen[nseen++], sizeof(seen[0]), "%s", real);
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
