/*
 * driver: lint_migration(s) and lint_sql (see lint.h).  A section is split
 * into statements the way psql (and the migration runner) splits it; each
 * statement is checked for hostile nesting (depth.c), parsed on its own
 * with libpg_query (so one syntax error does not hide the rest) and handed
 * to the rule families (rules_*.c), which report through findings.c.  The
 * comments between statements carry the `-- predeploy:allow` annotations
 * (annotate.c).
 *
 * Everything runs on a worker thread with a LINT_STACK-byte stack: the
 * parser and the protobuf reader recurse once per nesting level, and the
 * depth estimate keeps that bounded well inside the stack.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pg_query.h>

#include "lint/lint_int.h"
#include "sqllex.h"
#include "sqlsplit.h"
#include "util/exitcode.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define LINT_STACK (64u * 1024 * 1024)

/* The first n words of s (keywords or identifiers, lower case), through the
 * SQL lexer; fewer when the statement starts otherwise.  Returns how many. */
static int first_words(const char *s, size_t len, char w[][16], int n)
{
	struct sqllex lx;
	struct sqltok t;
	struct err e = ERR_INIT;
	int k = 0;
	size_t i;

	sqllex_init(&lx, 0);
	while (k < n && sqllex_token(&lx, s, len, 1, &t, &e) == SQLLEX_TOKEN) {
		if (t.kind == SQLTOK_SPACE || t.kind == SQLTOK_COMMENT)
			continue;
		if (t.kind != SQLTOK_WORD || t.len >= sizeof(w[0]))
			break;
		for (i = 0; i < t.len; i++)
			w[k][i] = (char)tolower((unsigned char)s[t.off + i]);
		w[k++][t.len] = '\0';
	}
	sqllex_release(&lx);
	return k;
}

static int in_list(const char *w, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(w, *list))
			return 1;
	return 0;
}

/* Statements that no rule (and no tracking) looks at: only their syntax is
 * checked, which skips building, packing and unpacking a protobuf tree
 * (most of the cost of a big INSERT). */
static int syntax_only(const char *s, size_t len)
{
	static const char *const plain[] = { "insert", "comment", "grant", "revoke", "copy", NULL };
	static const char *const created[] = { "view", "trigger", "policy", "type", "domain", "rule", NULL };
	char w[4][16];
	int n = first_words(s, len, w, 4), k = 1;

	if (n >= 1 && in_list(w[0], plain))
		return 1;
	if (n < 2 || strcmp(w[0], "create"))
		return 0;
	if (n >= 3 && !strcmp(w[1], "or") && !strcmp(w[2], "replace"))
		k = 3;
	return k < n && in_list(w[k], created);
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
	lint_emit_at(c, line, col, "syntax_error", NULL, NULL, msg.buf);
	sb_release(&msg);
}

/* Syntax check only, through libpg_query's public API: the parser-based
 * splitter runs PostgreSQL's raw parser and returns statement offsets, no
 * tree. */
static void check_syntax(struct lint_ctx *c, const char *s, size_t len)
{
	PgQuerySplitResult r = pg_query_split_with_parser(s);

	if (r.error)
		report_syntax(c, s, len, r.error);
	pg_query_free_split_result(r);
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
	rules_dynamic(c, stmt);
	rules_track(c, stmt);
}

static void lint_one(struct lint_ctx *c, const char *text, size_t len)
{
	char *s = xstrndup(text, len);
	PgQueryProtobufParseResult pr;
	PgQuery__ParseResult *tree = NULL;
	size_t i;

	if (lint_depth_estimate(s, len) > LINT_MAX_DEPTH) {
		char msg[160];

		snprintf(msg, sizeof(msg),
			 "statement is nested more than %d levels deep; it was not analysed", LINT_MAX_DEPTH);
		lint_emit_msg(c, "statement_too_complex", NULL, msg);
		free(s);
		return;
	}
	if (syntax_only(s, len)) {
		check_syntax(c, s, len);
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
		lint_emit_at(c, base_line + (e.line > 0 ? e.line - 1 : 0), 1, "syntax_error", NULL, NULL, e.msg);
		free(v);
		return;
	}
	for (i = 0; i < n; i++) {
		strlist_clear(&c->stmt_allow);
		position(sql, v[i].off, base_line, v[i].line, &c->line, &c->col);
		lint_annotations(c, sql + prev, v[i].off - prev, base_line + prev_line - 1, i == 0);
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
	int i, k;

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
		for (k = 0; k < c.tables.n; k++)
			lint_memory_add_table(b->r, c.tables.v[k]);
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

void lint_opts_from_config(struct lint_opts *o, const struct config *cfg)
{
	memset(o, 0, sizeof(*o));
	o->allow = &cfg->allow;
	o->protect = &cfg->protect;
	o->force = cfg->force;
	o->fail_on_warning = cfg->fail_on && !strcmp(cfg->fail_on, "warning");
	o->large_table = cfg->large_table;
}
