/* db: see db.h. */
#include "db.h"

#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"
#include "util/backoff.h"
#include "util/exitcode.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/utf8.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* Per host and attempt, as libpq's connect_timeout=10 was. */
#define CONNECT_TIMEOUT_S 10
#define CONNECT_TIMEOUT_STR "10"

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

/* Without user= or PGUSER, libpq takes the user name from the user database
 * (getpwuid), which a FROM scratch image does not have: say what to set
 * instead of libpq's "could not look up local user ID". */
static int check_user_known(int url_has_user, struct err *e)
{
	struct passwd pw, *res = NULL;
	char buf[1024];
	const char *env = getenv("PGUSER");

	if (url_has_user || (env && *env))
		return 0;
	if (getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &res) == 0 && res)
		return 0;
	err_set(e, EXIT_CONFIG, "no database user given and user ID %ld has no user name",
		(long)geteuid());
	err_hint(e, "set user= in the database URL (postgres://USER@host/db) or PGUSER; "
		 "a scratch image has no /etc/passwd");
	return -1;
}

/* A host list (host=a,b or hostaddr=...,...), from the URL or PGHOST. */
static int several_hosts(PGconn *conn)
{
	PQconninfoOption *opts = PQconninfo(conn), *o;
	int several = 0;

	for (o = opts; o && o->keyword; o++)
		if ((!strcmp(o->keyword, "host") || !strcmp(o->keyword, "hostaddr")) && o->val &&
		    strchr(o->val, ','))
			several = 1;
	PQconninfoFree(opts);
	return several;
}

/* Drive a PQconnectStart connection to the end.  While the socket is not
 * ready (the server is forking a backend, authenticating, sending its
 * parameters) the idle work runs, a step at a time.  Returns 0 when the
 * attempt ended (check PQstatus), 1 when timeout_s passed without the
 * server answering, -1 with e filled when the idle work failed or a stop
 * signal came. */
static int drive_connect(PGconn *conn, int timeout_s, struct db_idle *idle, struct err *e)
{
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	int fd = -1;
	int64_t deadline = 0;

	for (;;) {
		struct pollfd p;
		int rc;

		if (st == PGRES_POLLING_OK || st == PGRES_POLLING_FAILED)
			return 0;
		if (PQsocket(conn) != fd) {
			/* a new socket is a new host or attempt: its own timeout,
			 * as libpq's connect_timeout */
			fd = PQsocket(conn);
			deadline = now_ms() + (int64_t)timeout_s * 1000;
		}
		p.fd = fd;
		p.events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
		p.revents = 0;
		while (idle && !idle->done) {
			if (poll(&p, 1, 0) != 0)
				break;
			rc = idle->fn(idle->arg, e);
			if (rc < 0) {
				idle->failed = 1;
				return -1;
			}
			if (rc == 0)
				idle->done = 1;
		}
		for (;;) {
			int64_t left = deadline - now_ms();

			if (left <= 0)
				return 1;
			rc = poll(&p, 1, left > 1000 ? 1000 : (int)left);
			/* ready, or poll itself failed: PQconnectPoll reports the
			 * socket's state (a timeout is only a timeout) */
			if (rc > 0 || (rc < 0 && errno != EINTR))
				break;
			if (proc_stop_signal())
				return err_set(e, 128 + proc_stop_signal(),
					       "stopped by signal %d while connecting to the database",
					       proc_stop_signal());
		}
		st = PQconnectPoll(conn);
	}
}

static int connect_once(const struct config *cfg, struct db *db, struct db_idle *idle, struct err *e);

/* libpq's messages can quote the password (a bad percent-escape in a URL,
 * a keyword string whose password has an unquoted space): they are redacted
 * here, at the source, so no log, history row, webhook or termination
 * message ever gets them. */
int db_connect_idle(const struct config *cfg, struct db *db, struct db_idle *idle, struct err *e)
{
	if (connect_once(cfg, db, idle, e) == 0)
		return 0;
	log_redact_err(e);
	return -1;
}

