/*
 * rehearse: shadow copy, capture, attribution, lint and catalog diff; see
 * rehearse.h.
 */
#include "rehearse.h"
#include "rehearse_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply.h"
#include "catalog.h"
#include "ledger.h"
#include "log.h"
#include "proc.h"
#include "relay.h"
#include "schema_snap.h"
#include "shadow.h"
#include "util/exitcode.h"
#include "util/fsutil.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* ---- the shadow's schema (and small tables' data) ---- */

/* Tables too large to copy into the shadow: their data is left out. */
static int large_tables(struct db *live, int64_t max_rows, struct strlist *out, struct err *e)
{
	char rows[32];
	const char *params[1] = { rows };
	PGresult *r;
	int i;

	snprintf(rows, sizeof(rows), "%lld", (long long)max_rows);
	r = db_query(live, "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) "
		     "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
		     "WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
		     "AND n.nspname NOT LIKE 'pg\\_%' "
		     "AND (c.reltuples > $1::float8 OR (c.reltuples < 0 AND pg_catalog.pg_relation_size(c.oid) > 8388608)) "
		     "ORDER BY 1", 1, params, EXIT_INTERNAL, e);
	if (!r)
		return -1;
	for (i = 0; i < PQntuples(r); i++)
		strlist_add(out, PQgetvalue(r, i, 0));
	PQclear(r);
	return 0;
}

/* pg_dump of the live database (plain) streamed straight into the shadow
 * (shadow_load: many statements per round trip, one transaction). */
static int copy_schema(const struct config *cfg, struct db *live, struct db *shadow, struct err *e)
{
	const char *pg_dump = cfg->pg_dump && *cfg->pg_dump ? cfg->pg_dump : "pg_dump";
	struct strlist large = { 0 }, argv = { 0 };
	char *ci = NULL, *pw = NULL, *pwenv = NULL, *svcfile = NULL, *svcenv = NULL;
	const char *env[3] = { NULL, NULL, NULL };
	struct proc_spawn_opts po = PROC_SPAWN_OPTS_INIT;
	struct proc_result pr = PROC_RESULT_INIT;
	struct shadow_load *load = NULL;
	int64_t t0 = now_ms(), statements = 0, copy_bytes = 0;
	int i, ret = -1;

	if (large_tables(live, cfg->shadow_data_max_rows, &large, e) < 0)
		goto out;
	/* sslpassword through a private service file, as for backups */
	svcfile = db_child_service_file(live, e);
	if (!svcfile && e->code)
		goto out;
	ci = db_child_conninfo(live, NULL);
	if (svcfile) {
		char *c2 = xasprintf("%s service=" DB_CHILD_SERVICE, ci);

		free(ci);
		ci = c2;
		svcenv = xasprintf("PGSERVICEFILE=%s", svcfile);
	}
	pw = db_password(live);
	if (pw) {
		pwenv = xasprintf("PGPASSWORD=%s", pw);
		env[0] = pwenv;
		env[1] = svcenv;
	} else {
		env[0] = svcenv;
	}
	strlist_add(&argv, pg_dump);
	strlist_add(&argv, "--format=plain");
	strlist_add(&argv, "--no-owner");
	strlist_add(&argv, "--no-privileges");
	strlist_add(&argv, "--no-comments");
	for (i = 0; i < large.n; i++) {
		char *a = xasprintf("--exclude-table-data=%s", large.v[i]);

		strlist_add(&argv, a);
		free(a);
	}
	strlist_add(&argv, "--dbname");
	strlist_add(&argv, ci);
	if (shadow_load_begin(&load, shadow, e) < 0)
		goto failed;
	po.argv = (const char *const *)argv.v;
	po.env = env;
	po.on_stdout = shadow_load_feed;
	po.arg = load;
	po.fail_code = EXIT_INTERNAL;
	if (proc_spawn(&po, &pr, e) < 0) {
		proc_result_release(&pr);
		goto failed;
	}
	if (!pr.exited || pr.exit_status != 0) {
		err_set(e, EXIT_INTERNAL, "pg_dump of the schema for the shadow database failed (%s %d): %s",
			pr.exited ? "exit status" : "signal", pr.exited ? pr.exit_status : pr.termsig,
			pr.tail.len ? pr.tail.buf : "no output");
		proc_result_release(&pr);
		goto out;
	}
	proc_result_release(&pr);
	if (shadow_load_finish(load, &statements, &copy_bytes, e) < 0)
		goto failed;
	log_info("shadow database has the live schema (%lld statements, %.1f MB of small tables' data; "
		 "%d large table%s without data)", (long long)statements, (double)copy_bytes / 1e6,
		 large.n, large.n == 1 ? "" : "s");
	log_debug("shadow schema copy: pg_dump and load %lld ms", (long long)(now_ms() - t0));
	ret = 0;
	goto out;
failed:
	if (e->code < 128) {
		char msg[sizeof(e->msg)];

		xstrlcpy(msg, e->msg, sizeof(msg));
		err_set(e, EXIT_INTERNAL, "could not copy the schema into the shadow database: %s", msg);
	}
out:
	shadow_load_free(load);
	if (pwenv) {
		memset(pwenv, 0, strlen(pwenv));
		free(pwenv);
	}
	if (pw) {
		memset(pw, 0, strlen(pw));
		free(pw);
	}
	if (svcfile)
		unlink(svcfile);
	free(svcfile);
	free(svcenv);
	free(ci);
	strlist_clear(&argv);
	strlist_clear(&large);
	return ret;
}

