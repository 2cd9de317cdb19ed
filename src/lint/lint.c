/*
 * lint: the driver (see lint.h).  A section is split into statements the
 * way psql (and the migration runner) splits it, each statement is checked
 * for hostile nesting, parsed on its own with libpg_query (so one syntax
 * error does not hide the rest), and handed to the rule families.  The
 * comments between statements carry the `-- predeploy:allow` annotations.
 *
 * Everything runs on a worker thread with a LINT_STACK-byte stack: the
 * parser and the protobuf reader recurse once per nesting level, and the
 * depth estimate below keeps that bounded well inside the stack.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pg_query.h>

#include "lint/lint_int.h"
#include "sqlsplit.h"
#include "util/exitcode.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define LINT_STACK (64u * 1024 * 1024)
/* Estimated parse-tree depth above which a statement is not parsed. */
#define LINT_MAX_DEPTH 1000

/* ---- small helpers shared with the rule families ---- */

void nameset_add(struct nameset *s, const char *name)
{
	if (nameset_has(s, name))
		return;
	if (s->n == s->alloc) {
		s->alloc = s->alloc ? s->alloc * 2 : 8;
		s->v = xrealloc(s->v, sizeof(*s->v) * (size_t)s->alloc);
	}
	s->v[s->n++] = xstrdup(name);
}

int nameset_has(const struct nameset *s, const char *name)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcasecmp(s->v[i], name))
			return 1;
	return 0;
}

void nameset_clear(struct nameset *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

char *rv_name(const PgQuery__RangeVar *rv)
{
	if (!rv || !rv->relname)
		return xstrdup("");
	if (rv->schemaname && rv->schemaname[0])
		return xasprintf("%s.%s", rv->schemaname, rv->relname);
	return xstrdup(rv->relname);
}

static const char *unqualified(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot ? dot + 1 : name;
}

/* "users" matches "public.users" and "users"; "a.users" does not match
 * "b.users". */
static int table_match(const char *a, const char *b)
{
	int qa = strchr(a, '.') != NULL, qb = strchr(b, '.') != NULL;

	if (qa == qb)
		return !strcasecmp(a, b);
	return !strcasecmp(unqualified(a), unqualified(b));
}

int ctx_table_is_new(const struct lint_ctx *c, const char *table)
{
	int i;

	for (i = 0; i < c->tables.n; i++)
		if (table_match(c->tables.v[i], table))
			return 1;
	return 0;
}

const char *names_last(PgQuery__Node **v, size_t n)
{
	if (n == 0 || !v[n - 1] || v[n - 1]->node_case != PG_QUERY__NODE__NODE_STRING)
		return "";
	return v[n - 1]->string->sval;
}

char *names_join(PgQuery__Node **v, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!v[i] || v[i]->node_case != PG_QUERY__NODE__NODE_STRING)
			continue;
		if (sb.len)
			sb_addc(&sb, '.');
		sb_adds(&sb, v[i]->string->sval);
	}
	return sb_detach(&sb, NULL);
}

/* ---- findings ---- */

static int is_protected(const struct lint_opts *o, const char *rule, const char *table,
			const char *object)
{
	int i;

	if (!o->protect || !o->protect->n)
		return 0;
	for (i = 0; i < o->protect->n; i++) {
		const char *p = o->protect->v[i];

		if (table && table_match(p, table))
			return 1;
		/* DROP SCHEMA s takes every protected "s.t" with it */
		if (!strcmp(rule, "drop_schema") && object && strchr(p, '.') &&
		    !strncasecmp(p, object, strlen(object)) && p[strlen(object)] == '.')
			return 1;
	}
	return 0;
}

static int finding_blocks(const struct lint_finding *f, const struct lint_opts *o)
{
	int would;

	if (f->protected_table)
		would = 1;
	else if (f->acknowledged)
		would = 0;
	else if (!strcmp(f->rule, "syntax_error") && o->server_judges_syntax)
		would = 0;
	else
		would = f->severity == LINT_ERROR || o->fail_on_warning;
	return would && !o->force;
}

static int finding_forced(const struct lint_finding *f, const struct lint_opts *o)
{
	struct lint_opts no_force = *o;

	no_force.force = 0;
	return o->force && finding_blocks(f, &no_force);
}

