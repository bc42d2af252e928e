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
#include <linux/aio_abi.h>
#include <linux/fs.h>
#include <linux/nvme_ioctl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
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

/*
 * The pool's free bytes, which must already be WANT: memory goes back to the
 * pool when munmap() or exit (waitpid()) returns, so nothing here waits for
 * it. (An earlier kernel returned it after an RCU grace period, and this
 * program polled for it, which hid that a quick re-map got SIGBUS.)
 */
static void expect_available(const char *bdf, long want, const char *when)
{
	long now = available(bdf);

	if (now != want)
		die("available is %ld %s, expected %ld", now, when, want);
}

struct opts {
	const char *bdf, *cdev, *disk, *expect;
	size_t size;
	off_t off;
	int threads, iterations, maps, depth, child, until_error;
	double duration;
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
	expect_available(bdf, avail0, "right after munmap");
	close(bfd);
	printf("available back to %ld when munmap returned\n", avail0);
	close(fd);
	free(host);
	free(want);
	return 0;
}

/* einval: MAP_PRIVATE and a non-zero offset are refused with EINVAL. */
/*
 * afterrefusal: a read into P2P memory that the kernel refuses, then, in the
 * same process, a read the drive itself fails: an NVMe passthrough read of
 * host memory starting one block past the namespace's end (LBA Out of
 * Range). The block layer's own bounds check would stop an O_DIRECT read
 * before it became a request; passthrough reaches the drive and completes
 * with an error, like any failing non-P2P request. Only the first is P2P.
 */
static int cmd_afterrefusal(const struct opts *o)
{
	struct nvme_passthru_cmd cmd = { .opcode = 0x02 };	/* Read */
	unsigned long long bytes, slba;
	int fd, bfd, lbs, nsid, status;
	void *p2p, *host;

	bfd = open_p2p(o);
	p2p = map_p2p(bfd, o->size);
	memset(p2p, 0x5a, o->size);	/* the cdev allocates at the first fault */
	fd = open(o->disk, O_RDWR | O_DIRECT);
	if (fd < 0)
		die("open %s: %s", o->disk, strerror(errno));
	errno = 0;
	if (pread(fd, p2p, o->size, 0) >= 0)
		die("read %s into P2P memory succeeded: pick a pair the kernel refuses", o->disk);
	if (!refused(errno))
		die("read %s into P2P memory: %s, want a refusal", o->disk, strerror(errno));
	printf("read %zu bytes into P2P memory refused: %s\n", o->size, strerror(errno));

	nsid = ioctl(fd, NVME_IOCTL_ID);
	if (nsid <= 0)
		die("NVME_IOCTL_ID %s: %s", o->disk, strerror(errno));
	if (ioctl(fd, BLKGETSIZE64, &bytes) || ioctl(fd, BLKSSZGET, &lbs) || lbs <= 0)
		die("size of %s: %s", o->disk, strerror(errno));
	if (posix_memalign(&host, 4096, 4096))
		die("out of memory");
	slba = bytes / lbs;
	cmd.nsid = nsid;
	cmd.addr = (uintptr_t)host;
	cmd.data_len = 4096;
	cmd.cdw10 = (uint32_t)slba;
	cmd.cdw11 = (uint32_t)(slba >> 32);
	cmd.cdw12 = 4096 / lbs - 1;	/* number of blocks, 0-based */
	status = ioctl(fd, NVME_IOCTL_IO_CMD, &cmd);
	if (status < 0)
		die("passthrough read at LBA %llu: %s", slba, strerror(errno));
	if ((status & 0x7ff) != 0x80)	/* generic status: LBA Out of Range */
		die("passthrough read at LBA %llu: NVMe status %#x, want LBA Out of Range (0x80)",
		    slba, status);
	printf("passthrough read of host memory at LBA %llu failed: NVMe status %#x (LBA Out of Range)\n",
	       slba, status);
	free(host);
	close(fd);
	munmap(p2p, o->size);
	close(bfd);
	return 0;
}

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
	expect_available(bdf, avail0, "after the SIGBUS");
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
	expect_available(bdf, avail0, "when waitpid() returned for the writer");

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
		/* the last mapping's pages are back since its munmap() */
		if (available(bdf) != avail0)
			die("iteration %d: available is %ld right after munmap, expected %ld",
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
	expect_available(bdf, avail0, "at the end");
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

/* Print a step and wait for SIGUSR1 before the next one. */
static void step(const char *what, const sigset_t *old)
{
	printf("step %s\n", what);
	fflush(stdout);
	released = 0;
	while (!released)
		sigsuspend(old);
}

/*
 * lifetime: the life of one mapping of SIZE bytes, a step at each SIGUSR1:
 * "mapped" (touched), "half" (its second half unmapped), "forked PID" (a
 * child inherits the first half), "unmapped" (the parent unmaps it, the
 * child still holds it), "childgone" (the child exited), then exit.
 */
static int cmd_lifetime(const struct opts *o)
{
	int fd = open_p2p(o), status;
	sigset_t mask, old;
	char *p, v = 1, what[64];
	pid_t child;

	signal(SIGUSR1, on_release);
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, &old);
	p = map_p2p(fd, o->size);
	for (size_t off = 0; off < o->size; off += 4096)
		if (fetch_sigbus(p + off, &v, 1))
			die("the mapping got SIGBUS at %zu", off);
	step("mapped", &old);
	if (munmap(p + o->size / 2, o->size / 2))
		die("munmap of the second half: %s", strerror(errno));
	step("half", &old);
	released = 0;	/* the child waits for a SIGUSR1 of its own */
	child = fork();
	if (child < 0)
		die("fork: %s", strerror(errno));
	if (child == 0) {
		while (!released)
			sigsuspend(&old);
		_exit(p[0] == 1 ? 0 : 3);
	}
	snprintf(what, sizeof(what), "forked %d", (int)child);
	step(what, &old);
	if (munmap(p, o->size / 2))
		die("munmap: %s", strerror(errno));
	close(fd);
	step("unmapped", &old);
	kill(child, SIGUSR1);
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
		die("the child failed (status %d)", status);
	step("childgone", &old);
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

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Touch the first and the last page of a fresh mapping of SIZE bytes: both
 * must read as zero (the memory was cleared) and keep what is written.
 * Returns 0, or 1 if a touch raised SIGBUS.
 */
static int touch_fresh(char *p, size_t size, char mark, const char *what)
{
	size_t offs[2] = { 0, size - 4096 };

	for (int i = 0; i < 2; i++) {
		char v = 0;

		if (fetch_sigbus(p + offs[i], &v, 0))
			return 1;
		if (v != 0)
			die("%s: byte %zu of a fresh mapping reads %#x, not zero", what, offs[i], v & 0xff);
		v = mark;
		if (fetch_sigbus(p + offs[i], &v, 1))
			return 1;
		if (((volatile char *)p)[offs[i]] != mark)
			die("%s: byte %zu does not keep what was written", what, offs[i]);
	}
	return 0;
}

/*
 * remap: ITERATIONS rounds of: map the whole free pool and touch it, munmap
 * it, and at once map and touch the whole pool again. With --child, a child
 * process maps and touches the pool and exits, and the parent maps and
 * touches it as soon as waitpid() returns. Memory must be back in the pool
 * when munmap() or waitpid() returns: a late return shows as SIGBUS.
 */
static int cmd_remap(const struct opts *o)
{
	const char *bdf = cdev_bdf(o->cdev);
	long avail0 = available(bdf);
	size_t size = (size_t)avail0 & ~(size_t)4095;
	const char *after = o->child ? "waitpid() returned for a child that held it" :
				       "munmap() of the previous mapping";
	int fd = open_p2p(o);
	char what[64];

	if (size < 8192)
		die("only %ld bytes free", avail0);
	for (int i = 0; i < o->iterations; i++) {
		char *p;

		snprintf(what, sizeof(what), "round %d", i);
		if (o->child) {
			int status;
			pid_t pid = fork();

			if (pid < 0)
				die("fork: %s", strerror(errno));
			if (pid == 0) {
				p = map_p2p(fd, size);
				_exit(touch_fresh(p, size, 1, what) ? 3 : 0);
			}
			if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
			    WEXITSTATUS(status))
				die("%s: the child that held the pool failed (status %#x%s)", what,
				    status, WIFEXITED(status) && WEXITSTATUS(status) == 3 ?
				    ": SIGBUS" : "");
		} else {
			p = map_p2p(fd, size);
			if (touch_fresh(p, size, 1, what))
				die("%s: the first touch of the pool raised SIGBUS (available %ld of %ld)",
				    what, available(bdf), avail0);
			if (munmap(p, size))
				die("munmap: %s", strerror(errno));
		}
		/* at once: no wait, no poll */
		p = map_p2p(fd, size);
		if (touch_fresh(p, size, 2, what))
			die("%s: touching the whole pool right after %s raised SIGBUS: its memory was not back (available now %ld of %ld)",
			    what, after, available(bdf), avail0);
		if (munmap(p, size))
			die("munmap: %s", strerror(errno));
		expect_available(bdf, avail0, "right after munmap");
	}
	printf("%d rounds: the whole pool (%zu bytes) mapped and touched right after %s: verified\n",
	       o->iterations, size, after);
	close(fd);
	return 0;
}

