/* cmd_current: `predeploy current`: the latest applied version on stdout
 * (nothing when none is applied; JSON {"version": ...} with --format json). */
#include <stdio.h>

#include "cmd.h"
#include "ledger.h"
#include "log.h"
#include "migrator.h"
#include "util/exitcode.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

CMD(current)
{
	struct db db = DB_INIT;
	struct ledger l = LEDGER_INIT;
	struct migrator m = MIGRATOR_INIT;
	struct tool_state st = TOOL_STATE_INIT;
	struct err e = ERR_INIT;
	char v[512];
	int rc = 0;

	(void)args;
	if (migrator_open(&m, cfg, &e) < 0 || db_connect(cfg, &db, &e) < 0) {
		rc = report_err(&e);
		goto out;
	}
	if (!migrator_is_sql(&m)) {
		/* the tool's revision(s), from its tracking table */
		if (!m.ops->read_state) {
			log_error("--migrator %s keeps no revisions predeploy can read", m.ops->name);
			rc = EXIT_USAGE;
			goto out;
		}
		if (m.ops->read_state(&m, &db, &st, &e) < 0) {
			rc = report_err(&e);
			goto out;
		}
		xstrlcpy(v, st.current, sizeof(v));
	} else if (ledger_init(&l, &db, cfg->table, &e) < 0 || ledger_current_version(&l, &db, v, sizeof(v), &e) < 0) {
		rc = report_err(&e);
		goto out;
	}
	if (cfg->format == OUT_JSON) {
		struct strbuf sb = STRBUF_INIT;
		struct json_w j;

		jw_init(&j, &sb, 0);
		jw_obj(&j, NULL);
		jw_str(&j, "version", v[0] ? v : NULL);
		jw_end(&j);
		sb_addc(&sb, '\n');
		fwrite(sb.buf, 1, sb.len, stdout);
		sb_release(&sb);
	} else if (v[0]) {
		printf("%s\n", v);
	} else {
		log_info("no migration is applied");
	}
out:
	tool_state_release(&st);
	migrator_close(&m);
	ledger_release(&l);
	db_close(&db);
	return rc;
}
