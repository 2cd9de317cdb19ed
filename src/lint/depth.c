/*
 * depth: a conservative estimate of a statement's parse-tree depth, from
 * tokens alone, so the driver can refuse (statement_too_complex) what would
 * make the parser and the protobuf reader recurse too deeply.  Brackets
 * nest; left-associative operators and UNION/JOIN chains nest once per
 * operator within one list element; commas and AND/OR (flattened by the
 * parser) start a new sibling.  Strings, identifiers and comments are
 * skipped.
 *
 *   if (lint_depth_estimate(sql, len) > LINT_MAX_DEPTH) ... refuse
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "lint/lint_int.h"
#include "util/banned.h"

struct dframe {
	int ops, child, best, flat;
};

static int kw_is(const char *p, size_t n, const char *w)
{
	return strlen(w) == n && !strncasecmp(p, w, n);
}

/*
 * A conservative estimate of the parse tree's depth, from tokens alone:
 * brackets nest, left-associative operators and UNION/JOIN chains nest once
 * per operator within one list element, commas and AND/OR (flattened by the
 * parser) start a new sibling.  Strings, identifiers and comments are
 * skipped.  Returns LINT_MAX_DEPTH + 1 as soon as the limit is passed.
 */
int lint_depth_estimate(const char *s, size_t n)
{
	struct dframe st[LINT_MAX_DEPTH + 2];
	int sp = 0, d;
	size_t i = 0;

	memset(&st[0], 0, sizeof(st[0]));
	while (i < n) {
		unsigned char ch = (unsigned char)s[i];
		struct dframe *f = &st[sp];

		if (ch == '-' && i + 1 < n && s[i + 1] == '-') {
			while (i < n && s[i] != '\n')
				i++;
		} else if (ch == '/' && i + 1 < n && s[i + 1] == '*') {
			int nest = 1;

			for (i += 2; i < n && nest; i++) {
				if (s[i] == '/' && i + 1 < n && s[i + 1] == '*')
					nest++, i++;
				else if (s[i] == '*' && i + 1 < n && s[i + 1] == '/')
					nest--, i++;
			}
		} else if (ch == '\'' || ch == '"') {
			int esc = ch == '\'' && i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e');

			for (i++; i < n; i++) {
				if (esc && s[i] == '\\') {
					i++;
				} else if ((unsigned char)s[i] == ch) {
					if (i + 1 < n && (unsigned char)s[i + 1] == ch)
						i++;
					else
						break;
				}
			}
			i++;
		} else if (ch == '$' && (i == 0 || !(isalnum((unsigned char)s[i - 1]) || s[i - 1] == '_'))) {
			size_t j = i + 1, tl;
			const char *end;

			while (j < n && (isalnum((unsigned char)s[j]) || s[j] == '_'))
				j++;
			if (j < n && s[j] == '$' && !(j > i + 1 && isdigit((unsigned char)s[i + 1]))) {
				tl = j + 1 - i;
				end = NULL;
				for (j = j + 1; j + tl <= n; j++)
					if (s[j] == '$' && !memcmp(s + j, s + i, tl)) {
						end = s + j;
						break;
					}
				i = end ? (size_t)(end - s) + tl : n;
			} else {
				i++;
			}
		} else if (ch == '(' || ch == '[') {
			if (sp + 1 > LINT_MAX_DEPTH)
				return LINT_MAX_DEPTH + 1;
			sp++;
			memset(&st[sp], 0, sizeof(st[sp]));
			i++;
		} else if (ch == ')' || ch == ']') {
			if (sp > 0) {
				d = (f->ops + f->child > f->best ? f->ops + f->child : f->best) + 1 + f->flat;
				sp--;
				if (d > st[sp].child)
					st[sp].child = d;
				if (st[sp].ops + st[sp].child > LINT_MAX_DEPTH)
					return LINT_MAX_DEPTH + 1;
			}
			i++;
		} else if (ch == ',') {
			if (f->ops + f->child > f->best)
				f->best = f->ops + f->child;
			f->ops = f->child = 0;
			i++;
		} else if (strchr("+-*/<>=~!@#%^&|`?:", ch)) {
			while (i < n && strchr("+-*/<>=~!@#%^&|`?:", s[i]))
				i++;
			if (++f->ops + f->child > LINT_MAX_DEPTH)
				return LINT_MAX_DEPTH + 1;
		} else if (isalpha(ch) || ch == '_' || ch >= 0x80) {
			size_t j = i;

			while (j < n && (isalnum((unsigned char)s[j]) || s[j] == '_' || s[j] == '$' ||
					 (unsigned char)s[j] >= 0x80))
				j++;
			if (kw_is(s + i, j - i, "and") || kw_is(s + i, j - i, "or")) {
				if (f->ops + f->child > f->best)
					f->best = f->ops + f->child;
				f->ops = f->child = 0;
				f->flat = 1;
			} else if (kw_is(s + i, j - i, "not") || kw_is(s + i, j - i, "union") ||
				   kw_is(s + i, j - i, "intersect") || kw_is(s + i, j - i, "except") ||
				   kw_is(s + i, j - i, "join") || kw_is(s + i, j - i, "is") ||
				   kw_is(s + i, j - i, "like") || kw_is(s + i, j - i, "ilike") ||
				   kw_is(s + i, j - i, "between") || kw_is(s + i, j - i, "in") ||
				   kw_is(s + i, j - i, "collate") || kw_is(s + i, j - i, "case") ||
				   kw_is(s + i, j - i, "at") || kw_is(s + i, j - i, "similar")) {
				if (++f->ops + f->child > LINT_MAX_DEPTH)
					return LINT_MAX_DEPTH + 1;
			}
			i = j;
		} else {
			i++;
		}
	}
	while (sp > 0) {
		struct dframe *f = &st[sp];

		d = (f->ops + f->child > f->best ? f->ops + f->child : f->best) + 1 + f->flat;
		sp--;
		if (d > st[sp].child)
			st[sp].child = d;
	}
	d = st[0].ops + st[0].child > st[0].best ? st[0].ops + st[0].child : st[0].best;
	return d + 1 + st[0].flat;
}
