/*
 * apply: run migrations against the database (SPEC.md "Migration files",
 * "Locking and timeouts").
 *
 * Each transactional migration runs in its own transaction (or all in one
 * with single_transaction): BEGIN; SET LOCAL lock_timeout (and
 * statement_timeout); its statements one by one; the tracking row and a
 * history row; COMMIT.  A lock_not_available error rolls back and retries
 * with backoff (lock_retries times, then EXIT_TEMPFAIL); any other error
 * rolls back, records the failure in history and fails with EXIT_MIGRATION,
 * naming the file, the statement's line, SQLSTATE, message, detail and hint.
 * Non-transactional migrations run statement by statement; a failure there
 * is EXIT_PARTIAL, and an index that CREATE INDEX CONCURRENTLY left INVALID
 * is named with the DROP INDEX CONCURRENTLY to run.  A stop signal
 * (proc.h) cancels the running statement and fails with 128+N.
 *
 * With `sql_out` set nothing is executed: the exact SQL that would run
 * (BEGIN/COMMIT, SET LOCAL, tracking inserts) is appended there.
 */
#ifndef PREDEPLOY_APPLY_H
#define PREDEPLOY_APPLY_H

#include <stdint.h>

#include "db.h"
#include "ledger.h"
#include "migration.h"
#include "util/strbuf.h"

struct apply_opts {
	int64_t lock_timeout_ms;
	int lock_retries;
	int64_t statement_timeout_ms;    /* 0 = leave the server's */
	int single_transaction;
	struct strbuf *sql_out;          /* --sql: print, do not execute */
	const char *backup_file;         /* recorded in history */
	const char *backup_sha256;
	int forced;                      /* lint gate passed with --force */
};

struct apply_step {
	char *version;
	char *name;
	int64_t duration_ms;
};

struct apply_result {
	struct apply_step *done;         /* applied (or rolled back, for down) in order */
	int ndone;
	int retries;                     /* lock_timeout retries taken */
	char *failed_version;            /* NULL when none failed */
};

#define APPLY_RESULT_INIT { NULL, 0, 0, NULL }

int apply_up(struct db *db, struct ledger *l, const struct migration *const *list, int n,
	     const struct apply_opts *o, struct apply_result *res, struct err *e);
/* Roll back `list` (newest first) with their down sections. */
int apply_down(struct db *db, struct ledger *l, const struct migration *const *list, int n,
	       const struct apply_opts *o, struct apply_result *res, struct err *e);
void apply_result_release(struct apply_result *r);

/* A seed (src/seeds.h): m's up section in its own transaction with the
 * timeouts of `o` and lock_timeout retries, committed together with a
 * history row (action "seed", name, checksum, outcome "success").  On
 * failure: rolled back, a "failed" history row, EXIT_MIGRATION naming the
 * file and line (EXIT_TEMPFAIL when the retries ran out, 128+N after a
 * signal).  *ms: its run time. */
int apply_seed(struct db *db, struct ledger *l, const struct migration *m, const struct apply_opts *o,
	       int64_t *ms, struct err *e);

#endif
