/* sqllex: see sqllex.h. */
#include "sqllex.h"

#include <string.h>

#include "util/exitcode.h"
#include "util/banned.h"

enum {
	T_NONE, T_SPACE, T_LINECOM, T_BLOCK, T_STRING, T_QIDENT, T_DOLOPEN, T_DOLBODY, T_WORD, T_NUMBER,
	T_OP, T_PARAM, T_BACKSLASH,
};

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int dolq_cont(unsigned char c)
{
	return ident_start(c) || is_digit(c);
}

static int ident_cont(unsigned char c)
{
	return dolq_cont(c) || c == '$';
}

static int op_char(unsigned char c)
{
	return c && strchr("~!@#^&|`?+-*/%<>=", c) != NULL;
}

static int punct_char(unsigned char c)
{
	return c && strchr("()[],;:.", c) != NULL;
}

void sqllex_init(struct sqllex *lx, int flags)
{
	memset(lx, 0, sizeof(*lx));
	lx->flags = flags;
	lx->std_strings = 1;
	lx->line = 1;
}

void sqllex_release(struct sqllex *lx)
{
	(void)lx;       /* nothing on the heap today; kept for the API's shape */
}

static int emit(struct sqllex *lx, enum sqltok_kind kind, struct sqltok *t)
{
	t->kind = kind;
	t->off = lx->tstart;
	t->len = lx->pos - lx->tstart;
	t->line = lx->tline;
	lx->tk = T_NONE;
	return SQLLEX_TOKEN;
}

static int unterminated(struct sqllex *lx, const char *what, struct err *e)
{
	err_set(e, EXIT_DATAERR, "unterminated %s starting at line %ld", what, lx->tline);
	e->line = (int)lx->tline;
	return -1;
}

/* Start a token at buf[pos]: sets lx->tk, or emits a one-byte token. */
static int start(struct sqllex *lx, const char *buf, size_t len, int eof, struct sqltok *t)
{
	unsigned char c = (unsigned char)buf[lx->pos];
	int more = lx->pos + 1 >= len;
	unsigned char n = more ? 0 : (unsigned char)buf[lx->pos + 1];

	lx->tstart = lx->pos;
	lx->tline = lx->line;
	if ((c == '-' || c == '/' || c == '$') && more && !eof)
		return SQLLEX_MORE;
	if (is_space(c)) {
		lx->tk = T_SPACE;
	} else if (c == '-' && n == '-') {
		lx->tk = T_LINECOM;
		lx->pos += 2;
	} else if (c == '/' && n == '*') {
		lx->tk = T_BLOCK;
		lx->sub = 1;
		lx->pos += 2;
	} else if (c == '\'') {
		lx->tk = T_STRING;
		lx->esc = !lx->std_strings;
		lx->pos++;
	} else if (c == '"') {
		lx->tk = T_QIDENT;
		lx->pos++;
	} else if (c == '$' && is_digit(n)) {
		lx->tk = T_PARAM;
		lx->pos++;
	} else if (c == '$' && (ident_start(n) || n == '$')) {
		lx->tk = T_DOLOPEN;
		lx->pos++;
	} else if (c == '\\' && (lx->flags & SQLLEX_PSQL)) {
		lx->tk = T_BACKSLASH;
	} else if (ident_start(c)) {
		lx->tk = T_WORD;
	} else if (is_digit(c)) {
		lx->tk = T_NUMBER;
	} else if (op_char(c)) {
		lx->tk = T_OP;
	} else {
		lx->pos++;
		return emit(lx, punct_char(c) ? SQLTOK_PUNCT : SQLTOK_OP, t);
	}
	return SQLLEX_TOKEN;
}

