/* plan: see plan.h. */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "util/exitcode.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

const char *mig_state_name(enum mig_state s)
{
	switch (s) {
	case MS_APPLIED: return "applied";
	case MS_PENDING: return "pending";
	case MS_MODIFIED: return "modified";
	case MS_MISSING: return "missing";
	case MS_OUT_OF_ORDER: return "out_of_order";
	}
	return "unknown";
}

void plan_build(const struct migration_set *set, const struct applied_set *a, struct plan *p)
{
	int i = 0, j = 0;

	memset(p, 0, sizeof(*p));
	p->current = a->n ? a->v[a->n - 1].version : "";
	p->v = xcalloc((size_t)(set->n + a->n) + 1, sizeof(*p->v));
	while (i < set->n || j < a->n) {
		struct plan_item *it = &p->v[p->n++];
		int c = i >= set->n ? 1 : j >= a->n ? -1 : version_cmp(set->v[i].version, a->v[j].version);

		if (c == 0) {
			it->m = &set->v[i++];
			it->a = &a->v[j++];
			it->version = it->m->version;
			if (it->a->checksum[0] && strcmp(it->a->checksum, it->m->checksum)) {
				it->state = MS_MODIFIED;
				p->nmodified++;
			} else {
				it->state = MS_APPLIED;
			}
			p->napplied++;
		} else if (c < 0) {
			it->m = &set->v[i++];
			it->version = it->m->version;
			if (a->n && version_cmp(it->version, p->current) < 0) {
				it->state = MS_OUT_OF_ORDER;
				p->nout_of_order++;
			} else {
				it->state = MS_PENDING;
				p->npending++;
			}
		} else {
			it->a = &a->v[j++];
			it->version = it->a->version;
			it->state = MS_MISSING;
			p->nmissing++;
			p->napplied++;
		}
	}
}

void plan_release(struct plan *p)
{
	free(p->v);
	memset(p, 0, sizeof(*p));
	p->current = "";
}

int plan_check_drift(const struct plan *p, int allow_drift, int allow_out_of_order, struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	int i, count = 0;

	for (i = 0; i < p->n; i++) {
		const struct plan_item *it = &p->v[i];
		const char *what = NULL;

		if ((it->state == MS_MODIFIED || it->state == MS_MISSING) && !allow_drift)
			what = it->state == MS_MODIFIED ? "modified after it was applied" : "applied, but its file is gone";
		else if (it->state == MS_OUT_OF_ORDER && !allow_out_of_order)
			what = "pending, but older than the newest applied version";
		if (!what)
			continue;
		if (count++ < 20)
			sb_addf(&sb, "%s%s %s (%s)", sb.len ? "; " : "", it->version,
				it->m ? it->m->up.path : it->a->name, what);
	}
	if (!count) {
		sb_release(&sb);
		return 0;
	}
	err_set(e, EXIT_DRIFT, "drift: %d migration%s differ%s from what the database recorded", count,
		count == 1 ? "" : "s", count == 1 ? "s" : "");
	err_detail(e, "%s%s", sb.buf, count > 20 ? "; ..." : "");
	err_hint(e, "restore the files as they were applied, or pass --allow-drift / --allow-out-of-order "
		    "after checking; 'predeploy status' shows each");
	sb_release(&sb);
	return -1;
}

int plan_pending(const struct plan *p, const char *target, int allow_out_of_order,
		 const struct migration ***out, struct err *e)
{
	const struct migration **v = xcalloc((size_t)p->n + 1, sizeof(*v));
	int i, n = 0, target_known = !target;

	for (i = 0; i < p->n; i++) {
		const struct plan_item *it = &p->v[i];
		if (target && !version_cmp(it->version, target))
			target_known = 1;
		if (target && version_cmp(it->version, target) > 0)
			continue;
		if (it->state == MS_PENDING || (it->state == MS_OUT_OF_ORDER && allow_out_of_order))
			v[n++] = it->m;
	}
	if (!target_known) {
		free(v);
		return err_set(e, EXIT_USAGE, "unknown target version \"%s\": no migration file has it", target);
	}
	*out = v;
	return n;
}
