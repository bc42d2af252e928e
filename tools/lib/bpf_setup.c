// SPDX-License-Identifier: GPL-2.0
/*
 * Loading the p2pscope BPF object on whatever kernel this is.
 *
 * Every feature has variants, best first. A variant is kept when each of
 * its programs' targets can really be attached here: a two-instruction
 * probe program is loaded and attached to it (kprobes: a kprobe perf event
 * is opened), as libbpf-tools' fentry_can_attach() does, plus the attach
 * that catches notrace functions. Names in BTF or kallsyms are never taken
 * as the answer. If the real program still fails to load (a CO-RE
 * relocation this kernel cannot satisfy, a verifier refusal), its variant is
 * switched off and the object loaded again with the next one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <linux/perf_event.h>
#include <sys/capability.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "args.h"
#include "bpf_setup.h"
#include "iommu.h"
#include "hist.h"
#include "sysfs.h"
#include "p2pscope.skel.h"

#define MAX_VARIANTS 6
#define MAX_PROGS 3

struct variant {
	const char *progs[MAX_PROGS];	/* all needed */
	const char *companion;		/* loaded too if it can be */
};

enum { IN_TRACE = 1, IN_TOP = 2, IN_BOTH = 3 };

struct hook {
	enum p2p_feature feat;
	const char *name;
	const char *lost;		/* what is missing without it */
	int modes;
	struct variant v[MAX_VARIANTS];
};

/*
 * Best first: the p2pdma tracepoints of our series, then functions by era,
 * fentry/fexit before kprobes. See bpf/ for what each program reads.
 */
static const struct hook hooks[] = {
	{ FEAT_MAP, "map-type", "map-type decisions (map events)", IN_BOTH, {
		{ { "tp_map_type" } },
		{ { "fexit_map_type" }, "fentry_calc" },
		{ { "fexit_update_state" }, "fentry_calc" },
		{ { "fexit_map_segment" }, "fentry_calc" },
		{ { "kp_map_segment", "krp_map_segment" } } } },
	{ FEAT_ALLOC, "alloc", "allocations (alloc events)", IN_BOTH, {
		{ { "tp_alloc" } },
		{ { "fexit_alloc" } },
		{ { "kp_alloc", "krp_alloc" } },
		/* genalloc is notrace here: the P2PDMA callers of it */
		{ { "fexit_pci_alloc", "fexit_sysfs_alloc" } } } },
	{ FEAT_FREE, "free", "frees (free events)", IN_BOTH, {
		{ { "tp_free" } },
		{ { "fexit_free" } },
		{ { "kp_free" } },
		{ { "fentry_page_free", "fentry_pci_free" } },
		{ { "fentry_folio_free", "fentry_pci_free" } } } },
	{ FEAT_FAULT, "vma-fault", "faults of CMB mappings (fault events)", IN_BOTH, {
		{ { "tp_fault" } } } },
	{ FEAT_CLOSE, "vma-close", "closes of CMB mappings (close events)", IN_BOTH, {
		{ { "tp_close" } } } },
	{ FEAT_SYSFS_MMAP, "sysfs-mmap", "sysfs p2pmem mappings (fault events)", IN_BOTH, {
		{ { "fexit_sysfs_mmap" }, "tp_fork" } } },
	{ FEAT_LIVE, "live-maps", "memory held per process and mapping", IN_TOP, {
		{ { "fexit_vma_fault", "fentry_vma_close" } } } },
	{ FEAT_REVOKE, "revoke", "revocations on unbind (revoke events)", IN_TRACE, {
		{ { "tp_revoke" } } } },
	{ FEAT_IO, "block-io", "P2P block I/O and fallbacks (io and fallback events)", IN_BOTH, {
		{ { "tp_rq_issue", "tp_rq_complete" }, "tp_rq_insert" } } },
	/*
	 * Intel's fault handler, its loop (the rate limit it asks per record)
	 * or its entry, and the tracepoint AMD reports through (companion)
	 */
	{ FEAT_DMAFAULT, "dmafault", "IOMMU faults on providers' BARs (dmafault events)", IN_BOTH, {
		{ { "fentry_dmar_enter", "fentry_dmar_turn", "fexit_dmar_exit" }, "tp_io_page_fault" },
		{ { "fentry_dmar_enter", "kp_dmar_turn", "fexit_dmar_exit" }, "tp_io_page_fault" },
		{ { "fentry_dmar_fault", "tp_dmar_console", "fexit_dmar_exit" }, "tp_io_page_fault" },
		{ { "fentry_dmar_fault" }, "tp_io_page_fault" },
		{ { "tp_io_page_fault" } } } },
};

