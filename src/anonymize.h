/*
 * anonymize: the team's anonymisation SQL, run inside a copy's restore
 * transaction after the data is loaded and before COMMIT (SPEC.md "Staging
 * copies", docs/staging.md), so personal data never becomes visible in the
 * copy.
 *
 *   struct anonymize a = ANONYMIZE_INIT;
 *   if (anonymize_load("anonymize.sql", &a, &err) < 0) ...  // EXIT_DATAERR, file:line
 *   ... restore_opts.after_load = anonymize_run_hook; .after_load_arg = &a;
 *   anonymize_release(&a);
 *
 * A comment line `-- predeploy:expect N rows` (N >= 0; "1 row" too) before
 * a statement makes that statement an assertion: it must return exactly N
 * rows (a SELECT), else the copy fails with EXIT_MIGRATION and nothing is
 * committed.  Statements run one by one on the restore's connection; after
 * each the connection must still be inside the transaction, so COMMIT,
 * ROLLBACK or anything that ends it fails the copy.
 */
#ifndef PREDEPLOY_ANONYMIZE_H
#define PREDEPLOY_ANONYMIZE_H

#include "db.h"
#include "migration.h"
#include "util/err.h"

struct anonymize_stmt {
	char *sql;
	int line;                    /* in the file */
	long expect;                 /* rows; -1: no expectation */
};

struct anonymize {
	struct migration m;          /* the file (path, text, checksum) */
	struct anonymize_stmt *v;
	int n;
	int nexpect;
};

#define ANONYMIZE_INIT { { 0 }, NULL, 0, 0 }

int anonymize_load(const char *path, struct anonymize *a, struct err *e);
/* Run inside the caller's open transaction. */
int anonymize_run(struct anonymize *a, struct db *db, struct err *e);
/* restore_opts.after_load: arg is a struct anonymize *. */
int anonymize_run_hook(void *arg, struct db *db, struct err *e);
void anonymize_release(struct anonymize *a);

#endif
