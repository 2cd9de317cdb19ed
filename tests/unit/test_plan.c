/* Unit tests of src/plan: every state a version can be in, drift, and what
 * is pending, from a migration set and an applied set made in memory. */
// cases: states pending_order_and_target drift_refused_or_allowed empty
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "plan.h"
#include "util/exitcode.h"

static struct migration M(const char *version, const char *checksum)
{
	struct migration m;

	memset(&m, 0, sizeof(m));
	m.version = (char *)version;
	m.name = (char *)"x";
	memcpy(m.checksum, checksum, strlen(checksum) + 1);
	return m;
}

static struct applied A(const char *version, const char *checksum)
{
	struct applied a;

	memset(&a, 0, sizeof(a));
	a.version = (char *)version;
	a.name = (char *)"x";
	a.checksum = (char *)checksum;
	return a;
}

/* files 1 (same), 2 (changed), 4 (new, older than 5), 5, 6 (new);
 * applied 1, 2, 3 (file gone), 5 */
static struct migration files[5];
static struct applied done[4];

static void setup(struct plan *p)
{
	struct migration_set set = { files, 5 };
	struct applied_set a = { done, 4 };

	files[0] = M("1", "aa");
	files[1] = M("2", "bb-changed");
	files[2] = M("4", "dd");
	files[3] = M("5", "ee");
	files[4] = M("6", "ff");
	done[0] = A("1", "aa");
	done[1] = A("2", "bb");
	done[2] = A("3", "cc");
	done[3] = A("5", "ee");
	plan_build(&set, &a, p);
}

static void states(void)
{
	struct plan p = PLAN_INIT;
	static const enum mig_state want[] = { MS_APPLIED, MS_MODIFIED, MS_MISSING, MS_OUT_OF_ORDER, MS_APPLIED,
					       MS_PENDING };
	int i;

	setup(&p);
	CHECK_INT(p.n, 6);
	for (i = 0; i < p.n && i < 6; i++)
		CHECK_INT(p.v[i].state, want[i]);
	CHECK_INT(p.napplied, 4);      /* rows in the tracking table: 1, 2, 3, 5 */
	CHECK_INT(p.nmodified, 1);
	CHECK_INT(p.nmissing, 1);
	CHECK_INT(p.nout_of_order, 1);
	CHECK_INT(p.npending, 1);
	CHECK_STR(p.current, "5");
	CHECK_STR(mig_state_name(MS_OUT_OF_ORDER), "out_of_order");
	plan_release(&p);
}

static void pending_order_and_target(void)
{
	struct plan p = PLAN_INIT;
	const struct migration **out = NULL;
	struct err e = ERR_INIT;

	setup(&p);
	CHECK_INT(plan_pending(&p, NULL, 0, &out, &e), 1);
	CHECK_STR(out ? out[0]->version : NULL, "6");
	free(out);
	out = NULL;
	CHECK_INT(plan_pending(&p, NULL, 1, &out, &e), 2);
	CHECK_STR(out ? out[0]->version : NULL, "4");
	free(out);
	out = NULL;
	CHECK_INT(plan_pending(&p, "4", 1, &out, &e), 1);
	free(out);
	plan_release(&p);
}

static void drift_refused_or_allowed(void)
{
	struct plan p = PLAN_INIT;
	struct err e = ERR_INIT;

	setup(&p);
	CHECK_INT(plan_check_drift(&p, 0, 0, &e), -1);
	CHECK_INT(e.code, EXIT_DRIFT);
	err_clear(&e);
	CHECK_INT(plan_check_drift(&p, 1, 1, &e), 0);
	plan_release(&p);
}

static void empty(void)
{
	struct migration_set set = { NULL, 0 };
	struct applied_set a = { NULL, 0 };
	struct plan p = PLAN_INIT;

	plan_build(&set, &a, &p);
	CHECK_INT(p.n, 0);
	CHECK_STR(p.current, "");
	plan_release(&p);
}

UNIT_CASES(UNIT(states), UNIT(pending_order_and_target), UNIT(drift_refused_or_allowed), UNIT(empty))
