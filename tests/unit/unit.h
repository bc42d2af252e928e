/* SPDX-License-Identifier: GPL-2.0 */
/* A few macros for host unit tests: each failed check is printed, and the
 * test exits non-zero if any failed. */
#ifndef P2PSCOPE_UNIT_H
#define P2PSCOPE_UNIT_H
#include <stdio.h>
#include <string.h>

static int unit_checks, unit_failed;

#define CHECK(cond) do {						\
	unit_checks++;							\
	if (!(cond)) {							\
		unit_failed++;						\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
			__FILE__, __LINE__, #cond);			\
	}								\
} while (0)

#define CHECK_STR(got, want) do {					\
	const char *g_ = (got), *w_ = (want);				\
	unit_checks++;							\
	if (!g_ || strcmp(g_, w_)) {					\
		unit_failed++;						\
		fprintf(stderr, "%s:%d: %s: got \"%s\", want \"%s\"\n",	\
			__FILE__, __LINE__, #got, g_ ? g_ : "(null)", w_); \
	}								\
} while (0)

static inline int unit_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, unit_checks, unit_failed);
	return unit_failed ? 1 : 0;
}
#endif
