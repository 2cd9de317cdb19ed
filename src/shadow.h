/*
 * shadow: a scratch database to try migrations on (SPEC.md "Rehearsal",
 * `predeploy check`).
 *
 *   struct shadow sh = SHADOW_INIT;
 *   if (shadow_open(&sh, cfg, &live, url_or_NULL, &err) < 0) ...
 *   ... use sh.db (an ordinary struct db connected to the scratch database)
 *   shadow_close(&sh, &live);        // drops it; safe twice; call on every path
 *
 * Without a URL a new database `predeploy_shadow_<unix time>_<random>` is
 * created from template0 on the live connection's server (the role needs
 * CREATEDB) and dropped WITH (FORCE) by shadow_close.  Both statements run
 * on a second connection to the live database, so neither holds up the
 * live connection: shadow_begin sends the CREATE and returns (the caller
 * describes the live schema meanwhile), shadow_finish waits for it and
 * connects; shadow_close sends the DROP and returns, and the drop finishes
 * while the deploy goes on (backup, apply).  shadow_wait_drops waits for
 * every drop sent; session_close calls it, so no command ends, and no app
 * is exec'd, before its shadows are gone.  Shadows older than
 * an hour left by a killed run are dropped by the next shadow_open.  With a
 * URL (a scratch database the caller owns, as in CI) the database is emptied
 * first: every schema that is not a system schema is dropped with CASCADE
 * and `public` is created again; it is not dropped afterwards.
 */
#ifndef PREDEPLOY_SHADOW_H
#define PREDEPLOY_SHADOW_H

#include "config.h"
#include "db.h"
#include "util/err.h"

struct shadow {
	struct db db;
	struct db admin;        /* a second connection to the live database: CREATE and DROP run on it */
	char name[64];          /* created database ("" when the URL was given) */
	int created;
	int creating;           /* CREATE DATABASE sent on admin, its result not read yet */
};

#define SHADOW_INIT { DB_INIT, DB_INIT, "", 0, 0 }

#define SHADOW_PREFIX "predeploy_shadow_"
#define SHADOW_MAX_AGE_S 3600

int shadow_open(struct shadow *sh, const struct config *cfg, struct db *live, const char *url,
		struct err *e);
/* shadow_open in two halves: begin sends CREATE DATABASE (with a URL it
 * does everything), finish waits for it and connects to the shadow. */
int shadow_begin(struct shadow *sh, const struct config *cfg, struct db *live, const char *url,
		 struct err *e);
int shadow_finish(struct shadow *sh, const struct config *cfg, struct db *live, struct err *e);
/* Close the connection and drop a database shadow_open created; the DROP
 * is sent and finished later by shadow_wait_drops (synchronously on `live`
 * when there is no second connection). Errors while dropping are logged.
 * Safe after a failed shadow_begin/shadow_finish, and twice. */
void shadow_close(struct shadow *sh, struct db *live);
/* Wait for every DROP shadow_close sent, log failures, close their
 * connections. Safe to call any time. */
void shadow_wait_drops(void);

/*
 * Loading pg_dump's plain output into the shadow (shadow_load.c): the
 * statements between COPYs in batches of many per round trip, COPY data
 * streamed, all in one transaction.  For pg_dump's own pipe only (backup
 * files go through the native restore and its guard).
 *
 *   struct shadow_load *l;
 *   if (shadow_load_begin(&l, &sh.db, &err) == 0) {
 *       po.on_stdout = shadow_load_feed; po.arg = l;   // proc_spawn(pg_dump)
 *       ... shadow_load_finish(l, &nstatements, &copy_bytes, &err) ...
 *   }
 *   shadow_load_free(l);
 */
struct shadow_load;
int shadow_load_begin(struct shadow_load **out, struct db *db, struct err *e);
int shadow_load_feed(void *arg, const void *buf, size_t n, struct err *e);
int shadow_load_finish(struct shadow_load *l, int64_t *statements, int64_t *copy_bytes, struct err *e);
void shadow_load_free(struct shadow_load *l);

#endif
