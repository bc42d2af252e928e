// SPDX-License-Identifier: GPL-2.0
/*
 * p2pcheck: lab test program for real P2PDMA I/O and for the semantics of
 * userspace P2P mappings. Every subcommand prints what it verified and exits
 * 0 only if all of it held; see usage() for the list.
 *
 * P2P memory comes from the stock sysfs p2pmem/allocate file (--sysfs BDF),
 * which allocates at mmap time, or from an mmap of the NVMe char device
 * (--cdev /dev/nvmeN), which allocates at the first fault.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *prog = "p2pcheck";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: FAIL: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void fill(void *buf, size_t len, uint64_t seed)
{
	uint64_t *p = buf, x = seed * 0x9e3779b97f4a7c15ULL + 1;

	for (size_t i = 0; i < len / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = x;
	}
}

/* Returns the first differing offset, or -1. CMB reads are slow: compare by word. */
static long mismatch(const void *a, const void *b, size_t len)
{
	const volatile uint64_t *x = a;
	const uint64_t *y = b;

	for (size_t i = 0; i < len / 8; i++)
		if (x[i] != y[i])
			return (long)(i * 8);
	return -1;
}

static long read_long(const char *path)
{
	char buf[64];
	FILE *f = fopen(path, "r");
	long v;

	if (!f)
		die("open %s: %s", path, strerror(errno));
	if (!fgets(buf, sizeof(buf), f) || sscanf(buf, "%ld", &v) != 1)
		die("cannot parse %s", path);
	fclose(f);
	return v;
}

static long available(const char *bdf)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/p2pmem/available", bdf);
	return read_long(path);
}

static int refused(int err)
{
	return err == EREMOTEIO || err == EINVAL;
}

static void xfer(int write, int fd, void *buf, size_t len, off_t off, const char *what)
{
	ssize_t n = write ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);

	if (n < 0)
		die("%s: %s", what, strerror(errno));
	if ((size_t)n != len)
		die("%s: short transfer %zd of %zu", what, n, len);
}



/* The provider behind an NVMe char device: /sys/class/nvme/nvmeN/device. */
static const char *cdev_bdf(const char *cdev)
{
	static char bdf[64];
	char path[256], link[512];
	const char *name = strrchr(cdev, '/') ? strrchr(cdev, '/') + 1 : cdev;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/class/nvme/%s/device", name);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		die("%s: not an NVMe controller: %s", cdev, strerror(errno));
	link[n] = 0;
	snprintf(bdf, sizeof(bdf), "%s", strrchr(link, '/') + 1);
	return bdf;
}

/* Pages go back to the pool after an RCU grace period: poll for up to 5 s. */
static long wait_available(const char *bdf, long want)
{
	long now = available(bdf);

	for (int i = 0; i < 5000 && now != want; i++) {
		usleep(1000);
		now = available(bdf);
	}
	return now;
}

struct opts {
	const char *bdf, *cdev, *disk, *expect;
	size_t size;
	off_t off;
	int threads, iterations, maps;
};

static int open_p2p(const struct opts *o)
{
	char path[256];
	const char *what = o->cdev;
	int fd;

	if (o->bdf) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/p2pmem/allocate", o->bdf);
		what = path;
	}
	fd = open(what, O_RDWR);
	if (fd < 0)
		die("open %s: %s", what, strerror(errno));
	return fd;
}

static void *map_p2p(int fd, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		die("mmap %zu bytes: %s", size, strerror(errno));
	return p;
}

/*
 * copy: O_DIRECT-read a known pattern from DISK into P2P memory and
 * O_DIRECT-write another from it, verifying every byte through host memory.
 * With --expect refused, both directions must fail with EREMOTEIO (or EINVAL,
 * kernels >= 6.17) and the disk must be left untouched. p2pmem/available
 * must drop by the mapping at allocation (mmap for sysfs, first touch for
 * the char device) and come back after munmap.
 */
