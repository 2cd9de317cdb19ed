/* restore: see restore.h. */
#include "restore.h"

#include <stdlib.h>
#include <string.h>

#include "gzstream.h"
#include "ledger.h"
#include "log.h"
#include "proc.h"
#include "restore_scan.h"
#include "util/exitcode.h"
#include "util/fsutil.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* Empty the user schemas so that the dump recreates exactly its own
 * objects.  "public" is kept (its initial privileges live in pg_init_privs
 * and pg_dump compares against them); its contents are dropped instead. */
static const char PRECLEAN_SQL[] =
	"DO $predeploy$\n"
	"DECLARE r record;\n"
	"BEGIN\n"
	"  PERFORM pg_catalog.set_config('search_path', '', true);\n"
	"  PERFORM pg_catalog.set_config('client_min_messages', 'warning', true);\n"
	"  FOR r IN SELECT n.nspname FROM pg_catalog.pg_namespace n\n"
	"           WHERE n.nspname <> 'public' AND n.nspname <> 'information_schema'\n"
	"             AND n.nspname !~ '^pg_' LOOP\n"
	"    EXECUTE pg_catalog.format('DROP SCHEMA IF EXISTS %I CASCADE', r.nspname);\n"
	"  END LOOP;\n"
	"  FOR r IN SELECT e.extname FROM pg_catalog.pg_extension e\n"
	"           JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace\n"
	"           WHERE n.nspname = 'public' LOOP\n"
	"    EXECUTE pg_catalog.format('DROP EXTENSION IF EXISTS %I CASCADE', r.extname);\n"
	"  END LOOP;\n"
	"  FOR r IN SELECT c.relname, c.relkind FROM pg_catalog.pg_class c\n"
	"           JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace\n"
	"           WHERE n.nspname = 'public' AND c.relkind IN ('r','p','v','m','S','f')\n"
	"           ORDER BY CASE c.relkind WHEN 'v' THEN 0 WHEN 'm' THEN 1 WHEN 'f' THEN 2\n"
	"                    WHEN 'p' THEN 3 WHEN 'r' THEN 4 ELSE 5 END LOOP\n"
	"    EXECUTE pg_catalog.format('DROP %s IF EXISTS public.%I CASCADE',\n"
	"      CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'\n"
	"        WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, r.relname);\n"
	"  END LOOP;\n"
	"  FOR r IN SELECT p.oid::pg_catalog.regprocedure::text AS sig, p.prokind FROM pg_catalog.pg_proc p\n"
	"           JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace\n"
	"           WHERE n.nspname = 'public' LOOP\n"
	"    EXECUTE pg_catalog.format('DROP %s IF EXISTS %s CASCADE',\n"
	"      CASE r.prokind WHEN 'a' THEN 'AGGREGATE' WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, r.sig);\n"
	"  END LOOP;\n"
	"  FOR r IN SELECT t.typname, t.typtype FROM pg_catalog.pg_type t\n"
	"           JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace\n"
	"           WHERE n.nspname = 'public' AND t.typtype IN ('e','d','r','c')\n"
	"             AND (t.typtype <> 'c' OR (SELECT c.relkind FROM pg_catalog.pg_class c\n"
	"                                       WHERE c.oid = t.typrelid) = 'c') LOOP\n"
	"    EXECUTE pg_catalog.format('DROP %s IF EXISTS public.%I CASCADE',\n"
	"      CASE r.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, r.typname);\n"
	"  END LOOP;\n"
	"END\n"
	"$predeploy$";

struct src {
	struct gzr *gz;
	const struct restore_opts *o;
	int64_t t0, last;
};

static void report(const struct src *s, int final)
{
	struct progress_state st = { "restore", (int64_t)gzr_counts(s->gz)->packed, 0, s->o->file_size,
				     now_ms() - s->t0, final };

	progress_report(s->o->progress, &st);
}

static ssize_t src_read(void *ctx, void *buf, size_t cap, struct err *e)
{
	struct src *s = ctx;
	ssize_t n;
	int sig = proc_stop_signal();

	if (sig) {
		err_set(e, 128 + sig, "restore stopped by signal %d", sig);
		return -1;
	}
	n = gzr_read(s->gz, buf, cap, e);
	if (s->o->progress && now_ms() - s->last >= PROGRESS_INTERVAL_MS) {
		s->last = now_ms();
		report(s, 0);
	}
	return n;
}

