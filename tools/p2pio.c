// SPDX-License-Identifier: GPL-2.0
/*
 * p2pio: the reference P2P workload. Copies chunks from one block device to
 * another through a P2P memory buffer (or host memory, for comparison),
 * with io_uring queue depth, threads, verification, and a host bounce for
 * chunks the kernel refuses to move peer-to-peer.
 */
#define _GNU_SOURCE
#include <argp.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>
#include "common.h"

static const char *prog = "p2pio";

enum buf_kind { BUF_AUTO, BUF_CDEV, BUF_SYSFS, BUF_HOST };

static struct {
	const char *src, *dst;
	enum buf_kind kind;
	char where[64];		/* /dev/nvmeN or BDF */
	unsigned long threads, chunk, chunks, depth;
	double duration;
	unsigned long long offset;
	bool verify, no_fallback, json, verbose;
} opt = { .threads = 1, .chunk = 65536, .depth = 4 };

static volatile sig_atomic_t stop;

const char *argp_program_version = "p2pio 0.1";
static const char doc[] =
"Copy data from SRC to DST (block devices, read and written with O_DIRECT)\n"
"through a P2P memory buffer, so the bytes move device to device without\n"
"crossing host memory, and report throughput, IOPS, CPU time per GiB and\n"
"fallbacks. The buffer is the CMB of an NVMe device mapped through its char\n"
"device (--cdev, our kernel), the stock sysfs p2pmem/allocate file (--sysfs),\n"
"or host memory (--host, for comparison). By default the first P2PDMA\n"
"provider is used, through its char device if the kernel allows it.\n"
"\n"
"A chunk the kernel refuses to map peer-to-peer (EREMOTEIO, or EINVAL on\n"
"kernels from 6.17) is copied through a host bounce buffer and counted as a\n"
"fallback; --no-fallback makes that an error.\n"
"\n"
"USAGE: p2pio [-h] [-v] [-j] [-t THREADS] [-c CHUNK] [-n CHUNKS | -D SECONDS]\n"
"             [-q DEPTH] [--verify] [--no-fallback] [--offset BYTES]\n"
"             [--cdev /dev/nvmeN | --sysfs BDF | --host] SRC DST\n"
"\n"
"EXAMPLES:\n"
"    p2pio -n 256 /dev/nvme2n1 /dev/nvme0n1          # 16 MiB in 64 KiB chunks\n"
"    p2pio -t 2 -q 8 -D 10 --verify --cdev /dev/nvme1 /dev/nvme2n1 /dev/nvme2n1\n"
"    p2pio -j --host -n 256 /dev/nvme2n1 /dev/nvme0n1  # the same through RAM\n";

static const struct argp_option options[] = {
	{ "threads", 't', "N", 0, "Worker threads (default 1)", 0 },
	{ "chunk", 'c', "BYTES", 0, "Chunk size, a multiple of 4096 (default 65536; K and M suffixes)", 0 },
	{ "chunks", 'n', "N", 0, "Copy N chunks in all (default: the smaller device)", 0 },
	{ "duration", 'D', "SECONDS", 0, "Copy for this long instead", 0 },
	{ "depth", 'q', "N", 0, "io_uring queue depth per thread (default 4)", 0 },
	{ "offset", 'o', "BYTES", 0, "Start this far into both devices", 0 },
	{ "verify", 'V', NULL, 0, "Read back every chunk of DST and compare with SRC", 0 },
	{ "no-fallback", 'F', NULL, 0, "Fail instead of bouncing refused chunks", 0 },
	{ "cdev", 'C', "DEV", 0, "Buffer: mmap of this NVMe char device's CMB", 0 },
	{ "sysfs", 'S', "BDF", 0, "Buffer: sysfs p2pmem/allocate of this provider", 0 },
	{ "host", 'H', NULL, 0, "Buffer: host memory", 0 },
	{ "json", 'j', NULL, 0, "Report as one JSON object", 0 },
	{ "verbose", 'v', NULL, 0, "Say which buffer is used", 0 },
	{ NULL, 'h', NULL, 0, "Show this help", 0 },
	{},
};

