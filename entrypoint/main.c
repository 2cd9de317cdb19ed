/*
 * main: the command table, argv parsing, help and exit codes.
 *
 * `predeploy [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS] [-- CMD ARGS...]`.
 * Global options may appear before or after the command.  An unknown
 * command or option exits 64 (EXIT_USAGE) with a hint; an invalid value
 * exits 78 (EXIT_CONFIG) naming the option.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "help.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/xalloc.h"
#include "util/banned.h"

const struct cmd_opt opts_none[] = { { NULL, 0, NULL } };

static const struct command commands[] = {
	{ "run", cmd_run, "run [OPTIONS] [-- CMD ARGS...]",
	  "wait, lock, lint, back up, migrate, report, then exec CMD", opts_run,
	  "The whole deploy pipeline. Without CMD it exits 0 after migrating (pre-deploy\n"
	  "command, init container, Job). PREDEPLOY_DISABLE=1 skips everything and execs CMD." },
	{ "up", cmd_up, "up [--target V] [--sql] [--dry-run]",
	  "apply pending migrations", opts_up, NULL },
	{ "down", cmd_down, "down [--steps N | --target V]",
	  "roll back with the down sections, newest first", opts_down, NULL },
	{ "status", cmd_status, "status [--exit-code]",
	  "applied, pending, modified, missing and out-of-order migrations", opts_status,
	  "With --exit-code it exits 3 when something is pending." },
	{ "history", cmd_history, "history [--limit N]", "what was done, when, by whom, how long", opts_history, NULL },
	{ "current", cmd_current, "current", "the latest applied version", opts_none, NULL },
	{ "new", cmd_new, "new NAME", "create migrations/<UTC timestamp>_<name>.sql", opts_none, NULL },
	{ "stamp", cmd_stamp, "stamp V", "mark everything up to V applied without running it",
	  opts_stamp, NULL },
	{ "lint", cmd_lint, "lint [PATH...]", "risk analysis of SQL migrations", opts_lint, NULL },
	{ "wait", cmd_wait, "wait", "wait until the database accepts connections", opts_none, NULL },
	{ "backup", cmd_backup, "backup", "take a verified gzipped backup now", opts_none, NULL },
	{ "backups", cmd_backups, "backups", "list backups, newest first, numbered from 0", opts_none, NULL },
	{ "restore", cmd_restore, "restore [--backup N | --file PATH | --from-database NAME] [--force] [--reset-to V] [--into DB]",
	  "restore a backup in one transaction", opts_restore, NULL },
	{ "check", cmd_check, "check [--since V] [--shadow-database-url URL] [--allow-missing-down]",
	  "prove every migration goes up, down and up again on a scratch database", opts_check,
	  "For CI: on a scratch database (a temporary one on the configured server, or\n"
	  "--shadow-database-url), each migration after --since runs up, down and up again;\n"
	  "the schema after its down must equal the schema before its up. Exit 16 when one\n"
	  "does not round-trip. See docs/check.md." },
	{ "version", cmd_version, "version", "print versions", opts_none, NULL },
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

const char *args_get(const struct cmd_args *a, const char *name)
{
	int i;

	for (i = a->names.n - 1; i >= 0; i--)
		if (!strcmp(a->names.v[i], name))
			return a->values.v[i];
	return NULL;
}

int args_has(const struct cmd_args *a, const char *name)
{
	return args_get(a, name) != NULL;
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

static const struct cmd_opt *find_cmd_opt(const struct command *c, const char *name)
{
	const struct cmd_opt *o;

	for (o = c ? c->opts : NULL; o && o->name; o++)
		if (!strcmp(o->name, name))
			return o;
	return NULL;
}

static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, arg);
	log_error("%s", msg);
	fprintf(stderr, "hint: run 'predeploy %s--help' for usage\n", cmd ? cmd : "");
	return EXIT_USAGE;
}

/* Parse one option at argv[*i]; consumes its value. */
static int parse_option(const struct command *c, struct config *cfg, struct cmd_args *a,
			int argc, char **argv, int *i)
{
	char name[128];
	const char *arg = argv[*i] + 2, *eq = strchr(arg, '='), *value = NULL;
	const struct cmd_opt *co;
	const struct config_option *go;
	char hintcmd[64] = "";
	struct err e = ERR_INIT;

	if (c)
		snprintf(hintcmd, sizeof(hintcmd), "%s ", c->name);
	if ((eq ? (size_t)(eq - arg) : strlen(arg)) >= sizeof(name))
		return usage_error(hintcmd, "unknown option \"%s\"", argv[*i]);
	xstrlcpy(name, arg, eq ? (size_t)(eq - arg) + 1 : sizeof(name));
	if (eq)
		value = eq + 1;

	co = find_cmd_opt(c, name);
	if (co) {
		if (co->has_value && !value) {
			if (*i + 1 >= argc)
				return usage_error(hintcmd, "option \"--%s\" needs a value", name);
			value = argv[++*i];
		} else if (!co->has_value && value) {
			return usage_error(hintcmd, "option \"--%s\" takes no value", name);
		}
		strlist_add(&a->names, name);
		strlist_add(&a->values, value ? value : "");
		return 0;
	}
	go = config_option_find(name);
	if (!go)
		return usage_error(hintcmd, "unknown option \"--%s\"", name);
	if (go->type != CT_BOOL && !value) {
		if (*i + 1 >= argc)
			return usage_error(hintcmd, "option \"--%s\" needs a value", name);
		value = argv[++*i];
	}
	if (config_set(cfg, name, value, CONFIG_SRC_FLAG, &e) < 0)
		return report_err(&e);
	return 0;
}

