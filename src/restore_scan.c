/* restore_scan: see restore_scan.h. */
#include "restore_scan.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/exitcode.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define IN_CAP (256 * 1024)
#define META_CAP 4096
#define TAG_CAP 64

enum {
	S_NORMAL, S_DASH, S_SLASH, S_SQUOTE, S_SQUOTE_END, S_SQUOTE_ESC, S_DQUOTE,
	S_DOLLAR_TAG, S_DOLLAR, S_LINE_COMMENT, S_BLOCK, S_BLOCK_STAR, S_BLOCK_SLASH, S_META,
};

struct rscan {
	rscan_read_fn fn;
	void *ctx;
	size_t cap;
	char *in;
	size_t in_len, in_pos;
	int in_eof;
	long line;

	struct strbuf stmt;
	long stmt_line;
	int has_content;
	int emitted;
	int state;
	int estr;
	char prev;
	char tag[TAG_CAP];
	size_t taglen, dq_match;
	int depth;

	struct strbuf meta;
	long meta_line;
	char cbuf[48];
	size_t clen;
	int saw_complete;

	int copy;
	long copy_line;
	int copy_line_start;
	int copy_skip;              /* rest of the COPY statement's line */
};

struct rscan *rscan_new(rscan_read_fn fn, void *ctx, size_t stmt_cap)
{
	struct rscan *s = xcalloc(1, sizeof(*s));

	s->fn = fn;
	s->ctx = ctx;
	s->cap = stmt_cap;
	s->in = xmalloc(IN_CAP);
	s->line = 1;
	sb_init(&s->stmt, 4096);
	sb_init(&s->meta, 256);
	return s;
}

void rscan_free(struct rscan *s)
{
	if (!s)
		return;
	free(s->in);
	sb_release(&s->stmt);
	sb_release(&s->meta);
	free(s);
}

int rscan_saw_complete(const struct rscan *s)
{
	return s->saw_complete;
}

long rscan_line(const struct rscan *s)
{
	return s->line;
}

/* Read more input after what is unconsumed (compacting first). */
static int refill(struct rscan *s, struct err *e)
{
	ssize_t n;

	if (s->in_pos) {
		memmove(s->in, s->in + s->in_pos, s->in_len - s->in_pos);
		s->in_len -= s->in_pos;
		s->in_pos = 0;
	}
	if (s->in_eof || s->in_len == IN_CAP)
		return 0;
	n = s->fn(s->ctx, s->in + s->in_len, IN_CAP - s->in_len, e);
	if (n < 0)
		return -1;
	if (n == 0)
		s->in_eof = 1;
	s->in_len += (size_t)n;
	return 0;
}

static int ident_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       c >= 0x80;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int add(struct rscan *s, char c, struct err *e)
{
	if (s->stmt.len + 1 > s->cap) {
		err_set(e, EXIT_DATAERR, "the statement starting at line %ld is longer than %zu MiB",
			s->stmt_line, s->cap >> 20);
		return -1;
	}
	sb_addc(&s->stmt, c);
	return 0;
}

static int content(struct rscan *s, char c, struct err *e)
{
	if (!s->has_content) {
		s->has_content = 1;
		s->stmt_line = s->line;
	}
	return add(s, c, e);
}

static int is_copy_from_stdin(const char *t, size_t n)
{
	while (n && (is_space(t[n - 1]) || t[n - 1] == ';'))
		n--;
	while (n && is_space(*t))
		t++, n--;
	return n > 15 && !strncasecmp(t, "copy", 4) && is_space(t[4]) &&
	       !strncasecmp(t + n - 10, "from stdin", 10) && is_space(t[n - 11]);
}

/* One byte of statement text.  Returns 1 when a statement or meta line is
 * complete, 0 to go on, -1 on error. */
