/*
 * shadow: create, empty and drop scratch databases; see shadow.h.
 */
#include "shadow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util/exitcode.h"
#include "util/timeutil.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

static unsigned random_u32(void)
{
	unsigned v;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
		return v;
	return (unsigned)getpid() * 2654435761u ^ (unsigned)time(NULL);
}

static char *drop_sql(struct db *db, const char *name, struct err *e);

static int drop_database(struct db *live, const char *name, struct err *e)
{
	char *sql = drop_sql(live, name, e);
	int r;

	if (!sql)
		return -1;
	r = db_exec(live, sql, EXIT_INTERNAL, e);
	free(sql);
	return r;
}

/* Drop shadows older than SHADOW_MAX_AGE_S that a killed run left behind;
 * their names carry their creation time. Failures are only logged. */
static void drop_stale(struct db *live)
{
	struct err e = ERR_INIT;
	PGresult *r = db_query(live, "SELECT datname FROM pg_catalog.pg_database "
			       "WHERE datname LIKE 'predeploy\\_shadow\\_%' ORDER BY 1",
			       0, NULL, EXIT_INTERNAL, &e);
	long long now = (long long)time(NULL);
	int i;

	if (!r) {
		log_debug("could not list leftover shadow databases: %s", e.msg);
		return;
	}
	for (i = 0; i < PQntuples(r); i++) {
		const char *name = PQgetvalue(r, i, 0);
		char *end;
		long long t = strtoll(name + strlen(SHADOW_PREFIX), &end, 10);

		if (end == name + strlen(SHADOW_PREFIX) || *end != '_' || t <= 0 ||
		    now - t < SHADOW_MAX_AGE_S)
			continue;
		err_clear(&e);
		if (drop_database(live, name, &e) < 0)
			log_warn("could not drop leftover shadow database \"%s\": %s", name, e.msg);
		else
			log_info("dropped leftover shadow database \"%s\" (older than an hour)", name);
	}
	PQclear(r);
}

/* Drop every non-system schema of the scratch database and create public
 * again, so it starts as empty as a new database. */
static int empty_database(struct db *db, struct err *e)
{
	PGresult *r = db_query(db, "SELECT nspname FROM pg_catalog.pg_namespace "
			       "WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') "
			       "AND nspname NOT LIKE 'pg\\_temp\\_%' AND nspname NOT LIKE 'pg\\_toast\\_temp\\_%' "
			       "ORDER BY 1", 0, NULL, EXIT_INTERNAL, e);
	struct strbuf sb = STRBUF_INIT;
	int i, rc;

	if (!r)
		return -1;
	sb_adds(&sb, "SET client_min_messages = warning; ");
	for (i = 0; i < PQntuples(r); i++) {
		char *q = db_ident(db, PQgetvalue(r, i, 0), e);

		if (!q) {
			PQclear(r);
			sb_release(&sb);
			return -1;
		}
		sb_addf(&sb, "DROP SCHEMA %s CASCADE; ", q);
		free(q);
	}
	PQclear(r);
	sb_adds(&sb, "CREATE SCHEMA public");
	rc = db_exec(db, sb.buf, EXIT_CONFIG, e);
	sb_release(&sb);
	if (rc < 0)
		err_hint(e, "--shadow-database-url must name a scratch database the role may empty");
	return rc;
}

/* Read every result of what was sent on `d`; the first error into e. */
static int collect(struct db *d, int err_code, struct err *e)
{
	PGresult *r;
	int rc = 0;

	while ((r = PQgetResult(d->conn))) {
		ExecStatusType st = PQresultStatus(r);

		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && rc == 0) {
			db_error_from_result(r, d->conn, err_code, e);
			rc = -1;
		}
		PQclear(r);
	}
	return rc;
}

/* The DROPs sent by shadow_close that shadow_wait_drops still has to read. */
#define MAX_PENDING 4
static struct pending_drop {
	struct db conn;
	char name[64];
	int64_t t0;
} pending[MAX_PENDING];
static int npending;

static char *drop_sql(struct db *db, const char *name, struct err *e)
{
	char *q = db_ident(db, name, e), *sql;

	/* FORCE (PostgreSQL 13+) ends sessions a killed migrator left behind. */
	if (!q)
		return NULL;
	sql = xasprintf("DROP DATABASE IF EXISTS %s%s", q, db_server_major(db) >= 13 ? " WITH (FORCE)" : "");
	free(q);
	return sql;
}

static void drop_finished(struct pending_drop *p)
{
	struct err e = ERR_INIT;

	if (collect(&p->conn, EXIT_INTERNAL, &e) < 0)
		log_warn("could not drop shadow database \"%s\": %s", p->name, e.msg);
	else
		log_debug("dropped shadow database \"%s\" (%lld ms, beside the work that followed)", p->name,
			  (long long)(now_ms() - p->t0));
	db_close(&p->conn);
}

