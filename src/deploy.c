/* deploy: see deploy.h. */
#include "deploy.h"

#include <stdlib.h>
#include <string.h>

#include "backup.h"
#include "catalog.h"
#include "dryrun.h"
#include "lint/lint.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/xalloc.h"
#include "util/banned.h"

void deploy_result_init(struct deploy_result *r)
{
	memset(r, 0, sizeof(*r));
	sb_init(&r->lint_json, 0);
	sb_init(&r->lint_text, 0);
	sb_adds(&r->lint_json, "[]");
}

void deploy_result_release(struct deploy_result *r)
{
	apply_result_release(&r->apply);
	sb_release(&r->lint_json);
	sb_release(&r->lint_text);
	free(r->backup_file);
	free(r->backup_sha256);
	memset(r, 0, sizeof(*r));
}

/* The lint gate: every pending migration, catalog-aware (rows and size of
 * the tables findings name), before any backup or write. */
static int lint_gate(struct session *s, const struct migration **pending, int n, struct deploy_result *r,
		     struct err *e)
{
	const struct config *cfg = s->cfg;
	struct lint_opts lo;
	struct lint_report rep = LINT_REPORT_INIT;
	int blocked, ret = -1;

	lint_opts_from_config(&lo, cfg);
	lo.server_judges_syntax = 1;
	if (lint_migrations(pending, n, &lo, &rep, e) < 0)
		goto out;
	catalog_apply_to_report(&s->db, &lo, &rep);
	sb_reset(&r->lint_json);
	lint_report_json(&rep, &r->lint_json);
	lint_report_text_view(&rep, lint_text_view(&rep, cfg->verbose, cfg->quiet), &r->lint_text);
	r->forced = lint_report_forced(&rep) > 0;
	blocked = lint_report_blocked(&rep);
	if (r->lint_text.len)
		log_msg(blocked ? LOG_ERROR : LOG_WARN, "lint findings in pending migrations:\n%s", r->lint_text.buf);
	if (r->forced)
		log_warn("--force: %d blocking finding%s passed; recorded in history",
			 lint_report_forced(&rep), lint_report_forced(&rep) == 1 ? "" : "s");
	if (blocked) {
		r->lint_blocked = 1;
		err_set(e, EXIT_BLOCKED, "%d risky statement%s blocked; nothing was changed", blocked,
			blocked == 1 ? "" : "s");
		err_hint(e, "fix the migration, or acknowledge a finding with \"-- predeploy:allow RULE reason\" "
			    "above the statement or --allow RULE; protected tables need --force; "
			    "docs/rules.md explains each rule");
		goto out;
	}
	ret = 0;
out:
	lint_report_release(&rep);
	return ret;
}

int deploy_up(struct session *s, const struct deploy_opts *o, struct deploy_result *r, struct err *e)
{
	const struct config *cfg = s->cfg;
	const struct migration **pending = NULL;
	struct apply_opts ao;
	int n, ret = -1;

	xstrlcpy(r->from_version, s->plan.current, sizeof(r->from_version));
	xstrlcpy(r->to_version, s->plan.current, sizeof(r->to_version));
	if (plan_check_drift(&s->plan, cfg->allow_drift, cfg->allow_out_of_order, e) < 0)
		return -1;
	n = plan_pending(&s->plan, o->target, cfg->allow_out_of_order, &pending, e);
	if (n < 0)
		return -1;
	r->npending = n;
	if (n == 0) {
		ret = 0;
		goto out;
	}

	if (!o->sql_out && lint_gate(s, pending, n, r, e) < 0) {
		if (!o->dry_run || e->code != EXIT_BLOCKED)
			goto out;
		/* a dry run still traces what lint would block */
		log_warn("%s (tracing anyway: --dry-run changes nothing)", e->msg);
		err_clear(e);
	}
	if (o->dry_run) {
		ret = dryrun_trace(&s->db, pending, n, cfg->format, o->dry_run_out, e);
		goto out;
	}

	if (!o->sql_out && backup_wanted(cfg, n)) {
		struct backup_info bi;
		struct strlist versions = { 0 };
		int i, rc;

		for (i = 0; i < n; i++)
			strlist_add(&versions, pending[i]->version);
		rc = backup_for_deploy(cfg, &s->db, s->plan.current, &versions, o->progress, &bi, e);
		strlist_clear(&versions);
		if (rc < 0)
			goto out;
		r->backup_file = xstrdup(bi.path);
		r->backup_sha256 = xstrdup(bi.sha256);
		r->backup_reused = bi.reused;
	}

	memset(&ao, 0, sizeof(ao));
	ao.lock_timeout_ms = cfg->lock_timeout_ms;
	ao.lock_retries = cfg->lock_retries;
	ao.statement_timeout_ms = cfg->statement_timeout_ms;
	ao.single_transaction = cfg->single_transaction;
	ao.sql_out = o->sql_out;
	ao.backup_file = r->backup_file;
	ao.backup_sha256 = r->backup_sha256;
	ao.forced = r->forced;
	if (apply_up(&s->db, &s->ledger, pending, n, &ao, &r->apply, e) < 0)
		goto out;
	if (!o->sql_out && r->apply.ndone)
		xstrlcpy(r->to_version, r->apply.done[r->apply.ndone - 1].version, sizeof(r->to_version));
	ret = 0;
out:
	free(pending);
	return ret;
}
