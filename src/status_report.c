/* status_report: see status_report.h. */
#include "status_report.h"

#include <stdlib.h>

#include "util/json.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* "seeds":[...] */
static void seeds_json(const struct seed_set *ss, struct json_w *j)
{
	int i;

	jw_arr(j, "seeds");
	for (i = 0; i < ss->n; i++) {
		jw_obj(j, NULL);
		jw_str(j, "name", ss->v[i].m.name);
		jw_str(j, "state", seed_state_name(ss->v[i].state));
		jw_bool(j, "always", ss->v[i].always);
		jw_bool(j, "due", ss->v[i].due);
		jw_str(j, "file", ss->v[i].m.up.path);
		jw_str(j, "applied_at", ss->v[i].applied_at);
		jw_str(j, "checksum", ss->v[i].m.checksum);
		jw_end(j);
	}
	jw_end(j);
}

static void seeds_text(const struct seed_set *ss, struct strbuf *out)
{
	int i;

	if (!ss->n)
		return;
	sb_addf(out, "\n%-32s %-12s %-20s %s\n", "SEED", "STATE", "APPLIED AT", "RUNS");
	for (i = 0; i < ss->n; i++)
		sb_addf(out, "%-32s %-12s %-20s %s\n", ss->v[i].m.name, seed_state_name(ss->v[i].state),
		       ss->v[i].applied_at ? ss->v[i].applied_at : "-",
		       ss->v[i].always ? "every deploy" : "when new or changed");
	sb_addf(out, "\n%d seed%s, %d to run on the next deploy\n", ss->n, ss->n == 1 ? "" : "s", ss->ndue);
}

void status_report_json(const struct plan *p, const struct seed_set *ss, struct strbuf *out)
{
	struct json_w j;
	int i;

	jw_init(&j, out, 0);
	jw_obj(&j, NULL);
	jw_str(&j, "current", p->current[0] ? p->current : NULL);
	jw_int(&j, "applied", p->napplied);
	jw_int(&j, "pending", p->npending);
	jw_int(&j, "modified", p->nmodified);
	jw_int(&j, "missing", p->nmissing);
	jw_int(&j, "out_of_order", p->nout_of_order);
	jw_arr(&j, "migrations");
	for (i = 0; i < p->n; i++) {
		const struct plan_item *it = &p->v[i];

		jw_obj(&j, NULL);
		jw_str(&j, "version", it->version);
		jw_str(&j, "name", it->m ? it->m->name : it->a->name);
		jw_str(&j, "state", mig_state_name(it->state));
		jw_str(&j, "file", it->m ? it->m->up.path : NULL);
		jw_str(&j, "applied_at", it->a ? it->a->applied_at : NULL);
		jw_str(&j, "checksum", it->m ? it->m->checksum : it->a->checksum);
		jw_end(&j);
	}
	jw_end(&j);
	seeds_json(ss, &j);
	jw_end(&j);
	sb_addc(out, '\n');
}

void status_report_text(const struct plan *p, const struct seed_set *ss, struct strbuf *out)
{
	int i;

	sb_addf(out, "%-16s %-12s %-20s %s\n", "VERSION", "STATE", "APPLIED AT", "NAME");
	for (i = 0; i < p->n; i++) {
		const struct plan_item *it = &p->v[i];
		sb_addf(out, "%-16s %-12s %-20s %s\n", it->version, mig_state_name(it->state),
		       it->a ? it->a->applied_at : "-", it->m ? it->m->name : it->a->name);
	}
	sb_addf(out, "\ncurrent version: %s; %d applied, %d pending", p->current[0] ? p->current : "(none)",
	       p->napplied, p->npending);
	if (p->nmodified || p->nmissing || p->nout_of_order)
		sb_addf(out, "; drift: %d modified, %d missing, %d out of order", p->nmodified,
		       p->nmissing, p->nout_of_order);
	sb_addf(out, "\n");
	seeds_text(ss, out);
}

void status_report_tool_json(const struct migrator *m, const struct tool_state *st, int pending_cmd,
			     const struct seed_set *ss, struct strbuf *out)
{
	struct json_w j;
	int i;

	jw_init(&j, out, 0);
	jw_obj(&j, NULL);
	jw_str(&j, "migrator", m->ops->name);
	jw_str(&j, "current", st->current[0] ? st->current : NULL);
	jw_int(&j, "applied", st->napplied);
	jw_int(&j, "pending", st->npending);
	if (st->pending_unknown && !pending_cmd)
		jw_bool(&j, "pending_unknown", 1);
	jw_arr(&j, "migrations");
	for (i = 0; i < m->nrevs; i++) {
		jw_obj(&j, NULL);
		jw_str(&j, "version", m->revs[i].id);
		jw_str(&j, "name", m->revs[i].name);
		jw_str(&j, "state", m->revs[i].applied ? "applied" : "pending");
		jw_str(&j, "file", m->revs[i].path);
		jw_end(&j);
	}
	jw_end(&j);
	seeds_json(ss, &j);
	jw_end(&j);
	sb_addc(out, '\n');
}

void status_report_tool_text(const struct migrator *m, const struct tool_state *st, int pending_cmd,
			     const struct seed_set *ss, struct strbuf *out)
{
	const struct mig_rev **order = xcalloc((size_t)m->nrevs + 1, sizeof(*order));
	int i, j, n = mig_topo_order(m, order);

	sb_addf(out, "%-28s %-10s %s\n", "REVISION", "STATE", "NAME");
	for (i = 0; i < n; i++)
		if (order[i]->applied)
			sb_addf(out, "%-28s %-10s %s\n", order[i]->id, "applied", order[i]->name);
	free(order);
	for (j = 0; j < st->npending; j++)
		sb_addf(out, "%-28s %-10s %s\n", st->pending[j]->id, "pending", st->pending[j]->name);
	if (st->pending_unknown && !pending_cmd)
		sb_addf(out, "\n%s migrator without --pending-cmd: every start counts as pending\n", m->ops->name);
	else
		sb_addf(out, "\n%s: current revision %s; %d applied, %d pending\n", m->ops->name,
		       st->current[0] ? st->current : "(none)", st->napplied, st->npending ? st->npending : st->pending_unknown);
	seeds_text(ss, out);
}