static int cmd_copy(const struct opts *o)
{
	const char *bdf = o->bdf ? o->bdf : cdev_bdf(o->cdev);
	int ok = !strcmp(o->expect, "ok");
	size_t size = o->size;
	off_t off = o->off;
	long avail0 = available(bdf);
	void *p2p, *host, *want;
	int fd, bfd;

	bfd = open_p2p(o);
	p2p = map_p2p(bfd, size);
	if (o->cdev) {
		if (available(bdf) != avail0)
			die("available changed at mmap (%ld -> %ld): allocation must wait for the first fault",
			    avail0, available(bdf));
		if (*(volatile char *)p2p != 0)
			die("fresh mapping does not read as zero");
		printf("allocation deferred to the first fault: verified\n");
	}
	if (available(bdf) != avail0 - (long)size)
		die("available is %ld after allocation, expected %ld - %zu", available(bdf), avail0, size);

	fd = open(o->disk, O_RDWR | O_DIRECT);
	if (fd < 0)
		die("open %s: %s", o->disk, strerror(errno));
	if (posix_memalign(&host, 4096, size) || posix_memalign(&want, 4096, size))
		die("out of memory");

	/* disk -> P2P: seed the disk through host memory, read it into the buffer */
	fill(want, size, 1);
	xfer(1, fd, want, size, off, "seed write from host memory");
	memset(p2p, 0x5a, size);
	errno = 0;
	if (pread(fd, p2p, size, off) != (ssize_t)size) {
		int err = errno;

		if (ok || !refused(err))
			die("read %s into P2P memory: %s", o->disk, err ? strerror(err) : "short read");
		printf("read into P2P memory refused: %s\n", strerror(err));
	} else {
		long at;

		if (!ok)
			die("read %s into P2P memory succeeded, expected it to be refused", o->disk);
		at = mismatch(p2p, want, size);
		if (at >= 0)
			die("P2P buffer differs from the disk at byte %ld", at);
		printf("read %zu bytes %s -> P2P memory: verified\n", size, o->disk);
	}

	/* P2P -> disk: write a second pattern from the buffer, read it back through host memory */
	fill(p2p, size, 2);
	fill(want, size, 2);
	errno = 0;
	if (pwrite(fd, p2p, size, off) != (ssize_t)size) {
		int err = errno;

		if (ok || !refused(err))
			die("write P2P memory to %s: %s", o->disk, err ? strerror(err) : "short write");
		printf("write from P2P memory refused: %s\n", strerror(err));
		fill(want, size, 1);
	} else if (!ok) {
		die("write from P2P memory to %s succeeded, expected it to be refused", o->disk);
	}
	memset(host, 0, size);
	xfer(0, fd, host, size, off, "read back into host memory");
	if (mismatch(host, want, size) >= 0)
		die("%s holds the wrong bytes at %ld after the %s write", o->disk,
		    mismatch(host, want, size), ok ? "P2P" : "refused");
	printf("%s holds the %s bytes: verified\n", o->disk,
	       ok ? "P2P-written" : "original (nothing written)");

	if (munmap(p2p, size))
		die("munmap: %s", strerror(errno));
	close(bfd);
	if (wait_available(bdf, avail0) != avail0)
		die("available is %ld after munmap, expected %ld", available(bdf), avail0);
	printf("available back to %ld after munmap\n", avail0);
	close(fd);
	free(host);
	free(want);
	return 0;
}

/* einval: MAP_PRIVATE and a non-zero offset are refused with EINVAL. */
static int cmd_einval(const struct opts *o)
{
	int fd = open_p2p(o);
	void *p;

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (p != MAP_FAILED || errno != EINVAL)
		die("MAP_PRIVATE: got %s, want EINVAL", p == MAP_FAILED ? strerror(errno) : "success");
	printf("MAP_PRIVATE refused with EINVAL: verified\n");
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
	if (p != MAP_FAILED || errno != EINVAL)
		die("offset 4096: got %s, want EINVAL", p == MAP_FAILED ? strerror(errno) : "success");
	printf("non-zero offset refused with EINVAL: verified\n");
	close(fd);
	return 0;
}

static sigjmp_buf bus_jmp;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(bus_jmp, 1);
}

/* Returns 1 if touching p raised SIGBUS, 0 if it read (or wrote) fine. */
static int fetch_sigbus(volatile char *p, char *val, int write)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	int bus = 0;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(bus_jmp, 1))
		bus = 1;
	else if (write)
		*p = *val;
	else
		*val = *p;
	sigaction(SIGBUS, &old, NULL);
	return bus;
}

/*
 * sigbus: a mapping bigger than the free P2P memory maps fine but gets
 * SIGBUS at the first touch, and nothing is allocated.
 */