static unsigned long size_arg(const char *s, const char *what)
{
	unsigned long v, mult = 1;
	char num[32];
	size_t n = strlen(s);

	if (n && n < sizeof(num) && (s[n - 1] == 'K' || s[n - 1] == 'k' || s[n - 1] == 'M' ||
				     s[n - 1] == 'm')) {
		mult = (s[n - 1] == 'K' || s[n - 1] == 'k') ? 1024 : 1024 * 1024;
		memcpy(num, s, n - 1);
		num[n - 1] = 0;
		s = num;
	}
	if (!parse_ulong(s, (1UL << 40) / mult, &v))
		die_usage(prog, "bad %s '%s'", what, s);
	return v * mult;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	static int pos;

	switch (key) {
	case 't':
		if (!parse_ulong(arg, 64, &opt.threads) || !opt.threads)
			die_usage(prog, "bad thread count '%s' (1-64)", arg);
		break;
	case 'c':
		opt.chunk = size_arg(arg, "chunk size");
		if (!opt.chunk || opt.chunk % 4096)
			die_usage(prog, "chunk size %lu is not a multiple of 4096", opt.chunk);
		break;
	case 'n':
		if (!parse_ulong(arg, 1UL << 40, &opt.chunks) || !opt.chunks)
			die_usage(prog, "bad chunk count '%s'", arg);
		break;
	case 'D':
		if (!parse_seconds(arg, &opt.duration))
			die_usage(prog, "bad duration '%s'", arg);
		break;
	case 'q':
		if (!parse_ulong(arg, 256, &opt.depth) || !opt.depth)
			die_usage(prog, "bad queue depth '%s' (1-256)", arg);
		break;
	case 'o':
		opt.offset = size_arg(arg, "offset");
		if (opt.offset % 4096)
			die_usage(prog, "offset %llu is not a multiple of 4096", opt.offset);
		break;
	case 'V': opt.verify = true; break;
	case 'F': opt.no_fallback = true; break;
	case 'C': case 'S': case 'H':
		if (opt.kind != BUF_AUTO)
			die_usage(prog, "give one of --cdev, --sysfs and --host");
		opt.kind = key == 'C' ? BUF_CDEV : key == 'S' ? BUF_SYSFS : BUF_HOST;
		if (arg)
			snprintf(opt.where, sizeof(opt.where), "%s", arg);
		break;
	case 'j': opt.json = true; break;
	case 'v': opt.verbose = true; break;
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		exit(0);
	case ARGP_KEY_ARG:
		if (pos == 0)
			opt.src = arg;
		else if (pos == 1)
			opt.dst = arg;
		else
			die_usage(prog, "unexpected argument '%s' (see --help)", arg);
		pos++;
		break;
	case ARGP_KEY_END:
		if (pos < 2)
			die_usage(prog, "need SRC and DST block devices (see --help)");
		if (opt.chunks && opt.duration)
			die_usage(prog, "give -n or -D, not both");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* ---- devices and the buffer ---- */

static int open_disk(const char *path, int flags, unsigned long long *size)
{
	struct stat st;
	int fd;

	if (stat(path, &st))
		die_usage(prog, "cannot open %s: %s", path, strerror(errno));
	if (!S_ISBLK(st.st_mode))
		die_usage(prog, "%s is not a block device", path);
	fd = open(path, flags | O_DIRECT);
	if (fd < 0)
		die_usage(prog, "cannot open %s: %s", path, strerror(errno));
	if (ioctl(fd, BLKGETSIZE64, size))
		die_usage(prog, "cannot get the size of %s: %s", path, strerror(errno));
	return fd;
}

static __u64 read_avail(const char *bdf)
{
	char path[256];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/p2pmem/available", sysfs_root(), bdf);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

/* The first provider with an nvme name, for the default buffer. */
static bool first_provider(char *bdf, size_t len)
{
	char path[256];
	struct dirent **list;
	int n;
	bool found = false;

	snprintf(path, sizeof(path), "%s/bus/pci/devices", sysfs_root());
	n = scandir(path, &list, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		if (!found && list[i]->d_name[0] != '.' && pci_is_provider(list[i]->d_name)) {
			snprintf(bdf, len, "%.63s", list[i]->d_name);
			found = true;
		}
		free(list[i]);
	}
	if (n >= 0)
		free(list);
	return found;
}

static char *map_buffer(size_t len, char *desc, size_t dlen)
{
	char bdf[64] = "", name[32], path[300];
	void *p;
	int fd;

	if (opt.kind == BUF_HOST) {
		if (posix_memalign(&p, 4096, len))
			die_usage(prog, "cannot allocate %zu bytes of host memory", len);
		snprintf(desc, dlen, "host");
		return p;
	}
	if (opt.kind == BUF_AUTO) {
		if (!first_provider(bdf, sizeof(bdf)))
			die_usage(prog, "no P2PDMA provider (no p2pmem in sysfs): use --host");
	} else if (!resolve_pci(opt.where, bdf, sizeof(bdf))) {
		die_usage(prog, "'%s' is neither a PCI address nor an nvme device", opt.where);
	}
	if (!pci_is_provider(bdf))
		die_usage(prog, "%s has no P2P memory (no CMB published as p2pmem)", opt.where[0] ? opt.where : bdf);
	if (read_avail(bdf) < len)
		die_usage(prog, "needs %zu bytes of P2P memory (threads x depth x chunk), %s has %llu free",
			  len, bdf, (unsigned long long)read_avail(bdf));

	if (opt.kind != BUF_SYSFS && pci_nvme_name(bdf, name, sizeof(name))) {
		snprintf(path, sizeof(path), "/dev/%s", name);
		fd = open(path, O_RDWR);
		if (fd < 0 && opt.kind == BUF_CDEV)
			die_usage(prog, "cannot open %s: %s", path, strerror(errno));
		if (fd >= 0) {
			p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			close(fd);
			if (p != MAP_FAILED) {
				snprintf(desc, dlen, "cdev:%s", path);
				return p;
			}
			if (opt.kind == BUF_CDEV)
				die_usage(prog, "cannot mmap the CMB through %s: %s%s", path, strerror(errno),
					  errno == ENODEV ? " (this kernel lacks the CMB mmap patches: use --sysfs)" : "");
			if (opt.verbose)
				fprintf(stderr, "%s: %s cannot be mapped (%s): using sysfs\n", prog, path,
					strerror(errno));
		}
	} else if (opt.kind == BUF_CDEV) {
		die_usage(prog, "%s is not an nvme controller", opt.where);
	}
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/p2pmem/allocate", sysfs_root(), bdf);
	fd = open(path, O_RDWR);
	if (fd < 0)
		die_usage(prog, "cannot open %s: %s", path, strerror(errno));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		die_usage(prog, "cannot map %zu bytes of %s: %s", len, path, strerror(errno));
	snprintf(desc, dlen, "sysfs:%s", bdf);
	return p;
}

/* ---- the copy ---- */

static int src_fd, dst_fd;
static unsigned long long total_chunks, span;	/* chunks to copy, bytes usable */
static atomic_ullong next_chunk;
static double deadline;

struct counters {
	unsigned long long bytes, chunks, p2p_ios, refused, fallbacks, verified;
	int error;		/* first errno, 0 if none */
	char what[160];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool refused(int err)
{
	return err == EREMOTEIO || err == EINVAL;
}

/* Take the next chunk; false when the copy is done. */
static bool claim(unsigned long long *off)
{
	unsigned long long k;

	if (stop || (deadline && now_s() >= deadline))
		return false;
	k = atomic_fetch_add(&next_chunk, 1);
	if (total_chunks && k >= total_chunks)
		return false;
	*off = opt.offset + (k * opt.chunk) % span;
	return true;
}

static void fail_with(struct counters *c, int err, const char *fmt, unsigned long long off)
{
	if (!c->error) {
		c->error = err ? err : EIO;
		snprintf(c->what, sizeof(c->what), fmt, off);
	}
	stop = 1;
}

static bool sync_io(int write, int fd, void *buf, unsigned long long off)
{
	ssize_t n = write ? pwrite(fd, buf, opt.chunk, off) : pread(fd, buf, opt.chunk, off);

	if (n == (ssize_t)opt.chunk)
		return true;
	if (n >= 0)
		errno = EIO;
	return false;
}

/* The chunk at off through host memory: the fallback, or --host. */
static void bounce(struct counters *c, char *bounce_buf, unsigned long long off,
		   const char *p2p_half)
{
	if (opt.no_fallback)
		return fail_with(c, EREMOTEIO, "P2P refused at offset %llu and --no-fallback is set", off);
	if (p2p_half)
		memcpy(bounce_buf, p2p_half, opt.chunk);
	else if (!sync_io(0, src_fd, bounce_buf, off))
		return fail_with(c, errno, "read from SRC at %llu (bounce)", off);
	if (!sync_io(1, dst_fd, bounce_buf, off))
		return fail_with(c, errno, "write to DST at %llu (bounce)", off);
	c->fallbacks++;
}

static void verify_chunk(struct counters *c, char *a, char *b, unsigned long long off)
{
	if (!sync_io(0, src_fd, a, off))
		return fail_with(c, errno, "verify: read SRC at %llu", off);
	if (!sync_io(0, dst_fd, b, off))
		return fail_with(c, errno, "verify: read DST at %llu", off);
	if (memcmp(a, b, opt.chunk))
		return fail_with(c, EILSEQ, "verify: DST differs from SRC in the chunk at %llu", off);
	c->verified++;
}

struct worker {
	pthread_t tid;
	char *buf;		/* depth chunks */
	char *host;		/* 2 chunks: bounce and verify */
	struct counters c;
};

enum { OP_READ, OP_WRITE };

static void submit(struct io_uring *ring, int op, int slot, char *buf, unsigned long long off)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (op == OP_READ)
		io_uring_prep_read(sqe, src_fd, buf, opt.chunk, off);
	else
		io_uring_prep_write(sqe, dst_fd, buf, opt.chunk, off);
	io_uring_sqe_set_data64(sqe, (__u64)slot << 1 | op);
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct counters *c = &w->c;
	unsigned long long *offs = calloc(opt.depth, sizeof(*offs));
	struct io_uring ring;
	unsigned int inflight = 0;
	int err;

	err = io_uring_queue_init(opt.depth * 2, &ring, 0);
	if (err) {
		fail_with(c, -err, "io_uring_queue_init (chunk at %llu)", 0);
		free(offs);
		return NULL;
	}
	for (unsigned int s = 0; s < opt.depth; s++)
		if (claim(&offs[s])) {
			submit(&ring, OP_READ, s, w->buf + s * opt.chunk, offs[s]);
			inflight++;
		}
	while (inflight) {
		struct io_uring_cqe *cqe;
		int slot, op, res;
		char *slot_buf;

		io_uring_submit(&ring);
		err = io_uring_wait_cqe(&ring, &cqe);
		if (err == -EINTR)
			continue;
		if (err) {
			fail_with(c, -err, "io_uring_wait_cqe (chunk at %llu)", 0);
			break;
		}
		slot = io_uring_cqe_get_data64(cqe) >> 1;
		op = io_uring_cqe_get_data64(cqe) & 1;
		res = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
		slot_buf = w->buf + slot * opt.chunk;

		if (op == OP_READ && res == (int)opt.chunk) {
			c->p2p_ios += opt.kind != BUF_HOST;
			submit(&ring, OP_WRITE, slot, slot_buf, offs[slot]);
			continue;
		}
		if (res == (int)opt.chunk) {
			c->p2p_ios += opt.kind != BUF_HOST;
		} else if (res < 0 && refused(-res) && opt.kind != BUF_HOST) {
			c->refused++;
			/* a refused write still has the chunk in the P2P buffer */
			bounce(c, w->host, offs[slot], op == OP_WRITE ? slot_buf : NULL);
			if (c->error)
				goto slot_done;
			goto chunk_done;
		} else {
			fail_with(c, res < 0 ? -res : EIO,
				  op == OP_READ ? "read from SRC at %llu" : "write to DST at %llu",
				  offs[slot]);
			goto slot_done;
		}
chunk_done:
		c->bytes += opt.chunk;
		c->chunks++;
		if (opt.verify)
			verify_chunk(c, w->host, w->host + opt.chunk, offs[slot]);
		if (!c->error && claim(&offs[slot])) {
			submit(&ring, OP_READ, slot, slot_buf, offs[slot]);
			continue;
		}
slot_done:
		inflight--;
	}
	io_uring_queue_exit(&ring);
	free(offs);
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { options, parse_arg, "SRC DST", doc, NULL, NULL, NULL };
	unsigned long long src_size, dst_size;
	struct counters sum = { 0 };
	struct worker *w;
	struct rusage ru;
	char desc[320];
	double t0, secs, cpu;
	size_t len;
	char *buf;

	if (argp_parse(&argp, argc, argv, ARGP_NO_HELP, NULL, NULL))
		return EXIT_USAGE;
	src_fd = open_disk(opt.src, O_RDONLY, &src_size);
	dst_fd = open_disk(opt.dst, O_WRONLY, &dst_size);
	if (opt.verify) {
		close(dst_fd);
		dst_fd = open_disk(opt.dst, O_RDWR, &dst_size);
	}
	span = (src_size < dst_size ? src_size : dst_size);
	if (span <= opt.offset || span - opt.offset < opt.chunk)
		die_usage(prog, "offset %llu leaves no room for a %lu byte chunk", opt.offset, opt.chunk);
	span = (span - opt.offset) / opt.chunk * opt.chunk;
	total_chunks = opt.chunks;
	if (!opt.chunks && !opt.duration)
		total_chunks = span / opt.chunk;

	len = opt.threads * opt.depth * opt.chunk;
	buf = map_buffer(len, desc, sizeof(desc));
	if (opt.verbose)
		fprintf(stderr, "%s: buffer %s, %zu bytes\n", prog, desc, len);

	w = calloc(opt.threads, sizeof(*w));
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	t0 = now_s();
	if (opt.duration)
		deadline = t0 + opt.duration;
	for (unsigned long i = 0; i < opt.threads; i++) {
		w[i].buf = buf + i * opt.depth * opt.chunk;
		if (posix_memalign((void **)&w[i].host, 4096, 2 * opt.chunk))
			die_usage(prog, "out of memory");
		pthread_create(&w[i].tid, NULL, work, &w[i]);
	}
	for (unsigned long i = 0; i < opt.threads; i++) {
		pthread_join(w[i].tid, NULL);
		sum.bytes += w[i].c.bytes;
		sum.chunks += w[i].c.chunks;
		sum.p2p_ios += w[i].c.p2p_ios;
		sum.refused += w[i].c.refused;
		sum.fallbacks += w[i].c.fallbacks;
		sum.verified += w[i].c.verified;
		if (!sum.error && w[i].c.error) {
			sum.error = w[i].c.error;
			memcpy(sum.what, w[i].c.what, sizeof(sum.what));
		}
	}
	secs = now_s() - t0;
	getrusage(RUSAGE_SELF, &ru);
	cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
	      ru.ru_stime.tv_usec / 1e6;

	if (opt.json) {
		printf("{\"src\":");
		json_str(stdout, opt.src);
		printf(",\"dst\":");
		json_str(stdout, opt.dst);
		printf(",\"buffer\":");
		json_str(stdout, desc);
		printf(",\"threads\":%lu,\"chunk\":%lu,\"depth\":%lu,\"bytes\":%llu,\"chunks\":%llu,"
		       "\"seconds\":%.6f,\"mb_per_s\":%.3f,\"iops\":%.1f,\"cpu_s_per_gib\":%.6f,"
		       "\"p2p_ios\":%llu,\"refused\":%llu,\"fallbacks\":%llu,\"verified\":%llu,"
		       "\"error\":",
		       opt.threads, opt.chunk, opt.depth, sum.bytes, sum.chunks, secs,
		       secs > 0 ? sum.bytes / secs / 1e6 : 0, secs > 0 ? 2 * sum.chunks / secs : 0,
		       sum.bytes ? cpu / (sum.bytes / 1073741824.0) : 0,
		       sum.p2p_ios, sum.refused, sum.fallbacks, sum.verified);
		if (sum.error) {
			json_str(stdout, sum.what);
			printf(",\"errno\":\"%s\"}\n", strerrorname_np(sum.error) ?: "?");
		} else {
			printf("null,\"errno\":null}\n");
		}
	} else {
		printf("%s -> %s through %s: %llu chunks of %lu bytes in %.3f s\n", opt.src, opt.dst,
		       desc, sum.chunks, opt.chunk, secs);
		printf("  %.2f MB/s, %.0f IOPS, %.3f CPU s/GiB\n",
		       secs > 0 ? sum.bytes / secs / 1e6 : 0, secs > 0 ? 2 * sum.chunks / secs : 0,
		       sum.bytes ? cpu / (sum.bytes / 1073741824.0) : 0);
		printf("  P2P I/Os %llu, refused %llu, fallbacks %llu (bounced through host memory)\n",
		       sum.p2p_ios, sum.refused, sum.fallbacks);
		if (opt.verify)
			printf("  verified %llu chunks: DST matches SRC\n", sum.verified);
		if (sum.error)
			fprintf(stderr, "%s: %s: %s\n", prog, sum.what, strerror(sum.error));
	}
	return sum.error ? 1 : 0;
}
