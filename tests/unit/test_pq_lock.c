/*
 * The migration lock and db error mapping against a scripted libpq
 * (pq_script.h): a lock held for exactly two polls, a server that goes away
 * while predeploy waits, and errors with every field, which a real server
 * does not produce on demand.
 */
// cases: waits_then_acquires gives_up_at_the_deadline connection_lost_while_waiting release_skips_dead_connection error_fields_and_codes
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "lock.h"
#include "log.h"
#include "pq_script.h"
#include "unit.h"
#include "util/exitcode.h"

#define TRY "SELECT pg_catalog.pg_try_advisory_lock($1::bigint)"
#define HOLDER "SELECT a.pid"

/* stderr of fn() */
static char *captured(void (*fn)(void *), void *arg)
{
	char path[] = "/tmp/pq_lock_XXXXXX", *buf = calloc(1, 8192);
	int fd = mkstemp(path), saved = dup(2);
	ssize_t n;

	unlink(path);
	dup2(fd, 2);
	fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, 8191);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

struct run {
	struct db db;
	int64_t wait_ms;
	int rc;
	struct err e;
};

static void acquire(void *arg)
{
	struct run *r = arg;

	r->rc = lock_acquire(&r->db, 42, r->wait_ms, &r->e);
}

static void waits_then_acquires(void)
{
	static const struct pq_step steps[] = {
		{ TRY, "42", PQ_ROWS, "f" },
		{ HOLDER, "42", PQ_ROWS, "4242|web-7|10.0.0.5|2026-12-01T10:00:00Z|idle in transaction" },
		{ TRY, "42", PQ_ROWS, "f" },
		{ TRY, "42", PQ_ROWS, "t" },
	};
	struct run r = { .wait_ms = 60000, .e = ERR_INIT };
	char *err;

	log_init(LOG_TEXT, LOG_INFO);
	r.db.conn = pq_script_begin(steps, 4);
	err = captured(acquire, &r);
	CHECK_INT(r.rc, 0);
	CHECK(strstr(err, "held by pid 4242 (application_name \"web-7\", from 10.0.0.5") != NULL);
	pq_script_end();
	free(err);
}

static void gives_up_at_the_deadline(void)
{
	static const struct pq_step steps[] = { { TRY, "42", PQ_ROWS, "f" } };
	struct run r = { .wait_ms = 0, .e = ERR_INIT };
	char *err;

	log_init(LOG_TEXT, LOG_INFO);
	r.db.conn = pq_script_begin(steps, 1);
	err = captured(acquire, &r);
	CHECK_INT(r.rc, -1);
	CHECK_INT(r.e.code, EXIT_TEMPFAIL);
	CHECK(strstr(r.e.msg, "could not acquire the migration lock") != NULL);
	CHECK(strstr(r.e.hint, "--lock-wait") != NULL);
	pq_script_end();
	free(err);
}

/* The server goes away between two polls: a clear "unavailable", no
 * further statement, no endless loop. */
static void connection_lost_while_waiting(void)
{
	static const struct pq_step steps[] = {
		{ TRY, "42", PQ_ROWS, "f" },
		{ HOLDER, "42", PQ_ROWS, "" },
		{ TRY, "42", PQ_DROP, NULL },
	};
	struct run r = { .wait_ms = 60000, .e = ERR_INIT };
	char *err;

	log_init(LOG_TEXT, LOG_INFO);
	r.db.conn = pq_script_begin(steps, 3);
	err = captured(acquire, &r);
	CHECK_INT(r.rc, -1);
	CHECK_INT(r.e.code, EXIT_UNAVAILABLE);
	CHECK(strstr(r.e.msg, "server closed the connection unexpectedly") != NULL);
	CHECK(strchr(r.e.msg, '\n') == NULL);       /* first line only */
	CHECK(strstr(err, "waiting for the migration lock") != NULL);
	pq_script_end();
	free(err);
}

static void release_skips_dead_connection(void)
{
	static const struct pq_step steps[] = { { "SELECT 1", NULL, PQ_DROP, NULL } };
	struct db db = { 0 };
	struct err e = ERR_INIT;

	log_init(LOG_TEXT, LOG_SILENT);
	db.conn = pq_script_begin(steps, 1);
	CHECK_INT(db_exec(&db, "SELECT 1", EXIT_INTERNAL, &e), -1);
	CHECK_INT(e.code, EXIT_UNAVAILABLE);
	lock_release(&db, 42);      /* must not send pg_advisory_unlock */
	pq_script_end();
}

static void error_fields_and_codes(void)
{
	static const struct pq_step steps[] = {
		{ "UPDATE", NULL, PQ_ERROR, "42501|permission denied for table users|owner is app|ask the owner" },
		{ "SELECT", NULL, PQ_ERROR, "28P01|password authentication failed for user \"app\"||" },
		{ "INSERT", NULL, PQ_ERROR, "23505|duplicate key value violates unique constraint \"u\"|Key (id)=(1) already exists.|" },
		{ "COMMIT", NULL, PQ_COMMAND, NULL },
	};
	struct db db = { 0 };
	struct err e = ERR_INIT;

	log_init(LOG_TEXT, LOG_SILENT);
	db.conn = pq_script_begin(steps, 4);
	CHECK_INT(db_exec(&db, "UPDATE users SET a = 1", EXIT_MIGRATION, &e), -1);
	CHECK_INT(e.code, EXIT_NOPERM);
	CHECK_STR(e.sqlstate, "42501");
	CHECK_STR(e.msg, "permission denied for table users");
	CHECK_STR(e.detail, "owner is app");
	CHECK_STR(e.hint, "ask the owner");
	err_clear(&e);
	CHECK_INT(db_exec(&db, "SELECT 1", EXIT_INTERNAL, &e), -1);
	CHECK_INT(e.code, EXIT_NOPERM);
	CHECK_STR(e.hint, "");
	err_clear(&e);
	CHECK_INT(db_exec(&db, "INSERT INTO u VALUES (1)", EXIT_MIGRATION, &e), -1);
	CHECK_INT(e.code, EXIT_MIGRATION);            /* the caller's code: not a connection problem */
	CHECK_STR(e.sqlstate, "23505");
	CHECK_STR(e.detail, "Key (id)=(1) already exists.");
	err_clear(&e);
	CHECK_INT(db_exec(&db, "COMMIT", EXIT_INTERNAL, &e), 0);
	pq_script_end();
}

UNIT_CASES(UNIT(waits_then_acquires), UNIT(gives_up_at_the_deadline), UNIT(connection_lost_while_waiting),
	   UNIT(release_skips_dead_connection), UNIT(error_fields_and_codes))
