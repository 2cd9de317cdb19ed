/* cmd_history: `predeploy history [--limit N]`: the history table, oldest
 * first: when, what, which version, outcome, how long, who, backup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ledger.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/banned.h"

static const char *const cols[] = { "id", "at", "action", "version", "name", "outcome", "duration_ms",
				     "applied_by", "host", "predeploy_version", "backup_file", "forced",
				     "error", "checksum", "sqlstate" };

CMD(history)
{
	struct db db = DB_INIT;
	struct ledger l = LEDGER_INIT;
	struct err e = ERR_INIT;
	PGresult *r = NULL;
	const char *lim = args_get(args, "limit");
	int rc = 0, missing = 0, i, j, limit = lim ? atoi(lim) : 100;

	if (limit <= 0)
		return log_error("invalid value \"%s\" for --limit: expected a number > 0", lim), EXIT_USAGE;
	if (db_connect(cfg, &db, &e) < 0 || ledger_init(&l, &db, cfg->table, &e) < 0 ||
	    !(r = ledger_history_query(&l, &db, limit, &missing, &e))) {
		rc = report_err(&e);
		goto out;
	}
	if (cfg->format == OUT_JSON) {
		struct strbuf sb = STRBUF_INIT;
		struct json_w jw;

		jw_init(&jw, &sb, 0);
		jw_arr(&jw, NULL);
		for (i = 0; i < PQntuples(r); i++) {
			jw_obj(&jw, NULL);
			for (j = 0; j < (int)(sizeof(cols) / sizeof(cols[0])); j++) {
				const char *v = PQgetvalue(r, i, j);
				if (!strcmp(cols[j], "id") || (!strcmp(cols[j], "duration_ms") && *v))
					jw_raw(&jw, cols[j], v);   /* bigint from the server */
				else if (!strcmp(cols[j], "forced"))
					jw_bool(&jw, cols[j], !strcmp(v, "t"));
				else
					jw_str(&jw, cols[j], *v ? v : NULL);
			}
			jw_end(&jw);
		}
		jw_end(&jw);
		sb_addc(&sb, '\n');
		fwrite(sb.buf, 1, sb.len, stdout);
		sb_release(&sb);
		goto out;
	}
	if (missing || !PQntuples(r)) {
		log_info("no history yet");
		goto out;
	}
	printf("%-20s %-8s %-16s %-8s %8s  %-24s %s\n", "AT", "ACTION", "VERSION", "OUTCOME", "MS", "BY", "NAME / NOTE");
	for (i = 0; i < PQntuples(r); i++) {
		char by[300];
		snprintf(by, sizeof(by), "%s@%s", PQgetvalue(r, i, 7), PQgetvalue(r, i, 8));
		printf("%-20s %-8s %-16s %-8s %8s  %-24s %s", PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
		       PQgetvalue(r, i, 3), PQgetvalue(r, i, 5), PQgetvalue(r, i, 6), by,
		       PQgetvalue(r, i, 4));
		if (!strcmp(PQgetvalue(r, i, 11), "t"))
			printf(" [forced]");
		if (*PQgetvalue(r, i, 10))
			printf(" backup=%s", PQgetvalue(r, i, 10));
		if (*PQgetvalue(r, i, 12))
			printf(" error: %s", PQgetvalue(r, i, 12));
		printf("\n");
	}
out:
	PQclear(r);
	ledger_release(&l);
	db_close(&db);
	return rc;
}
