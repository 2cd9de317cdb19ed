/* dryrun: `up --dry-run` as a rehearsal on a shadow copy; see dryrun.h. */
#include "dryrun.h"

#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "lint/lint.h"
#include "log.h"
#include "migrator.h"
#include "rehearse.h"
#include "sqlsplit.h"
#include "util/exitcode.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/json.h"
#include "util/banned.h"

/* Locks the backend holds on user relations (catalogs are left out: DDL
 * touches them everywhere and they say nothing about the application). */
static const char locks_sql[] =
	"select l.relation::pg_catalog.regclass::text, l.mode, c.oid::text, c.relkind::text"
	"  from pg_catalog.pg_locks l"
	"  join pg_catalog.pg_class c on c.oid = l.relation"
	" where l.pid = pg_catalog.pg_backend_pid() and l.locktype = 'relation' and l.granted"
	"   and c.relnamespace not in ('pg_catalog'::pg_catalog.regnamespace,"
	"                              'pg_toast'::pg_catalog.regnamespace,"
	"                              'information_schema'::pg_catalog.regnamespace)"
	" order by 1, 2";

static const char files_sql[] =
	"select c.oid::text, c.relfilenode::text from pg_catalog.pg_class c"
	" where c.relfilenode <> 0"
	"   and c.relnamespace not in ('pg_catalog'::pg_catalog.regnamespace,"
	"                              'information_schema'::pg_catalog.regnamespace)";

struct lock_row {
	char *relation;
	char *mode;
	char *oid;
	char relkind;
};

struct lockset {
	struct lock_row *v;
	int n;
};

struct filemap {
	char **oid;
	char **node;
	int n;
};

static const char *mode_blocks(const char *mode)
{
	static const struct { const char *mode, *blocks; } t[] = {
		{ "AccessShareLock", "blocks only ACCESS EXCLUSIVE (DROP, most ALTER TABLE)" },
		{ "RowShareLock", "blocks EXCLUSIVE and ACCESS EXCLUSIVE" },
		{ "RowExclusiveLock", "blocks SHARE and stronger (CREATE INDEX, most ALTER TABLE); reads and writes continue" },
		{ "ShareUpdateExclusiveLock", "blocks VACUUM, ANALYZE, CREATE INDEX CONCURRENTLY and other schema changes; reads and writes continue" },
		{ "ShareLock", "blocks all writes (INSERT, UPDATE, DELETE); reads continue" },
		{ "ShareRowExclusiveLock", "blocks all writes and other schema changes; reads continue" },
		{ "ExclusiveLock", "blocks all writes and SELECT ... FOR UPDATE; plain reads continue" },
		{ "AccessExclusiveLock", "blocks everything, including SELECT" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(t[i].mode, mode))
			return t[i].blocks;
	return "";
}

static void lockset_release(struct lockset *s)
{
	int i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].relation);
		free(s->v[i].mode);
		free(s->v[i].oid);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static void filemap_release(struct filemap *m)
{
	int i;

	for (i = 0; i < m->n; i++) {
		free(m->oid[i]);
		free(m->node[i]);
	}
	free(m->oid);
	free(m->node);
	memset(m, 0, sizeof(*m));
}

static int read_locks(struct db *db, struct lockset *s, struct err *e)
{
	PGresult *r = db_query(db, locks_sql, 0, NULL, EXIT_INTERNAL, e);
	int i;

	lockset_release(s);
	if (!r)
		return -1;
	s->n = PQntuples(r);
	s->v = xcalloc((size_t)(s->n ? s->n : 1), sizeof(*s->v));
	for (i = 0; i < s->n; i++) {
		s->v[i].relation = xstrdup(PQgetvalue(r, i, 0));
		s->v[i].mode = xstrdup(PQgetvalue(r, i, 1));
		s->v[i].oid = xstrdup(PQgetvalue(r, i, 2));
		s->v[i].relkind = PQgetvalue(r, i, 3)[0];
	}
	PQclear(r);
	return 0;
}

