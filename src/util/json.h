/*
 * json: the one JSON writer and reader of predeploy.
 *
 * Writer: builds into a strbuf, keeps the commas, escapes strings.
 *
 *   struct json_w j;
 *   jw_init(&j, &sb, JW_PRETTY);     // or 0: compact, one line
 *   jw_obj(&j, NULL);                // top-level object
 *   jw_str(&j, "file", name);        // NULL writes null
 *   jw_int(&j, "size", 123);
 *   jw_arr(&j, "pending_versions"); jw_str(&j, NULL, "3"); jw_end(&j);
 *   jw_end(&j);
 *
 * JW_PRETTY puts each member of the top-level container on its own line,
 * indented by two spaces; nested containers stay on one line.
 *
 * Reader: json_get() finds a member of a top-level object in text we wrote
 * (sidecars) or read (small documents, bounded by the caller's read cap).
 * Strings come back unescaped (UTF-8), other scalars as their text.
 * json_get_array() calls back for each element of an array member.
 */
#ifndef PREDEPLOY_JSON_H
#define PREDEPLOY_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"

#define JW_PRETTY 1
#define JW_MAX_DEPTH 16

struct json_w {
	struct strbuf *sb;
	int flags;
	int depth;
	int count[JW_MAX_DEPTH];         /* members written at each depth */
	char close[JW_MAX_DEPTH];        /* '}' or ']' */
};

void jw_init(struct json_w *j, struct strbuf *sb, int flags);
/* Open an object / array: as member `key` of an object, or an array
 * element / the top level when key is NULL.  jw_end closes the innermost. */
void jw_obj(struct json_w *j, const char *key);
void jw_arr(struct json_w *j, const char *key);
void jw_end(struct json_w *j);
void jw_str(struct json_w *j, const char *key, const char *v);
void jw_int(struct json_w *j, const char *key, long long v);
void jw_bool(struct json_w *j, const char *key, int v);
void jw_null(struct json_w *j, const char *key);
/* A value already in JSON form (a nested document we built). */
void jw_raw(struct json_w *j, const char *key, const char *json);

/* Member `key` of the top-level object in `json`: 0 and its value in out
 * (truncated to cap - 1 bytes; strings unescaped, null as ""), -1 when the
 * text is not an object, the member is missing or the text is malformed
 * before it.  *is_string (may be NULL) says whether it was a string. */
int json_get(const char *json, const char *key, char *out, size_t cap, int *is_string);
/* For each scalar element of array member `key`: fn(ctx, value).  Returns
 * the number of elements, -1 when the member is missing or not an array. */
int json_get_array(const char *json, const char *key, void (*fn)(void *ctx, const char *v), void *ctx);

#endif
