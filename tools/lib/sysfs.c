// SPDX-License-Identifier: GPL-2.0
/* PCI devices, providers, NVMe controllers and disks, from sysfs. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "args.h"
#include "sysfs.h"

const char *sysfs_root(void)
{
	const char *root = getenv("P2PSCOPE_SYSFS");

	return root && *root ? root : "/sys";
}

const char *proc_root(void)
{
	const char *root = getenv("P2PSCOPE_PROC");

	return root && *root ? root : "/proc";
}

/* The first line of a file under the root (read(2): no stdio, no fstat). */
static bool sysfs_vline(char *buf, size_t len, const char *fmt, va_list ap)
{
	char rel[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n;
	int fd;

	vsnprintf(rel, sizeof(rel), fmt, ap);
	snprintf(path, sizeof(path), "%s/%s", sysfs_root(), rel);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return n > 0;
}

/* A sysfs number: decimal, or hex with 0x. */
static bool parse_u64(const char *buf, unsigned long long *v)
{
	char *end;

	*v = strtoull(buf, &end, 0);
	return end != buf;
}

bool sysfs_u64(unsigned long long *v, const char *fmt, ...)
{
	char buf[64];
	va_list ap;
	bool ok;

	va_start(ap, fmt);
	ok = sysfs_vline(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return ok && parse_u64(buf, v);
}

bool sysfs_str(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	bool ok;

	va_start(ap, fmt);
	ok = sysfs_vline(buf, len, fmt, ap);
	va_end(ap);
	return ok;
}

bool is_bdf(const char *s)
{
	size_t dom = strspn(s, "0123456789abcdef");

	/* domain:bus:slot.function, the domain 4 hex digits or more */
	return dom >= 4 && dom <= 8 && s[dom] == ':' &&
	       isxdigit((unsigned char)s[dom + 1]) && isxdigit((unsigned char)s[dom + 2]) &&
	       s[dom + 3] == ':' &&
	       isxdigit((unsigned char)s[dom + 4]) && isxdigit((unsigned char)s[dom + 5]) &&
	       s[dom + 6] == '.' && s[dom + 7] >= '0' && s[dom + 7] <= '7' && !s[dom + 8] &&
	       dom + 8 < P2P_NAME_LEN;
}

const char *resolve_pci(const char *name, char *buf, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *base;
	struct stat st;
	ssize_t n;

	if (!strncmp(name, "/dev/", 5))
		name += 5;
	if (!*name || strchr(name, '/'))
		return NULL;
	if (is_bdf(name)) {
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", sysfs_root(), name);
		if (stat(path, &st))
			return NULL;
		snprintf(buf, len, "%s", name);
		return buf;
	}
	snprintf(path, sizeof(path), "%s/class/nvme/%s/device", sysfs_root(), name);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return NULL;
	link[n] = 0;
	base = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
	if (!is_bdf(base))
		return NULL;
	snprintf(buf, len, "%s", base);
	return buf;
}

void provider_arg(const char *arg, char *bdf, size_t len)
{
	if (!resolve_pci(arg, bdf, len))
		die_usage("'%s' is neither a PCI address nor an nvme controller", arg);
	if (!pci_is_provider(bdf))
		die_usage("%s (%s) has no P2P memory (no p2pmem in sysfs)", arg, bdf);
}

bool pci_is_provider(const char *bdf)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/p2pmem", sysfs_root(), bdf);
	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

struct provider_ent {
	char bdf[P2P_NAME_LEN];
	unsigned long long id;
};

static int provider_cmp(const void *a, const void *b)
{
	return strcmp(((const struct provider_ent *)a)->bdf, ((const struct provider_ent *)b)->bdf);
}

/*
 * A top-like tool scans every interval: names come from one open directory
 * and each p2pmem is looked up relative to it, as path walks are most of
 * the cost of an interval.
 */
int provider_scan(char (*bdfs)[P2P_NAME_LEN], unsigned long long *ids, int max)
{
	static struct provider_ent found[1024];
	char path[PATH_MAX];
	struct dirent *de;
	int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/bus/pci/devices", sysfs_root());
	dir = opendir(path);
	if (!dir)
		return 0;
	while (n < (int)(sizeof(found) / sizeof(found[0])) && (de = readdir(dir))) {
		char rel[sizeof(de->d_name) + 8];
		struct stat st;

		/* is_bdf() keeps names shorter than P2P_NAME_LEN */
		if (!is_bdf(de->d_name))
			continue;
		snprintf(rel, sizeof(rel), "%s/p2pmem", de->d_name);
		if (fstatat(dirfd(dir), rel, &st, 0) || !S_ISDIR(st.st_mode))
			continue;
		memcpy(found[n].bdf, de->d_name, strlen(de->d_name) + 1);
		found[n++].id = st.st_ino;
	}
	closedir(dir);
	qsort(found, n, sizeof(found[0]), provider_cmp);
	if (n > max)
		n = max;
	for (int i = 0; i < n; i++) {
		memcpy(bdfs[i], found[i].bdf, P2P_NAME_LEN);
		if (ids)
			ids[i] = found[i].id;
	}
	return n;
}

int provider_list(char (*bdfs)[P2P_NAME_LEN], int max)
{
	return provider_scan(bdfs, NULL, max);
}

void p2pmem_close(struct p2pmem_files *f)
{
	if (f->id)
		for (int i = 0; i < P2PMEM_NR; i++)
			if (f->fd[i] >= 0)
				close(f->fd[i]);
	f->id = 0;
}

bool p2pmem_read(struct p2pmem_files *f, const char *bdf, unsigned long long id,
		 unsigned long long v[P2PMEM_NR])
{
	static const char *const file[P2PMEM_NR] = { "size", "available", "published" };
	bool any = false;

	if (f->id != id) {
		/* another group (rebound) or none yet: open this one's files */
		p2pmem_close(f);
		for (int i = 0; i < P2PMEM_NR; i++) {
			char path[PATH_MAX];

			snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/p2pmem/%s",
				 sysfs_root(), bdf, file[i]);
			f->fd[i] = open(path, O_RDONLY | O_CLOEXEC);
		}
		f->id = id;
	}
	for (int i = 0; i < P2PMEM_NR; i++) {
		char buf[32];
		/* sysfs shows the attribute afresh at offset 0 */
		ssize_t n = f->fd[i] >= 0 ? pread(f->fd[i], buf, sizeof(buf) - 1, 0) : -1;

		v[i] = 0;
		if (n <= 0)
			continue;
		buf[n] = 0;
		if (parse_u64(buf, &v[i]))
			any = true;
		else
			v[i] = 0;
	}
	return any;
}

/*
 * Tools name every event: remember lookups for a second, so a busy trace
 * does not walk sysfs per event, and a rebind is still noticed.
 */
#define NAME_CACHE 32

struct name_cache {
	char key[32], val[32];
	bool found;
	time_t when;
	unsigned int next;
};

/*
 * An entry older than a second is used only if still() confirms it (a
 * cheaper check than the lookup); else the lookup is done again.
 */
static bool cache_get(struct name_cache *c, const char *key, char *buf, size_t len,
		      const char **ret, bool (*still)(const char *key, const char *val))
{
	time_t now = time(NULL);

	for (int i = 0; i < NAME_CACHE; i++) {
		if (!c[i].when || strcmp(c[i].key, key))
			continue;
		if (now - c[i].when >= 1) {
			if (!still || !c[i].found || !still(key, c[i].val))
				continue;
			c[i].when = now;
		}
		*ret = NULL;
		if (c[i].found) {
			snprintf(buf, len, "%s", c[i].val);
			*ret = buf;
		}
		return true;
	}
	return false;
}

static void cache_put(struct name_cache *c, const char *key, const char *val)
{
	struct name_cache *e = &c[c[0].next++ % NAME_CACHE];

	snprintf(e->key, sizeof(e->key), "%s", key);
	snprintf(e->val, sizeof(e->val), "%s", val ? val : "");
	e->found = val != NULL;
	e->when = time(NULL);
}

static const char *nvme_lookup(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX];
	struct dirent *de;
	const char *ret = NULL;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/nvme", sysfs_root(), bdf);
	dir = opendir(path);
	if (!dir)
		return NULL;
	while ((de = readdir(dir))) {
		if (!strncmp(de->d_name, "nvme", 4) && isdigit((unsigned char)de->d_name[4])) {
			snprintf(buf, len, "%s", de->d_name);
			ret = buf;
			break;
		}
	}
	closedir(dir);
	return ret;
}

