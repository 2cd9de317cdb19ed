/* err: see err.h. */
#include "util/err.h"

#include <stdio.h>
#include <string.h>

static void vfill(char *dst, size_t cap, const char *fmt, va_list ap)
{
	vsnprintf(dst, cap, fmt, ap);
}

void err_clear(struct err *e)
{
	if (e)
		memset(e, 0, sizeof(*e));
}

int err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -1;
	err_clear(e);
	e->code = code;
	va_start(ap, fmt);
	vfill(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int err_sys(struct err *e, int code, int errno_value, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (!e)
		return -1;
	err_clear(e);
	e->code = code;
	va_start(ap, fmt);
	vfill(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", strerror(errno_value));
	return -1;
}

void err_detail(struct err *e, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vfill(e->detail, sizeof(e->detail), fmt, ap);
	va_end(ap);
}

void err_hint(struct err *e, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vfill(e->hint, sizeof(e->hint), fmt, ap);
	va_end(ap);
}

void err_where(struct err *e, const char *file, int line)
{
	if (!e)
		return;
	snprintf(e->file, sizeof(e->file), "%s", file ? file : "");
	e->line = line;
}

void err_prefix(struct err *e, const char *fmt, ...)
{
	char msg[sizeof(e->msg)];
	va_list ap;
	size_t n, m;

	if (!e)
		return;
	memcpy(msg, e->msg, sizeof(msg));
	va_start(ap, fmt);
	vfill(e->msg, sizeof(e->msg) - 2, fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	memcpy(e->msg + n, ": ", 2);
	n += 2;
	m = strnlen(msg, sizeof(msg) - 1);
	if (m > sizeof(e->msg) - 1 - n)
		m = sizeof(e->msg) - 1 - n;
	memcpy(e->msg + n, msg, m);
	e->msg[n + m] = '\0';
}