/* A quoted string or identifier from pos; q is the quote. */
static int quoted(struct sqllex *lx, const char *buf, size_t len, int eof, char q, struct sqltok *t,
		  struct err *e)
{
	while (lx->pos < len) {
		char c = buf[lx->pos];

		if (c == '\\' && lx->esc) {
			if (lx->pos + 1 >= len)
				break;
			if (buf[lx->pos + 1] == '\n')
				lx->line++;
			lx->pos += 2;
			continue;
		}
		if (c == q) {
			if (lx->pos + 1 >= len && !eof)
				return SQLLEX_MORE;
			if (lx->pos + 1 < len && buf[lx->pos + 1] == q) {
				lx->pos += 2;
				continue;
			}
			lx->pos++;
			return emit(lx, q == '"' ? SQLTOK_QIDENT : SQLTOK_STRING, t);
		}
		if (c == '\n')
			lx->line++;
		lx->pos++;
	}
	if (!eof)
		return SQLLEX_MORE;
	return unterminated(lx, q == '"' ? "quoted identifier" : "quoted string", e);
}

int sqllex_token(struct sqllex *lx, const char *buf, size_t len, int eof, struct sqltok *t, struct err *e)
{
	if (lx->tk == T_NONE) {
		int r;

		if (lx->pos >= len)
			return eof ? SQLLEX_EOF : SQLLEX_MORE;
		r = start(lx, buf, len, eof, t);
		if (r != SQLLEX_TOKEN || lx->tk == T_NONE)
			return r;
	}
	switch (lx->tk) {
	case T_SPACE:
		while (lx->pos < len && is_space((unsigned char)buf[lx->pos]))
			if (buf[lx->pos++] == '\n')
				lx->line++;
		return emit(lx, SQLTOK_SPACE, t);
	case T_LINECOM:
	case T_BACKSLASH: {
		/* a "--" comment ends at \n or \r, as in the server's scanner (a
		 * comment running past a lone \r would hide statements from us
		 * that the server runs); a backslash line at \n, as psql reads lines */
		size_t p = lx->pos;

		while (p < len && buf[p] != '\n' && !(buf[p] == '\r' && lx->tk == T_LINECOM))
			p++;
		lx->pos = p;
		if (p == len && !eof)
			return SQLLEX_MORE;
		return emit(lx, lx->tk == T_LINECOM ? SQLTOK_COMMENT : SQLTOK_BACKSLASH, t);
	}
	case T_BLOCK:
		while (lx->pos < len) {
			char c = buf[lx->pos];

			if ((c == '*' || c == '/') && lx->pos + 1 >= len && !eof)
				return SQLLEX_MORE;
			if (c == '*' && lx->pos + 1 < len && buf[lx->pos + 1] == '/') {
				lx->pos += 2;
				if (--lx->sub == 0)
					return emit(lx, SQLTOK_COMMENT, t);
				continue;
			}
			if (c == '/' && lx->pos + 1 < len && buf[lx->pos + 1] == '*') {
				lx->pos += 2;
				lx->sub++;
				continue;
			}
			if (c == '\n')
				lx->line++;
			lx->pos++;
		}
		if (!eof)
			return SQLLEX_MORE;
		return unterminated(lx, "/* comment", e);
	case T_STRING:
		return quoted(lx, buf, len, eof, '\'', t, e);
	case T_QIDENT:
		lx->esc = 0;
		return quoted(lx, buf, len, eof, '"', t, e);
	case T_DOLOPEN:
		while (lx->pos < len && dolq_cont((unsigned char)buf[lx->pos]))
			lx->pos++;
		if (lx->pos >= len && !eof)
			return SQLLEX_MORE;
		if (lx->pos >= len || buf[lx->pos] != '$') {
			/* "$abc" without a closing '$': a lone '$' (psql's dolqfailed) */
			lx->pos = lx->tstart + 1;
			return emit(lx, SQLTOK_OP, t);
		}
		lx->pos++;
		lx->tag_off = lx->tstart;
		lx->tag_len = lx->pos - lx->tstart;
		lx->tk = T_DOLBODY;
		/* fall through */
	case T_DOLBODY:
		while (lx->pos < len) {
			char c = buf[lx->pos];

			if (c == '$') {
				if (lx->pos + lx->tag_len > len) {
					if (!eof)
						return SQLLEX_MORE;
				} else if (!memcmp(buf + lx->pos, buf + lx->tag_off, lx->tag_len)) {
					lx->pos += lx->tag_len;
					return emit(lx, SQLTOK_DOLLAR, t);
				}
			} else if (c == '\n') {
				lx->line++;
			}
			lx->pos++;
		}
		if (!eof)
			return SQLLEX_MORE;
		return unterminated(lx, "dollar-quoted string", e);
	case T_WORD:
		while (lx->pos < len && ident_cont((unsigned char)buf[lx->pos]))
			lx->pos++;
		if (lx->pos >= len && !eof)
			return SQLLEX_MORE;
		if (lx->pos - lx->tstart == 1 && (buf[lx->tstart] == 'E' || buf[lx->tstart] == 'e') &&
		    lx->pos < len && buf[lx->pos] == '\'') {
			lx->tk = T_STRING;      /* E'...': backslash escapes */
			lx->esc = 1;
			lx->pos++;
			return quoted(lx, buf, len, eof, '\'', t, e);
		}
		return emit(lx, SQLTOK_WORD, t);
	case T_NUMBER:
	case T_PARAM:
		while (lx->pos < len && (dolq_cont((unsigned char)buf[lx->pos]) ||
					 (lx->tk == T_NUMBER && buf[lx->pos] == '.')))
			lx->pos++;
		if (lx->pos >= len && !eof)
			return SQLLEX_MORE;
		return emit(lx, lx->tk == T_NUMBER ? SQLTOK_NUMBER : SQLTOK_PARAM, t);
	case T_OP:
		while (lx->pos < len && op_char((unsigned char)buf[lx->pos])) {
			char c = buf[lx->pos];

			if ((c == '-' || c == '/') && lx->pos + 1 >= len && !eof)
				return SQLLEX_MORE;
			if (lx->pos > lx->tstart && lx->pos + 1 < len &&
			    ((c == '-' && buf[lx->pos + 1] == '-') || (c == '/' && buf[lx->pos + 1] == '*')))
				break;
			lx->pos++;
		}
		if (lx->pos >= len && !eof)
			return SQLLEX_MORE;
		return emit(lx, SQLTOK_OP, t);
	}
	return -1;
}