/*
 * cachemode: map SIZE bytes, touch every page, and find the mapping in the
 * kernel's dump of this process's page tables: every pte of it must be
 * uncached (PCD set), as the kernel's own mapping of the BAR is, never
 * write-back.
 */
static int cmd_cachemode(const struct opts *o)
{
	static const char dump[] = "/sys/kernel/debug/page_tables/current_user";
	int fd = open_p2p(o);
	char *p = map_p2p(fd, o->size), line[512];
	unsigned long start = (unsigned long)p, end = start + o->size, covered = 0;
	FILE *f;

	for (size_t off = 0; off < o->size; off += 4096) {
		char v = 1;

		if (fetch_sigbus(p + off, &v, 1))
			die("touching byte %zu raised SIGBUS", off);
	}
	f = fopen(dump, "r");
	if (!f)
		die("open %s: %s (needs CONFIG_PTDUMP_DEBUGFS and debugfs)", dump, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long a, b;

		if (sscanf(line, "0x%lx-0x%lx", &a, &b) != 2 || b <= start || a >= end)
			continue;
		line[strcspn(line, "\n")] = 0;
		printf("%s\n", line);
		if (!strstr(line, " USR "))
			die("part of the mapping is not a present user mapping: %s", line);
		if (!strstr(line, " PCD "))
			die("the CMB mapping is write-back cached (no PCD): %s", line);
		covered += (b < end ? b : end) - (a > start ? a : start);
	}
	fclose(f);
	if (covered != o->size)
		die("%s shows %lu of the %zu mapped bytes", dump, covered, o->size);
	printf("all %zu bytes of the mapping are uncached (PCD): verified\n", o->size);
	munmap(p, o->size);
	close(fd);
	return 0;
}

/*
 * rdonly: a read-only open cannot take P2P memory: mmap() of it is refused
 * with EACCES and available does not change. A read-only mapping of a
 * writable open still works.
 */
