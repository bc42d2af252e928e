// SPDX-License-Identifier: GPL-2.0
/*
 * The map type and distance of calc_map_type_and_dist() for a pair, step
 * by step as drivers/pci/p2pdma.c takes them, which is the same in Debian's
 * linux-source-6.12 (6.12.117) and linux-source-7.3 (7.3.4) except for the
 * host-bridge allowlist (allowlist.c). tests/host/p2pdoctor-kernel.sh fails
 * when the kernel's functions change.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "allowlist.h"
#include "maptype.h"
#include "strbuf.h"
#include "sysfs.h"	/* proc_root() */

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

const char *topo_cpuinfo(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("P2PSCOPE_CPUINFO");

	if (env && *env)
		return env;
	buf_set(path, sizeof(path), "%s/cpuinfo", proc_root());
	return path;
}

/* cpu_supports_p2pdma(): X86_VENDOR_AMD and x86 family >= 0x17, of CPU 0 */
bool topo_cpu_zen(char *desc, size_t len)
{
	char line[256], vendor[64] = "";
	int family = -1;
	FILE *f;

	f = fopen(topo_cpuinfo(), "r");
	if (desc && len)
		buf_set(desc, len, "unknown CPU");
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
			buf_set(desc, len, "%s family 0x%x", vendor, family < 0 ? 0 : family);
		else
			buf_set(desc, len, "no x86 vendor in cpuinfo");
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
			buf_add(buf, len, "%sACS %s set on ", i ? "; " : "",
			    topo_acs_names(bits[i], names, sizeof(names)));
		else
			buf_add(buf, len, ", ");
		buf_add(buf, len, "%s", v->acs[i]);
	}
}

int topo_predict(const char *provider, const char *client, struct topo_verdict *v)
{
	struct topo_path a, b;
	unsigned int bits[TOPO_MAX_ACS] = { 0 }, got;
	char unreadable[TOPO_BDF_LEN] = "", cpu[64];
	int ia, ib = -1, dist_a = 0, dist_b = 0, r;
	bool found = false, acs_redirects = false;
	struct topo_host ha, hb;

	memset(v, 0, sizeof(*v));
	v->distance = -1;
	if (!topo_path(provider, &a)) {
		buf_set(v->reason, sizeof(v->reason), "provider %s is not a PCI function", provider);
		return -ENODEV;
	}
	if (!topo_path(client, &b)) {
		buf_set(v->reason, sizeof(v->reason), "client %s is not a PCI function", client);
		return -ENODEV;
	}

#define NOTE_ACS(bdf, ret) do {							\
		if ((ret) == 1 && v->nacs < TOPO_MAX_ACS) {			\
			bits[v->nacs] = got;					\
			buf_set(v->acs[v->nacs++], TOPO_BDF_LEN, "%s", bdf);	\
		} else if ((ret) < 0 && !unreadable[0]) {			\
			buf_set(unreadable, sizeof(unreadable), "%s", bdf);	\
		}								\
	} while (0)

	/* calc_map_type_and_dist(): walk up from the provider ... */
	for (ia = a.n - 1; ia >= 0 && !found; ia--) {
		dist_b = 0;
		r = topo_acs_redir(a.bdf[ia], &got);
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
		buf_set(v->common, sizeof(v->common), "%s", a.bdf[ia]);
		/* check_b_path_acs: the client's side, below the common device */
		for (int k = b.n - 1; k > ib; k--) {
			r = topo_acs_redir(b.bdf[k], &got);
			NOTE_ACS(b.bdf[k], r);
		}
		v->distance = dist_a + dist_b;
		if (!v->nacs) {
			v->map_type = TOPO_MAP_BUS_ADDR;
			if (!strcmp(provider, client))
				buf_set(v->reason, sizeof(v->reason), "same PCI function");
			else
				buf_set(v->reason, sizeof(v->reason),
					 "common upstream %s %s, no ACS redirect on the path",
					 dist_a && dist_b ? "bridge" : "device", v->common);
			if (unreadable[0]) {
				v->guessed = true;
				buf_set(v->note, sizeof(v->note), "ACS of %s unreadable without "
					 "root: assumed off", unreadable);
			}
			return 0;
		}
		acs_redirects = true;
		acs_reason(v, bits, v->reason, sizeof(v->reason));
		buf_add(v->reason, sizeof(v->reason), "; ");
		/* what the kernel itself suggests when it warns */
		buf_set(v->fix, sizeof(v->fix), "boot with pci=disable_acs_redir=");
		for (int i = 0; i < v->nacs; i++)
			buf_add(v->fix, sizeof(v->fix), "%s%s", i ? ";" : "", v->acs[i]);
		buf_add(v->fix, sizeof(v->fix), " for BUS_ADDR (weakens isolation between devices)");
	} else {
		v->distance = dist_a + dist_b;	/* both depths */
		if (strcmp(a.host, b.host))
			buf_set(v->reason, sizeof(v->reason), "different root complexes; ");
		else
			buf_set(v->reason, sizeof(v->reason), "no common upstream bridge; ");
	}
