/* restore: see restore.h. */
#include "restore.h"

#include <ctype.h>
#include <errno.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypt_stream.h"
#include "gzstream.h"
#include "ledger.h"
#include "log.h"
#include "proc.h"
#include "restore_scan.h"
#include "restore_scope.h"
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
	struct crd *cr;         /* the stored bytes: decrypted when encrypted, hashed */
	const struct restore_opts *o;
	const char *label;
	int64_t t0, last;
};

static void report(const struct src *s, int final)
{
	struct progress_state st = { s->label, (int64_t)gzr_counts(s->gz)->packed, 0, s->o->file_size,
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

static ssize_t fd_source(void *ctx, void *buf, size_t cap, struct err *e)
{
	const struct restore_opts *o = ctx;
	ssize_t n;

	do
		n = read(o->fd, buf, cap);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		err_sys(e, EXIT_INTERNAL, errno, "could not read \"%s\"", o->path);
	return n;
}

static ssize_t crd_source(void *ctx, void *buf, size_t cap, struct err *e)
{
	return crd_read(ctx, buf, cap, e);
}

/* The file's bytes go through crd (crypt_stream.h): an encrypted backup is
 * decrypted and every chunk's tag checked as it is read, so the checking
 * pass authenticates all of it before anything runs; s->cr hashes the
 * bytes as stored (the sidecar's SHA-256). */
static struct gzr *open_gz(const struct restore_opts *o, struct src *s, struct err *e)
{
	s->cr = o->source ? crd_open(o->keys, o->path, o->source, o->source_ctx)
			  : crd_open(o->keys, o->path, fd_source, (void *)o);
	return gzr_open_source(gz_method_find("gzip"), crd_source, s->cr, e);
}

static void where(struct err *e, const struct restore_opts *o, long line)
{
	err_where(e, o->path, (int)line);
}

/* \restrict KEY / \unrestrict KEY (the scanner refuses any other line). */
struct keys {
	char key[256];
	int restricted;
};

static int meta(const struct rscan_item *it, struct keys *k, const struct restore_opts *o, struct err *e)
{
	char line[256];
	size_t n = it->len < sizeof(line) - 1 ? it->len : sizeof(line) - 1;

	memcpy(line, it->text, n);
	line[n] = '\0';
	if (!strncmp(line, "\\restrict ", 10)) {
		if (k->restricted) {
			err_set(e, EXIT_DATAERR, "a second \\restrict at line %ld of \"%s\"", it->line, o->path);
			goto bad;
		}
		xstrlcpy(k->key, line + 10, sizeof(k->key));
		k->restricted = 1;
		return 0;
	}
	if (!k->restricted || strcmp(k->key, line + 12)) {
		err_set(e, EXIT_DATAERR, "\\unrestrict at line %ld of \"%s\" does not match the \\restrict key "
			"at its start", it->line, o->path);
		err_hint(e, "the file was edited or assembled from different dumps");
		goto bad;
	}
	k->restricted = 0;
	return 0;
bad:
	where(e, o, it->line);
	return -1;
}

/* The next item, with scanner errors naming the file and \restrict keys
 * checked (the same for the checking pass and the executing pass). */
static int next_item(struct rscan *scan, struct rscan_item *it, struct keys *k, const struct restore_opts *o,
		     struct err *e)
{
	if (rscan_next(scan, it, e) < 0) {
		/* a decryption error (crypt_stream.h) names the file already */
		if (e->code == EXIT_DATAERR && !e->file[0]) {
			err_prefix(e, "could not restore \"%s\"", o->path);
			where(e, o, e->line ? e->line : rscan_line(scan));
		}
		return -1;
	}
	if (it->kind == RSCAN_META)
		return meta(it, k, o, e);
	return 0;
}

static int check_end(struct rscan *scan, const struct keys *k, const struct restore_opts *o, struct err *e)
{
	if (k->restricted)
		return err_set(e, EXIT_DATAERR, "\"%s\" has a \\restrict line but no matching \\unrestrict: the dump "
			       "is incomplete", o->path);
	if (!rscan_saw_complete(scan))
		return err_set(e, EXIT_DATAERR, "\"%s\" does not contain pg_dump's completion line: the dump is "
			       "incomplete", o->path);
	return 0;
}

/* Pass 1: read, inflate and scan the whole file without a database, so a
 * corrupt, truncated or refused file is rejected before anything runs;
 * the SHA-256 of the file comes out of the same read. */
static int check_pass(const struct restore_opts *o, char sha256[SHA256_HEX_LEN], struct err *e)
{
	struct src s = { NULL, NULL, o, "restore check", now_ms(), 0 };
	struct rscan *scan = NULL;
	struct rscan_item it;
	struct keys k;
	int ret = -1, tables = 0, copies = 0;

	memset(&k, 0, sizeof(k));
	s.gz = open_gz(o, &s, e);
	if (!s.gz)
		goto out;
	scan = rscan_new(src_read, &s, RESTORE_STATEMENT_CAP);
	do {
		if (next_item(scan, &it, &k, o, e) < 0)
			goto out;
		if (it.kind == RSCAN_STATEMENT)
			restore_scope_tally(it.text, it.len, &tables, &copies);
	} while (it.kind != RSCAN_EOF);
	if (check_end(scan, &k, o, e) < 0 ||
	    (o->whole_rows && !o->scope && restore_scope_check_whole(tables, copies, o->path, e) < 0))
		goto out;
	crd_sha256(s.cr, sha256);
	ret = 0;
out:
	if (s.gz)
		report(&s, ret < 0 ? -1 : 1);
	rscan_free(scan);
	gzr_free(s.gz);
	crd_free(s.cr);
	return ret;
}

static int finish_ledger(struct db *db, const struct restore_opts *o, struct restore_result *res,
			 int64_t t0, struct err *e)
{
	struct ledger l = LEDGER_INIT;
	struct history_entry h;
	int changed = 0, ret = -1;

	if (ledger_init(&l, db, o->table, e) < 0 || ledger_ensure(&l, db, e) < 0)
		goto out;
	if (o->reset_to && o->reset && o->reset(o->reset_arg, db, e) < 0)
		goto out;
	if (o->reset_to && !o->reset && ledger_stamp_to(&l, db, o->files, o->reset_to, &changed, e) < 0)
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

/* The executing pass's connection state. */
struct run {
	PGconn *conn;
	const struct restore_opts *o;
	int in_tx;              /* BEGIN sent and not ended by us */
	int intact;             /* every check so far saw our transaction open */
	int in_copy;
	int skip_copy;          /* an at-risk restore skips this COPY's data */
	char xid[32];           /* txid_current() right after BEGIN */
};

static int query_ok(struct run *rn, const char *sql, char *val, size_t cap, struct err *e)
{
	PGresult *r = PQexec(rn->conn, sql);
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		db_error_from_result(r, rn->conn, EXIT_INTERNAL, e);
		PQclear(r);
		return -1;
	}
	if (val)
		xstrlcpy(val, st == PGRES_TUPLES_OK && PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "", cap);
	PQclear(r);
	return 0;
}

/* After each statement: still inside the transaction we opened, and the
 * server still reads strings the way the scanner does. */
static int check_tx(struct run *rn, long line, struct err *e)
{
	PGTransactionStatusType ts = PQtransactionStatus(rn->conn);
	const char *scs;

	if (ts != PQTRANS_INTRANS) {
		rn->intact = ts == PQTRANS_INERROR;
		err_set(e, ts == PQTRANS_UNKNOWN ? EXIT_UNAVAILABLE : EXIT_DATAERR,
			"after the statement at line %ld of \"%s\" the restore's transaction is %s", line, rn->o->path,
			ts == PQTRANS_IDLE ? "no longer open" : ts == PQTRANS_UNKNOWN ? "unknown (the connection "
			"was lost)" : "in an unexpected state");
		where(e, rn->o, line);
		return -1;
	}
	scs = PQparameterStatus(rn->conn, "standard_conforming_strings");
	if (!scs || strcmp(scs, "on")) {
		err_set(e, EXIT_DATAERR, "after the statement at line %ld of \"%s\" standard_conforming_strings is "
			"not on", line, rn->o->path);
		where(e, rn->o, line);
		return -1;
	}
	return 0;
}

static int framing(struct err *e, const struct restore_opts *o, long line, const char *what)
{
	err_set(e, EXIT_DATAERR, "the statement at line %ld of \"%s\" %s", line, o->path, what);
	err_hint(e, "the scanner and the server disagree about the statement; nothing is executed past it");
	where(e, o, line);
	return -1;
}

/* One statement, through the extended protocol: the server refuses a
 * string that holds more than one command. */
/* --no-owner / --role-map on one dump statement: 1 to skip it, else 0
 * with *out set to a rewritten copy (caller frees) or NULL to run it as it
 * is.  pg_dump ends ownership and privilege statements with the role:
 * "ALTER TABLE t OWNER TO app", "GRANT ... TO app", "REVOKE ... FROM app". */
static int owner_filter(const struct restore_opts *o, const char *text, size_t len, char **out)
{
	const char *last, *prev;
	size_t n = len, rl;
	int alter = len > 6 && !strncasecmp(text, "ALTER ", 6);
	int grant = len > 6 && (!strncasecmp(text, "GRANT ", 6) || !strncasecmp(text, "REVOKE ", 7));
	int i;

	*out = NULL;
	if (!alter && !grant)
		return 0;
	while (n && isspace((unsigned char)text[n - 1]))
		n--;
	last = text + n;
	while (last > text && !isspace((unsigned char)last[-1]))
		last--;
	rl = (size_t)(text + n - last);
	prev = last;
	while (prev > text && isspace((unsigned char)prev[-1]))
		prev--;
	if (alter && !(prev - text >= 9 && !strncasecmp(prev - 9, " OWNER TO", 9)))
		return 0;
	if (grant && !(prev - text >= 3 && !strncasecmp(prev - 3, " TO", 3)) &&
	    !(prev - text >= 5 && !strncasecmp(prev - 5, " FROM", 5)))
		return 0;
	if (alter && o->no_owner)
		return 1;
	for (i = 0; o->role_map && i < o->role_map->n; i++) {
		const char *m = o->role_map->v[i], *eq = strchr(m, '=');

		if (eq && (size_t)(eq - m) == rl && !strncmp(m, last, rl)) {
			*out = xasprintf("%.*s%s%s", (int)(last - text), text, eq + 1, text + n);
			return 0;
		}
	}
	return 0;
}

static int run_statement(struct run *rn, const struct rscan_item *it, struct err *e)
{
	char *mapped = NULL;
	PGresult *r;
	ExecStatusType st;

	if (rn->o->scope && restore_scope_statement(rn->o->scope, it->text, it->len, &mapped)) {
		rn->skip_copy = it->copy;
		return 0;
	}
	if (!rn->o->scope && (rn->o->no_owner || rn->o->role_map) && owner_filter(rn->o, it->text, it->len, &mapped))
		return 0;
	r = PQexecParams(rn->conn, mapped ? mapped : it->text, 0, NULL, NULL, NULL, NULL, 0);
	free(mapped);
	st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;

	if (st == PGRES_COPY_IN) {
		PQclear(r);
		rn->in_copy = 1;
		if (!it->copy)
			return framing(e, rn->o, it->line, "started a COPY that is not COPY ... FROM stdin");
		return 0;
	}
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		PQclear(r);
		if (it->copy)
			return framing(e, rn->o, it->line, "is a COPY ... FROM stdin but the server expects no data");
		return check_tx(rn, it->line, e);
	}
	if (st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
		PQclear(r);
		rn->intact = 0;
		return framing(e, rn->o, it->line, "started a COPY to the client");
	}
	db_error_from_result(r, rn->conn, EXIT_DATAERR, e);
	PQclear(r);
	if (!strcmp(e->sqlstate, "42501") && strstr(it->text, " OWNER TO "))
		err_hint(e, "restoring as another role: --no-owner leaves everything to the connecting role, "
			    "--role-map OLD=NEW gives OLD's objects to NEW");
	err_prefix(e, "restore failed at line %ld of \"%s\"", it->line, rn->o->path);
	where(e, rn->o, it->line);
	return -1;
}

static int copy_end(struct run *rn, const struct rscan_item *it, struct err *e)
{
	PGresult *r;
	int bad = 0;

	rn->in_copy = 0;
	if (PQputCopyEnd(rn->conn, NULL) != 1)
		return err_set(e, EXIT_INTERNAL, "could not end COPY: %s", PQerrorMessage(rn->conn));
	while ((r = PQgetResult(rn->conn))) {
		if (!bad && PQresultStatus(r) != PGRES_COMMAND_OK) {
			db_error_from_result(r, rn->conn, EXIT_DATAERR, e);
			err_prefix(e, "restore failed in the COPY data ending at line %ld of \"%s\"", it->line,
				   rn->o->path);
			where(e, rn->o, it->line);
			bad = 1;
		}
		PQclear(r);
	}
	if (bad)
		return -1;
	return check_tx(rn, it->line, e);
}

/* Pass 2: execute, in one transaction. */
static int exec_pass(struct db *db, struct run *rn, const char *sha256, struct restore_result *res, struct err *e)
{
	const struct restore_opts *o = rn->o;
	struct src s = { NULL, NULL, o, "restore", now_ms(), 0 };
	struct rscan *scan = NULL;
	struct rscan_item it;
	struct keys k;
	char xid[32];
	int ret = -1;

	memset(&k, 0, sizeof(k));
	if (o->source ? o->rewind(o->source_ctx, e) < 0 : lseek(o->fd, 0, SEEK_SET) < 0) {
		if (!o->source)
			err_sys(e, EXIT_INTERNAL, errno, "could not read \"%s\" again", o->path);
		return -1;
	}
	s.gz = open_gz(o, &s, e);
	if (!s.gz)
		goto out;
	scan = rscan_new(src_read, &s, RESTORE_STATEMENT_CAP);
	if (query_ok(rn, "BEGIN", NULL, 0, e) < 0)
		goto out;
	rn->in_tx = 1;
	rn->intact = 1;
	if (query_ok(rn, "select pg_catalog.txid_current()::text", rn->xid, sizeof(rn->xid), e) < 0)
		goto out;
	if (o->scope) {
		char *sql = restore_scope_begin_sql(o->scope);
		int rc = query_ok(rn, sql, NULL, 0, e);

		free(sql);
		if (rc < 0) {
			restore_scope_begin_failed(o->scope, e);
			goto out;
		}
	} else if (query_ok(rn, PRECLEAN_SQL, NULL, 0, e) < 0) {
		err_prefix(e, "could not empty the target database before restoring");
		goto out;
	}
	for (;;) {
		if (next_item(scan, &it, &k, o, e) < 0)
			goto out;
		if (it.kind == RSCAN_EOF)
			break;
		switch (it.kind) {
		case RSCAN_STATEMENT:
			res->statements++;
			if (run_statement(rn, &it, e) < 0)
				goto out;
			break;
		case RSCAN_COPY_DATA:
			if (rn->skip_copy)
				break;
			if (PQputCopyData(rn->conn, it.text, (int)it.len) != 1) {
				err_set(e, EXIT_INTERNAL, "could not send COPY data (line %ld): %s", it.line,
					PQerrorMessage(rn->conn));
				goto out;
			}
			res->copy_bytes += (int64_t)it.len;
			break;
		case RSCAN_COPY_END:
			if (rn->skip_copy) {
				rn->skip_copy = 0;
				break;
			}
			if (copy_end(rn, &it, e) < 0)
				goto out;
			break;
		default:
			break;
		}
	}
	if (check_end(scan, &k, o, e) < 0 || (o->scope && restore_scope_end(o->scope, o->path, e) < 0))
		goto out;
	res->raw_bytes = (int64_t)gzr_counts(s.gz)->raw;
	crd_sha256(s.cr, res->sha256);
	if (strcmp(res->sha256, sha256)) {
		err_set(e, EXIT_DATAERR, "\"%s\" changed while it was being restored (SHA-256 %.12s... when checked, "
			"%.12s... when executed)", o->path, sha256, res->sha256);
		goto out;
	}
	if (o->after_load && o->after_load(o->after_load_arg, db, e) < 0) {
		rn->intact = PQtransactionStatus(rn->conn) != PQTRANS_IDLE;
		goto out;
	}
	if (finish_ledger(db, o, res, s.t0, e) < 0)
		goto out;
	/* the transaction is still the one opened above */
	if (query_ok(rn, "select pg_catalog.txid_current()::text", xid, sizeof(xid), e) < 0 ||
	    check_tx(rn, 0, e) < 0)
		goto out;
	if (strcmp(xid, rn->xid)) {
		rn->intact = 0;
		err_set(e, EXIT_INTERNAL, "the restore's transaction changed (txid %s, then %s)", rn->xid, xid);
		goto out;
	}
	if (query_ok(rn, "COMMIT", NULL, 0, e) < 0) {
		/* a COMMIT the server refused was rolled back; a lost connection is unknown */
		rn->in_tx = 0;
		rn->intact = PQtransactionStatus(rn->conn) == PQTRANS_IDLE && e->sqlstate[0];
		goto out;
	}
	rn->in_tx = 0;
	res->duration_ms = now_ms() - s.t0;
	report(&s, 1);
	ret = 0;
out:
	if (ret < 0 && s.gz)
		report(&s, -1);
	rscan_free(scan);
	gzr_free(s.gz);
	crd_free(s.cr);
	return ret;
}

int restore_check(const struct restore_opts *o, struct restore_checked *c, struct err *e)
{
	memset(c, 0, sizeof(*c));
	if (check_pass(o, c->sha256, e) < 0)
		return -1;
	if (o->expect_sha256 && strcmp(o->expect_sha256, c->sha256)) {
		err_set(e, EXIT_DATAERR, "the SHA-256 of \"%s\" (%.12s...) does not match its sidecar (%.12s...): the "
			"file changed after it was verified; nothing was executed", o->path, c->sha256,
			o->expect_sha256);
		err_hint(e, "restore another backup, or pass --file with a copy you trust");
		c->sha256[0] = '\0';
		return -1;
	}
	return 0;
}

int restore_run(struct db *db, const struct restore_opts *o, const struct restore_checked *c,
		struct restore_result *res, struct err *e)
{
	struct run rn;
	int ret;

	memset(res, 0, sizeof(*res));
	memset(&rn, 0, sizeof(rn));
	rn.conn = db->conn;
	rn.o = o;
	rn.intact = 1;
	res->unchanged = 1;
	if (!c->sha256[0])
		return err_set(e, EXIT_INTERNAL, "restore_run without a successful restore_check");
	xstrlcpy(res->sha256, c->sha256, sizeof(res->sha256));
	ret = exec_pass(db, &rn, c->sha256, res, e);
	if (ret < 0) {
		if (rn.in_copy) {
			PGresult *r;

			PQputCopyEnd(rn.conn, "restore aborted");
			while ((r = PQgetResult(rn.conn)))
				PQclear(r);
		}
		if (rn.in_tx) {
			PGresult *r = PQexec(rn.conn, "ROLLBACK");

			if (!r || PQresultStatus(r) != PGRES_COMMAND_OK ||
			    PQtransactionStatus(rn.conn) != PQTRANS_IDLE)
				rn.intact = 0;
			PQclear(r);
		}
		res->unchanged = rn.intact;
	}
	return ret;
}