static int read_files(struct db *db, struct filemap *m, struct err *e)
{
	PGresult *r = db_query(db, files_sql, 0, NULL, EXIT_INTERNAL, e);
	int i;

	filemap_release(m);
	if (!r)
		return -1;
	m->n = PQntuples(r);
	m->oid = xcalloc((size_t)(m->n ? m->n : 1), sizeof(*m->oid));
	m->node = xcalloc((size_t)(m->n ? m->n : 1), sizeof(*m->node));
	for (i = 0; i < m->n; i++) {
		m->oid[i] = xstrdup(PQgetvalue(r, i, 0));
		m->node[i] = xstrdup(PQgetvalue(r, i, 1));
	}
	PQclear(r);
	return 0;
}

static const char *filemap_get(const struct filemap *m, const char *oid)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (!strcmp(m->oid[i], oid))
			return m->node[i];
	return NULL;
}

static int lock_held(const struct lockset *s, const struct lock_row *l)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].oid, l->oid) && !strcmp(s->v[i].mode, l->mode))
			return 1;
	return 0;
}

/* First line of a statement, at most 100 bytes (whole UTF-8 sequences). */
static void short_sql(const char *s, size_t len, struct strbuf *out)
{
	size_t n = 0;

	while (n < len && s[n] != '\n' && n < 100)
		n++;
	while (n < len && n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	sb_add(out, s, n);
	if (n < len)
		sb_adds(out, " ...");
}

struct out {
	enum output_format fmt;
	struct strbuf *sb;      /* text */
	struct json_w j;        /* JSON: the array of migrations, into sb */
};

static void out_stmt_begin(struct out *o, int line, const char *sql, size_t len, int64_t ms)
{
	struct strbuf s = STRBUF_INIT;

	short_sql(sql, len, &s);
	if (o->fmt == OUT_JSON) {
		jw_obj(&o->j, NULL);
		jw_int(&o->j, "line", line);
		jw_str(&o->j, "sql", s.buf);
		jw_int(&o->j, "ms", (long long)ms);
		jw_arr(&o->j, "locks");
	} else {
		sb_addf(o->sb, "  line %d: %s  (%lld ms)\n", line, s.buf, (long long)ms);
	}
	sb_release(&s);
}

static int trace_statement(struct db *db, const char *sql, size_t len, int line, struct out *o,
			   struct lockset *held, struct err *e)
{
	struct filemap before = { 0 };
	struct lockset after = { 0 };
	char *text = xstrndup(sql, len);
	int64_t t0, ms;
	int i, n, ret = -1;

	if (read_files(db, &before, e) < 0)
		goto out;
	t0 = now_ms();
	if (db_exec(db, text, EXIT_MIGRATION, e) < 0) {
		if (o->fmt == OUT_JSON) {
			out_stmt_begin(o, line, sql, len, now_ms() - t0);
			jw_end(&o->j);
			jw_arr(&o->j, "rewritten");
			jw_end(&o->j);
			jw_str(&o->j, "error", e->msg);
			jw_end(&o->j);
		} else {
			out_stmt_begin(o, line, sql, len, now_ms() - t0);
			sb_addf(o->sb, "    failed: %s\n", e->msg);
		}
		goto out;
	}
	ms = now_ms() - t0;
	if (read_locks(db, &after, e) < 0)
		goto out;
	out_stmt_begin(o, line, sql, len, ms);
	for (i = 0, n = 0; i < after.n; i++) {
		const struct lock_row *l = &after.v[i];

		if (lock_held(held, l))
			continue;
		if (o->fmt == OUT_JSON) {
			jw_obj(&o->j, NULL);
			jw_str(&o->j, "relation", l->relation);
			jw_str(&o->j, "mode", l->mode);
			jw_str(&o->j, "blocks", mode_blocks(l->mode));
			jw_end(&o->j);
		} else {
			sb_addf(o->sb, "    lock %s on %s: %s\n", l->mode, l->relation, mode_blocks(l->mode));
		}
		n++;
	}
	if (o->fmt == OUT_JSON) {
		jw_end(&o->j);
		jw_arr(&o->j, "rewritten");
	}
	/* a relation whose file changed was rewritten; it is locked by us */
	{
		struct filemap now = { 0 };
		int k = 0;

		if (read_files(db, &now, e) < 0)
			goto out;
		for (i = 0; i < after.n; i++) {
			const char *b = filemap_get(&before, after.v[i].oid);
			const char *a = filemap_get(&now, after.v[i].oid);
			int dup = 0, j;

			for (j = 0; j < i; j++)
				if (!strcmp(after.v[j].oid, after.v[i].oid))
					dup = 1;
			if (dup || !a || !b || !strcmp(a, b))
				continue;
			if (o->fmt == OUT_JSON) {
				jw_obj(&o->j, NULL);
				jw_str(&o->j, "relation", after.v[i].relation);
				jw_str(&o->j, "kind", after.v[i].relkind == 'i' ? "index" : "table");
				jw_raw(&o->j, "before", b);     /* relfilenodes: numbers from the catalog */
				jw_raw(&o->j, "after", a);
				jw_end(&o->j);
			} else {
				sb_addf(o->sb, "    rewritten: %s %s (relfilenode %s -> %s)\n",
					after.v[i].relkind == 'i' ? "index" : "table", after.v[i].relation, b, a);
			}
			k++;
		}
		filemap_release(&now);
	}
	if (o->fmt == OUT_JSON) {
		jw_end(&o->j);
		jw_end(&o->j);
	}
	lockset_release(held);
	*held = after;
	memset(&after, 0, sizeof(after));
	ret = 0;
out:
	filemap_release(&before);
	lockset_release(&after);
	free(text);
	return ret;
}

/* One migration on the shadow: a transactional one statement by statement
 * in its own transaction, traced; one with transaction:false as the engine
 * runs it (each statement on its own), not traced.  Its ledger row is the
 * rehearsal's tracking write. */
static int trace_migration(struct db *db, struct ledger *l, const struct migration *m, struct out *o,
			   struct err *e)
{
	struct lockset held = { 0 };
	struct sql_stmt *v = NULL;
	struct err re = ERR_INIT;
	int n = 0, i, ret = -1, in_tx = 0;
	const char *file = m->up.path ? m->up.path : m->name;

	if (sql_split(m->up.sql, m->up.len, &v, &n, e) < 0) {
		err_where(e, file, m->up.line + (e->line > 0 ? e->line - 1 : 0));
		return -1;
	}
	if (o->fmt == OUT_JSON) {
		jw_obj(&o->j, NULL);
		jw_str(&o->j, "version", m->version);
		jw_str(&o->j, "file", file);
		jw_bool(&o->j, "traced", !m->up.no_transaction);
		if (m->up.no_transaction)
			jw_str(&o->j, "reason", "runs outside a transaction: run on the shadow, its locks not traced");
		jw_arr(&o->j, "statements");
	} else if (m->up.no_transaction) {
		sb_addf(o->sb, "%s (version %s): runs outside a transaction: run on the shadow, its locks not traced\n",
			file, m->version);
	} else {
		sb_addf(o->sb, "%s (version %s)\n", file, m->version);
	}
	if (!m->up.no_transaction) {
		if (db_exec(db, "BEGIN", EXIT_INTERNAL, e) < 0 || read_locks(db, &held, e) < 0)
			goto out;
		in_tx = 1;
	}
	for (i = 0; i < n; i++) {
		int line = m->up.line + v[i].line - 1;
		int rc;

		if (m->up.no_transaction) {
			char *text = xstrndup(m->up.sql + v[i].off, v[i].len);

			rc = db_exec(db, text, EXIT_MIGRATION, e);
			free(text);
			if (rc < 0) {
				if (o->fmt == OUT_JSON) {
					jw_obj(&o->j, NULL);
					jw_int(&o->j, "line", line);
					jw_str(&o->j, "error", e->msg);
					jw_end(&o->j);
				} else {
					sb_addf(o->sb, "  line %d failed: %s\n", line, e->msg);
				}
			}
		} else {
			rc = trace_statement(db, m->up.sql + v[i].off, v[i].len, line, o, &held, e);
		}
		if (rc < 0) {
			if (!e->file[0])
				err_where(e, file, line);
			goto out;
		}
	}
	if (ledger_mark_applied(l, db, m->version, m->name, m->checksum, -1, e) < 0)
		goto out;
	if (in_tx) {
		in_tx = 0;
		if (db_exec(db, "COMMIT", EXIT_MIGRATION, e) < 0) {
			err_where(e, file, m->up.line);
			goto out;
		}
	}
	ret = 0;
out:
	if (in_tx)
		db_exec(db, "ROLLBACK", EXIT_INTERNAL, &re);
	if (o->fmt == OUT_JSON) {
		jw_end(&o->j);
		jw_end(&o->j);
	}
	lockset_release(&held);
	free(v);
	return ret;
}

struct trace_ctx {
	const struct config *cfg;
	const struct migration *const *pending;
	int n;
	struct out o;
	int traced;
};

/* The rehearsal's apply: the pending files through the relay onto the
 * shadow, traced. */
static int trace_apply(void *arg, struct db *via, struct err *e)
{
	struct trace_ctx *c = arg;
	struct ledger l = LEDGER_INIT;
	int i, ret = -1;

	if (ledger_init(&l, via, c->cfg->table, e) < 0 || ledger_ensure(&l, via, e) < 0)
		goto out;
	for (i = 0; i < c->n; i++) {
		if (trace_migration(via, &l, c->pending[i], &c->o, e) < 0)
			goto out;
		c->traced += !c->pending[i]->up.no_transaction;
	}
	ret = 0;
out:
	ledger_release(&l);
	return ret;
}

/* ---- the report ---- */

/* JSON: the findings of a and b (may be NULL) as one array. */
static void findings_json(const struct lint_report *a, const struct lint_report *b, struct strbuf *out)
{
	struct strbuf js = STRBUF_INIT;

	lint_report_json(a, out);
	if (b && b->n) {
		lint_report_json(b, &js);
		if (a->n) {
			sb_setlen(out, out->len - 1);
			sb_addc(out, ',');
			sb_add(out, js.buf + 1, js.len - 1);
		} else {
			sb_setlen(out, out->len - 2);
			sb_add(out, js.buf, js.len);
		}
	}
	sb_release(&js);
}

static void findings_text(const struct lint_report *r, int verbose, int quiet, struct strbuf *out)
{
	if (r && r->n)
		lint_report_text_view(r, lint_text_view(r, verbose, quiet), out);
}

/* No shadow: why, what was done instead, and the findings of that (may be
 * NULL). */
static void not_rehearsed(const struct config *cfg, const char *why, const char *instead,
			  const struct lint_report *found, struct strbuf *out)
{
	struct lint_report none = LINT_REPORT_INIT;

	if (cfg->format == OUT_JSON) {
		struct strbuf f = STRBUF_INIT;
		struct json_w j;

		findings_json(found ? found : &none, NULL, &f);
		jw_init(&j, out, 0);
		jw_obj(&j, NULL);
		jw_bool(&j, "rehearsed", 0);
		jw_str(&j, "why", why);
		jw_str(&j, "instead", instead);
		jw_arr(&j, "migrations");
		jw_end(&j);
		jw_raw(&j, "findings", f.buf);
		jw_bool(&j, "production_changed", 0);
		jw_end(&j);
		sb_addc(out, '\n');
		sb_release(&f);
	} else {
		sb_addf(out, "dry run: not rehearsed: %s\n%s\n", why, instead);
		findings_text(found, cfg->verbose, cfg->quiet, out);
		sb_adds(out, "no migration was run: nothing was changed and no lock was taken\n");
	}
}

/* JSON: opens the report object in j with "migrations" (a JSON array, or
 * NULL: []); text: the heading line. */
static void header(enum output_format fmt, int n, const char *what, const char *migrations, struct json_w *j,
		   struct strbuf *out)
{
	if (fmt == OUT_JSON) {
		jw_init(j, out, 0);
		jw_obj(j, NULL);
		jw_bool(j, "rehearsed", 1);
		jw_raw(j, "migrations", migrations && *migrations ? migrations : "[]");
	} else {
		sb_addf(out, "dry run on a shadow copy of the database: %d pending %s%s; production is not changed\n"
			"and the migrations take no lock on its tables\n", n, what, n == 1 ? "" : "s");
	}
}

/* The findings (a, then b; b may be NULL), the closing line; `failed`: the
 * rehearsal stopped at a failure (e). */
static void footer(const struct config *cfg, const struct rehearse_result *rr, const struct lint_report *a,
		   const struct lint_report *b, int failed, const struct err *e, struct json_w *j, struct strbuf *out)
{
	int blocked = lint_report_blocked(a) + (b ? lint_report_blocked(b) : 0);

	if (cfg->format == OUT_JSON) {
		struct strbuf f = STRBUF_INIT;

		findings_json(a, b, &f);
		jw_raw(j, "findings", f.buf);
		jw_bool(j, "blocked", blocked);
		jw_bool(j, "production_changed", 0);
		jw_int(j, "duration_ms", (long long)rr->duration_ms);
		if (failed)
			jw_str(j, "error", e->msg);
		jw_end(j);
		sb_addc(out, '\n');
		sb_release(&f);
		return;
	}
	if (a->n || (b && b->n)) {
		sb_adds(out, "findings of the rehearsal:\n");
		findings_text(a, cfg->verbose, cfg->quiet, out);
		findings_text(b, cfg->verbose, cfg->quiet, out);
		if (blocked)
			sb_addf(out, "up would stop here: %d blocking finding%s (exit 10)\n", blocked, blocked == 1 ? "" : "s");
	}
	if (failed)
		sb_addf(out, "failed on the shadow copy: %s\nproduction was not changed (the shadow was dropped)\n", e->msg);
	else
		sb_addf(out, "rehearsed in %.1fs; production was not changed (the shadow was dropped)\n",
			(double)rr->duration_ms / 1000.0);
}

int dryrun_sql(const struct config *cfg, struct db *live, const struct migration *const *pending, int n,
	       struct strbuf *out, struct err *e)
{
	struct rehearse_migration *v;
	struct rehearse_result rr = REHEARSE_RESULT_INIT;
	struct rehearse_plan p;
	struct trace_ctx c;
	struct strbuf trace = STRBUF_INIT, write = STRBUF_INIT;
	const char *writes[2];
	int i, rc;

	if (cfg->rehearse == REHEARSE_NEVER) {
		not_rehearsed(cfg, "--rehearse never", "the files were linted as written (see the log)", NULL, out);
		return 0;
	}
	v = xcalloc((size_t)n + 1, sizeof(*v));
	for (i = 0; i < n; i++) {
		v[i].id = pending[i]->version;
		v[i].name = pending[i]->name;
		v[i].path = pending[i]->up.path;
		v[i].line = pending[i]->up.line;
	}
	memset(&c, 0, sizeof(c));
	c.cfg = cfg;
	c.pending = pending;
	c.n = n;
	c.o.fmt = cfg->format;
	c.o.sb = &trace;
	if (cfg->format == OUT_JSON) {
		jw_init(&c.o.j, &trace, 0);
		jw_arr(&c.o.j, NULL);
	}
	rehearse_ledger_write(cfg, &write);
	writes[0] = write.buf;
	writes[1] = NULL;
	memset(&p, 0, sizeof(p));
	p.migrations = v;
	p.n = n;
	p.tracking_writes = writes;
	p.apply = trace_apply;
	p.arg = &c;
	p.label = "sql";
	rc = rehearse_run(cfg, live, &p, &rr, e);
	if (rc == 0 && !rr.ran) {
		not_rehearsed(cfg, rr.why, "the files were linted as written (see the log)", NULL, out);
	} else if (rc == 0 || (cfg->format == OUT_JSON ? c.o.j.count[0] > 0 : trace.len > 0)) {
		struct json_w j;

		while (cfg->format == OUT_JSON && c.o.j.depth > 0)   /* a failure leaves nothing open, but be sure */
			jw_end(&c.o.j);
		header(cfg->format, n, "migration", trace.buf, &j, out);
		if (cfg->format != OUT_JSON)
			sb_adds(out, "(per statement: the locks it took on the shadow, the same modes it takes in production;\n"
				"a relation and mode an earlier statement of the migration holds is not repeated; catalog\n"
				"and TOAST relations are left out; times are the shadow's, where large tables are empty)\n");
		if (cfg->format == OUT_JSON)
			jw_int(&j, "traced", c.traced);
		else
			sb_add(out, trace.buf, trace.len);
		footer(cfg, &rr, &rr.diff, NULL, rc < 0, e, &j, out);
	}
	rehearse_result_release(&rr);
	sb_release(&trace);
	sb_release(&write);
	free(v);
	return rc;
}

/* A tool's revisions: what the relay captured, per revision (JSON: an
 * array). */
static void captured(const struct config *cfg, const struct tool_state *st, const struct rehearse_result *rr,
		     struct strbuf *out)
{
	struct json_w j;
	int m, i;

	jw_init(&j, out, 0);
	if (cfg->format == OUT_JSON)
		jw_arr(&j, NULL);

	for (m = 0; m <= st->npending; m++) {
		int idx = m < st->npending ? m : -1, ns = 0;
		const struct mig_rev *rev = idx >= 0 ? st->pending[idx] : NULL;

		for (i = 0; i < rr->nstmts; i++)
			ns += rr->stmts[i].migration == idx;
		if (!rev && !ns)
			continue;
		if (cfg->format == OUT_JSON) {
			jw_obj(&j, NULL);
			jw_str(&j, "version", rev ? rev->id : NULL);
			jw_str(&j, "file", rev && rev->path ? rev->path : "");
			jw_arr(&j, "statements");
		} else if (rev) {
			sb_addf(out, "%s (%s): %d statement%s\n", rev->id, rev->path ? rev->path : "", ns, ns == 1 ? "" : "s");
		} else {
			sb_addf(out, "not attributed to a revision: %d statement%s\n", ns, ns == 1 ? "" : "s");
		}
		for (i = 0; i < rr->nstmts; i++) {
			struct strbuf s1 = STRBUF_INIT;

			if (rr->stmts[i].migration != idx)
				continue;
			short_sql(rr->stmts[i].sql, strlen(rr->stmts[i].sql), &s1);
			if (cfg->format == OUT_JSON)
				jw_str(&j, NULL, rr->stmts[i].sql);
			else
				sb_addf(out, "  %s\n", s1.buf);
			sb_release(&s1);
		}
		if (cfg->format == OUT_JSON) {
			jw_end(&j);
			jw_end(&j);
		}
	}
	if (cfg->format == OUT_JSON)
		jw_end(&j);
}

int dryrun_tool(const struct config *cfg, struct db *live, struct migrator *m, const struct tool_state *st,
		struct strbuf *out, struct err *e)
{
	struct rehearse_result rr = REHEARSE_RESULT_INIT, off = REHEARSE_RESULT_INIT;
	struct strbuf what = STRBUF_INIT;
	struct err oe = ERR_INIT;
	struct json_w j;
	int64_t tool_ms = 0;
	int rc = 0;

	sb_addf(&what, "%s revision", m->ops->name);
	if (cfg->rehearse == REHEARSE_NEVER) {
		not_rehearsed(cfg, "--rehearse never", "nothing else can show what the tool would send", NULL, out);
		goto out;
	}
	rc = rehearse_tool(cfg, live, m, st, &rr, &tool_ms, e);
	if (rc < 0) {
		if (e->code == EXIT_MIGRATION)
			err_prefix(e, "the %s migrations failed in the rehearsal", m->ops->name);
		if (e->code >= 128)
			goto out;
		header(cfg->format, st->npending, what.buf, NULL, &j, out);
		footer(cfg, &rr, &rr.lint, &rr.diff, 1, e, &j, out);
	} else if (!rr.ran && m->ops->offline_sql && rehearse_tool_offline(cfg, live, m, st, &off, &oe) == 0) {
		char instead[128];

		snprintf(instead, sizeof(instead), "%s's offline SQL (--sql) was linted instead:", m->ops->name);
		not_rehearsed(cfg, rr.why, instead, &off.lint, out);
	} else if (!rr.ran) {
		if (oe.msg[0])
			log_warn("the offline mode failed too: %s", oe.msg);
		not_rehearsed(cfg, rr.why, "nothing else can show what the tool would send", NULL, out);
	} else {
		struct strbuf revs = STRBUF_INIT;

		captured(cfg, st, &rr, &revs);
		header(cfg->format, st->npending, what.buf, revs.buf, &j, out);
		if (cfg->format != OUT_JSON) {
			sb_addf(out, "(%s ran in %.1fs on the shadow; the statements it sent on %d connection%s, per revision)\n",
				m->ops->name, (double)tool_ms / 1000.0, rr.connections, rr.connections == 1 ? "" : "s");
			if (revs.len)
				sb_add(out, revs.buf, revs.len);
		}
		footer(cfg, &rr, &rr.lint, &rr.diff, 0, e, &j, out);
		sb_release(&revs);
	}
out:
	rehearse_result_release(&rr);
	rehearse_result_release(&off);
	sb_release(&what);
	return rc;
}
