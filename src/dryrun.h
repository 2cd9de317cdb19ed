/*
 * dryrun: `up --dry-run`, a real rehearsal of the pending migrations.
 *
 *   if (dryrun_trace(&db, pending, n, cfg->format, &out, &err) < 0) ...
 *
 * Runs the pending transactional migrations inside ONE transaction on the
 * real database, statement by statement, and for each statement reports
 * the locks its own backend newly acquired (pg_locks of pg_backend_pid()
 * joined to pg_class: relation, mode, and what the mode blocks), whether a
 * table or index was rewritten (pg_class.relfilenode changed) and the time
 * taken; then ROLLBACK.  Non-transactional migrations are listed as not
 * traced (later ones are still traced; one that depends on it fails and
 * the failure is reported).  Without a lock_timeout on the session, 5s is
 * used so the rehearsal never queues production traffic for long.
 * Nothing persists: the transaction is always rolled back,
 * also when a statement fails (the failure is reported in the output and
 * returned as EXIT_MIGRATION).  The caller holds no transaction open.
 * Output goes to `out` as text (OUT_TEXT, OUT_GITHUB) or JSON (OUT_JSON).
 */
#ifndef PREDEPLOY_DRYRUN_H
#define PREDEPLOY_DRYRUN_H

#include "config.h"
#include "db.h"
#include "migration.h"
#include "util/err.h"
#include "util/strbuf.h"

int dryrun_trace(struct db *db, const struct migration *const *pending, int n,
		 enum output_format fmt, struct strbuf *out, struct err *e);

#endif
