/*
 * xalloc: allocation that cannot fail (aborts with a message on OOM), and a
 * few small string helpers built on it.  Used where an allocation failure
 * has no sensible recovery (tiny strings, buffers with capped sizes).
 */
#ifndef PREDEPLOY_XALLOC_H
#define PREDEPLOY_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "predeploy: fatal: msg" to stderr and abort(). */
void xdie(const char *msg) __attribute__((noreturn));

/* Bounded copy that always NUL-terminates; returns strlen(src). */
size_t xstrlcpy(char *dst, const char *src, size_t cap);
/* The first line of s (leading blanks and newlines skipped) into out,
 * truncated to cap: the one line of a libpq or a child's message. */
void first_line(const char *s, char *out, size_t cap);

#endif
