/*
 * depth: a conservative estimate of a statement's parse-tree depth, from
 * the tokens of the one SQL lexer (src/sqllex.h), so the driver can refuse
 * (statement_too_complex) what would make the parser and the protobuf
 * reader recurse too deeply.  Brackets nest; left-associative operators,
 * casts (::) and UNION/JOIN chains nest once per operator within one list
 * element; commas and AND/OR (flattened by the parser) start a new
 * sibling.  Strings, identifiers and comments count for nothing.
 *
 *   if (lint_depth_estimate(sql, len) > LINT_MAX_DEPTH) ... refuse
 */
#include <string.h>
#include <strings.h>

#include "lint/lint_int.h"
#include "sqllex.h"
#include "util/banned.h"

struct dframe {
	int ops, child, best, flat;
};

static const char *const nesting_words[] = {
	"not", "union", "intersect", "except", "join", "is", "like", "ilike", "between", "in",
	"collate", "case", "at", "similar", NULL,
};

static int word_is(const char *p, size_t n, const char *w)
{
	return strlen(w) == n && !strncasecmp(p, w, n);
}

static int nests(const char *p, size_t n)
{
	int i;

	for (i = 0; nesting_words[i]; i++)
		if (word_is(p, n, nesting_words[i]))
			return 1;
	return 0;
}

static int frame_depth(const struct dframe *f)
{
	return (f->ops + f->child > f->best ? f->ops + f->child : f->best) + 1 + f->flat;
}

/* A new list element (',' AND OR): the best so far is kept. */
static void sibling(struct dframe *f)
{
	if (f->ops + f->child > f->best)
		f->best = f->ops + f->child;
	f->ops = f->child = 0;
}

int lint_depth_estimate(const char *s, size_t n)
{
	struct dframe st[LINT_MAX_DEPTH + 2];
	struct sqllex lx;
	struct sqltok t;
	struct err e = ERR_INIT;
	int sp = 0, d, prev_colon = 0, too_deep = 0;

	memset(&st[0], 0, sizeof(st[0]));
	sqllex_init(&lx, 0);
	/* a lexing error (an unterminated quote) ends the estimate; the
	 * parser reports it */
	while (!too_deep && sqllex_token(&lx, s, n, 1, &t, &e) == SQLLEX_TOKEN) {
		struct dframe *f = &st[sp];
		char c = s[t.off];
		int colon = 0;

		if (t.kind == SQLTOK_PUNCT && (c == '(' || c == '[')) {
			if (sp + 1 > LINT_MAX_DEPTH) {
				too_deep = 1;
				break;
			}
			memset(&st[++sp], 0, sizeof(st[0]));
		} else if (t.kind == SQLTOK_PUNCT && (c == ')' || c == ']')) {
			if (sp > 0) {
				d = frame_depth(f);
				sp--;
				if (d > st[sp].child)
					st[sp].child = d;
				too_deep = st[sp].ops + st[sp].child > LINT_MAX_DEPTH;
			}
		} else if (t.kind == SQLTOK_PUNCT && c == ',') {
			sibling(f);
		} else if (t.kind == SQLTOK_OP || (t.kind == SQLTOK_PUNCT && c == ':')) {
			/* "::" is one cast, two ':' tokens */
			colon = c == ':';
			if (!(colon && prev_colon))
				too_deep = ++f->ops + f->child > LINT_MAX_DEPTH;
		} else if (t.kind == SQLTOK_WORD) {
			if (word_is(s + t.off, t.len, "and") || word_is(s + t.off, t.len, "or")) {
				sibling(f);
				f->flat = 1;
			} else if (nests(s + t.off, t.len)) {
				too_deep = ++f->ops + f->child > LINT_MAX_DEPTH;
			}
		}
		if (t.kind != SQLTOK_SPACE && t.kind != SQLTOK_COMMENT)
			prev_colon = colon;
	}
	sqllex_release(&lx);
	if (too_deep)
		return LINT_MAX_DEPTH + 1;
	while (sp > 0) {
		d = frame_depth(&st[sp]);
		sp--;
		if (d > st[sp].child)
			st[sp].child = d;
	}
	d = st[0].ops + st[0].child > st[0].best ? st[0].ops + st[0].child : st[0].best;
	return d + 1 + st[0].flat;
}
