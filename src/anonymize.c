/* anonymize: see anonymize.h. */
#include "anonymize.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "proc.h"
#include "sqlsplit.h"
#include "util/exitcode.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

void anonymize_release(struct anonymize *a)
{
	int i;

	for (i = 0; i < a->n; i++)
		free(a->v[i].sql);
	free(a->v);
	migration_release(&a->m);
	memset(a, 0, sizeof(*a));
}

/* "-- predeploy:expect N rows" on line `p..eol`: 1 and *n, 0 when the line
 * is not the directive, -1 when it is but malformed. */
static int expect_line(const char *p, const char *eol, long *n)
{
	char *end;

	while (p < eol && isspace((unsigned char)*p))
		p++;
	if (eol - p < 2 || p[0] != '-' || p[1] != '-')
		return 0;
	p += 2;
	while (p < eol && isspace((unsigned char)*p))
		p++;
	if (eol - p < 16 || strncmp(p, "predeploy:expect", 16))
		return 0;
	p += 16;
	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	if (p == eol || !isdigit((unsigned char)*p))
		return -1;
	*n = strtol(p, &end, 10);
	p = end;
	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	if (eol - p >= 4 && !strncmp(p, "rows", 4))
		p += 4;
	else if (eol - p >= 3 && !strncmp(p, "row", 3))
		p += 3;
	else
		return -1;
	while (p < eol && isspace((unsigned char)*p))
		p++;
	return p == eol && *n >= 0 ? 1 : -1;
}

int anonymize_load(const char *path, struct anonymize *a, struct err *e)
{
	struct sql_stmt *st = NULL;
	const char *p, *end;
	int n = 0, i, line = 1, next = 0;

	memset(a, 0, sizeof(*a));
	if (migration_load_plain(path, &a->m, e) < 0)
		return -1;
	if (sql_split(a->m.up.sql, a->m.up.len, &st, &n, e) < 0) {
		err_where(e, path, e->line);
		goto fail;
	}
	a->v = xcalloc((size_t)n + 1, sizeof(*a->v));
	for (i = 0; i < n; i++) {
		a->v[i].sql = xstrndup(a->m.up.sql + st[i].off, st[i].len);
		a->v[i].line = st[i].line;
		a->v[i].expect = -1;
	}
	a->n = n;
	for (i = 0; i < n; i++) {
		static const char *const tx[] = { "begin", "commit", "rollback", "end", "abort", "start",
						  "savepoint", "release", "prepare", NULL };
		const char *w = a->v[i].sql;
		size_t wl = 0;
		int k;

		while (isalpha((unsigned char)w[wl]))
			wl++;
		for (k = 0; tx[k]; k++) {
			if (wl == strlen(tx[k]) && !strncasecmp(w, tx[k], wl)) {
				err_set(e, EXIT_DATAERR, "\"%.*s\" is not allowed: the anonymisation runs inside the "
					"copy's transaction, which predeploy commits only when everything passed",
					(int)wl, w);
				err_where(e, path, a->v[i].line);
				goto fail;
			}
		}
	}
	/* each directive belongs to the first statement that starts after it */
	for (p = a->m.up.sql, end = p + a->m.up.len; p < end; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *eol = nl ? nl : end;
		long rows = 0;
		int rc = expect_line(p, eol, &rows);

		while (next < n && a->v[next].line <= line)
			next++;
		if (rc < 0) {
			err_set(e, EXIT_DATAERR, "malformed expectation: write \"-- predeploy:expect N rows\"");
			err_where(e, path, line);
			goto fail;
		}
		if (rc > 0) {
			if (next >= n) {
				err_set(e, EXIT_DATAERR, "\"-- predeploy:expect\" is not followed by a query");
				err_where(e, path, line);
				goto fail;
			}
			if (a->v[next].expect >= 0) {
				err_set(e, EXIT_DATAERR, "two expectations for the query at line %d", a->v[next].line);
				err_where(e, path, line);
				goto fail;
			}
			a->v[next].expect = rows;
			a->nexpect++;
		}
		p = nl ? nl + 1 : end;
	}
	free(st);
	return 0;
fail:
	free(st);
	anonymize_release(a);
	return -1;
}

int anonymize_run(struct anonymize *a, struct db *db, struct err *e)
{
	int64_t t0 = now_ms();
	int i;

	log_info("anonymizing with \"%s\" (%d statement%s, %d expectation%s) before the copy commits", a->m.up.path,
		 a->n, a->n == 1 ? "" : "s", a->nexpect, a->nexpect == 1 ? "" : "s");
	/* the dump emptied search_path; the team's SQL names tables as the app does */
	if (db_exec(db, "SET LOCAL search_path TO DEFAULT", EXIT_INTERNAL, e) < 0)
		return -1;
	for (i = 0; i < a->n; i++) {
		struct anonymize_stmt *s = &a->v[i];
		PGresult *r;
		ExecStatusType st;

		if (proc_stop_signal())
			return err_set(e, 128 + proc_stop_signal(), "stopped by signal %d", proc_stop_signal());
		r = PQexec(db->conn, s->sql);
		st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
			db_error_from_result(r, db->conn, EXIT_MIGRATION, e);
			PQclear(r);
			err_prefix(e, "anonymisation failed");
			err_where(e, a->m.up.path, s->line);
			if (proc_stop_signal())
				e->code = 128 + proc_stop_signal();
			return -1;
		}
		if (s->expect >= 0 && (st != PGRES_TUPLES_OK || PQntuples(r) != s->expect)) {
			long got = st == PGRES_TUPLES_OK ? PQntuples(r) : -1;

			PQclear(r);
			if (got < 0)
				err_set(e, EXIT_MIGRATION, "expected %ld row%s but the statement returns no rows "
					"(it is not a query)", s->expect, s->expect == 1 ? "" : "s");
			else
				err_set(e, EXIT_MIGRATION, "expectation failed: the query returned %ld row%s, "
					"expected %ld", got, got == 1 ? "" : "s", s->expect);
			err_where(e, a->m.up.path, s->line);
			err_hint(e, "the anonymisation missed something; nothing of the copy was committed");
			return -1;
		}
		PQclear(r);
		if (PQtransactionStatus(db->conn) != PQTRANS_INTRANS) {
			err_set(e, EXIT_DATAERR, "the statement ended the copy's transaction: the anonymisation "
				"must not commit or roll back");
			err_where(e, a->m.up.path, s->line);
			return -1;
		}
	}
	log_info("anonymized in %.1fs; %d expectation%s met", (double)(now_ms() - t0) / 1000.0, a->nexpect,
		 a->nexpect == 1 ? "" : "s");
	return 0;
}

int anonymize_run_hook(void *arg, struct db *db, struct err *e)
{
	return anonymize_run(arg, db, e);
}
