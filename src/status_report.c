/* status_report: see status_report.h. */
#include "status_report.h"

#include <stdlib.h>

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
	int i;

	sb_adds(out, "{\"current\":");
	sb_add_json_str(out, p->current[0] ? p->current : NULL);
	sb_addf(out, ",\"applied\":%d,\"pending\":%d,\"modified\":%d,\"missing\":%d,\"out_of_order\":%d,"
		     "\"migrations\":[", p->napplied, p->npending, p->nmodified,
		p->nmissing, p->nout_of_order);
	for (i = 0; i < p->n; i++) {
		const struct plan_item *it = &p->v[i];
		sb_adds(out, i ? ",{\"version\":" : "{\"version\":");
		sb_add_json_str(out, it->version);
		sb_adds(out, ",\"name\":");
		sb_add_json_str(out, it->m ? it->m->name : it->a->name);
		sb_adds(out, ",\"state\":");
		sb_add_json_str(out, mig_state_name(it->state));
		sb_adds(out, ",\"file\":");
		sb_add_json_str(out, it->m ? it->m->up.path : NULL);
		sb_adds(out, ",\"applied_at\":");
		sb_add_json_str(out, it->a ? it->a->applied_at : NULL);
		sb_adds(out, ",\"checksum\":");
		sb_add_json_str(out, it->m ? it->m->checksum : it->a->checksum);
		sb_adds(out, "}");
	}
	sb_adds(out, "]");
	seeds_json(ss, out);
	sb_adds(out, "}\n");
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
	int i;

	sb_adds(out, "{\"migrator\":");
	sb_add_json_str(out, m->ops->name);
	sb_adds(out, ",\"current\":");
	sb_add_json_str(out, st->current[0] ? st->current : NULL);
	sb_addf(out, ",\"applied\":%d,\"pending\":%d", st->napplied, st->npending);
	if (st->pending_unknown && !pending_cmd)
		sb_adds(out, ",\"pending_unknown\":true");
	sb_adds(out, ",\"migrations\":[");
	for (i = 0; i < m->nrevs; i++) {
		sb_adds(out, i ? ",{\"version\":" : "{\"version\":");
		sb_add_json_str(out, m->revs[i].id);
		sb_adds(out, ",\"name\":");
		sb_add_json_str(out, m->revs[i].name);
		sb_addf(out, ",\"state\":\"%s\",\"file\":", m->revs[i].applied ? "applied" : "pending");
		sb_add_json_str(out, m->revs[i].path);
		sb_adds(out, "}");
	}
	sb_adds(out, "]");
	seeds_json(ss, out);
	sb_adds(out, "}\n");
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