#define NHOOKS (sizeof(hooks) / sizeof(hooks[0]))

const char *feature_name(enum p2p_feature f)
{
	for (size_t h = 0; h < NHOOKS; h++)
		if (hooks[h].feat == f)
			return hooks[h].name;
	return "?";
}

/* ---- libbpf's messages ---- */

static bool libbpf_verbose;
static bool capturing;		/* loading: keep warnings for later */
static char captured[1 << 18];
static size_t captured_len;
static char failed_prog[64];

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	char *line = NULL;
	const char *p;
	int ret;

	if (level != LIBBPF_WARN && !libbpf_verbose)
		return 0;
	/* a verifier log comes as one message */
	if (vasprintf(&line, fmt, args) < 0)
		return 0;
	if (!capturing) {
		ret = fputs(line, stderr);
		free(line);
		return ret;
	}
	/* the first program named in a failure is the one to switch off */
	if (!failed_prog[0] && strstr(line, "failed") && (p = strstr(line, "prog '")))
		sscanf(p, "prog '%63[^']'", failed_prog);
	if (captured_len + strlen(line) < sizeof(captured)) {
		memcpy(captured + captured_len, line, strlen(line) + 1);
		captured_len += strlen(line);
	}
	free(line);
	return 0;
}

void libbpf_messages(bool verbose)
{
	libbpf_verbose = verbose;
	libbpf_set_print(libbpf_print);
}

/* ---- can we trace here? ---- */

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

static struct btf *vmlinux_btf;

static void preflight(void)
{
	char bdfs[1][P2P_NAME_LEN];

	if (!has_caps())
		die_usage("need root (or CAP_BPF and CAP_PERFMON) to load BPF programs");
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		die_usage("the kernel has no BTF (/sys/kernel/btf/vmlinux): "
			  "it needs CONFIG_DEBUG_INFO_BTF=y");
	vmlinux_btf = btf__load_vmlinux_btf();
	if (!vmlinux_btf)
		die_usage("cannot read the kernel's BTF: %s", strerror(errno));
	/* the BTF of a kernel with P2PDMA describes its pagemap */
	if (btf__find_by_name_kind(vmlinux_btf, "pci_p2pdma_pagemap", BTF_KIND_STRUCT) < 0)
		die_usage("the kernel lacks P2PDMA: it needs CONFIG_PCI_P2PDMA=y "
			  "(p2pdoctor tells what else)");
	if (!provider_list(bdfs, 1))
		fprintf(stderr, "%s: warning: no P2PDMA provider (no %s/bus/pci/devices/*/p2pmem); "
			"tracing anyway\n", program_invocation_short_name, sysfs_root());
}

/* ---- trying a target ---- */

static int probe_prog(enum bpf_prog_type type, enum bpf_attach_type attach, __u32 btf_id)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = attach,
		    .attach_btf_id = btf_id);
	int fd = bpf_prog_load(type, "p2pscope_probe", "GPL", insns, 2, &opts);

	return fd < 0 ? -errno : fd;
}