static int cmd_sigbus(const struct opts *o)
{
	const char *bdf = cdev_bdf(o->cdev);
	long avail0 = available(bdf);
	size_t size = ((size_t)avail0 + (1 << 20)) & ~(size_t)4095;
	int fd = open_p2p(o);
	char *p = map_p2p(fd, size), v = 0;

	if (!fetch_sigbus(p, &v, 0))
		die("touching a %zu byte mapping with %ld bytes free did not raise SIGBUS", size, avail0);
	printf("first touch of a %zu byte mapping (%ld free) raised SIGBUS: verified\n", size, avail0);
	munmap(p, size);
	close(fd);
	if (wait_available(bdf, avail0) != avail0)
		die("available is %ld, expected %ld", available(bdf), avail0);
	printf("available unchanged at %ld: verified\n", avail0);
	return 0;
}

/* Page frame of a mapped address (we run as root, so pagemap has PFNs). */
static uint64_t pfn_of(const void *addr)
{
	uint64_t ent = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0 || pread(fd, &ent, 8, (uintptr_t)addr / 4096 * 8) != 8)
		die("read /proc/self/pagemap: %s", strerror(errno));
	close(fd);
	if (!(ent & (1ULL << 63)))
		die("page at %p is not present", addr);
	return ent & ((1ULL << 55) - 1);
}

/*
 * zero: a child fills a mapping with a pattern and exits; a fresh mapping of
 * the same size gets the same memory (first fit) and must read as zeros.
 */
static int cmd_zero(const struct opts *o)
{
	const char *bdf = cdev_bdf(o->cdev);
	long avail0 = available(bdf);
	uint64_t pfn_child = 0, pfn;
	int pipefd[2], status;
	char *p;
	pid_t pid;
	long at;

	if (pipe(pipefd))
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open_p2p(o);

		p = map_p2p(fd, o->size);
		fill(p, o->size, 3);
		pfn = pfn_of(p);
		if (write(pipefd[1], &pfn, sizeof(pfn)) != sizeof(pfn))
			_exit(1);
		_exit(0);
	}
	if (read(pipefd[0], &pfn_child, sizeof(pfn_child)) != sizeof(pfn_child) ||
	    waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		die("the writer child failed");
	if (wait_available(bdf, avail0) != avail0)
		die("available is %ld after the writer exited, expected %ld", available(bdf), avail0);

	int fd = open_p2p(o);

	p = map_p2p(fd, o->size);
	at = -1;
	(void)*(volatile char *)p;	/* fault it in */
	pfn = pfn_of(p);
	if (pfn != pfn_child)
		die("fresh mapping got pfn %#llx, the writer had %#llx: not the same memory",
		    (unsigned long long)pfn, (unsigned long long)pfn_child);
	for (size_t off = 0; off < o->size && at < 0; off += 4096) {
		static const char zero[4096];

		at = mismatch(p + off, zero, 4096);
		if (at >= 0)
			at += off;
	}
	if (at >= 0)
		die("fresh mapping holds the previous owner's data at byte %ld", at);
	printf("memory another process wrote (pfn %#llx) reads as zeros in a fresh mapping: verified\n",
	       (unsigned long long)pfn);
	munmap(p, o->size);
	close(fd);
	return 0;
}

struct racer {
	pthread_barrier_t *start, *done;
	char *volatile *map;
	int id, iterations;
	int bad;
};

static void *race_thread(void *arg)
{
	struct racer *r = arg;

	for (int i = 0; i < r->iterations; i++) {
		pthread_barrier_wait(r->start);
		/* all threads touch the first page, half also a page of their own */
		if (r->map[0][0] != 0)
			r->bad++;
		if (r->id & 1)
			r->map[0][(size_t)r->id * 4096] = 1;
		pthread_barrier_wait(r->done);
	}
	return NULL;
}

/*
 * race: THREADS threads first-touch the same fresh mapping at once,
 * ITERATIONS times. Each mapping must take exactly SIZE bytes from the pool
 * (never two allocations) and available must end where it started.
 */
