/*
 * apply_pipeline: the pipeline window (apply_int.h).
 *
 * Pipelined execution (libpq pipeline mode) of a run of transactional
 * migrations: each in its own transaction (BEGIN, SET LOCAL, its
 * statements, its tracking/history row, COMMIT), or all in one with
 * --single-transaction.  Statements go out without waiting for results, so
 * the server never idles for a round trip, but through a window: the
 * statements of migration k+1 are sent once the server has started on
 * migration k, that is once the last result of migration k-1 is in (the
 * server runs them in order), and never more than PIPE_CHUNK statements
 * ahead of the results, so neither side's socket buffer fills up, and a
 * stop signal leaves at most the next migration queued.  The server sends
 * a migration's results together (at the flush request after it), so
 * waiting for migration k's results before sending k+1 would leave the
 * server idle for a round trip per migration.
 *
 * After the first error the server skips everything up to the Sync, so the
 * migrations after a failed one never run, while those before it are
 * committed: the same outcome as one round trip per migration.
 *
 * With --single-transaction the migrations are recorded by one statement
 * before the COMMIT (IT_RECORD_ALL), sent once every result before it is
 * in, so each migration's duration is measured here: a flush request
 * follows each migration's last statement, and the time between two
 * migrations' last results is the second one's duration.  A cancel
 * (SIGTERM) that reaches the server between two statements is ignored there,
 * so while stopping it is repeated after each result.
 */
#include "apply_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "proc.h"
#include "util/exitcode.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define PIPE_CHUNK 128
#define TEXTARRAYOID 1009
#define INT4ARRAYOID 1007

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void batch_add(struct batch *b, enum item_kind k, char *sql, int mig, const struct section *sec,
		      size_t len, int line)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 256;
		b->v = xrealloc(b->v, sizeof(*b->v) * (size_t)b->cap);
	}
	b->v[b->n].kind = k;
	b->v[b->n].sql = sql;
	b->v[b->n].mig = mig;
	b->v[b->n].sec = sec;
	b->v[b->n].len = len;
	b->v[b->n].line = line;
	b->n++;
}

void batch_clear(struct batch *b)
{
	int i;

	for (i = 0; i < b->n; i++)
		free(b->v[i].sql);
	b->n = 0;
}

void batch_release(struct batch *b)
{
	batch_clear(b);
	free(b->v);
	free(b->record_sql);
	memset(b, 0, sizeof(*b));
}

void apply_record_conflict_hint(struct err *e, const char *version, const char *outcome)
{
	if (strcmp(e->sqlstate, "23505"))
		return;
	err_hint(e, "the tracking table already had a row for %s%s, which was pending when this run read "
		 "the table under the migration lock: something that does not take predeploy's lock wrote it; %s",
		 version ? "version " : "a version of this run (see the detail)", version ? version : "", outcome);
}

/* The batch's record statement for all its migrations, list[0..n). */
static int send_record_all(struct db *db, const struct batch *b, const struct migration *const *list, int n,
			   const struct apply_opts *o, const int64_t *ms)
{
	static const Oid types[LEDGER_RECORD_ALL_NPARAMS] = { TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
							      INT4ARRAYOID, TEXTOID, TEXTOID, TEXTOID,
							      TEXTOID, TEXTOID, TEXTOID, TEXTOID };
	struct ledger_record *r = xcalloc((size_t)n + 1, sizeof(*r));
	struct ledger_record_all a;
	int i, ok;

	for (i = 0; i < n; i++)
		r[i] = record_of(db, list[i], b->dir, o, b->since);
	ledger_record_all_params(r, n, ms, b->who, &a);
	ok = PQsendQueryParams(db->conn, b->record_sql, LEDGER_RECORD_ALL_NPARAMS, types, a.params, NULL, NULL, 0);
	ledger_record_all_release(&a);
	free(r);
	return ok;
}

static int send_item(struct db *db, const struct batch *b, const struct item *it,
		     const struct migration *m, const struct apply_opts *o)
{
	static const Oid types[LEDGER_RECORD_NPARAMS] = { TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
							  TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID };
	const char *p[LEDGER_RECORD_NPARAMS];
	struct ledger_record r;

	if (it->kind == IT_PREPARE)
		return PQsendPrepare(db->conn, b->record_name, b->record_sql, LEDGER_RECORD_NPARAMS, types);
	if (it->kind != IT_RECORD)
		return PQsendQueryParams(db->conn, it->sql, 0, NULL, NULL, NULL, NULL, 0);
	r = record_of(db, m, b->dir, o, b->since);
	ledger_record_params(&r, b->who, p);
	if (!b->record_name[0])
		return PQsendQueryParams(db->conn, b->record_sql, LEDGER_RECORD_NPARAMS, types, p, NULL, NULL, 0);
	return PQsendQueryPrepared(db->conn, b->record_name, LEDGER_RECORD_NPARAMS, p, NULL, NULL, 0);
}

/* Send and read the whole batch; ms[mig] gets each migration's duration
 * from its record row. Returns 0, or -1 with e describing the first failure
 * and *failed_mig set (the migrations before it whose COMMIT went through
 * were reported to done). */
