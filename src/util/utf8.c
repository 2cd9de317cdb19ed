/* utf8: see utf8.h. */
#include "util/utf8.h"

#include "util/banned.h"

size_t utf8_seq_len(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	size_t n, i;
	unsigned long cp;

	if (!len)
		return 0;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2; cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3; cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4; cp = c & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

size_t utf8_cut(const char *s, size_t len, size_t cap)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	if (len <= cap)
		return len;
	/* Walk forward so an invalid byte never hides a boundary. */
	while (i < cap) {
		size_t n = utf8_seq_len(u + i, len - i);
		if (!n)
			n = 1;
		if (i + n > cap)
			break;
		i += n;
	}
	return i;
}

size_t utf8_sanitize(const char *s, size_t len, struct strbuf *out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, bad = 0;

	while (i < len) {
		size_t n = utf8_seq_len(u + i, len - i);
		if (n) {
			sb_add(out, u + i, n);
			i += n;
		} else {
			sb_add(out, "\xef\xbf\xbd", 3);
			bad++;
			i++;
		}
	}
	return bad;
}
