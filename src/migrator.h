/*
 * migrator: the team's own migration tool inside the pipeline (SPEC.md
 * "Migrators").
 *
 * One struct of function pointers per tool, in the spirit of pg_dump's
 * compress_io.h: the pipeline (deploy.c) and the commands (status, current,
 * restore --reset-to) only talk to `struct migrator_ops`; adding a tool
 * (Django, Rails...) is one new file in src/migrators/ and a line in the
 * table in migrator.c.
 *
 *   struct migrator m = MIGRATOR_INIT;
 *   if (migrator_open(&m, cfg, &err) < 0) ...     // resolve auto, read the files
 *   if (migrator_is_sql(&m)) ...                  // predeploy's own engine (apply.c)
 *   struct tool_state st = TOOL_STATE_INIT;
 *   m.ops->read_state(&m, &db, &st, &err);        // tracking table vs files
 *   ... st.npending, st.pending[i]->id, st.current, st.target ...
 *   migrator_run(&m, &db, &res, &err);            // the tool as a child
 *   tool_state_release(&st); migrator_close(&m);
 *
 * An adapter reads its tool's state without running it: the tracking table
 * and the migration sources.  `sql` is predeploy's engine, unchanged: its
 * entry only names and detects it.  `command` knows nothing about
 * revisions: --pending-cmd decides "pending", else every start is pending.
 *
 * Revisions are the tool's own strings (Alembic's free ids, MikroORM's
 * class names, Prisma's directory names).  `current` and `target` are
 * labels: one revision, several joined by "," (Alembic branches), or ""
 * for none.
 */
#ifndef PREDEPLOY_MIGRATOR_H
#define PREDEPLOY_MIGRATOR_H

#include <stdint.h>

#include "config.h"
#include "db.h"
#include "migration.h"
#include "util/err.h"
#include "util/strbuf.h"

struct mig_rev {
	char *id;                    /* the tool's revision id */
	char *name;                  /* description: docstring first line, file name */
	char *path;                  /* its source file */
	int line;                    /* where the id is defined, 0 when not meaningful */
	char **parents;              /* Alembic down_revision, then depends_on; NULL-terminated or NULL */
	int ndown;                   /* how many of parents are down_revision */
	int applied;                 /* set by read_state */
};

struct tool_state {
	int tracking_exists;         /* the tool's tracking table is there */
	struct strlist current_rows; /* the tracking table's revisions, as stored */
	char current[512];           /* label: "a1b2", "a1b2,c3d4" or "" */
	char target[512];            /* label of what the default command reaches */
	struct mig_rev **pending;    /* in the order the tool runs them (borrowed from the migrator) */
	int npending;
	int pending_unknown;         /* command without --pending-cmd: always pending */
	int napplied;
};

#define TOOL_STATE_INIT { 0, { NULL, 0 }, "", "", NULL, 0, 0, 0 }

struct migrator;

struct migrator_ops {
	const char *name;            /* --migrator value */
	const char *tracking_table;  /* NULL for sql and command */
	const char *default_cmd;     /* argv as shell-like words; NULL: --migrate-cmd required */
	/* The SQL the tool writes to record a revision, as the rehearsal's
	 * capture relay sees it: case-insensitive statement prefixes (quotes
	 * around the table name ignored), NULL-terminated.  A write that marks
	 * a revision as done closes its statements (rehearse.h); a leading "-"
	 * marks one that does not (Prisma's INSERT before a migration runs). */
	const char *const *tracking_writes;
	/* auto: 1 when the working directory looks like this tool's project */
	int (*detect)(const struct config *cfg);
	/* read the migration sources (no database); fills m->revs */
	int (*load)(struct migrator *m, struct err *e);
	/* tracking table vs sources: current, pending (EXIT_DRIFT when the
	 * database is at a revision no source defines, EXIT_MIGRATION for a
	 * failed row the tool itself would refuse) */
	int (*read_state)(struct migrator *m, struct db *db, struct tool_state *st, struct err *e);
	/* make the tracking table say `rev` is the current revision ("base":
	 * none), inside the caller's transaction */
	int (*reset_to)(struct migrator *m, struct db *db, const struct mig_rev *rev, struct err *e);
	/* extra environment for the child beyond DATABASE_URL ("NAME" entries get
	 * the URL), NULL-terminated */
	const char *const *url_vars;
	/* pending revisions that are SQL predeploy can lint itself (Prisma), as
	 * migrations; NULL when the tool's migrations are code */
	int (*sql_sources)(struct migrator *m, struct mig_rev *const *revs, int n, struct migration_set *out,
			   struct err *e);
	/* the SQL the pending revisions would send, without a database (Alembic's
	 * offline --sql mode), with "-- Running upgrade A -> B" lines between
	 * revisions; NULL when the tool has no such mode */
	int (*offline_sql)(struct migrator *m, struct db *db, const struct tool_state *st, struct strbuf *out,
			   struct err *e);
};

