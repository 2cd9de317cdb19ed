/* strbuf: see strbuf.h. */
#include "util/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"
#include "util/banned.h"

char strbuf_empty[1];

void sb_init(struct strbuf *sb, size_t hint)
{
	sb->buf = strbuf_empty;
	sb->len = sb->alloc = 0;
	if (hint)
		sb_grow(sb, hint);
}

void sb_grow(struct strbuf *sb, size_t extra)
{
	size_t need = sb->len + extra + 1;
	size_t n;

	if (need < sb->len)
		xdie("strbuf size overflow");
	if (need <= sb->alloc)
		return;
	n = sb->alloc ? sb->alloc : 64;
	while (n < need)
		n = n * 2 > n ? n * 2 : need;
	if (!sb->alloc)
		sb->buf = NULL;
	sb->buf = xrealloc(sb->buf, n);
	if (!sb->alloc)
		sb->buf[0] = '\0';
	sb->alloc = n;
}

void sb_add(struct strbuf *sb, const void *data, size_t len)
{
	if (!len)
		return;
	sb_grow(sb, len);
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void sb_adds(struct strbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

void sb_addc(struct strbuf *sb, char c)
{
	sb_add(sb, &c, 1);
}

void sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		xdie("vsnprintf failed");
	sb_grow(sb, (size_t)n);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void sb_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(sb, fmt, ap);
	va_end(ap);
}

void sb_add_json_strn(struct strbuf *sb, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	sb_addc(sb, '"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': sb_add(sb, "\\\"", 2); break;
		case '\\': sb_add(sb, "\\\\", 2); break;
		case '\n': sb_add(sb, "\\n", 2); break;
		case '\r': sb_add(sb, "\\r", 2); break;
		case '\t': sb_add(sb, "\\t", 2); break;
		default:
			if (c < 0x20 || c == 0x7f) {
				char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
				sb_add(sb, u, 6);
			} else {
				sb_addc(sb, (char)c);
			}
		}
	}
	sb_addc(sb, '"');
}

void sb_add_json_str(struct strbuf *sb, const char *s)
{
	if (!s) {
		sb_adds(sb, "null");
		return;
	}
	sb_add_json_strn(sb, s, strlen(s));
}

void sb_setlen(struct strbuf *sb, size_t len)
{
	if (len > sb->len)
		xdie("sb_setlen beyond length");
	sb->len = len;
	if (sb->alloc)
		sb->buf[len] = '\0';
}

void sb_reset(struct strbuf *sb)
{
	if (sb->alloc)
		sb_setlen(sb, 0);
}

void sb_release(struct strbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	sb_init(sb, 0);
}

char *sb_detach(struct strbuf *sb, size_t *len)
{
	char *r;

	if (!sb->alloc)
		sb_grow(sb, 0);
	r = sb->buf;
	if (len)
		*len = sb->len;
	sb_init(sb, 0);
	return r;
}

void sb_trim_trailing_newlines(struct strbuf *sb)
{
	while (sb->len && (sb->buf[sb->len - 1] == '\n' || sb->buf[sb->len - 1] == '\r'))
		sb_setlen(sb, sb->len - 1);
}

void sb_add_workflow_escaped(struct strbuf *out, const char *s, int property)
{
	for (; *s; s++) {
		if (*s == '%')
			sb_adds(out, "%25");
		else if (*s == '\r')
			sb_adds(out, "%0D");
		else if (*s == '\n')
			sb_adds(out, "%0A");
		else if (property && *s == ':')
			sb_adds(out, "%3A");
		else if (property && *s == ',')
			sb_adds(out, "%2C");
		else
			sb_addc(out, *s);
	}
}
