/*
 * session: what every database command starts with: the migration files,
 * a connection, the tracking tables, optionally the migration lock, and
 * the plan (files vs. tracking table).
 *
 *   struct session s = SESSION_INIT;
 *   if (session_open(&s, cfg, SESSION_LOCK | SESSION_ENSURE, &err) < 0) ...
 *   ... s.plan, s.files, s.applied, s.db, s.ledger ...
 *   session_close(&s);            // releases the lock, closes; safe twice
 *
 * The files are read while the connection is being set up (the server
 * forks a backend and authenticates in the meantime); a bad file fails
 * (EXIT_DATAERR) before any query runs, and its error wins over a
 * connection failure.  With SESSION_LOCK the state is read
 * after the lock is held, so a replica that waited sees what the winner did.
 *
 * The migrator (--migrator, src/migrator.h) is resolved first; with a tool
 * other than sql its own sources are read instead of the migrations
 * directory, and predeploy's tables only hold the lock key and history.
 */
#ifndef PREDEPLOY_SESSION_H
#define PREDEPLOY_SESSION_H

#include "config.h"
#include "db.h"
#include "ledger.h"
#include "migration.h"
#include "migrator.h"
#include "plan.h"

enum {
	SESSION_LOCK = 1,      /* take the advisory lock (waits up to --lock-wait) */
	SESSION_ENSURE = 2,    /* create the tracking tables if missing */
	SESSION_WAIT = 4,      /* wait for the database (--wait-timeout) */
	SESSION_NO_FILES = 8,  /* do not read the migrations directory */
};

struct session {
	const struct config *cfg;
	struct db db;
	struct ledger ledger;
	struct migration_set files;
	struct applied_set applied;
	struct plan plan;
	struct migrator mig;         /* which tool applies migrations (sql: predeploy's own) */
	int locked;
};

#define SESSION_INIT { NULL, DB_INIT, LEDGER_INIT, MIGRATION_SET_INIT, APPLIED_SET_INIT, PLAN_INIT, \
		       MIGRATOR_INIT, 0 }

int session_open(struct session *s, const struct config *cfg, int flags, struct err *e);
/* Re-read the tracking table and rebuild the plan. */
int session_refresh(struct session *s, struct err *e);
void session_unlock(struct session *s);
/* EXIT_USAGE unless the migrator is predeploy's own (down, stamp: the tool
 * has its own downgrade and stamp). */
int session_require_sql(const struct session *s, const char *command, struct err *e);
/* The schema version for a backup's name: the sql engine's current version,
 * or the tool's current revision(s) sanitised for a file name. */
int session_backup_version(struct session *s, char *buf, size_t cap, struct err *e);
void session_close(struct session *s);

#endif
