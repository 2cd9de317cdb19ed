/*
 * strbuf: a growable, always NUL-terminated byte buffer (after git's).
 *
 *   struct strbuf sb = STRBUF_INIT;
 *   sb_addf(&sb, "%s=%d", k, v);
 *   use(sb.buf, sb.len);
 *   sb_release(&sb);          // safe twice; leaves an empty buffer
 *
 * Allocation failure aborts (see xalloc.h): the caller owns `buf` and frees it
 * with sb_release or takes it with sb_detach.
 */
#ifndef PREDEPLOY_STRBUF_H
#define PREDEPLOY_STRBUF_H

#include <stddef.h>
#include <stdarg.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
};

extern char strbuf_empty[];
#define STRBUF_INIT { strbuf_empty, 0, 0 }

void sb_init(struct strbuf *sb, size_t hint);
void sb_grow(struct strbuf *sb, size_t extra);
void sb_add(struct strbuf *sb, const void *data, size_t len);
void sb_adds(struct strbuf *sb, const char *s);
void sb_addc(struct strbuf *sb, char c);
void sb_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
/* Append s as a JSON string literal, quotes included. */
void sb_add_json_str(struct strbuf *sb, const char *s);
void sb_add_json_strn(struct strbuf *sb, const char *s, size_t len);
/* GitHub Actions workflow-command escaping: data escapes % CR LF,
 * properties (property != 0) also ':' and ','. */
void sb_add_workflow_escaped(struct strbuf *out, const char *s, int property);
void sb_setlen(struct strbuf *sb, size_t len);
void sb_reset(struct strbuf *sb);
void sb_release(struct strbuf *sb);
/* Hand the buffer to the caller (free() it); sb is left empty. */
char *sb_detach(struct strbuf *sb, size_t *len);
void sb_trim_trailing_newlines(struct strbuf *sb);

#endif
