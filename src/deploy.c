/* deploy: see deploy.h. */
#include "deploy.h"

#include <stdlib.h>
#include <string.h>

#include "dryrun.h"
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

	if (o->dry_run) {
		/* rehearse in one transaction, report locks and rewrites, roll back */
		ret = dryrun_trace(&s->db, pending, n, cfg->format, o->dry_run_out, e);
		goto out;
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
