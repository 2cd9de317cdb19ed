/*
 * cmd_lint: `predeploy lint [PATH...]`: risk analysis of migrations
 * (docs/rules.md).  PATHs: migration files, plain .sql files, directories,
 * "-" for standard input; without PATH the pending migrations of --dir (all
 * without a database).  With a database, findings carry table sizes.  With
 * --migrator TOOL [--since REV]: the SQL the tool sends, rehearsed
 * (rehearse_lint).  Exit 10 when one blocks, 65 for a bad file, 11 when a
 * revision fails in the rehearsal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"
#include "cmd.h"
#include "lint/lint.h"
#include "log.h"
#include "proc.h"
#include "rehearse.h"
#include "session.h"
#include "util/exitcode.h"
#include "util/fsutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

static int lint_set(const struct migration_set *set, const struct lint_opts *o, struct lint_report *r,
		    int *count, struct err *e)
{
	const struct migration **v = xcalloc((size_t)set->n + 1, sizeof(*v));
	int i, ret;

	for (i = 0; i < set->n; i++)
		v[i] = &set->v[i];
	ret = lint_migrations(v, set->n, o, r, e);
	*count += set->n;
	free(v);
	return ret;
}

static int lint_path(const char *path, const struct lint_opts *o, struct lint_report *r, int *count,
		     struct err *e)
{
	struct migration_set set = MIGRATION_SET_INIT;
	struct migration m = { 0 };
	struct strbuf sb = STRBUF_INIT;
	struct stat st;
	int ret;

	if (!strcmp(path, "-")) {
		ret = fs_read_fd(STDIN_FILENO, "<stdin>", MIGRATION_MAX_BYTES, &sb, EXIT_DATAERR, e);
		if (ret == 0)
			ret = migration_parse("<stdin>", sb.buf, sb.len, &m, e);
	} else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		ret = migration_load_dir(path, &set, e);
		if (ret == 0)
			ret = lint_set(&set, o, r, count, e);
		migration_set_release(&set);
		return ret;
	} else {
		ret = migration_load_file(path, &m, e);
	}
	if (ret == 0) {
		ret = lint_migration(&m, o, r, e);
		++*count;
	}
	migration_release(&m);
	sb_release(&sb);
	return ret;
}

/* Without PATH: the pending migrations of --dir (all without a database). */
static int lint_pending(struct session *s, int have_db, const struct lint_opts *o, struct lint_report *r,
			int *count, struct err *e)
{
	const struct migration **v = NULL;
	int n, ret;

	if (!have_db)
		return lint_set(&s->files, o, r, count, e);
	if ((n = plan_pending(&s->plan, NULL, 1, &v, e)) < 0)
		return -1;
	ret = lint_migrations(v, n, o, r, e);
	*count += n;
	free(v);
	return ret;
}

static void print_report(const struct config *cfg, const struct lint_report *r, int count)
{
	struct strbuf out = STRBUF_INIT;
	int nerr, nwarn, nack, blocked = lint_report_blocked(r);

	if (cfg->format == OUT_JSON) {
		lint_report_json(r, &out);
		sb_addc(&out, '\n');
	} else if (cfg->format == OUT_GITHUB) {
		lint_report_github(r, &out);
	} else {
		lint_report_text_view(r, lint_text_view(r, cfg->verbose, cfg->quiet), &out);
	}
	fwrite(out.buf, 1, out.len, stdout), sb_release(&out);
	lint_report_count(r, &nerr, &nwarn, &nack);
	log_info("linted %d migration%s: %d error%s, %d warning%s, %d acknowledged; %s", count,
		 count == 1 ? "" : "s", nerr, nerr == 1 ? "" : "s", nwarn, nwarn == 1 ? "" : "s", nack,
		 blocked ? "blocked" : "nothing blocks");
}

CMD(lint)
{
	struct session s = SESSION_INIT;
	struct lint_opts o;
	struct lint_report r = LINT_REPORT_INIT;
	struct err e = ERR_INIT, ce = ERR_INIT;
	int i, rc = 0, count = 0, have_db = 0, tool = rehearse_lint_wanted(cfg);

	lint_opts_from_config(&o, cfg);
	if ((tool && args->pos.n) || (!tool && args_get(args, "since")))
		return log_error("%s", tool ? "lint --migrator TOOL takes no PATH" : "--since needs --migrator TOOL"),
		       EXIT_USAGE;
	if (tool) {         /* the SQL the tool sends, rehearsed (docs/rehearsal.md) */
		proc_install();     /* the shadow is dropped on SIGTERM too */
		if (rehearse_lint(cfg, args_get(args, "since"), &r, &count, &e) < 0)
			goto fail;
	} else {
		/* the files first (bad: an error even without a database), then the session */
		if (!args->pos.n && migration_load_dir(cfg->dir, &s.files, &e) < 0)
			goto fail;
		if (config_database_configured(cfg) && !(have_db = session_open(&s, cfg, SESSION_NO_FILES, &ce) == 0))
			log_warn("no catalog numbers%s: %s", args->pos.n ? "" : "; linting every file", ce.msg);
		for (i = 0; i < args->pos.n; i++)
			if (lint_path(args->pos.v[i], &o, &r, &count, &e) < 0)
				goto fail;
		if (!args->pos.n && lint_pending(&s, have_db, &o, &r, &count, &e) < 0)
			goto fail;
		if (have_db)
			catalog_apply_to_report(&s.db, &o, &r);
	}
	print_report(cfg, &r, count);
	rc = lint_report_blocked(&r) ? EXIT_BLOCKED : EXIT_OK;
	goto out;
fail:
	rc = report_err(&e);
out:
	session_close(&s);
	lint_report_release(&r);
	return rc;
}