static int connect_once(const struct config *cfg, struct db *db, struct db_idle *idle, struct err *e)
{
	const char *keys[4], *vals[4];
	char reason[512];
	int n = 0, url_has_user = 0, rc = 0;
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
		for (PQconninfoOption *o = opts; o->keyword; o++) {
			if (!strcmp(o->keyword, "password") && o->val)
				log_add_secret(o->val);
			if (!strcmp(o->keyword, "user") && o->val && *o->val)
				url_has_user = 1;
		}
		PQconninfoFree(opts);
		keys[n] = "dbname";
		vals[n++] = cfg->database_url;
	}
	if (check_user_known(url_has_user, e) < 0)
		return -1;
	keys[n] = "application_name";
	vals[n++] = "predeploy";
	keys[n] = NULL;
	vals[n] = NULL;

	/* Non-blocking, so the caller's idle work (reading the migration
	 * files) overlaps the server's side of the handshake. */
	conn = PQconnectStartParams(keys, vals, 1);
	if (!conn)
		return err_set(e, EXIT_INTERNAL, "could not allocate a connection");
	register_password(conn);
	if (PQstatus(conn) != CONNECTION_BAD && several_hosts(conn)) {
		/* libpq moves on to the next host when one times out only in its
		 * own blocking loop: use that, without the overlap */
		PQfinish(conn);
		keys[n] = "connect_timeout";
		vals[n++] = CONNECT_TIMEOUT_STR;
		keys[n] = NULL;
		vals[n] = NULL;
		conn = PQconnectdbParams(keys, vals, 1);
		if (!conn)
			return err_set(e, EXIT_INTERNAL, "could not allocate a connection");
	} else if (PQstatus(conn) != CONNECTION_BAD) {
		rc = drive_connect(conn, CONNECT_TIMEOUT_S, idle, e);
	}
	if (rc < 0) {
		PQfinish(conn);
		return -1;
	}
	if (rc > 0) {
		err_set(e, EXIT_UNAVAILABLE, "could not connect to the database: timeout expired after %d s",
			CONNECT_TIMEOUT_S);
		PQfinish(conn);
		return -1;
	}
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
	db->nprepared = 0;
	db->server_version = PQserverVersion(conn);
	xstrlcpy(db->dbname, PQdb(conn) ? PQdb(conn) : "", sizeof(db->dbname));
	xstrlcpy(db->host, PQhost(conn) ? PQhost(conn) : "", sizeof(db->host));
	xstrlcpy(db->port, PQport(conn) ? PQport(conn) : "", sizeof(db->port));
	xstrlcpy(db->user, PQuser(conn) ? PQuser(conn) : "", sizeof(db->user));
	return 0;
}

int db_connect(const struct config *cfg, struct db *db, struct err *e)
{
	return db_connect_idle(cfg, db, NULL, e);
}

/* Finish the idle work (before sleeping between attempts, so that its
 * errors are not held up by an unreachable server). */
static int drain_idle(struct db_idle *idle, struct err *e)
{
	int rc;

	while (idle && !idle->done) {
		rc = idle->fn(idle->arg, e);
		if (rc < 0) {
			idle->failed = 1;
			return -1;
		}
		if (rc == 0)
			idle->done = 1;
	}
	return 0;
}

int db_wait_idle(const struct config *cfg, int64_t timeout_ms, struct db *db, struct db_idle *idle,
		 struct err *e)
{
	int64_t start = now_ms();
	struct backoff delay = BACKOFF_INIT(100, 2000);
	int attempt = 0;

	for (;;) {
		int64_t left;

		attempt++;
		if (db_connect_idle(cfg, db, idle, e) == 0) {
			if (attempt > 1)
				log_info("database is up after %d attempts", attempt);
			return 0;
		}
		if (e->code != EXIT_UNAVAILABLE || (idle && idle->failed))
			return -1;
		if (drain_idle(idle, e) < 0)
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
		if (sleep_ms(backoff_next(&delay, left)) < 0)
			return err_set(e, EXIT_UNAVAILABLE, "interrupted while waiting for the database");
	}
}

int db_wait(const struct config *cfg, int64_t timeout_ms, struct db *db, struct err *e)
{
	return db_wait_idle(cfg, timeout_ms, db, NULL, e);
}

void db_close(struct db *db)
{
	if (db->conn)
		PQfinish(db->conn);
	db->conn = NULL;
	db->nprepared = 0;
}

int db_is_prepared(const struct db *db, const char *name)
{
	int i;

	for (i = 0; i < db->nprepared; i++)
		if (!strcmp(db->prepared[i], name))
			return 1;
	return 0;
}

int db_can_prepare(const struct db *db)
{
	return db->nprepared < (int)(sizeof(db->prepared) / sizeof(db->prepared[0]));
}

void db_set_prepared(struct db *db, const char *name)
{
	if (db_can_prepare(db) && !db_is_prepared(db, name))
		xstrlcpy(db->prepared[db->nprepared++], name, sizeof(db->prepared[0]));
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

void db_text_array(struct strbuf *sb, const char *const *v, int n)
{
	const char *p;
	int i;

	sb_addc(sb, '{');
	for (i = 0; i < n; i++) {
		if (i)
			sb_addc(sb, ',');
		if (!v[i]) {
			sb_adds(sb, "NULL");
			continue;
		}
		sb_addc(sb, '"');
		for (p = v[i]; *p; p++) {
			if (*p == '"' || *p == '\\')
				sb_addc(sb, '\\');
			sb_addc(sb, *p);
		}
		sb_addc(sb, '"');
	}
	sb_addc(sb, '}');
}

void db_conninfo_add(struct strbuf *sb, const char *k, const char *v)
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
		/* secrets never go into a child's argv; a service's values are
		 * already expanded here */
		if (!strcmp(o->keyword, "password") || !strcmp(o->keyword, "passfile") ||
		    !strcmp(o->keyword, "sslpassword") || !strcmp(o->keyword, "service") ||
		    !strcmp(o->keyword, "application_name") || !strcmp(o->keyword, "fallback_application_name"))
			continue;
		if (!strcmp(o->keyword, "dbname") && dbname_override)
			continue;
		db_conninfo_add(&sb, o->keyword, o->val);
	}
	if (dbname_override)
		db_conninfo_add(&sb, "dbname", dbname_override);
	if (opts)
		PQconninfoFree(opts);
	return sb_detach(&sb, NULL);
}

