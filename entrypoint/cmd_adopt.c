/* cmd_adopt: `predeploy adopt`: import dbmate's or golang-migrate's
 * schema_migrations into predeploy's tracking table, once, under the
 * migration lock (src/adopt.h). */
#include <stdio.h>

#include "adopt.h"
#include "cmd.h"
#include "log.h"
#include "proc.h"
#include "session.h"
#include "util/exitcode.h"
#include "util/banned.h"

CMD(adopt)
{
	struct session s = SESSION_INIT;
	struct adopt_result res;
	struct err e = ERR_INIT;
	int rc = 0;

	if (args->pos.n)
		return log_error("unexpected argument \"%s\"", args->pos.v[0]), EXIT_USAGE;
	proc_install();
	if (session_open(&s, cfg, SESSION_LOCK, &e) < 0 || session_require_sql(&s, "adopt", &e) < 0) {
		rc = report_err(&e);
		goto out;
	}
	if (s.plan.napplied) {
		log_error("predeploy already tracks %d migration%s in %s: nothing to adopt", s.plan.napplied,
			  s.plan.napplied == 1 ? "" : "s", s.ledger.qtable);
		rc = EXIT_USAGE;
		goto out;
	}
	if (adopt_import(&s.db, &s.ledger, &s.files, &res, &e) < 0) {
		rc = report_err(&e);
		goto out;
	}
	log_info("adopted %d version%s from %s's schema_migrations%s; newest %s", res.imported,
		 res.imported == 1 ? "" : "s", res.tool, res.skipped ? " (some skipped, see above)" : "",
		 res.last[0] ? res.last : "(none)");
out:
	session_close(&s);
	return rc;
}
