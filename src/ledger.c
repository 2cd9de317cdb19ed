/* ledger: see ledger.h. */
#include "ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "context.h"
#include "log.h"
#include "migration.h"
#include "util/exitcode.h"
#include "util/sha256.h"
#include "util/xalloc.h"
#include "util/banned.h"

static int check_safe(struct ledger *l, struct db *db, struct err *e);

int ledger_init(struct ledger *l, struct db *db, const char *table, struct err *e)
{
	const char *dot = strchr(table, '.');
	char *qualified;
	unsigned char d[SHA256_LEN];
	struct sha256 h;
	char *hist, *qt, *qh;
	int i;

	memset(l, 0, sizeof(*l));
	if (dot) {
		l->schema = xstrndup(table, (size_t)(dot - table));
		l->table = xstrdup(dot + 1);
	} else {
		l->schema = xstrdup("public");
		l->table = xstrdup(table);
	}
	if (!*l->schema || !*l->table || strchr(l->table, '.')) {
		err_set(e, EXIT_CONFIG, "invalid --table \"%s\": expected TABLE or SCHEMA.TABLE", table);
		ledger_release(l);
		return -1;
	}
	if (strlen(l->table) > 55) {
		err_set(e, EXIT_CONFIG, "invalid --table \"%s\": the name is too long (55 bytes at most, "
			"so that \"%s_history\" fits)", table, l->table);
		ledger_release(l);
		return -1;
	}
	hist = xasprintf("%s_history", l->table);
	l->qschema = db_ident(db, l->schema, e);
	qt = l->qschema ? db_ident(db, l->table, e) : NULL;
	qh = qt ? db_ident(db, hist, e) : NULL;
	free(hist);
	if (!qh) {
		char why[sizeof(e->msg)];

		xstrlcpy(why, e->msg, sizeof(why));
		err_set(e, EXIT_CONFIG, "invalid --table: %s", why);
		free(qt);
		ledger_release(l);
		return -1;
	}
	l->qtable = xasprintf("%s.%s", l->qschema, qt);
	l->qhistory = xasprintf("%s.%s", l->qschema, qh);
	free(qt);
	free(qh);

	/* 64-bit advisory lock key: first 8 bytes of SHA-256("predeploy:" schema.table). */
	qualified = xasprintf("predeploy:%s.%s", l->schema, l->table);
	sha256_init(&h);
	sha256_update(&h, qualified, strlen(qualified));
	sha256_final(&h, d);
	free(qualified);
	for (i = 0; i < 8; i++)
		l->lock_key = (int64_t)(((uint64_t)l->lock_key << 8) | d[i]);
	if (check_safe(l, db, e) < 0) {
		ledger_release(l);
		return -1;
	}
	return 0;
}

static const char *relkind_name(char k)
{
	switch (k) {
	case 'v': return "a view";
	case 'm': return "a materialized view";
	case 'p': return "a partitioned table";
	case 'f': return "a foreign table";
	case 'S': return "a sequence";
	case 'i': case 'I': return "an index";
	default: return "not a plain table";
	}
}

/*
 * The tracking tables are written (and read) as the deploying role, often a
 * superuser.  One that another role created could run that role's code as
 * ours: a trigger, a rule, a row security policy, a column default or check
 * that calls a function.  So existing tables must be plain tables owned by
 * the deploying role (or a superuser), with no triggers, rules or policies,
 * in a schema that such a role owns; anything else is refused before a
 * single read or write touches them.
 */