static char *conn_option(const struct db *db, const char *keyword);
static void free_secret(char *s);

int db_connect_other(const struct config *cfg, const struct db *db, const char *dbname, struct db *out,
		     struct err *e)
{
	return db_connect_like(cfg, db, dbname, NULL, out, e);
}

int db_connect_like(const struct config *cfg, const struct db *db, const char *dbname, const char *extra,
		    struct db *out, struct err *e)
{
	struct config c = *cfg;
	struct strbuf sb = STRBUF_INIT;
	char *ci = db_child_conninfo(db, dbname), *pw = db_password(db), *sslpw = conn_option(db, "sslpassword");
	int r;

	sb_adds(&sb, ci);
	if (extra)
		sb_addf(&sb, " %s", extra);     /* a later keyword wins in a conninfo string */
	if (pw)
		db_conninfo_add(&sb, "password", pw);
	if (sslpw)
		db_conninfo_add(&sb, "sslpassword", sslpw);
	free_secret(sslpw);
	c.database_url = sb.buf;
	r = db_connect(&c, out, e);
	memset(sb.buf, 0, sb.len);
	sb_release(&sb);
	free(ci);
	if (pw) {
		memset(pw, 0, strlen(pw));
		free(pw);
	}
	return r;
}

static char *conn_option(const struct db *db, const char *keyword)
{
	PQconninfoOption *opts = PQconninfo(db->conn), *o;
	char *v = NULL;

	for (o = opts; o && o->keyword; o++)
		if (!strcmp(o->keyword, keyword) && o->val && *o->val)
			v = xstrdup(o->val);
	if (opts)
		PQconninfoFree(opts);
	return v;
}

char *db_password(const struct db *db)
{
	return conn_option(db, "password");
}

static void free_secret(char *s)
{
	if (s) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

char *db_child_service_file(const struct db *db, struct err *e)
{
	char *pw = conn_option(db, "sslpassword"), *path = NULL;
	const char *tmp = getenv("TMPDIR");
	struct strbuf text = STRBUF_INIT;
	int fd = -1;

	err_clear(e);
	if (!pw)
		return NULL;
	if (strpbrk(pw, "\r\n")) {
		err_set(e, EXIT_CONFIG, "sslpassword contains a line break; it cannot be handed to a child process");
		goto out;
	}
	path = xasprintf("%s/predeploy-service-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(path);    /* mode 0600, O_EXCL */
	if (fd < 0) {
		err_sys(e, EXIT_INTERNAL, errno, "could not create a private service file in \"%s\" for sslpassword",
			tmp && *tmp ? tmp : "/tmp");
		free(path);
		path = NULL;
		goto out;
	}
	sb_addf(&text, "[" DB_CHILD_SERVICE "]\nsslpassword=%s\n", pw);
	if (write(fd, text.buf, text.len) != (ssize_t)text.len || fsync(fd) < 0) {
		err_sys(e, EXIT_INTERNAL, errno, "could not write the service file \"%s\"", path);
		unlink(path);
		free(path);
		path = NULL;
	}
out:
	if (fd >= 0)
		close(fd);
	memset(text.buf, 0, text.len);
	sb_release(&text);
	free_secret(pw);
	return path;
}

char *db_ident(struct db *db, const char *name, struct err *e)
{
	char *q = PQescapeIdentifier(db->conn, name, strlen(name));
	char *r;

	if (!q) {
		struct strbuf shown = STRBUF_INIT;

		/* Not valid in the client encoding (UTF-8): show it escaped. */
		utf8_sanitize(name, strlen(name), &shown);
		err_set(e, EXIT_CONFIG, "invalid name \"%s\": %s", shown.buf, PQerrorMessage(db->conn));
		sb_release(&shown);
		/* libpq's message ends with a newline */
		e->msg[strcspn(e->msg, "\n")] = '\0';
		return NULL;
	}
	r = xstrdup(q);
	PQfreemem(q);
	return r;
}

int db_server_major(const struct db *db)
{
	return db->server_version >= 100000 ? db->server_version / 10000 : db->server_version / 100;
}