static int cmd_rdonly(const struct opts *o)
{
	const char *bdf = cdev_bdf(o->cdev);
	long avail0 = available(bdf);
	int fd = open(o->cdev, O_RDONLY);
	char *p, v = 1;

	if (fd < 0)
		die("open %s read-only: %s", o->cdev, strerror(errno));
	p = mmap(NULL, o->size, PROT_READ, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED) {
		int bus = fetch_sigbus(p, &v, 0);
		long now = available(bdf);

		munmap(p, o->size);
		die("O_RDONLY + PROT_READ mmap succeeded (want EACCES); touching it %s, available %ld -> %ld",
		    bus ? "raised SIGBUS" : "worked", avail0, now);
	}
	if (errno != EACCES)
		die("O_RDONLY + PROT_READ mmap: %s, want EACCES", strerror(errno));
	expect_available(bdf, avail0, "after the refused mapping");
	printf("O_RDONLY open: mmap refused with EACCES, available unchanged: verified\n");
	close(fd);

	fd = open_p2p(o);
	p = mmap(NULL, o->size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("O_RDWR + PROT_READ mmap: %s", strerror(errno));
	if (fetch_sigbus(p, &v, 0) || v != 0)
		die("a read-only mapping of a writable open does not read zeros");
	expect_available(bdf, avail0 - (long)o->size, "after touching a read-only mapping");
	munmap(p, o->size);
	expect_available(bdf, avail0, "after munmap");
	printf("O_RDWR open: a PROT_READ mapping reads zeros: verified\n");
	close(fd);
	return 0;
}

/*
 * madvise: MADV_DONTNEED, MADV_REMOVE, MADV_DONTFORK and MADV_DOFORK on a
 * filled mapping. Each either fails cleanly or does what it says; the
 * mapping keeps its bytes and its memory, nothing is allocated twice, and
 * all of it is back in the pool after munmap.
 */
static int cmd_madvise(const struct opts *o)
{
	const char *bdf = cdev_bdf(o->cdev);
	long avail0 = available(bdf), held = avail0 - (long)o->size;
	int fd = open_p2p(o), status;
	char *p = map_p2p(fd, o->size), *want;
	uint64_t pfn;
	long at;
	pid_t pid;

	if (posix_memalign((void **)&want, 4096, o->size))
		die("out of memory");
	fill(p, o->size, 5);
	fill(want, o->size, 5);
	pfn = pfn_of(p);
	expect_available(bdf, held, "after filling the mapping");

	/* MADV_DONTNEED drops the ptes; the memory stays the mapping's own */
	if (madvise(p, o->size, MADV_DONTNEED))
		die("MADV_DONTNEED: %s", strerror(errno));
	expect_available(bdf, held, "after MADV_DONTNEED");
	at = mismatch(p, want, o->size);
	if (at >= 0)
		die("after MADV_DONTNEED the mapping differs at byte %ld", at);
	if (pfn_of(p) != pfn)
		die("after MADV_DONTNEED the mapping refaulted other memory");
	printf("MADV_DONTNEED: succeeded, same memory and bytes after refault, nothing allocated: verified\n");

	/* MADV_REMOVE would punch a hole: there is no file to punch */
	if (madvise(p, o->size, MADV_REMOVE) == 0)
		die("MADV_REMOVE succeeded on a CMB mapping");
	if (errno != ENODEV && errno != EOPNOTSUPP && errno != EINVAL)
		die("MADV_REMOVE: %s, want a clean ENODEV, EOPNOTSUPP or EINVAL", strerror(errno));
	printf("MADV_REMOVE: refused with %s\n", strerror(errno));
	expect_available(bdf, held, "after MADV_REMOVE");
	if ((at = mismatch(p, want, o->size)) >= 0)
		die("after MADV_REMOVE the mapping differs at byte %ld", at);
	printf("MADV_REMOVE: bytes and memory unchanged: verified\n");

	/* MADV_DONTFORK: a child does not get the mapping */
	if (madvise(p, o->size, MADV_DONTFORK))
		die("MADV_DONTFORK: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		unsigned char vec;

		if (mincore(p, 4096, &vec) == 0 || errno != ENOMEM)
			_exit(3);
		_exit(available(bdf) == held ? 0 : 4);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		die("MADV_DONTFORK: the child %s", WIFEXITED(status) && WEXITSTATUS(status) == 3 ?
		    "still had the mapping" : "saw another allocation, or failed");
	expect_available(bdf, held, "after the child of MADV_DONTFORK exited");
	if ((at = mismatch(p, want, o->size)) >= 0)
		die("after the child of MADV_DONTFORK exited the mapping differs at byte %ld", at);
	printf("MADV_DONTFORK: the child had no mapping; its exit freed nothing: verified\n");

	/* MADV_DOFORK: the child shares the same memory */
	if (madvise(p, o->size, MADV_DOFORK))
		die("MADV_DOFORK: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		if (mismatch(p, want, o->size) >= 0 || pfn_of(p) != pfn)
			_exit(3);
		p[o->size - 1] = 0x7e;
		_exit(available(bdf) == held ? 0 : 4);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		die("MADV_DOFORK: the child %s", WIFEXITED(status) && WEXITSTATUS(status) == 3 ?
		    "saw other memory" : "saw another allocation, or failed");
	if (((volatile char *)p)[o->size - 1] != 0x7e)
		die("MADV_DOFORK: the child's write is not in the shared memory");
	expect_available(bdf, held, "after the child of MADV_DOFORK exited");
	printf("MADV_DOFORK: the child shared the memory; its exit freed nothing: verified\n");

	munmap(p, o->size);
	expect_available(bdf, avail0, "after munmap");
	printf("available back to %ld after munmap: verified\n", avail0);
	free(want);
	close(fd);
	return 0;
}

/*
 * vmread: process_vm_readv() from another process's CMB mapping gives the
 * right bytes or fails cleanly, and allocates nothing of its own. Reading a
 * mapping its owner never touched faults it in for the owner, as a touch
 * would; the owner's exit returns everything.
 */
static int cmd_vmread(const struct opts *o)
{
	const char *bdf = cdev_bdf(o->cdev);
	long avail0 = available(bdf);
	int to_parent[2], to_child[2], status;
	char *addr[2], *buf, *want, *zero;
	ssize_t n;
	pid_t pid;

	if (pipe(to_parent) || pipe(to_child))
		die("pipe: %s", strerror(errno));
	zero = calloc(1, o->size);
	if (!zero || posix_memalign((void **)&buf, 4096, o->size) ||
	    posix_memalign((void **)&want, 4096, o->size))
		die("out of memory");
	fill(want, o->size, 6);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open_p2p(o);
		char c;

		addr[0] = map_p2p(fd, o->size);
		fill(addr[0], o->size, 6);
		addr[1] = map_p2p(fd, o->size);	/* never touched by its owner */
		if (write(to_parent[1], addr, sizeof(addr)) != sizeof(addr))
			_exit(1);
		/* wait until the parent is done */
		_exit(read(to_child[0], &c, 1) == 1 ? 0 : 1);
	}
	if (read(to_parent[0], addr, sizeof(addr)) != sizeof(addr))
		die("the child did not set up its mappings");
	expect_available(bdf, avail0 - (long)o->size, "with the child's filled mapping");

	for (int i = 0; i < 2; i++) {
		const char *what = i ? "a mapping its owner never touched" : "a filled mapping";
		struct iovec local = { buf, o->size }, remote = { addr[i], o->size };
		long before = available(bdf), after;

		memset(buf, 0x5a, o->size);
		errno = 0;
		n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
		after = available(bdf);
		if (n < 0) {
			if (errno != EFAULT && errno != EREMOTEIO && errno != EIO)
				die("process_vm_readv of %s: %s, want bytes or a clean EFAULT/EREMOTEIO",
				    what, strerror(errno));
			printf("process_vm_readv of %s: refused with %s\n", what, strerror(errno));
		} else {
			long at = mismatch(buf, i ? zero : want, (size_t)n);

			if (at >= 0)
				die("process_vm_readv of %s gave wrong bytes at %ld", what, at);
			printf("process_vm_readv of %s: %zd bytes, right bytes\n", what, n);
		}
		/* a never-touched mapping may get its memory, for its owner */
		if (after != before && !(i == 1 && after == before - (long)o->size))
			die("process_vm_readv of %s moved available %ld -> %ld", what, before, after);
		if (after != before)
			printf("process_vm_readv of %s faulted in its %zu bytes for the owner\n",
			       what, o->size);
	}
	if (write(to_child[1], "x", 1) != 1 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status))
		die("the child failed");
	expect_available(bdf, avail0, "when waitpid() returned for the child");
	printf("available back to %ld: verified\n", avail0);
	free(buf);
	free(want);
	free(zero);
	return 0;
}

/*
 * Free bytes of the pool without allocating anything (so without malloc(),
 * which can take the mmap lock): pread() of one open sysfs file.
 */
static int avail_open(const char *bdf)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/p2pmem/available", bdf);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	return fd;
}

