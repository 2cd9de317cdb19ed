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
#include "util/exitcode.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* ,"seeds":[...] */
static void seeds_json(const struct seed_set *ss, struct strbuf *sb)
{
	int i;

	sb_adds(sb, ",\"seeds\":[");
	for (i = 0; i < ss->n; i++) {
		sb_adds(sb, i ? ",{\"name\":" : "{\"name\":");
		sb_add_json_str(sb, ss->v[i].m.name);
		sb_adds(sb, ",\"state\":");
		sb_add_json_str(sb, seed_state_name(ss->v[i].state));
		sb_addf(sb, ",\"always\":%s,\"due\":%s,\"file\":", ss->v[i].always ? "true" : "false",
			ss->v[i].due ? "true" : "false");
		sb_add_json_str(sb, ss->v[i].m.up.path);
		sb_adds(sb, ",\"applied_at\":");
		sb_add_json_str(sb, ss->v[i].applied_at);
		sb_adds(sb, ",\"checksum\":");
		sb_add_json_str(sb, ss->v[i].m.checksum);
		sb_adds(sb, "}");
	}
	sb_adds(sb, "]");
}

static void seeds_text(const struct seed_set *ss)
{
	int i;

	if (!ss->n)
		return;
	printf("\n%-32s %-12s %-20s %s\n", "SEED", "STATE", "APPLIED AT", "RUNS");
	for (i = 0; i < ss->n; i++)
		printf("%-32s %-12s %-20s %s\n", ss->v[i].m.name, seed_state_name(ss->v[i].state),
		       ss->v[i].applied_at ? ss->v[i].applied_at : "-",
		       ss->v[i].always ? "every deploy" : "when new or changed");
	printf("\n%d seed%s, %d to run on the next deploy\n", ss->n, ss->n == 1 ? "" : "s", ss->ndue);
}

static void print_json(const struct session *s, const struct seed_set *ss)
{
	struct strbuf sb = STRBUF_INIT;
	int i;

	sb_adds(&sb, "{\"current\":");
	sb_add_json_str(&sb, s->plan.current[0] ? s->plan.current : NULL);
	sb_addf(&sb, ",\"applied\":%d,\"pending\":%d,\"modified\":%d,\"missing\":%d,\"out_of_order\":%d,"
		     "\"migrations\":[", s->plan.napplied, s->plan.npending, s->plan.nmodified,
		s->plan.nmissing, s->plan.nout_of_order);
	for (i = 0; i < s->plan.n; i++) {
		const struct plan_item *it = &s->plan.v[i];
		sb_adds(&sb, i ? ",{\"version\":" : "{\"version\":");
		sb_add_json_str(&sb, it->version);
		sb_adds(&sb, ",\"name\":");
		sb_add_json_str(&sb, it->m ? it->m->name : it->a->name);
		sb_adds(&sb, ",\"state\":");
		sb_add_json_str(&sb, mig_state_name(it->state));
		sb_adds(&sb, ",\"file\":");
		sb_add_json_str(&sb, it->m ? it->m->up.path : NULL);
		sb_adds(&sb, ",\"applied_at\":");
		sb_add_json_str(&sb, it->a ? it->a->applied_at : NULL);
		sb_adds(&sb, ",\"checksum\":");
		sb_add_json_str(&sb, it->m ? it->m->checksum : it->a->checksum);
		sb_adds(&sb, "}");
	}
	sb_adds(&sb, "]");
	seeds_json(ss, &sb);
	sb_adds(&sb, "}\n");
	fwrite(sb.buf, 1, sb.len, stdout);
	sb_release(&sb);
}

static void print_text(const struct session *s, const struct seed_set *ss)
{
	int i;

	printf("%-16s %-12s %-20s %s\n", "VERSION", "STATE", "APPLIED AT", "NAME");
	for (i = 0; i < s->plan.n; i++) {
		const struct plan_item *it = &s->plan.v[i];
		printf("%-16s %-12s %-20s %s\n", it->version, mig_state_name(it->state),
		       it->a ? it->a->applied_at : "-", it->m ? it->m->name : it->a->name);
	}
	printf("\ncurrent version: %s; %d applied, %d pending", s->plan.current[0] ? s->plan.current : "(none)",
	       s->plan.napplied, s->plan.npending);
	if (s->plan.nmodified || s->plan.nmissing || s->plan.nout_of_order)
		printf("; drift: %d modified, %d missing, %d out of order", s->plan.nmodified,
		       s->plan.nmissing, s->plan.nout_of_order);
	printf("\n");
	seeds_text(ss);
}

/* A tool migrator: its revisions (in the order it would run them) with
 * their state, from its own tracking table. */
static int status_tool(struct session *s, const struct seed_set *ss, int exit_code, struct err *e)
{
	struct migrator *m = &s->mig;
	struct tool_state st = TOOL_STATE_INIT;
	struct strbuf sb = STRBUF_INIT;
	int i, j, rc = 0;

	if (m->ops->read_state(m, &s->db, &st, e) < 0)
		return report_err(e);
	if (s->cfg->format == OUT_JSON) {
		sb_adds(&sb, "{\"migrator\":");
		sb_add_json_str(&sb, m->ops->name);
		sb_adds(&sb, ",\"current\":");
		sb_add_json_str(&sb, st.current[0] ? st.current : NULL);
		sb_addf(&sb, ",\"applied\":%d,\"pending\":%d", st.napplied, st.npending);
		if (st.pending_unknown && !s->cfg->pending_cmd)
			sb_adds(&sb, ",\"pending_unknown\":true");
		sb_adds(&sb, ",\"migrations\":[");
		for (i = 0; i < m->nrevs; i++) {
			sb_adds(&sb, i ? ",{\"version\":" : "{\"version\":");
			sb_add_json_str(&sb, m->revs[i].id);
			sb_adds(&sb, ",\"name\":");
			sb_add_json_str(&sb, m->revs[i].name);
			sb_addf(&sb, ",\"state\":\"%s\",\"file\":", m->revs[i].applied ? "applied" : "pending");
			sb_add_json_str(&sb, m->revs[i].path);
			sb_adds(&sb, "}");
		}
		sb_adds(&sb, "]");
		seeds_json(ss, &sb);
		sb_adds(&sb, "}\n");
		fwrite(sb.buf, 1, sb.len, stdout);
	} else {
		const struct mig_rev **order = xcalloc((size_t)m->nrevs + 1, sizeof(*order));
		int n = mig_topo_order(m, order);

		printf("%-28s %-10s %s\n", "REVISION", "STATE", "NAME");
		for (i = 0; i < n; i++)
			if (order[i]->applied)
				printf("%-28s %-10s %s\n", order[i]->id, "applied", order[i]->name);
		free(order);
		for (j = 0; j < st.npending; j++)
			printf("%-28s %-10s %s\n", st.pending[j]->id, "pending", st.pending[j]->name);
		if (st.pending_unknown && !s->cfg->pending_cmd)
			printf("\n%s migrator without --pending-cmd: every start counts as pending\n", m->ops->name);
		else
			printf("\n%s: current revision %s; %d applied, %d pending\n", m->ops->name,
			       st.current[0] ? st.current : "(none)", st.napplied, st.npending ? st.npending : st.pending_unknown);
		seeds_text(ss);
	}
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
	if (cfg->format == OUT_JSON)
		print_json(s, &ss);
	else
		print_text(s, &ss);
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
