/*
 * cmd_lint: `predeploy lint [PATH...]`: risk analysis of migrations
 * (docs/rules.md).  PATHs are migration files of either format, plain .sql
 * files or directories.  Without PATH: the pending migrations of --dir when
 * a database is configured, else every migration in --dir.  With a
 * database, findings on existing tables carry estimated rows and size, and
 * --large-table N raises lock warnings on bigger tables to errors.
 * Findings go to stdout (text, --format json, --format github); exit 10 when
 * one blocks, 65 for an unreadable file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog.h"
#include "cmd.h"
#include "ledger.h"
#include "lint/lint.h"
#include "log.h"
#include "migration.h"
#include "util/exitcode.h"
#include "util/banned.h"

const struct cmd_opt opts_lint[] = { { NULL, 0, NULL } };

static int db_configured(const struct config *cfg)
{
	return cfg->database_url || getenv("PGHOST") || getenv("PGDATABASE") || getenv("PGSERVICE");
}

static int is_applied(const struct applied_set *a, const char *version)
{
	int i;

	for (i = 0; i < a->n; i++)
		if (!version_cmp(a->v[i].version, version))
			return 1;
	return 0;
}

/* Lint every migration of set (skipping applied ones when a is given). */
static int lint_set(const struct migration_set *set, const struct applied_set *a,
		    const struct lint_opts *o, struct lint_report *r, int *count, struct err *e)
{
	const struct migration **v = calloc((size_t)set->n + 1, sizeof(*v));
	int i, n = 0, ret;

	if (!v)
		return err_set(e, EXIT_INTERNAL, "out of memory");
	for (i = 0; i < set->n; i++)
		if (!a || !is_applied(a, set->v[i].version))
			v[n++] = &set->v[i];
	ret = lint_migrations(v, n, o, r, e);
	*count += n;
	free(v);
	return ret;
}

static int lint_path(const char *path, const struct lint_opts *o, struct lint_report *r, int *count,
		     struct err *e)
{
	struct stat st;
	int ret;

	if (stat(path, &st) < 0)
		return err_sys(e, EXIT_DATAERR, errno, "could not open \"%s\"", path);
	if (S_ISDIR(st.st_mode)) {
		struct migration_set set = MIGRATION_SET_INIT;

		ret = migration_load_dir(path, &set, e);
		if (ret == 0)
			ret = lint_set(&set, NULL, o, r, count, e);
		migration_set_release(&set);
	} else {
		struct migration m;

		memset(&m, 0, sizeof(m));
		ret = migration_load_file(path, &m, e);
		if (ret == 0) {
			ret = lint_migration(&m, o, r, e);
			++*count;
		}
		migration_release(&m);
	}
	return ret;
}

/* Pending migrations of cfg->dir; NULL applied set when there is no
 * usable database (then every file). */
static int lint_pending(struct config *cfg, struct db *db, const struct lint_opts *o,
			struct lint_report *r, int *count, struct err *e)
{
	struct migration_set set = MIGRATION_SET_INIT;
	struct applied_set applied = APPLIED_SET_INIT;
	struct ledger l = LEDGER_INIT;
	int ret = -1, have = 0;

	if (migration_load_dir(cfg->dir, &set, e) < 0)
		goto out;
	if (db->conn) {
		struct err le = ERR_INIT;

		if (ledger_init(&l, db, cfg->table, &le) == 0 && ledger_read(&l, db, &applied, &le) == 0)
			have = 1;
		else
			log_warn("could not read applied migrations (%s); linting every file", le.msg);
	}
	ret = lint_set(&set, have ? &applied : NULL, o, r, count, e);
out:
	ledger_release(&l);
	applied_set_release(&applied);
	migration_set_release(&set);
	return ret;
}

CMD(lint)
{
	struct lint_opts o;
	struct lint_report r = LINT_REPORT_INIT;
	struct strbuf out = STRBUF_INIT;
	struct db db = DB_INIT;
	struct err e = ERR_INIT;
	int i, rc = 0, count = 0, blocked, nerr = 0, nwarn = 0, nack = 0;

	lint_opts_from_config(&o, cfg);

	if (db_configured(cfg)) {
		struct err ce = ERR_INIT;

		if (db_connect(cfg, &db, &ce) < 0)
			log_warn("no catalog numbers: %s", ce.msg);
	}
	for (i = 0; i < args->pos.n; i++)
		if (lint_path(args->pos.v[i], &o, &r, &count, &e) < 0)
			goto fail;
	if (!args->pos.n && lint_pending(cfg, &db, &o, &r, &count, &e) < 0)
		goto fail;
	if (db.conn)
		catalog_apply_to_report(&db, &o, &r);

	if (cfg->format == OUT_JSON) {
		lint_report_json(&r, &out);
		sb_addc(&out, '\n');
	} else if (cfg->format == OUT_GITHUB) {
		lint_report_github(&r, &out);
	} else {
		lint_report_text(&r, &out);
	}
	fwrite(out.buf, 1, out.len, stdout);

	for (i = 0; i < r.n; i++) {
		if (r.v[i].acknowledged || r.v[i].forced)
			nack++;
		else if (r.v[i].severity == LINT_ERROR)
			nerr++;
		else
			nwarn++;
	}
	blocked = lint_report_blocked(&r);
	log_info("linted %d migration%s: %d error%s, %d warning%s, %d acknowledged; %s", count,
		 count == 1 ? "" : "s", nerr, nerr == 1 ? "" : "s", nwarn, nwarn == 1 ? "" : "s", nack,
		 blocked ? "blocked" : "nothing blocks");
	rc = blocked ? EXIT_BLOCKED : EXIT_OK;
	goto out;
fail:
	rc = report_err(&e);
out:
	db_close(&db);
	sb_release(&out);
	lint_report_release(&r);
	return rc;
}