/* fentry, fexit and tp_btf: load against the target's BTF id, then attach */
static int try_trampoline(const char *kind, const char *target)
{
	enum bpf_attach_type attach;
	char name[256];
	int id, fd, link, err = 0;

	if (!strcmp(kind, "tp_btf")) {
		snprintf(name, sizeof(name), "btf_trace_%s", target);
		id = btf__find_by_name_kind(vmlinux_btf, name, BTF_KIND_TYPEDEF);
		attach = BPF_TRACE_RAW_TP;
	} else {
		id = btf__find_by_name_kind(vmlinux_btf, target, BTF_KIND_FUNC);
		attach = !strcmp(kind, "fexit") ? BPF_TRACE_FEXIT : BPF_TRACE_FENTRY;
	}
	if (id < 0)
		return -ENOENT;
	fd = probe_prog(BPF_PROG_TYPE_TRACING, attach, id);
	if (fd < 0)
		return fd;
	link = bpf_raw_tracepoint_open(NULL, fd);
	if (link < 0)
		err = -errno;
	else
		close(link);
	close(fd);
	return err;
}

static int kprobe_pmu(int *retprobe_bit)
{
	char buf[64];
	unsigned long long type;

	if (!sysfs_u64(&type, "bus/event_source/devices/kprobe/type"))
		return -ENOENT;
	*retprobe_bit = 0;
	if (sysfs_str(buf, sizeof(buf), "bus/event_source/devices/kprobe/format/retprobe"))
		sscanf(buf, "config:%d", retprobe_bit);
	return (int)type;
}

