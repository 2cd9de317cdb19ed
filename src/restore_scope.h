/*
 * restore_scope: restoring an at-risk backup (backup_scope.h), which holds
 * the schema of everything but the data of only some tables, so it must
 * never replace the whole database (docs/backups.md "Restoring an at-risk
 * backup").
 *
 *   default    the tables' rows go into a new schema
 *              predeploy_restore_<YYYYmmdd_HHMMSS> next to the live ones (each
 *              as "<table>", or "<schema>_<table>" outside public), created
 *              from the backup's own CREATE TABLE (columns and inline checks
 *              only); nothing that exists is changed, so no safety backup is
 *              taken.  The user brings the lost column or rows back with
 *              UPDATE ... FROM or INSERT ... SELECT.
 *   --replace  after the migration was reverted: TRUNCATE ONLY the tables
 *              (RESTRICT: refused when another table's foreign key points at
 *              them) and COPY the backup's rows into them; the rest of the
 *              database is not touched.  The safety backup is taken as usual.
 *
 * Either way it is one transaction: every other statement of the dump is
 * skipped except the session settings (SET, set_config: the encoding of
 * the COPY data), and every listed table's COPY must be found.
 *
 *   struct restore_scope rs = RESTORE_SCOPE_INIT;
 *   restore_scope_setup(cfg, &src, replace, reset_to, &rs, &opts, &err);  // after restore_pick
 *   ... restore_check, restore_prepare, restore_run (calls the hooks below) ...
 *   restore_scope_release(cfg, &rs);
 */
#ifndef PREDEPLOY_RESTORE_SCOPE_H
#define PREDEPLOY_RESTORE_SCOPE_H

#include <stddef.h>

#include "config.h"
#include "restore.h"
#include "restore_prepare.h"
#include "util/err.h"
#include "util/strlist.h"

struct restore_scope {
	int on;                      /* the backup is at-risk */
	int replace;
	char side[64];               /* the side schema (default mode) */
	struct strlist tables;       /* as pg_dump names them: "public.small" */
	struct strlist side_names;   /* parallel: "\"small\"" */
	int copied;                  /* COPY statements of listed tables seen by restore_run */
	int saved_no_backup;
};

#define RESTORE_SCOPE_INIT { 0, 0, "", { 0 }, { 0 }, 0, 0 }

/* After restore_pick: a full backup gets o->whole_rows (see restore.h).
 * When src is an at-risk backup, say what will happen
 * (a log line before any question), set o->scope and, in the default mode,
 * cfg->no_backup (restore_scope_release puts it back).  Refused with
 * EXIT_USAGE: --replace of a full backup, --reset-to of an at-risk one, an
 * at-risk backup that holds no table's data (schema only). */
int restore_scope_setup(struct config *cfg, const struct restore_source *src, int replace, const char *reset_to,
			struct restore_scope *rs, struct restore_opts *o, struct err *e);
void restore_scope_release(struct config *cfg, struct restore_scope *rs);

/* restore_run's hooks.  The SQL that starts the restore inside its
 * transaction (caller frees); on its failure, what to say. */
char *restore_scope_begin_sql(const struct restore_scope *rs);
void restore_scope_begin_failed(const struct restore_scope *rs, struct err *e);
/* One dump statement: 1 to skip it, else 0 with *out a rewritten copy
 * (caller frees) or NULL to run it as it is. */
int restore_scope_statement(struct restore_scope *rs, const char *text, size_t len, char **out);
/* After the dump: every listed table's COPY was found, else EXIT_DATAERR. */
int restore_scope_end(const struct restore_scope *rs, const char *path, struct err *e);

/* The checking pass of a whole-database restore (no scope): count the
 * dump's ordinary tables (CREATE TABLE, not partitioned parents) and its
 * COPY statements (text NUL-terminated, as rscan gives it);
 * restore_scope_check_whole refuses (EXIT_DATAERR) a dump
 * with fewer COPY than tables: rows are missing, as in an at-risk backup
 * whose sidecar was left behind, and restoring it over the database would
 * leave tables empty. */
void restore_scope_tally(const char *text, size_t len, int *tables, int *copies);
int restore_scope_check_whole(int tables, int copies, const char *path, struct err *e);

/* The closing log line of `restore`: rs NULL or off: the whole database. */
void restore_say_done(const struct restore_scope *rs, const char *path, const char *dbname,
		      const struct restore_result *res, const char *version);

#endif
