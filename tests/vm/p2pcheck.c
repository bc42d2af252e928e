// SPDX-License-Identifier: GPL-2.0
/*
 * p2pcheck: lab test program for real P2PDMA I/O.
 *
 * copy: get a P2P buffer, O_DIRECT-read a known pattern from DISK into it and
 * O_DIRECT-write another from it, verifying every byte through host memory.
 * With --expect refused, both directions must fail with EREMOTEIO (or EINVAL,
 * kernels >= 6.17) and the disk must be left untouched.
 *
 * The buffer comes from the stock sysfs p2pmem/allocate file (--sysfs BDF) or
 * from an mmap of the NVMe char device (--cdev /dev/nvmeN). For sysfs the
 * provider's p2pmem/available must drop by the mapping at mmap time and come
 * back after munmap.
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
#include <sys/mman.h>
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

static void usage(int code) __attribute__((noreturn));
static void usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: %s copy (--sysfs BDF | --cdev /dev/nvmeN) --disk /dev/nvmeXnY\n"
		"                [--size BYTES] [--offset BYTES] [--expect ok|refused]\n",
		prog);
	exit(code);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sysfs", required_argument, NULL, 's' },
		{ "cdev", required_argument, NULL, 'c' },
		{ "disk", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 'z' },
		{ "offset", required_argument, NULL, 'o' },
		{ "expect", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *bdf = NULL, *cdev = NULL, *disk = NULL, *expect = "ok";
	size_t size = 1 << 20;
	off_t off = 0;
	long avail0 = 0;
	int c, fd, bfd;
	void *p2p, *host, *want;

	if (argc < 2 || strcmp(argv[1], "copy"))
		usage(2);
	argc--, argv++;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': bdf = optarg; break;
		case 'c': cdev = optarg; break;
		case 'd': disk = optarg; break;
		case 'z': size = strtoull(optarg, NULL, 0); break;
		case 'o': off = strtoll(optarg, NULL, 0); break;
		case 'e': expect = optarg; break;
		case 'h': usage(0);
		default: usage(2);
		}
	}
	if (!disk || !!bdf == !!cdev || !size || size % 4096 || off % 4096 ||
	    (strcmp(expect, "ok") && strcmp(expect, "refused")))
		usage(2);

	if (bdf) {
		char path[256];

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/p2pmem/allocate", bdf);
		avail0 = available(bdf);
		bfd = open(path, O_RDWR);
		if (bfd < 0)
			die("open %s: %s", path, strerror(errno));
	} else {
		bfd = open(cdev, O_RDWR);
		if (bfd < 0)
			die("open %s: %s", cdev, strerror(errno));
	}
	p2p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, bfd, 0);
	if (p2p == MAP_FAILED)
		die("mmap %zu bytes of %s: %s", size, bdf ? bdf : cdev, strerror(errno));
	if (bdf && available(bdf) != avail0 - (long)size)
		die("available is %ld after mmap, expected %ld - %zu", available(bdf), avail0, size);

	fd = open(disk, O_RDWR | O_DIRECT);
	if (fd < 0)
		die("open %s: %s", disk, strerror(errno));
	if (posix_memalign(&host, 4096, size) || posix_memalign(&want, 4096, size))
		die("out of memory");

	/* disk -> P2P: seed the disk through host memory, read it into the buffer */
	fill(want, size, 1);
	xfer(1, fd, want, size, off, "seed write from host memory");
	memset(p2p, 0x5a, size);
	errno = 0;
	if (pread(fd, p2p, size, off) != (ssize_t)size) {
		int err = errno;

		if (strcmp(expect, "refused") || !refused(err))
			die("read %s into P2P memory: %s", disk, err ? strerror(err) : "short read");
		printf("read into P2P memory refused: %s\n", strerror(err));
	} else {
		if (strcmp(expect, "ok"))
			die("read %s into P2P memory succeeded, expected it to be refused", disk);
		long at = mismatch(p2p, want, size);

		if (at >= 0)
			die("P2P buffer differs from the disk at byte %ld", at);
		printf("read %zu bytes %s -> P2P memory: verified\n", size, disk);
	}

	/* P2P -> disk: write a second pattern from the buffer, read it back through host memory */
	fill(p2p, size, 2);
	fill(want, size, 2);
	errno = 0;
	if (pwrite(fd, p2p, size, off) != (ssize_t)size) {
		int err = errno;

		if (strcmp(expect, "refused") || !refused(err))
			die("write P2P memory to %s: %s", disk, err ? strerror(err) : "short write");
		printf("write from P2P memory refused: %s\n", strerror(err));
		fill(want, size, 1);
	} else if (strcmp(expect, "ok")) {
		die("write from P2P memory to %s succeeded, expected it to be refused", disk);
	}
	memset(host, 0, size);
	xfer(0, fd, host, size, off, "read back into host memory");
	if (mismatch(host, want, size) >= 0)
		die("%s holds the wrong bytes at %ld after the %s write", disk,
		    mismatch(host, want, size), strcmp(expect, "ok") ? "refused" : "P2P");
	printf("%s holds the %s bytes: verified\n", disk,
	       strcmp(expect, "ok") ? "original (nothing written)" : "P2P-written");

	if (munmap(p2p, size))
		die("munmap: %s", strerror(errno));
	close(bfd);
	if (bdf) {
		long now = available(bdf);

		for (int i = 0; i < 50 && now != avail0; i++) {
			usleep(100000);
			now = available(bdf);
		}
		if (now != avail0)
			die("available is %ld after munmap, expected %ld", now, avail0);
		printf("available back to %ld after munmap\n", now);
	}
	close(fd);
	printf("PASS\n");
	return 0;
}
