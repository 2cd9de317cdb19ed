/*
 * pq_script: a scripted libpq for unit tests of db code, for the states a
 * real server does not produce on demand (a connection lost between two
 * queries, a lock held for exactly two polls, an error with every field).
 * pgBackRest's harnessPq is the model.  The integration tests keep using a
 * real PostgreSQL; this is only for the paths they cannot reach reliably.
 *
 * Tests named tests/unit/test_pq_*.c are linked with this file and with
 * -Wl,--wrap for PQexec, PQexecParams, PQstatus, PQerrorMessage,
 * PQresultErrorField and PQfinish (CMakeLists.txt), so the code under test
 * calls the script instead of a server.  Results are real PGresults built
 * with libpq's own PQmakeEmptyPGresult/PQsetResultAttrs/PQsetvalue.
 *
 *   static const struct pq_step steps[] = {
 *       { "SELECT pg_catalog.pg_try_advisory_lock", "42", PQ_ROWS, "f" },
 *       { "SELECT pg_catalog.pg_try_advisory_lock", NULL, PQ_ROWS, "t" },
 *   };
 *   struct db db = { .conn = pq_script_begin(steps, 2) };
 *   ... code under test ...
 *   pq_script_end();        // CHECKs that every step was used, in order
 */
#ifndef PREDEPLOY_PQ_SCRIPT_H
#define PREDEPLOY_PQ_SCRIPT_H

#include <libpq-fe.h>

enum pq_answer {
	PQ_ROWS,        /* rows: lines of '|'-separated values ("" = no rows) */
	PQ_COMMAND,     /* PGRES_COMMAND_OK */
	PQ_ERROR,       /* "SQLSTATE|message|detail|hint" (empty fields: absent) */
	PQ_DROP,        /* the server went away: NULL result, CONNECTION_BAD */
};

struct pq_step {
	const char *sql_prefix;    /* what the statement must start with */
	const char *param1;        /* its first parameter, or NULL: not checked */
	enum pq_answer answer;
	const char *value;
};

/* Start a script; returns the fake connection to put in struct db. */
PGconn *pq_script_begin(const struct pq_step *steps, int n);
/* Steps used so far. */
int pq_script_used(void);
/* Check that every step was used and nothing else was sent; then reset. */
void pq_script_end(void);

#endif
