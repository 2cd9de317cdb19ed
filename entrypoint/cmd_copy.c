/* cmd_copy: `predeploy copy --into URL|DB [--anonymize FILE] [--no-owner]
 * [--role-map OLD=NEW]`: a staging copy of the configured database.
 *
 * pg_dump of the database (the backup machinery: password in its
 * environment, gzip, verification) into a private temporary directory,
 * because the restore scans the whole file before it executes anything;
 * then the native restore into the target (created if missing) in one
 * transaction, the anonymisation SQL in that same transaction, its
 * `-- predeploy:expect N rows` checks, COMMIT.  The temporary file is
 * removed on every path (only a SIGKILL can leave it, in a 0700 directory
 * under $TMPDIR). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "anonymize.h"
#include "backup.h"
#include "cmd.h"
#include "log.h"
#include "proc.h"
#include "restore.h"
#include "restore_prepare.h"
#include "util/exitcode.h"
#include "util/fsutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

static void remove_tmp(const char *dir, const struct backup_info *bi)
{
	char side[4200];

	if (bi->path[0]) {
		snprintf(side, sizeof(side), "%s.json", bi->path);
		unlink(bi->path);
		unlink(side);
	}
	fs_remove_stale_partials(dir, NULL);
	if (rmdir(dir) < 0 && errno != ENOENT)
		log_warn("could not remove the temporary directory \"%s\": %s", dir, strerror(errno));
}

/* A stop signal wins over the error it caused (a cancelled statement). */
static int report_stopped(struct err *e)
{
	if (proc_stop_signal() && e->code < 128)
		e->code = 128 + proc_stop_signal();
	return report_err(e);
}

CMD(copy)
{
	const char *into = args_get(args, "into"), *tmpbase = getenv("TMPDIR");
	struct anonymize an = ANONYMIZE_INIT;
	struct strlist map = { 0 };
	struct restore_opts o;
	struct restore_checked chk = { .sha256 = "" };
	struct restore_result res;
	struct restore_target t = RESTORE_TARGET_INIT;
	struct backup_info bi;
	struct config c;
	struct db db = DB_INIT;
	struct err e = ERR_INIT;
	char tmpdir[4096] = "";
	int fd = -1, rc = 0;

	memset(&o, 0, sizeof(o));
	memset(&bi, 0, sizeof(bi));
	if (args->pos.n)
		return log_error("unexpected argument \"%s\"", args->pos.v[0]), EXIT_USAGE;
	if (!into || !*into)
		return log_error("copy needs --into DB or --into URL (the staging database)"), EXIT_USAGE;
	if (restore_copy_options(args, &an, &map, &o, &e) < 0)
		goto err;
	proc_install();
	if ((rc = connect_db(cfg, &db, 0)))
		goto out;
	if (!restore_into_is_url(into) && !strcmp(into, db.dbname)) {
		err_set(&e, EXIT_USAGE, "--into names the database being copied (\"%s\")", into);
		goto err;
	}
	proc_watch_conn(db.conn);

	/* the dump, in a directory only we can read */
	snprintf(tmpdir, sizeof(tmpdir), "%s/predeploy-copy-XXXXXX", tmpbase && *tmpbase ? tmpbase : "/tmp");
	if (!mkdtemp(tmpdir)) {
		err_sys(&e, EXIT_BACKUP, errno, "could not create a temporary directory in \"%s\"",
			tmpbase && *tmpbase ? tmpbase : "/tmp");
		tmpdir[0] = '\0';
		goto err;
	}
	c = *cfg;
	c.backup_dir = tmpdir;
	c.backup_to = NULL;          /* never the configured bucket */
	c.keep = 1;
	c.backup_keys = NULL;        /* a private temporary file: not encrypted */
	if (backup_take(&c, &db, "copy", NULL, progress_stderr(), &bi, &e) < 0)
		goto err;
	if ((fd = restore_open(cfg, bi.path, EXIT_BACKUP, &o, &e)) < 0)
		goto err;
	o.expect_sha256 = bi.sha256;
	if (restore_check(&o, &chk, &e) < 0)
		goto err;
	if (restore_prepare(cfg, &db, into, progress_stderr(), &t, &e) < 0)
		goto err;
	proc_watch_conn(t.db->conn);
	o.pre_backup_file = t.pre.path[0] ? t.pre.path : NULL;
	o.pre_backup_sha256 = t.pre.path[0] ? t.pre.sha256 : NULL;
	log_info("copying database \"%s\" into \"%s\"%s", db.dbname, t.db->dbname,
		 an.m.up.path ? " with anonymisation" : "");
	if (restore_run(t.db, &o, &chk, &res, &e) < 0) {
		rc = report_stopped(&e);
		restore_say_unchanged(&res, t.db->dbname);
		goto out;
	}
	log_info("copied \"%s\" into \"%s\": %lld statements, %.1f MB of COPY data in %.1fs%s", db.dbname,
		 t.db->dbname, (long long)res.statements, (double)res.copy_bytes / 1e6,
		 (double)res.duration_ms / 1000.0, an.m.up.path ? "; anonymised before commit" : "");
	goto out;
err:
	rc = report_stopped(&e);
out:
	if (fd >= 0)
		close(fd);
	if (tmpdir[0])
		remove_tmp(tmpdir, &bi);
	proc_watch_conn(NULL);
	restore_target_release(&t);
	anonymize_release(&an);
	strlist_clear(&map);
	db_close(&db);
	return rc;
}