static char *subst(const char *tmpl, const char *object)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = tmpl, *q;

	while ((q = strstr(p, "{}")) != NULL) {
		sb_add(&sb, p, (size_t)(q - p));
		sb_adds(&sb, object);
		p = q + 2;
	}
	sb_adds(&sb, p);
	return sb_detach(&sb, NULL);
}

static struct lint_finding *add_finding(struct lint_report *r)
{
	struct lint_finding *f;

	if (r->n == r->alloc) {
		r->alloc = r->alloc ? r->alloc * 2 : 16;
		r->v = xrealloc(r->v, sizeof(*r->v) * (size_t)r->alloc);
	}
	f = &r->v[r->n++];
	memset(f, 0, sizeof(*f));
	f->rows = f->bytes = -1;
	return f;
}

static void emit_full(struct lint_ctx *c, const char *rule, const char *table, const char *object,
		      const char *msg, int line, int col)
{
	const struct lint_rule *lr = lint_rule_find(rule);
	struct lint_finding *f;
	char *quoted = NULL;

	if (!lr)
		xdie("lint: rule missing from the rule table");
	f = add_finding(c->r);
	f->rule = xstrdup(rule);
	f->severity = lr->severity;
	f->file = xstrdup(c->file);
	f->version = xstrdup(c->version);
	f->line = line;
	f->col = col;
	if (msg) {
		f->message = xstrdup(msg);
	} else {
		quoted = xasprintf("\"%s\"", object ? object : table ? table : "");
		f->message = subst(lr->message, quoted);
	}
	f->help = xstrdup(lr->help);
	f->table = table && table[0] ? xstrdup(table) : NULL;
	if (!(lr->flags & LR_NOACK))
		f->acknowledged = (c->o->allow && strlist_has(c->o->allow, rule)) ||
				  strlist_has(&c->stmt_allow, rule) ||
				  strlist_has(&c->section_allow, rule);
	if (lr->flags & LR_DESTRUCTIVE)
		f->protected_table = is_protected(c->o, rule, f->table, object);
	f->forced = finding_forced(f, c->o);
	f->blocking = finding_blocks(f, c->o);
	free(quoted);
}

void lint_emit(struct lint_ctx *c, const char *rule, const char *table, const char *object)
{
	emit_full(c, rule, table, object, NULL, c->line, c->col);
}

void lint_emit_msg(struct lint_ctx *c, const char *rule, const char *table, const char *msg)
{
	emit_full(c, rule, table, NULL, msg, c->line, c->col);
}

/* ---- hostile nesting ---- */

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
static int depth_estimate(const char *s, size_t n)
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

/* ---- annotations ---- */

/* Parse every "-- predeploy:allow RULES [reason]" line in gap[0..n).
 * Rules go to the statement's list, or to the section's when `top` and a
 * blank line separates the annotation from the statement. */
static void scan_annotations(struct lint_ctx *c, const char *gap, size_t n, int gap_line, int top)
{
	static const char tag[] = "predeploy:allow";
	size_t i = 0;
	int line = gap_line;

	while (i < n) {
		size_t eol = i, p;

		while (eol < n && gap[eol] != '\n')
			eol++;
		p = i;
		while (p < eol && (gap[p] == ' ' || gap[p] == '\t'))
			p++;
		if (p + 2 <= eol && gap[p] == '-' && gap[p + 1] == '-') {
			p += 2;
			while (p < eol && (gap[p] == ' ' || gap[p] == '\t'))
				p++;
			if (eol - p >= sizeof(tag) - 1 && !strncasecmp(gap + p, tag, sizeof(tag) - 1)) {
				struct strlist *dst = &c->stmt_allow;
				size_t q;
				int blank = 0;

				/* blank line between this annotation and the statement? */
				for (q = eol; q < n; q++) {
					size_t k = q + 1;

					if (gap[q] != '\n')
						continue;
					while (k < n && (gap[k] == ' ' || gap[k] == '\t' || gap[k] == '\r'))
						k++;
					if (k < n && gap[k] == '\n') {
						blank = 1;
						break;
					}
				}
				if (top && blank)
					dst = &c->section_allow;
				p += sizeof(tag) - 1;
				for (;;) {
					size_t s0;
					char name[64];

					while (p < eol && (gap[p] == ' ' || gap[p] == '\t'))
						p++;
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
						if (lint_rule_known(name)) {
							strlist_add(dst, name);
						} else {
							int sl = c->line, sc = c->col;

							c->line = line;
							c->col = (int)(s0 - i) + 1;
							lint_emit(c, "unknown_rule", NULL, name);
							c->line = sl;
							c->col = sc;
						}
					}
					while (p < eol && (gap[p] == ' ' || gap[p] == '\t'))
						p++;
					if (p < eol && gap[p] == ',')
						p++;
					else
						break;
				}
			}
		}
		i = eol + 1;
		line++;
	}
}

