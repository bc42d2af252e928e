// SPDX-License-Identifier: GPL-2.0
/*
 * Why the kernel refuses P2P between a provider and a client, from the PCI
 * topology in sysfs, as calc_map_type_and_dist() decides it.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "reason.h"
#include "sysfs.h"


#define MAX_DEPTH 16

/* The PCI functions from the root bus down to bdf, from its sysfs path. */
static int pci_path(const char *bdf, char out[][P2P_NAME_LEN], int max)
{
	char path[PATH_MAX], real[PATH_MAX], *tok, *save = NULL;
	int n = 0;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", sysfs_root(), bdf);
	if (!realpath(path, real))
		return 0;
	for (tok = strtok_r(real, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		unsigned int d, b, s, f;
		char end;

		if (strlen(tok) == 12 && sscanf(tok, "%4x:%2x:%2x.%1x%c", &d, &b, &s, &f, &end) == 4 &&
		    n < max)
			snprintf(out[n++], P2P_NAME_LEN, "%s", tok);
	}
	return n;
}

static bool read_config(const char *bdf, unsigned char *cfg, size_t len)
{
	char path[PATH_MAX];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/config", sysfs_root(), bdf);
	f = fopen(path, "rb");
	if (!f)
		return false;
	n = fread(cfg, 1, len, f);
	fclose(f);
	return n == len;
}

/* ACS P2P Request/Completion Redirect or Egress Control set on a bridge */
static bool acs_redirects(const char *bdf)
{
	unsigned char cfg[4096];
	unsigned int pos = 0x100;

	if (!read_config(bdf, cfg, sizeof(cfg)))
		return false;
	for (int guard = 0; pos >= 0x100 && pos < 4093 && guard < 64; guard++) {
		unsigned int hdr = cfg[pos] | cfg[pos + 1] << 8 | cfg[pos + 2] << 16 |
				   (unsigned int)cfg[pos + 3] << 24;
		unsigned int ctrl;

		if (!hdr)
			break;
		if ((hdr & 0xffff) == 0x000d) {	/* PCI_EXT_CAP_ID_ACS */
			ctrl = cfg[pos + 6] | cfg[pos + 7] << 8;
			return ctrl & (0x04 | 0x08 | 0x20);	/* RR | CR | EC */
		}
		pos = hdr >> 20;
	}
	return false;
}

static bool read_id_(const char *bdf, const char *file, unsigned int *id)
{
	char path[PATH_MAX];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/%s", sysfs_root(), bdf, file);
	f = fopen(path, "r");
	if (!f)
		return false;
	ok = fscanf(f, "%x", id) == 1;
	fclose(f);
	return ok;
}

/* cpu_supports_p2pdma(): AMD Zen (family 0x17) and later */
static bool cpu_is_zen(void)
{
	const char *path = getenv("P2PSCOPE_CPUINFO");
	char line[256];
	bool amd = false;
	int family = 0;
	FILE *f = fopen(path && *path ? path : "/proc/cpuinfo", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "vendor_id", 9))
			amd = strstr(line, "AuthenticAMD") != NULL;
		else if (!strncmp(line, "cpu family", 10))
			sscanf(strchr(line, ':') ? strchr(line, ':') + 1 : line, "%d", &family);
		else if (line[0] == '\n')
			break;	/* first CPU only, as the kernel checks cpu 0 */
	}
	fclose(f);
	return amd && family >= 0x17;
}

/* pci_p2pdma_whitelist[] of 6.12 */
static const struct { unsigned short vendor, device; } allowlist[] = {
	{ 0x8086, 0x3c00 }, { 0x8086, 0x3c01 }, { 0x8086, 0x2f00 }, { 0x8086, 0x2f01 },
	{ 0x8086, 0x2030 }, { 0x8086, 0x2031 }, { 0x8086, 0x2032 }, { 0x8086, 0x2033 },
	{ 0x8086, 0x2020 }, { 0x8086, 0x09a2 },
};

const char *p2p_reason(const char *provider, const char *client, char *buf, size_t len)
{
	char a[MAX_DEPTH][P2P_NAME_LEN], b[MAX_DEPTH][P2P_NAME_LEN], host[P2P_NAME_LEN];
	int na = pci_path(provider, a, MAX_DEPTH), nb = pci_path(client, b, MAX_DEPTH);
	char acs[P2P_NAME_LEN] = "";
	unsigned int vendor = 0, device = 0;
	int common = -1;
	size_t used;

	if (!na)
		return snprintf(buf, len, "provider %s not found in sysfs", provider), buf;
	if (!nb)
		return snprintf(buf, len, "client %s is not a PCI device", client), buf;

	/* deepest bridge above both (the devices themselves included) */
	for (int i = 0; i < na && i < nb && !strcmp(a[i], b[i]); i++)
		common = i;
	for (int i = na - 1; i > common && !acs[0]; i--)
		if (acs_redirects(a[i]))
			snprintf(acs, sizeof(acs), "%s", a[i]);
	for (int i = nb - 1; i > common && !acs[0]; i--)
		if (acs_redirects(b[i]))
			snprintf(acs, sizeof(acs), "%s", b[i]);
	if (common >= 0 && acs_redirects(a[common]) && !acs[0] && common < na - 1)
		snprintf(acs, sizeof(acs), "%s", a[common]);

	buf[0] = 0;
	if (common >= 0 && !acs[0])
		return snprintf(buf, len, "same switch, no ACS redirect: should map"), buf;
	if (acs[0])
		snprintf(buf, len, "ACS redirect on %s", acs);
	used = strlen(buf);

	if (cpu_is_zen())
		return snprintf(buf + used, len - used, "%sAMD Zen host bridge allowed",
				used ? "; " : ""), buf;
	/* pci_host_bridge_dev(): devfn 00.0 on the root bus */
	snprintf(host, sizeof(host), "%.8s00.0", a[0]);
	if (!read_id_(host, "vendor", &vendor) || !read_id_(host, "device", &device))
		return snprintf(buf + used, len - used, "%sno host bridge device at %s",
				used ? "; " : "", host), buf;
	for (size_t i = 0; i < sizeof(allowlist) / sizeof(allowlist[0]); i++)
		if (allowlist[i].vendor == vendor && allowlist[i].device == device)
			return snprintf(buf + used, len - used, "%shost bridge %04x:%04x allowed",
					used ? "; " : "", vendor, device), buf;
	snprintf(buf + used, len - used, "%shost bridge %04x:%04x not on allowlist",
		 used ? "; " : "", vendor, device);
	return buf;
}

