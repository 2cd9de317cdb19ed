/*
 * cmd_run: `predeploy run [OPTS] [-- CMD ARGS...]`, the entrypoint pipeline:
 * wait for the database, take the migration lock, drift check, lint gate,
 * backup (policy), apply, release, report (webhook, termination message),
 * then execvp(CMD) in this process, or exit 0 without CMD.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "deploy.h"
#include "log.h"
#include "proc.h"
#include "report.h"
#include "session.h"
#include "util/exitcode.h"
#include "util/timeutil.h"
#include "util/banned.h"

const struct cmd_opt opts_run[] = { { NULL, 0, NULL } };

/* execvp the app like a shell would: 127 when not found, 126 otherwise. */
int run_exec(char **argv)
{
	int saved;

	fflush(stdout);
	fflush(stderr);
	proc_restore_defaults();
	execvp(argv[0], argv);
	saved = errno;
	log_error("could not execute \"%s\": %s", argv[0], strerror(saved));
	return saved == ENOENT || saved == ENOTDIR ? 127 : 126;
}

static void finish(const struct config *cfg, const struct report *rep)
{
	struct strbuf summary = STRBUF_INIT;

	(void)cfg;
	report_summary(rep, &summary);
	if (rep->exit_code)
		log_error("%s", summary.buf);
	else
		log_info("%s", summary.buf);
	sb_release(&summary);
}

CMD(run)
{
	struct session s = SESSION_INIT;
	struct deploy_opts o = { 0 };
	struct deploy_result r;
	struct report rep = { 0 };
	struct err e = ERR_INIT;
	int64_t t0 = now_ms();
	int rc = 0;

	if (args->pos.n) {
		log_error("unexpected argument \"%s\"", args->pos.v[0]);
		fprintf(stderr, "hint: put the app's command after \"--\": predeploy run -- %s ...\n", args->pos.v[0]);
		return EXIT_USAGE;
	}
	proc_install();
	deploy_result_init(&r);
	if (session_open(&s, cfg, SESSION_WAIT | SESSION_LOCK | SESSION_ENSURE, &e) < 0 ||
	    deploy_up(&s, &o, &r, &e) < 0) {
		if (proc_stop_signal() && e.code < 128)
			e.code = 128 + proc_stop_signal();
		rc = report_err(&e);
	}
	rep.status = rc == 0 ? "succeeded" : rc == EXIT_BLOCKED ? "blocked" : "failed";
	rep.exit_code = rc;
	rep.database = s.db.dbname[0] ? s.db.dbname : NULL;
	rep.db_host = s.db.host[0] ? s.db.host : NULL;
	rep.result = s.db.conn ? &r : NULL;
	rep.error = rc ? &e : NULL;
	session_close(&s);
	proc_reap_orphans();
	rep.duration_ms = now_ms() - t0;
	finish(cfg, &rep);
	deploy_result_release(&r);
	if (rc)
		return rc;
	if (!args->exec_argv || !args->exec_argc)
		return 0;
	return run_exec(args->exec_argv);
}