static void where(struct err *e, const struct restore_opts *o, long line)
{
	err_where(e, o->path, (int)line);
}

static int exec_ok(PGconn *conn, const char *sql, const struct restore_opts *o, long line, int copy,
		   struct err *e)
{
	PGresult *r = PQexec(conn, sql);
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || (copy && st == PGRES_COPY_IN)) {
		PQclear(r);
		return 0;
	}
	db_error_from_result(r, conn, EXIT_DATAERR, e);
	if (line > 0) {
		char msg[sizeof(e->msg)];

		xstrlcpy(msg, e->msg, sizeof(msg));
		err_set(e, e->code, "restore failed at line %ld of \"%s\": %s", line, o->path, msg);
		where(e, o, line);
	}
	PQclear(r);
	return -1;
}

/* \restrict KEY / \unrestrict KEY; anything else is refused. */
static int meta(const struct rscan_item *it, char *key, size_t keycap, int *restricted,
		const struct restore_opts *o, struct err *e)
{
	char line[256];
	size_t n = it->len < sizeof(line) - 1 ? it->len : sizeof(line) - 1;

	memcpy(line, it->text, n);
	line[n] = '\0';
	if (!strncmp(line, "\\restrict ", 10) && line[10]) {
		if (*restricted) {
			err_set(e, EXIT_DATAERR, "a second \\restrict at line %ld of \"%s\"", it->line, o->path);
			goto bad;
		}
		xstrlcpy(key, line + 10, keycap);
		*restricted = 1;
		return 0;
	}
	if (!strncmp(line, "\\unrestrict ", 12)) {
		if (!*restricted || strcmp(key, line + 12)) {
			err_set(e, EXIT_DATAERR, "\\unrestrict at line %ld of \"%s\" does not match the \\restrict key "
				"at its start", it->line, o->path);
			err_hint(e, "the file was edited or assembled from different dumps");
			goto bad;
		}
		*restricted = 0;
		return 0;
	}
	n = strcspn(line, " \t");
	line[n] = '\0';
	err_set(e, EXIT_DATAERR, "unsupported backslash command \"%s\" at line %ld of \"%s\"", line, it->line,
		o->path);
	err_hint(e, "restore executes pg_dump's plain format: SQL, COPY data, \\restrict and \\unrestrict");
bad:
	where(e, o, it->line);
	return -1;
}

static int finish_ledger(struct db *db, const struct restore_opts *o, struct restore_result *res,
			 int64_t t0, struct err *e)
{
	struct ledger l = LEDGER_INIT;
	struct history_entry h;
	int changed = 0, ret = -1;

	if (ledger_init(&l, db, o->table, e) < 0 || ledger_ensure(&l, db, e) < 0)
		goto out;
	if (o->reset_to && ledger_stamp_to(&l, db, o->files, o->reset_to, &changed, e) < 0)
		goto out;
	if (ledger_current_version(&l, db, res->version, sizeof(res->version), e) < 0)
		goto out;
	memset(&h, 0, sizeof(h));
	h.action = "restore";
	h.version = res->version[0] ? res->version : NULL;
	h.name = fs_basename(o->path);
	h.checksum = res->sha256;
	h.outcome = "success";
	h.duration_ms = now_ms() - t0;
	h.backup_file = o->pre_backup_file;
	h.backup_sha256 = o->pre_backup_sha256;
	h.forced = o->forced;
	if (ledger_history_add(&l, db, &h, e) < 0)
		goto out;
	ret = 0;
out:
	ledger_release(&l);
	return ret;
}