static void args_release(struct cmd_args *a)
{
	strlist_clear(&a->pos);
	strlist_clear(&a->names);
	strlist_clear(&a->values);
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct cmd_args a;
	struct err e = ERR_INIT;
	const struct command *c = NULL;
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

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (!strcmp(arg, "--")) {
			a.exec_argv = argv + i + 1;
			a.exec_argc = argc - i - 1;
			break;
		}
		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			want_help = 1;
		} else if (!strcmp(arg, "--version") && !c) {
			c = command_find("version");
		} else if (!strcmp(arg, "-q")) {
			cfg.quiet = 1;
		} else if (!strncmp(arg, "--", 2) && arg[2]) {
			rc = parse_option(c, &cfg, &a, argc, argv, &i);
			if (rc)
				goto out;
		} else if (arg[0] == '-' && arg[1]) {
			rc = usage_error(c ? c->name : NULL, "unknown option \"%s\"", arg);
			goto out;
		} else if (!c) {
			c = command_find(arg);
			if (!c && !strcmp(arg, "help")) {
				rc = help_main(i + 1 < argc ? argv[i + 1] : NULL);
				goto out;
			}
			if (!c) {
				log_error("unknown command \"%s\"", arg);
				fprintf(stderr, "hint: run 'predeploy help' for the list of commands\n");
				rc = EXIT_USAGE;
				goto out;
			}
		} else {
			strlist_add(&a.pos, arg);
		}
	}

	if (want_help) {
		rc = help_main(c ? c->name : NULL);
		goto out;
	}
	if (!c) {
		help_print_overview(stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	if (a.exec_argv && strcmp(c->name, "run")) {
		rc = usage_error(c->name, "\"--\" and a command to exec are only accepted by \"%s\"", "run");
		goto out;
	}
	if (config_finish(&cfg, &e) < 0) {
		rc = report_err(&e);
		goto out;
	}
	log_init(cfg.log_json ? LOG_JSON : LOG_TEXT,
		 cfg.verbose ? LOG_DEBUG : cfg.quiet ? LOG_WARN : LOG_INFO);
	rc = c->fn(&cfg, &a);
out:
	args_release(&a);
	config_release(&cfg);
	fflush(stdout);
	return rc;
}