/* ---- one statement ---- */

/*
 * libpg_query's raw parser, for statements no rule looks at (INSERT, COMMENT,
 * GRANT, CREATE FUNCTION/VIEW, ...): they are only checked for syntax, which
 * skips building, packing and unpacking a protobuf tree (most of the cost of
 * a big INSERT).  These entry points are exported by libpg_query and declared
 * in its pg_query_internal.h, which needs PostgreSQL's headers; the tree is
 * an opaque pointer here and is freed with its memory context.
 */
typedef struct {
	void *tree;
	char *stderr_buffer;
	PgQueryError *error;
} raw_parse_result;

raw_parse_result pg_query_raw_parse(const char *input);
void *pg_query_enter_memory_context(void);
void pg_query_exit_memory_context(void *ctx);
void pg_query_free_error(PgQueryError *error);

static int word_at(const char *s, size_t len, size_t *i, const char *w)
{
	size_t n = strlen(w);

	if (*i + n > len || strncasecmp(s + *i, w, n) ||
	    (*i + n < len && (isalnum((unsigned char)s[*i + n]) || s[*i + n] == '_')))
		return 0;
	*i += n;
	while (*i < len && isspace((unsigned char)s[*i]))
		(*i)++;
	return 1;
}

/* Statements that no rule (and no tracking) looks at. */
static int syntax_only(const char *s, size_t len)
{
	size_t i = 0;

	if (word_at(s, len, &i, "insert") || word_at(s, len, &i, "comment") ||
	    word_at(s, len, &i, "grant") || word_at(s, len, &i, "revoke") ||
	    word_at(s, len, &i, "do") || word_at(s, len, &i, "copy"))
		return 1;
	if (!word_at(s, len, &i, "create"))
		return 0;
	if (word_at(s, len, &i, "or"))
		word_at(s, len, &i, "replace");
	return word_at(s, len, &i, "function") || word_at(s, len, &i, "procedure") ||
	       word_at(s, len, &i, "view") || word_at(s, len, &i, "trigger") ||
	       word_at(s, len, &i, "policy") || word_at(s, len, &i, "type") ||
	       word_at(s, len, &i, "domain") || word_at(s, len, &i, "rule");
}

/* Syntax check only; returns the error (free with pg_query_free_error) or NULL. */
static PgQueryError *raw_check(const char *s)
{
	void *ctx = pg_query_enter_memory_context();
	raw_parse_result r = pg_query_raw_parse(s);

	pg_query_exit_memory_context(ctx);
	free(r.stderr_buffer);
	return r.error;
}

static void report_syntax(struct lint_ctx *c, const char *s, size_t len, const PgQueryError *err)
{
	struct strbuf msg = STRBUF_INIT;
	int line = c->line, col = c->col, k;

	/* cursorpos is 1-based in characters; count lines up to it */
	for (k = 0; err->cursorpos > 0 && k < err->cursorpos - 1 && (size_t)k < len; k++) {
		if (s[k] == '\n') {
			line++;
			col = 1;
		} else if (((unsigned char)s[k] & 0xC0) != 0x80) {
			col++;
		}
	}
	sb_addf(&msg, "syntax error: %s", err->message ? err->message : "unknown");
	emit_full(c, "syntax_error", NULL, NULL, msg.buf, line, col);
	sb_release(&msg);
}

static void position(const char *sql, size_t off, int base_line, int rel_line, int *line, int *col)
{
	size_t k = off;

	while (k > 0 && sql[k - 1] != '\n')
		k--;
	*line = base_line + rel_line - 1;
	*col = (int)(off - k) + 1;
}

static void check_stmt(struct lint_ctx *c, const PgQuery__Node *stmt)
{
	if (!stmt)
		return;
	rules_tx(c, stmt);
	rules_destructive(c, stmt);
	rules_alter(c, stmt);
	rules_index(c, stmt);
	rules_types(c, stmt);
	rules_track(c, stmt);
}