/* kprobes: open the kprobe perf event itself */
static int try_kprobe(bool retprobe, const char *target)
{
	struct perf_event_attr attr = { .size = sizeof(attr) };
	int type, bit, fd;

	type = kprobe_pmu(&bit);
	if (type < 0)
		return type;
	attr.type = type;
	attr.config = retprobe ? 1ULL << bit : 0;
	attr.config1 = (__u64)(unsigned long)target;
	fd = syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

struct trial {
	char sec[128];
	int err;
};

static struct trial trials[64];
static int ntrials;

/* 0 if the section's target can be attached here, else -errno (cached) */
static int try_section(const char *sec)
{
	char kind[32] = "", target[96] = "";
	int err;

	for (int i = 0; i < ntrials; i++)
		if (!strcmp(trials[i].sec, sec))
			return trials[i].err;
	if (sscanf(sec, "%31[^/]/%95s", kind, target) != 2)
		err = -EINVAL;
	else if (!strcmp(kind, "kprobe") || !strcmp(kind, "kretprobe"))
		err = try_kprobe(kind[1] == 'r', target);
	else if (!strcmp(kind, "fentry") || !strcmp(kind, "fexit") || !strcmp(kind, "tp_btf"))
		err = try_trampoline(kind, target);
	else
		err = -EINVAL;
	if (libbpf_verbose)
		fprintf(stderr, "%s: tried %s: %s\n", program_invocation_short_name, sec,
			err ? strerror(-err) : "attaches");
	if (ntrials < (int)(sizeof(trials) / sizeof(trials[0]))) {
		snprintf(trials[ntrials].sec, sizeof(trials[ntrials].sec), "%s", sec);
		trials[ntrials++].err = err;
	}
	return err;
}

/* ---- choosing ---- */

struct choice {
	int variant;			/* -1: none */
	bool bad[MAX_VARIANTS];		/* failed to load for real */
	bool companion;
	bool companion_bad;		/* the companion failed to load */
	int why;			/* the first variant's error, for -v */
	char why_sec[128];
};

static bool wanted(const struct bpf_setup *s, const struct hook *h)
{
	return (s->trace_mode && (h->modes & IN_TRACE)) || (s->top_mode && (h->modes & IN_TOP));
}

static void choose(struct p2pscope_bpf *skel, const struct hook *h, struct choice *c)
{
	struct bpf_program *p;

	c->variant = -1;
	c->companion = false;
	for (int v = 0; v < MAX_VARIANTS && h->v[v].progs[0]; v++) {
		int err = 0;

		if (c->bad[v])
			continue;
		for (int i = 0; i < MAX_PROGS && h->v[v].progs[i] && !err; i++) {
			p = bpf_object__find_program_by_name(skel->obj, h->v[v].progs[i]);
			err = p ? try_section(bpf_program__section_name(p)) : -ENOENT;
			if (err && !c->why_sec[0]) {
				c->why = err;
				snprintf(c->why_sec, sizeof(c->why_sec), "%s",
					 p ? bpf_program__section_name(p) : h->v[v].progs[i]);
			}
		}
		if (err)
			continue;
		c->variant = v;
		if (h->v[v].companion) {
			p = bpf_object__find_program_by_name(skel->obj, h->v[v].companion);
			c->companion = p && !c->companion_bad &&
				       !try_section(bpf_program__section_name(p));
		}
		return;
	}
}

/*
 * The i-th program a hook's choice loads: its variant's programs, then
 * (i == MAX_PROGS) the companion if it goes too; NULL for none.
 */
static const char *chosen(const struct choice *c, size_t h, int i)
{
	const struct variant *v;

	if (c->variant < 0)
		return NULL;
	v = &hooks[h].v[c->variant];
	if (i < MAX_PROGS)
		return v->progs[i];
	return c->companion ? v->companion : NULL;
}

/*
 * A counting program's twin on the same hook (bpf/p2pscope.bpf.h: it does
 * the runs the kernel skips while the program is busy on a CPU), or NULL.
 */
static struct bpf_program *twin_of(struct p2pscope_bpf *skel, const char *prog)
{
	char name[128];

	snprintf(name, sizeof(name), "%s_twin", prog);
	return bpf_object__find_program_by_name(skel->obj, name);
}

static bool is_twin(const char *prog)
{
	size_t n = strlen(prog);

	return n > 5 && !strcmp(prog + n - 5, "_twin");
}

/*
 * The issue programs both run at every hit and make up each other's
 * skipped runs (bpf/blockio.bpf.c); one both skip, the completion counts
 * as an unrecorded I/O. So their recursion_misses are no loss.
 */
static bool twins_both_run(const char *prog)
{
	return !strncmp(prog, "tp_rq_issue", strlen("tp_rq_issue"));
}

static void set_autoload(struct p2pscope_bpf *skel, const struct choice *choices)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, false);
	for (size_t h = 0; h < NHOOKS; h++)
		for (int i = 0; i <= MAX_PROGS; i++) {
			const char *name = chosen(&choices[h], h, i);

			if (!name)
				continue;
			bpf_program__set_autoload(bpf_object__find_program_by_name(skel->obj, name),
						  true);
			if ((p = twin_of(skel, name)))
				bpf_program__set_autoload(p, true);
		}
}

/* "dddd:bb:dd.f" as p2p_pci_id(); false if it is not one */
bool pci_id_parse(const char *bdf, __u64 *id)
{
	unsigned int d, b, dev, fn;
	char end;

	if (sscanf(bdf, "%x:%x:%x.%x%c", &d, &b, &dev, &fn, &end) != 4 ||
	    d > 0xffff || b > 0xff || dev > 0x1f || fn > 7)
		return false;
	*id = p2p_pci_id(d, b, dev << 3 | fn);
	return true;
}

const char *pci_id_name(__u64 id, char *buf, size_t len)
{
	snprintf(buf, len, "%04x:%02x:%02x.%x", (unsigned int)(id >> 16) & 0xffff,
		 (unsigned int)(id >> 8) & 0xff, (unsigned int)(id >> 3) & 0x1f,
		 (unsigned int)id & 7);
	return buf;
}

/*
 * The providers' memory BARs for the dmafault programs (bpf/iommu.bpf.c),
 * only the provider asked for if one is: a fault elsewhere is no P2P fault.
 * A provider that appears after load is not among them.
 */
