/* apply: see apply.h. */
#include "apply.h"
#include "apply_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "context.h"
#include "log.h"
#include "proc.h"
#include "sqlsplit.h"
#include "util/backoff.h"
#include "util/sha256.h"
#include "util/exitcode.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define SQLSTATE_LOCK_NOT_AVAILABLE "55P03"


void apply_result_release(struct apply_result *r)
{
	int i;

	for (i = 0; i < r->ndone; i++) {
		free(r->done[i].version);
		free(r->done[i].name);
	}
	free(r->done);
	free(r->failed_version);
	memset(r, 0, sizeof(*r));
}

static void result_add(struct apply_result *r, const struct migration *m, int64_t ms)
{
	r->done = xrealloc(r->done, sizeof(*r->done) * (size_t)(r->ndone + 1));
	r->done[r->ndone].version = xstrdup(m->version);
	r->done[r->ndone].name = xstrdup(m->name);
	r->done[r->ndone].duration_ms = ms;
	r->ndone++;
}

/* Line within the statement of a 1-based character position. */
int apply_line_of_position(const char *s, size_t len, long pos)
{
	int line = 0;
	long chars = 0;
	size_t i;

	for (i = 0; i < len && chars < pos - 1; i++) {
		if ((s[i] & 0xc0) != 0x80)
			chars++;
		if (s[i] == '\n')
			line++;
	}
	return line;
}

/* Execute one statement; on failure fill e with the server's error and the
 * file:line of the statement (refined by the error position). */
static int exec_stmt(struct db *db, const struct section *sec, const char *text, size_t len,
		     int line, int err_code, struct err *e)
{
	char *sql = xstrndup(text, len);
	PGresult *r = PQexec(db->conn, sql);
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	int ret = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
		const char *pos = r ? PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION) : NULL;
		int at = sec->line + line - 1;

		db_error_from_result(r, db->conn, err_code, e);
		if (pos)
			at += apply_line_of_position(text, len, atol(pos));
		err_where(e, sec->path, at);
		ret = -1;
	}
	PQclear(r);
	free(sql);
	return ret;
}

static void timeouts_sql(const struct apply_opts *o, const char *scope, struct strbuf *sb)
{
	sb_addf(sb, "SET %slock_timeout = '%lldms';\n", scope, (long long)o->lock_timeout_ms);
	if (o->statement_timeout_ms > 0)
		sb_addf(sb, "SET %sstatement_timeout = '%lldms';\n", scope, (long long)o->statement_timeout_ms);
}

static const struct section *sec_of(const struct migration *m, enum direction dir)
{
	return dir == DIR_UP ? &m->up : &m->down;
}

/* Run the statements of a section. */
static int run_section(struct db *db, const struct section *sec, int err_code, int *nrun, struct err *e)
{
	struct sql_stmt *st = NULL;
	int n = 0, i, ret = -1;

	*nrun = 0;
	if (sql_split(sec->sql, sec->len, &st, &n, e) < 0) {
		err_where(e, sec->path, sec->line + e->line - 1);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (proc_stop_signal()) {
			err_set(e, 128 + proc_stop_signal(), "stopped by signal %d", proc_stop_signal());
			goto out;
		}
		if (exec_stmt(db, sec, sec->sql + st[i].off, st[i].len, st[i].line, err_code, e) < 0)
			goto out;
		(*nrun)++;
	}
	ret = 0;
out:
	free(st);
	return ret;
}

static void print_section(const struct section *sec, struct strbuf *out, struct err *e)
{
	struct sql_stmt *st = NULL;
	int n = 0, i;

	if (sql_split(sec->sql, sec->len, &st, &n, e) < 0) {
		sb_addf(out, "-- could not split %s: %s\n", sec->path, e->msg);
		return;
	}
	for (i = 0; i < n; i++) {
		sb_add(out, sec->sql + st[i].off, st[i].len);
		sb_adds(out, ";\n");
	}
	free(st);
}

