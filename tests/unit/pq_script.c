/* pq_script: see pq_script.h. */
#include "pq_script.h"

#include <stdlib.h>
#include <string.h>

#include "unit.h"


static struct {
	const struct pq_step *steps;
	int n, next, bad, extra;
	char conn;                 /* its address is the fake PGconn */
	PGresult *err_result[64];  /* error results and the step they answer */
	const struct pq_step *err_step[64];
} S;

#define FAKE ((PGconn *)&S.conn)

PGconn *pq_script_begin(const struct pq_step *steps, int n)
{
	memset(&S, 0, sizeof(S));
	S.steps = steps;
	S.n = n;
	return FAKE;
}

int pq_script_used(void)
{
	return S.next;
}

void pq_script_end(void)
{
	if (S.next != S.n)
		fprintf(stderr, "pq_script: %d of %d steps used\n", S.next, S.n);
	CHECK_INT(S.next, S.n);
	CHECK_INT(S.extra, 0);
	memset(&S, 0, sizeof(S));
}

/* field i (0-based) of a '|'-separated value, copied into buf */
static const char *field(const char *v, int i, char *buf, size_t cap)
{
	const char *end;

	for (; i > 0 && v; i--)
		v = (v = strchr(v, '|')) ? v + 1 : NULL;
	if (!v)
		return NULL;
	end = v + strcspn(v, "|\n");
	if ((size_t)(end - v) >= cap || end == v)
		return NULL;
	memcpy(buf, v, (size_t)(end - v));
	buf[end - v] = '\0';
	return buf;
}

#define MAX_COLS 16

/* One value: from p up to the next '|' or end of line. */
static const char *value_end(const char *p)
{
	return p + strcspn(p, "|\n");
}

static PGresult *rows(const char *v)
{
	PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	PGresAttDesc att[MAX_COLS];
	const char *p;
	int ncol = 1, row, c;

	for (p = v; *p && *p != '\n'; p++)
		ncol += *p == '|';
	CHECK(ncol <= MAX_COLS);
	memset(att, 0, sizeof(att));
	for (c = 0; c < ncol && c < MAX_COLS; c++) {
		att[c].name = (char *)"?column?";
		att[c].typid = 25;        /* text */
		att[c].typlen = -1;
		att[c].atttypmod = -1;
	}
	PQsetResultAttrs(r, ncol < MAX_COLS ? ncol : MAX_COLS, att);
	for (p = v, row = 0; *p; row++) {
		for (c = 0; c < ncol && c < MAX_COLS; c++) {
			const char *e = value_end(p);

			PQsetvalue(r, row, c, (char *)p, (int)(e - p));
			p = *e == '|' ? e + 1 : e;
		}
		p += strcspn(p, "\n");
		if (*p == '\n')
			p++;
	}
	return r;
}

static PGresult *answer(const char *sql, const char *param1)
{
	const struct pq_step *st;
	PGresult *r;
	int i;

	if (S.bad || S.next >= S.n) {
		fprintf(stderr, "pq_script: unexpected statement: %s\n", sql);
		S.extra++;
		return NULL;
	}
	st = &S.steps[S.next++];
	if (strncmp(sql, st->sql_prefix, strlen(st->sql_prefix))) {
		fprintf(stderr, "pq_script: step %d expected \"%s...\", got: %s\n", S.next, st->sql_prefix, sql);
		unit_failures++;
	}
	if (st->param1 && (!param1 || strcmp(param1, st->param1))) {
		fprintf(stderr, "pq_script: step %d expected $1 = %s, got %s\n", S.next, st->param1,
			param1 ? param1 : "(none)");
		unit_failures++;
	}
	switch (st->answer) {
	case PQ_ROWS:
		return rows(st->value ? st->value : "");
	case PQ_COMMAND:
		return PQmakeEmptyPGresult(NULL, PGRES_COMMAND_OK);
	case PQ_ERROR:
		r = PQmakeEmptyPGresult(NULL, PGRES_FATAL_ERROR);
		for (i = 0; i < 64; i++)         /* an earlier result freed at this address */
			if (S.err_result[i] == r)
				S.err_result[i] = NULL;
		for (i = 0; i < 64; i++)
			if (!S.err_result[i]) {
				S.err_result[i] = r;
				S.err_step[i] = st;
				break;
			}
		return r;
	case PQ_DROP:
	default:
		S.bad = 1;
		return NULL;
	}
}

PGresult *__wrap_PQexec(PGconn *conn, const char *sql);
PGresult *__wrap_PQexecParams(PGconn *conn, const char *sql, int n, const Oid *types,
			      const char *const *values, const int *lengths, const int *formats,
			      int result_format);
ConnStatusType __wrap_PQstatus(const PGconn *conn);
char *__wrap_PQerrorMessage(const PGconn *conn);
char *__wrap_PQresultErrorField(const PGresult *r, int code);
char *__real_PQresultErrorField(const PGresult *r, int code);
void __wrap_PQfinish(PGconn *conn);

PGresult *__wrap_PQexec(PGconn *conn, const char *sql)
{
	CHECK(conn == FAKE);
	return answer(sql, NULL);
}

PGresult *__wrap_PQexecParams(PGconn *conn, const char *sql, int n, const Oid *types,
			      const char *const *values, const int *lengths, const int *formats,
			      int result_format)
{
	(void)types, (void)lengths, (void)formats, (void)result_format;
	CHECK(conn == FAKE);
	return answer(sql, n > 0 ? values[0] : NULL);
}

ConnStatusType __wrap_PQstatus(const PGconn *conn)
{
	CHECK(conn == FAKE);
	return S.bad ? CONNECTION_BAD : CONNECTION_OK;
}

char *__wrap_PQerrorMessage(const PGconn *conn)
{
	CHECK(conn == FAKE);
	return (char *)(S.bad ? "server closed the connection unexpectedly\n"
			"\tThis probably means the server terminated abnormally\n" : "");
}

char *__wrap_PQresultErrorField(const PGresult *r, int code)
{
	static char buf[4][256];
	int i, k;

	for (i = 0; i < 64; i++)
		if (r && S.err_result[i] == r && PQresultStatus(r) == PGRES_FATAL_ERROR) {
			k = code == PG_DIAG_SQLSTATE ? 0 : code == PG_DIAG_MESSAGE_PRIMARY ? 1 :
			    code == PG_DIAG_MESSAGE_DETAIL ? 2 : code == PG_DIAG_MESSAGE_HINT ? 3 : -1;
			return k < 0 ? NULL : (char *)field(S.err_step[i]->value, k, buf[k], sizeof(buf[k]));
		}
	return __real_PQresultErrorField(r, code);
}

void __wrap_PQfinish(PGconn *conn)
{
	CHECK(conn == FAKE);
}
