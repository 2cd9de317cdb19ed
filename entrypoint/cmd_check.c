/* cmd_check: `predeploy check [--since V] [--shadow-database-url URL]
 * [--allow-missing-down]`: every migration after V goes up, down and up
 * again on a scratch database, and the schema after each down must equal
 * the schema before its up (src/check.h, docs/check.md).  Exit 0 when all
 * round-trip, 16 when one does not, 65 for an unparsable file.  With
 * --migrator alembic|mikro-orm (or detected) the tool's own revisions go up
 * and down through its commands (src/check_tool.c); Prisma exits 64. */
#include <stdio.h>

#include "check.h"
#include "cmd.h"
#include "log.h"
#include "migrator.h"
#include "proc.h"
#include "util/exitcode.h"
#include "util/strbuf.h"
#include "util/banned.h"

CMD(check)
{
	struct migration_set set = MIGRATION_SET_INIT;
	struct check_result r = CHECK_RESULT_INIT;
	struct check_opts o = { args_get(args, "since"), cfg->shadow_database_url,
				args_has(args, "allow-missing-down"), NULL };
	struct strbuf sb = STRBUF_INIT;
	struct db live = DB_INIT;
	struct migrator mig = MIGRATOR_INIT;
	struct err e = ERR_INIT;
	int rc;

	if (args->pos.n)
		return log_error("unexpected argument \"%s\"", args->pos.v[0]), EXIT_USAGE;
	proc_install();
	if (migrator_open(&mig, cfg, &e) < 0) {
		rc = report_err(&e);
		goto out;
	}
	if (!migrator_is_sql(&mig)) {
		o.tool = &mig;  /* Alembic or MikroORM through their own up and down (check.h) */
		if (check_tool_supported(&mig, &e) < 0) {
			rc = report_err(&e);
			goto out;
		}
	} else if (o.since && !version_valid(o.since)) {
		rc = EXIT_USAGE;
		log_error("--since \"%s\" is not a migration version (leading digits)", o.since);
		goto out;
	} else if (migration_load_dir(cfg->dir, &set, &e) < 0) {
		rc = report_err(&e);
		goto out;
	}
	/* With a scratch URL the configured database is not needed at all. */
	if (!o.shadow_url && (rc = connect_db(cfg, &live, cfg->wait_timeout_ms)) != 0)
		goto out;
	if (check_run(cfg, &live, &o, &set, &r, &e) < 0) {
		rc = report_err(&e);
		goto out;
	}
	if (cfg->format == OUT_JSON)
		check_report_json(&r, &sb);
	else if (cfg->format == OUT_GITHUB)
		check_report_github(&r, &sb);
	else
		check_report_text(&r, &sb);
	fwrite(sb.buf, 1, sb.len, stdout);
	rc = r.nfailed ? EXIT_ROUNDTRIP : EXIT_OK;
	if (r.nfailed)
		log_error("%d of %d migrations do not round-trip (up, down, up)", r.nfailed, r.n);
out:
	sb_release(&sb);
	check_result_release(&r);
	migration_set_release(&set);
	migrator_close(&mig);
	db_close(&live);
	return rc;
}
