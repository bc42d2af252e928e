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
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>
#include "args.h"
#include "json.h"
#include "sysfs.h"

enum buf_kind { BUF_AUTO, BUF_CDEV, BUF_SYSFS, BUF_HOST };

static struct {
	const char *src, *dst;
	enum buf_kind kind;
	char where[64];		/* /dev/nvmeN or BDF */
	unsigned long threads, chunks, depth;
	unsigned long long chunk;
	double duration;
	unsigned long long offset;
	bool verify, pattern, no_fallback, json, verbose;
} opt = { .threads = 1, .chunk = 65536, .depth = 4 };

static volatile sig_atomic_t stop;

const char *argp_program_version = "p2pio 0.2";
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
"fallback; --no-fallback makes that an error. A chunk is one I/O, so at most\n"
"2147479552 bytes (the kernel's limit for one read or write). A short read\n"
"or write is an error.\n"
"\n"
"--verify reads every chunk back from both devices and compares them. A\n"
"chunk of SRC that is all zeros proves nothing: DST may hold zeros because\n"
"nothing was written (an IOMMU can drop P2P DMA while the I/O reports\n"
"success). Such chunks are counted and said, never claimed a match; with\n"
"--pattern p2pio first writes SRC's range with data of its own, different\n"
"for every run and every 8 bytes, so a match proves the bytes moved.\n"
"\n"
"Exit status: 0 when every chunk was copied (and, with --verify, found equal\n"
"with data that proves it), 1 on an I/O error or a chunk that differs, 2 on\n"
"bad input, 3 when every chunk was equal but some of SRC's were all zeros.\n"
"\n"
"EXAMPLES:\n"
"    p2pio -n 256 /dev/nvme2n1 /dev/nvme0n1          # 16 MiB in 64 KiB chunks\n"
"    p2pio -t 2 -q 8 -D 10 --verify --cdev /dev/nvme1 /dev/nvme2n1 /dev/nvme2n1\n"
"    p2pio -n 64 --verify --pattern /dev/nvme2n1 /dev/nvme0n1  # overwrites SRC\n"
"    p2pio -j --host -n 256 /dev/nvme2n1 /dev/nvme0n1  # the same through RAM\n";

enum { OPT_VERIFY = 0x100, OPT_PATTERN };	/* long only: -V is --version */

static const struct argp_option options[] = {
	{ "threads", 't', "N", 0, "Worker threads (default 1)", 0 },
	{ "chunk", 'c', "BYTES", 0, "Chunk size, a multiple of 4096 (default 65536; K, M, G suffixes)", 0 },
	{ "chunks", 'n', "N", 0, "Copy N chunks in all (default: the smaller device)", 0 },
	{ "duration", 'D', "SECONDS", 0, "Copy for this long instead", 0 },
	{ "depth", 'q', "N", 0, "io_uring queue depth per thread (default 4)", 0 },
	{ "offset", 'o', "BYTES", 0, "Start this far into both devices", 0 },
	{ "verify", OPT_VERIFY, NULL, 0, "Read back every chunk of DST and compare with SRC", 0 },
	{ "pattern", OPT_PATTERN, NULL, 0, "With --verify: first overwrite SRC's range with a pattern "
	  "of this run, so a match proves the copy", 0 },
	{ "no-fallback", 'F', NULL, 0, "Fail instead of bouncing refused chunks", 0 },
	{ "cdev", 'C', "DEV", 0, "Buffer: mmap of this NVMe char device's CMB", 0 },
	{ "sysfs", 'S', "BDF", 0, "Buffer: sysfs p2pmem/allocate of this provider", 0 },
	{ "host", 'H', NULL, 0, "Buffer: host memory", 0 },
	{ "json", 'j', NULL, 0, "Report as one JSON object", 0 },
	{ "verbose", 'v', NULL, 0, "Say which buffer is used", 0 },
	{ 0 },
};

/* --verify found every chunk equal, but some only because both were zeros */
#define EXIT_UNPROVEN 3

/* the most one read() or write() moves: MAX_RW_COUNT, INT_MAX & PAGE_MASK */
#define MAX_IO_BYTES 0x7ffff000ULL

