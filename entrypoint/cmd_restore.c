/* cmd_restore: `predeploy restore [--backup N | --file PATH] [--from-database NAME]
 * [--force] [--reset-to V] [--into DB] [--replace]`: check the options
 * (restore_reset_check: --reset-to for the migrator in use), pick the backup
 * (restore_pick: default the target database's newest; an at-risk one goes
 * through restore_scope.h), check the whole file (restore_check: nothing
 * touched yet), confirm on a terminal (else --force is required),
 * restore_prepare() (create --into, lock, safety backup), restore_run(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "anonymize.h"
#include "cmd.h"
#include "log.h"
#include "migration.h"
#include "migrator.h"
#include "proc.h"
#include "report.h"
#include "restore.h"
#include "restore_prepare.h"
#include "restore_reset.h"
#include "restore_scope.h"
#include "webhook.h"
#include "util/exitcode.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

CMD(restore)
{
	const char *file = args_get(args, "file"), *nstr = args_get(args, "backup");
	const char *into = args_get(args, "into"), *reset_to = args_get(args, "reset-to");
	const char *from = args_get(args, "from-database"), *shown = NULL;
	struct migration_set files = MIGRATION_SET_INIT;
	struct anonymize an = ANONYMIZE_INIT;
	struct strlist map = { 0 };
	struct migrator mig = MIGRATOR_INIT;
	struct restore_reset rr = RESTORE_RESET_INIT;
	struct db db = DB_INIT;
	struct restore_target t = RESTORE_TARGET_INIT;
	struct restore_source src = { .listed = 0 };
	struct restore_opts o;
	struct restore_checked chk = { .sha256 = "" };
	struct restore_result res;
	struct err e = ERR_INIT;
	struct report rep;
	int64_t t0 = now_ms();
	char *end = NULL;
	long n = nstr ? strtol(nstr, &end, 10) : -1;
	struct restore_object ob = RESTORE_OBJECT_INIT;
	struct restore_scope rs = RESTORE_SCOPE_INIT;
	int fd = -1, rc = 0, keep = cfg->keep, interactive = isatty(0) && isatty(2);

	if (args->pos.n)
		return log_error("unexpected argument \"%s\"", args->pos.v[0]), EXIT_USAGE;
	if (file && (nstr || from))
		return log_error("--file cannot be combined with --backup or --from-database"), EXIT_USAGE;
	if (nstr && (*end || end == nstr || n < 0))
		return log_error("--backup needs a backup number (see `predeploy backups`), not \"%s\"", nstr), EXIT_USAGE;
	if (webhook_check_config(cfg, &e) < 0)
		return report_err(&e);
	if (!interactive && !cfg->force)
		return log_error("restore replaces the database's contents and needs confirmation: there is no "
				 "terminal, so pass --force"), EXIT_USAGE;
	/* everything that can be refused is refused before the safety backup */
	memset(&o, 0, sizeof(o));
	if (restore_copy_options(args, &an, &map, &o, &e) < 0 || migrator_open(&mig, cfg, &e) < 0)
		goto err;
	if (restore_reset_check(cfg, &mig, reset_to, &files, &rr, &e) < 0)
		goto err;
	proc_install();
	if ((rc = connect_db(cfg, &db, 0)))
		goto out;
	proc_watch_conn(db.conn);
	/* a URL target (it may hold a password) is named by the source's name
	 * for picking and by its database once connected */
	if (restore_into_is_url(into))
		shown = "the --into URL's database";
	else if (into)
		shown = into;
	else
		shown = db.dbname;
	if (restore_pick(cfg, restore_into_is_url(into) ? db.dbname : shown, file, n, from, &src, &e) < 0 ||
	    restore_scope_setup(cfg, &src, args_has(args, "replace"), reset_to, &rs, &o, &e) < 0)
		goto err;
	if (src.listed) {
		/* The safety backup's retention must not remove this one (an
		 * object, unlike an open file, does not outlive its removal). */
		if (cfg->keep < src.position + 2)
			cfg->keep = src.position + 2;
		if (restore_object_open(cfg, &src, &ob, &o, &e) < 0)
			goto err;
		o.progress = progress_stderr();
	} else if ((fd = restore_open(cfg, src.path, EXIT_DATAERR, &o, &e)) < 0) {
		/* opened now: retention after the safety backup may remove the file */
		goto err;
	}
	o.reset_to = reset_to;
	o.files = &files;
	o.forced = cfg->force;
	o.expect_sha256 = src.sha256[0] ? src.sha256 : NULL;
	if (restore_check(&o, &chk, &e) < 0) {
		rc = report_err(&e);
		log_info("nothing was executed: the database is unchanged");
		goto out;
	}
	if (interactive && !cfg->force && !confirm_restore(shown, &db, &src)) {
		log_error("restore cancelled");
		rc = EXIT_USAGE;
		goto out;
	}
	restore_reset_hooks(&mig, &rr, &o, &t);
	if (restore_prepare(cfg, &db, into, progress_stderr(), &t, &e) < 0)
		goto err;
	proc_watch_conn(t.db->conn);
	o.pre_backup_file = t.pre.path[0] ? t.pre.path : NULL;
	o.pre_backup_sha256 = t.pre.path[0] ? t.pre.sha256 : NULL;
	log_info("restoring \"%s\" into database \"%s\"", src.path, t.db->dbname);
	if (restore_run(t.db, &o, &chk, &res, &e) < 0) {
		rc = report_err(&e);
		restore_say_unchanged(&res, t.db->dbname);
		goto out;
	}
	restore_say_done(&rs, src.path, t.db->dbname, &res, !migrator_is_sql(&mig) ? "kept in the tool's table" :
			 res.version[0] ? res.version : "(none)");
	goto out;
err:
	rc = report_err(&e);
out:
	rep = (struct report){ .action = "restore", .status = rc ? "failed" : "succeeded", .exit_code = rc,
			       .database = t.db ? t.db->dbname : shown ? shown : db.dbname, .db_host = db.host, .error = rc ? &e : NULL,
			       .duration_ms = now_ms() - t0, .file = src.path[0] ? src.path : NULL, .sha256 = chk.sha256 };
	if (db.conn)
		rc = report_deliver(cfg, &rep);
	if (fd >= 0)
		close(fd);
	cfg->keep = keep;
	restore_scope_release(cfg, &rs);
	restore_object_close(&ob);
	proc_watch_conn(NULL);
	restore_target_release(&t);
	migrator_close(&mig);
	anonymize_release(&an);
	strlist_clear(&map);
	migration_set_release(&files);
	db_close(&db);
	return rc;
}
