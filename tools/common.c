// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the p2pscope tools. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "common.h"

void die_usage(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

/* ---- names ---- */

const char *sysfs_root(void)
{
	const char *root = getenv("P2PSCOPE_SYSFS");

	return root && *root ? root : "/sys";
}

static bool is_bdf(const char *s)
{
	unsigned int d, b, s2, f;
	char end;

	return strlen(s) == 12 &&
	       sscanf(s, "%4x:%2x:%2x.%1x%c", &d, &b, &s2, &f, &end) == 4;
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
};

static bool cache_get(struct name_cache *c, const char *key, char *buf, size_t len,
		      const char **ret)
{
	time_t now = time(NULL);

	for (int i = 0; i < NAME_CACHE; i++) {
		if (c[i].when && now - c[i].when < 1 && !strcmp(c[i].key, key)) {
			*ret = NULL;
			if (c[i].found) {
				snprintf(buf, len, "%s", c[i].val);
				*ret = buf;
			}
			return true;
		}
	}
	return false;
}

static void cache_put(struct name_cache *c, const char *key, const char *val)
{
	static unsigned int next;
	struct name_cache *e = &c[next++ % NAME_CACHE];

	snprintf(e->key, sizeof(e->key), "%s", key);
	snprintf(e->val, sizeof(e->val), "%s", val ? val : "");
	e->found = val != NULL;
	e->when = time(NULL);
}

static const char *pci_nvme_lookup(const char *bdf, char *buf, size_t len);

const char *pci_nvme_name(const char *bdf, char *buf, size_t len)
{
	static struct name_cache cache[NAME_CACHE];
	const char *ret;

	if (cache_get(cache, bdf, buf, len, &ret))
		return ret;
	ret = pci_nvme_lookup(bdf, buf, len);
	cache_put(cache, bdf, ret);
	return ret;
}

static const char *pci_nvme_lookup(const char *bdf, char *buf, size_t len)
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

const char *resolve_pci(const char *name, char *buf, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *base;
	struct stat st;
	ssize_t n;

	if (!strncmp(name, "/dev/", 5))
		name += 5;
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

void provider_arg(const char *prog, const char *arg, char *bdf, size_t len)
{
	if (!resolve_pci(arg, bdf, len))
		die_usage(prog, "'%s' is neither a PCI address nor an nvme controller", arg);
	if (!pci_is_provider(bdf))
		die_usage(prog, "%s (%s) has no P2P memory (no p2pmem in sysfs)", arg, bdf);
}

bool pci_is_provider(const char *bdf)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/p2pmem", sysfs_root(), bdf);
	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

int count_providers(void)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "%s/bus/pci/devices", sysfs_root());
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.' && pci_is_provider(de->d_name))
			n++;
	closedir(dir);
	return n;
}

const char *disk_name(__u32 kdev, char *buf, size_t len)
{
	static struct name_cache cache[NAME_CACHE];
	char path[PATH_MAX], link[PATH_MAX], key[32];
	const char *ret;
	ssize_t n;

	snprintf(key, sizeof(key), "%u:%u", kdev >> 20, kdev & ((1U << 20) - 1));
	if (cache_get(cache, key, buf, len, &ret))
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
	char path[PATH_MAX], buf[64];
	unsigned int ma, mi;
	FILE *f;
	int ok;

	if (!strncmp(name, "/dev/", 5))
		name += 5;
	if (!*name || strchr(name, '/'))
		return 0;
	snprintf(path, sizeof(path), "%s/class/block/%s/dev", sysfs_root(), name);
	f = fopen(path, "r");
	if (!f)
		return 0;
	ok = fgets(buf, sizeof(buf), f) && sscanf(buf, "%u:%u", &ma, &mi) == 2;
	fclose(f);
	return ok ? (ma << 20) | mi : 0;
}

const char *show_pci(const char *bdf, char *buf, size_t len)
{
	if (!bdf[0])
		return "-";
	if (pci_nvme_name(bdf, buf, len))
		return buf;
	snprintf(buf, len, "%s", bdf);
	return buf;
}

/* ---- values ---- */

