/* cmd_stamp: `predeploy stamp V`: mark everything up to V applied (and
 * anything above it not applied) without running it, like Alembic's stamp.
 * Under the migration lock (main opens the session: RUN_SESSION), in one
 * transaction, recorded in history. */
#include <stdio.h>

#include "cmd.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/banned.h"

CMD_CHECK(stamp)
{
	if (args->pos.n != 1)
		return log_error("usage: predeploy stamp VERSION"), EXIT_USAGE;
	if (!version_valid(args->pos.v[0]))
		return log_error("invalid version \"%s\": expected digits", args->pos.v[0]), EXIT_USAGE;
	return 0;
}

CMD(stamp)
{
	struct session *s = args->s;
	struct err e = ERR_INIT;
	struct history_entry h = { 0 };
	int changed = 0;

	(void)cfg;
	if (session_require_sql(s, "stamp", &e) < 0 || db_exec(&s->db, "BEGIN", EXIT_INTERNAL, &e) < 0 ||
	    ledger_stamp_to(&s->ledger, &s->db, &s->files, args->pos.v[0], &changed, &e) < 0)
		goto fail;
	h.action = "stamp";
	h.version = args->pos.v[0];
	h.outcome = "success";
	h.duration_ms = -1;
	if (ledger_history_add(&s->ledger, &s->db, &h, &e) < 0 || db_exec(&s->db, "COMMIT", EXIT_INTERNAL, &e) < 0)
		goto fail;
	log_info("stamped version %s (%d tracking row%s changed; no migration ran)", args->pos.v[0], changed,
		 changed == 1 ? "" : "s");
	return 0;
fail:
	if (s->db.conn && PQtransactionStatus(s->db.conn) != PQTRANS_IDLE) {
		struct err e2 = ERR_INIT;
		db_exec(&s->db, "ROLLBACK", EXIT_INTERNAL, &e2);
	}
	return report_err(&e);
}
