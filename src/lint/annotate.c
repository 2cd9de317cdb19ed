/*
 * annotate: `-- predeploy:allow RULE[,RULE] [reason]` comments (SPEC.md
 * "Migration files", docs/rules.md "Controls").  The driver hands over the
 * text between two statements (the "gap"); the rule ids found there go to
 * the next statement's allow list, or to the whole section's when the
 * annotation is at the top of the section and a blank line separates it
 * from the first statement.  Unknown ids are reported (unknown_rule) where
 * they are written.  Only `--` line comments count (the SQL lexer,
 * src/sqllex.h, finds them; a line inside a block comment is not one).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "lint/lint_int.h"
#include "sqllex.h"
#include "util/banned.h"

static const char tag[] = "predeploy:allow";

static size_t skip_blanks(const char *s, size_t p, size_t end)
{
	while (p < end && (s[p] == ' ' || s[p] == '\t'))
		p++;
	return p;
}

/* Is there a blank line in gap[from..n)? */
static int blank_line_after(const char *gap, size_t from, size_t n)
{
	size_t q, k;

	for (q = from; q < n; q++) {
		if (gap[q] != '\n')
			continue;
		k = q + 1;
		while (k < n && (gap[k] == ' ' || gap[k] == '\t' || gap[k] == '\r'))
			k++;
		if (k < n && gap[k] == '\n')
			return 1;
	}
	return 0;
}

/* The rule list of one annotation line gap[p..eol); line/bol place
 * unknown ids. */
static void read_rules(struct lint_ctx *c, struct strlist *dst, const char *gap, size_t p, size_t eol,
		       size_t bol, int line)
{
	for (;;) {
		size_t s0, q;
		char name[64];

		p = skip_blanks(gap, p, eol);
		s0 = p;
		while (p < eol && (isalnum((unsigned char)gap[p]) || gap[p] == '_'))
			p++;
		if (p == s0)
			break;
		if (p - s0 < sizeof(name)) {
			memcpy(name, gap + s0, p - s0);
			name[p - s0] = '\0';
			for (q = 0; name[q]; q++)
				name[q] = (char)tolower((unsigned char)name[q]);
			if (lint_rule_known(name))
				strlist_add(dst, name);
			else
				lint_emit_at(c, line, (int)(s0 - bol) + 1, "unknown_rule", NULL, name, NULL);
		}
		p = skip_blanks(gap, p, eol);
		if (p < eol && gap[p] == ',')
			p++;
		else
			break;
	}
}

void lint_annotations(struct lint_ctx *c, const char *gap, size_t n, int gap_line, int top)
{
	struct sqllex lx;
	struct sqltok t;
	struct err e = ERR_INIT;
	size_t p, eol, bol;

	/* the gap holds comments and blanks; the lexer tells line comments
	 * from text inside a block comment */
	sqllex_init(&lx, 0);
	while (sqllex_token(&lx, gap, n, 1, &t, &e) == SQLLEX_TOKEN) {
		if (t.kind != SQLTOK_COMMENT || t.len < 2 || gap[t.off] != '-')
			continue;
		/* on a line of its own: after a ';' it would be the previous
		 * statement's comment */
		for (bol = t.off; bol > 0 && gap[bol - 1] != '\n'; bol--)
			;
		if (skip_blanks(gap, bol, t.off) != t.off)
			continue;
		eol = t.off + t.len;
		p = skip_blanks(gap, t.off + 2, eol);
		if (eol - p >= sizeof(tag) - 1 && !strncasecmp(gap + p, tag, sizeof(tag) - 1)) {
			struct strlist *dst = top && blank_line_after(gap, eol, n) ? &c->section_allow
										   : &c->stmt_allow;

			read_rules(c, dst, gap, p + sizeof(tag) - 1, eol, bol, gap_line + (int)t.line - 1);
		}
	}
	sqllex_release(&lx);
}
