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

static int drop_database(struct db *live, const char *name, struct err *e)
{
	char *q = db_ident(live, name, e);
	/* FORCE (PostgreSQL 13+) ends sessions a killed migrator left behind. */
	char *sql;
	int r;

	if (!q)
		return -1;
	sql = xasprintf("DROP DATABASE IF EXISTS %s%s", q, db_server_major(live) >= 13 ? " WITH (FORCE)" : "");
	r = db_exec(live, sql, EXIT_INTERNAL, e);

	free(sql);
	free(q);
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

int shadow_open(struct shadow *sh, const struct config *cfg, struct db *live, const char *url,
		struct err *e)
{
	char *q, *sql;
	int r;

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
	drop_stale(live);
	snprintf(sh->name, sizeof(sh->name), SHADOW_PREFIX "%lld_%08x", (long long)time(NULL), random_u32());
	q = db_ident(live, sh->name, e);
	if (!q)
		return -1;
	sql = xasprintf("CREATE DATABASE %s TEMPLATE template0", q);
	r = db_exec(live, sql, EXIT_NOPERM, e);
	free(sql);
	free(q);
	if (r < 0) {
		sh->name[0] = '\0';
		err_hint(e, "the role needs CREATEDB for a scratch database, or give --shadow-database-url");
		return -1;
	}
	sh->created = 1;
	log_info("created shadow database \"%s\" (dropped when done)", sh->name);
	if (db_connect_other(cfg, live, sh->name, &sh->db, e) < 0) {
		shadow_close(sh, live);
		return -1;
	}
	return 0;
}

void shadow_close(struct shadow *sh, struct db *live)
{
	struct err e = ERR_INIT;

	db_close(&sh->db);
	if (!sh->created)
		return;
	if (drop_database(live, sh->name, &e) < 0)
		log_warn("could not drop shadow database \"%s\": %s", sh->name, e.msg);
	sh->created = 0;
	sh->name[0] = '\0';
}