static void configure_bars(struct bpf_setup *s, struct p2pscope_bpf *skel)
{
	static struct iommu_bars bars;
	unsigned int n = 0;

	provider_bars_load(&bars);
	for (int i = 0; i < bars.n && n < P2P_MAX_BARS; i++) {
		struct p2p_bar *b = (struct p2p_bar *)&skel->rodata->dma_bars[n];
		__u64 id;

		if ((s->provider[0] && strcmp(s->provider, bars.bar[i].bdf)) ||
		    !pci_id_parse(bars.bar[i].bdf, &id))
			continue;
		b->start = bars.bar[i].start;
		b->end = bars.bar[i].end;
		b->provider = id;
		b->bar = bars.bar[i].bar;
		n++;
	}
	skel->rodata->dma_nbars = n;
	s->dma_nbars = n;
}

static int configure(struct bpf_setup *s, struct p2pscope_bpf *skel)
{
	int err;

	skel->rodata->trace_mode = s->trace_mode;
	skel->rodata->top_mode = s->top_mode;
	skel->rodata->hist_mode = s->hist_mode;
	skel->rodata->targ_tgid = s->tgid;
	skel->rodata->targ_dev = s->dev;
	skel->rodata->targ_events = s->events ? s->events : ~0U;
	skel->rodata->targ_failures = s->failures;
	memcpy((char *)skel->rodata->targ_provider, s->provider, P2P_NAME_LEN);
	skel->rodata->page_size = getpagesize();
	/* p2ptop sends no events: a one-page ring buffer */
	if (!s->trace_mode && (err = bpf_map__set_max_entries(skel->maps.events, getpagesize())))
		return err;
	if (s->max_maps && (err = bpf_map__set_max_entries(skel->maps.live_maps, s->max_maps)))
		return err;
	configure_bars(s, skel);
	return 0;
}

/* Which hook a program (or its twin) was chosen for; false if none. */
static bool owner_of(const char *name, const struct choice *choices, size_t *hook)
{
	char prog[128];

	snprintf(prog, sizeof(prog), "%.*s", (int)strlen(name) - (is_twin(name) ? 5 : 0), name);
	for (size_t h = 0; h < NHOOKS; h++)
		for (int i = 0; i <= MAX_PROGS; i++)
			if (chosen(&choices[h], h, i) && !strcmp(chosen(&choices[h], h, i), prog)) {
				*hook = h;
				return true;
			}
	return false;
}

static void report(const struct bpf_setup *s, const struct choice *choices)
{
	const char *prog = program_invocation_short_name;
	char missing[512] = "";
	struct utsname un;

	uname(&un);
	if (s->verbose)
		fprintf(stderr, "%s: kernel %s\n", prog, un.release);
	for (size_t h = 0; h < NHOOKS; h++) {
		const struct choice *c = &choices[h];

		if (!wanted(s, &hooks[h]))
			continue;
		if (c->variant < 0) {
			if (s->verbose)
				fprintf(stderr, "%s: %-10s unavailable (%s: %s)\n", prog, hooks[h].name,
					c->why_sec[0] ? c->why_sec : "no variant",
					strerror(c->why ? -c->why : ENOENT));
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
				 "%s%s", missing[0] ? ", " : "", hooks[h].lost);
			continue;
		}
		for (int i = 0; i <= MAX_PROGS && s->verbose; i++)
			if (chosen(c, h, i))
				fprintf(stderr, "%s: %-10s %s\n", prog, i ? "" : hooks[h].name,
					bpf_program__section_name(bpf_object__find_program_by_name(
						s->skel->obj, chosen(c, h, i))));
	}
	if (missing[0])
		fprintf(stderr, "%s: this kernel has no hook for %s; those will not appear\n",
			prog, missing);
}