struct migrator {
	const struct migrator_ops *ops;
	const struct config *cfg;
	char *root;                  /* project directory the tool runs in (cwd by default) */
	char *dir;                   /* the migrations directory it reads */
	struct mig_rev *revs;        /* every known revision */
	int nrevs;
	char **heads;                /* Alembic: revisions nothing builds on */
	int nheads;
	int auto_detected;
};

#define MIGRATOR_INIT { NULL, NULL, NULL, NULL, NULL, 0, NULL, 0, 0 }

/* Resolve cfg->migrator (auto: detect; 78 when two match) and load the
 * sources.  Logs one line saying which migrator auto chose. */
int migrator_open(struct migrator *m, const struct config *cfg, struct err *e);
void migrator_close(struct migrator *m);
int migrator_is_sql(const struct migrator *m);
const struct migrator_ops *migrator_find(const char *name);

/* The revision with this id, or the only one it is a prefix of; NULL with
 * e set (EXIT_USAGE, naming the known revisions) otherwise. */
const struct mig_rev *migrator_find_rev(const struct migrator *m, const char *id, struct err *e);
void tool_state_release(struct tool_state *st);

/* Join ids with "," into buf. */
void mig_label(char *const *ids, int n, char *buf, size_t cap);
/* A revision id as a file-name-safe token (backup names): [A-Za-z0-9.-]. */
void mig_sanitize(const char *id, char *out, size_t cap);

/* Run the tool's command (--migrate-cmd or the default) in m->root with
 * DATABASE_URL etc. from `db`'s connection.  0 when it exited 0; -1 with
 * EXIT_MIGRATION and its last lines in e->detail, or 128+N after a signal. */
struct migrator_run {
	int64_t duration_ms;
	struct strbuf tail;          /* last 20 lines of its output */
};

int migrator_run(struct migrator *m, struct db *db, struct migrator_run *res, struct err *e);
/* Run argv like the tool (its directory and environment) and keep its
 * standard output in out (at most cap bytes: more is an error). */
int migrator_capture(struct migrator *m, struct db *db, char **argv, struct strbuf *out, size_t cap, struct err *e);
/* The same for any command with the same environment and handling (the
 * post-migration --after-cmd): `option` names it in errors. */
int migrator_run_cmd(struct migrator *m, struct db *db, const char *cmd, const char *option, int64_t timeout_ms,
		     struct migrator_run *res, struct err *e);
void migrator_run_release(struct migrator_run *res);

/* --pending-cmd: 1 pending (exit 3), 0 up to date (exit 0), -1 error. */
int migrator_pending_cmd(struct migrator *m, struct db *db, struct err *e);

/* Split a command line like a shell word list (quotes, backslashes; no
 * expansion, no operators).  Caller frees with argv_free.  NULL with e set
 * (EXIT_CONFIG) on an unterminated quote or an empty command. */
char **argv_split(const char *cmd, const char *what, struct err *e);
void argv_free(char **argv);

/* The child's environment: DATABASE_URL and the adapter's URL variables,
 * PG* cleared, --migrate-env templates expanded.  NULL-terminated
 * "NAME=VALUE" strings (they hold the password: env_free wipes them). */
char **migrator_child_env(const struct migrator *m, struct db *db, struct err *e);
void env_free(char **env);

/* Helpers the adapters share. */
int mig_read_source(const char *path, struct strbuf *out, struct err *e);
int mig_rev_cmp_id(const void *a, const void *b);
/* Every revision parents first (ties by id): out has room for m->nrevs.
 * Returns how many were placed (fewer than m->nrevs: a cycle). */
int mig_topo_order(const struct migrator *m, const struct mig_rev **out);
void mig_revs_free(struct mig_rev *v, int n);
/* For tools whose revisions run in name order (MikroORM, Prisma): with
 * st->current_rows read, mark m->revs applied, fill pending in order, and
 * current = the last row, target = the last revision. */
void mig_state_linear(struct migrator *m, struct tool_state *st);

/* Adapters (src/migrators/). */
extern const struct migrator_ops migrator_sql;
extern const struct migrator_ops migrator_alembic;
extern const struct migrator_ops migrator_mikro_orm;
extern const struct migrator_ops migrator_prisma;
extern const struct migrator_ops migrator_command;

#endif
