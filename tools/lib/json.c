// SPDX-License-Identifier: GPL-2.0
/* A JSON writer that only writes valid UTF-8, and terminal-safe text. */
#include <math.h>
#include <string.h>
#include "json.h"

/*
 * Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if it is
 * not one: overlongs, surrogates and values above U+10FFFF are invalid.
 */
static size_t utf8_len(const unsigned char *s, size_t n, unsigned int *cp)
{
	unsigned int c = s[0], min;
	size_t len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2; min = 0x80; c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3; min = 0x800; c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4; min = 0x10000; c &= 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

size_t utf8_seq_len(const char *s, size_t n)
{
	unsigned int cp;

	return n ? utf8_len((const unsigned char *)s, n, &cp) : 0;
}

void json_quote(FILE *f, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	fputc('"', f);
	while (i < n && s[i]) {
		unsigned int cp;
		size_t len = utf8_len(s + i, n - i, &cp);

		if (!len) {
			fprintf(f, "\\\\x%02x", s[i]);	/* the text \xNN */
			i++;
			continue;
		}
		if (cp == '"' || cp == '\\')
			fprintf(f, "\\%c", cp);
		else if (cp == '\n')
			fputs("\\n", f);
		else if (cp == '\t')
			fputs("\\t", f);
		else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
			fprintf(f, "\\u%04x", cp);
		else
			fwrite(s + i, 1, len, f);
		i += len;
	}
	fputc('"', f);
}

char *text_safe(char *out, size_t len, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, o = 0;

	if (!len)
		return out;
	while (i < n && s[i]) {
		unsigned int cp;
		size_t l = utf8_len(s + i, n - i, &cp);
		bool ok = l && cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp < 0xa0);

		if (!ok)
			l = 1;
		if (o + (ok ? l : 4) >= len)
			break;
		if (ok) {
			memcpy(out + o, s + i, l);
			o += l;
		} else {
			o += snprintf(out + o, len - o, "\\x%02x", s[i]);
		}
		i += l;
	}
	out[o] = 0;
	return out;
}

void json_init(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

/* a comma before every element but the first of its container */
static void json_sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0 && j->nonempty[j->depth - 1])
		fputc(',', j->f);
	if (j->depth > 0)
		j->nonempty[j->depth - 1] = true;
}

static void json_open(struct json *j, char c)
{
	json_sep(j);
	fputc(c, j->f);
	if (j->depth < JSON_MAX_DEPTH)
		j->nonempty[j->depth] = false;
	j->depth++;
}

static void json_close(struct json *j, char c)
{
	fputc(c, j->f);
	if (j->depth > 0)
		j->depth--;
	if (!j->depth)
		fputc('\n', j->f);
}

void json_object_begin(struct json *j) { json_open(j, '{'); }
void json_object_end(struct json *j) { json_close(j, '}'); }
void json_array_begin(struct json *j) { json_open(j, '['); }
void json_array_end(struct json *j) { json_close(j, ']'); }

void json_key(struct json *j, const char *key)
{
	json_sep(j);
	json_quote(j->f, key, strlen(key));
	fputc(':', j->f);
	j->after_key = true;
}

void json_string_n(struct json *j, const char *s, size_t n)
{
	json_sep(j);
	if (s)
		json_quote(j->f, s, n);
	else
		fputs("null", j->f);
}

void json_string(struct json *j, const char *s)
{
	json_string_n(j, s, s ? strlen(s) : 0);
}

void json_u64(struct json *j, unsigned long long v)
{
	json_sep(j);
	fprintf(j->f, "%llu", v);
}

void json_s64(struct json *j, long long v)
{
	json_sep(j);
	fprintf(j->f, "%lld", v);
}

void json_double(struct json *j, double v, int decimals)
{
	json_sep(j);
	if (isfinite(v))
		fprintf(j->f, "%.*f", decimals, v);
	else
		fputs("null", j->f);	/* JSON has no inf or nan */
}

void json_bool(struct json *j, bool v)
{
	json_sep(j);
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j)
{
	json_sep(j);
	fputs("null", j->f);
}

void json_kv_string(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_string(j, s);
}

void json_kv_u64(struct json *j, const char *key, unsigned long long v)
{
	json_key(j, key);
	json_u64(j, v);
}

void json_kv_s64(struct json *j, const char *key, long long v)
{
	json_key(j, key);
	json_s64(j, v);
}

void json_kv_double(struct json *j, const char *key, double v, int decimals)
{
	json_key(j, key);
	json_double(j, v, decimals);
}

void json_kv_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}
