/*
 * seeds: idempotent SQL population scripts (roles, permissions, reference
 * data) run after the migrations, under the migration lock (SPEC.md "After
 * the migrations", docs/run.md "Seeds").
 *
 *   struct seed_set ss = SEED_SET_INIT;
 *   seeds_load(cfg, &ss, &err);                 // --seeds-dir, *.sql in name order
 *   seeds_read_state(&ss, &ledger, &db, &err);  // which ran, with which checksum
 *   for (i = 0; i < ss.n; i++) ... ss.v[i].state, ss.v[i].due ...
 *   seeds_run(&ss, &db, &ledger, &apply_opts, &nrun, &err);   // the due ones
 *   seed_set_release(&ss);
 *
 * A seed runs when it is new, when its SHA-256 changed since it last ran
 * (Flyway's repeatable migrations), or on every deploy with a line
 * `-- predeploy:seed always`.  Each runs in its own transaction with the
 * migrations' lock_timeout (apply_seed in apply.h).
 *
 * State has no table of its own: the newest successful history row with
 * action "seed" for a file name holds the checksum that last ran.  That row
 * commits in the seed's own transaction, so "ran" and "recorded" cannot
 * disagree, and `history` shows every seed run.  Renaming a seed makes it
 * new.
 *
 * --seeds-dir defaults to "seeds" and is optional then; a directory given
 * explicitly (flag or PREDEPLOY_SEEDS_DIR) must exist (EXIT_CONFIG).  With
 * PREDEPLOY_SEED=0 (cfg->seed == 0) seeds_load loads nothing.
 */
#ifndef PREDEPLOY_SEEDS_H
#define PREDEPLOY_SEEDS_H

#include <stdint.h>

#include "apply.h"
#include "config.h"
#include "db.h"
#include "ledger.h"
#include "migration.h"
#include "util/err.h"

enum seed_state { SEED_NEW, SEED_APPLIED, SEED_CHANGED };

struct seed {
	struct migration m;          /* the whole file as the up section; name = file name */
	int always;                  /* -- predeploy:seed always */
	enum seed_state state;       /* set by seeds_read_state */
	int due;                     /* new, changed or always */
	char *applied_at;            /* last successful run (ISO 8601 UTC), NULL if none */
};

struct seed_set {
	struct seed *v;              /* by file name */
	int n;
	int ndue;
	char *dir;                   /* NULL when there is no seeds directory */
};

#define SEED_SET_INIT { NULL, 0, 0, NULL }

int seeds_load(const struct config *cfg, struct seed_set *ss, struct err *e);
/* Read-only: a missing history table means every seed is new. */
int seeds_read_state(struct seed_set *ss, struct ledger *l, struct db *db, struct err *e);
/* Run the due seeds in order; stops at the first failure (see apply_seed).
 * *nrun counts the seeds that committed. */
int seeds_run(struct seed_set *ss, struct db *db, struct ledger *l, const struct apply_opts *o, int *nrun,
	      struct err *e);
const char *seed_state_name(enum seed_state s);
void seed_set_release(struct seed_set *ss);

#endif