/* ---- attribution ---- */

static void normalise(const char *sql, struct strbuf *out, int drop_schema);

void rehearse_normalise(const char *sql, struct strbuf *out)
{
	normalise(sql, out, 1);
}

static void normalise(const char *sql, struct strbuf *out, int drop_schema)
{
	const char *s = sql;
	int space = 0;
	size_t verb_end;

	while (*s && isspace((unsigned char)*s))
		s++;
	for (; *s; s++) {
		if (*s == '"')
			continue;
		if (isspace((unsigned char)*s)) {
			space = 1;
			continue;
		}
		if (space && out->len)
			sb_addc(out, ' ');
		space = 0;
		sb_addc(out, (char)tolower((unsigned char)*s));
	}
	/* drop a schema qualifier on the first table name */
	if (!drop_schema || !out->buf)
		return;
	if (!strncmp(out->buf, "insert into ", 12))
		verb_end = 12;
	else if (!strncmp(out->buf, "update ", 7))
		verb_end = 7;
	else if (!strncmp(out->buf, "delete from ", 12))
		verb_end = 12;
	else
		return;
	{
		char *name = out->buf + verb_end, *dot = name, *end = name;

		while (*end && *end != ' ' && *end != '(')
			end++;
		dot = memchr(name, '.', (size_t)(end - name));
		if (dot) {
			size_t cut = (size_t)(dot + 1 - name);

			memmove(name, dot + 1, out->len - (size_t)(dot + 1 - out->buf) + 1);
			out->len -= cut;
		}
	}
}

/* 0: not a tracking write; 1: one that records a finished migration (it
 * closes the migration's statements); 2: one that does not ("-" patterns:
 * Prisma's INSERT before a migration runs, Alembic's DELETE of a merged
 * head). Patterns are normalised like the statement. */
static int tracking_write(const char *sql, const char *const *patterns)
{
	struct strbuf sb = STRBUF_INIT, pat = STRBUF_INIT;
	int i, hit = 0;

	struct strbuf raw = STRBUF_INIT;

	rehearse_normalise(sql, &sb);
	normalise(sql, &raw, 0);
	for (i = 0; sb.len && patterns && patterns[i] && !hit; i++) {
		const char *p = patterns[i];
		int closes = 1, anywhere = 0;

		for (; *p == '-' || *p == '*'; p++) {
			if (*p == '-')
				closes = 0;
			else
				anywhere = 1;
		}
		sb_reset(&pat);
		normalise(p, &pat, !anywhere);
		if (anywhere ? strstr(raw.buf, pat.buf) != NULL : !strncmp(sb.buf, pat.buf, pat.len))
			hit = closes ? 1 : 2;
	}
	sb_release(&raw);
	sb_release(&pat);
	sb_release(&sb);
	return hit;
}

