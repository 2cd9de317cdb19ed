/*
 * plan: compare the migration files with the tracking table.
 *
 * Every version ends up in one state: applied, pending, modified (applied,
 * but the file's up-section checksum changed), missing (applied, file gone)
 * or out_of_order (pending, but older than the newest applied version).
 * Modified, missing and out-of-order are drift: plan_check_drift() refuses
 * with EXIT_DRIFT listing each, unless allowed.
 */
#ifndef PREDEPLOY_PLAN_H
#define PREDEPLOY_PLAN_H

#include "ledger.h"
#include "migration.h"
#include "util/err.h"

enum mig_state { MS_APPLIED, MS_PENDING, MS_MODIFIED, MS_MISSING, MS_OUT_OF_ORDER };

struct plan_item {
	enum mig_state state;
	const char *version;
	const struct migration *m;   /* NULL when missing */
	const struct applied *a;     /* NULL when not applied */
};

struct plan {
	struct plan_item *v;         /* by version */
	int n;
	int npending, nmodified, nmissing, nout_of_order, napplied;
	const char *current;         /* newest applied version, "" when none */
};

#define PLAN_INIT { NULL, 0, 0, 0, 0, 0, 0, "" }

void plan_build(const struct migration_set *set, const struct applied_set *a, struct plan *p);
void plan_release(struct plan *p);
const char *mig_state_name(enum mig_state s);
int plan_check_drift(const struct plan *p, int allow_drift, int allow_out_of_order, struct err *e);
/* Pending migrations to apply, in order, up to `target` (NULL: all);
 * out-of-order ones are included only when allowed. Caller frees *out. */
int plan_pending(const struct plan *p, const char *target, int allow_out_of_order,
		 const struct migration ***out, struct err *e);

#endif
