/* cmd_up: `predeploy up [--target V] [--sql] [--dry-run]`: apply pending
 * migrations under the migration lock (see src/deploy.h for the order).
 * main opens the session (RUN_SESSION; no lock with --sql or --dry-run). */
#include <stdio.h>

#include "cmd.h"
#include "deploy.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/banned.h"

CMD_CHECK(up)
{
	if (args->pos.n)
		return log_error("unexpected argument \"%s\"", args->pos.v[0]), EXIT_USAGE;
	if (args_has(args, "sql") && args_has(args, "dry-run"))
		return log_error("--sql and --dry-run cannot be combined"), EXIT_USAGE;
	return 0;
}

CMD(up)
{
	struct deploy_opts o = { 0 };
	struct deploy_result r;
	struct strbuf sql = STRBUF_INIT, dry = STRBUF_INIT;
	struct err e = ERR_INIT;
	int rc = 0;

	(void)cfg;
	o.target = args_get(args, "target");
	o.progress = progress_stderr();
	if (args_has(args, "sql"))
		o.sql_out = &sql;
	if (args_has(args, "dry-run")) {
		o.dry_run = 1;
		o.dry_run_out = &dry;
	}
	deploy_result_init(&r);
	if (deploy_up(args->s, &o, &r, &e) < 0) {
		/* a dry run shows how far the rehearsal got, and where it failed */
		fwrite(dry.buf, 1, dry.len, stdout);
		rc = report_err(&e);
		goto out;
	}
	if (o.sql_out) {
		fwrite(sql.buf, 1, sql.len, stdout);
	} else if (o.dry_run) {
		fwrite(dry.buf, 1, dry.len, stdout);
	} else if (!r.npending) {
		log_info("nothing to apply; the database is at version %s", r.from_version[0] ? r.from_version : "(none)");
	} else {
		log_info("applied %d migration%s: %s -> %s", r.apply.ndone, r.apply.ndone == 1 ? "" : "s",
			 r.from_version[0] ? r.from_version : "(none)", r.to_version);
	}
out:
	deploy_result_release(&r);
	sb_release(&sql);
	sb_release(&dry);
	return rc;
}
