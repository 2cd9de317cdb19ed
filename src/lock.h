/*
 * lock: the migration lock (SPEC.md "Locking and timeouts").
 *
 * A session-level advisory lock keyed by the tracking table's qualified name
 * (ledger.lock_key), held on the caller's direct connection from before the
 * backup until the last migration commits, so N replicas starting together
 * apply each migration exactly once.  While waiting it polls
 * pg_try_advisory_lock and logs who holds the lock (pid, application_name,
 * client address, since when).  After `wait_ms` it gives up with EXIT_TEMPFAIL.
 */
#ifndef PREDEPLOY_LOCK_H
#define PREDEPLOY_LOCK_H

#include <stdint.h>

#include "db.h"
#include "util/err.h"

int lock_acquire(struct db *db, int64_t key, int64_t wait_ms, struct err *e);
/* Release; errors are ignored (closing the connection releases it too). */
void lock_release(struct db *db, int64_t key);

#endif
