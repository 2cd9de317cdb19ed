/* cmd_down: `predeploy down [--steps N | --target V]`: roll back applied
 * migrations with their down sections, newest first (default one step).
 * Every migration to roll back must have its file and a down section, or
 * nothing is done (src/rollback.h).  main opens the session (RUN_SESSION;
 * no lock with --sql). */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "log.h"
#include "rollback.h"
#include "util/exitcode.h"
#include "util/banned.h"

CMD_CHECK(down)
{
	const char *steps = args_get(args, "steps"), *target = args_get(args, "target");

	if (args->pos.n)
		return log_error("unexpected argument \"%s\"", args->pos.v[0]), EXIT_USAGE;
	if (steps && target)
		return log_error("--steps and --target cannot be combined"), EXIT_USAGE;
	if (steps && (atoi(steps) <= 0 || !version_valid(steps)))
		return log_error("invalid value \"%s\" for --steps: expected a number > 0", steps), EXIT_USAGE;
	if (target && !version_valid(target))
		return log_error("invalid version \"%s\" for --target: expected digits", target), EXIT_USAGE;
	return 0;
}

CMD(down)
{
	struct rollback_opts o = { 1, args_get(args, "target"), NULL };
	struct apply_result res = APPLY_RESULT_INIT;
	struct strbuf sql = STRBUF_INIT;
	struct err e = ERR_INIT;
	int rc = 0;

	(void)cfg;
	if (args_get(args, "steps"))
		o.steps = atoi(args_get(args, "steps"));
	if (args_has(args, "sql"))
		o.sql_out = &sql;
	if (rollback_run(args->s, &o, &res, &e) < 0)
		rc = report_err(&e);
	else if (o.sql_out)
		fwrite(sql.buf, 1, sql.len, stdout);
	else if (!res.ndone)
		log_info("nothing to roll back; the database is at version %s",
			 args->s->plan.current[0] ? args->s->plan.current : "(none)");
	else
		log_info("rolled back %d migration%s", res.ndone, res.ndone == 1 ? "" : "s");
	apply_result_release(&res);
	sb_release(&sql);
	return rc;
}
