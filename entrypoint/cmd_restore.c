/* cmd_restore: `predeploy restore [--backup N | --file PATH] [--force]
 * [--reset-to V] [--into DB]`: pick the backup (default: index 0 of
 * `backups`), confirm on a terminal (else --force is required), create the
 * --into database when missing, take the migration lock on the target,
 * back up its current state (unless --no-backup), then restore_run(). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "backup.h"
#include "cmd.h"
#include "ledger.h"
#include "lock.h"
#include "log.h"
#include "migration.h"
#include "proc.h"
#include "restore.h"
#include "util/exitcode.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

const struct cmd_opt opts_restore[] = {
	{ "backup", 1, "restore backup number N of `predeploy backups` (default 0, the newest)" },
	{ "file", 1, "restore this .sql.gz file" },
	{ "reset-to", 1, "afterwards set the tracking table to version V" },
	{ "into", 1, "restore into database DB (created if missing) instead of the connected one" },
	{ NULL, 0, NULL },
};

static int confirm(const char *target, const struct db *db, const char *path, const struct backup_entry *b)
{
	char answer[64];

	fprintf(stderr, "Restore into database \"%s\" on %s:%s (user %s)\n", target, db->host, db->port, db->user);
	fprintf(stderr, "  from   %s\n", path);
	if (b)
		fprintf(stderr, "  taken  %s from database \"%s\", schema version %s, %.1f MB, %s\n", b->when,
			b->database, b->version, (double)b->size / 1e6, b->verified ? "verified" : "NOT verified");
	fprintf(stderr, "Everything in \"%s\" is replaced by the backup's state. Continue? [y/N] ", target);
	fflush(stderr);
	if (!fgets(answer, sizeof(answer), stdin))
		return 0;
	return answer[0] == 'y' || answer[0] == 'Y';
}

CMD(restore)
{
	const char *file = args_get(args, "file"), *nstr = args_get(args, "backup");
	const char *into = args_get(args, "into"), *reset_to = args_get(args, "reset-to");
	struct backup_list list = BACKUP_LIST_INIT;
	struct backup_entry *entry = NULL;
	struct storage *store = NULL;
	struct migration_set files = MIGRATION_SET_INIT;
	struct db db = DB_INIT, tdb = DB_INIT, *target = &db;
	struct ledger l = LEDGER_INIT;
	struct backup_info pre;
	struct restore_opts o;
	struct restore_result res;
	struct err e = ERR_INIT;
	char path[4096], cur[128] = "";
	struct stat st;
	int fd = -1, rc = 0, exists = 1, interactive = isatty(0) && isatty(2);

	memset(&pre, 0, sizeof(pre));
	if (args->pos.n)
		return log_error("unexpected argument \"%s\"", args->pos.v[0]), EXIT_USAGE;
	if (file && nstr)
		return log_error("--backup and --file cannot be combined"), EXIT_USAGE;
	if (!interactive && !cfg->force) {
		log_error("restore replaces the database's contents and needs confirmation: there is no "
			  "terminal, so pass --force");
		return EXIT_USAGE;
	}
	if (file) {
		xstrlcpy(path, file, sizeof(path));
	} else {
		char *end;
		long n = nstr ? strtol(nstr, &end, 10) : 0;

		if (nstr && (*end || end == nstr || n < 0))
			return log_error("--backup needs a backup number (see `predeploy backups`), not \"%s\"", nstr),
			       EXIT_USAGE;
		store = backup_store_open(cfg, &e);
		if (!store || backup_list(store, NULL, &list, &e) < 0) {
			rc = report_err(&e);
			goto out;
		}
		if (n >= list.n) {
			log_error("there is no backup number %ld in \"%s\" (%d found)", n, storage_where(store), list.n);
			rc = EXIT_USAGE;
			goto out;
		}
		entry = &list.v[n];
		if (!entry->verified) {
			log_error("backup \"%s\" is not verified (no valid sidecar); restore it with --file if you must",
				  entry->path);
			rc = EXIT_DATAERR;
			goto out;
		}
		xstrlcpy(path, entry->path, sizeof(path));
	}
	/* Open now: retention after the pre-restore backup may remove the file. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		log_error("could not open backup \"%s\": %s", path, strerror(errno));
		rc = EXIT_DATAERR;
		goto out;
	}

	proc_install();
	if ((rc = connect_db(cfg, &db, 0)))
		goto out;
	proc_watch_conn(db.conn);
	if (into && strcmp(into, db.dbname)) {
		const char *params[1] = { into };
		PGresult *r = db_query(&db, "select 1 from pg_catalog.pg_database where datname = $1", 1, params,
				       EXIT_INTERNAL, &e);

		if (!r) {
			rc = report_err(&e);
			goto out;
		}
		exists = PQntuples(r) > 0;
		PQclear(r);
	}
	if (interactive && !cfg->force && !confirm(into ? into : db.dbname, &db, path, entry)) {
		log_error("restore cancelled");
		rc = EXIT_USAGE;
		goto out;
	}
	if (into && strcmp(into, db.dbname)) {
		if (!exists) {
			char *q = db_ident(&db, into), *sql = xasprintf("CREATE DATABASE %s", q);
			int r = db_exec(&db, sql, EXIT_INTERNAL, &e);

			free(q);
			free(sql);
			if (r < 0) {
				rc = report_err(&e);
				goto out;
			}
			log_info("created database \"%s\"", into);
		}
		if (db_connect_other(cfg, &db, into, &tdb, &e) < 0) {
			rc = report_err(&e);
			goto out;
		}
		target = &tdb;
		proc_watch_conn(tdb.conn);
	}
	if (ledger_init(&l, target, cfg->table, &e) < 0 ||
	    lock_acquire(target, l.lock_key, cfg->lock_wait_ms, &e) < 0) {
		rc = report_err(&e);
		goto out;
	}
	if (!cfg->no_backup && exists) {
		if (ledger_current_version(&l, target, cur, sizeof(cur), &e) < 0 ||
		    backup_take(cfg, target, cur, NULL, progress_stderr(), &pre, &e) < 0) {
			rc = report_err(&e);
			goto out;
		}
	}
	if (reset_to && migration_load_dir(cfg->dir, &files, &e) < 0) {
		rc = report_err(&e);
		goto out;
	}
	memset(&o, 0, sizeof(o));
	o.fd = fd;
	o.path = path;
	o.table = cfg->table;
	o.reset_to = reset_to;
	o.files = &files;
	o.pre_backup_file = pre.path[0] ? pre.path : NULL;
	o.pre_backup_sha256 = pre.path[0] ? pre.sha256 : NULL;
	o.forced = cfg->force;
	o.progress = progress_stderr();
	o.file_size = (int64_t)st.st_size;
	log_info("restoring \"%s\" into database \"%s\"", path, target->dbname);
	if (restore_run(target, &o, &res, &e) < 0) {
		rc = report_err(&e);
		if (res.unchanged)
			log_info("database \"%s\" is unchanged (nothing was committed)", target->dbname);
		else
			log_error("database \"%s\" may have been changed: check it before using it", target->dbname);
		goto out;
	}
	log_info("restored \"%s\" into database \"%s\": %lld statements, %.1f MB of COPY data in %.1fs; "
		 "schema version now %s", path, target->dbname, (long long)res.statements,
		 (double)res.copy_bytes / 1e6, (double)res.duration_ms / 1000.0,
		 res.version[0] ? res.version : "(none)");
out:
	if (fd >= 0)
		close(fd);
	proc_watch_conn(NULL);
	ledger_release(&l);
	migration_set_release(&files);
	backup_list_release(&list);
	storage_free(store);
	db_close(&tdb);
	db_close(&db);
	return rc;
}