/* Attach a program, its link kept for bpf_teardown(); false (said why) if not. */
static bool attach_link(struct bpf_setup *s, struct bpf_program *p)
{
	struct bpf_link *link;

	if (s->nlinks == (int)(sizeof(s->links) / sizeof(s->links[0]))) {
		fprintf(stderr, "%s: cannot attach %s: more than %d links\n",
			program_invocation_short_name, bpf_program__name(p), s->nlinks);
		return false;
	}
	link = bpf_program__attach(p);
	if (!link) {
		fprintf(stderr, "%s: cannot attach %s: %s\n", program_invocation_short_name,
			bpf_program__section_name(p), strerror(errno));
		return false;
	}
	s->links[s->nlinks++] = link;
	return true;
}

/* fentry and fexit: the trampoline runs the programs attached last first */
static bool last_attached_first(const struct bpf_program *p)
{
	enum bpf_attach_type t = bpf_program__expected_attach_type(p);

	return t == BPF_TRACE_FENTRY || t == BPF_TRACE_FEXIT;
}

void bpf_setup(struct bpf_setup *s)
{
	const char *prog = program_invocation_short_name;
	struct choice choices[NHOOKS] = {};
	struct p2pscope_bpf *skel = NULL;
	int err = 0;

	preflight();
	for (int attempt = 0; attempt < 8; attempt++) {
		size_t h;

		skel = p2pscope_bpf__open();
		if (!skel) {
			fprintf(stderr, "%s: cannot open the BPF object: %s\n", prog, strerror(errno));
			exit(1);
		}
		for (h = 0; h < NHOOKS; h++) {
			if (wanted(s, &hooks[h]))
				choose(skel, &hooks[h], &choices[h]);
			else
				choices[h].variant = -1;
		}
		set_autoload(skel, choices);
		err = configure(s, skel);
		if (err) {
			fprintf(stderr, "%s: cannot size the BPF maps: %s\n", prog, strerror(-err));
			exit(1);
		}
		capturing = true;
		captured_len = 0;
		captured[0] = failed_prog[0] = 0;
		err = p2pscope_bpf__load(skel);
		capturing = false;
		if (!err)
			break;
		/* switch off the variant that failed, and try again without it */
		if (failed_prog[0] && owner_of(failed_prog, choices, &h)) {
			if (s->verbose)
				fprintf(stderr, "%s: %s cannot load here, trying the next %s hook:\n%s",
					prog, failed_prog, hooks[h].name, captured);
			if (choices[h].companion && !strcmp(failed_prog,
							    hooks[h].v[choices[h].variant].companion))
				choices[h].companion_bad = true;
			else
				choices[h].bad[choices[h].variant] = true;
			p2pscope_bpf__destroy(skel);
			skel = NULL;
			continue;
		}
		break;
	}
	if (err) {
		fputs(captured, stderr);
		fprintf(stderr, "%s: cannot load the BPF programs: %s\n", prog, strerror(-err));
		exit(1);
	}
	s->skel = skel;

	/* attach one by one: a refusal switches that feature off, not the tool */
	for (size_t h = 0; h < NHOOKS; h++) {
		struct choice *c = &choices[h];
		bool ok = true;

		if (c->variant < 0)
			continue;
		for (int i = 0; i <= MAX_PROGS && ok; i++) {
			const char *name = chosen(c, h, i);
			struct bpf_program *p, *twin;
			bool twin_first;
			int before;

			if (!name)
				continue;
			p = bpf_object__find_program_by_name(skel->obj, name);
			/*
			 * without its twin, the skipped runs are reported lost;
			 * the twin counts on running after its primary
			 * (bpf/p2pscope.bpf.h), and a trampoline runs the
			 * programs attached last first, a tracepoint the first
			 */
			twin = twin_of(skel, name);
			twin_first = twin && last_attached_first(p);
			before = s->nlinks;
			if (twin_first && !attach_link(s, twin))
				twin = NULL;
			if (!attach_link(s, p)) {
				while (s->nlinks > before)
					bpf_link__destroy(s->links[--s->nlinks]);
				ok = i == MAX_PROGS;	/* a companion may fail alone */
				continue;
			}
			if (twin && !twin_first)
				attach_link(s, twin);
			/* decisions are marked cached or computed only with it */
			if (i == MAX_PROGS && hooks[h].feat == FEAT_MAP)
				skel->bss->calc_hooked = true;
		}
		if (ok)
			s->features |= 1U << hooks[h].feat;
		else
			c->variant = -1;
	}
	/* from now on, a P2P request done but not recorded at issue is lost */
	if ((s->features & (1U << FEAT_MAP)) && (s->features & (1U << FEAT_IO))) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		skel->bss->since_ns = (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	}
	report(s, choices);
}