/* Statements that carry no schema change and would only add noise. */
static int is_noise(const char *sql)
{
	static const char *const skip[] = { "begin", "commit", "rollback", "start transaction", "end",
					    "select", "show", "set ", "reset ", "savepoint", "release", "discard",
					    "deallocate", NULL };
	struct strbuf sb = STRBUF_INIT;
	int i, hit = 0;

	rehearse_normalise(sql, &sb);
	if (!sb.len)
		hit = 1;
	for (i = 0; skip[i] && !hit; i++)
		hit = !strncmp(sb.buf, skip[i], strlen(skip[i]));
	sb_release(&sb);
	return hit;
}

/* The k-th tracking write closes the k-th migration, per connection; the
 * connection(s) that wrote them carry the migrations' statements. */
static int attribute(const struct rehearse_plan *p, const struct relay_capture *cap, struct rehearse_result *r)
{
	int i, conn, marks;

	r->stmts = xcalloc((size_t)cap->n + 1, sizeof(*r->stmts));
	for (conn = 1, marks = 0; conn <= cap->conns + 8 && cap->n; conn++) {
		int idx = marks, seen = 0;

		for (i = 0; i < cap->n; i++)
			seen |= cap->v[i].conn == conn && tracking_write(cap->v[i].sql, p->tracking_writes) == 1;
		for (i = 0; i < cap->n; i++) {
			const struct relay_stmt *s = &cap->v[i];
			int w;

			if (s->conn != conn)
				continue;
			w = tracking_write(s->sql, p->tracking_writes);
			if (w) {
				idx += w == 1;
				continue;
			}
			if (is_noise(s->sql))
				continue;
			r->stmts[r->nstmts].migration = seen && idx < p->n ? idx : -1;
			r->stmts[r->nstmts].sql = xstrdup(s->sql);
			r->nstmts++;
		}
		marks = idx;
	}
	return marks;
}

/* ---- lint of the captured statements ---- */

/* Rule ids acknowledged anywhere in a migration's source file:
 * "predeploy:allow RULE[,RULE] reason" after #, // or --. */
static void source_allows(const char *path, struct strlist *allow)
{
	struct strbuf src = STRBUF_INIT;
	struct err e = ERR_INIT;
	const char *p;

	if (!path || fs_read_file(path, 4u << 20, &src, EXIT_DATAERR, &e) < 0) {
		sb_release(&src);
		return;
	}
	for (p = src.buf; p && (p = strstr(p, "predeploy:allow")); p += 15) {
		const char *q = p, *ls = p, *id;
		int comment = 0;

		while (ls > src.buf && ls[-1] != '\n')
			ls--;
		for (q = ls; q < p; q++)
			if (*q == '#' || (q[0] == '/' && q[1] == '/') || (q[0] == '-' && q[1] == '-'))
				comment = 1;
		if (!comment)
			continue;
		q = p + 15;
		while (*q == ' ' || *q == '\t')
			q++;
		for (id = q;; q++) {
			if (*q == ',' || *q == ' ' || *q == '\t' || *q == '\n' || *q == '\r' || !*q) {
				if (q > id) {
					char *rule = xstrndup(id, (size_t)(q - id));

					if (lint_rule_known(rule))
						strlist_add(allow, rule);
					free(rule);
				}
				if (*q != ',')
					break;
				id = q + 1;
			}
		}
	}
	sb_release(&src);
}

static void lint_captured(const struct config *cfg, const struct rehearse_plan *p, struct rehearse_result *r)
{
	struct lint_opts base, lo;
	struct err e = ERR_INIT;
	int m, i;

	lint_opts_from_config(&base, cfg);
	base.server_judges_syntax = 1;      /* the server ran it: it parsed */
	for (m = -1; m < p->n; m++) {
		struct strbuf sql = STRBUF_INIT;
		struct strlist allow = { 0 };
		const struct rehearse_migration *mig = m >= 0 ? &p->migrations[m] : NULL;
		int first = r->lint.n;

		for (i = 0; i < r->nstmts; i++)
			if (r->stmts[i].migration == m)
				sb_addf(&sql, "%s;\n", r->stmts[i].sql);
		if (!sql.len) {
			sb_release(&sql);
			continue;
		}
		lo = base;
		if (cfg->allow.n)
			for (i = 0; i < cfg->allow.n; i++)
				strlist_add(&allow, cfg->allow.v[i]);
		if (mig)
			source_allows(mig->path, &allow);
		lo.allow = &allow;
		if (lint_sql(sql.buf, sql.len, mig ? mig->path : "(rehearsal)", mig && mig->line ? mig->line : 1, 0, &lo,
			     &r->lint, &e) < 0)
			log_warn("lint of the rehearsed SQL failed: %s", e.msg);
		for (i = first; i < r->lint.n; i++) {
			struct lint_finding *f = &r->lint.v[i];

			free(f->version);
			f->version = xstrdup(mig ? mig->id : "");
		}
		strlist_clear(&allow);
		sb_release(&sql);
	}
}

