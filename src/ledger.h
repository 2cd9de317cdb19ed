/*
 * ledger: the tracking tables (SPEC.md "Tracking tables").
 *
 *   <table>          (version text primary key, name text, checksum text,
 *                     applied_at timestamptz, duration_ms integer, applied_by text)
 *   <table>_history  append-only: every up, down, stamp and restore, with time,
 *                     version, checksum, outcome, who (host, predeploy
 *                     version), the backup taken and any error
 *
 *   struct ledger l = LEDGER_INIT;
 *   ledger_init(&l, &db, cfg->table, &err);     // "t" or "schema.t" (default public)
 *   ledger_ensure(&l, &db, &err);               // create both if missing (under the lock)
 *   ledger_read(&l, &db, &applied, &err);       // missing table = nothing applied
 *   ledger_release(&l);
 *
 * Every name is quoted with PQescapeIdentifier and every value is a $n
 * parameter.  Reads never create anything, so `status` stays read-only.
 */
#ifndef PREDEPLOY_LEDGER_H
#define PREDEPLOY_LEDGER_H

#include <stdint.h>

#include "db.h"
#include "util/err.h"
#include "util/strbuf.h"

struct ledger {
	char *schema;       /* unquoted */
	char *table;
	char *qschema;      /* quoted */
	char *qtable;       /* "schema"."table" */
	char *qhistory;     /* "schema"."table_history" */
	int64_t lock_key;   /* advisory lock key derived from schema.table */
	int exists;         /* both tables known to exist (set by ledger_ensure) */
};

#define LEDGER_INIT { 0 }

struct applied {
	char *version;
	char *name;
	char *checksum;
	char *applied_at;   /* ISO 8601 UTC */
	int duration_ms;
	char *applied_by;
};

struct applied_set {
	struct applied *v;  /* ordered by version, numerically */
	int n;
};

#define APPLIED_SET_INIT { NULL, 0 }

struct history_entry {
	const char *action;         /* up, down, stamp, restore */
	const char *version;
	const char *name;
	const char *checksum;
	const char *outcome;        /* success, failed, partial */
	int64_t duration_ms;        /* < 0: unknown */
	const char *backup_file;
	const char *backup_sha256;
	int forced;
	const char *error;          /* message, "SQLSTATE: message" style */
	const char *sqlstate;
};

int ledger_init(struct ledger *l, struct db *db, const char *table, struct err *e);
void ledger_release(struct ledger *l);
int ledger_exists(struct ledger *l, struct db *db, int *exists, struct err *e);
int ledger_ensure(struct ledger *l, struct db *db, struct err *e);
int ledger_read(struct ledger *l, struct db *db, struct applied_set *out, struct err *e);
void applied_set_release(struct applied_set *s);
/* Latest applied version, "" when none (or the table does not exist). */
int ledger_current_version(struct ledger *l, struct db *db, char *buf, size_t cap, struct err *e);

/* Mark a migration applied without running it (stamp, adopt): the tracking
 * row only, inside the caller's transaction.  A migration that ran is
 * recorded with the record statement below. */
int ledger_mark_applied(struct ledger *l, struct db *db, const char *version, const char *name,
			const char *checksum, int64_t duration_ms, struct err *e);
/*
 * Recording a migration that ran: one statement records an up (insert of
 * the tracking row) or a down (delete) together with its history row,
 * timing the migration on the server and returning that duration_ms.
 * Where the clock starts is r.since: LEDGER_SINCE_T0 the custom setting
 * predeploy.t0 (set_config when the migration started); LEDGER_SINCE_XACT
 * the start of the transaction (a migration in its own transaction, where
 * BEGIN was the start).  The engine sends it with ledger_record_params;
 * `up --sql` prints it with ledger_record_print, so what is printed is what
 * runs.  A version whose tracking row exists already is an error (23505),
 * not an update: the version was read as pending under the migration lock,
 * so such a row was written by someone who does not take the lock.
 *
 *   struct ledger_record r = { 1, m->version, m->name, m->checksum, db->user,
 *                              backup_file, backup_sha256, forced, LEDGER_SINCE_XACT };
 *   char *sql = ledger_record_sql(l, r.up, r.since);
 *   const char *p[LEDGER_RECORD_NPARAMS];
 *   ledger_record_params(&r, who, p);       // who: "user@host", caller's buffer
 *   PQsendQueryParams(conn, sql, LEDGER_RECORD_NPARAMS, NULL, p, ...);
 *
 * All the migrations of one transaction (--single-transaction) are recorded
 * together instead, by one statement after the last of them, with the
 * durations the caller measured (ledger_record_all_*).
 */