static int check_safe(struct ledger *l, struct db *db, struct err *e)
{
	static const char *sql =
		"WITH me AS (SELECT r.oid, r.rolname FROM pg_catalog.pg_roles r WHERE r.rolname = current_user) "
		"SELECT c.relname, c.relkind::text, pg_catalog.pg_get_userbyid(c.relowner), "
		"  (c.relowner = me.oid OR o.rolsuper)::text, "
		"  coalesce((SELECT pg_catalog.string_agg(t.tgname, ', ') FROM pg_catalog.pg_trigger t "
		"            WHERE t.tgrelid = c.oid AND NOT t.tgisinternal), ''), "
		"  coalesce((SELECT pg_catalog.string_agg(w.rulename, ', ') FROM pg_catalog.pg_rewrite w "
		"            WHERE w.ev_class = c.oid AND w.rulename <> '_RETURN'), ''), "
		"  (c.relrowsecurity OR EXISTS (SELECT FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid))::text, "
		"  me.rolname "
		"FROM pg_catalog.pg_class c JOIN pg_catalog.pg_roles o ON o.oid = c.relowner, me "
		"WHERE c.oid IN (pg_catalog.to_regclass($1), pg_catalog.to_regclass($2)) "
		"UNION ALL "
		"SELECT n.nspname, 'n', pg_catalog.pg_get_userbyid(n.nspowner), "
		"  (n.nspowner = me.oid OR o.rolsuper OR o.rolname = 'pg_database_owner' "
		"   OR n.nspname = 'public')::text, '', '', 'false', me.rolname "
		"FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_roles o ON o.oid = n.nspowner, me "
		"WHERE n.nspname = $3";
	const char *params[3] = { l->qtable, l->qhistory, l->schema };
	PGresult *r = db_query(db, sql, 3, params, EXIT_INTERNAL, e);
	int i, ret = 0;

	if (!r)
		return -1;
	for (i = 0; i < PQntuples(r) && ret == 0; i++) {
		const char *name = PQgetvalue(r, i, 0), *kind = PQgetvalue(r, i, 1), *owner = PQgetvalue(r, i, 2);
		const char *me = PQgetvalue(r, i, 7);
		int schema = *kind == 'n';

		if (!schema && *kind != 'r') {
			ret = err_set(e, EXIT_CONFIG, "refusing the tracking table \"%s.%s\": it is %s, not a plain table",
				      l->schema, name, relkind_name(*kind));
			err_hint(e, "point --table at a name that is free or holds predeploy's own table");
		} else if (strcmp(PQgetvalue(r, i, 3), "true")) {
			ret = err_set(e, EXIT_NOPERM, "refusing the tracking %s \"%s%s%s\": it is owned by role \"%s\", "
				      "not by the deploying role \"%s\" or a superuser", schema ? "schema" : "table",
				      schema ? "" : l->schema, schema ? "" : ".", name, owner, me);
			err_hint(e, "another role's %s can run that role's code (triggers, defaults) as \"%s\": "
				 "check it, then change its owner (ALTER %s ... OWNER TO), or use another --table",
				 schema ? "schema" : "table", me, schema ? "SCHEMA" : "TABLE");
		} else if (*PQgetvalue(r, i, 4) || *PQgetvalue(r, i, 5) || !strcmp(PQgetvalue(r, i, 6), "true")) {
			const char *what = *PQgetvalue(r, i, 4) ? "triggers" : *PQgetvalue(r, i, 5) ? "rules" : NULL;

			if (what)
				ret = err_set(e, EXIT_NOPERM, "refusing the tracking table \"%s.%s\": it has %s (%s)",
					      l->schema, name, what, PQgetvalue(r, i, *what == 't' ? 4 : 5));
			else
				ret = err_set(e, EXIT_NOPERM, "refusing the tracking table \"%s.%s\": it has row "
					      "level security or policies", l->schema, name);
			err_hint(e, "predeploy's tracking tables have none, and they would run code as the "
				 "deploying role \"%s\": find out who added them and remove them", me);
		}
	}
	PQclear(r);
	return ret;
}

void ledger_release(struct ledger *l)
{
	free(l->schema);
	free(l->table);
	free(l->qschema);
	free(l->qtable);
	free(l->qhistory);
	memset(l, 0, sizeof(*l));
}

int ledger_exists(struct ledger *l, struct db *db, int *exists, struct err *e)
{
	const char *params[1];
	PGresult *r;

	params[0] = l->qtable;
	r = db_query(db, "SELECT pg_catalog.to_regclass($1) IS NOT NULL", 1, params, EXIT_INTERNAL, e);
	if (!r)
		return -1;
	*exists = !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	return 0;
}