static long avail_read(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		die("read available: %s", n ? strerror(errno) : "empty");
	buf[n] = 0;
	return strtol(buf, NULL, 10);
}

struct toucher {
	char *p;
	volatile int *done;
};

static void *touch_thread(void *arg)
{
	struct toucher *t = arg;

	*(volatile char *)t->p = 1;
	__atomic_add_fetch(t->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * killfault: a child maps SIZE bytes and THREADS threads first-touch it at
 * once. As soon as its memory is allocated (available drops), while the
 * kernel still clears it and before any touch returns, the parent sends
 * SIGKILL. The child must be gone within 5 s, and its memory back in the
 * pool when waitpid() returns.
 */
static int cmd_killfault(const struct opts *o)
{
	const char *bdf = cdev_bdf(o->cdev);
	long avail0 = available(bdf);
	int afd = avail_open(bdf);
	volatile int *done = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (done == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	for (int attempt = 1; attempt <= 5; attempt++) {
		double t0, t_kill, t_gone = 0;
		int status, alloc_seen = 0, waited;
		pid_t pid;

		*done = 0;
		pid = fork();
		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (pid == 0) {
			int fd = open_p2p(o);
			char *p = map_p2p(fd, o->size);
			pthread_t *tid = calloc(o->threads, sizeof(*tid));
			struct toucher *t = calloc(o->threads, sizeof(*t));

			for (int i = 0; i < o->threads; i++) {
				t[i] = (struct toucher){ p + (o->size / o->threads) * i, done };
				if (pthread_create(&tid[i], NULL, touch_thread, &t[i]))
					_exit(2);
			}
			for (int i = 0; i < o->threads; i++)
				pthread_join(tid[i], NULL);
			_exit(0);
		}
		t0 = now_s();
		while (now_s() - t0 < 10 && !*done) {
			if (avail_read(afd) != avail0) {
				alloc_seen = 1;
				break;
			}
			usleep(200);
		}
		kill(pid, SIGKILL);
		t_kill = now_s();
		/* a process stuck in the kernel never goes: give up after 30 s */
		for (waited = 0; waited < 30000; waited++) {
			pid_t r = waitpid(pid, &status, WNOHANG);

			if (r == pid) {
				t_gone = now_s();
				break;
			}
			if (r < 0)
				die("waitpid: %s", strerror(errno));
			usleep(1000);
		}
		if (!t_gone)
			die("the child was still there 30 s after SIGKILL");
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
			die("the child ended with status %#x, not by SIGKILL", status);
		if (!alloc_seen || *done) {
			printf("attempt %d: SIGKILL came %s: trying again\n", attempt,
			       alloc_seen ? "after a touch had returned" : "before the allocation");
			expect_available(bdf, avail0, "when waitpid() returned");
			continue;
		}
		printf("attempt %d: SIGKILL %.0f ms after the first touches began, mid-fault (no touch had returned)\n",
		       attempt, (t_kill - t0) * 1000);
		if (t_gone - t_kill > 5)
			die("the child took %.1f s to die after SIGKILL (limit 5 s)", t_gone - t_kill);
		printf("the child was gone %.0f ms after SIGKILL: verified\n", (t_gone - t_kill) * 1000);
		expect_available(bdf, avail0, "when waitpid() returned for the killed child");
		printf("available back to %ld: nothing leaked: verified\n", avail0);
		return 0;
	}
	die("in 5 attempts SIGKILL never landed while %d threads were first-touching %zu bytes",
	    o->threads, o->size);
}

/*
 * stall: while one thread first-touches a fresh SIZE-byte mapping and the
 * kernel clears its memory, another thread of the same process maps, touches
 * and unmaps anonymous memory. That must finish before the first touch does:
 * clearing CMB memory must not hold the process's mmap lock.
 */
static int cmd_stall(const struct opts *o)
{
	const char *bdf = cdev_bdf(o->cdev);
	long avail0 = available(bdf);
	int fd = open_p2p(o), afd = avail_open(bdf);

	for (int attempt = 1; attempt <= 5; attempt++) {
		volatile int done = 0;
		struct toucher t;
		pthread_t tid;
		double t0, t1, t2 = 0;
		char *p = map_p2p(fd, o->size), *q;
		int seen = 0;

		t = (struct toucher){ p, &done };
		t0 = now_s();
		if (pthread_create(&tid, NULL, touch_thread, &t))
			die("pthread_create failed");
		while (!done && now_s() - t0 < 10) {
			if (avail_read(afd) != avail0) {
				seen = 1;
				break;
			}
		}
		if (!seen || done) {
			pthread_join(tid, NULL);
			munmap(p, o->size);
			printf("attempt %d: the first touch %s: trying again\n", attempt,
			       seen ? "was over before the other thread began" :
				      "never allocated");
			continue;
		}
		t1 = now_s();
		q = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (q == MAP_FAILED)
			die("mmap: %s", strerror(errno));
		q[0] = 1;
		q[65535] = 1;
		if (munmap(q, 65536))
			die("munmap: %s", strerror(errno));
		t2 = now_s();
		seen = !done;
		pthread_join(tid, NULL);
		printf("attempt %d: mmap+touch+munmap in another thread took %.1f ms; the first touch took %.0f ms\n",
		       attempt, (t2 - t1) * 1000, (now_s() - t0) * 1000);
		if (!seen)
			die("mmap() in another thread waited for the first touch to clear the CMB (%.0f ms)",
			    (t2 - t1) * 1000);
		printf("another thread's mmap()/munmap() went ahead while the CMB was being cleared: verified\n");
		munmap(p, o->size);
		expect_available(bdf, avail0, "after munmap");
		close(fd);
		return 0;
	}
	die("in 5 attempts the other thread could not start while the first touch cleared %zu bytes",
	    o->size);
}

/*
 * stream: O_DIRECT writes of SIZE-byte chunks from a P2P buffer of DEPTH
 * chunks to DISK, DEPTH of them in flight at once (Linux AIO), for DURATION
 * seconds. Prints "streaming" once I/O completes. Without --until-error, every
 * I/O must succeed and DISK must then hold the buffer's bytes. With
 * --until-error it runs until an I/O fails or the buffer raises SIGBUS (as
 * when the provider is unbound), and succeeds only if that happened, with
 * a clean error, within DURATION seconds.
 */
static long io_setup_(unsigned nr, aio_context_t *ctx) { return syscall(SYS_io_setup, nr, ctx); }
static long io_submit_(aio_context_t ctx, long n, struct iocb **iocbs) { return syscall(SYS_io_submit, ctx, n, iocbs); }
static long io_getevents_(aio_context_t ctx, long min, long max, struct io_event *ev)
{
	struct timespec ts = { 1, 0 };

	return syscall(SYS_io_getevents, ctx, min, max, ev, &ts);
}

static int cmd_stream(const struct opts *o)
{
	int depth = o->depth, fd = open_p2p(o), dfd, inflight = 0, err = 0, printed = 0;
	size_t chunk = o->size, span;
	struct iocb *cbs = calloc(depth, sizeof(*cbs)), **cbp = calloc(depth, sizeof(*cbp));
	struct io_event *ev = calloc(depth, sizeof(*ev));
	unsigned long long done = 0, bytes = 0, slot_off = 0;
	aio_context_t ctx = 0;
	char *buf, *host;
	double t0 = now_s();
	off_t disk_size;
	char v = 0;

	if (!cbs || !cbp || !ev || depth < 1)
		die("bad --depth");
	buf = map_p2p(fd, chunk * depth);
	for (int i = 0; i < depth; i++)
		fill(buf + chunk * i, chunk, 100 + i);
	dfd = open(o->disk, O_RDWR | O_DIRECT);
	if (dfd < 0)
		die("open %s: %s", o->disk, strerror(errno));
	disk_size = lseek(dfd, 0, SEEK_END);
	span = (disk_size / 2 / (chunk * depth)) * (chunk * depth);
	if (span < chunk * depth)
		die("%s is too small", o->disk);
	if (io_setup_(depth, &ctx))
		die("io_setup: %s", strerror(errno));

	for (;;) {
		int free_slots = depth - inflight, n = 0;
		long r;

		if (!err && now_s() - t0 < o->duration) {
			for (int i = 0; i < depth && n < free_slots; i++) {
				if (cbs[i].aio_data)
					continue;
				memset(&cbs[i], 0, sizeof(cbs[i]));
				cbs[i].aio_data = 1;
				cbs[i].aio_lio_opcode = IOCB_CMD_PWRITE;
				cbs[i].aio_fildes = dfd;
				cbs[i].aio_buf = (uintptr_t)(buf + chunk * i);
				cbs[i].aio_nbytes = chunk;
				/* slot i always lands at offset i (mod the buffer) */
				cbs[i].aio_offset = (slot_off + chunk * i) % span;
				cbp[n++] = &cbs[i];
			}
			slot_off = (slot_off + chunk * depth) % span;
			if (n) {
				r = io_submit_(ctx, n, cbp);
				if (r < 0) {
					err = errno;
					printf("io_submit failed: %s\n", strerror(err));
					r = 0;
				}
				for (int i = r; i < n; i++)
					cbp[i]->aio_data = 0;
				inflight += r;
				/* a partial submit: the next one reports the error */
				if (r < n && !err)
					continue;
			}
		}
		if (!inflight)
			break;
		r = io_getevents_(ctx, 1, depth, ev);
		if (r < 0 && errno != EINTR)
			die("io_getevents: %s", strerror(errno));
		for (long i = 0; i < r; i++) {
			struct iocb *cb = (struct iocb *)(uintptr_t)ev[i].obj;

			cb->aio_data = 0;
			inflight--;
			if (ev[i].res != (long long)chunk) {
				if (!err) {
					err = ev[i].res < 0 ? (int)-ev[i].res : EIO;
					printf("an O_DIRECT write from the CMB failed: %s\n",
					       ev[i].res < 0 ? strerror(err) : "short write");
				}
				continue;
			}
			done++;
			bytes += chunk;
		}
		if (!printed && done >= (unsigned long long)depth) {
			printf("streaming\n");
			printed = 1;
		}
	}
	printf("%llu writes of %zu bytes at depth %d in %.1f s\n", done, chunk, depth, now_s() - t0);
	if (o->until_error) {
		if (!err && !fetch_sigbus(buf, &v, 0))
			die("no error in %.0f s of streaming", o->duration);
		printf("the stream ended with %s: verified\n", err ? strerror(err) : "SIGBUS");
		return 0;
	}
	if (err)
		die("an I/O failed: %s", strerror(err));
	/* every slot's last write is in the disk's first span: check one pass */
	if (posix_memalign((void **)&host, 4096, chunk))
		die("out of memory");
	for (int i = 0; i < depth; i++) {
		char *want = malloc(chunk);

		fill(want, chunk, 100 + i);
		xfer(0, dfd, host, chunk, (off_t)chunk * i, "read back");
		if (memcmp(host, want, chunk))
			die("%s does not hold slot %d's bytes", o->disk, i);
		free(want);
	}
	printf("%s holds the bytes streamed from the CMB: verified\n", o->disk);
	return 0;
}

/*
 * storm: PROCS processes each map SIZE bytes, touch them and either munmap
 * or exit with the mapping held, in a loop, for DURATION seconds. Prints
 * "storming" once under way. Without --until-error every round must work;
 * with it, the storm ends at the first clean failure (mmap ENODEV or an
 * open error after an unbind, or SIGBUS), which must happen in time.
 */
static int storm_round(const struct opts *o, int fd, int round)
{
	char *p, v = 1;

	p = mmap(NULL, o->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return errno == ENODEV || errno == ENXIO ? 2 : 1;
	if (fetch_sigbus(p, &v, 1) || fetch_sigbus(p + o->size - 1, &v, 1))
		return 2;
	if (round & 1)
		_exit(0);	/* exit with the mapping held */
	return munmap(p, o->size) ? 1 : 0;
}

static int cmd_storm(const struct opts *o)
{
	double t0 = now_s();
	int rounds = 0, clean_end = 0, fd = open_p2p(o);

	for (;;) {
		int status = 0, rc;
		pid_t pid;

		if (now_s() - t0 > o->duration)
			break;
		pid = fork();
		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (pid == 0) {
			for (int i = 0; i < 4; i++) {
				rc = storm_round(o, fd, i);
				if (rc)
					_exit(rc + 10);
			}
			_exit(0);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
			die("a storm child died: status %#x", status);
		rc = WEXITSTATUS(status);
		if (rc == 12) {
			clean_end = 1;
			break;
		}
		if (rc)
			die("a storm round failed (code %d)", rc);
		if (++rounds == 4)
			printf("storming\n");
	}
	printf("%d storm rounds of 4 mappings of %zu bytes in %.1f s\n", rounds, o->size, now_s() - t0);
	if (o->until_error) {
		if (!clean_end)
			die("the storm saw no unbind in %.0f s", o->duration);
		printf("the storm ended with a clean mmap error or SIGBUS: verified\n");
	} else if (clean_end) {
		die("a storm round failed with ENODEV or SIGBUS");
	}
	close(fd);
	return 0;
}

/*
 * failnth: for N = 1, 2, ..., fail the Nth allocation of this thread
 * (/proc/thread-self/fail-nth, CONFIG_FAULT_INJECTION) while mapping SIZE
 * bytes across a page-table boundary and touching them (sysfs: the mmap()
 * allocates and maps; cdev: the first touch does), until a round runs with no
 * failure injected. Every round must end cleanly (success, an errno from
 * mmap(), or SIGBUS on touch) and give every byte back.
 */
static int cmd_failnth(const struct opts *o)
{
	const char *bdf = o->bdf ? o->bdf : cdev_bdf(o->cdev);
	long avail0 = available(bdf);
	int fd = open_p2p(o), nth, injected = 0, outcomes[4] = { 0 };
	unsigned long boundary;
	char *res;

	/* an empty 4 MiB area: the mapping straddles a 2 MiB boundary in it */
	res = mmap(NULL, 4 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	boundary = ((unsigned long)res + (2 << 20)) & ~((2UL << 20) - 1);
	munmap(res, 4 << 20);

	for (nth = 1; nth < 1000; nth++) {
		char path[64], buf[16], *p;
		int ffd, outcome = 0, left, merr = 0;
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/thread-self/fail-nth");
		ffd = open(path, O_RDWR);
		if (ffd < 0)
			die("open %s: %s (needs CONFIG_FAULT_INJECTION)", path, strerror(errno));
		n = snprintf(buf, sizeof(buf), "%d", nth);
		/* nothing between arming and the calls under test */
		if (write(ffd, buf, n) != n)
			die("write %s: %s", path, strerror(errno));
		p = mmap((void *)(boundary - o->size / 2), o->size, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
		if (p == MAP_FAILED) {
			merr = errno;
			outcome = 1;
		} else {
			char v = 1;

			if (fetch_sigbus(p, &v, 1) || fetch_sigbus(p + o->size - 1, &v, 1))
				outcome = 2;
		}
		n = pread(ffd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			die("read %s", path);
		buf[n] = 0;
		left = atoi(buf);
		if (write(ffd, "0", 1) != 1)
			die("disarm %s: %s", path, strerror(errno));
		close(ffd);
		if (outcome == 1 && merr != ENOMEM && merr != EAGAIN)
			die("N=%d: mmap failed with %s, not a clean ENOMEM", nth, strerror(merr));
		if (p != MAP_FAILED) {
			if (p != (void *)(boundary - o->size / 2))
				die("N=%d: the mapping is not where it was asked to be", nth);
			munmap(p, o->size);
		}
		expect_available(bdf, avail0, "after a round with a failed allocation");
		if (left > 0) {
			/* no allocation failed: the path is done */
			if (outcome)
				die("N=%d: no failure was injected, yet the mapping failed", nth);
			outcomes[3]++;
			break;
		}
		injected++;
		outcomes[outcome]++;
	}
	if (nth == 1000)
		die("a failure was injected at every one of 1000 allocations");
	printf("%d allocations failed one at a time: %d mapped (the kernel retried), %d mmap() failed cleanly, %d SIGBUS; available back to %ld each time: verified\n",
	       injected, outcomes[0], outcomes[1], outcomes[2], avail0);
	close(fd);
	return 0;
}

/*
 * iovcopy: one O_DIRECT preadv() and one pwritev() of SIZE bytes between DISK
 * and a buffer made of two CMB mappings of SIZE/2 with a page of CMB between
 * them, so the request has two DMA segments. With --expect ok the bytes are
 * verified both ways; with refused both calls must fail with EREMOTEIO (or
 * EINVAL) and the disk keep its bytes.
 */
static int cmd_iovcopy(const struct opts *o)
{
	const char *bdf = cdev_bdf(o->cdev);
	long avail0 = available(bdf);
	size_t half = o->size / 2;
	int ok = !strcmp(o->expect, "ok"), fd = open_p2p(o), dfd;
	char *a = map_p2p(fd, half), *gap = map_p2p(fd, 4096), *b = map_p2p(fd, half);
	struct iovec iov[2] = { { a, half }, { b, half } };
	char *want, *host;
	ssize_t n;

	if (half % 4096)
		die("--size must be a multiple of 8192");
	/* first touches in this order lay them out a, gap, b in the CMB */
	(void)*(volatile char *)a;
	(void)*(volatile char *)gap;
	(void)*(volatile char *)b;
	if (pfn_of(b) == pfn_of(a) + half / 4096)
		die("the two halves are contiguous in the CMB");
	dfd = open(o->disk, O_RDWR | O_DIRECT);
	if (dfd < 0)
		die("open %s: %s", o->disk, strerror(errno));
	if (posix_memalign((void **)&want, 4096, o->size) ||
	    posix_memalign((void **)&host, 4096, o->size))
		die("out of memory");
	fill(want, o->size, 7);
	xfer(1, dfd, want, o->size, o->off, "seed write from host memory");

	errno = 0;
	n = preadv(dfd, iov, 2, o->off);
	if (ok) {
		if (n != (ssize_t)o->size)
			die("preadv into two CMB mappings: %s", n < 0 ? strerror(errno) : "short read");
		if (mismatch(a, want, half) >= 0 || mismatch(b, want + half, half) >= 0)
			die("the CMB mappings differ from the disk after preadv");
		printf("preadv of %zu bytes into two CMB mappings: verified\n", o->size);
	} else {
		if (n >= 0 || !refused(errno))
			die("preadv into two CMB mappings: got %s, want EREMOTEIO",
			    n >= 0 ? "success" : strerror(errno));
		printf("preadv of %zu bytes into two CMB mappings refused: %s\n", o->size,
		       strerror(errno));
	}

	fill(a, half, 8);
	fill(b, half, 9);
	errno = 0;
	n = pwritev(dfd, iov, 2, o->off);
	if (ok) {
		if (n != (ssize_t)o->size)
			die("pwritev from two CMB mappings: %s", n < 0 ? strerror(errno) : "short write");
		fill(want, half, 8);
		fill(want + half, half, 9);
	} else if (n >= 0 || !refused(errno)) {
		die("pwritev from two CMB mappings: got %s, want EREMOTEIO",
		    n >= 0 ? "success" : strerror(errno));
	}
	xfer(0, dfd, host, o->size, o->off, "read back into host memory");
	if (mismatch(host, want, o->size) >= 0)
		die("%s holds the wrong bytes after the %s pwritev", o->disk, ok ? "P2P" : "refused");
	printf("pwritev of %zu bytes from two CMB mappings %s: verified\n", o->size,
	       ok ? "written" : "refused, disk unchanged");
	munmap(a, half);
	munmap(gap, 4096);
	munmap(b, half);
	expect_available(bdf, avail0, "after munmap");
	free(want);
	free(host);
	close(dfd);
	close(fd);
	return 0;
}

static void usage(int code) __attribute__((noreturn));
static void usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: %s COMMAND (--sysfs BDF | --cdev /dev/nvmeN) [options]\n"
		"  copy   --disk /dev/nvmeXnY [--size B] [--offset B] [--expect ok|refused]\n"
		"         O_DIRECT both ways between P2P memory and the disk, bytes verified\n"
		"  afterrefusal --disk /dev/nvmeXnY [--size B]  a refused read into P2P\n"
		"         memory, then a passthrough read past the disk's end (non-P2P) fails\n"
		"  einval  MAP_PRIVATE and a non-zero offset fail with EINVAL\n"
		"  sigbus  (--cdev) a mapping bigger than the free memory gets SIGBUS\n"
		"  zero   [--size B]  (--cdev) memory another process wrote reads as zeros\n"
		"  race   [--size B] [--threads N] [--iterations N]  (--cdev) concurrent\n"
		"         first faults allocate once; available returns\n"
		"  hold   [--size B]  (--cdev) print \"ready\", on SIGUSR1 expect SIGBUS\n"
		"  occupy [--size B] [--maps N]  hold N touched mappings until SIGUSR1\n"
		"         or SIGTERM\n"
		"  lifetime [--size B]  map, unmap half, fork, unmap, child exits: a step\n"
		"         per SIGUSR1\n"
		"  denied  (--cdev, as non-root) open or mmap is refused\n"
		"  remap  [--iterations N] [--child]  (--cdev) map and touch the whole pool\n"
		"         right after munmap (or a child's exit): no SIGBUS, no wait\n"
		"  cachemode [--size B]  (--cdev) the user ptes are uncached (PCD)\n"
		"  rdonly [--size B]  (--cdev) a read-only open cannot map (EACCES)\n"
		"  madvise [--size B]  (--cdev) MADV_DONTNEED, _REMOVE, _DONTFORK, _DOFORK\n"
		"  vmread [--size B]  (--cdev) process_vm_readv() of another's mapping\n"
		"  killfault [--size B] [--threads N]  (--cdev) SIGKILL mid first fault\n"
		"  stall  [--size B]  (--cdev) another thread's mmap() is not held up\n"
		"         while a first touch clears the CMB\n"
		"  stream --disk /dev/nvmeXnY [--size B] [--depth N] [--duration S]\n"
		"         [--until-error]  (--cdev) O_DIRECT writes from the CMB at depth N\n"
		"  storm  [--size B] [--duration S] [--until-error]  (--cdev) map, touch,\n"
		"         munmap or exit, in a loop of child processes\n"
		"  iovcopy --disk /dev/nvmeXnY [--size B] [--offset B] [--expect ok|refused]\n"
		"         (--cdev) O_DIRECT preadv/pwritev with two CMB mappings\n"
		"  failnth [--size B]  fail each allocation of a mapping in turn\n"
		"         (CONFIG_FAULT_INJECTION): clean errors, nothing leaked\n",
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
		{ "depth", required_argument, NULL, 'q' },
		{ "duration", required_argument, NULL, 'D' },
		{ "child", no_argument, NULL, 'C' },
		{ "until-error", no_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	static const struct {
		const char *name;
		int (*fn)(const struct opts *o);
		int cdev_only;
	} cmds[] = {
		{ "copy", cmd_copy, 0 }, { "einval", cmd_einval, 0 },
		{ "afterrefusal", cmd_afterrefusal, 0 },
		{ "sigbus", cmd_sigbus, 1 }, { "zero", cmd_zero, 1 },
		{ "race", cmd_race, 1 }, { "hold", cmd_hold, 1 },
		{ "denied", cmd_denied, 1 }, { "occupy", cmd_occupy, 0 },
		{ "remap", cmd_remap, 1 }, { "cachemode", cmd_cachemode, 1 },
		{ "rdonly", cmd_rdonly, 1 }, { "madvise", cmd_madvise, 1 },
		{ "vmread", cmd_vmread, 1 }, { "killfault", cmd_killfault, 1 },
		{ "stall", cmd_stall, 1 }, { "stream", cmd_stream, 1 },
		{ "storm", cmd_storm, 1 }, { "failnth", cmd_failnth, 0 },
		{ "iovcopy", cmd_iovcopy, 1 }, { "lifetime", cmd_lifetime, 0 },
	};
	struct opts o = { .expect = "ok", .size = 1 << 20, .threads = 8, .iterations = 1000,
			  .maps = 1, .depth = 32, .duration = 10 };
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
		case 'q': o.depth = number(optarg, "queue depth"); break;
		case 'D': o.duration = number(optarg, "duration"); break;
		case 'C': o.child = 1; break;
		case 'U': o.until_error = 1; break;
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
		if ((!strcmp(cmd, "copy") || !strcmp(cmd, "stream") ||
		     !strcmp(cmd, "iovcopy") || !strcmp(cmd, "afterrefusal")) && !o.disk)
			usage(2);
		if (cmds[i].fn(&o))
			return 1;
		printf("PASS\n");
		return 0;
	}
	fprintf(stderr, "%s: unknown command '%s'\n", prog, cmd);
	usage(2);
}
