/*
 * db: connections to the target database through libpq.
 *
 *   struct db db = DB_INIT;
 *   if (db_wait(cfg, cfg->wait_timeout_ms, &db, &err) < 0) ...   // or db_connect
 *   PGresult *r = db_query(&db, "select $1::int", 1, params, &err);
 *   PQclear(r);
 *   db_close(&db);                                                // safe twice
 *
 * Connections are direct (no pooler assumptions), with application_name
 * "predeploy".  Internal queries schema-qualify everything so the session's
 * search_path stays what the migrations expect.  Errors carry the server's
 * SQLSTATE, message, detail and hint separately; authentication failures map
 * to EXIT_NOPERM, unreachable servers to EXIT_UNAVAILABLE.  The password is
 * registered for log redaction and is never put in a message.
 */
#ifndef PREDEPLOY_DB_H
#define PREDEPLOY_DB_H

#include <stdint.h>
#include <libpq-fe.h>

#include "config.h"
#include "util/err.h"

struct db {
	PGconn *conn;
	int server_version;         /* PQserverVersion, e.g. 150018 */
	char dbname[256];
	char host[256];             /* as connected: host name, address or socket dir */
	char port[16];
	char user[256];
	/* named statements this connection has prepared (the record statement) */
	char prepared[4][48];
	int nprepared;
};

#define DB_INIT { 0 }

/* One connection attempt (10 s connect timeout per host). */
int db_connect(const struct config *cfg, struct db *db, struct err *e);
/* Retry with backoff (100 ms doubling to 2 s) until connected or timeout_ms.
 * Authentication/permission failures are not retried (EXIT_NOPERM); an
 * unreachable server after the timeout is EXIT_UNAVAILABLE. */
int db_wait(const struct config *cfg, int64_t timeout_ms, struct db *db, struct err *e);

/* Work to overlap with connection set-up: fn runs, a step at a time, while
 * the socket waits on the server; it returns 1 for more, 0 when done, -1 on
 * an error (with e filled: the attempt is abandoned and that error returned,
 * and db_wait does not retry).  db_wait finishes the work before sleeping
 * between attempts; the caller finishes whatever is left afterwards. */
struct db_idle {
	int (*fn)(void *arg, struct err *e);
	void *arg;
	int done, failed;
};

int db_connect_idle(const struct config *cfg, struct db *db, struct db_idle *idle, struct err *e);
int db_wait_idle(const struct config *cfg, int64_t timeout_ms, struct db *db, struct db_idle *idle,
		 struct err *e);
void db_close(struct db *db);
/* Named statements prepared on this connection, kept for its lifetime:
 * whether name is one, whether there is room to remember another, and
 * remembering one (after the server accepted it). */
int db_is_prepared(const struct db *db, const char *name);
int db_can_prepare(const struct db *db);
void db_set_prepared(struct db *db, const char *name);

/* Run one statement; returns the result (PQclear it) or NULL with e filled
 * (code = err_code, server fields copied). Commands succeed with
 * PGRES_COMMAND_OK, queries with PGRES_TUPLES_OK. */
PGresult *db_query(struct db *db, const char *sql, int nparams, const char *const *params,
		   int err_code, struct err *e);
/* db_query for statements without results. */
int db_exec(struct db *db, const char *sql, int err_code, struct err *e);
/* Fill e from a failed result (message, detail, hint, SQLSTATE). */
void db_error_from_result(const PGresult *r, PGconn *conn, int err_code, struct err *e);

/* The effective connection parameters without the password, as a conninfo
 * string for child processes (pg_dump), and the password (or NULL) to hand
 * them through the environment. Caller frees both. */
char *db_child_conninfo(const struct db *db, const char *dbname_override);
char *db_password(const struct db *db);
/* Append " key='value'" to a conninfo string, quoting as libpq wants. */
struct strbuf;
void db_conninfo_add(struct strbuf *sb, const char *k, const char *v);
/* Append v[0..n) as a text[] literal ("{\"a\",NULL}"), for a parameter. */
void db_text_array(struct strbuf *sb, const char *const *v, int n);
/* sslpassword has no environment variable in libpq: when the connection has
 * one, it is written to a private (0600, mkstemp) service file for a child,
 * which gets "service=" DB_CHILD_SERVICE in its conninfo and the file in
 * PGSERVICEFILE.  Returns the file's path (the caller unlinks and frees it
 * once the child has connected or exited), or NULL: e->code 0 when there is
 * no sslpassword, else the error. */
#define DB_CHILD_SERVICE "predeploy_child"
char *db_child_service_file(const struct db *db, struct err *e);
/* Connect to another database `dbname` on the same server with the same
 * parameters and password as `db` (restore --into, scratch databases). */
int db_connect_other(const struct config *cfg, const struct db *db, const char *dbname, struct db *out,
		     struct err *e);
/* The same, with `extra` conninfo keywords overriding db's ("host=127.0.0.1
 * port=5999 sslmode=disable": the rehearsal's relay); dbname NULL keeps it. */
int db_connect_like(const struct config *cfg, const struct db *db, const char *dbname, const char *extra,
		    struct db *out, struct err *e);

/* Quote an identifier for SQL (PQescapeIdentifier); caller frees.  A name
 * libpq refuses (not valid UTF-8) is NULL with EXIT_CONFIG: names come
 * from options (--table, restore --into). */
char *db_ident(struct db *db, const char *name, struct err *e);

/* Major server version ("15" for 150018). */
int db_server_major(const struct db *db);

#endif