static const char *const event_names[P2P_EV_MAX] = {
	[P2P_EV_ALLOC] = "alloc", [P2P_EV_FREE] = "free",
	[P2P_EV_FAULT] = "fault", [P2P_EV_CLOSE] = "close",
	[P2P_EV_MAP] = "map", [P2P_EV_IO] = "io",
	[P2P_EV_FALLBACK] = "fallback", [P2P_EV_REVOKE] = "revoke",
};

const char *event_name(int type)
{
	return type > 0 && type < P2P_EV_MAX ? event_names[type] : "?";
}

int event_parse(const char *name)
{
	for (int i = 1; i < P2P_EV_MAX; i++)
		if (!strcmp(name, event_names[i]))
			return i;
	return -1;
}

int events_parse(const char *list)
{
	char buf[256], *tok, *save = NULL;
	int mask = 0;

	if (!*list || strlen(list) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int t = event_parse(tok);

		if (t < 0)
			return -1;
		mask |= 1 << t;
	}
	return mask ? mask : -1;
}

const char *map_type_name(int type)
{
	switch (type) {
	case P2P_MAP_NOT_SUPPORTED: return "NOT_SUPPORTED";
	case P2P_MAP_BUS_ADDR: return "BUS_ADDR";
	case P2P_MAP_THRU_HOST_BRIDGE: return "THRU_HOST_BRIDGE";
	default: return "UNKNOWN";
	}
}

const char *map_type_short(int type)
{
	switch (type) {
	case P2P_MAP_NOT_SUPPORTED: return "NOSUP";
	case P2P_MAP_BUS_ADDR: return "BUS";
	case P2P_MAP_THRU_HOST_BRIDGE: return "HOSTBR";
	default: return "?";
	}
}

const char *result_name(int result, char *buf, size_t len)
{
	const char *name;

	if (!result)
		return "ok";
	if (result == P2P_RESULT_SIGBUS)
		return "SIGBUS";
	name = result < 0 ? strerrorname_np(-result) : NULL;
	if (name)
		return name;
	snprintf(buf, len, "%d", result);
	return buf;
}

bool event_is_failure(const struct p2p_event *e)
{
	return e->result || e->type == P2P_EV_FALLBACK || e->type == P2P_EV_REVOKE ||
	       (e->type == P2P_EV_MAP && e->map_type == P2P_MAP_NOT_SUPPORTED);
}

bool parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

bool parse_seconds(const char *s, double *out)
{
	double v;
	char *end;

	if (!s || !*s || isspace((unsigned char)*s))
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v > 0) || v > 1e7)
		return false;
	*out = v;
	return true;
}

/* ---- output ---- */

void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		switch (c) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '\r': fputs("\\r", f); break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(f, "\\u%04x", c);
			else
				fputc(c, f);
		}
	}
	fputc('"', f);
}

/* ---- kernel checks ---- */

static bool has_caps(void)
{
	cap_t caps = cap_get_proc();
	cap_flag_value_t bpf = CAP_CLEAR, perfmon = CAP_CLEAR, admin = CAP_CLEAR;

	if (!caps)
		return false;
	cap_get_flag(caps, CAP_SYS_ADMIN, CAP_EFFECTIVE, &admin);
#ifdef CAP_BPF
	cap_get_flag(caps, CAP_BPF, CAP_EFFECTIVE, &bpf);
	cap_get_flag(caps, CAP_PERFMON, CAP_EFFECTIVE, &perfmon);
#endif
	cap_free(caps);
	return admin == CAP_SET || (bpf == CAP_SET && perfmon == CAP_SET);
}

/* CONFIG_PCI_P2PDMA from /proc/config.gz: 1 set, 0 unset, -1 unknown */
static int config_p2pdma(void)
{
	gzFile gz = gzopen("/proc/config.gz", "rb");
	char line[256];
	int ret = 0;

	if (!gz)
		return -1;
	while (gzgets(gz, line, sizeof(line))) {
		if (!strcmp(line, "CONFIG_PCI_P2PDMA=y\n")) {
			ret = 1;
			break;
		}
	}
	gzclose(gz);
	return ret;
}

