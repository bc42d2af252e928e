// SPDX-License-Identifier: GPL-2.0
/* argp with one-line usage errors and exit status 2; strict number parsers. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "args.h"

void die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

/*
 * argp's own --help, --usage and --version are replaced by these (so -h
 * works too), and its errors, two lines and exit 64, by one line and exit 2.
 */
enum { OPT_USAGE = 0x1000 };

static const struct argp_option std_options[] = {
	{ "help", 'h', NULL, 0, "Give this help list", -1 },
	{ NULL, '?', NULL, OPTION_ALIAS, NULL, -1 },
	{ "usage", OPT_USAGE, NULL, 0, "Give a short usage message", -1 },
	{ "version", 'V', NULL, 0, "Print program version", -1 },
	{ 0 },
};

static error_t std_parser(int key, char *arg, struct argp_state *state)
{
	const char *bad;

	(void)arg;
	switch (key) {
	case ARGP_KEY_INIT:
		/* the tool's parser gets the input as its own */
		state->child_inputs[0] = state->input;
		return 0;
	/* argp_state_help() is silent under ARGP_NO_ERRS; argp_help() is not */
	case 'h': case '?':
		argp_help(state->root_argp, stdout, ARGP_HELP_STD_HELP, state->name);
		exit(0);
	case OPT_USAGE:
		argp_help(state->root_argp, stdout, ARGP_HELP_USAGE, state->name);
		exit(0);
	case 'V':
		printf("%s\n", argp_program_version);
		exit(0);
	case ARGP_KEY_ERROR:
		bad = state->next > 0 && state->next <= state->argc ? state->argv[state->next - 1] : "?";
		die_usage("option '%s' is unknown or lacks its value (see --help)", bad);
	}
	return ARGP_ERR_UNKNOWN;
}

void args_parse(const struct argp *argp, int argc, char **argv)
{
	struct argp tool = *argp;
	const struct argp_child children[] = { { &tool, 0, NULL, 0 }, { 0 } };
	const struct argp wrap = { std_options, std_parser, argp->args_doc, argp->doc,
				   children, NULL, NULL };

	/* the wrapper shows the tool's texts, once */
	tool.args_doc = NULL;
	tool.doc = NULL;
	if (argp_parse(&wrap, argc, argv, ARGP_NO_HELP | ARGP_NO_ERRS, NULL, NULL))
		exit(EXIT_USAGE);
}

bool parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

bool parse_seconds(const char *s, double min, double max, double *out)
{
	double v;
	char *end;

	/* digits and one point only: no "inf", "nan", hex or exponents */
	if (!s || !*s || strspn(s, "0123456789.") != strlen(s) || strchr(s, '.') != strrchr(s, '.'))
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || end == s || !(v >= min) || !(v <= max))
		return false;
	*out = v;
	return true;
}

bool parse_size(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long mult = 1;
	unsigned long v;
	char num[32];
	size_t n = s ? strlen(s) : 0;

	if (!n || n >= sizeof(num))
		return false;
	memcpy(num, s, n + 1);
	switch (num[n - 1]) {
	case 'K': case 'k': mult = 1ULL << 10; break;
	case 'M': case 'm': mult = 1ULL << 20; break;
	case 'G': case 'g': mult = 1ULL << 30; break;
	}
	if (mult > 1)
		num[n - 1] = 0;
	if (!parse_ulong(num, max / mult, &v))
		return false;
	*out = v * mult;
	return true;
}
