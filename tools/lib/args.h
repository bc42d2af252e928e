/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command lines the p2pscope way: argp with -h as --help, --usage and
 * --version working, and every usage error one line on stderr and exit 2.
 */
#ifndef P2PSCOPE_ARGS_H
#define P2PSCOPE_ARGS_H

#include <argp.h>
#include <stdbool.h>

/* Bad input or an unusable system: one line on stderr, exit 2. */
#define EXIT_USAGE 2

/* "p2ptrace: " and the message, then exit(EXIT_USAGE) */
void die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * argp_parse() with the conventions above; -h, -?, --help, --usage, -V
 * and --version are added to the tool's options (it must not use h, ? or V).
 */
void args_parse(const struct argp *argp, int argc, char **argv);

/* strict parsers: false on anything but a whole, in-range number */
bool parse_ulong(const char *s, unsigned long max, unsigned long *out);
/* seconds in [min, max], decimal ("0.5", "2") */
bool parse_seconds(const char *s, double min, double max, double *out);
/* bytes with an optional K, M or G suffix (powers of 1024), at most max */
bool parse_size(const char *s, unsigned long long max, unsigned long long *out);

#endif /* P2PSCOPE_ARGS_H */
