/* cmd_down: `predeploy down [--steps N | --target V]`: roll back applied
 * migrations with their down sections, newest first (default one step).
 * Every migration to roll back must have its file and a down section, or
 * nothing is done. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "cmd.h"
#include "lint/lint.h"
#include "log.h"
#include "proc.h"
#include "session.h"
#include "util/exitcode.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* Down sections are destructive by nature and the operator asked for them,
 * so lint findings are only shown; but a destructive operation on a
 * protected table still needs --force. Returns the number blocked. */
static int protect_gate(const struct config *cfg, const struct migration *const *list, int n, struct err *e)
{
	struct lint_opts lo;
	struct lint_report rep = LINT_REPORT_INIT;
	struct strbuf text = STRBUF_INIT;
	int i, blocked = 0;

	lint_opts_from_config(&lo, cfg);
	lo.allow = NULL;
	lo.fail_on_warning = 0;
	lo.large_table = 0;
	lo.server_judges_syntax = 1;
	for (i = 0; i < n; i++) {
		const struct section *d = &list[i]->down;
		if (lint_sql(d->sql, d->len, d->path, d->line, d->no_transaction, &lo, &rep, e) < 0) {
			lint_report_release(&rep);
			return -1;
		}
	}
	for (i = 0; i < rep.n; i++)
		if (rep.v[i].protected_table && !rep.v[i].forced)
			blocked++;
	lint_report_text(&rep, &text);
	if (text.len)
		log_msg(blocked ? LOG_ERROR : LOG_INFO, "lint findings in the down sections:\n%s", text.buf);
	if (blocked) {
		err_set(e, EXIT_BLOCKED, "%d destructive statement%s on protected tables; nothing was rolled back",
			blocked, blocked == 1 ? "" : "s");
		err_hint(e, "pass --force to roll back anyway (recorded in history)");
	}
	sb_release(&text);
	lint_report_release(&rep);
	return blocked ? -1 : 0;
}

CMD(down)
{
	struct session s = SESSION_INIT;
	struct err e = ERR_INIT;
	struct apply_result res = APPLY_RESULT_INIT;
	struct apply_opts ao = { 0 };
	struct strbuf sql = STRBUF_INIT;
	const struct migration **list = NULL;
	const char *steps_s = args_get(args, "steps"), *target = args_get(args, "target");
	int rc = 0, steps = 1, n = 0, i;

	if (args->pos.n)
		return log_error("unexpected argument \"%s\"", args->pos.v[0]), EXIT_USAGE;
	if (steps_s && target)
		return log_error("--steps and --target cannot be combined"), EXIT_USAGE;
	if (steps_s && ((steps = atoi(steps_s)) <= 0 || !version_valid(steps_s)))
		return log_error("invalid value \"%s\" for --steps: expected a number > 0", steps_s), EXIT_USAGE;
	if (target && !version_valid(target))
		return log_error("invalid version \"%s\" for --target: expected digits", target), EXIT_USAGE;
	proc_install();
	if (session_open(&s, cfg, args_has(args, "sql") ? 0 : SESSION_LOCK | SESSION_ENSURE, &e) < 0 ||
	    session_require_sql(&s, "down", &e) < 0)
		goto fail;

	list = xcalloc((size_t)s.plan.n + 1, sizeof(*list));
	for (i = s.plan.n - 1; i >= 0; i--) {
		const struct plan_item *it = &s.plan.v[i];
		if (!it->a)
			continue;
		if (target ? version_cmp(it->version, target) <= 0 : n >= steps)
			break;
		if (!it->m) {
			err_set(&e, EXIT_DRIFT, "cannot roll back %s: its migration file is gone", it->version);
			goto fail;
		}
		if (it->state == MS_MODIFIED && !cfg->allow_drift) {
			err_set(&e, EXIT_DRIFT, "cannot roll back %s: its file changed after it was applied",
				it->version);
			err_where(&e, it->m->up.path, 0);
			err_hint(&e, "pass --allow-drift to run its current down section anyway");
			goto fail;
		}
		if (!it->m->down.present) {
			err_set(&e, EXIT_DATAERR, "migration %s has no down section; nothing was rolled back",
				it->version);
			err_where(&e, it->m->up.path, 0);
			goto fail;
		}
		list[n++] = it->m;
	}
	if (!n) {
		log_info("nothing to roll back; the database is at version %s",
			 s.plan.current[0] ? s.plan.current : "(none)");
		goto out;
	}
	if (protect_gate(cfg, list, n, &e) < 0)
		goto fail;
	ao.forced = cfg->force && cfg->protect.n;
	ao.lock_timeout_ms = cfg->lock_timeout_ms;
	ao.lock_retries = cfg->lock_retries;
	ao.statement_timeout_ms = cfg->statement_timeout_ms;
	ao.sql_out = args_has(args, "sql") ? &sql : NULL;
	if (apply_down(&s.db, &s.ledger, list, n, &ao, &res, &e) < 0)
		goto fail;
	if (ao.sql_out)
		fwrite(sql.buf, 1, sql.len, stdout);
	else
		log_info("rolled back %d migration%s", res.ndone, res.ndone == 1 ? "" : "s");
	goto out;
fail:
	rc = report_err(&e);
out:
	free(list);
	apply_result_release(&res);
	sb_release(&sql);
	session_close(&s);
	return rc;
}
