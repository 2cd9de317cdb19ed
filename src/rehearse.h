/*
 * rehearse: the pending migrations, tried on a shadow copy first (SPEC.md
 * "Rehearsal", docs/rehearsal.md).
 *
 *   struct rehearse_plan p = { .migrations = v, .n = n, .tracking_writes = prefixes,
 *                              .apply = fn, .arg = arg };
 *   struct rehearse_result r = REHEARSE_RESULT_INIT;
 *   if (rehearse_run(cfg, &live, &p, &r, &err) < 0) ...   // 11: failed in the rehearsal, 128+N
 *   if (!r.ran) ... fell back (r.why says why), lint statically
 *   lint_report_blocked(&r.lint) -> exit 10 before any backup
 *   rehearse_result_release(&r);
 *
 * Steps: a shadow database (shadow.h) gets the live database's schema and
 * the data of its small tables (pg_dump --no-owner --no-privileges, tables
 * with more than cfg->shadow_data_max_rows rows dumped without data)
 * streamed into it (shadow.h, shadow_load); the catalog is snapshotted; a capture relay (relay.h) is
 * started towards the shadow's server; `apply` runs the migrator against a
 * connection made through the relay (apply may hand that connection's
 * parameters to a child); the relay is stopped and the captured statements
 * are attributed to migrations by the tool's own tracking writes (the k-th
 * tracking write closes the k-th pending migration); each migration's
 * statements are linted with the catalog numbers of the *live* database,
 * with the acknowledgements its source file carries (`-- predeploy:allow`,
 * `# predeploy:allow`, `// predeploy:allow`), in one batch so objects that
 * an earlier migration of the run created are exempt; the shadow's catalog
 * before and after is compared (dropped tables and columns, type changes,
 * new NOT NULL, rewritten tables) and a change that no captured statement
 * explains is reported.  The shadow is dropped on every path.
 *
 * Falls back (r.ran = 0, r.why set, returns 0) when no shadow can be made
 * (no CREATEDB and no --shadow-database-url) or the migrator never
 * connected through the relay (it ignores DATABASE_URL): the caller lints
 * statically where the format allows.
 */
#ifndef PREDEPLOY_REHEARSE_H
#define PREDEPLOY_REHEARSE_H

#include <stdint.h>

#include "config.h"
#include "db.h"
#include "lint/lint.h"
#include "util/err.h"
#include "util/strbuf.h"

struct rehearse_migration {
	const char *id;                 /* version or revision id */
	const char *name;
	const char *path;               /* source file (annotations are read from it) */
	int line;                       /* where findings point in it (0: 1) */
};

struct rehearse_plan {
	const struct rehearse_migration *migrations;   /* pending, in the order they run */
	int n;
	/* the tool's tracking writes (migrator_ops.tracking_writes): statement
	 * prefixes, compared normalised (rehearse_normalise); "*text": text found
	 * anywhere in the statement; a leading "-": a tracking write that does
	 * not mark a migration as finished; NULL-terminated */
	const char *const *tracking_writes;
	/* run the migrations against `via_relay` (a connection to the shadow
	 * through the relay); -1 with e filled when the migrator fails */
	int (*apply)(void *arg, struct db *via_relay, struct err *e);
	void *arg;
	const char *label;              /* "alembic", "sql"... for messages */
	/* NULL: the shadow gets the live schema (and small tables' data).  Else
	 * it is called on the emptied --shadow-database-url instead, to bring
	 * it to where the rehearsal starts (lint --since: the tool's revisions
	 * up to REV, without capture), and may set migrations and n. */
	int (*prepare)(void *arg, struct db *shadow, struct rehearse_plan *p, struct err *e);
};

struct rehearse_stmt {
	int migration;                  /* index in plan.migrations, -1 unattributed */
	char *sql;
};

struct rehearse_result {
	int ran;                        /* 0: fell back, see why */
	char why[1280];
	struct lint_report lint;        /* findings on the captured SQL */
	struct lint_report diff;        /* changes the shadow's catalog shows that no finding above explains */
	struct rehearse_stmt *stmts;    /* captured, attributed, tracking writes left out */
	int nstmts;
	int connections;                /* client connections the migrator opened */
	int64_t duration_ms;
};