struct ledger_record {
	int up;                     /* 1: up, 0: down */
	const char *version;
	const char *name;
	const char *checksum;
	const char *db_user;
	const char *backup_file;    /* NULL: none */
	const char *backup_sha256;
	int forced;
	enum ledger_since { LEDGER_SINCE_T0, LEDGER_SINCE_XACT } since;
};

#define LEDGER_RECORD_NPARAMS 10
/* The statement; caller frees. */
char *ledger_record_sql(struct ledger *l, int up, enum ledger_since since);
/* Its parameters (pointers into r, who and context.h's facts). */
void ledger_record_params(const struct ledger_record *r, const char *who,
			  const char *params[LEDGER_RECORD_NPARAMS]);
/* The statement with its parameters as quoted literals, and ";\n". */
void ledger_record_print(struct ledger *l, struct db *db, const struct ledger_record *r, struct strbuf *out);

/* n migrations applied in one transaction, recorded by one statement:
 * r[0..n) (ups, with the same db_user, backup and force) and their durations ms[0..n) (NULL: unknown,
 * as `up --sql` prints it).  The parameters point into a, which the caller
 * releases with ledger_record_all_release. */
#define LEDGER_RECORD_ALL_NPARAMS 11
struct ledger_record_all {
	struct strbuf versions, names, checksums, ms;
	const char *params[LEDGER_RECORD_ALL_NPARAMS];
};
char *ledger_record_all_sql(struct ledger *l);
void ledger_record_all_params(const struct ledger_record *r, int n, const int64_t *ms, const char *who,
			      struct ledger_record_all *a);
void ledger_record_all_release(struct ledger_record_all *a);
void ledger_record_all_print(struct ledger *l, struct db *db, const struct ledger_record *r, int n,
			     struct strbuf *out);
int ledger_history_add(struct ledger *l, struct db *db, const struct history_entry *h, struct err *e);
/* History rows, oldest first (columns: at, action, version, name, outcome,
 * duration_ms, applied_by, host, predeploy_version, backup_file, forced, error).
 * Returns NULL with e set, or a result (PQclear it); a missing table gives an
 * empty result with *missing = 1. */
/*
 * A run in flight: a history row (action "run", outcome "started") written
 * and committed before the first pending migration is sent, removed once
 * the run is over (each migration has its own row by then).  A row still
 * "started" when the next run holds the lock belongs to a run that was
 * killed (kill -9, OOM, node loss) while the server may still have
 * committed what it had been sent: ledger_mark_interrupted() turns it into
 * "interrupted" and logs which versions that run applied (the migrations'
 * own rows after it), so what happened is on record.
 */
int ledger_run_begin(struct ledger *l, struct db *db, const char *first, const char *last, int n,
		     int64_t *id, struct err *e);
void ledger_run_end(struct ledger *l, struct db *db, int64_t id);
int ledger_mark_interrupted(struct ledger *l, struct db *db, struct err *e);
PGresult *ledger_history_query(struct ledger *l, struct db *db, int limit, int *missing, struct err *e);
/* Make the tracking table say "everything up to `version` is applied": rows
 * above it are deleted, files at or below it that are not recorded are
 * inserted (name and checksum from the files, duration NULL).  Runs in the
 * caller's transaction; the table must exist (ledger_ensure).  Fails with
 * EXIT_USAGE when `version` is neither a file nor an applied row ("0" is
 * always accepted and means nothing applied).  *changed counts rows added
 * or removed. */
struct migration_set;
int ledger_stamp_to(struct ledger *l, struct db *db, const struct migration_set *set,
		    const char *version, int *changed, struct err *e);

#endif