/* The controller is still there under that name: one stat, not a directory read. */
static bool nvme_still(const char *bdf, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/nvme/%s", sysfs_root(), bdf, name);
	return !stat(path, &st);
}

const char *pci_nvme_name(const char *bdf, char *buf, size_t len)
{
	static struct name_cache cache[NAME_CACHE];
	const char *ret;

	if (cache_get(cache, bdf, buf, len, &ret, nvme_still))
		return ret;
	ret = nvme_lookup(bdf, buf, len);
	cache_put(cache, bdf, ret);
	return ret;
}

const char *pci_display_name(const char *bdf, char *buf, size_t len)
{
	if (!bdf[0])
		return "-";
	if (pci_nvme_name(bdf, buf, len))
		return buf;
	snprintf(buf, len, "%s", bdf);
	return buf;
}

const char *disk_name(__u32 kdev, char *buf, size_t len)
{
	static struct name_cache cache[NAME_CACHE];
	char path[PATH_MAX], link[PATH_MAX], key[32];
	const char *ret;
	ssize_t n;

	snprintf(key, sizeof(key), "%u:%u", kdev >> 20, kdev & ((1U << 20) - 1));
	if (cache_get(cache, key, buf, len, &ret, NULL))
		return ret;
	snprintf(path, sizeof(path), "%s/dev/block/%s", sysfs_root(), key);
	n = readlink(path, link, sizeof(link) - 1);
	ret = NULL;
	if (n > 0) {
		link[n] = 0;
		snprintf(buf, len, "%s", strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
		ret = buf;
	}
	cache_put(cache, key, ret);
	return ret;
}

__u32 resolve_disk(const char *name)
{
	char buf[64];
	unsigned int ma, mi;

	if (!strncmp(name, "/dev/", 5))
		name += 5;
	if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	if (!sysfs_str(buf, sizeof(buf), "class/block/%s/dev", name) ||
	    sscanf(buf, "%u:%u", &ma, &mi) != 2)
		return 0;
	return (ma << 20) | mi;
}
