/*
 * deploy: the migrate part of `up` and `run`, in the order of SPEC.md's
 * pipeline, on an open session (files read, connected, lock held):
 *
 *   drift check -> pending list -> lint gate -> backup (policy) -> apply
 *
 * Then, still under the lock and for both engines, the post-migration
 * steps: the due seeds (src/seeds.h; linted in the same gate as the
 * migrations, before anything runs) and --after-cmd (once per deploy, see
 * after_cmd() in deploy.c).  `up --sql` and `up --dry-run` skip them.
 *
 * Nothing pending means no lint, no backup (unless --backup always), no
 * writes.  The result carries what the report (logs, webhook, termination
 * message) needs.
 *
 * With a tool migrator (s->mig not sql) the same order holds around the
 * tool: its state -> lint (SQL sources only) -> backup -> the migrate
 * command as a child -> its state again (still pending: EXIT_MIGRATION) ->
 * one history row "migrate" (version = the new revision, name = "<tool>:
 * <from> -> <to>", duration, backup, outcome, error).
 */
#ifndef PREDEPLOY_DEPLOY_H
#define PREDEPLOY_DEPLOY_H

#include "apply.h"
#include "backup_scope.h"
#include "progress.h"
#include "session.h"
#include "util/strbuf.h"

struct deploy_opts {
	const char *target;          /* up --target V; NULL = all */
	struct strbuf *sql_out;      /* up --sql */
	int dry_run;                 /* up --dry-run */
	struct strbuf *dry_run_out;
	const struct progress *progress; /* of the backup; may be NULL */
};

struct deploy_result {
	struct apply_result apply;
	const char *migrator;        /* "sql", "alembic", ... */
	char from_version[512];      /* revisions: one, or several joined by "," */
	char to_version[512];
	int npending;
	struct strbuf lint_json;     /* JSON array of findings ("[]" when none) */
	struct strbuf lint_text;     /* human findings, for the log */
	int lint_blocked;
	char *backup_file;           /* NULL when none was taken or reused */
	char *backup_sha256;
	int backup_reused;
	struct backup_risk risk;     /* from every judged report: what the backup must hold */
	struct backup_scope scope;   /* what the backup holds (scope.at_risk, scope.tables) */
	int forced;
	int64_t tool_ms;             /* the migrate command's run time (tool migrators) */
	int rehearsed;               /* the pending migrations ran on a shadow copy first */
	struct strlist acknowledged; /* rules of findings acknowledged by annotations or --allow */
	int64_t rehearsal_ms;
	int migrated;                /* migrations were applied (or the tool's command ran) */
	int nseeds;                  /* seeds run */
	int after_cmd_ran;
};

void deploy_result_init(struct deploy_result *r);
void deploy_result_release(struct deploy_result *r);
int deploy_up(struct session *s, const struct deploy_opts *o, struct deploy_result *r, struct err *e);

#endif
