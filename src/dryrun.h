/*
 * dryrun: `up --dry-run`, the rehearsal (rehearse.h) reported instead of
 * gating a deploy: nothing runs on production and the migrations take no
 * lock on its tables (the schema dump for the shadow takes ACCESS SHARE,
 * as any pg_dump or SELECT, which only an ACCESS EXCLUSIVE request waits
 * for).
 *
 *   if (dryrun_sql(cfg, &db, pending, n, &out, &err) < 0) ...   // 11: failed on the shadow
 *   if (dryrun_tool(cfg, &db, &mig, &state, &out, &err) < 0) ...
 *   print out (also after a failure: it shows where)
 *
 * SQL files: on a shadow copy (small tables with their data), each pending
 * transactional migration runs in its own transaction through the relay,
 * statement by statement; for each statement the locks its backend newly
 * took on the shadow (pg_locks joined to pg_class: relation, mode, what
 * the mode blocks: the same modes production would see), whether a table
 * or index was rewritten (relfilenode changed) and the time taken on the
 * shadow.  transaction:false migrations run there as the engine runs them,
 * untraced.  Then the rehearsal's catalog diff.  A tool (Alembic,
 * MikroORM, Prisma, command): its migrate command on the shadow, the
 * statements the relay captured per revision, and the findings on them
 * and on the catalog diff.
 *
 * Returns 0 when the rehearsal ran through (findings, even blocking ones,
 * are reported, not an error), -1 with e set when a migration failed on
 * the shadow (EXIT_MIGRATION) or the rehearsal could not be made.  With
 * --rehearse never or without a shadow (no CREATEDB, no
 * --shadow-database-url) nothing runs: the output says so and why (the
 * static lint of SQL files, or Alembic's offline SQL, stands in).  Output
 * is text (OUT_TEXT, OUT_GITHUB) or JSON (OUT_JSON).
 */
#ifndef PREDEPLOY_DRYRUN_H
#define PREDEPLOY_DRYRUN_H

#include "config.h"
#include "db.h"
#include "migration.h"
#include "util/err.h"
#include "util/strbuf.h"

struct migrator;
struct tool_state;

int dryrun_sql(const struct config *cfg, struct db *live, const struct migration *const *pending, int n,
	       struct strbuf *out, struct err *e);
int dryrun_tool(const struct config *cfg, struct db *live, struct migrator *m, const struct tool_state *st,
		struct strbuf *out, struct err *e);

#endif
