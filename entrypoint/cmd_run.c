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
#include "termlog.h"
#include "webhook.h"
#include "util/exitcode.h"
#include "util/timeutil.h"
#include "util/banned.h"

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

/* Log, webhook, termination message. Returns the exit code, which becomes
 * EXIT_WEBHOOK when delivery failed, --webhook-required is set and the
 * deploy itself succeeded. */
static int finish(const struct config *cfg, const struct report *rep)
{
	struct strbuf summary = STRBUF_INIT, data = STRBUF_INIT;
	struct webhook_limits lim = WEBHOOK_LIMITS_DEFAULT;
	struct webhook_msg m;
	struct err e = ERR_INIT;
	int rc = rep->exit_code;

	report_summary(rep, &summary);
	if (rep->exit_code)
		log_error("%s", summary.buf);
	else
		log_info("%s", summary.buf);
	if (cfg->webhooks.n) {
		report_data_json(rep, &data);
		m.type = rep->exit_code ? "deploy.failed" : "deploy.succeeded";
		m.data_json = data.buf;
		m.summary = summary.buf;
		m.details = rep->result && rep->result->lint_text.len ? rep->result->lint_text.buf : NULL;
		/* after a stop signal: one attempt, no retries */
		lim.stop = proc_stop_flag();
		if (webhook_deliver_limits(cfg, &m, &lim, &e) < 0) {
			if (cfg->webhook_required && rc == 0) {
				log_err(&e);
				rc = EXIT_WEBHOOK;
			}
		}
	}
	termlog_write(cfg->termination_log, summary.buf);
	sb_release(&summary);
	sb_release(&data);
	return rc;
}

static int notify_start(const struct config *cfg)
{
	struct strbuf data = STRBUF_INIT;
	struct webhook_msg m = { "deploy.started", NULL, "deploy started", NULL };
	struct json_w j;
	struct err e = ERR_INIT;
	int rc = 0;

	jw_init(&j, &data, 0);
	jw_obj(&j, NULL);
	jw_str(&j, "status", "started");
	webhook_add_context(&j);
	jw_end(&j);
	m.data_json = data.buf;
	if (webhook_deliver(cfg, &m, &e) < 0 && cfg->webhook_required)
		rc = report_err(&e);
	sb_release(&data);
	return rc;
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
	if (webhook_check_config(cfg, &e) < 0)
		return report_err(&e);
	proc_install();
	if (cfg->webhooks.n && cfg->webhook_events_all && (rc = notify_start(cfg)) != 0)
		return rc;
	deploy_result_init(&r);
	o.progress = progress_stderr();
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
	rc = finish(cfg, &rep);
	deploy_result_release(&r);
	if (rc)
		return rc;
	if (!args->exec_argv || !args->exec_argc)
		return 0;
	return run_exec(args->exec_argv);
}