int apply_run_pipeline(struct db *db, struct batch *b, const struct migration *const *list,
			const struct apply_opts *o, const struct pipe_done *done, int64_t *ms,
			int *failed_mig, struct err *e)
{
	int sent = 0, got = 0, failed = 0, synced = 0, finished = -1, nmig = b->n ? b->v[b->n - 1].mig + 1 : 0;
	int64_t t_prev = now_us();

	if (!PQenterPipelineMode(db->conn))
		return err_set(e, EXIT_INTERNAL, "could not enter pipeline mode: %s", PQerrorMessage(db->conn));
	while (got < b->n && !failed) {
		const struct item *it;
		PGresult *r;
		int before = sent;

		/* the window: the migration the server is on (finished + 1) and
		 * the next one, at most PIPE_CHUNK statements ahead of the results */
		while (sent < b->n && sent - got < PIPE_CHUNK && b->v[sent].mig <= finished + 2 &&
		       !(b->v[sent].kind == IT_RECORD_ALL && got < sent) && !proc_stop_signal()) {
			const struct item *si = &b->v[sent];
			int ok = si->kind == IT_RECORD_ALL ? send_record_all(db, b, list, nmig, o, ms) :
				 send_item(db, b, si, list[si->mig], o);

			if (!ok) {
				err_set(e, EXIT_MIGRATION, "could not send a statement: %s", PQerrorMessage(db->conn));
				*failed_mig = si->mig;
				failed = 1;
				break;
			}
			sent++;
			/* the server sends each migration's results when it is done */
			if (b->record_all && sent < b->n && b->v[sent].mig != si->mig)
				PQsendFlushRequest(db->conn);
		}
		if (failed)
			break;
		if (sent == b->n && !synced) {
			PQpipelineSync(db->conn);
			synced = 1;
		} else if (sent > before) {
			PQsendFlushRequest(db->conn);
		}
		PQflush(db->conn);
		if (got == sent) {
			/* stopping before anything was sent for the next migration */
			err_set(e, 128 + proc_stop_signal(), "stopped by signal %d", proc_stop_signal());
			*failed_mig = b->v[got].mig;
			failed = 1;
			break;
		}

		/* the results of one statement */
		it = &b->v[got];
		while ((r = PQgetResult(db->conn))) {
			ExecStatusType st = PQresultStatus(r);
			if (st == PGRES_FATAL_ERROR && !failed) {
				const char *pos = PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION);
				db_error_from_result(r, db->conn, EXIT_MIGRATION, e);
				if (it->sec) {
					int at = it->sec->line + it->line - 1;
					if (pos)
						at += apply_line_of_position(it->sql, it->len, atol(pos));
					err_where(e, it->sec->path, at);
				}
				if (it->kind == IT_RECORD || it->kind == IT_RECORD_ALL)
					apply_record_conflict_hint(e, it->kind == IT_RECORD ? list[it->mig]->version : NULL,
								   "the transaction was rolled back");
				*failed_mig = it->mig;
				failed = 1;
			} else if (st == PGRES_TUPLES_OK && it->kind == IT_RECORD && PQntuples(r) == 1) {
				ms[it->mig] = atoll(PQgetvalue(r, 0, 0));
			} else if (st == PGRES_COMMAND_OK && it->kind == IT_PREPARE) {
				db_set_prepared(db, b->record_name);
			} else if (st == PGRES_COMMAND_OK && it->kind == IT_COMMIT && !failed && done) {
				done->fn(done->arg, it->mig);
			}
			PQclear(r);
		}
		if (PQstatus(db->conn) == CONNECTION_BAD) {
			if (!failed)
				db_error_from_result(NULL, db->conn, EXIT_MIGRATION, e);
			*failed_mig = it->mig;
			failed = 1;
		}
		got++;
		if (b->record_all && it->kind != IT_RECORD_ALL && it->kind != IT_COMMIT &&
		    (got == b->n || b->v[got].mig != it->mig || b->v[got].kind == IT_RECORD_ALL)) {
			/* the migration's last result */
			int64_t t = now_us();

			ms[it->mig] = (t - t_prev + 500) / 1000;
			t_prev = t;
		}
		if (got == b->n || b->v[got].mig != it->mig)
			finished = it->mig;
		if (!failed && proc_stop_signal())
			proc_cancel();
	}
	/* drain what was sent, up to and including the sync */
	if (PQstatus(db->conn) == CONNECTION_OK) {
		if (!synced) {
			PQpipelineSync(db->conn);
			PQflush(db->conn);
		}
		/* results come item by item from `got` on (NULL after each);
		 * a prepare that went through is remembered here too */
		for (int k = got;;) {
			PGresult *r = PQgetResult(db->conn);
			if (!r) {
				if (PQstatus(db->conn) != CONNECTION_OK)
					break;
				k++;
				continue;
			}
			if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
				PQclear(r);
				break;
			}
			if (PQresultStatus(r) == PGRES_COMMAND_OK && k < b->n && b->v[k].kind == IT_PREPARE)
				db_set_prepared(db, b->record_name);
			PQclear(r);
		}
		PQexitPipelineMode(db->conn);
	}
	return failed ? -1 : 0;
}