#define REHEARSE_RESULT_INIT { 0, "", LINT_REPORT_INIT, LINT_REPORT_INIT, NULL, 0, 0, 0 }

/* live may be NULL with p->prepare and --shadow-database-url (CI without
 * a database): no catalog numbers then. */
int rehearse_run(const struct config *cfg, struct db *live, const struct rehearse_plan *p,
		 struct rehearse_result *r, struct err *e);
void rehearse_result_release(struct rehearse_result *r);

/* The rehearsal of pending files through predeploy's own engine (apply.c
 * against the shadow, through the relay); the ledger rows close each
 * migration. */
struct migration;
int rehearse_sql(const struct config *cfg, struct db *live, const struct migration *const *pending, int n,
		 struct rehearse_result *r, struct err *e);
/* The tracking-write pattern of predeploy's own ledger rows (appended to
 * out), for a plan whose apply records each migration in the ledger. */
void rehearse_ledger_write(const struct config *cfg, struct strbuf *out);
/* The rehearsal of a tool's pending revisions (st from its read_state on
 * `live`): the tool's migrate command against the relay.  *tool_ms: its
 * run time on the shadow. */
struct migrator;
struct tool_state;
int rehearse_tool(const struct config *cfg, struct db *live, struct migrator *m, const struct tool_state *st,
		  struct rehearse_result *r, int64_t *tool_ms, struct err *e);
/* `lint` with --migrator naming a tool (not auto, not sql). */
int rehearse_lint_wanted(const struct config *cfg);
/* `lint --migrator X [--since REV]`: with a database configured and no
 * REV, the revisions pending there are rehearsed as `up` would (a shadow
 * on its server or --shadow-database-url; Alembic's offline SQL without
 * one); with REV, or without a database, rehearse_tool_since on
 * --shadow-database-url.  The findings on the captured SQL and the catalog
 * diff go to out; *count = revisions rehearsed.  -1 with e: EXIT_MIGRATION
 * when one failed on the shadow, EXIT_CONFIG when it could not be
 * rehearsed, EXIT_USAGE for a REV the tool does not run. */
int rehearse_lint(const struct config *cfg, const char *since, struct lint_report *out, int *count, struct err *e);
/* Without a shadow, for a tool with an offline mode (Alembic's --sql): its
 * SQL linted by rehearse_offline into r->lint.  -1 with e set when the tool
 * has none or it failed. */
int rehearse_tool_offline(const struct config *cfg, struct db *live, struct migrator *m, const struct tool_state *st,
			  struct rehearse_result *r, struct err *e);
/* `lint --migrator X [--since REV]` in CI: on --shadow-database-url
 * (emptied), the tool's revisions up to REV are applied without capture
 * (all of them pending when REV is NULL), then the rest are rehearsed and
 * captured.  live may be NULL (no catalog numbers). *npending: how many
 * revisions were rehearsed. */
int rehearse_tool_since(const struct config *cfg, struct db *live, struct migrator *m, const char *since,
			struct rehearse_result *r, int *npending, struct err *e);
/* The fall-back for a tool with an offline mode (Alembic's --sql): lint the
 * SQL text it printed, split into revisions at its "-- Running upgrade A ->
 * B" lines, with the live catalog numbers.  r->lint holds the findings;
 * r->ran stays 0. */
int rehearse_offline(const struct config *cfg, struct db *live, const struct rehearse_plan *p, const char *sql,
		     struct rehearse_result *r);
/* --rehearse: never; always; auto = for tool migrators (their SQL is only
 * seen by running them; predeploy's own files are linted as written). */
int rehearse_wanted(const struct config *cfg, int tool, int npending);

/* Lowercase, quotes removed, blanks folded, a leading schema qualifier
 * dropped after INTO / UPDATE: "INSERT INTO \"public\".\"x\"" ->
 * "insert into x". For matching tracking writes (exposed for tests). */
void rehearse_normalise(const char *sql, struct strbuf *out);

#endif