/* ---- the whole rehearsal ---- */

int rehearse_run(const struct config *cfg, struct db *live, const struct rehearse_plan *plan,
		 struct rehearse_result *r, struct err *e)
{
	struct rehearse_plan pl = *plan, *p = &pl;
	struct shadow sh = SHADOW_INIT;
	struct schema_snap before = SCHEMA_SNAP_INIT, after = SCHEMA_SNAP_INIT;
	struct schema_snap live_before = SCHEMA_SNAP_INIT, live_after = SCHEMA_SNAP_INIT;
	struct strlist fn_before = { 0 }, fn_after = { 0 };
	struct relay_opts ro = RELAY_OPTS_INIT;
	struct relay_capture cap = RELAY_CAPTURE_INIT;
	struct relay *relay = NULL;
	struct db via = DB_INIT;
	struct err ae = ERR_INIT;
	char port[16];
	int64_t t0 = now_ms(), tm[8] = { 0 };     /* phase ends, for the debug line */
	int ret = -1, applied;

	if (!live && !cfg->shadow_database_url) {
		err_set(e, EXIT_USAGE, "a rehearsal without a database needs --shadow-database-url");
		goto out;
	}
	/* CREATE DATABASE goes out on a second connection and runs while the
	 * live schema is described (to notice a migrator that changes it
	 * behind the relay) */
	if (shadow_begin(&sh, cfg, live, cfg->shadow_database_url, e) < 0)
		goto no_shadow;
	if (live && schema_snap_take(live, &live_before, e) < 0)
		goto out;
	tm[0] = now_ms();
	if (shadow_finish(&sh, cfg, live, e) < 0)
		goto no_shadow;
	tm[1] = now_ms();
	if (p->prepare ? p->prepare(p->arg, &sh.db, p, e) < 0 : copy_schema(cfg, live, &sh.db, e) < 0)
		goto out;
	tm[2] = now_ms();
	if (schema_snap_take(&sh.db, &before, e) < 0 || rehearse_filenodes(&sh.db, &fn_before, e) < 0)
		goto out;