static void history(struct db *db, struct ledger *l, const char *action, const struct migration *m,
		    const char *outcome, int64_t ms, const struct apply_opts *o, const struct err *fail)
{
	struct history_entry h;
	struct err e2 = ERR_INIT;
	struct strbuf msg = STRBUF_INIT;

	memset(&h, 0, sizeof(h));
	h.action = action;
	h.version = m->version;
	h.name = m->name;
	h.checksum = m->checksum;
	h.outcome = outcome;
	h.duration_ms = ms;
	h.backup_file = o->backup_file;
	h.backup_sha256 = o->backup_sha256;
	h.forced = o->forced;
	if (fail) {
		if (fail->file[0])
			sb_addf(&msg, "%s:%d: ", fail->file, fail->line);
		sb_adds(&msg, fail->msg);
		h.error = msg.buf;
		h.sqlstate = fail->sqlstate;
	}
	if (ledger_history_add(l, db, &h, &e2) < 0)
		log_warn("could not record %s of %s in the history table: %s", action, m->version, e2.msg);
	sb_release(&msg);
}

static void rollback(struct db *db)
{
	struct err e = ERR_INIT;

	if (PQstatus(db->conn) == CONNECTION_OK && PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		db_exec(db, "ROLLBACK", EXIT_INTERNAL, &e);
}

/* After a failed non-transactional statement: name INVALID indexes the
 * statement mentions, with the command to drop them. */
static void invalid_index_hint(struct db *db, const struct section *sec, struct err *e,
			       const char *version, int nrun)
{
	struct err e2 = ERR_INIT;
	struct strbuf hint = STRBUF_INIT;
	PGresult *r = db_query(db,
		"SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.relname "
		"FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid "
		"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE NOT i.indisvalid",
		0, NULL, EXIT_INTERNAL, &e2);
	int i;

	for (i = 0; r && i < PQntuples(r); i++) {
		const char *name = PQgetvalue(r, i, 1);
		const char *p = sec->sql;
		size_t nl = strlen(name);
		int found = 0;

		for (; *p && !found; p++)
			found = !strncasecmp(p, name, nl);
		if (!found)
			continue;
		sb_addf(&hint, "%sindex %s was left INVALID; run: DROP INDEX CONCURRENTLY IF EXISTS %s;",
			hint.len ? " " : "", PQgetvalue(r, i, 0), PQgetvalue(r, i, 0));
	}
	err_hint(e, "migration %s runs outside a transaction: %d statement%s before the failing one "
		 "stay%s applied. %s%sfix the migration, undo what ran, and run again", version, nrun,
		 nrun == 1 ? "" : "s", nrun == 1 ? "s" : "", hint.buf, hint.len ? " Then " : "");
	PQclear(r);
	sb_release(&hint);
}

/* Starts the server-side clock the record statement reads (session-wide
 * outside a transaction, transaction-local inside one). */
#define T0_SQL(local) "SELECT pg_catalog.set_config('predeploy.t0', pg_catalog.clock_timestamp()::text, " \
	local ")"

/* The record statement for a migration that ran outside a transaction;
 * *ms gets the duration the server measured. */
static int record_no_tx(struct db *db, struct ledger *l, const struct migration *m, enum direction dir,
			const struct apply_opts *o, int64_t *ms, struct err *e)
{
	struct ledger_record r = record_of(db, m, dir, o, LEDGER_SINCE_T0);
	const char *p[LEDGER_RECORD_NPARAMS];
	char who[512], *sql = ledger_record_sql(l, r.up, r.since);
	PGresult *res;

	context_who(db->user, who, sizeof(who));
	ledger_record_params(&r, who, p);
	res = db_query(db, sql, LEDGER_RECORD_NPARAMS, p, EXIT_PARTIAL, e);
	free(sql);
	if (!res) {
		apply_record_conflict_hint(e, m->version, "the migration ran outside a transaction and stays "
					   "applied, and that row stays as it was");
		return -1;
	}
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		*ms = atoll(PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

static void fail_code(struct err *e, int lock_exhausted)
{
	if (proc_stop_signal())
		e->code = 128 + proc_stop_signal();
	else if (lock_exhausted)
		e->code = EXIT_TEMPFAIL;
}

/* One non-transactional migration. */
static int run_no_tx(struct db *db, struct ledger *l, const struct migration *m, enum direction dir,
		     const struct apply_opts *o, struct apply_result *res, struct err *e)
{
	const struct section *sec = sec_of(m, dir);
	struct strbuf sb = STRBUF_INIT;
	int64_t t0 = now_ms(), ms;
	int nrun = 0;

	timeouts_sql(o, "", &sb);
	sb_adds(&sb, T0_SQL("false") ";\n");
	if (db_exec(db, sb.buf, EXIT_PARTIAL, e) < 0)
		goto fail;
	if (run_section(db, sec, EXIT_PARTIAL, &nrun, e) < 0) {
		e->code = proc_stop_signal() ? 128 + proc_stop_signal() : EXIT_PARTIAL;
		invalid_index_hint(db, sec, e, m->version, nrun);
		goto fail;
	}
	ms = now_ms() - t0;
	if (record_no_tx(db, l, m, dir, o, &ms, e) < 0)
		goto fail;
	db_exec(db, "RESET lock_timeout; RESET statement_timeout", EXIT_INTERNAL, e);
	result_add(res, m, ms);
	sb_release(&sb);
	return 0;
fail:
	res->failed_version = xstrdup(m->version);
	{
		struct err saved = *e;
		history(db, l, dir == DIR_UP ? "up" : "down", m, "partial", now_ms() - t0, o, &saved);
		*e = saved;
	}
	sb_release(&sb);
	return -1;
}

/* The record statement is prepared once per connection, under a name
 * derived from its text, and kept for the session, so a batch of one
 * migration (check's ups and downs, the transactional runs between
 * transaction:false migrations) sends only its parameters too.  The name
 * is remembered once the server accepted it (apply_pipeline.c); with no
 * room left to remember it, the statement is sent as is. */
static void batch_prepare(struct batch *b, const struct db *db)
{
	char hex[SHA256_HEX_LEN];

	b->record_name[0] = '\0';
	b->prepare = 0;
	if (b->record_all)
		return;
	sha256_hex_of(b->record_sql, strlen(b->record_sql), hex);
	snprintf(b->record_name, sizeof(b->record_name), "predeploy_record_%.16s", hex);
	if (db_is_prepared(db, b->record_name))
		return;
	if (db_can_prepare(db))
		b->prepare = 1;
	else
		b->record_name[0] = '\0';
}

static void add_timeouts(struct batch *b, const struct apply_opts *o, int mig)
{
	struct strbuf sb = STRBUF_INIT;
	char *p, *nl;

	/* "SET LOCAL lock_timeout = 'Nms';\nSET LOCAL statement_timeout ...":
	 * one statement per item */
	timeouts_sql(o, "LOCAL ", &sb);
	sb_setlen(&sb, sb.len - 2);
	p = sb.buf;
	while ((nl = strstr(p, ";\n"))) {
		batch_add(b, IT_CONTROL, xstrndup(p, (size_t)(nl - p)), mig, NULL, 0, 0);
		p = nl + 2;
	}
	batch_add(b, IT_CONTROL, xstrdup(p), mig, NULL, 0, 0);
	sb_release(&sb);
}

/* The batch for list[from..to): one transaction per migration, or one for
 * all of them.  A migration in its own transaction is timed from its BEGIN
 * (LEDGER_SINCE_XACT) by its record statement; in one transaction for all,
 * one record statement before the COMMIT records them all with the
 * durations the pipeline measured, so neither costs a statement per
 * migration beyond its record. */
static int build_batch(struct batch *b, const struct migration *const *list, int from, int to,
		       enum direction dir, const struct apply_opts *o, int single, struct err *e)
{
	int i, j;

	batch_clear(b);
	if (b->prepare)
		batch_add(b, IT_PREPARE, NULL, 0, NULL, 0, 0);
	for (i = from; i < to; i++) {
		const struct section *sec = sec_of(list[i], dir);
		struct sql_stmt *st = NULL;
		int n = 0;

		if (!single || i == from) {
			batch_add(b, IT_CONTROL, xstrdup("BEGIN"), i - from, NULL, 0, 0);
			add_timeouts(b, o, i - from);
		}
		if (sql_split(sec->sql, sec->len, &st, &n, e) < 0) {
			err_where(e, sec->path, sec->line + e->line - 1);
			return -1;
		}
		for (j = 0; j < n; j++)
			batch_add(b, IT_STMT, xstrndup(sec->sql + st[j].off, st[j].len), i - from, sec, st[j].len,
				  st[j].line);
		free(st);
		if (!single)
			batch_add(b, IT_RECORD, NULL, i - from, NULL, 0, 0);
		else if (i == to - 1)
			batch_add(b, IT_RECORD_ALL, NULL, i - from, NULL, 0, 0);
		if (!single || i == to - 1)
			batch_add(b, IT_COMMIT, xstrdup("COMMIT"), i - from, NULL, 0, 0);
	}
	return 0;
}

/* The record statement of a batch. */
static void batch_record(struct batch *b, struct ledger *l, enum direction dir, int single)
{
	b->dir = dir;
	b->since = LEDGER_SINCE_XACT;
	b->record_all = single;
	free(b->record_sql);
	b->record_sql = single ? ledger_record_all_sql(l) : ledger_record_sql(l, dir == DIR_UP, b->since);
}

struct tx_done {
	const struct migration *const *list;
	int base;
	enum direction dir;
	int single;
	const int64_t *ms;             /* per migration of the batch */
	int64_t t_last;                /* when the last COMMIT came back */
	struct apply_result *res;
};

static void log_done(const struct migration *m, enum direction dir, int64_t ms)
{
	log_info("%s %s_%s (%lld ms)", dir == DIR_UP ? "applied" : "rolled back", m->version, m->name,
		 (long long)ms);
}

static void on_commit(void *arg, int mig)
{
	struct tx_done *d = arg;

	d->t_last = now_ms();
	if (d->single)
		return;
	result_add(d->res, d->list[d->base + mig], d->ms[mig]);
	log_done(d->list[d->base + mig], d->dir, d->ms[mig]);
}

/* Transactional migrations list[from..to): one transaction each (or one
 * for all with --single-transaction), pipelined, with lock_timeout retries
 * (counted per migration: progress resets the count). */
static int run_tx(struct db *db, struct ledger *l, const struct migration *const *list, int from, int to,
		  enum direction dir, const struct apply_opts *o, struct apply_result *res, struct err *e)
{
	struct batch b;
	struct tx_done d;
	struct pipe_done done = { on_commit, &d };
	int single = o->single_transaction, attempt = 0, start = from, failed_mig = 0, i, ret = -1;
	const struct migration *cur = list[from];
	int64_t *ms = xcalloc((size_t)(to - from) + 1, sizeof(*ms));
	char dur[32];

	memset(&b, 0, sizeof(b));
	batch_record(&b, l, dir, single);
	context_who(db->user, b.who, sizeof(b.who));
	d.list = list;
	d.dir = dir;
	d.single = single;
	d.ms = ms;
	d.res = res;
	d.t_last = now_ms();

	for (;;) {
		int ndone = res->ndone;

		if (proc_stop_signal()) {
			err_set(e, 128 + proc_stop_signal(), "stopped by signal %d", proc_stop_signal());
			cur = list[start];
			break;
		}
		batch_prepare(&b, db);
		if (build_batch(&b, list, start, to, dir, o, single, e) < 0) {
			cur = list[start];
			goto out;
		}
		d.base = start;
		d.t_last = now_ms();
		memset(ms, 0, sizeof(*ms) * (size_t)(to - from));
		if (apply_run_pipeline(db, &b, list + start, o, &done, ms, &failed_mig, e) == 0) {
			if (single) {
				/* one transaction: all committed together; the
				 * durations are per migration, from the record rows */
				for (i = start; i < to; i++) {
					result_add(res, list[i], ms[i - start]);
					log_done(list[i], dir, ms[i - start]);
				}
			}
			ret = 0;
			goto out;
		}
		cur = list[start + failed_mig];
		rollback(db);
		if (res->ndone > ndone) {
			/* migrations before the failed one committed */
			start += res->ndone - ndone;
			attempt = 0;
		}
		if (!strcmp(e->sqlstate, SQLSTATE_LOCK_NOT_AVAILABLE) && !proc_stop_signal() &&
		    attempt < o->lock_retries) {
			int64_t dl = backoff_delay(500, 8000, attempt);
			log_warn("%s: %s; rolled back, retrying in %s (%d of %d)", cur->version, e->msg,
				 duration_format(dl, dur, sizeof(dur)), attempt + 1, o->lock_retries);
			res->retries++;
			attempt++;
			if (sleep_ms(dl) == 0 || !proc_stop_signal())
				continue;
		}
		break;
	}
	fail_code(e, !strcmp(e->sqlstate, SQLSTATE_LOCK_NOT_AVAILABLE));
	if (e->code == EXIT_TEMPFAIL)
		err_hint(e, "another session held a conflicting lock for longer than --lock-timeout on "
			    "every try; nothing of this migration was applied; retry later");
	res->failed_version = xstrdup(cur->version);
	{
		struct err saved = *e;
		history(db, l, dir == DIR_UP ? "up" : "down", cur, "failed", now_ms() - d.t_last, o, &saved);
		*e = saved;
	}
out:
	batch_release(&b);
	free(ms);
	return ret;
}

/* up/down --sql: what run_list would send, statement by statement, with
 * the record statement's parameters as literals. */
static void print_plan(struct db *db, struct ledger *l, const struct migration *const *list, int n,
		       enum direction dir, const struct apply_opts *o, struct strbuf *out)
{
	struct batch b;
	struct err e = ERR_INIT;
	struct ledger_record r;
	int i, j, k, k2, shown;

	memset(&b, 0, sizeof(b));
	for (i = 0; i < n; i = j) {
		const struct section *sec = sec_of(list[i], dir);

		if (sec->no_transaction) {
			/* run_no_tx */
			sb_addf(out, "-- %s %s (%s, line %d), outside a transaction\n", dir == DIR_UP ? "up" : "down",
				list[i]->version, sec->path, sec->line);
			timeouts_sql(o, "", out);
			sb_adds(out, T0_SQL("false") ";\n");
			print_section(sec, out, &e);
			r = record_of(db, list[i], dir, o, LEDGER_SINCE_T0);
			ledger_record_print(l, db, &r, out);
			sb_addc(out, '\n');
			j = i + 1;
			continue;
		}
		for (j = i; j < n && (o->single_transaction || !sec_of(list[j], dir)->no_transaction); j++)
			;
		/* run_tx: the batch itself, the record statement with its
		 * parameters in place of the prepared statement */
		batch_record(&b, l, dir, o->single_transaction);
		if (build_batch(&b, list, i, j, dir, o, o->single_transaction, &e) < 0) {
			sb_addf(out, "-- could not split %s: %s\n", e.file, e.msg);
			break;
		}
		for (k = 0, shown = -1; k < b.n; k++) {
			const struct item *it = &b.v[k];
			const struct migration *m = list[i + it->mig];

			if (it->kind == IT_PREPARE)
				continue;
			if (it->mig != shown)
				sb_addf(out, "%s-- %s %s (%s, line %d)\n", shown >= 0 ? "\n" : "", dir == DIR_UP ? "up" : "down",
					m->version, sec_of(m, dir)->path, sec_of(m, dir)->line);
			shown = it->mig;
			if (it->kind == IT_RECORD) {
				r = record_of(db, m, dir, o, b.since);
				ledger_record_print(l, db, &r, out);
			} else if (it->kind == IT_RECORD_ALL) {
				struct ledger_record *all = xcalloc((size_t)(j - i) + 1, sizeof(*all));

				for (k2 = i; k2 < j; k2++)
					all[k2 - i] = record_of(db, list[k2], dir, o, b.since);
				ledger_record_all_print(l, db, all, j - i, out);
				free(all);
			} else if (it->kind == IT_STMT) {
				sb_add(out, it->sql, it->len);
				sb_adds(out, ";\n");
			} else {
				sb_addf(out, "%s;\n", it->sql);
			}
		}
		sb_addc(out, '\n');
	}
	batch_release(&b);
}

static int run_list(struct db *db, struct ledger *l, const struct migration *const *list, int n,
		    enum direction dir, const struct apply_opts *o, struct apply_result *res, struct err *e)
{
	int i;

	for (i = 0; i < n; i++) {
		const struct section *sec = sec_of(list[i], dir);
		struct sql_stmt *st = NULL;
		int nst;

		if (sec->present && sql_split(sec->sql, sec->len, &st, &nst, e) < 0) {
			/* a file that cannot even be split fails before anything runs */
			err_where(e, sec->path, sec->line + e->line - 1);
			return -1;
		}
		free(st);
		if (!sec->present)
			return err_set(e, EXIT_DATAERR, "migration %s has no down section; nothing was rolled back",
				       list[i]->version);
		if (o->single_transaction && sec->no_transaction) {
			err_set(e, EXIT_USAGE, "--single-transaction cannot include migration %s: it runs "
				"outside a transaction", list[i]->version);
			err_where(e, sec->path, 0);
			return -1;
		}
	}
	if (o->sql_out) {
		print_plan(db, l, list, n, dir, o, o->sql_out);
		return 0;
	}
	if (o->single_transaction)
		return n ? run_tx(db, l, list, 0, n, dir, o, res, e) : 0;
	for (i = 0; i < n;) {
		int j = i;

		if (sec_of(list[i], dir)->no_transaction) {
			if (run_no_tx(db, l, list[i], dir, o, res, e) < 0)
				return -1;
			log_done(list[i], dir, res->done[res->ndone - 1].duration_ms);
			i++;
			continue;
		}
		/* a run of transactional migrations goes out as one pipeline */
		while (j < n && !sec_of(list[j], dir)->no_transaction)
			j++;
		if (run_tx(db, l, list, i, j, dir, o, res, e) < 0)
			return -1;
		i = j;
	}
	return 0;
}

int apply_up(struct db *db, struct ledger *l, const struct migration *const *list, int n,
	     const struct apply_opts *o, struct apply_result *res, struct err *e)
{
	return run_list(db, l, list, n, DIR_UP, o, res, e);
}

int apply_down(struct db *db, struct ledger *l, const struct migration *const *list, int n,
	       const struct apply_opts *o, struct apply_result *res, struct err *e)
{
	struct apply_opts od = *o;

	/* no command rolls back in one transaction (--single-transaction is up
	 * and run only): one transaction per migration */
	od.single_transaction = 0;
	return run_list(db, l, list, n, DIR_DOWN, &od, res, e);
}

/*
 * A seed: its whole file in one transaction (BEGIN, SET LOCAL timeouts, the
 * statements, a history row "seed" with the checksum, COMMIT), so the
 * history row that says "this content ran" commits with the content.
 * lock_not_available rolls back and retries like a migration; any other
 * failure rolls back and leaves a "failed" history row.
 */
int apply_seed(struct db *db, struct ledger *l, const struct migration *m, const struct apply_opts *o,
	       int64_t *ms, struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	struct history_entry h;
	int64_t t0 = now_ms();
	int attempt = 0, nrun, ret = -1;
	char dur[32];

	sb_adds(&sb, "BEGIN;\n");
	timeouts_sql(o, "LOCAL ", &sb);
	for (;;) {
		t0 = now_ms();
		if (proc_stop_signal()) {
			err_set(e, 128 + proc_stop_signal(), "stopped by signal %d", proc_stop_signal());
			break;
		}
		if (db_exec(db, sb.buf, EXIT_MIGRATION, e) == 0 &&
		    run_section(db, &m->up, EXIT_MIGRATION, &nrun, e) == 0) {
			memset(&h, 0, sizeof(h));
			h.action = "seed";
			h.name = m->name;
			h.checksum = m->checksum;
			h.outcome = "success";
			*ms = now_ms() - t0;
			h.duration_ms = *ms;
			h.forced = o->forced;
			if (ledger_history_add(l, db, &h, e) == 0 && db_exec(db, "COMMIT", EXIT_MIGRATION, e) == 0) {
				ret = 0;
				goto out;
			}
		}
		rollback(db);
		if (!strcmp(e->sqlstate, SQLSTATE_LOCK_NOT_AVAILABLE) && !proc_stop_signal() &&
		    attempt < o->lock_retries) {
			int64_t dl = backoff_delay(500, 8000, attempt);
			log_warn("seed %s: %s; rolled back, retrying in %s (%d of %d)", m->name, e->msg,
				 duration_format(dl, dur, sizeof(dur)), attempt + 1, o->lock_retries);
			attempt++;
			if (sleep_ms(dl) == 0 || !proc_stop_signal())
				continue;
		}
		break;
	}
	fail_code(e, !strcmp(e->sqlstate, SQLSTATE_LOCK_NOT_AVAILABLE));
	{
		struct err saved = *e;
		history(db, l, "seed", m, "failed", now_ms() - t0, o, &saved);
		*e = saved;
	}
out:
	sb_release(&sb);
	return ret;
}
