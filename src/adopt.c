/* adopt: see adopt.h. */
#include "adopt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* One round trip: our table, and whose tables are there. */
static PGresult *survey(struct db *db, struct ledger *l, struct err *e)
{
	const char *params[1] = { l->qtable };

	return db_query(db, "SELECT pg_catalog.to_regclass($1) IS NOT NULL, "
			"pg_catalog.to_regclass('schema_migrations') IS NOT NULL, "
			"EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = "
			"pg_catalog.to_regclass('schema_migrations') AND attname = 'dirty' AND NOT attisdropped), "
			"pg_catalog.to_regclass('alembic_version') IS NOT NULL, "
			"pg_catalog.to_regclass('mikro_orm_migrations') IS NOT NULL, "
			"pg_catalog.to_regclass('_prisma_migrations') IS NOT NULL",
			1, params, EXIT_INTERNAL, e);
}

static int is_t(PGresult *r, int col)
{
	return !strcmp(PQgetvalue(r, 0, col), "t");
}

int adopt_check(struct db *db, struct ledger *l, struct err *e)
{
	static const struct { int col; const char *table, *tool, *migrator; } orms[] = {
		{ 3, "alembic_version", "Alembic", "alembic" },
		{ 4, "mikro_orm_migrations", "MikroORM", "mikro-orm" },
		{ 5, "_prisma_migrations", "Prisma", "prisma" },
	};
	PGresult *r = survey(db, l, e);
	size_t i;
	int ret = 0;

	if (!r)
		return -1;
	if (is_t(r, 0))
		goto out;                /* not the first run */
	for (i = 0; i < sizeof(orms) / sizeof(orms[0]); i++) {
		if (!is_t(r, orms[i].col))
			continue;
		err_set(e, EXIT_CONFIG, "this database is managed by %s (table \"%s\"), and predeploy's SQL engine "
			"(--migrator sql) has never run on it", orms[i].tool, orms[i].table);
		err_hint(e, "keep %s and run it through predeploy: --migrator %s (PREDEPLOY_MIGRATOR=%s); "
			 "see docs/migrators.md", orms[i].tool, orms[i].migrator, orms[i].migrator);
		ret = -1;
		goto out;
	}
	if (is_t(r, 1) && strcmp(l->table, "schema_migrations")) {
		const char *tool = is_t(r, 2) ? "golang-migrate" : "dbmate";

		err_set(e, EXIT_CONFIG, "this database has %s's \"schema_migrations\" table and no predeploy tracking "
			"table yet: applying the migrations again would fail", tool);
		err_hint(e, "import its state once with \"predeploy adopt\" (it copies schema_migrations into %s and "
			 "records it in history), then run predeploy as usual", l->qtable);
		ret = -1;
	}
out:
	PQclear(r);
	return ret;
}

static int rollback(struct db *db)
{
	struct err ignore = ERR_INIT;

	return db_exec(db, "ROLLBACK", EXIT_INTERNAL, &ignore);
}

int adopt_import(struct db *db, struct ledger *l, const struct migration_set *files, struct adopt_result *res,
		 struct err *e)
{
	PGresult *r = survey(db, l, e), *rows = NULL;
	struct strlist versions = { 0 };
	struct history_entry h;
	char name[256];
	int i, j, golang, ret = -1;

	memset(res, 0, sizeof(*res));
	if (!r)
		return -1;
	if (!is_t(r, 1)) {
		PQclear(r);
		return err_set(e, EXIT_USAGE, "nothing to adopt: this database has no schema_migrations table "
			       "(dbmate, golang-migrate)");
	}
	golang = is_t(r, 2);
	PQclear(r);
	res->tool = golang ? "golang-migrate" : "dbmate";
	rows = db_query(db, golang ? "SELECT version::text, dirty::text FROM schema_migrations"
				   : "SELECT version::text, 'false' FROM schema_migrations ORDER BY 1",
			0, NULL, EXIT_INTERNAL, e);
	if (!rows)
		return -1;
	for (i = 0; i < PQntuples(rows); i++) {
		const char *v = PQgetvalue(rows, i, 0);

		if (!strcmp(PQgetvalue(rows, i, 1), "true")) {
			err_set(e, EXIT_MIGRATION, "golang-migrate left version %s dirty (it failed part-way): "
				"nothing adopted", v);
			err_hint(e, "fix the database by hand, then \"migrate force VERSION\" to the version it is "
				 "really at, and adopt again");
			goto out;
		}
		if (golang) {
			/* one row: everything up to it is applied */
			for (j = 0; j < files->n; j++)
				if (version_cmp(files->v[j].version, v) <= 0)
					strlist_add(&versions, files->v[j].version);
		} else {
			strlist_add(&versions, v);
		}
	}
	if (db_exec(db, "BEGIN", EXIT_INTERNAL, e) < 0 || ledger_ensure(l, db, e) < 0)
		goto fail;
	for (i = 0; i < versions.n; i++) {
		int k = migration_find(files, versions.v[i]);

		if (k < 0) {
			log_warn("schema_migrations has version %s, which no file in the migrations directory has: "
				 "not adopted", versions.v[i]);
			res->skipped++;
			continue;
		}
		if (ledger_mark_applied(l, db, files->v[k].version, files->v[k].name, files->v[k].checksum, -1, e) < 0)
			goto fail;
		res->imported++;
		if (version_cmp(files->v[k].version, res->last) > 0 || !res->last[0])
			xstrlcpy(res->last, files->v[k].version, sizeof(res->last));
	}
	snprintf(name, sizeof(name), "adopted %d version%s from %s's schema_migrations", res->imported,
		 res->imported == 1 ? "" : "s", res->tool);
	memset(&h, 0, sizeof(h));
	h.action = "adopt";
	h.version = res->last[0] ? res->last : NULL;
	h.name = name;
	h.outcome = "success";
	h.duration_ms = -1;
	if (ledger_history_add(l, db, &h, e) < 0 || db_exec(db, "COMMIT", EXIT_INTERNAL, e) < 0)
		goto fail;
	ret = 0;
	goto out;
fail:
	rollback(db);
out:
	strlist_clear(&versions);
	PQclear(rows);
	return ret;
}