void preflight(const char *prog)
{
	struct btf *btf;
	int cfg;

	if (!has_caps())
		die_usage(prog, "need root (or CAP_BPF and CAP_PERFMON) to load BPF programs");
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		die_usage(prog, "the kernel has no BTF (/sys/kernel/btf/vmlinux): "
			  "it needs CONFIG_DEBUG_INFO_BTF=y");
	btf = btf__load_vmlinux_btf();
	if (!btf)
		die_usage(prog, "cannot read the kernel's BTF: %s", strerror(errno));
	cfg = config_p2pdma();
	if (cfg == 0 || (cfg < 0 &&
	    btf__find_by_name_kind(btf, "pci_p2pdma_pagemap", BTF_KIND_STRUCT) < 0)) {
		btf__free(btf);
		die_usage(prog, "the kernel lacks P2PDMA: it needs CONFIG_PCI_P2PDMA=y");
	}
	btf__free(btf);
	if (!count_providers())
		fprintf(stderr, "%s: warning: no P2PDMA provider (no %s/bus/pci/devices/*/p2pmem); "
			"tracing anyway\n", prog, sysfs_root());
}

static bool libbpf_verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level != LIBBPF_WARN && !libbpf_verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

void libbpf_messages(bool verbose)
{
	libbpf_verbose = verbose;
	libbpf_set_print(libbpf_print);
}

/* ---- hook selection ---- */

#define MAX_PROGS 4

struct variant {
	const char *progs[MAX_PROGS];	/* all needed */
	const char *optional;		/* kept if its target exists */
};

struct hook {
	const char *name;
	struct variant v[4];
};

/* best first: p2pdma tracepoints, then fentry/fexit, then kprobes */
static const struct hook hooks[] = {
	{ "map-type", {
		{ { "tp_map_type" } },
		{ { "fexit_map_segment" }, "fexit_calc" },
		{ { "fexit_update_state" } },
		{ { "kp_map_segment", "krp_map_segment" } } } },
	/* last: the P2PDMA entry points, for when genalloc cannot be traced */
	{ "alloc", {
		{ { "tp_alloc" } },
		{ { "fexit_alloc" } },
		{ { "kp_alloc", "krp_alloc" } },
		{ { "fexit_pci_alloc", "fexit_sysfs_alloc" } } } },
	{ "free", {
		{ { "tp_free" } },
		{ { "fexit_free" } },
		{ { "kp_free", "krp_free" } },
		{ { "fentry_page_free", "fentry_pci_free" } } } },
	{ "vma-fault", { { { "tp_fault" } } } },
	{ "vma-close", { { { "tp_close" } } } },
	{ "sysfs-mmap", { { { "fexit_sysfs_mmap" } } } },
	{ "live-maps", { { { "fexit_vma_fault", "fentry_vma_close" } } } },
	{ "revoke", { { { "tp_revoke" } } } },
	{ "refusal", {
		{ { "tp_refused" } },
		{ { "tp_sg_err" } } } },
	{ "io-issue", { { { "tp_rq_issue" } } } },
	{ "io-complete", { { { "tp_rq_complete" } } } },
};

/*
 * Which of the wanted symbols a list (available_filter_functions, kallsyms)
 * holds; only the wanted names are kept, the lists are long.
 */
struct symset {
	const char **wanted;
	bool *found;
	int n;
	bool known;
};

static void symset_load(struct symset *set, const char *path, int field)
{
	char line[512];
	FILE *f = fopen(path, "r");

	set->known = f != NULL;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *tok, *save = NULL, *p = line;

		for (int i = 0; (tok = strtok_r(p, " \t\n", &save)); i++, p = NULL) {
			if (i != field)
				continue;
			for (int w = 0; w < set->n; w++)
				if (!set->found[w] && !strcmp(tok, set->wanted[w]))
					set->found[w] = true;
			break;
		}
	}
	fclose(f);
}

static bool symset_has(const struct symset *set, const char *name)
{
	if (!set->known)
		return true;	/* cannot tell: let attach decide */
	for (int i = 0; i < set->n; i++)
		if (!strcmp(set->wanted[i], name))
			return set->found[i];
	return false;
}

struct env {
	struct btf *btf;
	struct symset ftrace, kallsyms;
};

