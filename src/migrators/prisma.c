/*
 * migrators/prisma: Prisma Migrate's state without starting Node.
 *
 * prisma/migrations/<name>/migration.sql (or --dir) are the revisions,
 * ordered by directory name; _prisma_migrations holds what ran.  A row is
 * applied when finished_at is set and rolled_back_at is not; a row with
 * neither is a failed migration, which blocks (Prisma's own advice:
 * `prisma migrate resolve`).  The migrations are plain SQL, so the pipeline
 * lints them natively (sql_sources).  The table is the one Prisma documents;
 * reset_to writes rows the way `prisma migrate resolve --applied` does
 * (checksum = SHA-256 of migration.sql).
 */
#include "migrator.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/exitcode.h"
#include "util/fsutil.h"
#include "util/sha256.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define DEFAULT_DIR "prisma/migrations"

static int prisma_detect(const struct config *cfg)
{
	struct stat st;

	(void)cfg;
	return stat(DEFAULT_DIR, &st) == 0 && S_ISDIR(st.st_mode);
}

static int prisma_load(struct migrator *m, struct err *e)
{
	DIR *d;
	struct dirent *de;
	int alloc = 0;

	m->dir = xstrdup(m->cfg->dir_set ? m->cfg->dir : DEFAULT_DIR);
	d = opendir(m->dir);
	if (!d)
		return err_sys(e, EXIT_CONFIG, errno, "could not open the Prisma migrations directory \"%s\"", m->dir);
	while ((de = readdir(d))) {
		struct mig_rev *r;
		struct stat st;
		char *path;

		if (de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s/migration.sql", m->dir, de->d_name);
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		if (m->nrevs == alloc) {
			alloc = alloc ? alloc * 2 : 32;
			m->revs = xrealloc(m->revs, (size_t)alloc * sizeof(*m->revs));
		}
		r = &m->revs[m->nrevs++];
		memset(r, 0, sizeof(*r));
		r->id = xstrdup(de->d_name);
		r->name = xstrdup(strchr(de->d_name, '_') ? strchr(de->d_name, '_') + 1 : de->d_name);
		r->path = path;
	}
	closedir(d);
	qsort(m->revs, (size_t)m->nrevs, sizeof(*m->revs), mig_rev_cmp_id);
	return 0;
}

static int prisma_read_state(struct migrator *m, struct db *db, struct tool_state *st, struct err *e)
{
	PGresult *r;
	int i;

	r = db_query(db, "SELECT pg_catalog.to_regclass('_prisma_migrations') IS NOT NULL", 0, NULL, EXIT_INTERNAL, e);
	if (!r)
		return -1;
	st->tracking_exists = !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	if (st->tracking_exists) {
		r = db_query(db, "SELECT migration_name, finished_at IS NOT NULL, rolled_back_at IS NOT NULL, "
			     "coalesce(logs, '') FROM _prisma_migrations ORDER BY migration_name, started_at",
			     0, NULL, EXIT_INTERNAL, e);
		if (!r)
			return -1;
		for (i = 0; i < PQntuples(r); i++) {
			const char *name = PQgetvalue(r, i, 0);
			int finished = !strcmp(PQgetvalue(r, i, 1), "t"), rolled = !strcmp(PQgetvalue(r, i, 2), "t");

			if (finished && !rolled && !strlist_has(&st->current_rows, name)) {
				strlist_add(&st->current_rows, name);
			} else if (!finished && !rolled) {
				err_set(e, EXIT_MIGRATION, "the Prisma migration \"%s\" failed earlier and is recorded as "
					"failed in _prisma_migrations; Prisma will not apply new migrations", name);
				if (*PQgetvalue(r, i, 3))
					err_detail(e, "%.900s", PQgetvalue(r, i, 3));
				err_hint(e, "fix the database by hand, then run \"npx prisma migrate resolve --rolled-back "
					 "%s\" (or --applied %s if its changes are in place); see Prisma's docs on "
					 "resolving migration issues in production", name, name);
				PQclear(r);
				return -1;
			}
		}
		PQclear(r);
	}
	mig_state_linear(m, st);
	return 0;
}

static int prisma_sql_sources(struct migrator *m, struct mig_rev *const *revs, int n, struct migration_set *out,
			      struct err *e)
{
	int i;

	(void)m;
	out->v = xcalloc((size_t)n + 1, sizeof(*out->v));
	out->n = 0;
	for (i = 0; i < n; i++) {
		struct migration *x = &out->v[out->n];

		if (migration_load_file(revs[i]->path, x, e) < 0)
			return -1;
		out->n++;
		free(x->version);
		free(x->name);
		x->version = xstrdup(revs[i]->id);
		x->name = xstrdup(revs[i]->name);
	}
	return 0;
}

static int prisma_reset_to(struct migrator *m, struct db *db, const struct mig_rev *rev, struct err *e)
{
	struct tool_state st = TOOL_STATE_INIT;
	struct strbuf src = STRBUF_INIT;
	int i, ret = -1;
	PGresult *r;

	if (db_exec(db, "CREATE TABLE IF NOT EXISTS \"_prisma_migrations\" (\n"
		    "  \"id\" VARCHAR(36) PRIMARY KEY NOT NULL,\n"
		    "  \"checksum\" VARCHAR(64) NOT NULL,\n"
		    "  \"finished_at\" TIMESTAMPTZ,\n"
		    "  \"migration_name\" VARCHAR(255) NOT NULL,\n"
		    "  \"logs\" TEXT,\n"
		    "  \"rolled_back_at\" TIMESTAMPTZ,\n"
		    "  \"started_at\" TIMESTAMPTZ NOT NULL DEFAULT now(),\n"
		    "  \"applied_steps_count\" INTEGER NOT NULL DEFAULT 0)", EXIT_INTERNAL, e) < 0)
		goto out;
	{
		const char *params[1] = { rev ? rev->id : "" };

		r = db_query(db, "DELETE FROM \"_prisma_migrations\" WHERE migration_name > $1 OR "
			     "(finished_at IS NULL AND rolled_back_at IS NULL)", 1, params, EXIT_INTERNAL, e);
		if (!r)
			goto out;
		PQclear(r);
	}
	if (prisma_read_state(m, db, &st, e) < 0)
		goto out;
	for (i = 0; rev && i < m->nrevs && strcmp(m->revs[i].id, rev->id) <= 0; i++) {
		char sha[SHA256_HEX_LEN];
		const char *params[2];

		if (m->revs[i].applied)
			continue;
		if (mig_read_source(m->revs[i].path, &src, e) < 0)
			goto out;
		sha256_hex_of(src.buf, src.len, sha);
		params[0] = sha;
		params[1] = m->revs[i].id;
		r = db_query(db, "INSERT INTO \"_prisma_migrations\" (id, checksum, finished_at, migration_name, "
			     "started_at, applied_steps_count) VALUES (md5(random()::text || clock_timestamp()::text)::uuid::text, "
			     "$1, now(), $2, now(), 1)", 2, params, EXIT_INTERNAL, e);
		if (!r)
			goto out;
		PQclear(r);
	}
	ret = 0;
out:
	sb_release(&src);
	tool_state_release(&st);
	return ret;
}

/* the INSERT starts a migration's row, the UPDATE (finished_at) ends it */
static const char *const tracking_writes[] = { "-INSERT INTO \"_prisma_migrations\"", "UPDATE \"_prisma_migrations\"", NULL };

const struct migrator_ops migrator_prisma = {
	"prisma", "_prisma_migrations", "npx prisma migrate deploy", tracking_writes,
	prisma_detect, prisma_load, prisma_read_state, prisma_reset_to, NULL, prisma_sql_sources, NULL,
};
