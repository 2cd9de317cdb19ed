/*
 * migrators/mikroorm: MikroORM's state without starting Node.
 *
 * The migrations folder is --dir when given, else the `path` of the
 * `migrations` block in mikro-orm.config.{js,cjs,mjs,ts} (working directory
 * or src/), else the first of src/migrations, migrations, dist/migrations.
 * Its files Migration<timestamp>[_name].{ts,js,mjs,cjs} (not .d.ts) are the
 * revisions, ordered by name; the id is the file name without extension.
 * mikro_orm_migrations(id, name, executed_at) holds what ran; names are
 * compared without extension (MikroORM stored them with one in older
 * versions).  Pending = files without a row, in name order, as
 * `mikro-orm migration:up` runs them.
 */
#include "migrator.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/exitcode.h"
#include "util/fsutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define TABLE "mikro_orm_migrations"
#define CONFIG_CAP (1024 * 1024)

static const char *const config_files[] = {
	"mikro-orm.config.js", "mikro-orm.config.cjs", "mikro-orm.config.mjs", "mikro-orm.config.ts",
	"src/mikro-orm.config.js", "src/mikro-orm.config.cjs", "src/mikro-orm.config.mjs", "src/mikro-orm.config.ts",
	NULL,
};

static int is_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int mikro_detect(const struct config *cfg)
{
	struct strbuf pkg = STRBUF_INIT;
	struct err ignore = ERR_INIT;
	int i, found = 0;

	(void)cfg;
	for (i = 0; config_files[i] && !found; i++)
		found = is_file(config_files[i]);
	if (!found && fs_read_file("package.json", CONFIG_CAP, &pkg, EXIT_CONFIG, &ignore) == 0)
		found = strstr(pkg.buf, "\"@mikro-orm/") != NULL || strstr(pkg.buf, "mikro-orm ") != NULL;
	sb_release(&pkg);
	return found;
}

/* `path: '...'` inside the config's `migrations: { ... }` block. */
static char *config_migrations_path(void)
{
	struct strbuf src = STRBUF_INIT;
	struct err ignore = ERR_INIT;
	char *out = NULL;
	int i;

	for (i = 0; config_files[i] && !out; i++) {
		const char *p, *end;
		int depth = 0;

		if (fs_read_file(config_files[i], CONFIG_CAP, &src, EXIT_CONFIG, &ignore) < 0)
			continue;
		p = strstr(src.buf, "migrations");
		while (p && !out) {
			const char *q = p + strlen("migrations");

			while (*q == ' ' || *q == '\'' || *q == '"')
				q++;
			if (*q != ':') {
				p = strstr(q, "migrations");
				continue;
			}
			q++;
			while (isspace((unsigned char)*q))
				q++;
			if (*q != '{') {
				p = strstr(q, "migrations");
				continue;
			}
			for (end = q; *end; end++) {
				if (*end == '{')
					depth++;
				else if (*end == '}' && --depth == 0)
					break;
			}
			for (q++; q < end && !out; q++) {
				const char *v;
				char quote;

				if (strncmp(q, "path", 4) || isalnum((unsigned char)q[-1]) || q[4] == 'T')
					continue;
				v = q + 4;
				while (*v == ' ' || *v == '\'' || *v == '"')
					v++;
				if (*v != ':')
					continue;
				v++;
				while (isspace((unsigned char)*v))
					v++;
				if (*v != '\'' && *v != '"' && *v != '`')
					continue;
				quote = *v++;
				out = xstrndup(v, strcspn(v, quote == '\'' ? "'" : quote == '"' ? "\"" : "`"));
			}
			p = NULL;
		}
		sb_reset(&src);
	}
	sb_release(&src);
	if (out && !strncmp(out, "./", 2))
		memmove(out, out + 2, strlen(out + 2) + 1);
	return out;
}

static int migration_file(const char *name, size_t *idlen)
{
	static const char *const exts[] = { ".ts", ".js", ".mjs", ".cjs", NULL };
	size_t n = strlen(name), i;
	int k;

	if (strncmp(name, "Migration", 9) || !isdigit((unsigned char)name[9]) || strstr(name, ".d.ts"))
		return 0;
	for (k = 0; exts[k]; k++) {
		size_t el = strlen(exts[k]);

		if (n > el && !strcmp(name + n - el, exts[k])) {
			*idlen = n - el;
			for (i = 9; i < *idlen; i++)
				if (!isalnum((unsigned char)name[i]) && name[i] != '_')
					return 0;
			return 1;
		}
	}
	return 0;
}