	tm[3] = now_ms();
	ro.upstream_host = sh.db.host;
	ro.upstream_port = sh.db.port;
	if (relay_start(&relay, &ro, e) < 0)
		goto out;
	snprintf(port, sizeof(port), "%d", relay_port(relay));
	{
		/* the shadow's own parameters, with the relay's address */
		char extra[96];

		snprintf(extra, sizeof(extra), "host=127.0.0.1 port=%s sslmode=disable", port);
		if (db_connect_like(cfg, &sh.db, NULL, extra, &via, e) < 0)
			goto out;
	}
	proc_watch_conn(via.conn);
	tm[4] = now_ms();
	applied = p->apply(p->arg, &via, &ae);
	tm[5] = now_ms();
	proc_watch_conn(NULL);
	db_close(&via);
	if (relay_stop(relay, &cap, e) < 0) {
		relay = NULL;
		goto out;
	}
	relay = NULL;
	if (live && schema_snap_take(live, &live_after, e) < 0)
		goto out;
	if (live) {
		struct strlist d = { 0 };

		schema_snap_diff(&live_before, &live_after, &d);
		if (d.n) {
			err_set(e, EXIT_MIGRATION, "the %s migrator changed the live database during the rehearsal, "
				"before the backup (%s%s)", p->label ? p->label : "", d.v[0], d.n > 1 ? ", ..." : "");
			err_hint(e, "it does not use DATABASE_URL for every connection: point its configuration "
				 "at DATABASE_URL, and use --rehearse never until then");
			strlist_clear(&d);
			goto out;
		}
		strlist_clear(&d);
	}
	if (applied < 0) {
		if (ae.code > 128) {
			*e = ae;
			goto out;
		}
		*e = ae;
		if (e->code == 0 || e->code == EXIT_INTERNAL)
			e->code = EXIT_MIGRATION;
		err_hint(e, "the migration failed on the shadow copy, so production was not touched; it would most "
			    "likely fail there too (--rehearse never skips the rehearsal)");
		goto out;
	}
	/* connection 1 is the one made above: in-process migrators (sql) use
	 * it, a child's connections come after it */
	r->connections = cap.conns;
	if (attribute(p, &cap, r) == 0 && cap.conns <= 1) {
		snprintf(r->why, sizeof(r->why), "the %s migrator never connected through the rehearsal's relay "
			 "(it does not read DATABASE_URL: point its configuration at DATABASE_URL)",
			 p->label ? p->label : "");
		ret = 0;
		goto out;
	}
	lint_captured(cfg, p, r);
	if (schema_snap_take(&sh.db, &after, e) < 0 || rehearse_filenodes(&sh.db, &fn_after, e) < 0)
		goto out;
	{
		/* the live tables' numbers and column types decide, as in the gate;
		 * then the diff sees which changes the statements explain */
		struct lint_opts o;

		lint_opts_from_config(&o, cfg);
		if (live)
			catalog_apply_to_report(live, &o, &r->lint);
		rehearse_catalog_diff(&before, &after, &fn_before, &fn_after, cfg, p, r);
		if (live)
			catalog_apply_to_report(live, &o, &r->diff);
	}
	r->ran = 1;
	ret = 0;
	goto out;
no_shadow:
	if (!proc_stop_signal()) {
		/* no CREATEDB, no URL: say so once and fall back */
		snprintf(r->why, sizeof(r->why), "no shadow database could be made (%s)", e->msg);
		err_clear(e);
		ret = 0;
	}
out:
	tm[6] = now_ms();
	if (relay)
		relay_stop(relay, NULL, NULL);
	relay_capture_release(&cap);
	db_close(&via);
	shadow_close(&sh, live);
	tm[7] = now_ms();
	if (r->ran)
		log_debug("rehearsal timing (ms): live snapshot %lld, shadow database %lld, schema copy %lld, "
			  "shadow snapshot %lld, relay and connection %lld, migrator %lld, capture/lint/diff %lld, "
			  "drop %lld", (long long)(tm[0] - t0), (long long)(tm[1] - tm[0]), (long long)(tm[2] - tm[1]),
			  (long long)(tm[3] - tm[2]), (long long)(tm[4] - tm[3]), (long long)(tm[5] - tm[4]),
			  (long long)(tm[6] - tm[5]), (long long)(tm[7] - tm[6]));
	schema_snap_release(&before);
	schema_snap_release(&after);
	schema_snap_release(&live_before);
	schema_snap_release(&live_after);
	strlist_clear(&fn_before);
	strlist_clear(&fn_after);
	r->duration_ms = now_ms() - t0;
	return ret;
}

void rehearse_result_release(struct rehearse_result *r)
{
	int i;

	for (i = 0; i < r->nstmts; i++)
		free(r->stmts[i].sql);
	free(r->stmts);
	r->stmts = NULL;
	r->nstmts = 0;
	lint_report_release(&r->lint);
	lint_report_release(&r->diff);
}

/* ---- predeploy's own engine as the migrator ---- */

struct sql_apply {
	const struct config *cfg;
	const struct migration *const *pending;
	int n;
};

static int sql_apply(void *arg, struct db *via, struct err *e)
{
	struct sql_apply *a = arg;
	struct ledger l = LEDGER_INIT;
	struct apply_opts ao;
	struct apply_result res = APPLY_RESULT_INIT;
	int rc = -1;

	memset(&ao, 0, sizeof(ao));
	ao.lock_timeout_ms = a->cfg->lock_timeout_ms;
	ao.lock_retries = 0;                /* nothing else holds locks on the shadow */
	ao.statement_timeout_ms = a->cfg->statement_timeout_ms;
	ao.single_transaction = a->cfg->single_transaction;
	if (ledger_init(&l, via, a->cfg->table, e) == 0 && ledger_ensure(&l, via, e) == 0)
		rc = apply_up(via, &l, a->pending, a->n, &ao, &res, e);
	apply_result_release(&res);
	ledger_release(&l);
	return rc;
}