static error_t parse_arg(int key, char *arg, struct argp_state *state __attribute__((unused)))
{
	static int pos;

	switch (key) {
	case 't':
		if (!parse_ulong(arg, 64, &opt.threads) || !opt.threads)
			die_usage("bad thread count '%s' (1-64)", arg);
		break;
	case 'c':
		if (!parse_size(arg, 1ULL << 40, &opt.chunk))
			die_usage("bad chunk size '%s'", arg);
		if (!opt.chunk || opt.chunk % 4096)
			die_usage("chunk size %llu is not a multiple of 4096", opt.chunk);
		if (opt.chunk > MAX_IO_BYTES)
			die_usage("chunk size %llu is above the %llu bytes one I/O can carry",
				  opt.chunk, MAX_IO_BYTES);
		break;
	case 'n':
		if (!parse_ulong(arg, 1UL << 40, &opt.chunks) || !opt.chunks)
			die_usage("bad chunk count '%s'", arg);
		break;
	case 'D':
		if (!parse_seconds(arg, 0.001, 1e7, &opt.duration))
			die_usage("bad duration '%s' (seconds, 0.001 to 10000000)", arg);
		break;
	case 'q':
		if (!parse_ulong(arg, 256, &opt.depth) || !opt.depth)
			die_usage("bad queue depth '%s' (1-256)", arg);
		break;
	case 'o':
		if (!parse_size(arg, 1ULL << 50, &opt.offset))
			die_usage("bad offset '%s'", arg);
		if (opt.offset % 4096)
			die_usage("offset %llu is not a multiple of 4096", opt.offset);
		break;
	case OPT_VERIFY: opt.verify = true; break;
	case OPT_PATTERN: opt.pattern = true; break;
	case 'F': opt.no_fallback = true; break;
	case 'C': case 'S': case 'H':
		if (opt.kind != BUF_AUTO)
			die_usage("give one of --cdev, --sysfs and --host");
		opt.kind = key == 'C' ? BUF_CDEV : key == 'S' ? BUF_SYSFS : BUF_HOST;
		if (arg)
			snprintf(opt.where, sizeof(opt.where), "%s", arg);
		break;
	case 'j': opt.json = true; break;
	case 'v': opt.verbose = true; break;
	case ARGP_KEY_ARG:
		if (pos == 0)
			opt.src = arg;
		else if (pos == 1)
			opt.dst = arg;
		else
			die_usage("unexpected argument '%s' (see --help)", arg);
		pos++;
		break;
	case ARGP_KEY_END:
		if (pos < 2)
			die_usage("need SRC and DST block devices (see --help)");
		if (opt.chunks && opt.duration)
			die_usage("give -n or -D, not both");
		if (opt.pattern && !opt.verify)
			die_usage("--pattern is for --verify: without it nothing reads the pattern back");
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
		die_usage("cannot open %s: %s", path, strerror(errno));
	if (!S_ISBLK(st.st_mode))
		die_usage("%s is not a block device", path);
	fd = open(path, flags | O_DIRECT);
	if (fd < 0)
		die_usage("cannot open %s: %s", path, strerror(errno));
	if (ioctl(fd, BLKGETSIZE64, size))
		die_usage("cannot get the size of %s: %s", path, strerror(errno));
	return fd;
}

static unsigned long long read_avail(const char *bdf)
{
	unsigned long long v;

	return sysfs_u64(&v, "bus/pci/devices/%s/p2pmem/available", bdf) ? v : 0;
}

static char *map_buffer(size_t len, char *desc, size_t dlen)
{
	char bdf[64] = "", name[32], path[300];
	void *p;
	int fd;

	if (opt.kind == BUF_HOST) {
		if (posix_memalign(&p, 4096, len))
			die_usage("cannot allocate %zu bytes of host memory", len);
		snprintf(desc, dlen, "host");
		return p;
	}
	if (opt.kind == BUF_AUTO) {
		char first[1][P2P_NAME_LEN];

		if (!provider_list(first, 1))
			die_usage("no P2PDMA provider (no p2pmem in sysfs): use --host");
		snprintf(bdf, sizeof(bdf), "%s", first[0]);
	} else if (!resolve_pci(opt.where, bdf, sizeof(bdf))) {
		die_usage("'%s' is neither a PCI address nor an nvme device", opt.where);
	}
	if (!pci_is_provider(bdf))
		die_usage("%s has no P2P memory (no CMB published as p2pmem)", opt.where[0] ? opt.where : bdf);
	if (read_avail(bdf) < len)
		die_usage("needs %zu bytes of P2P memory (threads x depth x chunk), %s has %llu free",
			  len, bdf, (unsigned long long)read_avail(bdf));

	if (opt.kind != BUF_SYSFS && pci_nvme_name(bdf, name, sizeof(name))) {
		snprintf(path, sizeof(path), "/dev/%s", name);
		fd = open(path, O_RDWR);
		if (fd < 0 && opt.kind == BUF_CDEV)
			die_usage("cannot open %s: %s", path, strerror(errno));
		if (fd >= 0) {
			p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			close(fd);
			if (p != MAP_FAILED) {
				snprintf(desc, dlen, "cdev:%s", path);
				return p;
			}
			if (opt.kind == BUF_CDEV)
				die_usage("cannot mmap the CMB through %s: %s%s", path, strerror(errno),
					  errno == ENODEV ? " (this kernel lacks the CMB mmap patches: use --sysfs)" : "");
			if (opt.verbose)
				fprintf(stderr, "p2pio: %s cannot be mapped (%s): using sysfs\n", path,
					strerror(errno));
		}
	} else if (opt.kind == BUF_CDEV) {
		die_usage("%s is not an nvme controller", opt.where);
	}
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/p2pmem/allocate", sysfs_root(), bdf);
	fd = open(path, O_RDWR);
	if (fd < 0)
		die_usage("cannot open %s: %s", path, strerror(errno));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		die_usage("cannot map %zu bytes of %s: %s", len, path, strerror(errno));
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
	unsigned long long zero;	/* verified chunks whose SRC was all zeros */
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

/* The first error of a worker, said once, stops every worker. */
static void fail(struct counters *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail(struct counters *c, int err, const char *fmt, ...)
{
	va_list ap;

	if (!c->error) {
		c->error = err;
		va_start(ap, fmt);
		vsnprintf(c->what, sizeof(c->what), fmt, ap);
		va_end(ap);
	}
	stop = 1;
}

/* The outcome of one chunk's I/O: all of it, an error, or a short transfer. */
static bool io_done(struct counters *c, long res, const char *what, unsigned long long off)
{
	if (res == (long)opt.chunk)
		return true;
	if (res < 0)
		fail(c, (int)-res, "%s at %llu", what, off);
	else
		fail(c, EIO, "%s at %llu: short transfer, %ld of %llu bytes", what, off, res,
		     opt.chunk);
	return false;
}

static bool sync_io(struct counters *c, int write, int fd, void *buf, unsigned long long off,
		    const char *what)
{
	ssize_t n = write ? pwrite(fd, buf, opt.chunk, off) : pread(fd, buf, opt.chunk, off);

	return io_done(c, n < 0 ? -errno : n, what, off);
}

/* The chunk at off through host memory: the fallback, or --host. */
static void bounce(struct counters *c, char *bounce_buf, unsigned long long off,
		   const char *p2p_half)
{
	if (opt.no_fallback)
		return fail(c, EREMOTEIO, "P2P refused at offset %llu and --no-fallback is set", off);
	if (p2p_half)
		memcpy(bounce_buf, p2p_half, opt.chunk);
	else if (!sync_io(c, 0, src_fd, bounce_buf, off, "read from SRC (bounce)"))
		return;
	if (sync_io(c, 1, dst_fd, bounce_buf, off, "write to DST (bounce)"))
		c->fallbacks++;
}

/* ---- the pattern ---- */

static uint64_t seed;	/* of this run: an earlier run's pattern on DST proves nothing */

/* the 8 bytes at byte offset off of the device: splitmix64, never 0 */
static uint64_t pattern_word(unsigned long long off)
{
	uint64_t x = seed + off / 8 * 0x9e3779b97f4a7c15ULL;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x ? x : 1;
}

static void pattern_fill(char *buf, unsigned long long off)
{
	for (unsigned long long i = 0; i < opt.chunk; i += 8) {
		uint64_t w = pattern_word(off + i);

		memcpy(buf + i, &w, 8);
	}
}

static bool pattern_holds(const char *buf, unsigned long long off)
{
	for (unsigned long long i = 0; i < opt.chunk; i += 8) {
		uint64_t w = pattern_word(off + i);

		if (memcmp(buf + i, &w, 8))
			return false;
	}
	return true;
}

static bool all_zero(const char *buf, size_t len)
{
	return !buf[0] && !memcmp(buf, buf + 1, len - 1);
}

static void verify_chunk(struct counters *c, char *a, char *b, unsigned long long off)
{
	if (!sync_io(c, 0, src_fd, a, off, "verify: read SRC") ||
	    !sync_io(c, 0, dst_fd, b, off, "verify: read DST"))
		return;
	if (opt.pattern && !pattern_holds(a, off))
		return fail(c, EILSEQ, "verify: SRC does not hold the pattern written to it in the "
			    "chunk at %llu", off);
	if (memcmp(a, b, opt.chunk))
		return fail(c, EILSEQ, "verify: DST differs from SRC in the chunk at %llu", off);
	c->verified++;
	/* equal zeros are what DST holds when nothing was written at all */
	c->zero += all_zero(a, opt.chunk);
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

	if (!offs) {
		fail(c, ENOMEM, "allocating the worker's offsets");
		return NULL;
	}
	err = io_uring_queue_init(opt.depth * 2, &ring, 0);
	if (err) {
		fail(c, -err, "io_uring_queue_init");
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
			fail(c, -err, "io_uring_wait_cqe");
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
			io_done(c, res, op == OP_READ ? "read from SRC" : "write to DST", offs[slot]);
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

/*
 * SRC's range, every chunk the copy will read, written with this run's
 * pattern before the copy starts (through host memory, not timed).
 * Returns the bytes written; a failure is one line and exit 1.
 */
static unsigned long long write_pattern(void)
{
	unsigned long long n = span / opt.chunk, done = 0;
	struct counters c = { 0 };
	char *buf;

	if (opt.chunks && opt.chunks < n)
		n = opt.chunks;
	while (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		if (errno != EINTR)
			die_usage("getrandom: %s", strerror(errno));
	if (posix_memalign((void **)&buf, 4096, opt.chunk))
		die_usage("out of memory for a %llu byte pattern buffer", opt.chunk);
	for (unsigned long long k = 0; k < n && !stop; k++) {
		unsigned long long off = opt.offset + k * opt.chunk;

		pattern_fill(buf, off);
		if (!sync_io(&c, 1, src_fd, buf, off, "--pattern: write to SRC")) {
			fprintf(stderr, "p2pio: %s: %s\n", c.what, strerror(c.error));
			exit(1);
		}
		done += opt.chunk;
	}
	/* the copy reads it back with O_DIRECT: make it the device's, not a cache's */
	if (fsync(src_fd))
		die_usage("--pattern: fsync of %s: %s", opt.src, strerror(errno));
	free(buf);
	return done;
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
	unsigned long started = 0;
	unsigned long long pattern_bytes = 0;
	bool matched, proven;
	size_t len;
	char *buf;
	int err;

	args_parse(&argp, argc, argv);
	src_fd = open_disk(opt.src, opt.pattern ? O_RDWR : O_RDONLY, &src_size);
	dst_fd = open_disk(opt.dst, O_WRONLY, &dst_size);
	if (opt.verify) {
		close(dst_fd);
		dst_fd = open_disk(opt.dst, O_RDWR, &dst_size);
	}
	span = (src_size < dst_size ? src_size : dst_size);
	if (span <= opt.offset || span - opt.offset < opt.chunk)
		die_usage("offset %llu leaves no room for a %llu byte chunk", opt.offset, opt.chunk);
	span = (span - opt.offset) / opt.chunk * opt.chunk;
	total_chunks = opt.chunks;
	if (!opt.chunks && !opt.duration)
		total_chunks = span / opt.chunk;

	len = opt.threads * opt.depth * opt.chunk;
	buf = map_buffer(len, desc, sizeof(desc));
	if (opt.verbose)
		fprintf(stderr, "p2pio: buffer %s, %zu bytes\n", desc, len);
	if (opt.pattern)
		pattern_bytes = write_pattern();

	w = calloc(opt.threads, sizeof(*w));
	if (!w)
		die_usage("out of memory for %lu workers", opt.threads);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	t0 = now_s();
	if (opt.duration)
		deadline = t0 + opt.duration;
	for (unsigned long i = 0; i < opt.threads; i++) {
		w[i].buf = buf + i * opt.depth * opt.chunk;
		if (posix_memalign((void **)&w[i].host, 4096, 2 * opt.chunk))
			die_usage("out of memory for %llu byte bounce buffers", 2 * opt.chunk);
		err = pthread_create(&w[i].tid, NULL, work, &w[i]);
		if (err) {
			fail(&w[i].c, err, "starting worker %lu", i);
			break;
		}
		started++;
	}
	for (unsigned long i = 0; i < opt.threads; i++) {
		if (i < started)
			pthread_join(w[i].tid, NULL);
		sum.bytes += w[i].c.bytes;
		sum.chunks += w[i].c.chunks;
		sum.p2p_ios += w[i].c.p2p_ios;
		sum.refused += w[i].c.refused;
		sum.fallbacks += w[i].c.fallbacks;
		sum.verified += w[i].c.verified;
		sum.zero += w[i].c.zero;
		if (!sum.error && w[i].c.error) {
			sum.error = w[i].c.error;
			memcpy(sum.what, w[i].c.what, sizeof(sum.what));
		}
	}
	secs = now_s() - t0;
	getrusage(RUSAGE_SELF, &ru);
	cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
	      ru.ru_stime.tv_usec / 1e6;

	/* a match is claimed only for a copy that finished and was all checked */
	matched = opt.verify && !sum.error && sum.verified == sum.chunks;
	/* a match of zeros is no proof that anything was copied */
	proven = matched && !sum.zero;
	if (opt.json) {
		struct json j;

		json_init(&j, stdout);
		json_object_begin(&j);
		json_kv_string(&j, "src", opt.src);
		json_kv_string(&j, "dst", opt.dst);
		json_kv_string(&j, "buffer", desc);
		json_kv_u64(&j, "threads", opt.threads);
		json_kv_u64(&j, "chunk", opt.chunk);
		json_kv_u64(&j, "depth", opt.depth);
		json_kv_u64(&j, "bytes", sum.bytes);
		json_kv_u64(&j, "chunks", sum.chunks);
		json_kv_double(&j, "seconds", secs, 6);
		json_kv_double(&j, "mb_per_s", secs > 0 ? sum.bytes / secs / 1e6 : 0, 3);
		json_kv_double(&j, "iops", secs > 0 ? 2 * sum.chunks / secs : 0, 1);
		json_kv_double(&j, "cpu_s", cpu, 6);
		json_kv_double(&j, "cpu_s_per_gib", sum.bytes ? cpu / (sum.bytes / 1073741824.0) : 0, 6);
		json_kv_u64(&j, "p2p_ios", sum.p2p_ios);
		json_kv_u64(&j, "refused", sum.refused);
		json_kv_u64(&j, "fallbacks", sum.fallbacks);
		json_kv_u64(&j, "verified", sum.verified);
		json_kv_u64(&j, "zero_chunks", sum.zero);
		json_kv_bool(&j, "pattern", opt.pattern);
		json_kv_u64(&j, "pattern_bytes", pattern_bytes);
		json_key(&j, "dst_matches");
		if (opt.verify)
			json_bool(&j, matched);
		else
			json_null(&j);
		json_key(&j, "proven");
		if (opt.verify)
			json_bool(&j, proven);
		else
			json_null(&j);
		json_kv_string(&j, "error", sum.error ? sum.what : NULL);
		json_kv_string(&j, "errno", sum.error ? strerrorname_np(sum.error) ?: "?" : NULL);
		json_object_end(&j);
	} else {
		printf("%s -> %s through %s: %llu chunks of %llu bytes in %.3f s\n", opt.src, opt.dst,
		       desc, sum.chunks, opt.chunk, secs);
		printf("  %.2f MB/s, %.0f IOPS, %.3f CPU s/GiB\n",
		       secs > 0 ? sum.bytes / secs / 1e6 : 0, secs > 0 ? 2 * sum.chunks / secs : 0,
		       sum.bytes ? cpu / (sum.bytes / 1073741824.0) : 0);
		printf("  P2P I/Os %llu, refused %llu, fallbacks %llu (bounced through host memory)\n",
		       sum.p2p_ios, sum.refused, sum.fallbacks);
		if (opt.pattern)
			printf("  pattern: %llu bytes of this run's pattern written to SRC first\n",
			       pattern_bytes);
		if (proven)
			printf("  verified %llu chunks: DST matches SRC\n", sum.verified);
		else if (matched && sum.zero == sum.verified)
			printf("  verified %llu chunks, %llu of them all zeros: a copy of zeros proves "
			       "nothing (use --pattern)\n", sum.verified, sum.zero);
		else if (matched)
			printf("  verified %llu chunks, %llu of them all zeros: a copy of zeros proves "
			       "nothing (use --pattern); the other %llu are equal to SRC\n",
			       sum.verified, sum.zero, sum.verified - sum.zero);
		else if (opt.verify)
			printf("  verified %llu of %llu chunks before the error%s: nothing is claimed "
			       "about the rest\n", sum.verified, sum.chunks,
			       sum.zero ? ", some all zeros" : "");
		if (sum.error)
			fprintf(stderr, "p2pio: %s: %s\n", sum.what, strerror(sum.error));
		else if (matched && !proven)
			fprintf(stderr, "p2pio: %llu of %llu verified chunks of SRC were all zeros: "
				"nothing proves they were copied (use --pattern)\n", sum.zero,
				sum.verified);
	}
	fflush(stdout);
	return sum.error ? 1 : matched && !proven ? EXIT_UNPROVEN : 0;
}
