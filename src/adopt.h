/*
 * adopt: a database another tool manages, met by predeploy's SQL engine
 * (SPEC.md "Migrators": first run on a database that another tool manages).
 *
 *   if (adopt_check(&db, &ledger, &err) < 0) ...    // EXIT_CONFIG: found, and how to adopt
 *   adopt_import(&db, &ledger, &files, &res, &err); // predeploy adopt
 *
 * adopt_check() runs only while predeploy's tracking table does not exist
 * (the first run): dbmate's or golang-migrate's schema_migrations, or an
 * ORM's table (alembic_version, mikro_orm_migrations, _prisma_migrations),
 * is an EXIT_CONFIG error naming what was found and the command to run, so
 * the first `up` never fails later on "relation already exists".
 *
 * adopt_import() copies schema_migrations into predeploy's tracking table
 * in one transaction (the caller holds the migration lock): dbmate's rows
 * as they are, golang-migrate's one version as "everything up to it" (a
 * dirty one is refused), each with the name and checksum of its file
 * (versions without a file are skipped with a warning), and one history
 * row "adopt".  schema_migrations itself is left alone.
 */
#ifndef PREDEPLOY_ADOPT_H
#define PREDEPLOY_ADOPT_H

#include "db.h"
#include "ledger.h"
#include "migration.h"
#include "util/err.h"

int adopt_check(struct db *db, struct ledger *l, struct err *e);

struct adopt_result {
	const char *tool;            /* "dbmate" or "golang-migrate" */
	int imported;
	int skipped;                 /* versions without a file */
	char last[128];              /* newest version imported */
};

int adopt_import(struct db *db, struct ledger *l, const struct migration_set *files, struct adopt_result *res,
		 struct err *e);

#endif
