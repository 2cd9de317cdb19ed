/* dryrun: see dryrun.h. */
#include "dryrun.h"

#include <stdlib.h>
#include <string.h>

#include "sqlsplit.h"
#include "util/exitcode.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
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
	struct strbuf *sb;
	int nmig;       /* migrations written (JSON commas) */
	int nstmt;
};

static void out_stmt_begin(struct out *o, int line, const char *sql, size_t len, int64_t ms)
{
	struct strbuf s = STRBUF_INIT;

	short_sql(sql, len, &s);
	if (o->fmt == OUT_JSON) {
		sb_addf(o->sb, "%s{\"line\":%d,\"sql\":", o->nstmt++ ? "," : "", line);
		sb_add_json_str(o->sb, s.buf);
		sb_addf(o->sb, ",\"ms\":%lld,\"locks\":[", (long long)ms);
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
			sb_adds(o->sb, "],\"rewritten\":[],\"error\":");
			sb_add_json_str(o->sb, e->msg);
			sb_addc(o->sb, '}');
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
			sb_addf(o->sb, "%s{\"relation\":", n ? "," : "");
			sb_add_json_str(o->sb, l->relation);
			sb_addf(o->sb, ",\"mode\":\"%s\",\"blocks\":", l->mode);
			sb_add_json_str(o->sb, mode_blocks(l->mode));
			sb_addc(o->sb, '}');
		} else {
			sb_addf(o->sb, "    lock %s on %s: %s\n", l->mode, l->relation, mode_blocks(l->mode));
		}
		n++;
	}
	if (o->fmt == OUT_JSON)
		sb_adds(o->sb, "],\"rewritten\":[");
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
				sb_addf(o->sb, "%s{\"relation\":", k ? "," : "");
				sb_add_json_str(o->sb, after.v[i].relation);
				sb_addf(o->sb, ",\"kind\":\"%s\",\"before\":%s,\"after\":%s}",
					after.v[i].relkind == 'i' ? "index" : "table", b, a);
			} else {
				sb_addf(o->sb, "    rewritten: %s %s (relfilenode %s -> %s)\n",
					after.v[i].relkind == 'i' ? "index" : "table", after.v[i].relation, b, a);
			}
			k++;
		}
		filemap_release(&now);
	}
	if (o->fmt == OUT_JSON)
		sb_adds(o->sb, "]}");
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

static int trace_migration(struct db *db, const struct migration *m, struct out *o,
			   struct lockset *held, struct err *e)
{
	struct sql_stmt *v = NULL;
	int n = 0, i, ret = -1;
	const char *file = m->up.path ? m->up.path : m->name;

	if (sql_split(m->up.sql, m->up.len, &v, &n, e) < 0) {
		err_where(e, file, m->up.line + (e->line > 0 ? e->line - 1 : 0));
		return -1;
	}
	if (o->fmt == OUT_JSON) {
		sb_addf(o->sb, "%s{\"version\":", o->nmig++ ? "," : "");
		sb_add_json_str(o->sb, m->version);
		sb_adds(o->sb, ",\"file\":");
		sb_add_json_str(o->sb, file);
		sb_adds(o->sb, ",\"traced\":true,\"statements\":[");
		o->nstmt = 0;
	} else {
		sb_addf(o->sb, "%s (version %s)\n", file, m->version);
	}
	for (i = 0; i < n; i++) {
		int line = m->up.line + v[i].line - 1;

		if (trace_statement(db, m->up.sql + v[i].off, v[i].len, line, o, held, e) < 0) {
			if (!e->file[0])
				err_where(e, file, line);
			goto out;
		}
	}
	ret = 0;
out:
	if (o->fmt == OUT_JSON)
		sb_adds(o->sb, "]}");
	free(v);
	return ret;
}

int dryrun_trace(struct db *db, const struct migration *const *pending, int n,
		 enum output_format fmt, struct strbuf *out, struct err *e)
{
	struct out o = { fmt, out, 0, 0 };
	struct lockset held = { 0 };
	struct err re = ERR_INIT;
	int i, ret = -1, traced = 0, in_tx = 0, header = 0;
	PGresult *r = NULL;

	if (db_exec(db, "BEGIN", EXIT_INTERNAL, e) < 0)
		return -1;
	in_tx = 1;
	/* never queue behind production traffic for long: keep a lock_timeout */
	r = db_query(db, "select pg_catalog.current_setting('lock_timeout')", 0, NULL, EXIT_INTERNAL, e);
	if (!r)
		goto out;
	if (!strcmp(PQgetvalue(r, 0, 0), "0") &&
	    db_exec(db, "SET LOCAL lock_timeout = '5s'", EXIT_INTERNAL, e) < 0)
		goto out;
	if (read_locks(db, &held, e) < 0)
		goto out;
	header = 1;
	if (fmt == OUT_JSON)
		sb_adds(out, "{\"migrations\":[");
	else
		sb_addf(out, "dry run: %d pending migration%s in one transaction, rolled back afterwards\n"
			"(per statement: the locks it newly took; a relation and mode an earlier statement\n"
			"already holds is not repeated; catalog and TOAST relations are left out)\n",
			n, n == 1 ? "" : "s");
	for (i = 0; i < n; i++) {
		const struct migration *m = pending[i];

		if (m->up.no_transaction) {
			if (fmt == OUT_JSON) {
				sb_addf(out, "%s{\"version\":", o.nmig++ ? "," : "");
				sb_add_json_str(out, m->version);
				sb_adds(out, ",\"file\":");
				sb_add_json_str(out, m->up.path ? m->up.path : m->name);
				sb_adds(out, ",\"traced\":false,\"reason\":\"runs outside a transaction\"}");
			} else {
				sb_addf(out, "%s (version %s): not traced, it runs outside a transaction\n",
					m->up.path ? m->up.path : m->name, m->version);
			}
			continue;
		}
		if (trace_migration(db, m, &o, &held, e) < 0)
			goto out;
		traced++;
	}
	ret = 0;
out:
	PQclear(r);
	if (in_tx && db_exec(db, "ROLLBACK", EXIT_INTERNAL, &re) < 0 && ret == 0) {
		*e = re;
		ret = -1;
	}
	if (fmt == OUT_JSON) {
		if (!header)
			sb_adds(out, "{\"migrations\":[");
		sb_addf(out, "],\"traced\":%d,\"rolled_back\":true", traced);
		if (ret < 0) {
			sb_adds(out, ",\"error\":");
			sb_add_json_str(out, e->msg);
		}
		sb_adds(out, "}\n");
	} else {
		sb_addf(out, "%srolled back: nothing was changed\n", ret < 0 ? "failed; " : "");
	}
	lockset_release(&held);
	return ret;
}