static void lint_one(struct lint_ctx *c, const char *text, size_t len)
{
	char *s = xstrndup(text, len);
	PgQueryProtobufParseResult pr;
	PgQuery__ParseResult *tree = NULL;
	size_t i;
	int depth = depth_estimate(s, len);

	if (depth > LINT_MAX_DEPTH) {
		char msg[160];

		snprintf(msg, sizeof(msg),
			 "statement is nested more than %d levels deep; it was not analysed", LINT_MAX_DEPTH);
		lint_emit_msg(c, "statement_too_complex", NULL, msg);
		free(s);
		return;
	}
	if (syntax_only(s, len)) {
		PgQueryError *err = raw_check(s);

		if (err) {
			report_syntax(c, s, len, err);
			pg_query_free_error(err);
		}
		free(s);
		return;
	}
	pr = pg_query_parse_protobuf(s);
	if (pr.error) {
		report_syntax(c, s, len, pr.error);
		goto out;
	}
	tree = pg_query__parse_result__unpack(NULL, pr.parse_tree.len, (const uint8_t *)pr.parse_tree.data);
	if (!tree) {
		lint_emit_msg(c, "syntax_error", NULL, "the parse tree could not be read");
		goto out;
	}
	for (i = 0; i < tree->n_stmts; i++)
		if (tree->stmts[i])
			check_stmt(c, tree->stmts[i]->stmt);
out:
	if (tree)
		pg_query__parse_result__free_unpacked(tree, NULL);
	pg_query_free_protobuf_parse_result(pr);
	free(s);
}

static void lint_section(struct lint_ctx *c, const char *sql, size_t len, int base_line)
{
	struct sql_stmt *v = NULL;
	struct err e = ERR_INIT;
	size_t prev = 0, k;
	int n = 0, i, prev_line = 1;   /* line (1-based in sql) of offset prev */

	if (sql_split(sql, len, &v, &n, &e) < 0) {
		c->line = base_line + (e.line > 0 ? e.line - 1 : 0);
		c->col = 1;
		lint_emit_msg(c, "syntax_error", NULL, e.msg);
		free(v);
		return;
	}
	for (i = 0; i < n; i++) {
		strlist_clear(&c->stmt_allow);
		position(sql, v[i].off, base_line, v[i].line, &c->line, &c->col);
		scan_annotations(c, sql + prev, v[i].off - prev, base_line + prev_line - 1, i == 0);
		lint_one(c, sql + v[i].off, v[i].len);
		for (k = prev; k < v[i].off + v[i].len; k++)
			if (sql[k] == '\n')
				prev_line++;
		prev = v[i].off + v[i].len;
	}
	strlist_clear(&c->stmt_allow);
	lint_fk_finish(c);
	free(v);
}

/* ---- thread wrapper ---- */

/* One section to lint: the up section of a migration, or a SQL text. */
struct job {
	const char *sql;
	size_t len;
	int line;
	const char *file;
	const char *version;
	int no_transaction;
	int plain;
};

struct batch {
	const struct job *v;
	int n;
	const struct lint_opts *o;
	struct lint_report *r;
};

static void ctx_release(struct lint_ctx *c)
{
	nameset_clear(&c->tables);
	nameset_clear(&c->indexes);
	nameset_clear(&c->constraints);
	nameset_clear(&c->columns);
	nameset_clear(&c->not_valid);
	nameset_clear(&c->fk_indexed);
	strlist_clear(&c->stmt_allow);
	strlist_clear(&c->section_allow);
}

/* All sections of a batch on one thread: libpg_query sets up its memory
 * contexts once per thread, which is most of the cost of a small file. */
static void *worker(void *arg)
{
	struct batch *b = arg;
	int i;

	for (i = 0; i < b->n; i++) {
		const struct job *j = &b->v[i];
		struct lint_ctx c;

		memset(&c, 0, sizeof(c));
		c.o = b->o;
		c.r = b->r;
		c.file = j->file ? j->file : "";
		c.version = j->version ? j->version : "";
		c.no_transaction = j->no_transaction;
		c.plain_file = j->plain;
		lint_section(&c, j->sql, j->len, j->line > 0 ? j->line : 1);
		ctx_release(&c);
	}
	/* libpg_query frees its per-thread memory context in a thread-exit
	 * destructor; calling pg_query_exit() here as well frees it twice. */
	return NULL;
}