/* Can the kernel attach the program's section target? */
static bool target_exists(struct env *env, struct bpf_program *prog)
{
	const char *sec = bpf_program__section_name(prog);
	const char *target = strchr(sec, '/');
	char name[256], path[PATH_MAX];

	if (!target)
		return false;
	target++;
	if (!strncmp(sec, "tp_btf/", 7)) {
		snprintf(name, sizeof(name), "btf_trace_%s", target);
		return btf__find_by_name_kind(env->btf, name, BTF_KIND_TYPEDEF) >= 0;
	}
	if (!strncmp(sec, "fentry/", 7) || !strncmp(sec, "fexit/", 6))
		return btf__find_by_name_kind(env->btf, target, BTF_KIND_FUNC) >= 0 &&
		       symset_has(&env->ftrace, target);
	/*
	 * Kprobe events refuse functions ftrace cannot trace, unless the kernel
	 * has CONFIG_KPROBE_EVENTS_ON_NOTRACE; lib/ (genalloc) is such code.
	 */
	if (!strncmp(sec, "kprobe/", 7) || !strncmp(sec, "kretprobe/", 10))
		return symset_has(&env->kallsyms, target) && symset_has(&env->ftrace, target);
	if (!strncmp(sec, "tracepoint/", 11)) {
		snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s", target);
		if (!access(path, F_OK))
			return true;
		snprintf(path, sizeof(path), "/sys/kernel/debug/tracing/events/%s", target);
		return !access(path, F_OK);
	}
	return false;
}

int hooks_select(struct bpf_object *obj, bool verbose, const char *prog)
{
	struct bpf_program *p;
	struct env env = {};
	int missing = 0;

	const char *wanted[64];
	bool found_ftrace[64] = {}, found_kallsyms[64] = {};
	int nwanted = 0;

	env.btf = btf__load_vmlinux_btf();
	if (!env.btf)
		die_usage(prog, "cannot read the kernel's BTF: %s", strerror(errno));
	bpf_object__for_each_program(p, obj) {
		const char *t = strchr(bpf_program__section_name(p), '/');

		if (t && nwanted < 64)
			wanted[nwanted++] = t + 1;
	}
	env.ftrace = (struct symset){ wanted, found_ftrace, nwanted };
	env.kallsyms = (struct symset){ wanted, found_kallsyms, nwanted };
	symset_load(&env.ftrace, "/sys/kernel/tracing/available_filter_functions", 0);
	symset_load(&env.kallsyms, "/proc/kallsyms", 2);

	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, false);

	for (size_t h = 0; h < sizeof(hooks) / sizeof(hooks[0]); h++) {
		const struct variant *chosen = NULL;

		for (int v = 0; v < 4 && hooks[h].v[v].progs[0] && !chosen; v++) {
			bool ok = true;

			for (int i = 0; i < MAX_PROGS && hooks[h].v[v].progs[i]; i++) {
				p = bpf_object__find_program_by_name(obj, hooks[h].v[v].progs[i]);
				ok = ok && p && target_exists(&env, p);
			}
			if (ok)
				chosen = &hooks[h].v[v];
		}
		if (!chosen) {
			missing++;
			if (verbose)
				fprintf(stderr, "%s: %-11s unavailable on this kernel\n", prog,
					hooks[h].name);
			continue;
		}
		for (int i = 0; i < MAX_PROGS && chosen->progs[i]; i++) {
			p = bpf_object__find_program_by_name(obj, chosen->progs[i]);
			bpf_program__set_autoload(p, true);
			if (verbose)
				fprintf(stderr, "%s: %-11s %s\n", prog, hooks[h].name,
					bpf_program__section_name(p));
		}
		if (chosen->optional) {
			p = bpf_object__find_program_by_name(obj, chosen->optional);
			if (p && target_exists(&env, p)) {
				bpf_program__set_autoload(p, true);
				if (verbose)
					fprintf(stderr, "%s: %-11s %s\n", prog, "",
						bpf_program__section_name(p));
			}
		}
	}
	btf__free(env.btf);
	return missing;
}

int map_dump(int fd, void *keys, __u32 key_size, void *vals, __u32 val_size, __u32 max)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u64 in = 0, out = 0;
	__u32 total = 0;
	void *in_batch = NULL;

	while (total < max) {
		__u32 count = max - total;
		int err = bpf_map_lookup_batch(fd, in_batch, &out,
					       (char *)keys + (size_t)total * key_size,
					       (char *)vals + (size_t)total * val_size,
					       &count, &opts);

		total += count;
		if (err) {
			/* ENOENT: the walk is over */
			if (errno == ENOENT)
				break;
			return -errno;
		}
		in = out;
		in_batch = &in;
	}
	return total;
}