int ledger_ensure(struct ledger *l, struct db *db, struct err *e)
{
	struct strbuf sql = STRBUF_INIT;
	int ret;
	const char *params[2];
	PGresult *r;

	params[0] = l->qtable;
	params[1] = l->qhistory;
	r = db_query(db, "SELECT pg_catalog.to_regclass($1) IS NOT NULL AND pg_catalog.to_regclass($2) IS NOT NULL",
		     2, params, EXIT_INTERNAL, e);
	if (!r)
		return -1;
	l->exists = !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	if (l->exists)
		return 0;
	if (strcmp(l->schema, "public"))
		sb_addf(&sql, "CREATE SCHEMA IF NOT EXISTS %s;\n", l->qschema);
	sb_addf(&sql,
		"CREATE TABLE IF NOT EXISTS %s (\n"
		"  version text PRIMARY KEY,\n"
		"  name text NOT NULL DEFAULT '',\n"
		"  checksum text,\n"
		"  applied_at timestamptz NOT NULL DEFAULT now(),\n"
		"  duration_ms integer,\n"
		"  applied_by text\n"
		");\n"
		"CREATE TABLE IF NOT EXISTS %s (\n"
		"  id bigserial PRIMARY KEY,\n"
		"  at timestamptz NOT NULL DEFAULT clock_timestamp(),\n"
		"  action text NOT NULL,\n"
		"  version text,\n"
		"  name text,\n"
		"  checksum text,\n"
		"  outcome text NOT NULL,\n"
		"  duration_ms integer,\n"
		"  applied_by text,\n"
		"  host text,\n"
		"  predeploy_version text,\n"
		"  backup_file text,\n"
		"  backup_sha256 text,\n"
		"  forced boolean NOT NULL DEFAULT false,\n"
		"  error text,\n"
		"  sqlstate text\n"
		")",
		l->qtable, l->qhistory);
	ret = db_exec(db, sql.buf, EXIT_INTERNAL, e);
	if (ret < 0) {
		struct strbuf m = STRBUF_INIT;
		sb_addf(&m, "could not create the tracking table %s: %s", l->qtable, e->msg);
		xstrlcpy(e->msg, m.buf, sizeof(e->msg));
		sb_release(&m);
	} else {
		l->exists = 1;
	}
	sb_release(&sql);
	return ret;
}

static int cmp_applied(const void *a, const void *b)
{
	return version_cmp(((const struct applied *)a)->version, ((const struct applied *)b)->version);
}

int ledger_read(struct ledger *l, struct db *db, struct applied_set *out, struct err *e)
{
	struct strbuf sql = STRBUF_INIT;
	PGresult *r;
	int exists, i, n;

	out->v = NULL;
	out->n = 0;
	if (!l->exists) {
		if (ledger_exists(l, db, &exists, e) < 0)
			return -1;
		if (!exists)
			return 0;
	}
	sb_addf(&sql, "SELECT version, name, coalesce(checksum, ''), "
		      "to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
		      "coalesce(duration_ms, 0), coalesce(applied_by, '') FROM %s", l->qtable);
	r = db_query(db, sql.buf, 0, NULL, EXIT_INTERNAL, e);
	sb_release(&sql);
	if (!r)
		return -1;
	n = PQntuples(r);
	out->v = xcalloc((size_t)n + 1, sizeof(*out->v));
	for (i = 0; i < n; i++) {
		struct applied *a = &out->v[i];
		a->version = xstrdup(PQgetvalue(r, i, 0));
		a->name = xstrdup(PQgetvalue(r, i, 1));
		a->checksum = xstrdup(PQgetvalue(r, i, 2));
		a->applied_at = xstrdup(PQgetvalue(r, i, 3));
		a->duration_ms = atoi(PQgetvalue(r, i, 4));
		a->applied_by = xstrdup(PQgetvalue(r, i, 5));
	}
	out->n = n;
	PQclear(r);
	qsort(out->v, (size_t)n, sizeof(*out->v), cmp_applied);
	return 0;
}

void applied_set_release(struct applied_set *s)
{
	int i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].version);
		free(s->v[i].name);
		free(s->v[i].checksum);
		free(s->v[i].applied_at);
		free(s->v[i].applied_by);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

