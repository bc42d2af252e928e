/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A fake /sys in a temporary directory for host unit tests: the tools read
 * it through P2PSCOPE_SYSFS. Paths are relative to its root; parents are
 * made as needed.
 */
#ifndef P2PSCOPE_FAKESYS_H
#define P2PSCOPE_FAKESYS_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit.h"

static char fake_root[] = "/tmp/p2pscope-unit.XXXXXX";

static inline void fake_path(char *path, size_t len, const char *rel, int parents)
{
	char *p;

	if ((size_t)snprintf(path, len, "%s/%s", fake_root, rel) >= len) {
		fprintf(stderr, "fake path too long: %s\n", rel);
		exit(1);
	}
	if (!parents)
		return;
	for (p = path + strlen(fake_root) + 1; (p = strchr(p, '/')); p++) {
		*p = 0;
		mkdir(path, 0755);
		*p = '/';
	}
}

/* make the root and point the tools at it */
static inline void fake_begin(void)
{
	CHECK(mkdtemp(fake_root) != NULL);
	setenv("P2PSCOPE_SYSFS", fake_root, 1);
}

static inline void fake_end(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fake_root);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", fake_root);
}

static inline void mk(const char *rel)
{
	char path[512];

	fake_path(path, sizeof(path), rel, 1);
	mkdir(path, 0755);
}

static inline void put_data(const char *rel, const void *data, size_t len)
{
	char path[512];
	FILE *f;

	fake_path(path, sizeof(path), rel, 1);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fwrite(data, 1, len, f);
	fclose(f);
}

static inline void put(const char *rel, const char *text)
{
	put_data(rel, text, strlen(text));
}

static inline void link_to(const char *target, const char *rel)
{
	char path[512];

	fake_path(path, sizeof(path), rel, 1);
	CHECK(symlink(target, path) == 0);
}
#endif