static int step(struct rscan *s, char c, struct err *e)
{
	for (;;) {
		switch (s->state) {
		case S_NORMAL:
			if (c == ';') {
				if (content(s, c, e) < 0)
					return -1;
				return 1;
			}
			if (c == '\'') {
				s->estr = (s->prev == 'E' || s->prev == 'e') &&
					  (s->stmt.len < 2 || !ident_char((unsigned char)s->stmt.buf[s->stmt.len - 2]));
				s->state = S_SQUOTE;
			} else if (c == '"') {
				s->state = S_DQUOTE;
			} else if (c == '$' && !ident_char((unsigned char)s->prev) && s->prev != '$') {
				s->state = S_DOLLAR_TAG;
				s->taglen = 0;
			} else if (c == '-') {
				s->state = S_DASH;
				if (s->has_content && add(s, c, e) < 0)
					return -1;
				s->prev = c;
				return 0;
			} else if (c == '/') {
				s->state = S_SLASH;
				if (s->has_content && add(s, c, e) < 0)
					return -1;
				s->prev = c;
				return 0;
			} else if (c == '\\') {
				if (s->has_content) {
					err_set(e, EXIT_DATAERR, "unexpected backslash command inside the statement "
						"starting at line %ld (line %ld)", s->stmt_line, s->line);
					return -1;
				}
				s->state = S_META;
				sb_reset(&s->meta);
				s->meta_line = s->line;
				sb_addc(&s->meta, c);
				return 0;
			} else if (is_space(c)) {
				if (s->has_content && add(s, c, e) < 0)
					return -1;
				s->prev = c;
				return 0;
			}
			s->prev = c;
			return content(s, c, e);
		case S_DASH:
		case S_SLASH:
			if (c == (s->state == S_DASH ? '-' : '*')) {
				if (s->has_content && add(s, c, e) < 0)
					return -1;
				s->state = s->state == S_DASH ? S_LINE_COMMENT : S_BLOCK;
				s->depth = 1;
				s->clen = 0;
				s->prev = ' ';
				return 0;
			}
			if (!s->has_content && content(s, s->state == S_DASH ? '-' : '/', e) < 0)
				return -1;
			s->state = S_NORMAL;
			continue;       /* reprocess c */
		case S_SQUOTE:
			if (c == '\'')
				s->state = S_SQUOTE_END;
			else if (c == '\\' && s->estr)
				s->state = S_SQUOTE_ESC;
			return add(s, c, e);
		case S_SQUOTE_ESC:
			s->state = S_SQUOTE;
			return add(s, c, e);
		case S_SQUOTE_END:
			if (c == '\'') {        /* '' inside the literal */
				s->state = S_SQUOTE;
				return add(s, c, e);
			}
			s->state = S_NORMAL;
			s->prev = '\'';
			continue;
		case S_DQUOTE:
			if (c == '"') {
				s->state = S_NORMAL;
				s->prev = 'x';  /* like an identifier */
			}
			return add(s, c, e);
		case S_DOLLAR_TAG:
			if (c == '$') {
				s->state = S_DOLLAR;
				s->dq_match = 0;
				return add(s, c, e);
			}
			if (ident_char((unsigned char)c) && !(s->taglen == 0 && c >= '0' && c <= '9') &&
			    s->taglen + 1 < TAG_CAP) {
				s->tag[s->taglen++] = c;
				return add(s, c, e);
			}
			s->state = S_NORMAL;    /* "$1" or an identifier's "$": not a quote */
			s->prev = 'x';
			continue;
		case S_DOLLAR: {
			/* closing delimiter "$tag$": dq_match bytes of it seen */
			size_t dlen = s->taglen + 2;
			char want = s->dq_match == 0 || s->dq_match == dlen - 1 ? '$' : s->tag[s->dq_match - 1];

			if (c == want)
				s->dq_match++;
			else
				s->dq_match = c == '$' ? 1 : 0;
			if (s->dq_match == dlen) {
				s->state = S_NORMAL;
				s->prev = '$';
			}
			return add(s, c, e);
		}
		case S_LINE_COMMENT:
			if (c == '\n') {
				s->state = S_NORMAL;
				if (s->clen && s->cbuf[s->clen - 1] == '\r')
					s->clen--;
				s->cbuf[s->clen] = '\0';
				if (!s->has_content && !strcmp(s->cbuf, " PostgreSQL database dump complete"))
					s->saw_complete = 1;
				s->prev = c;
				return s->has_content ? add(s, c, e) : 0;
			}
			if (s->clen + 1 < sizeof(s->cbuf))
				s->cbuf[s->clen++] = c;
			return s->has_content ? add(s, c, e) : 0;
		case S_BLOCK:
		case S_BLOCK_STAR:
		case S_BLOCK_SLASH:
			if (s->state == S_BLOCK_STAR && c == '/') {
				s->state = --s->depth ? S_BLOCK : S_NORMAL;
				s->prev = ' ';
			} else if (s->state == S_BLOCK_SLASH && c == '*') {
				s->depth++;
				s->state = S_BLOCK;
			} else {
				s->state = c == '*' ? S_BLOCK_STAR : c == '/' ? S_BLOCK_SLASH : S_BLOCK;
			}
			return s->has_content ? add(s, c, e) : 0;
		case S_META:
			if (c == '\n') {
				s->state = S_NORMAL;
				if (s->meta.len && s->meta.buf[s->meta.len - 1] == '\r')
					sb_setlen(&s->meta, s->meta.len - 1);
				return 2;
			}
			if (s->meta.len >= META_CAP) {
				err_set(e, EXIT_DATAERR, "the backslash line at line %ld is too long", s->meta_line);
				return -1;
			}
			sb_addc(&s->meta, c);
			return 0;
		}
		return -1;
	}
}

static int at_terminator(const char *p, size_t avail, int eof, size_t *len)
{
	if (avail >= 3 && !memcmp(p, "\\.\n", 3)) {
		*len = 3;
		return 1;
	}
	if (avail >= 4 && !memcmp(p, "\\.\r\n", 4)) {
		*len = 4;
		return 1;
	}
	if (eof && avail == 2 && !memcmp(p, "\\.", 2)) {
		*len = 2;
		return 1;
	}
	return 0;
}

