/* sqlsplit: see sqlsplit.h. */
#include "sqlsplit.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/exitcode.h"
#include "util/xalloc.h"
#include "util/banned.h"

static int is_ident_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

static int is_ident_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

static int word_is(const char *p, size_t n, const char *w)
{
	return strlen(w) == n && !strncasecmp(p, w, n);
}

struct splitter {
	const char *s;
	size_t len, i;
	int line;
	struct sql_stmt *v;
	int n, cap;
	/* current statement */
	int have_tokens;
	size_t start;
	int start_line;
	/* BEGIN ATOMIC tracking (psql's approach): words seen at statement start */
	int nwords;
	int is_routine;       /* CREATE [OR REPLACE] FUNCTION|PROCEDURE */
	int begin_depth;
	int prev_begin;       /* previous word was BEGIN */
};

static void emit(struct splitter *sp, size_t end)
{
	size_t e = end;

	if (sp->have_tokens) {
		while (e > sp->start && isspace((unsigned char)sp->s[e - 1]))
			e--;
		if (sp->n == sp->cap) {
			sp->cap = sp->cap ? sp->cap * 2 : 16;
			sp->v = xrealloc(sp->v, sizeof(*sp->v) * (size_t)sp->cap);
		}
		sp->v[sp->n].off = sp->start;
		sp->v[sp->n].len = e - sp->start;
		sp->v[sp->n].line = sp->start_line;
		sp->n++;
	}
	sp->have_tokens = 0;
	sp->nwords = 0;
	sp->is_routine = 0;
	sp->begin_depth = 0;
	sp->prev_begin = 0;
}

static void token(struct splitter *sp, size_t at, int line)
{
	if (!sp->have_tokens) {
		sp->have_tokens = 1;
		sp->start = at;
		sp->start_line = line;
	}
}

static void word(struct splitter *sp, const char *w, size_t n)
{
	sp->nwords++;
	if (sp->nwords <= 4) {
		/* CREATE [OR REPLACE] FUNCTION|PROCEDURE */
		if ((sp->nwords == 2 || sp->nwords == 4) &&
		    (word_is(w, n, "function") || word_is(w, n, "procedure")))
			sp->is_routine = 1;
		if (sp->nwords == 1 && !word_is(w, n, "create"))
			sp->nwords = 100;
	}
	if (sp->is_routine) {
		if (sp->prev_begin && word_is(w, n, "atomic"))
			sp->begin_depth++;
		else if (sp->begin_depth > 0 && word_is(w, n, "case"))
			sp->begin_depth++;
		else if (sp->begin_depth > 0 && word_is(w, n, "end"))
			sp->begin_depth--;
	}
	sp->prev_begin = word_is(w, n, "begin");
}

static int fail(struct err *e, int line, const char *what)
{
	err_set(e, EXIT_DATAERR, "unterminated %s", what);
	e->line = line;
	return -1;
}

int sql_split(const char *sql, size_t len, struct sql_stmt **out, int *n, struct err *e)
{
	struct splitter sp;
	const char *s = sql;

	memset(&sp, 0, sizeof(sp));
	sp.s = sql;
	sp.len = len;
	sp.line = 1;
	while (sp.i < len) {
		unsigned char c = (unsigned char)s[sp.i];
		size_t i = sp.i;

		if (c == '\n') {
			sp.line++;
			sp.i++;
		} else if (isspace(c)) {
			sp.i++;
		} else if (c == '-' && i + 1 < len && s[i + 1] == '-') {
			while (sp.i < len && s[sp.i] != '\n')
				sp.i++;
		} else if (c == '/' && i + 1 < len && s[i + 1] == '*') {
			int depth = 1, l0 = sp.line;
			sp.i += 2;
			while (sp.i < len && depth) {
				if (s[sp.i] == '\n')
					sp.line++;
				if (s[sp.i] == '/' && sp.i + 1 < len && s[sp.i + 1] == '*') {
					depth++;
					sp.i += 2;
				} else if (s[sp.i] == '*' && sp.i + 1 < len && s[sp.i + 1] == '/') {
					depth--;
					sp.i += 2;
				} else {
					sp.i++;
				}
			}
			if (depth) {
				free(sp.v);
				return fail(e, l0, "block comment");
			}
		} else if (c == '\'' || c == '"') {
			int l0 = sp.line;
			int esc = c == '\'' && i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') &&
				  (i < 2 || !is_ident_char((unsigned char)s[i - 2]));
			token(&sp, i, sp.line);
			sp.i++;
			for (;;) {
				if (sp.i >= len) {
					free(sp.v);
					return fail(e, l0, c == '\'' ? "quoted string" : "quoted identifier");
				}
				if (s[sp.i] == '\n')
					sp.line++;
				if (esc && s[sp.i] == '\\' && sp.i + 1 < len) {
					if (s[sp.i + 1] == '\n')
						sp.line++;
					sp.i += 2;
					continue;
				}
				if ((unsigned char)s[sp.i] == c) {
					if (sp.i + 1 < len && (unsigned char)s[sp.i + 1] == c) {
						sp.i += 2;
						continue;
					}
					sp.i++;
					break;
				}
				sp.i++;
			}
			sp.prev_begin = 0;
		} else if (c == '$' && (i == 0 || !is_ident_char((unsigned char)s[i - 1]))) {
			/* $tag$ or $$; $1 is a parameter */
			size_t j = i + 1;
			while (j < len && (is_ident_char((unsigned char)s[j]) && s[j] != '$'))
				j++;
			token(&sp, i, sp.line);
			if (j < len && s[j] == '$' && !(j > i + 1 && isdigit((unsigned char)s[i + 1]))) {
				size_t taglen = j - i + 1;
				const char *tag = s + i;
				int l0 = sp.line;
				sp.i = j + 1;
				for (;;) {
					if (sp.i + taglen > len) {
						free(sp.v);
						return fail(e, l0, "dollar-quoted string");
					}
					if (s[sp.i] == '$' && !memcmp(s + sp.i, tag, taglen)) {
						sp.i += taglen;
						break;
					}
					if (s[sp.i] == '\n')
						sp.line++;
					sp.i++;
				}
			} else {
				sp.i = j > i + 1 ? j : i + 1;
			}
			sp.prev_begin = 0;
		} else if (c == ';') {
			if (sp.begin_depth > 0) {
				sp.i++;
				continue;
			}
			emit(&sp, i);
			sp.i++;
		} else if (is_ident_start(c)) {
			size_t j = i;
			while (j < len && is_ident_char((unsigned char)s[j]))
				j++;
			token(&sp, i, sp.line);
			/* E'...' starts a string: leave the quote to the string branch */
			if (j - i == 1 && (c == 'E' || c == 'e') && j < len && s[j] == '\'') {
				sp.i = j;
				continue;
			}
			word(&sp, s + i, j - i);
			sp.i = j;
		} else {
			token(&sp, i, sp.line);
			sp.i++;
			sp.prev_begin = 0;
		}
	}
	emit(&sp, len);
	*out = sp.v;
	*n = sp.n;
	return 0;
}
