/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Formatting into fixed buffers that truncates silently: every string the
 * topology code builds either fits or is only shown to people, so a cut is
 * acceptable and not worth a warning per call.
 */
#ifndef P2PSCOPE_STRBUF_H
#define P2PSCOPE_STRBUF_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* snprintf() into buf */
static inline __attribute__((format(printf, 3, 4)))
void buf_set(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* appends to what buf holds */
static inline __attribute__((format(printf, 3, 4)))
void buf_add(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used >= len - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

#endif /* P2PSCOPE_STRBUF_H */