void rehearse_ledger_write(const struct config *cfg, struct strbuf *out)
{
	/* the engine writes the row inside a CTE, "... INSERT INTO schema.table
	 * (version, ..."; ledger_mark_applied writes it plainly */
	sb_adds(out, "*insert into ");   /* normalised again when matched: harmless */
	if (!strchr(cfg->table, '.'))
		sb_adds(out, "public.");
	rehearse_normalise(cfg->table, out);
	sb_adds(out, " (");
}

int rehearse_sql(const struct config *cfg, struct db *live, const struct migration *const *pending, int n,
		 struct rehearse_result *r, struct err *e)
{
	struct rehearse_migration *v = xcalloc((size_t)n + 1, sizeof(*v));
	struct sql_apply a = { cfg, pending, n };
	struct rehearse_plan p;
	struct strbuf write = STRBUF_INIT;
	const char *writes[2];
	int i, rc;

	for (i = 0; i < n; i++) {
		v[i].id = pending[i]->version;
		v[i].name = pending[i]->name;
		v[i].path = pending[i]->up.path;
		v[i].line = pending[i]->up.line;
	}
	rehearse_ledger_write(cfg, &write);
	writes[0] = write.buf;
	writes[1] = NULL;
	memset(&p, 0, sizeof(p));
	p.migrations = v;
	p.n = n;
	p.tracking_writes = writes;
	p.apply = sql_apply;
	p.arg = &a;
	p.label = "sql";
	rc = rehearse_run(cfg, live, &p, r, e);
	sb_release(&write);
	free(v);
	return rc;
}

/* Alembic's offline output: "-- Running upgrade A -> B" starts revision
 * B's SQL; BEGIN / COMMIT and the version table's writes are left out. */
int rehearse_offline(const struct config *cfg, struct db *live, const struct rehearse_plan *p, const char *sql,
		     struct rehearse_result *r)
{
	const char *line = sql;
	struct strbuf cur = STRBUF_INIT;
	int m = -1, cap = 16;
	struct lint_opts o;

	r->stmts = xcalloc((size_t)cap, sizeof(*r->stmts));
	for (;;) {
		const char *nl = strchr(line, '\n'), *end = nl ? nl : line + strlen(line);
		size_t n = (size_t)(end - line);
		const char *arrow;

		if (!*line || !strncmp(line, "-- Running upgrade ", 19)) {
			if (cur.len) {
				if (r->nstmts + 1 >= cap) {
					cap *= 2;
					r->stmts = xrealloc(r->stmts, sizeof(*r->stmts) * (size_t)cap);
				}
				r->stmts[r->nstmts].migration = m;
				r->stmts[r->nstmts].sql = sb_detach(&cur, NULL);
				r->nstmts++;
			}
			sb_reset(&cur);
			if (!*line)
				break;
			arrow = strstr(line, " -> ");
			m = -1;
			if (arrow && arrow < end) {
				const char *id = arrow + 4, *idend = id;
				int k;

				while (idend < end && *idend != ',' && *idend != ' ' && *idend != '\r')
					idend++;
				for (k = 0; k < p->n; k++)
					if (strlen(p->migrations[k].id) == (size_t)(idend - id) &&
					    !strncmp(p->migrations[k].id, id, (size_t)(idend - id)))
						m = k;
			}
		} else if (strncmp(line, "BEGIN;", 6) && strncmp(line, "COMMIT;", 7) &&
			   !(n > 0 && tracking_write(line, p->tracking_writes))) {
			sb_add(&cur, line, n);
			sb_addc(&cur, '\n');
		}
		if (!nl) {
			line = end;     /* flush what is left on the next round */
			continue;
		}
		line = nl + 1;
	}
	sb_release(&cur);
	lint_captured(cfg, p, r);
	lint_opts_from_config(&o, cfg);
	catalog_apply_to_report(live, &o, &r->lint);
	return 0;
}

int rehearse_wanted(const struct config *cfg, int tool, int npending)
{
	if (cfg->rehearse == REHEARSE_NEVER || npending == 0)
		return 0;
	return cfg->rehearse == REHEARSE_ALWAYS || tool;
}
