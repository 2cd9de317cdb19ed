/*
 * main: the command table, setup before a command runs, exit codes.
 *
 * `predeploy [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS] [-- CMD ARGS...]`.
 * Options may appear before or after the command (options.c parses them
 * against the option table).  An unknown command or option, or an option
 * the command does not take, exits 64 (EXIT_USAGE) with a hint; an invalid
 * value exits 78 (EXIT_CONFIG) naming the option.  A command flagged
 * NEEDS_DB exits 78 at once when no database is configured.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "help.h"
#include "log.h"
#include "migration.h"
#include "proc.h"
#include "util/exitcode.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define SESSION_CMD (NEEDS_DB | RUN_SESSION)
#define APPLY_CMD   (NEEDS_DB | RUN_SESSION | HANDLE_SIGNALS | PREVIEW_NO_LOCK)
#define LOCKED      (SESSION_LOCK | SESSION_ENSURE)

/* name, handler, option bit, setup flags, session flags, argument check,
 * usage, summary, longer help (cmd.h). */
static const struct command commands[] = {
	{ "run", cmd_run, CC_RUN, NEEDS_DB, 0, NULL, "run [OPTIONS] [-- CMD ARGS...]",
	  "wait, lock, lint, back up, migrate, report, then exec CMD",
	  "The whole deploy pipeline. Without CMD it exits 0 after migrating (pre-deploy\n"
	  "command, init container, Job). PREDEPLOY_DISABLE=1 skips everything and execs CMD." },
	{ "up", cmd_up, CC_UP, APPLY_CMD, LOCKED, check_up, "up [--target V] [--sql] [--dry-run]",
	  "apply pending migrations", NULL },
	{ "down", cmd_down, CC_DOWN, APPLY_CMD, LOCKED, check_down, "down [--steps N | --target V]",
	  "roll back with the down sections, newest first", NULL },
	{ "status", cmd_status, CC_STATUS, SESSION_CMD, 0, args_none, "status [--exit-code]",
	  "applied, pending, modified, missing and out-of-order migrations",
	  "With --exit-code it exits 3 when something is pending." },
	{ "history", cmd_history, CC_HISTORY, NEEDS_DB, 0, args_none, "history [--limit N]",
	  "what was done, when, by whom, how long", NULL },
	{ "current", cmd_current, CC_CURRENT, NEEDS_DB, 0, args_none, "current", "the latest applied version", NULL },
	{ "new", cmd_new, CC_NEW, 0, 0, NULL, "new NAME", "create migrations/<UTC timestamp>_<name>.sql", NULL },
	{ "stamp", cmd_stamp, CC_STAMP, SESSION_CMD, LOCKED, check_stamp, "stamp V",
	  "mark everything up to V applied without running it", NULL },
	{ "adopt", cmd_adopt, CC_ADOPT, NEEDS_DB, 0, args_none, "adopt",
	  "import dbmate's or golang-migrate's schema_migrations, once",
	  "Copies the versions recorded in schema_migrations into predeploy's tracking table\n"
	  "(with the names and checksums of the files) and records it in history; the\n"
	  "first run on such a database asks for it. See docs/migrators.md." },
	{ "lint", cmd_lint, CC_LINT, 0, 0, NULL, "lint [PATH...] | lint --migrator TOOL [--since REV]",
	  "risk analysis of SQL migrations, or of the SQL a tool sends",
	  "With --migrator alembic|mikro-orm|prisma|command the tool's revisions are rehearsed on\n"
	  "a shadow database and the SQL it sends is linted: those pending on the configured\n"
	  "database, or in CI on --shadow-database-url those after --since REV (the ones up\n"
	  "to REV are applied first, uncaptured). See docs/rehearsal.md." },
	{ "wait", cmd_wait, CC_WAIT, NEEDS_DB, 0, NULL, "wait", "wait until the database accepts connections", NULL },
	{ "backup", cmd_backup, CC_BACKUP, SESSION_CMD | HANDLE_SIGNALS, SESSION_LOCK | SESSION_NO_FILES, args_none,
	  "backup", "take a verified gzipped backup now", NULL },
	{ "backups", cmd_backups, CC_BACKUPS, 0, 0, args_none, "backups", "list backups, newest first, numbered from 0",
	  NULL },
	{ "restore", cmd_restore, CC_RESTORE, NEEDS_DB, 0, NULL,
	  "restore [--backup N | --file PATH | --from-database NAME] [--force] [--reset-to V] [--into DB]",
	  "restore a backup in one transaction", NULL },
	{ "copy", cmd_copy, CC_COPY, NEEDS_DB, 0, NULL,
	  "copy --into DB|URL [--anonymize FILE] [--no-owner] [--role-map OLD=NEW]",
	  "copy the database into another one (staging), anonymised in the same transaction",
	  "pg_dump of the configured database restored into --into (created if missing, its\n"
	  "contents replaced) in one transaction; --anonymize runs the team's SQL in that\n"
	  "transaction before commit, and \"-- predeploy:expect N rows\" queries in it must\n"
	  "return that many rows or nothing is committed (exit 11). See docs/staging.md." },
	{ "check", cmd_check, CC_CHECK, 0, 0, NULL,
	  "check [--since V] [--shadow-database-url URL] [--allow-missing-down]",
	  "prove every migration goes up, down and up again on a scratch database",
	  "For CI: on a scratch database (a temporary one on the configured server, or\n"
	  "--shadow-database-url), each migration after --since runs up, down and up again;\n"
	  "the schema after its down must equal the schema before its up. Exit 16 when one\n"
	  "does not round-trip. See docs/check.md." },
	{ "version", cmd_version, CC_VERSION, 0, 0, NULL, "version", "print versions", NULL },
	{ "completion", cmd_completion, CC_COMPLETION, 0, 0, NULL, "completion bash|zsh",
	  "print a shell completion script",
	  "bash: source <(predeploy completion bash)   (or save it in\n"
	  "/etc/bash_completion.d/predeploy); zsh: predeploy completion zsh > \"${fpath[1]}/_predeploy\"." },
};

