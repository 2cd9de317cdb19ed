/*
 * utf8: cutting text on a character boundary and making it valid UTF-8,
 * for messages that leave the process with a size limit (termination log,
 * chat webhooks) or that must be valid JSON text.
 */
#ifndef PREDEPLOY_UTF8_H
#define PREDEPLOY_UTF8_H

#include <stddef.h>

#include "util/strbuf.h"

/* The largest n <= cap (and <= len) such that s[0..n) does not end inside a
 * multi-byte sequence of valid UTF-8 text. */
size_t utf8_cut(const char *s, size_t len, size_t cap);

/* Append s[0..len) to out with every invalid sequence (stray continuation
 * bytes, overlong forms, surrogates, > U+10FFFF, truncated sequences)
 * replaced by U+FFFD.  Returns the number of replacements. */
size_t utf8_sanitize(const char *s, size_t len, struct strbuf *out);

/* Length of the valid sequence starting at s (at most len bytes), 0 when the
 * bytes there are not valid UTF-8. */
size_t utf8_seq_len(const unsigned char *s, size_t len);

#endif
