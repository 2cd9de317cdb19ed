/* cmd_status: `predeploy status [--exit-code]`: every migration's state
 * (applied, pending, modified, missing, out_of_order), then the seeds'
 * (pending, applied, changed), text or JSON. With --exit-code: 13 on drift,
 * else 3 when a migration is pending, else 0 (seeds do not count). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "seeds.h"
#include "session.h"
#include "status_report.h"
#include "util/exitcode.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* A tool migrator: its revisions (in the order it would run them) with
 * their state, from its own tracking table. */
static int status_tool(struct session *s, const struct seed_set *ss, int exit_code, struct err *e)
{
	struct migrator *m = &s->mig;
	struct tool_state st = TOOL_STATE_INIT;
	struct strbuf sb = STRBUF_INIT;
	int rc = 0;

	if (m->ops->read_state(m, &s->db, &st, e) < 0)
		return report_err(e);
	if (s->cfg->format == OUT_JSON)
		status_report_tool_json(m, &st, s->cfg->pending_cmd != NULL, ss, &sb);
	else
		status_report_tool_text(m, &st, s->cfg->pending_cmd != NULL, ss, &sb);
	fwrite(sb.buf, 1, sb.len, stdout);
	if (exit_code && (st.npending || st.pending_unknown))
		rc = EXIT_PENDING;
	sb_release(&sb);
	tool_state_release(&st);
	return rc;
}

CMD(status)
{
	struct session *s = args->s;
	struct seed_set ss = SEED_SET_INIT;
	struct err e = ERR_INIT;
	int rc = 0;

	if (seeds_load(cfg, &ss, &e) < 0 || seeds_read_state(&ss, &s->ledger, &s->db, &e) < 0) {
		rc = report_err(&e);
		goto out;
	}
	if (!migrator_is_sql(&s->mig)) {
		rc = status_tool(s, &ss, args_has(args, "exit-code"), &e);
		goto out;
	}
	{
		struct strbuf sb = STRBUF_INIT;

		if (cfg->format == OUT_JSON)
			status_report_json(&s->plan, &ss, &sb);
		else
			status_report_text(&s->plan, &ss, &sb);
		fwrite(sb.buf, 1, sb.len, stdout);
		sb_release(&sb);
	}
	if (args_has(args, "exit-code")) {
		if (s->plan.nmodified || s->plan.nmissing || s->plan.nout_of_order)
			rc = EXIT_DRIFT;
		else if (s->plan.npending)
			rc = EXIT_PENDING;
	}
out:
	seed_set_release(&ss);
	return rc;
}