#define NCOMMANDS ((int)(sizeof(commands) / sizeof(commands[0])))

const struct command *command_find(const char *name)
{
	int i;

	for (i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

const struct command *command_list(int *n)
{
	*n = NCOMMANDS;
	return commands;
}

int report_err(const struct err *e)
{
	log_err(e);
	return e->code ? e->code : EXIT_INTERNAL;
}

int connect_db(const struct config *cfg, struct db *db, int64_t wait_ms)
{
	struct err e = ERR_INIT;
	int r = wait_ms > 0 ? db_wait(cfg, wait_ms, db, &e) : db_connect(cfg, db, &e);

	return r < 0 ? report_err(&e) : 0;
}

/* What main does for a command's setup flags before its handler runs
 * (cmd.h); 0, or the exit code. */
static int setup(const struct command *c, const struct config *cfg, struct cmd_args *a, struct session *s)
{
	struct err e = ERR_INIT;
	int rc, flags = c->session;

	if (c->check && (rc = c->check(a)) != 0)
		return rc;
	if ((c->flags & NEEDS_DB) && !config_database_configured(cfg)) {
		err_set(&e, EXIT_CONFIG, "no database configured for \"%s\"", c->name);
		err_hint(&e, "set " CONFIG_DATABASE_VARIABLES " (a postgres:// URL or libpq's variables)");
		return report_err(&e);
	}
	if (c->flags & HANDLE_SIGNALS)
		proc_install();
	if (c->flags & RUN_SESSION) {
		if ((c->flags & PREVIEW_NO_LOCK) && (args_has(a, "sql") || args_has(a, "dry-run")))
			flags &= ~(SESSION_LOCK | SESSION_ENSURE);
		if (session_open(s, cfg, flags, &e) < 0)
			return report_err(&e);
		a->s = s;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct cmd_args a;
	struct session s = SESSION_INIT;
	struct err e = ERR_INIT;
	const struct command *c = NULL;
	const char *topic = NULL;
	int i, rc, want_help = 0;

	memset(&a, 0, sizeof(a));
	log_init(LOG_TEXT, LOG_INFO);
	/* Break-glass: PREDEPLOY_DISABLE=1 execs the app before anything else
	 * (even a configuration error) can stop it. */
	if (argc > 2 && !strcmp(argv[1], "run") && getenv("PREDEPLOY_DISABLE") &&
	    strcmp(getenv("PREDEPLOY_DISABLE"), "") && strcmp(getenv("PREDEPLOY_DISABLE"), "0")) {
		for (i = 2; i < argc; i++) {
			if (!strcmp(argv[i], "--") && i + 1 < argc) {
				log_warn("PREDEPLOY_DISABLE is set: skipping wait, backup, lint and migrations");
				return run_exec(argv + i + 1);
			}
		}
		log_warn("PREDEPLOY_DISABLE is set and there is no command to exec");
		return 0;
	}
	config_defaults(&cfg);
	if (config_load_env(&cfg, &e) < 0) {
		rc = report_err(&e);
		goto out;
	}
	rc = args_parse(argc, argv, &cfg, &a, &c, &want_help, &topic);
	if (rc)
		goto out;
	if (want_help) {
		rc = help_main(topic);
		goto out;
	}
	if (!c) {
		help_print_overview(stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	if (config_finish(&cfg, &e) < 0) {
		rc = report_err(&e);
		goto out;
	}
	log_init(cfg.log_json ? LOG_JSON : LOG_TEXT,
		 cfg.verbose ? LOG_DEBUG : cfg.quiet ? LOG_WARN : LOG_INFO);
	migration_follow_symlinks(cfg.follow_symlinks);
	/* a bad key file stops the commands that would read it, before anything runs */
	if (config_option_lookup("backup-key-file", c->bit) && config_load_keys(&cfg, &e) < 0) {
		rc = report_err(&e);
		goto out;
	}
	rc = setup(c, &cfg, &a, &s);
	if (!rc)
		rc = c->fn(&cfg, &a);
out:
	session_close(&s);
	args_release(&a);
	config_release(&cfg);
	fflush(stdout);
	return rc;
}
