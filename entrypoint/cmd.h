/*
 * cmd: the command table's types and the helpers every cmd_<name>.c uses.
 *
 * main.c parses argv once: options that belong to the command (its
 * `opts` table) land in `struct cmd_args`, global options go straight into
 * `struct config` (flags > PREDEPLOY_* > defaults), plain words become
 * positional arguments, and everything after "--" is the app's argv (run).
 * A handler returns the process exit code; only entrypoint/ prints results
 * or exits.
 */
#ifndef PREDEPLOY_CMD_H
#define PREDEPLOY_CMD_H

#include "config.h"
#include "db.h"
#include "progress.h"
#include "util/err.h"

struct cmd_opt {
	const char *name;       /* without "--" */
	int has_value;
	const char *help;
};

struct cmd_args {
	struct strlist pos;
	struct strlist names;   /* command options seen, in order */
	struct strlist values;  /* "" for flags */
	char **exec_argv;       /* after "--"; NULL when absent */
	int exec_argc;
};

struct command {
	const char *name;
	int (*fn)(struct config *cfg, struct cmd_args *args);
	const char *usage;      /* "up [--target V] ..." */
	const char *summary;
	const struct cmd_opt *opts;
	const char *help;       /* longer text, may be NULL */
};

/* Last value of a command option, NULL when not given. */
const char *args_get(const struct cmd_args *a, const char *name);
int args_has(const struct cmd_args *a, const char *name);

/* Log e and return its exit code (EXIT_INTERNAL when unset). */
int report_err(const struct err *e);
/* Connect once (or wait with backoff when wait_ms > 0); logs and returns
 * the exit code on failure, 0 on success. */
int connect_db(const struct config *cfg, struct db *db, int64_t wait_ms);

/* Progress drawn on stderr when it is a terminal, else NULL. */
const struct progress *progress_stderr(void);

/* execvp the app (after "--"): returns 127/126 when it cannot. */
int run_exec(char **argv);

#define CMD(name) int cmd_##name(struct config *cfg, struct cmd_args *args)
CMD(run); CMD(up); CMD(down); CMD(status); CMD(history); CMD(current); CMD(new);
CMD(stamp); CMD(lint); CMD(wait); CMD(backup); CMD(backups); CMD(restore);
CMD(version); CMD(check);

extern const struct cmd_opt opts_run[], opts_up[], opts_down[], opts_status[],
	opts_stamp[], opts_restore[], opts_lint[], opts_history[], opts_check[], opts_none[];

#endif
