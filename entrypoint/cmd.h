/*
 * cmd: the command table's types and the helpers every cmd_<name>.c uses.
 *
 * options.c parses argv once against the option table (src/config.c):
 * an option the command does not accept is a usage error; a command's own
 * arguments (OPT_ARG rows: up --target) land in `struct cmd_args`, every
 * other option goes straight into `struct config` (flags > PREDEPLOY_* >
 * defaults), plain words become positional arguments, and everything after
 * "--" is the app's argv (run).  A handler returns the process exit code;
 * only entrypoint/ prints results or exits.
 */
#ifndef PREDEPLOY_CMD_H
#define PREDEPLOY_CMD_H

#include "config.h"
#include "db.h"
#include "progress.h"
#include "session.h"
#include "util/err.h"

struct cmd_args {
	struct strlist pos;
	struct strlist names;   /* command options seen, in order */
	struct strlist values;  /* "" for flags */
	char **exec_argv;       /* after "--"; NULL when absent */
	int exec_argc;
	struct session *s;      /* opened by main with RUN_SESSION, else NULL */
};

/* Setup flags of a command (git's RUN_SETUP): what main checks or prepares
 * before calling the handler, in this order: the command's `check` of its
 * arguments (a usage error touches nothing), NEEDS_DB, HANDLE_SIGNALS,
 * RUN_SESSION.  main closes the session (and releases the lock) after the
 * handler returns.  `run` opens its own session: a failure to open it must
 * still be reported by webhook and termination message. */
#define NEEDS_DB        (1u << 0)  /* a database must be configured: 78 at once if not */
#define HANDLE_SIGNALS  (1u << 1)  /* proc_install: SIGTERM cancels the query, exits 128+N */
#define RUN_SESSION     (1u << 2)  /* session_open(.session flags) into args->s */
#define PREVIEW_NO_LOCK (1u << 3)  /* with --sql or --dry-run: no lock, no table created */

struct command {
	const char *name;
	int (*fn)(struct config *cfg, struct cmd_args *args);
	unsigned bit;           /* CC_*: the options it accepts are the rows with this bit */
	unsigned flags;         /* NEEDS_DB, HANDLE_SIGNALS, RUN_SESSION, PREVIEW_NO_LOCK */
	int session;            /* SESSION_* flags for RUN_SESSION */
	/* Arguments checked before any setup: 0, or the exit code (logged). */
	int (*check)(const struct cmd_args *args);
	const char *usage;      /* "up [--target V] ..." */
	const char *summary;
	const char *help;       /* longer text, may be NULL */
};

/* A `check` for commands that take no positional argument. */
int args_none(const struct cmd_args *a);

const struct command *command_find(const char *name);
const struct command *command_list(int *n);

/* Parse argv (see the top of this file).  On success returns 0 with *cmd
 * set (NULL: no command given); *help is 1 when help was asked for
 * (`help TOPIC`, --help, -h) and then *topic is what to show (NULL: the
 * overview).  Otherwise reports the error and returns its exit code. */
int args_parse(int argc, char **argv, struct config *cfg, struct cmd_args *a,
	       const struct command **cmd, int *help, const char **topic);
void args_release(struct cmd_args *a);

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
#define CMD_CHECK(name) int check_##name(const struct cmd_args *args)
CMD_CHECK(up); CMD_CHECK(down); CMD_CHECK(stamp);
CMD(run); CMD(up); CMD(down); CMD(status); CMD(history); CMD(current); CMD(new);
CMD(stamp); CMD(lint); CMD(wait); CMD(backup); CMD(backups); CMD(restore);
CMD(version); CMD(check); CMD(completion); CMD(adopt); CMD(copy);

/* copy's and restore's --anonymize, --no-owner, --role-map into o (an and
 * map hold what o points to; the caller releases them). */
struct anonymize;
struct restore_opts;
int restore_copy_options(const struct cmd_args *args, struct anonymize *an, struct strlist *map,
			 struct restore_opts *o, struct err *e);
/* Open `path` for restore_check/restore_run and fill o's fd, path, table,
 * progress and file_size; the fd (caller closes), or -1 with err_code. */
int restore_open(const struct config *cfg, const char *path, int err_code, struct restore_opts *o, struct err *e);
/* After restore_run failed: whether the target is known to be unchanged. */
struct restore_result;
void restore_say_unchanged(const struct restore_result *res, const char *dbname);
/* Ask on the terminal before restoring src into target; 1 for yes. */
struct restore_source;
int confirm_restore(const char *target, const struct db *db, const struct restore_source *src);

#endif