int restore_run(struct db *db, const struct restore_opts *o, struct restore_result *res, struct err *e)
{
	PGconn *conn = db->conn;
	struct src s = { NULL, o, now_ms(), 0 };
	struct rscan *scan = NULL;
	struct rscan_item it;
	char key[256] = "";
	int restricted = 0, in_tx = 0, in_copy = 0, ret = -1;

	memset(res, 0, sizeof(*res));
	s.gz = gzr_open(gz_method_find("gzip"), o->fd, e);
	if (!s.gz)
		goto out;
	scan = rscan_new(src_read, &s, RESTORE_STATEMENT_CAP);
	if (exec_ok(conn, "BEGIN", o, 0, 0, e) < 0)
		goto out;
	in_tx = 1;
	if (exec_ok(conn, PRECLEAN_SQL, o, 0, 0, e) < 0) {
		char msg[sizeof(e->msg)];

		xstrlcpy(msg, e->msg, sizeof(msg));
		err_set(e, e->code == EXIT_DATAERR ? EXIT_INTERNAL : e->code,
			"could not empty the target database before restoring: %s", msg);
		goto out;
	}
	for (;;) {
		if (rscan_next(scan, &it, e) < 0) {
			if (e->code == EXIT_DATAERR) {
				char msg[sizeof(e->msg)];

				xstrlcpy(msg, e->msg, sizeof(msg));
				err_set(e, EXIT_DATAERR, "could not restore \"%s\": %s", o->path, msg);
				where(e, o, rscan_line(scan));
			}
			goto out;
		}
		if (it.kind == RSCAN_EOF)
			break;
		switch (it.kind) {
		case RSCAN_STATEMENT:
			res->statements++;
			if (exec_ok(conn, it.text, o, it.line, it.copy, e) < 0)
				goto out;
			in_copy = it.copy;
			break;
		case RSCAN_COPY_DATA:
			if (PQputCopyData(conn, it.text, (int)it.len) != 1) {
				err_set(e, EXIT_INTERNAL, "could not send COPY data (line %ld): %s", it.line,
					PQerrorMessage(conn));
				goto out;
			}
			res->copy_bytes += (int64_t)it.len;
			break;
		case RSCAN_COPY_END: {
			PGresult *r;
			int bad = 0;

			in_copy = 0;
			if (PQputCopyEnd(conn, NULL) != 1) {
				err_set(e, EXIT_INTERNAL, "could not end COPY: %s", PQerrorMessage(conn));
				goto out;
			}
			while ((r = PQgetResult(conn))) {
				if (!bad && PQresultStatus(r) != PGRES_COMMAND_OK) {
					char msg[sizeof(e->msg)];

					db_error_from_result(r, conn, EXIT_DATAERR, e);
					xstrlcpy(msg, e->msg, sizeof(msg));
					err_set(e, e->code, "restore failed in the COPY data ending at line %ld of \"%s\": %s",
						it.line, o->path, msg);
					where(e, o, it.line);
					bad = 1;
				}
				PQclear(r);
			}
			if (bad)
				goto out;
			break;
		}
		case RSCAN_META:
			if (meta(&it, key, sizeof(key), &restricted, o, e) < 0)
				goto out;
			break;
		case RSCAN_EOF:
			break;
		}
	}
	if (restricted) {
		err_set(e, EXIT_DATAERR, "\"%s\" has a \\restrict line but no matching \\unrestrict: the dump is "
			"incomplete", o->path);
		goto out;
	}
	if (!rscan_saw_complete(scan)) {
		err_set(e, EXIT_DATAERR, "\"%s\" does not contain pg_dump's completion line: the dump is incomplete",
			o->path);
		goto out;
	}
	res->raw_bytes = (int64_t)gzr_counts(s.gz)->raw;
	gzr_sha256(s.gz, res->sha256);
	if (finish_ledger(db, o, res, s.t0, e) < 0)
		goto out;
	if (exec_ok(conn, "COMMIT", o, 0, 0, e) < 0) {
		in_tx = 0;
		goto out;
	}
	in_tx = 0;
	res->duration_ms = now_ms() - s.t0;
	report(&s, 1);
	ret = 0;
out:
	if (in_copy) {
		PGresult *r;

		PQputCopyEnd(conn, "restore aborted");
		while ((r = PQgetResult(conn)))
			PQclear(r);
	}
	if (in_tx) {
		PGresult *r = PQexec(conn, "ROLLBACK");

		PQclear(r);
	}
	if (ret < 0 && s.gz)
		report(&s, -1);
	rscan_free(scan);
	gzr_free(s.gz);
	return ret;
}
