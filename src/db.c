/* db: see db.h. */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util/exitcode.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* First line of a libpq error message, without "FATAL:  " noise. */
static void first_line(const char *msg, char *out, size_t cap)
{
	size_t n;

	while (*msg == ' ' || *msg == '\n')
		msg++;
	n = strcspn(msg, "\n");
	if (n >= cap)
		n = cap - 1;
	memcpy(out, msg, n);
	out[n] = '\0';
}

static int is_auth_failure(const char *msg)
{
	static const char *const needles[] = {
		"password authentication failed", "authentication failed", "no password supplied",
		"no pg_hba.conf entry", "permission denied", "role \"", "SCRAM", "fe_sendauth",
	};
	size_t i;

	for (i = 0; i < sizeof(needles) / sizeof(needles[0]); i++)
		if (strstr(msg, needles[i]))
			return 1;
	return 0;
}

static void register_password(PGconn *conn)
{
	PQconninfoOption *opts = conn ? PQconninfo(conn) : NULL, *o;

	if (!opts)
		return;
	for (o = opts; o->keyword; o++)
		if (!strcmp(o->keyword, "password") && o->val)
			log_add_secret(o->val);
	PQconninfoFree(opts);
}

/* Server notices (RAISE NOTICE in a migration, "skipping" messages) go to
 * the log instead of libpq's bare stderr printing. */
static void on_notice(void *arg, const char *message)
{
	char line[1024];

	(void)arg;
	first_line(message, line, sizeof(line));
	log_info("server: %s", line);
}

int db_connect(const struct config *cfg, struct db *db, struct err *e)
{
	const char *keys[4], *vals[4];
	char reason[512];
	int n = 0;
	PGconn *conn;

	if (cfg->database_url) {
		char *errmsg = NULL;
		PQconninfoOption *opts = PQconninfoParse(cfg->database_url, &errmsg);
		if (!opts) {
			err_set(e, EXIT_CONFIG, "invalid database URL: %s",
				errmsg ? errmsg : "could not parse it");
			if (errmsg)
				PQfreemem(errmsg);
			/* the message may quote the URL */
			return -1;
		}
		for (PQconninfoOption *o = opts; o->keyword; o++)
			if (!strcmp(o->keyword, "password") && o->val)
				log_add_secret(o->val);
		PQconninfoFree(opts);
		keys[n] = "dbname";
		vals[n++] = cfg->database_url;
	}
	keys[n] = "application_name";
	vals[n++] = "predeploy";
	keys[n] = "connect_timeout";
	vals[n++] = "10";
	keys[n] = NULL;
	vals[n] = NULL;

	conn = PQconnectdbParams(keys, vals, 1);
	if (!conn)
		return err_set(e, EXIT_INTERNAL, "could not allocate a connection");
	register_password(conn);
	if (PQstatus(conn) != CONNECTION_OK) {
		const char *msg = PQerrorMessage(conn);
		first_line(msg, reason, sizeof(reason));
		if (is_auth_failure(msg))
			err_set(e, EXIT_NOPERM, "could not connect to the database: %s", reason);
		else
			err_set(e, EXIT_UNAVAILABLE, "could not connect to the database: %s", reason);
		PQfinish(conn);
		return -1;
	}
	PQsetNoticeProcessor(conn, on_notice, NULL);
	db->conn = conn;
	db->server_version = PQserverVersion(conn);
	xstrlcpy(db->dbname, PQdb(conn) ? PQdb(conn) : "", sizeof(db->dbname));
	xstrlcpy(db->host, PQhost(conn) ? PQhost(conn) : "", sizeof(db->host));
	xstrlcpy(db->port, PQport(conn) ? PQport(conn) : "", sizeof(db->port));
	xstrlcpy(db->user, PQuser(conn) ? PQuser(conn) : "", sizeof(db->user));
	return 0;
}

