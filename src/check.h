/*
 * check: prove that every migration goes up, down and up again
 * (`predeploy check`, docs/check.md).
 *
 *   struct check_result r = CHECK_RESULT_INIT;
 *   if (check_run(cfg, &live, &opts, &set, &r, &err) < 0) ...  // could not check at all
 *   r.nfailed ? EXIT_ROUNDTRIP : 0;   print r.items, r.lint
 *   check_result_release(&r);
 *
 * On a scratch database (shadow.h), the migrations up to opts.since are
 * applied without checks; then, for each later migration in order: the
 * schema is snapshotted (schema_snap.h), its up runs, its down runs, the
 * schema must equal the first snapshot, and its up runs again.  Migrations
 * run through apply.c exactly as `up` and `down` run them (transactions,
 * transaction:false, lock_timeout).  A failure that leaves the scratch
 * schema in an unknown state (an up that fails, or fails again after its
 * down) stops the check there; the migrations after it are reported as
 * not checked.  Lint runs over the checked migrations in one batch and its
 * report is handed back; it does not change the outcome.
 *
 * check_run returns -1 only when nothing could be checked (no scratch
 * database, an internal error, a stop signal: e->code 128+N); round-trip
 * failures are in the result.
 */
#ifndef PREDEPLOY_CHECK_H
#define PREDEPLOY_CHECK_H

#include "config.h"
#include "db.h"
#include "lint/lint.h"
#include "migration.h"
#include "util/err.h"
#include "util/strbuf.h"

enum check_kind {
	CHECK_UP_FAILED,
	CHECK_DOWN_MISSING,
	CHECK_DOWN_FAILED,
	CHECK_SCHEMA_DIFFERS,
	CHECK_REUP_FAILED,
	CHECK_NOT_CHECKED,
};

enum check_status { CHECK_OK, CHECK_NOTE, CHECK_FAILED, CHECK_SKIPPED };

struct check_problem {
	enum check_kind kind;
	int fatal;                  /* counts as a failure (a missing down with --allow-missing-down does not) */
	struct err err;             /* message, SQLSTATE, file, line */
	struct strlist diff;        /* CHECK_SCHEMA_DIFFERS: schema_snap_diff lines */
};

struct check_item {
	const struct migration *m;
	enum check_status status;
	struct check_problem *p;
	int np;
	int64_t duration_ms;
};

struct migrator;

struct check_opts {
	const char *since;          /* NULL: check every migration */
	const char *shadow_url;     /* NULL: a temporary database on the live server */
	int allow_missing_down;
	struct migrator *tool;      /* NULL: predeploy's SQL files; else Alembic or MikroORM (check_tool.c) */
};

struct check_result {
	struct check_item *items;   /* the migrations after `since`, in order */
	int n;
	int nfailed;
	int nbase;                  /* applied unchecked (up to since) */
	struct lint_report lint;
	int64_t duration_ms;
	struct migration_set tool_revs; /* with a tool: its revisions as migrations (id, name, file) */
};

#define CHECK_RESULT_INIT { NULL, 0, 0, 0, LINT_REPORT_INIT, 0, MIGRATION_SET_INIT }

/* How one migration goes up or down: predeploy's engine (apply.c, in
 * check.c) or the team's tool (check_tool.c).  0, or -1 with e set. */
struct check_runner {
	int (*up)(void *ctx, const struct migration *m, struct err *e);
	int (*down)(void *ctx, const struct migration *m, struct err *e);
	void *ctx;
	const char *tracking_table; /* left out of the snapshots (a tool creates it with its first revision) */
};

/* check_tool.c: on the scratch database `db`, read the tool's revisions
 * (all pending there), apply those up to `since` with the tool, and put
 * the later ones into out as migrations (version = revision id, file = its
 * source; the down is the tool's).  *nbase = how many were applied.  The
 * runner then runs `alembic upgrade REV` / `alembic downgrade REV@-1` or
 * `mikro-orm migration:up|down --only NAME` for one of them.  The runner's
 * ctx must stay valid while it is used; release with check_tool_release. */
struct check_tool {
	struct migrator *m;
	struct db *db;
	const struct migration *first; /* out->v, to find a migration's revision */
	const struct mig_rev **revs;   /* parallel to out->v */
	char *prog;                    /* the tool's command: "alembic", "npx mikro-orm"... */
};

/* 0 for Alembic and MikroORM; -1 (EXIT_USAGE) for a tool without downs. */
int check_tool_supported(const struct migrator *m, struct err *e);
int check_tool_load(struct check_tool *t, struct migrator *m, struct db *db, const char *since,
		    struct migration_set *out, int *nbase, struct err *e);
void check_tool_runner(struct check_tool *t, struct check_runner *r);
void check_tool_release(struct check_tool *t);

int check_run(const struct config *cfg, struct db *live, const struct check_opts *o,
	      const struct migration_set *set, struct check_result *r, struct err *e);
const char *check_kind_name(enum check_kind k);
/* The report (check_report.c), appended to out: a line per migration with
 * its problems and the schema differences; JSON; GitHub Actions
 * annotations on the migration's file and line. Lint findings included. */
void check_report_text(const struct check_result *r, struct strbuf *out);
void check_report_json(const struct check_result *r, struct strbuf *out);
void check_report_github(const struct check_result *r, struct strbuf *out);
const char *check_status_name(enum check_status s);
void check_result_release(struct check_result *r);

#endif