void shadow_wait_drops(void)
{
	int i;

	for (i = 0; i < npending; i++)
		drop_finished(&pending[i]);
	npending = 0;
}

/* Send the shadow's DROP on its admin connection and keep the connection
 * for shadow_wait_drops; 0 when sent. */
static int drop_send(struct shadow *sh)
{
	struct err e = ERR_INIT;
	char *sql;
	int ok;

	if (npending == MAX_PENDING)
		shadow_wait_drops();
	sql = drop_sql(&sh->admin, sh->name, &e);
	if (!sql)
		return -1;
	ok = PQsendQuery(sh->admin.conn, sql);
	free(sql);
	if (!ok)
		return -1;
	pending[npending].conn = sh->admin;
	xstrlcpy(pending[npending].name, sh->name, sizeof(pending[npending].name));
	pending[npending].t0 = now_ms();
	npending++;
	sh->admin = (struct db)DB_INIT;
	return 0;
}

int shadow_begin(struct shadow *sh, const struct config *cfg, struct db *live, const char *url,
		 struct err *e)
{
	struct db *adm = live;
	char *q, *sql;
	int ok;

	if (url) {
		struct config c = *cfg;

		c.database_url = (char *)url;
		if (db_connect(&c, &sh->db, e) < 0)
			return -1;
		if (empty_database(&sh->db, e) < 0) {
			db_close(&sh->db);
			return -1;
		}
		return 0;
	}
	/* a second connection, so that CREATE and DROP do not hold up the live
	 * one; without it (too many connections, say), they run on live */
	{
		struct err ce = ERR_INIT;

		if (db_connect_other(cfg, live, live->dbname, &sh->admin, &ce) == 0)
			adm = &sh->admin;
		else
			log_debug("shadow database: no second connection (%s); using the live one", ce.msg);
	}
	drop_stale(adm);
	snprintf(sh->name, sizeof(sh->name), SHADOW_PREFIX "%lld_%08x", (long long)time(NULL), random_u32());
	q = db_ident(adm, sh->name, e);
	if (!q)
		goto failed;
	sql = xasprintf("CREATE DATABASE %s TEMPLATE template0", q);
	free(q);
	if (adm == live) {
		ok = db_exec(live, sql, EXIT_NOPERM, e) == 0;
		sh->created = ok;
	} else {
		ok = PQsendQuery(adm->conn, sql);
		if (!ok)
			db_error_from_result(NULL, adm->conn, EXIT_NOPERM, e);
		sh->creating = ok;
	}
	free(sql);
	if (ok)
		return 0;
failed:
	sh->name[0] = '\0';
	db_close(&sh->admin);
	err_hint(e, "the role needs CREATEDB for a scratch database, or give --shadow-database-url");
	return -1;
}

int shadow_finish(struct shadow *sh, const struct config *cfg, struct db *live, struct err *e)
{
	if (sh->creating) {
		sh->creating = 0;
		if (collect(&sh->admin, EXIT_NOPERM, e) < 0) {
			sh->name[0] = '\0';
			db_close(&sh->admin);
			err_hint(e, "the role needs CREATEDB for a scratch database, or give --shadow-database-url");
			return -1;
		}
		sh->created = 1;
	}
	if (!sh->created)
		return 0;               /* the URL's scratch database, connected by shadow_begin */
	log_info("created shadow database \"%s\" (dropped when done)", sh->name);
	if (db_connect_other(cfg, live, sh->name, &sh->db, e) < 0) {
		shadow_close(sh, live);
		return -1;
	}
	return 0;
}

int shadow_open(struct shadow *sh, const struct config *cfg, struct db *live, const char *url,
		struct err *e)
{
	if (shadow_begin(sh, cfg, live, url, e) < 0)
		return -1;
	return shadow_finish(sh, cfg, live, e);
}

void shadow_close(struct shadow *sh, struct db *live)
{
	struct err e = ERR_INIT;

	db_close(&sh->db);
	if (sh->creating) {
		/* stopped between begin and finish: the CREATE may have worked */
		sh->creating = 0;
		sh->created = collect(&sh->admin, EXIT_INTERNAL, &e) == 0;
		err_clear(&e);
	}
	/* sent on the second connection and finished by shadow_wait_drops; if
	 * it cannot be sent there, dropped now on the live one */
	if (sh->created && !(sh->admin.conn && drop_send(sh) == 0) && drop_database(live, sh->name, &e) < 0)
		log_warn("could not drop shadow database \"%s\": %s", sh->name, e.msg);
	db_close(&sh->admin);
	sh->created = 0;
	sh->name[0] = '\0';
}