int db_wait(const struct config *cfg, int64_t timeout_ms, struct db *db, struct err *e)
{
	int64_t start = now_ms(), delay = 100;
	int attempt = 0;

	for (;;) {
		int64_t left;

		attempt++;
		if (db_connect(cfg, db, e) == 0) {
			if (attempt > 1)
				log_info("database is up after %d attempts", attempt);
			return 0;
		}
		if (e->code != EXIT_UNAVAILABLE)
			return -1;
		left = timeout_ms - (now_ms() - start);
		if (left <= 0) {
			char d[32];
			char reason[sizeof(e->msg)];
			xstrlcpy(reason, e->msg, sizeof(reason));
			err_set(e, EXIT_UNAVAILABLE, "database unreachable after %s (%d attempts)",
				duration_format(timeout_ms, d, sizeof(d)), attempt);
			err_detail(e, "%s", reason);
			return -1;
		}
		if (attempt == 1 || attempt % 5 == 0)
			log_info("waiting for the database: %s", e->msg);
		if (sleep_ms(delay < left ? delay : left) < 0)
			return err_set(e, EXIT_UNAVAILABLE, "interrupted while waiting for the database");
		delay = delay * 2 > 2000 ? 2000 : delay * 2;
	}
}

void db_close(struct db *db)
{
	if (db->conn)
		PQfinish(db->conn);
	db->conn = NULL;
}

void db_error_from_result(const PGresult *r, PGconn *conn, int err_code, struct err *e)
{
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *detail = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *hint = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_HINT) : NULL;
	char line[512];

	if (!msg) {
		first_line(conn ? PQerrorMessage(conn) : "unknown error", line, sizeof(line));
		msg = line;
	}
	err_set(e, err_code, "%s", msg);
	if (state)
		xstrlcpy(e->sqlstate, state, sizeof(e->sqlstate));
	if (detail)
		err_detail(e, "%s", detail);
	if (hint)
		err_hint(e, "%s", hint);
	if (state && (!strncmp(state, "28", 2) || !strcmp(state, "42501")))
		e->code = EXIT_NOPERM;
	if (conn && PQstatus(conn) == CONNECTION_BAD && !state)
		e->code = EXIT_UNAVAILABLE;
}

PGresult *db_query(struct db *db, const char *sql, int nparams, const char *const *params,
		   int err_code, struct err *e)
{
	PGresult *r;
	ExecStatusType st;

	if (!db->conn) {
		err_set(e, EXIT_INTERNAL, "not connected");
		return NULL;
	}
	if (nparams)
		r = PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	else
		r = PQexec(db->conn, sql);
	st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return r;
	db_error_from_result(r, db->conn, err_code, e);
	PQclear(r);
	return NULL;
}

int db_exec(struct db *db, const char *sql, int err_code, struct err *e)
{
	PGresult *r = db_query(db, sql, 0, NULL, err_code, e);

	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

static void add_kv(struct strbuf *sb, const char *k, const char *v)
{
	if (sb->len)
		sb_addc(sb, ' ');
	sb_adds(sb, k);
	sb_adds(sb, "='");
	for (; *v; v++) {
		if (*v == '\'' || *v == '\\')
			sb_addc(sb, '\\');
		sb_addc(sb, *v);
	}
	sb_addc(sb, '\'');
}

char *db_child_conninfo(const struct db *db, const char *dbname_override)
{
	PQconninfoOption *opts = PQconninfo(db->conn), *o;
	struct strbuf sb = STRBUF_INIT;

	for (o = opts; o && o->keyword; o++) {
		if (!o->val || !*o->val)
			continue;
		if (!strcmp(o->keyword, "password") || !strcmp(o->keyword, "passfile") ||
		    !strcmp(o->keyword, "application_name") || !strcmp(o->keyword, "fallback_application_name"))
			continue;
		if (!strcmp(o->keyword, "dbname") && dbname_override)
			continue;
		add_kv(&sb, o->keyword, o->val);
	}
	if (dbname_override)
		add_kv(&sb, "dbname", dbname_override);
	if (opts)
		PQconninfoFree(opts);
	return sb_detach(&sb, NULL);
}

char *db_password(const struct db *db)
{
	PQconninfoOption *opts = PQconninfo(db->conn), *o;
	char *pw = NULL;

	for (o = opts; o && o->keyword; o++)
		if (!strcmp(o->keyword, "password") && o->val && *o->val)
			pw = xstrdup(o->val);
	if (opts)
		PQconninfoFree(opts);
	return pw;
}

char *db_ident(struct db *db, const char *name)
{
	char *q = PQescapeIdentifier(db->conn, name, strlen(name));
	char *r;

	if (!q)
		xdie("PQescapeIdentifier failed");
	r = xstrdup(q);
	PQfreemem(q);
	return r;
}

int db_server_major(const struct db *db)
{
	return db->server_version >= 100000 ? db->server_version / 10000 : db->server_version / 100;
}
