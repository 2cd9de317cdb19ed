/* cmd_backup: `predeploy backup`: take a verified gzipped backup now (no
 * --backup-reuse), under the migration lock so it never races a migration,
 * then apply --keep.  Prints the file's path on stdout (JSON with
 * --format json). */
#include <stdio.h>
#include <unistd.h>

#include "backup.h"
#include "cmd.h"
#include "log.h"
#include "proc.h"
#include "session.h"
#include "util/exitcode.h"
#include "util/strbuf.h"
#include "util/banned.h"

CMD(backup)
{
	struct session s = SESSION_INIT;
	struct backup_info bi;
	struct err e = ERR_INIT;
	int rc = 0;

	if (args->pos.n)
		return log_error("unexpected argument \"%s\"", args->pos.v[0]), EXIT_USAGE;
	proc_install();
	if (session_open(&s, cfg, SESSION_LOCK | SESSION_NO_FILES, &e) < 0 ||
	    backup_take(cfg, &s.db, s.plan.current, NULL, isatty(2), &bi, &e) < 0) {
		rc = report_err(&e);
		goto out;
	}
	if (cfg->format == OUT_JSON) {
		struct strbuf sb = STRBUF_INIT;

		sb_adds(&sb, "{\"path\":");
		sb_add_json_str(&sb, bi.path);
		sb_adds(&sb, ",\"sha256\":");
		sb_add_json_str(&sb, bi.sha256);
		sb_addf(&sb, ",\"size\":%lld,\"raw_size\":%lld,\"duration_ms\":%lld,\"removed\":%d}\n",
			(long long)bi.size, (long long)bi.raw_size, (long long)bi.duration_ms, bi.removed);
		fwrite(sb.buf, 1, sb.len, stdout);
		sb_release(&sb);
	} else {
		printf("%s\n", bi.path);
	}
out:
	session_close(&s);
	return rc;
}