int ledger_current_version(struct ledger *l, struct db *db, char *buf, size_t cap, struct err *e)
{
	struct applied_set s = APPLIED_SET_INIT;

	if (ledger_read(l, db, &s, e) < 0)
		return -1;
	xstrlcpy(buf, s.n ? s.v[s.n - 1].version : "", cap);
	applied_set_release(&s);
	return 0;
}

int ledger_mark_applied(struct ledger *l, struct db *db, const char *version, const char *name,
			const char *checksum, int64_t duration_ms, struct err *e)
{
	char who[512], dur[32];
	const char *params[5];
	char *sql;
	PGresult *r;

	context_who(db->user, who, sizeof(who));
	snprintf(dur, sizeof(dur), "%lld", (long long)duration_ms);
	params[0] = version;
	params[1] = name;
	params[2] = checksum;
	params[3] = duration_ms >= 0 ? dur : NULL;
	params[4] = who;
	sql = xasprintf("INSERT INTO %s (version, name, checksum, applied_at, duration_ms, applied_by) "
			"VALUES ($1, $2, $3, now(), $4, $5) ON CONFLICT (version) DO UPDATE SET "
			"name = EXCLUDED.name, checksum = EXCLUDED.checksum, applied_at = EXCLUDED.applied_at, "
			"duration_ms = EXCLUDED.duration_ms, applied_by = EXCLUDED.applied_by", l->qtable);
	r = db_query(db, sql, 5, params, EXIT_MIGRATION, e);
	free(sql);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

static void add_literal(struct db *db, struct strbuf *out, const char *s)
{
	char *q = PQescapeLiteral(db->conn, s, strlen(s));

	/* Unreachable from input: versions are digits, checksums hex, names
	 * valid UTF-8 (migration.c refuses other file names), `who` comes from
	 * the server; only an allocation failure is left. */
	if (!q)
		xdie("PQescapeLiteral failed");
	sb_adds(out, q);
	PQfreemem(q);
}

int ledger_history_add(struct ledger *l, struct db *db, const struct history_entry *h, struct err *e)
{
	char dur[32], who[512];
	struct strbuf error = STRBUF_INIT;
	const char *params[14];
	char *sql;
	PGresult *r;

	snprintf(dur, sizeof(dur), "%lld", (long long)h->duration_ms);
	snprintf(who, sizeof(who), "%s", db->user);
	params[0] = h->action;
	params[1] = h->version;
	params[2] = h->name;
	params[3] = h->checksum;
	params[4] = h->outcome;
	params[5] = h->duration_ms >= 0 ? dur : NULL;
	params[6] = who;
	params[7] = context_get()->host;
	params[8] = context_get()->version;
	params[9] = h->backup_file;
	params[10] = h->backup_sha256;
	params[11] = h->forced ? "true" : "false";
	if (h->error)
		log_redact(h->error, &error);
	params[12] = h->error ? error.buf : NULL;
	params[13] = h->sqlstate && *h->sqlstate ? h->sqlstate : NULL;
	sql = xasprintf("INSERT INTO %s (action, version, name, checksum, outcome, duration_ms, applied_by, "
			"host, predeploy_version, backup_file, backup_sha256, forced, error, sqlstate) "
			"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)", l->qhistory);
	r = db_query(db, sql, 14, params, EXIT_INTERNAL, e);
	free(sql);
	sb_release(&error);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

int ledger_run_begin(struct ledger *l, struct db *db, const char *first, const char *last, int n,
		     int64_t *id, struct err *e)
{
	char *name = n > 1 ? xasprintf("%d pending: %s..%s", n, first, last) : xasprintf("1 pending: %s", last);
	const char *params[5] = { last, name, db->user, context_get()->host, context_get()->version };
	char *sql = xasprintf("INSERT INTO %s (action, version, name, outcome, applied_by, host, predeploy_version) "
			      "VALUES ('run', $1, $2, 'started', $3, $4, $5) RETURNING id", l->qhistory);
	PGresult *r = db_query(db, sql, 5, params, EXIT_INTERNAL, e);

	free(sql);
	free(name);
	if (!r)
		return -1;
	*id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return 0;
}

void ledger_run_end(struct ledger *l, struct db *db, int64_t id)
{
	char idbuf[32], *sql;
	const char *params[1] = { idbuf };
	struct err e = ERR_INIT;
	PGresult *r;

	if (!id)
		return;
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	sql = xasprintf("DELETE FROM %s WHERE id = $1 AND action = 'run' AND outcome = 'started'", l->qhistory);
	r = db_query(db, sql, 1, params, EXIT_INTERNAL, &e);
	free(sql);
	/* the connection may be gone: the next run then reports it interrupted */
	if (r)
		PQclear(r);
}

int ledger_mark_interrupted(struct ledger *l, struct db *db, struct err *e)
{
	char *sql = xasprintf(
		"WITH r AS (UPDATE %1$s SET outcome = 'interrupted' WHERE action = 'run' AND outcome = 'started' "
		"           RETURNING id, at, applied_by, host, name) "
		"SELECT to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
		"  coalesce(r.applied_by, '') || '@' || coalesce(r.host, ''), coalesce(r.name, ''), "
		"  coalesce((SELECT pg_catalog.string_agg(h.version, ', ' ORDER BY h.id) FROM %1$s h "
		"            WHERE h.action = 'up' AND h.outcome = 'success' AND h.id > r.id "
		"              AND NOT EXISTS (SELECT FROM %1$s x WHERE x.action = 'run' AND x.id > r.id "
		"                              AND x.id < h.id)), '') "
		"FROM r ORDER BY r.id", l->qhistory);
	PGresult *r = db_query(db, sql, 0, NULL, EXIT_INTERNAL, e);
	int i;

	free(sql);
	if (!r)
		return -1;
	for (i = 0; i < PQntuples(r); i++)
		log_warn("the run started at %s by %s (%s) was interrupted before it finished (killed?); "
			 "it applied %s; the tracking table shows exactly what was committed", PQgetvalue(r, i, 0),
			 PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
			 *PQgetvalue(r, i, 3) ? PQgetvalue(r, i, 3) : "nothing");
	PQclear(r);
	return 0;
}

PGresult *ledger_history_query(struct ledger *l, struct db *db, int limit, int *missing, struct err *e)
{
	const char *params[1];
	char lim[32];
	char *sql;
	PGresult *r;

	params[0] = l->qhistory;
	r = db_query(db, "SELECT pg_catalog.to_regclass($1) IS NULL", 1, params, EXIT_INTERNAL, e);
	if (!r)
		return NULL;
	*missing = !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	snprintf(lim, sizeof(lim), "%d", limit > 0 ? limit : 1000000);
	params[0] = lim;
	if (*missing)
		return db_query(db, "SELECT NULL LIMIT 0", 0, NULL, EXIT_INTERNAL, e);
	sql = xasprintf("SELECT * FROM (SELECT id, to_char(at AT TIME ZONE 'UTC', "
			"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), action, coalesce(version, ''), coalesce(name, ''), "
			"outcome, coalesce(duration_ms::text, ''), coalesce(applied_by, ''), coalesce(host, ''), "
			"coalesce(predeploy_version, ''), coalesce(backup_file, ''), forced, coalesce(error, ''), "
			"coalesce(checksum, ''), coalesce(sqlstate, '') "
			"FROM %s ORDER BY id DESC LIMIT $1::int) h ORDER BY id", l->qhistory);
	r = db_query(db, sql, 1, params, EXIT_INTERNAL, e);
	free(sql);
	return r;
}

static int mark_removed(struct ledger *l, struct db *db, const char *version, struct err *e)
{
	const char *params[1] = { version };
	char *sql = xasprintf("DELETE FROM %s WHERE version = $1", l->qtable);
	PGresult *r = db_query(db, sql, 1, params, EXIT_MIGRATION, e);

	free(sql);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

int ledger_stamp_to(struct ledger *l, struct db *db, const struct migration_set *set,
		    const char *version, int *changed, struct err *e)
{
	struct applied_set a = APPLIED_SET_INIT;
	int i, j, known = !version_cmp(version, "0"), ret = -1;

	*changed = 0;
	if (!version_valid(version))
		return err_set(e, EXIT_USAGE, "invalid version \"%s\": expected digits", version);
	if (ledger_read(l, db, &a, e) < 0)
		return -1;
	known = known || migration_find(set, version) >= 0;
	for (i = 0; i < a.n && !known; i++)
		known = !version_cmp(a.v[i].version, version);
	if (!known) {
		err_set(e, EXIT_USAGE, "version %s is neither a migration file nor applied", version);
		goto out;
	}
	for (i = 0; i < a.n; i++) {
		if (version_cmp(a.v[i].version, version) > 0) {
			if (mark_removed(l, db, a.v[i].version, e) < 0)
				goto out;
			(*changed)++;
		}
	}
	for (i = 0; i < set->n; i++) {
		const struct migration *m = &set->v[i];
		int found = 0;

		if (version_cmp(m->version, version) > 0)
			break;
		for (j = 0; j < a.n && !found; j++)
			found = !version_cmp(a.v[j].version, m->version);
		if (found)
			continue;
		if (ledger_mark_applied(l, db, m->version, m->name, m->checksum, -1, e) < 0)
			goto out;
		(*changed)++;
	}
	ret = 0;
out:
	applied_set_release(&a);
	return ret;
}

void ledger_record_params(const struct ledger_record *r, const char *who,
			  const char *params[LEDGER_RECORD_NPARAMS])
{
	params[0] = r->version;
	params[1] = r->name;
	params[2] = r->checksum;
	params[3] = who;
	params[4] = r->db_user;
	params[5] = context_get()->host;
	params[6] = context_get()->version;
	params[7] = r->backup_file;
	params[8] = r->backup_sha256;
	params[9] = r->forced ? "true" : "false";
}

/* "$N" outside quotes (the statements have no other '$') replaced by
 * params[N-1] as a literal, NULL for a NULL one. */
static void print_with_params(struct db *db, const char *sql, const char *const *params, int np,
			      struct strbuf *out)
{
	const char *p;

	for (p = sql; *p; p++) {
		if (*p == '$' && p[1] >= '1' && p[1] <= '9') {
			int n = 0;

			while (p[1] >= '0' && p[1] <= '9')
				n = n * 10 + (*++p - '0');
			if (n >= 1 && n <= np && params[n - 1])
				add_literal(db, out, params[n - 1]);
			else
				sb_adds(out, "NULL");
		} else {
			sb_addc(out, *p);
		}
	}
	sb_adds(out, ";\n");
}

void ledger_record_print(struct ledger *l, struct db *db, const struct ledger_record *r, struct strbuf *out)
{
	char who[512], *sql = ledger_record_sql(l, r->up, r->since);
	const char *params[LEDGER_RECORD_NPARAMS];

	context_who(r->db_user, who, sizeof(who));
	ledger_record_params(r, who, params);
	print_with_params(db, sql, params, LEDGER_RECORD_NPARAMS, out);
	free(sql);
}

static const char hist_cols[] =
	"(action, version, name, checksum, outcome, duration_ms, applied_by, host, "
	"predeploy_version, backup_file, backup_sha256, forced)";

char *ledger_record_sql(struct ledger *l, int up, enum ledger_since since)
{
	static const char t0[] =
		"WITH d AS (SELECT (extract(epoch FROM clock_timestamp() - "
		"current_setting('predeploy.t0')::timestamptz) * 1000)::int AS ms)";
	static const char xact[] =
		"WITH d AS (SELECT (extract(epoch FROM clock_timestamp() - now()) * 1000)::int AS ms)";
	const char *ms = since == LEDGER_SINCE_XACT ? xact : t0;

	/* a plain INSERT: ON CONFLICT DO UPDATE cost about 80 us more per
	 * migration, and a conflict means a writer outside the lock */
	if (up)
		return xasprintf("%s, a AS (INSERT INTO %s (version, name, checksum, applied_at, duration_ms, "
				 "applied_by) SELECT $1, $2, $3, now(), ms, $4 FROM d RETURNING duration_ms) "
				 "INSERT INTO %s %s SELECT 'up', $1, $2, $3, 'success', duration_ms, $5, $6, $7, $8, "
				 "$9, $10::boolean FROM a RETURNING duration_ms",
				 ms, l->qtable, l->qhistory, hist_cols);
	/* $4 (applied_by) only types the parameter: the tracking row is deleted */
	return xasprintf("%s, w AS (SELECT $4::text AS applied_by), a AS (DELETE FROM %s WHERE version = $1) "
			 "INSERT INTO %s %s SELECT 'down', $1, $2, "
			 "$3, 'success', ms, $5, $6, $7, $8, $9, $10::boolean FROM d RETURNING duration_ms",
			 ms, l->qtable, l->qhistory, hist_cols);
}

char *ledger_record_all_sql(struct ledger *l)
{
	return xasprintf("WITH v AS (SELECT * FROM ROWS FROM (pg_catalog.unnest($1::text[]), "
			 "pg_catalog.unnest($2::text[]), pg_catalog.unnest($3::text[]), pg_catalog.unnest($4::int[])) "
			 "WITH ORDINALITY AS v(version, name, checksum, ms, ord)), "
			 "a AS (INSERT INTO %s (version, name, checksum, applied_at, duration_ms, applied_by) "
			 "SELECT version, name, checksum, now(), ms, $5 FROM v) "
			 "INSERT INTO %s %s SELECT 'up', version, name, checksum, 'success', ms, $6, $7, $8, "
			 "$9, $10, $11::boolean FROM v ORDER BY ord",
			 l->qtable, l->qhistory, hist_cols);
}

void ledger_record_all_params(const struct ledger_record *r, int n, const int64_t *ms, const char *who,
			      struct ledger_record_all *a)
{
	const char **vs = xcalloc((size_t)n + 1, sizeof(*vs)), **ns = xcalloc((size_t)n + 1, sizeof(*ns));
	const char **cs = xcalloc((size_t)n + 1, sizeof(*cs));
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < n; i++) {
		vs[i] = r[i].version;
		ns[i] = r[i].name;
		cs[i] = r[i].checksum;
	}
	db_text_array(&a->versions, vs, n);
	db_text_array(&a->names, ns, n);
	db_text_array(&a->checksums, cs, n);
	sb_addc(&a->ms, '{');
	for (i = 0; i < n; i++) {
		if (ms)
			sb_addf(&a->ms, "%s%lld", i ? "," : "", (long long)ms[i]);
		else
			sb_adds(&a->ms, i ? ",NULL" : "NULL");
	}
	sb_addc(&a->ms, '}');
	free(vs);
	free(ns);
	free(cs);
	a->params[0] = a->versions.buf;
	a->params[1] = a->names.buf;
	a->params[2] = a->checksums.buf;
	a->params[3] = a->ms.buf;
	a->params[4] = who;
	a->params[5] = n ? r[0].db_user : NULL;
	a->params[6] = context_get()->host;
	a->params[7] = context_get()->version;
	a->params[8] = n ? r[0].backup_file : NULL;
	a->params[9] = n ? r[0].backup_sha256 : NULL;
	a->params[10] = n && r[0].forced ? "true" : "false";
}

void ledger_record_all_release(struct ledger_record_all *a)
{
	sb_release(&a->versions);
	sb_release(&a->names);
	sb_release(&a->checksums);
	sb_release(&a->ms);
}

void ledger_record_all_print(struct ledger *l, struct db *db, const struct ledger_record *r, int n,
			     struct strbuf *out)
{
	struct ledger_record_all a;
	char who[512], *sql = ledger_record_all_sql(l);

	context_who(n ? r[0].db_user : NULL, who, sizeof(who));
	ledger_record_all_params(r, n, NULL, who, &a);
	sb_adds(out, "-- the durations are measured as the migrations run\n");
	print_with_params(db, sql, a.params, LEDGER_RECORD_ALL_NPARAMS, out);
	ledger_record_all_release(&a);
	free(sql);
}
