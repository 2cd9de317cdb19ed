/* rollback: see rollback.h. */
#include "rollback.h"

#include <stdlib.h>

#include "lint/lint.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/xalloc.h"
#include "util/banned.h"

int rollback_protect_gate(const struct config *cfg, const struct migration *const *list, int n,
			  struct err *e)
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

/* The migrations to roll back, newest first, into list; their number or -1. */
static int pick(const struct session *s, const struct rollback_opts *o, const struct migration **list,
		struct err *e)
{
	int i, n = 0;

	for (i = s->plan.n - 1; i >= 0; i--) {
		const struct plan_item *it = &s->plan.v[i];
		if (!it->a)
			continue;
		if (o->target ? version_cmp(it->version, o->target) <= 0 : n >= o->steps)
			break;
		if (!it->m)
			return err_set(e, EXIT_DRIFT, "cannot roll back %s: its migration file is gone", it->version);
		if (it->state == MS_MODIFIED && !s->cfg->allow_drift) {
			err_set(e, EXIT_DRIFT, "cannot roll back %s: its file changed after it was applied",
				it->version);
			err_where(e, it->m->up.path, 0);
			err_hint(e, "pass --allow-drift to run its current down section anyway");
			return -1;
		}
		if (!it->m->down.present) {
			err_set(e, EXIT_DATAERR, "migration %s has no down section; nothing was rolled back",
				it->version);
			err_where(e, it->m->up.path, 0);
			return -1;
		}
		list[n++] = it->m;
	}
	return n;
}

int rollback_run(struct session *s, const struct rollback_opts *o, struct apply_result *res, struct err *e)
{
	const struct config *cfg = s->cfg;
	const struct migration **list = xcalloc((size_t)s->plan.n + 1, sizeof(*list));
	struct apply_opts ao = { 0 };
	int n, ret = -1;

	if (session_require_sql(s, "down", e) < 0 || (n = pick(s, o, list, e)) < 0)
		goto out;
	ret = 0;
	if (!n)
		goto out;
	ret = -1;
	if (rollback_protect_gate(cfg, list, n, e) < 0)
		goto out;
	ao.forced = cfg->force && cfg->protect.n;
	ao.lock_timeout_ms = cfg->lock_timeout_ms;
	ao.lock_retries = cfg->lock_retries;
	ao.statement_timeout_ms = cfg->statement_timeout_ms;
	ao.sql_out = o->sql_out;
	ret = apply_down(&s->db, &s->ledger, list, n, &ao, res, e);
out:
	free(list);
	return ret;
}
