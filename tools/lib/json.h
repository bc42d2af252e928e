/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one way the tools print JSON, and untrusted text. Process names and
 * device names come from the kernel and from other users' processes, so
 * every string is checked: JSON output is always valid UTF-8 (bytes that
 * are not are written as the text \xNN), and text for a terminal never
 * carries control bytes (they are written as \xNN, as ps shows them with ?).
 */
#ifndef P2PSCOPE_JSON_H
#define P2PSCOPE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 8

struct json {
	FILE *f;
	int depth;
	bool nonempty[JSON_MAX_DEPTH];
	bool after_key;
};

void json_init(struct json *j, FILE *f);
void json_object_begin(struct json *j);
void json_object_end(struct json *j);	/* at depth 0 also ends the line */
void json_array_begin(struct json *j);
void json_array_end(struct json *j);
void json_key(struct json *j, const char *key);

/* values, after json_key() inside an object or as array elements */
void json_string(struct json *j, const char *s);	/* NULL: null */
void json_string_n(struct json *j, const char *s, size_t n);	/* at most n bytes */
void json_u64(struct json *j, unsigned long long v);
void json_s64(struct json *j, long long v);
void json_double(struct json *j, double v, int decimals);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

/* key and value at once */
void json_kv_string(struct json *j, const char *key, const char *s);
void json_kv_u64(struct json *j, const char *key, unsigned long long v);
void json_kv_s64(struct json *j, const char *key, long long v);
void json_kv_double(struct json *j, const char *key, double v, int decimals);
void json_kv_bool(struct json *j, const char *key, bool v);

/* The JSON string (quotes included) for n bytes of s, always valid UTF-8. */
void json_quote(FILE *f, const char *s, size_t n);

/*
 * Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if it is
 * not one (overlongs, surrogates and values above U+10FFFF are not).
 */
size_t utf8_seq_len(const char *s, size_t n);

/*
 * s (at most n bytes) made safe for a terminal: printable UTF-8 is kept,
 * anything else becomes \xNN. Returns out, truncated to fit len.
 */
char *text_safe(char *out, size_t len, const char *s, size_t n);

#endif /* P2PSCOPE_JSON_H */