static int mikro_load(struct migrator *m, struct err *e)
{
	static const char *const fallbacks[] = { "src/migrations", "migrations", "dist/migrations", NULL };
	DIR *d;
	struct dirent *de;
	int i, alloc = 0;

	if (m->cfg->dir_set) {
		m->dir = xstrdup(m->cfg->dir);
	} else if (!(m->dir = config_migrations_path())) {
		for (i = 0; fallbacks[i] && !m->dir; i++)
			if (is_dir(fallbacks[i]))
				m->dir = xstrdup(fallbacks[i]);
	}
	if (!m->dir) {
		err_set(e, EXIT_CONFIG, "no MikroORM migrations folder: the config has no migrations.path and none "
			"of src/migrations, migrations, dist/migrations exists");
		err_hint(e, "run predeploy in the app's directory, or name the folder with --dir");
		return -1;
	}
	d = opendir(m->dir);
	if (!d)
		return err_sys(e, EXIT_CONFIG, errno, "could not open the MikroORM migrations folder \"%s\"", m->dir);
	while ((de = readdir(d))) {
		size_t idlen;
		struct mig_rev *r;

		if (!migration_file(de->d_name, &idlen))
			continue;
		if (m->nrevs == alloc) {
			alloc = alloc ? alloc * 2 : 32;
			m->revs = xrealloc(m->revs, (size_t)alloc * sizeof(*m->revs));
		}
		r = &m->revs[m->nrevs++];
		memset(r, 0, sizeof(*r));
		r->id = xstrndup(de->d_name, idlen);
		r->name = xstrdup(de->d_name);
		r->path = xasprintf("%s/%s", m->dir, de->d_name);
	}
	closedir(d);
	qsort(m->revs, (size_t)m->nrevs, sizeof(*m->revs), mig_rev_cmp_id);
	/* Migration1.ts beside its compiled Migration1.js: one revision */
	for (i = 1; i < m->nrevs; i++)
		if (!strcmp(m->revs[i].id, m->revs[i - 1].id)) {
			free(m->revs[i].id);
			free(m->revs[i].name);
			free(m->revs[i].path);
			memmove(&m->revs[i], &m->revs[i + 1], (size_t)(m->nrevs - i - 1) * sizeof(*m->revs));
			m->nrevs--;
			i--;
		}
	return 0;
}

/* The stored name without a .ts/.js/.mjs/.cjs extension. */
static void strip_ext(char *s)
{
	size_t idlen;

	if (migration_file(s, &idlen))
		s[idlen] = '\0';
}

static int mikro_read_state(struct migrator *m, struct db *db, struct tool_state *st, struct err *e)
{
	PGresult *r;
	int i;

	r = db_query(db, "SELECT pg_catalog.to_regclass('" TABLE "') IS NOT NULL", 0, NULL, EXIT_INTERNAL, e);
	if (!r)
		return -1;
	st->tracking_exists = !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	if (st->tracking_exists) {
		r = db_query(db, "SELECT name FROM " TABLE " ORDER BY id", 0, NULL, EXIT_INTERNAL, e);
		if (!r)
			return -1;
		for (i = 0; i < PQntuples(r); i++) {
			char *n = xstrdup(PQgetvalue(r, i, 0));

			strip_ext(n);
			strlist_add(&st->current_rows, n);
			free(n);
		}
		PQclear(r);
	}
	mig_state_linear(m, st);
	return 0;
}

static int mikro_reset_to(struct migrator *m, struct db *db, const struct mig_rev *rev, struct err *e)
{
	struct tool_state st = TOOL_STATE_INIT;
	int i, ret = -1;

	if (db_exec(db, "CREATE TABLE IF NOT EXISTS " TABLE " (id serial PRIMARY KEY, name varchar(255), "
		    "executed_at timestamptz DEFAULT current_timestamp)", EXIT_INTERNAL, e) < 0 ||
	    mikro_read_state(m, db, &st, e) < 0)
		goto out;
	for (i = 0; i < st.current_rows.n; i++) {
		const char *params[1] = { st.current_rows.v[i] };
		PGresult *r;

		if (rev && strcmp(st.current_rows.v[i], rev->id) <= 0)
			continue;
		r = db_query(db, "DELETE FROM " TABLE " WHERE regexp_replace(name, '\\.(ts|js|mjs|cjs)$', '') = $1",
			     1, params, EXIT_INTERNAL, e);
		if (!r)
			goto out;
		PQclear(r);
	}
	for (i = 0; rev && i < m->nrevs && strcmp(m->revs[i].id, rev->id) <= 0; i++) {
		const char *params[1] = { m->revs[i].id };
		PGresult *r;

		if (m->revs[i].applied)
			continue;
		r = db_query(db, "INSERT INTO " TABLE " (name, executed_at) VALUES ($1, current_timestamp)", 1, params,
			     EXIT_INTERNAL, e);
		if (!r)
			goto out;
		PQclear(r);
	}
	ret = 0;
out:
	tool_state_release(&st);
	return ret;
}

static const char *const tracking_writes[] = { "insert into " TABLE, NULL };
static const char *const url_vars[] = { "MIKRO_ORM_CLIENT_URL", NULL };

const struct migrator_ops migrator_mikro_orm = {
	"mikro-orm", TABLE, "npx mikro-orm migration:up", tracking_writes,
	mikro_detect, mikro_load, mikro_read_state, mikro_reset_to, url_vars, NULL, NULL,
};
