/*
 * err: the error a library function hands back to its caller.
 *
 * Every fallible function in src/ takes a `struct err *` and returns 0 / -1
 * (or a pointer / NULL).  On failure it fills the struct: a one-line message
 * (lower case, what failed first, the system or server reason last), optional
 * detail and hint, the SQLSTATE when the server said one, the input file and
 * line when an input file is at fault, and `code`, the process exit code the
 * failure maps to (see exitcode.h).  Library code never prints or exits; the
 * entrypoint decides what to show and which code to return.
 */
#ifndef PREDEPLOY_ERR_H
#define PREDEPLOY_ERR_H

#include <stdarg.h>

struct err {
	int code;            /* EXIT_* from exitcode.h; 0 = no error */
	char msg[1024];
	char detail[1024];
	char hint[512];
	char sqlstate[6];
	char file[512];
	int line;            /* 1-based; 0 = unknown */
};

#define ERR_INIT { 0 }

/* Set code and message (printf-style); clears detail, hint, sqlstate, file. */
int err_set(struct err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same, appending ": strerror(errno_value)". Returns -1. */
int err_sys(struct err *e, int code, int errno_value, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void err_detail(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void err_hint(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void err_where(struct err *e, const char *file, int line);
/* Re-wrap: "<prefix>: <message>" (printf-style prefix), keeping code,
 * detail, hint, SQLSTATE, file and line, so a caller can add context to a
 * server error without losing its fields. */
void err_prefix(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void err_clear(struct err *e);

#endif
