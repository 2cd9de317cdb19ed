/*
 * rollback: `down` as one library call.  From the session's plan it picks
 * the applied migrations to roll back, newest first (the newest `steps`, or
 * everything applied above `target`), refuses unless each one still has its
 * file (EXIT_DRIFT), unchanged (EXIT_DRIFT unless allow_drift) and a down
 * section (EXIT_DATAERR), then passes the down sections through the
 * protected-table gate and runs them (apply_down).  Nothing is rolled back
 * unless all of them can be.
 *
 *   struct rollback_opts o = { 1, NULL, NULL };      // one step
 *   struct apply_result res = APPLY_RESULT_INIT;
 *   if (rollback_run(&session, &o, &res, &err) < 0) ...
 *   if (!res.ndone) ... nothing to roll back
 *   apply_result_release(&res);
 *
 * The gate: down sections are destructive by nature and the operator asked
 * for them, so lint findings are only logged; a destructive statement on a
 * protected table (--protect) still needs --force (EXIT_BLOCKED).
 */
#ifndef PREDEPLOY_ROLLBACK_H
#define PREDEPLOY_ROLLBACK_H

#include "apply.h"
#include "session.h"

struct rollback_opts {
	int steps;                  /* used when target is NULL; > 0 */
	const char *target;         /* roll back everything applied above this version */
	struct strbuf *sql_out;     /* --sql: print, do not execute */
};

int rollback_run(struct session *s, const struct rollback_opts *o, struct apply_result *res, struct err *e);

/* The gate alone, for `list` (n migrations): 0, or -1 with EXIT_BLOCKED. */
int rollback_protect_gate(const struct config *cfg, const struct migration *const *list, int n,
			  struct err *e);

#endif
