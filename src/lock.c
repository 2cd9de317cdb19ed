/* lock: see lock.h. */
#include "lock.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "util/backoff.h"
#include "util/exitcode.h"
#include "util/timeutil.h"
#include "util/banned.h"

static int try_lock(struct db *db, const char *key, int *got, struct err *e)
{
	const char *params[1] = { key };
	PGresult *r = db_query(db, "SELECT pg_catalog.pg_try_advisory_lock($1::bigint)", 1, params,
			       EXIT_INTERNAL, e);

	if (!r)
		return -1;
	*got = !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	return 0;
}

static void log_holder(struct db *db, const char *key, int64_t waited)
{
	struct err e = ERR_INIT;
	const char *params[1] = { key };
	char d[32];
	PGresult *r = db_query(db,
		"SELECT a.pid, coalesce(a.application_name, ''), coalesce(host(a.client_addr), 'local'), "
		"coalesce(to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), "
		"coalesce(a.state, '') "
		"FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid "
		"WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
		"AND l.classid = (($1::bigint >> 32) & 4294967295)::oid "
		"AND l.objid = ($1::bigint & 4294967295)::oid "
		"AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())",
		1, params, EXIT_INTERNAL, &e);

	duration_format(waited, d, sizeof(d));
	if (r && PQntuples(r) > 0)
		log_info("waiting for the migration lock (%s so far): held by pid %s (application_name "
			 "\"%s\", from %s, connected since %s, %s)", d, PQgetvalue(r, 0, 0),
			 PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3), PQgetvalue(r, 0, 4));
	else
		log_info("waiting for the migration lock (%s so far)", d);
	PQclear(r);
}

int lock_acquire(struct db *db, int64_t key, int64_t wait_ms, struct err *e)
{
	char k[32];
	int64_t start = now_ms(), next_log = 0;
	struct backoff delay = BACKOFF_INIT(50, 1000);
	int got = 0;

	snprintf(k, sizeof(k), "%lld", (long long)key);
	for (;;) {
		int64_t waited;

		if (try_lock(db, k, &got, e) < 0)
			return -1;
		if (got) {
			waited = now_ms() - start;
			if (waited > 1000)
				log_info("acquired the migration lock after %lld ms", (long long)waited);
			else
				log_debug("acquired the migration lock (key %s)", k);
			return 0;
		}
		waited = now_ms() - start;
		if (waited >= wait_ms) {
			char d[32];
			err_set(e, EXIT_TEMPFAIL, "could not acquire the migration lock within %s",
				duration_format(wait_ms, d, sizeof(d)));
			err_hint(e, "another predeploy holds it; retry later or raise --lock-wait");
			return -1;
		}
		if (waited >= next_log) {
			log_holder(db, k, waited);
			next_log = waited + 10000;
		}
		if (sleep_ms(backoff_next(&delay, wait_ms - waited)) < 0)
			return err_set(e, EXIT_TEMPFAIL, "interrupted while waiting for the migration lock");
	}
}

void lock_release(struct db *db, int64_t key)
{
	char k[32];
	const char *params[1] = { k };
	struct err e = ERR_INIT;
	PGresult *r;

	if (!db->conn || PQstatus(db->conn) != CONNECTION_OK)
		return;
	snprintf(k, sizeof(k), "%lld", (long long)key);
	r = db_query(db, "SELECT pg_catalog.pg_advisory_unlock($1::bigint)", 1, params, EXIT_INTERNAL, &e);
	PQclear(r);
}