static int run_batch(const struct job *v, int n, const struct lint_opts *o, struct lint_report *r,
		     struct err *e)
{
	struct batch b = { v, n, o, r };
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	if (n == 0)
		return 0;
	if (pthread_attr_init(&attr) != 0)
		return err_set(e, EXIT_INTERNAL, "could not start the lint thread");
	rc = pthread_attr_setstacksize(&attr, LINT_STACK);
	if (rc == 0)
		rc = pthread_create(&t, &attr, worker, &b);
	pthread_attr_destroy(&attr);
	if (rc != 0)
		return err_sys(e, EXIT_INTERNAL, rc, "could not start the lint thread");
	pthread_join(t, NULL);
	if (o->stats && o->nstats)
		lint_report_apply_stats(r, o);
	return 0;
}

static void job_of(const struct migration *m, struct job *j)
{
	j->sql = m->up.sql;
	j->len = m->up.len;
	j->line = m->up.line;
	j->file = m->up.path;
	j->version = m->version;
	j->no_transaction = m->up.no_transaction;
	j->plain = m->format == MIGRATION_PLAIN && m->up.line <= 1;
}

int lint_migration(const struct migration *m, const struct lint_opts *o, struct lint_report *r,
		   struct err *e)
{
	return lint_migrations(&m, 1, o, r, e);
}

int lint_migrations(const struct migration *const *v, int n, const struct lint_opts *o,
		    struct lint_report *r, struct err *e)
{
	struct job *jobs = xcalloc((size_t)(n > 0 ? n : 1), sizeof(*jobs));
	int i, k = 0, ret;

	for (i = 0; i < n; i++)
		if (v[i]->up.present && v[i]->up.sql)
			job_of(v[i], &jobs[k++]);
	ret = run_batch(jobs, k, o, r, e);
	free(jobs);
	return ret;
}

int lint_sql(const char *sql, size_t len, const char *file, int line, int no_transaction,
	     const struct lint_opts *o, struct lint_report *r, struct err *e)
{
	struct job j = { sql, len, line, file, "", no_transaction, 1 };

	return run_batch(&j, 1, o, r, e);
}

/* ---- report-level ---- */

int lint_report_blocked(const struct lint_report *r)
{
	int i, n = 0;

	for (i = 0; i < r->n; i++)
		n += r->v[i].blocking != 0;
	return n;
}

int lint_report_forced(const struct lint_report *r)
{
	int i, n = 0;

	for (i = 0; i < r->n; i++)
		n += r->v[i].forced != 0;
	return n;
}

void lint_report_tables(const struct lint_report *r, struct strlist *out)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (r->v[i].table && !strlist_has_ci(out, r->v[i].table))
			strlist_add(out, r->v[i].table);
}

void lint_report_apply_stats(struct lint_report *r, const struct lint_opts *o)
{
	int i, k;

	for (i = 0; i < r->n; i++) {
		struct lint_finding *f = &r->v[i];
		const struct lint_rule *lr = lint_rule_find(f->rule);

		if (!f->table)
			continue;
		for (k = 0; k < o->nstats; k++) {
			if (!o->stats[k].name || strcasecmp(o->stats[k].name, f->table))
				continue;
			f->rows = o->stats[k].rows;
			f->bytes = o->stats[k].bytes;
			if (o->large_table > 0 && lr && (lr->flags & LR_LOCK) &&
			    f->severity == LINT_WARNING && f->rows > o->large_table) {
				f->severity = LINT_ERROR;
				f->escalated = 1;
			}
			break;
		}
		f->forced = finding_forced(f, o);
		f->blocking = finding_blocks(f, o);
	}
}

void lint_report_release(struct lint_report *r)
{
	int i;

	for (i = 0; i < r->n; i++) {
		struct lint_finding *f = &r->v[i];

		free(f->rule);
		free(f->file);
		free(f->version);
		free(f->message);
		free(f->help);
		free(f->table);
	}
	free(r->v);
	lint_memory_free(r->mem);
	memset(r, 0, sizeof(*r));
}

void lint_opts_from_config(struct lint_opts *o, const struct config *cfg)
{
	memset(o, 0, sizeof(*o));
	o->allow = &cfg->allow;
	o->protect = &cfg->protect;
	o->force = cfg->force;
	o->fail_on_warning = cfg->fail_on && !strcmp(cfg->fail_on, "warning");
	o->large_table = cfg->large_table;
}
