// SPDX-License-Identifier: GPL-2.0
/*
 * The running kernel's readiness for P2PDMA, from its config, BTF,
 * kallsyms, tracefs and sysfs.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <linux/btf.h>
#include "allowlist.h"	/* topo_release() */
#include "maptype.h"	/* topo_cpu_zen() */
#include "readiness.h"
#include "strbuf.h"
#include "sysfs.h"	/* sysfs_root(), proc_root() */
#include "topology.h"	/* topo_devices() */

static const char *boot_root(void)
{
	const char *v = getenv("P2PSCOPE_BOOT");

	return v && *v ? v : "/boot";
}

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
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


/* CONFIG_<option> in a config file read line by line: 1, 0 */
static int config_lookup(const char *option, char *(*next)(void *, char *, int), void *f)
{
	char line[512], set[128], unset[128];
	int ret = 0;

	buf_set(set, sizeof(set), "CONFIG_%s=", option);
	buf_set(unset, sizeof(unset), "# CONFIG_%s is not set", option);
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

	buf_set(path, sizeof(path), "%s/kernel/btf/vmlinux", sysfs_root());
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

	buf_set(path, sizeof(path), "%s/config-%s", boot_root(), topo_release());
	f = fopen(path, "r");
	if (f) {
		ret = config_lookup(option, file_next, f);
		fclose(f);
		buf_set(source, len, "%s", path);
		return ret;
	}
	buf_set(gz, sizeof(gz), "%s/config.gz", proc_root());
	z = access(gz, R_OK) ? NULL : gzopen(gz, "rb");
	if (z) {
		ret = config_lookup(option, gz_next, z);
		gzclose(z);
		buf_set(source, len, "%s", gz);
		return ret;
	}
	buf_set(btf, sizeof(btf), "%s/kernel/btf/vmlinux", sysfs_root());
	if (!strcmp(option, "DEBUG_INFO_BTF")) {
		ret = !access(btf, R_OK);
		buf_set(source, len, "%s %s", btf, ret ? "exists" : "is missing");
		return ret;
	}
	if (!strcmp(option, "PCI_P2PDMA"))
		ret = btf_has(p2pdma_structs, NULL, NULL);
	else if (!strcmp(option, "ZONE_DEVICE"))
		ret = btf_has(NULL, "zone_type", "ZONE_DEVICE");
	else
		ret = -2;
	if (ret >= 0) {
		buf_set(source, len, "BTF %s: %s", btf,
			 !strcmp(option, "ZONE_DEVICE") ?
			 (ret ? "enum zone_type has ZONE_DEVICE" : "enum zone_type lacks ZONE_DEVICE") :
			 (ret ? "struct pci_p2pdma_pagemap" : "no struct pci_p2pdma_pagemap"));
		return ret;
	}
	buf_set(source, len, "none of %s, %s%s%s", path, gz,
		 ret == -1 ? " or " : "", ret == -1 ? btf : "");
	return -1;
}

/* Which of the names /proc/kallsyms lists (names are shown even to users). */
static bool kallsyms_has(const char *const *names, bool *found, int n)
{
	char path[PATH_MAX], line[512], sym[256];
	FILE *f;

	buf_set(path, sizeof(path), "%s/kallsyms", proc_root());
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

#define SET(field, ...) buf_set(k->field, sizeof(k->field), __VA_ARGS__)

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
					buf_add(provs, sizeof(provs), "%s%s", provs[0] ? " " : "",
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

		buf_set(was, sizeof(was), "%s", src);
		if (p2p == 0)
			buf_set(src, sizeof(src), "p2pmem groups in %s/bus/pci/devices; %s says not set, "
			    "but it must be another build", sysfs_root(), was);
		else
			buf_set(src, sizeof(src), "p2pmem groups in %s/bus/pci/devices", sysfs_root());
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
		buf_set(src, sizeof(src), "implied: PCI_P2PDMA depends on ZONE_DEVICE");
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

	buf_set(path, sizeof(path), "%s/kernel/btf/vmlinux", sysfs_root());
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
		buf_set(k->source, sizeof(k->source), "%s/kallsyms", proc_root());
		if (!kallsyms) {
			SET(value, "unknown");
			SET(message, "cannot read %s/kallsyms", proc_root());
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
			SET(message, "THRU_HOST_BRIDGE mappings go through the IOMMU, BUS_ADDR ones "
			    "bypass it (see their warning); IOMMU drivers turn on ACS, which can "
			    "redirect switch traffic upstream");
		} else if (groups[1] && !groups[2] && !groups[3] && !groups[0]) {
			SET(value, "passthrough");
			SET(message, "identity-mapped: no remapping, but ACS is still turned on");
		} else {
			SET(value, "mixed");
			SET(message, "%d off, %d passthrough, %d translated, %d other (e.g. vfio)",
			    groups[0], groups[1], groups[2], groups[3]);
		}
	}

	buf_set(path, sizeof(path), "%s/kernel/tracing/events/p2pdma", sysfs_root());
	tracepoints = is_dir(path);
	if (!tracepoints) {
		buf_set(path, sizeof(path), "%s/kernel/debug/tracing/events/p2pdma", sysfs_root());
		tracepoints = is_dir(path);
	}
	if (!tracepoints && (found[1] || found[2]))
		buf_set(path, sizeof(path), "%s/kallsyms: __tracepoint_p2pdma_map_type", proc_root());
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
		SET(source, "%s", topo_cpuinfo());
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