static __u64 twins_made_up(struct p2pscope_bpf *skel);

/* -v: which programs the kernel skipped, nested on a CPU, and how often */
static void report_nested(struct p2pscope_bpf *skel)
{
	struct bpf_program *p;
	__u64 total = 0;

	bpf_object__for_each_program(p, skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (bpf_program__fd(p) < 0 ||
		    bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) || !info.recursion_misses)
			continue;
		fprintf(stderr, "%s: the kernel skipped %s %llu times (nested on a CPU)\n",
			program_invocation_short_name, bpf_program__name(p),
			(unsigned long long)info.recursion_misses);
		if (!is_twin(bpf_program__name(p)) && !twins_both_run(bpf_program__name(p)))
			total += info.recursion_misses;
	}
	fprintf(stderr, "%s: %llu skipped runs of primaries, %lld made up by their twins\n",
		program_invocation_short_name, (unsigned long long)total,
		(long long)twins_made_up(skel));
}

void bpf_teardown(struct bpf_setup *s)
{
	if (s->verbose && s->skel)
		report_nested(s->skel);
	/* the last attached first */
	for (int i = s->nlinks - 1; i >= 0; i--)
		bpf_link__destroy(s->links[i]);
	s->nlinks = 0;
	p2pscope_bpf__destroy(s->skel);
	s->skel = NULL;
	btf__free(vmlinux_btf);
	vmlinux_btf = NULL;
}

/* ---- reading back ---- */

#define NAME_SLOTS 256

const char *bpf_dev_name(struct p2pscope_bpf *skel, __u64 dev)
{
	static struct { __u64 dev; char name[P2P_NAME_LEN + 1]; } known[NAME_SLOTS];
	static int nknown;
	struct p2p_devname d = {};

	if (!dev)
		return "";
	for (int i = 0; i < nknown; i++)
		if (known[i].dev == dev)
			return known[i].name;
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.devnames), &dev, &d) || !d.name[0])
		return "";
	if (nknown < NAME_SLOTS) {
		known[nknown].dev = dev;
		memcpy(known[nknown].name, d.name, P2P_NAME_LEN);
		return known[nknown++].name;
	}
	return "";
}

static int ncpus(void)
{
	static int n;

	if (!n)
		n = libbpf_num_possible_cpus();
	return n;
}

/* per-CPU values come as ncpus copies, each rounded up to 8 bytes */
static void sum_cpus(void *dst, const void *src, size_t val_size)
{
	size_t words = val_size / 8, stride = (val_size + 7) / 8;
	__u64 *d = dst;
	const __u64 *s = src;

	memset(dst, 0, val_size);
	for (int c = 0; c < ncpus(); c++)
		for (size_t w = 0; w < words; w++)
			d[w] += s[c * stride + w];
}