/* Can we tell whether a line starting at p is the terminator? */
static int decidable(const char *p, size_t avail, int eof)
{
	if (eof || avail >= 4 || (avail >= 1 && p[0] != '\\'))
		return 1;
	if (avail >= 2 && p[1] != '.')
		return 1;
	if (avail >= 3 && p[2] != '\n' && p[2] != '\r')
		return 1;
	return 0;
}

static int next_copy(struct rscan *s, struct rscan_item *it, struct err *e)
{
	while (s->copy_skip) {
		const char *nl;

		if (s->in_pos == s->in_len) {
			if (s->in_eof) {
				err_set(e, EXIT_DATAERR, "the input ends after the COPY statement at line %ld "
					"(the file is truncated)", s->copy_line - 1);
				return -1;
			}
			if (refill(s, e) < 0)
				return -1;
			continue;
		}
		nl = memchr(s->in + s->in_pos, '\n', s->in_len - s->in_pos);
		s->in_pos = nl ? (size_t)(nl - s->in) + 1 : s->in_len;
		if (nl) {
			s->line++;
			s->copy_skip = 0;
		}
	}
	for (;;) {
		size_t start = s->in_pos, p = s->in_pos, tl;

		if (s->in_pos == s->in_len || (s->copy_line_start &&
		    !decidable(s->in + s->in_pos, s->in_len - s->in_pos, s->in_eof))) {
			if (s->in_eof) {
				err_set(e, EXIT_DATAERR, "the input ends inside the COPY data that starts at line %ld "
					"(the file is truncated)", s->copy_line);
				return -1;
			}
			if (refill(s, e) < 0)
				return -1;
			continue;
		}
		if (s->copy_line_start && at_terminator(s->in + p, s->in_len - p, s->in_eof, &tl)) {
			s->in_pos += tl;
			s->line++;
			s->copy = 0;
			it->kind = RSCAN_COPY_END;
			it->line = s->line - 1;
			return 0;
		}
		while (p < s->in_len) {
			const char *nl = memchr(s->in + p, '\n', s->in_len - p);

			if (!nl) {
				p = s->in_len;
				s->copy_line_start = 0;
				break;
			}
			p = (size_t)(nl - s->in) + 1;
			s->line++;
			s->copy_line_start = 1;
			if (p < s->in_len && s->in[p] == '\\' &&
			    (!decidable(s->in + p, s->in_len - p, s->in_eof) ||
			     at_terminator(s->in + p, s->in_len - p, s->in_eof, &tl)))
				break;
		}
		if (p == start)
			continue;
		s->in_pos = p;
		it->kind = RSCAN_COPY_DATA;
		it->text = s->in + start;
		it->len = p - start;
		it->line = s->copy_line;
		return 0;
	}
}

int rscan_next(struct rscan *s, struct rscan_item *it, struct err *e)
{
	memset(it, 0, sizeof(*it));
	if (s->emitted) {
		sb_reset(&s->stmt);
		s->has_content = 0;
		s->emitted = 0;
		s->prev = '\n';
	}
	if (s->copy)
		return next_copy(s, it, e);
	for (;;) {
		while (s->in_pos < s->in_len) {
			char c = s->in[s->in_pos++];
			int r = step(s, c, e);

			if (c == '\n')
				s->line++;
			if (r < 0) {
				if (!e->line)
					err_where(e, e->file, (int)s->line);
				return -1;
			}
			if (r == 2) {
				it->kind = RSCAN_META;
				it->text = s->meta.buf;
				it->len = s->meta.len;
				it->line = s->meta_line;
				s->meta.len = 0;
				s->emitted = 1;
				return 0;
			}
			if (r == 1) {
				it->kind = RSCAN_STATEMENT;
				it->text = s->stmt.buf;
				it->len = s->stmt.len;
				it->line = s->stmt_line;
				it->copy = is_copy_from_stdin(s->stmt.buf, s->stmt.len);
				s->emitted = 1;
				if (it->copy) {
					/* the data starts on the next line */
					s->copy = 1;
					s->copy_skip = 1;
					s->copy_line = s->line + 1;
					s->copy_line_start = 1;
				}
				return 0;
			}
		}
		if (s->in_eof)
			break;
		s->in_pos = s->in_len = 0;
		if (refill(s, e) < 0)
			return -1;
	}
	if (s->state == S_META && s->meta.len) {
		s->state = S_NORMAL;
		it->kind = RSCAN_META;
		it->text = s->meta.buf;
		it->len = s->meta.len;
		it->line = s->meta_line;
		s->meta.len = 0;
		s->emitted = 1;
		return 0;
	}
	if (s->state == S_SQUOTE || s->state == S_SQUOTE_ESC || s->state == S_DQUOTE ||
	    s->state == S_DOLLAR || s->state == S_BLOCK || s->state == S_BLOCK_STAR ||
	    s->state == S_BLOCK_SLASH || s->has_content) {
		err_set(e, EXIT_DATAERR, "the input ends inside the statement starting at line %ld "
			"(the file is truncated)", s->has_content ? s->stmt_line : s->line);
		return -1;
	}
	it->kind = RSCAN_EOF;
	it->line = s->line;
	return 0;
}
