/* glibc_shims: the glibc-only symbols that Debian's prebuilt libpg_query.a
 * (compiled against glibc with _FORTIFY_SOURCE) needs when it is linked into
 * the static musl binary. Compiled only by the static build (PREDEPLOY_STATIC);
 * never part of src/, which the normal glibc build globs.
 *
 * Each *_chk function does what glibc's does: check the destination size the
 * compiler knew, abort on overflow, then call the plain function. `flag` (the
 * fortify level) only matters for %n handling, which musl does not restrict.
 */
#define _GNU_SOURCE /* vasprintf */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

int __vsnprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, va_list ap);
int __snprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, ...);
int __asprintf_chk(char **out, int flag, const char *fmt, ...);
char *__strcat_chk(char *dest, const char *src, size_t destlen);
_Noreturn void __longjmp_chk(jmp_buf env, int val);

/* glibc prints "*** buffer overflow detected ***" and aborts */
static _Noreturn void chk_fail(void)
{
	static const char msg[] = "*** buffer overflow detected ***: terminated\n";

	fwrite(msg, 1, sizeof(msg) - 1, stderr);
	abort();
}

int __vsnprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, va_list ap)
{
	(void)flag;
	if (slen < maxlen)
		chk_fail();
	return vsnprintf(s, maxlen, fmt, ap);
}

int __snprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = __vsnprintf_chk(s, maxlen, flag, slen, fmt, ap);
	va_end(ap);
	return n;
}

int __asprintf_chk(char **out, int flag, const char *fmt, ...)
{
	va_list ap;
	int n;

	(void)flag;
	va_start(ap, fmt);
	n = vasprintf(out, fmt, ap);
	va_end(ap);
	return n;
}

char *__strcat_chk(char *dest, const char *src, size_t destlen)
{
	size_t dl = strlen(dest), sl = strlen(src);

	if (dl + sl + 1 > destlen)
		chk_fail();
	memcpy(dest + dl, src, sl + 1);
	return dest;
}

/* glibc's variant also checks that the target frame is not below the current
 * one; musl's longjmp is otherwise the same operation */
_Noreturn void __longjmp_chk(jmp_buf env, int val)
{
	longjmp(env, val);
}