static int cmd_race(const struct opts *o)
{
	const char *bdf = cdev_bdf(o->cdev);
	long avail0 = available(bdf);
	int n = o->threads, fd = open_p2p(o);
	pthread_barrier_t start, done;
	struct racer *r = calloc(n, sizeof(*r));
	pthread_t *tid = calloc(n, sizeof(*tid));
	char *volatile map = NULL;
	long lost = 0;

	if (!r || !tid || o->size < (size_t)n * 4096)
		die("--size must cover one page per thread");
	pthread_barrier_init(&start, NULL, n + 1);
	pthread_barrier_init(&done, NULL, n + 1);
	for (int t = 0; t < n; t++) {
		r[t] = (struct racer){ &start, &done, &map, t, o->iterations, 0 };
		if (pthread_create(&tid[t], NULL, race_thread, &r[t]))
			die("pthread_create failed");
	}
	for (int i = 0; i < o->iterations; i++) {
		/* the last mapping's pages return after a grace period */
		if (wait_available(bdf, avail0) != avail0)
			die("iteration %d: available stuck at %ld, expected %ld",
			    i, available(bdf), avail0);
		map = map_p2p(fd, o->size);
		pthread_barrier_wait(&start);
		pthread_barrier_wait(&done);
		long now = available(bdf);

		if (now != avail0 - (long)o->size) {
			if (!lost)
				fprintf(stderr, "iteration %d: available %ld, expected %ld\n",
					i, now, avail0 - (long)o->size);
			lost++;
		}
		munmap(map, o->size);
	}
	for (int t = 0; t < n; t++) {
		pthread_join(tid[t], NULL);
		if (r[t].bad)
			die("thread %d saw non-zero fresh memory %d times", t, r[t].bad);
	}
	if (lost)
		die("%ld of %d mappings did not take exactly %zu bytes", lost, o->iterations, o->size);
	printf("%d x %d threads first-touching one fresh mapping: one allocation each: verified\n",
	       o->iterations, n);
	if (wait_available(bdf, avail0) != avail0)
		die("available is %ld at the end, expected %ld", available(bdf), avail0);
	printf("available back to %ld: verified\n", avail0);
	close(fd);
	return 0;
}

static volatile sig_atomic_t poked;

static void on_usr1(int sig)
{
	(void)sig;
	poked = 1;
}

/*
 * hold: map and fill SIZE bytes, print "ready", wait for SIGUSR1 (sent after
 * the provider is unbound), then touch the mapping: it must raise SIGBUS.
 */
static int cmd_hold(const struct opts *o)
{
	int fd = open_p2p(o);
	char *p = map_p2p(fd, o->size), v = 0;
	sigset_t mask, old;

	signal(SIGUSR1, on_usr1);
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, &old);
	fill(p, o->size, 4);
	printf("ready\n");
	fflush(stdout);
	while (!poked)
		sigsuspend(&old);
	if (!fetch_sigbus(p, &v, 0))
		die("read of a revoked mapping did not raise SIGBUS");
	if (!fetch_sigbus(p + o->size - 1, &v, 1))
		die("write to a revoked mapping did not raise SIGBUS");
	printf("access after unbind raised SIGBUS: verified\n");
	munmap(p, o->size);
	close(fd);
	return 0;
}

static volatile sig_atomic_t released;

static void on_release(int sig)
{
	(void)sig;
	released = 1;
}

/*
 * occupy: hold MAPS mappings of SIZE bytes each, touched so that they own
 * their memory; print "ready" and wait for SIGUSR1 or SIGTERM, then exit.
 */
static int cmd_occupy(const struct opts *o)
{
	int fd = open_p2p(o);
	sigset_t mask, old;

	signal(SIGUSR1, on_release);
	signal(SIGTERM, on_release);
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, &old);
	for (int i = 0; i < o->maps; i++) {
		char *p = map_p2p(fd, o->size), v = 1;

		if (fetch_sigbus(p, &v, 1))
			die("mapping %d of %zu bytes got SIGBUS", i, o->size);
	}
	printf("ready\n");
	fflush(stdout);
	while (!released)
		sigsuspend(&old);
	printf("released %d mappings of %zu bytes\n", o->maps, o->size);
	return 0;
}