#undef NOTE_ACS

	/* map_through_host_bridge: host_bridge_whitelist() of both ends */
	v->map_type = TOPO_MAP_THRU_HOST_BRIDGE;
	if (topo_cpu_zen(cpu, sizeof(cpu))) {
		v->cpu_rule = true;
		buf_add(v->reason, sizeof(v->reason), "%s CPU (Zen or later) allows any host bridge",
		    cpu);
		return 0;
	}
	topo_host_of(&a, &ha);
	if (strcmp(a.host, b.host))
		topo_host_of(&b, &hb);
	else
		hb = ha;
	v->guessed |= ha.guessed || hb.guessed;
	if (ha.note[0])
		buf_set(v->note, sizeof(v->note), "%s", ha.note);
	if (hb.note[0] && strcmp(ha.note, hb.note))
		buf_add(v->note, sizeof(v->note), "%s%s", v->note[0] ? "; " : "", hb.note);

	if (!strcmp(a.host, b.host)) {
		/* __host_bridge_whitelist(host, same_host_bridge = true) */
		if (!ha.dev[0]) {
			buf_add(v->reason, sizeof(v->reason), "no host bridge device on root bus %s",
			    ha.root);
			v->map_type = TOPO_MAP_NOT_SUPPORTED;
		} else if (ha.allow == TOPO_ALLOW_NO) {
			buf_add(v->reason, sizeof(v->reason), "host bridge %04x:%04x not on the allowlist",
			    ha.vendor, ha.device);
			v->map_type = TOPO_MAP_NOT_SUPPORTED;
		} else {
			buf_add(v->reason, sizeof(v->reason), "host bridge %04x:%04x on the allowlist",
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
			buf_add(v->reason, sizeof(v->reason), "host bridges %04x:%04x and %04x:%04x "
			    "on the allowlist", ha.vendor, ha.device, hb.vendor, hb.device);
		else if (!bad->dev[0])
			buf_add(v->reason, sizeof(v->reason), "no host bridge device on root bus %s",
			    bad->root);
		else if (bad->allow == TOPO_ALLOW_SAME_BRIDGE)
			buf_add(v->reason, sizeof(v->reason), "host bridge %04x:%04x allows P2P only "
			    "within itself", bad->vendor, bad->device);
		else
			buf_add(v->reason, sizeof(v->reason), "host bridge %04x:%04x not on the "
			    "allowlist", bad->vendor, bad->device);
		if (bad)
			v->map_type = TOPO_MAP_NOT_SUPPORTED;
	}
	if (v->map_type == TOPO_MAP_NOT_SUPPORTED && !acs_redirects)
		buf_set(v->fix, sizeof(v->fix), "put both devices under one PCIe switch (no ACS "
			 "redirect), or use an allowlisted host bridge or an AMD Zen CPU");
	return 0;
}
