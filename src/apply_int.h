/*
 * apply_int: what apply.c and apply_pipeline.c share (not part of the
 * public API, see apply.h).
 *
 * apply.c builds a batch per run of transactional migrations (BEGIN, SET
 * LOCAL, the statements, the record statement, COMMIT: one item each) and
 * hands it to apply_run_pipeline (apply_pipeline.c), which sends it in
 * libpq pipeline mode through a bounded window.  `up --sql` prints the same
 * batch.
 */
#ifndef PREDEPLOY_APPLY_INT_H
#define PREDEPLOY_APPLY_INT_H

#include <stdint.h>

#include "apply.h"
#include "ledger.h"

enum direction { DIR_UP, DIR_DOWN };

/* IT_PREPARE names the record statement on the server, at the head of the
 * first batch on a connection (it stays prepared for the session), so each
 * IT_RECORD sends only its parameters.  IT_RECORD_ALL records
 * every migration of a --single-transaction batch at once: it goes out
 * after the results of everything before it are in, with the durations the
 * pipeline measured. */
enum item_kind { IT_CONTROL, IT_STMT, IT_RECORD, IT_COMMIT, IT_PREPARE, IT_RECORD_ALL };

struct item {
	enum item_kind kind;
	char *sql;
	int mig;                      /* index into the batch */
	const struct section *sec;
	size_t len;
	int line;
};

#define TEXTOID 25

struct batch {
	struct item *v;
	int n, cap;
	char *record_sql;
	char record_name[48];         /* its prepared statement ("": none, sent as is) */
	int prepare;                  /* the batch prepares it (IT_PREPARE) */
	enum ledger_since since;      /* how record_sql times a migration */
	int record_all;               /* one IT_RECORD_ALL instead of an IT_RECORD each */
	enum direction dir;
	char who[512];
};

/* Called for each migration whose COMMIT went through, in order. */
struct pipe_done {
	void (*fn)(void *arg, int mig);
	void *arg;
};

void batch_add(struct batch *b, enum item_kind k, char *sql, int mig, const struct section *sec,
	       size_t len, int line);
void batch_clear(struct batch *b);
void batch_release(struct batch *b);

/* Send and read the whole batch (list: its migrations); ms[mig] gets each
 * migration's duration: from its record row, or with an IT_RECORD_ALL the
 * time from the previous migration's last result (the batch's start for
 * the first) to its own last result, which the server sends at the flush
 * request after each migration.  0, or -1 with e describing the
 * first failure and *failed_mig set (the migrations before it whose COMMIT
 * went through were reported to done). */
int apply_run_pipeline(struct db *db, struct batch *b, const struct migration *const *list,
		       const struct apply_opts *o, const struct pipe_done *done, int64_t *ms, int *failed_mig,
		       struct err *e);

/* A record statement that failed on an existing tracking row (SQLSTATE
 * 23505) gets a hint saying what that means; outcome: what became of the
 * migration.  version NULL: one of a --single-transaction batch. */
void apply_record_conflict_hint(struct err *e, const char *version, const char *outcome);

/* The 1-based line of byte offset pos (a server error position) in s. */
int apply_line_of_position(const char *s, size_t len, long pos);

/* What the tracking and history rows say about m (ledger.h). */
static inline struct ledger_record record_of(const struct db *db, const struct migration *m, enum direction dir,
				      const struct apply_opts *o, enum ledger_since since)
{
	struct ledger_record r = { dir == DIR_UP, m->version, m->name, m->checksum, db->user,
				   o->backup_file, o->backup_sha256, o->forced, since };
	return r;
}

#endif