/* denied: run as a non-root user, opening (or mapping) the char device must fail. */
static int cmd_denied(const struct opts *o)
{
	int fd = open(o->cdev, O_RDWR);
	void *p;

	if (geteuid() == 0)
		die("run this as a non-root user");
	if (fd < 0) {
		if (errno != EACCES && errno != EPERM)
			die("open %s: %s, want EACCES or EPERM", o->cdev, strerror(errno));
		printf("uid %d: open %s refused: %s: verified\n", (int)geteuid(), o->cdev, strerror(errno));
		return 0;
	}
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED)
		die("uid %d could mmap %s", (int)geteuid(), o->cdev);
	printf("uid %d: mmap %s refused: %s: verified\n", (int)geteuid(), o->cdev, strerror(errno));
	return 0;
}

static void usage(int code) __attribute__((noreturn));
static void usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: %s COMMAND (--sysfs BDF | --cdev /dev/nvmeN) [options]\n"
		"  copy   --disk /dev/nvmeXnY [--size B] [--offset B] [--expect ok|refused]\n"
		"         O_DIRECT both ways between P2P memory and the disk, bytes verified\n"
		"  einval  MAP_PRIVATE and a non-zero offset fail with EINVAL\n"
		"  sigbus  (--cdev) a mapping bigger than the free memory gets SIGBUS\n"
		"  zero   [--size B]  (--cdev) memory another process wrote reads as zeros\n"
		"  race   [--size B] [--threads N] [--iterations N]  (--cdev) concurrent\n"
		"         first faults allocate once; available returns\n"
		"  hold   [--size B]  (--cdev) print \"ready\", on SIGUSR1 expect SIGBUS\n"
		"  occupy [--size B] [--maps N]  hold N touched mappings until SIGUSR1\n"
		"         or SIGTERM\n"
		"  denied  (--cdev, as non-root) open or mmap is refused\n",
		prog);
	exit(code);
}

static long number(const char *s, const char *what)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno || *end || v < 0 || v > LONG_MAX) {
		fprintf(stderr, "%s: bad %s '%s'\n", prog, what, s);
		exit(2);
	}
	return (long)v;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "sysfs", required_argument, NULL, 's' },
		{ "cdev", required_argument, NULL, 'c' },
		{ "disk", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 'z' },
		{ "offset", required_argument, NULL, 'o' },
		{ "expect", required_argument, NULL, 'e' },
		{ "threads", required_argument, NULL, 't' },
		{ "iterations", required_argument, NULL, 'i' },
		{ "maps", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	static const struct {
		const char *name;
		int (*fn)(const struct opts *o);
		int cdev_only;
	} cmds[] = {
		{ "copy", cmd_copy, 0 }, { "einval", cmd_einval, 0 },
		{ "sigbus", cmd_sigbus, 1 }, { "zero", cmd_zero, 1 },
		{ "race", cmd_race, 1 }, { "hold", cmd_hold, 1 },
		{ "denied", cmd_denied, 1 }, { "occupy", cmd_occupy, 0 },
	};
	struct opts o = { .expect = "ok", .size = 1 << 20, .threads = 8, .iterations = 1000,
			  .maps = 1 };
	const char *cmd;
	int c;

	if (argc < 2)
		usage(2);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		usage(0);
	cmd = argv[1];
	argc--, argv++;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 's': o.bdf = optarg; break;
		case 'c': o.cdev = optarg; break;
		case 'd': o.disk = optarg; break;
		case 'z': o.size = number(optarg, "size"); break;
		case 'o': o.off = number(optarg, "offset"); break;
		case 'e': o.expect = optarg; break;
		case 't': o.threads = number(optarg, "thread count"); break;
		case 'i': o.iterations = number(optarg, "iteration count"); break;
		case 'm': o.maps = number(optarg, "mapping count"); break;
		case 'h': usage(0);
		default: usage(2);
		}
	}
	if (optind != argc || !!o.bdf == !!o.cdev || !o.size || o.size % 4096 ||
	    o.off % 4096 || o.threads < 1 || (strcmp(o.expect, "ok") && strcmp(o.expect, "refused")))
		usage(2);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(cmd, cmds[i].name))
			continue;
		if (cmds[i].cdev_only && !o.cdev)
			usage(2);
		if (!strcmp(cmd, "copy") && !o.disk)
			usage(2);
		if (cmds[i].fn(&o))
			return 1;
		printf("PASS\n");
		return 0;
	}
	fprintf(stderr, "%s: unknown command '%s'\n", prog, cmd);
	usage(2);
}