int map_read(int fd, bool percpu, void *keys, size_t key_size, void *vals,
	     size_t val_size, int max)
{
	size_t slot = percpu ? (size_t)ncpus() * ((val_size + 7) / 8 * 8) : val_size;
	char *buf = malloc((size_t)max * slot + slot);
	__u64 in = 0, out = 0;
	void *in_batch = NULL;
	int total = 0, err = 0;

	if (!buf)
		return -ENOMEM;
	/* batches first; kernels before 5.6 have none: walk the keys */
	while (total < max) {
		LIBBPF_OPTS(bpf_map_batch_opts, opts);
		__u32 count = max - total;

		err = bpf_map_lookup_batch(fd, in_batch, &out, (char *)keys + total * key_size,
					   buf + total * slot, &count, &opts);
		total += count;
		if (err) {
			err = -errno;
			break;
		}
		in = out;
		in_batch = &in;
	}
	if (err == -ENOENT) {
		err = 0;	/* the walk is over */
	} else if (err == -EINVAL || err == -524 /* ENOTSUPP */ || err == -EOPNOTSUPP) {
		char *prev = NULL;

		total = 0;
		err = 0;
		while (total < max && !bpf_map_get_next_key(fd, prev, (char *)keys + total * key_size)) {
			prev = (char *)keys + total * key_size;
			if (!bpf_map_lookup_elem(fd, prev, buf + total * slot))
				total++;	/* else deleted meanwhile */
		}
	}
	if (!err) {
		for (int i = 0; i < total; i++) {
			if (percpu)
				sum_cpus((char *)vals + i * val_size, buf + i * slot, val_size);
			else
				memcpy((char *)vals + i * val_size, buf + i * slot, val_size);
		}
	}
	free(buf);
	return err ? err : total;
}

int bpf_hist_rows(struct p2pscope_bpf *skel, struct hist_row *rows, int max)
{
	struct p2p_hist_key *keys = calloc(max, sizeof(*keys));
	struct p2p_hist *vals = calloc(max, sizeof(*vals));
	int n = keys && vals ? map_read(bpf_map__fd(skel->maps.lat_hist), true, keys,
					sizeof(*keys), vals, sizeof(*vals), max) : -ENOMEM;

	for (int i = 0; i < n; i++) {
		struct hist_row *r = &rows[i];

		memset(r, 0, sizeof(*r));
		if (keys[i].map_type != P2P_HIST_HOST)
			snprintf(r->provider, sizeof(r->provider), "%s",
				 bpf_dev_name(skel, keys[i].provider));
		snprintf(r->client, sizeof(r->client), "%s", bpf_dev_name(skel, keys[i].client));
		r->map_type = keys[i].map_type;
		r->write = keys[i].write;
		r->h = vals[i];
	}
	free(keys);
	free(vals);
	return n;
}

/*
 * Runs the kernel skipped because the program was already running on that
 * CPU (bpf_prog_info.recursion_misses), less those the twins made up.
 */
static __u64 twins_made_up(struct p2pscope_bpf *skel)
{
	__u64 rescued = 0, *per_cpu = calloc(ncpus(), sizeof(__u64));
	__u32 zero = 0;

	/* per CPU a count can be below 0 (bpf/p2pscope.bpf.h): the sum wraps back */
	if (per_cpu && !bpf_map_lookup_elem(bpf_map__fd(skel->maps.rescued), &zero, per_cpu))
		sum_cpus(&rescued, per_cpu, sizeof(rescued));
	free(per_cpu);
	return rescued;
}

static __u64 nested_lost(struct p2pscope_bpf *skel)
{
	__u64 misses = 0, rescued = twins_made_up(skel);
	struct bpf_program *p;

	bpf_object__for_each_program(p, skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (bpf_program__fd(p) < 0 || is_twin(bpf_program__name(p)) ||
		    twins_both_run(bpf_program__name(p)))
			continue;
		if (!bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len))
			misses += info.recursion_misses;
	}
	/* rescued is a signed count (bpf/p2pscope.bpf.h) */
	return (__s64)(misses - rescued) > 0 ? misses - rescued : 0;
}

void bpf_losses(struct p2pscope_bpf *skel, struct p2p_losses *out)
{
	size_t slot = (sizeof(*out) + 7) / 8 * 8;
	char *buf = calloc(ncpus(), slot);
	__u32 zero = 0;

	memset(out, 0, sizeof(*out));
	if (buf && !bpf_map_lookup_elem(bpf_map__fd(skel->maps.losses), &zero, buf))
		sum_cpus(out, buf, sizeof(*out));
	free(buf);
	out->n[P2P_LOST_NESTED] = nested_lost(skel);
}
