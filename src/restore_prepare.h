/*
 * restore_prepare: what `restore` does before restore_run(): choose the
 * backup, and make the target ready (create an --into database, take the
 * migration lock, take the safety backup of its current state).
 *
 *   struct restore_source src;
 *   if (restore_pick(cfg, target_dbname, file, index, from_db, &src, &err) < 0) ...
 *   ... open src.path, restore_check() it (nothing touched so far), confirm ...
 *   struct restore_target t = RESTORE_TARGET_INIT;
 *   if (restore_prepare(cfg, &db, into, progress, &t, &err) < 0) ...
 *   restore_run(t.db, ...);                  // t.pre: the safety backup
 *   restore_target_release(&t);              // unlocks, closes --into's connection
 *
 * restore_pick: with `file`, that file; its SHA-256 is expected from a
 * sidecar "<file>.json" beside it when there is one (src.sha256 "" when
 * not).  Otherwise the backups in --backup-dir: backup number `index` of
 * `predeploy backups` (index >= 0), or the newest backup of the source
 * database: `from_db` when given, else the target database.  A backup of
 * another database than the source is refused (EXIT_USAGE, naming it and
 * --from-database), as is an unknown index or no backup at all; an
 * unverified backup is EXIT_DATAERR.
 */
#ifndef PREDEPLOY_RESTORE_PREPARE_H
#define PREDEPLOY_RESTORE_PREPARE_H

#include <stdint.h>

#include "backup.h"
#include "config.h"
#include "db.h"
#include "ledger.h"
#include "progress.h"
#include "util/err.h"
#include "util/sha256.h"

struct restore_source {
	char path[4096];
	char sha256[SHA256_HEX_LEN];    /* expected; "" when no sidecar says */
	int listed;                     /* from the backup list: the fields below are set */
	char file[1024];                /* its name in the backup store (storage.h) */
	int position;                   /* its place in the list, newest first (retention) */
	char when[32], database[256], version[128];
	int64_t size;
	int at_risk;                    /* its sidecar says scope at-risk (restore_scope.h) */
	char sidecar[BACKUP_SIDECAR_CAP]; /* the sidecar's text; "" when none */
};

int restore_pick(const struct config *cfg, const char *target_db, const char *file, long index,
		 const char *from_db, struct restore_source *src, struct err *e);

/* A backup from the list, read through the backup store (a directory or a
 * bucket): restore_object_open sets o's input (path, table, size, and the
 * source/rewind callbacks restore_check and restore_run read it with, once
 * each). */
struct restore_object {
	struct storage *st;
	struct storage_r *r;
	const char *name;
};

#define RESTORE_OBJECT_INIT { NULL, NULL, NULL }

struct restore_opts;
int restore_object_open(const struct config *cfg, const struct restore_source *src, struct restore_object *ob,
			struct restore_opts *o, struct err *e);
void restore_object_close(struct restore_object *ob);     /* safe twice */

struct restore_target {
	struct db other;                /* the --into connection */
	struct db *db;                  /* where to restore: the caller's or &other */
	struct ledger l;                /* its lock key; the lock is held */
	struct backup_info pre;         /* the safety backup; pre.path[0] == '\0' when none */
	int created;                    /* the --into database was created */
	/* the schema version naming the safety backup; NULL: the tracking
	 * table's (a tool migrator names it with its revision) */
	int (*version_of)(void *arg, struct db *db, char *buf, size_t cap, struct err *e);
	void *version_arg;
};

#define RESTORE_TARGET_INIT { 0 }

/* `into` may be NULL, the connected database, another database's name on
 * the same server, or a full URL / conninfo string (another server or
 * role; 1 from restore_into_is_url), whose database is created when
 * missing if the URL's role may. */
int restore_into_is_url(const char *into);
/* `into` may be NULL or the connected database.  A missing --into database
 * is created; an existing target is backed up first unless
 * cfg->no_backup. */
int restore_prepare(const struct config *cfg, struct db *db, const char *into, const struct progress *progress,
		    struct restore_target *t, struct err *e);
void restore_target_release(struct restore_target *t);

#endif