/* ---- statements ---- */

static void stmt_begin(struct sqllex *lx, const struct sqltok *t)
{
	lx->in_stmt = 1;
	lx->soff = t->off;
	lx->sline = t->line;
	lx->paren = lx->begin_depth = lx->nident = lx->nwords = lx->copy_state = 0;
	memset(lx->idents, 0, sizeof(lx->idents));
	memset(&lx->cur, 0, sizeof(lx->cur));
}

static int word_is(const char *buf, const struct sqltok *t, const char *w)
{
	size_t i, n = strlen(w);

	if (t->kind != SQLTOK_WORD || t->len != n)
		return 0;
	for (i = 0; i < n; i++)
		if ((buf[t->off + i] | 0x20) != w[i])
			return 0;
	return 1;
}

/* The facts a caller checks, and psql's BEGIN ... END counting. */
static void stmt_token(struct sqllex *lx, const char *buf, const struct sqltok *t)
{
	int first = lx->nwords == 0;

	if (lx->nwords < SQLLEX_WORDS) {
		if (t->kind == SQLTOK_WORD) {
			char *w = lx->cur.words[lx->nwords++];
			size_t i;

			if (t->len < SQLLEX_WORD_CAP)
				for (i = 0; i < t->len; i++) {
					char c = buf[t->off + i];

					w[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
				}
		} else {
			lx->nwords = SQLLEX_WORDS;
		}
	}
	if (t->kind == SQLTOK_PUNCT && buf[t->off] == '(')
		lx->paren++;
	else if (t->kind == SQLTOK_PUNCT && buf[t->off] == ')' && lx->paren > 0)
		lx->paren--;

	/* COPY: what follows a top-level FROM, or a top-level TO */
	if (first && word_is(buf, t, "copy"))
		lx->copy_state = 1;
	else if (lx->copy_state == 2) {
		lx->cur.copy = word_is(buf, t, "stdin") ? SQLLEX_COPY_FROM_STDIN : SQLLEX_COPY_OTHER;
		lx->copy_state = 3;
	} else if (lx->copy_state == 1 && lx->paren == 0) {
		if (word_is(buf, t, "from"))
			lx->copy_state = 2;
		else if (word_is(buf, t, "to")) {
			lx->cur.copy = SQLLEX_COPY_OTHER;
			lx->copy_state = 3;
		}
	}

	/* psql: CREATE [OR REPLACE] FUNCTION|PROCEDURE ... BEGIN ... END */
	if (t->kind != SQLTOK_WORD)
		return;
	if (lx->nident < 4 && (word_is(buf, t, "create") || word_is(buf, t, "function") ||
			       word_is(buf, t, "procedure") || word_is(buf, t, "or") || word_is(buf, t, "replace")))
		lx->idents[lx->nident] = (char)(buf[t->off] | 0x20);
	lx->nident++;
	if (lx->idents[0] == 'c' &&
	    (lx->idents[1] == 'f' || lx->idents[1] == 'p' ||
	     (lx->idents[1] == 'o' && lx->idents[2] == 'r' && (lx->idents[3] == 'f' || lx->idents[3] == 'p'))) &&
	    lx->paren == 0) {
		if (word_is(buf, t, "begin"))
			lx->begin_depth++;
		else if (word_is(buf, t, "case") && lx->begin_depth >= 1)
			lx->begin_depth++;
		else if (word_is(buf, t, "end") && lx->begin_depth > 0)
			lx->begin_depth--;
	}
}

static int stmt_end(struct sqllex *lx, int terminated, struct sqllex_stmt *st)
{
	*st = lx->cur;
	st->off = lx->soff;
	st->len = lx->send - lx->soff;
	st->line = lx->sline;
	st->terminated = terminated;
	lx->in_stmt = 0;
	if ((lx->flags & SQLLEX_PSQL) && terminated && st->copy == SQLLEX_COPY_FROM_STDIN) {
		lx->copy = 1;
		lx->copy_skip = 1;
		lx->copy_line = lx->line;
	}
	return SQLLEX_STATEMENT;
}

static int at_terminator(const char *p, size_t avail, int eof, size_t *len)
{
	if (avail >= 3 && !memcmp(p, "\\.\n", 3))
		*len = 3;
	else if (avail >= 4 && !memcmp(p, "\\.\r\n", 4))
		*len = 4;
	else if (eof && avail == 2 && !memcmp(p, "\\.", 2))
		*len = 2;
	else
		return 0;
	return 1;
}

/* Can we tell whether the line starting at p is the terminator? */
static int decidable(const char *p, size_t avail, int eof)
{
	return eof || avail >= 4 || (avail >= 1 && p[0] != '\\') || (avail >= 2 && p[1] != '.') ||
	       (avail >= 3 && p[2] != '\n' && p[2] != '\r');
}

static int copy_data(struct sqllex *lx, const char *buf, size_t len, int eof, struct sqllex_stmt *st,
		     struct err *e)
{
	size_t p, tl;

	memset(st, 0, sizeof(*st));
	while (lx->copy_skip && lx->pos < len) {
		char c = buf[lx->pos++];

		if (c == '\n') {
			lx->line++;
			lx->copy_skip = 0;
			lx->line_start = 1;
			lx->copy_line = lx->line;
		} else if (c != ' ' && c != '\t' && c != '\r') {
			err_set(e, EXIT_DATAERR, "text after \"COPY ... FROM stdin;\" on line %ld: the data must start "
				"on the next line", lx->line);
			e->line = (int)lx->line;
			return -1;
		}
	}
	if (lx->pos >= len || (lx->line_start && !decidable(buf + lx->pos, len - lx->pos, eof))) {
		if (!eof)
			return SQLLEX_MORE;
		err_set(e, EXIT_DATAERR, "the input ends inside the COPY data that starts at line %ld",
			lx->copy_line);
		e->line = (int)lx->line;
		return -1;
	}
	st->line = lx->copy_line;
	if (lx->line_start && at_terminator(buf + lx->pos, len - lx->pos, eof, &tl)) {
		st->off = lx->pos;
		st->len = 2;
		st->line = lx->line;
		lx->pos += tl;
		if (tl > 2)
			lx->line++;
		lx->copy = 0;
		return SQLLEX_COPY_END;
	}
	p = lx->pos;
	while (p < len) {
		const char *nl = memchr(buf + p, '\n', len - p);

		if (!nl) {
			p = len;
			lx->line_start = 0;
			break;
		}
		p = (size_t)(nl - buf) + 1;
		lx->line++;
		lx->line_start = 1;
		if (p < len && buf[p] == '\\' && (!decidable(buf + p, len - p, eof) ||
						  at_terminator(buf + p, len - p, eof, &tl)))
			break;
	}
	st->off = lx->pos;
	st->len = p - lx->pos;
	lx->pos = p;
	return SQLLEX_COPY_DATA;
}

int sqllex_statement(struct sqllex *lx, const char *buf, size_t len, int eof, struct sqllex_stmt *st,
		     struct err *e)
{
	struct sqltok t;

	if (lx->copy)
		return copy_data(lx, buf, len, eof, st, e);
	for (;;) {
		int r = sqllex_token(lx, buf, len, eof, &t, e);

		if (r < 0 || r == SQLLEX_MORE)
			return r;
		if (r == SQLLEX_EOF) {
			if (lx->in_stmt)
				return stmt_end(lx, 0, st);
			return SQLLEX_EOF;
		}
		switch (t.kind) {
		case SQLTOK_SPACE:
			continue;
		case SQLTOK_COMMENT:
			if (lx->in_stmt) {
				lx->send = t.off + t.len;
			} else if (lx->flags & SQLLEX_PSQL) {
				memset(st, 0, sizeof(*st));
				st->off = t.off;
				st->len = t.len;
				st->line = t.line;
				return SQLLEX_COMMENT;
			}
			continue;
		case SQLTOK_BACKSLASH:
			memset(st, 0, sizeof(*st));
			st->off = t.off;
			st->len = t.len;
			st->line = t.line;
			st->inside = lx->in_stmt;
			return SQLLEX_META;
		case SQLTOK_PUNCT:
			if (buf[t.off] == ';' && lx->paren == 0 && lx->begin_depth == 0) {
				if (lx->in_stmt)
					return stmt_end(lx, 1, st);
				continue;
			}
			/* fall through */
		default:
			if (!lx->in_stmt)
				stmt_begin(lx, &t);
			lx->send = t.off + t.len;
			stmt_token(lx, buf, &t);
		}
	}
}

size_t sqllex_keep(const struct sqllex *lx)
{
	if (lx->in_stmt)
		return lx->soff;
	if (lx->tk != T_NONE)
		return lx->tstart;
	return lx->pos;
}

void sqllex_shift(struct sqllex *lx, size_t n)
{
	lx->pos -= n;
	if (lx->tk != T_NONE)
		lx->tstart -= n;
	if (lx->tk == T_DOLBODY)
		lx->tag_off -= n;
	if (lx->in_stmt) {
		lx->soff -= n;
		lx->send -= n;
	}
}
