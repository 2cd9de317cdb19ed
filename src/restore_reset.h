/*
 * restore_reset: what `restore --reset-to V` means for the migrator in use,
 * checked before anything is touched, and the hooks that restore_prepare()
 * (the safety backup's name) and restore_run() (the tracking table, inside
 * the restore's transaction) call for a tool migrator.
 *
 *   struct restore_reset rr = RESTORE_RESET_INIT;
 *   if (restore_reset_check(cfg, &mig, reset_to, &files, &rr, &err) < 0) ...  // 64: nothing done
 *   ... restore_check(), confirmation ...
 *   restore_reset_hooks(&mig, &rr, &opts, &target);
 *   restore_prepare(...); restore_run(...);
 *
 * sql: V is digits and the version of a migration file in cfg->dir (or 0);
 * `files` gets the loaded set.  A tool: V is one of its revisions (a unique
 * prefix) or "base"; a tool without revisions refuses --reset-to.  Nothing
 * to free: rr points into mig.
 */
#ifndef PREDEPLOY_RESTORE_RESET_H
#define PREDEPLOY_RESTORE_RESET_H

#include "config.h"
#include "migration.h"
#include "migrator.h"
#include "restore.h"
#include "restore_prepare.h"
#include "util/err.h"

struct restore_reset {
	struct migrator *m;              /* a tool migrator with a --reset-to */
	const struct mig_rev *rev;       /* NULL: base */
};

#define RESTORE_RESET_INIT { NULL, NULL }

int restore_reset_check(const struct config *cfg, struct migrator *mig, const char *reset_to,
			struct migration_set *files, struct restore_reset *rr, struct err *e);
void restore_reset_hooks(struct migrator *mig, struct restore_reset *rr, struct restore_opts *o,
			 struct restore_target *t);

#endif
