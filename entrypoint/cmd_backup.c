/* cmd_backup: `predeploy backup`: take a verified gzipped backup now (no
 * --backup-reuse), under the migration lock so it never races a migration,
 * then apply --keep (main opens the session: RUN_SESSION).  Prints the file's path on stdout (JSON with
 * --format json; key_id: the key an encrypted backup needs, else null). */
#include <stdio.h>
#include <unistd.h>

#include "backup.h"
#include "cmd.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/banned.h"

CMD(backup)
{
	struct backup_info bi;
	struct err e = ERR_INIT;
	char version[256];
	int rc = 0;

	if (session_backup_version(args->s, version, sizeof(version), &e) < 0 ||
	    backup_take(cfg, &args->s->db, version, NULL, progress_stderr(), &bi, &e) < 0)
		return report_err(&e);
	if (cfg->format == OUT_JSON) {
		struct strbuf sb = STRBUF_INIT;
		struct json_w j;

		jw_init(&j, &sb, 0);
		jw_obj(&j, NULL);
		jw_str(&j, "path", bi.path);
		jw_str(&j, "sha256", bi.sha256);
		jw_int(&j, "size", (long long)bi.size);
		jw_int(&j, "raw_size", (long long)bi.raw_size);
		jw_int(&j, "duration_ms", (long long)bi.duration_ms);
		jw_int(&j, "removed", bi.removed);
		if (bi.key_id[0])
			jw_str(&j, "key_id", bi.key_id);
		else
			jw_null(&j, "key_id");
		jw_end(&j);
		sb_addc(&sb, '\n');
		fwrite(sb.buf, 1, sb.len, stdout);
		sb_release(&sb);
	} else {
		printf("%s\n", bi.path);
	}
	return rc;
}
