/*
 * proc: signals, cancellation and exec (SPEC.md "Signals").
 *
 * proc_install() installs SIGTERM/SIGINT/SIGHUP handlers that record the
 * signal and cancel the running query (PQcancel is async-signal-safe) on the
 * connection registered with proc_watch_conn(); long loops check
 * proc_stop_signal() and unwind, so the caller can roll back, clean up and
 * exit 128+N.  A pid registered with proc_watch_child() (pg_dump) gets
 * SIGTERM from the handler.  When predeploy runs as PID 1, SIGCHLD reaps
 * orphans that are not ours.
 *
 * proc_spawn() runs a child (pg_dump, a migration tool) without a shell:
 * execvp(argv) in its own process group, our environment plus additions,
 * stdout either handed to a callback (pg_dump's dump) or, like stderr,
 * relayed to the log line by line with a prefix; the last lines are kept
 * for the error message.  While it runs it is the watched child, so a
 * SIGTERM/SIGINT reaching us is forwarded to its group; it then gets
 * PROC_GRACE_MS to exit before SIGKILL.  A timeout kills it the same way.
 *
 *   struct proc_spawn_opts o = PROC_SPAWN_OPTS_INIT;
 *   struct proc_result r = PROC_RESULT_INIT;
 *   o.argv = argv; o.env = add; o.log_prefix = "alembic: ";
 *   o.timeout_ms = 30 * 60000; o.fail_code = EXIT_MIGRATION;
 *   if (proc_spawn(&o, &r, &e) < 0) ...     // not started, timeout, signal
 *   else if (!r.exited || r.exit_status) ... // r.tail: its last lines
 *   proc_result_release(&r);
 */
#ifndef PREDEPLOY_PROC_H
#define PREDEPLOY_PROC_H

#include <signal.h>
#include <sys/types.h>
#include <stdint.h>
#include <libpq-fe.h>

#include "util/err.h"
#include "util/strbuf.h"

void proc_install(void);
/* Signal number that asked us to stop, 0 when none. */
int proc_stop_signal(void);
/* The flag behind proc_stop_signal(), for loops that poll it (webhook). */
const volatile sig_atomic_t *proc_stop_flag(void);
void proc_watch_conn(PGconn *conn);    /* NULL to clear */
/* Cancel the watched connection's running statement again (outside the
 * handler): a cancel that reached the server between two pipelined
 * statements is ignored there, so pipeline readers repeat it. */
void proc_cancel(void);
/* 0 to clear; a negative pid is a process group (-pgid), signalled whole. */
void proc_watch_child(pid_t pid);
/* Async-signal-safe: send sig to the watched child (or group), if any. */
void proc_kill_child(int sig);
/* When we are PID 1 (a container without an init), reap exited processes
 * that are not the watched child: orphans reparented to us. No-op otherwise. */
void proc_reap_orphans(void);
/* Restore default dispositions (before exec). */
void proc_restore_defaults(void);

/* How long a child may take to exit after SIGTERM before SIGKILL. */
#define PROC_GRACE_MS 10000

struct proc_spawn_opts {
	const char *const *argv;     /* argv[0] looked up on PATH */
	/* "NAME=VALUE" set (replacing ours), or "NAME" removed; NULL-terminated.
	 * Values may be secrets: they only ever reach the child's environment. */
	const char *const *env;
	const char *cwd;             /* NULL: ours */
	const char *log_prefix;      /* relay output lines to the log; NULL: keep only the tail */
	int64_t timeout_ms;          /* 0: none */
	int tail_lines;              /* lines kept in result.tail (0: 20) */
	int fail_code;               /* e->code for start failures and timeouts */
	/* stdout goes here instead of the relay when set; -1 stops the child */
	int (*on_stdout)(void *arg, const void *buf, size_t n, struct err *e);
	/* called about every 250 ms while the child runs; -1 stops it */
	int (*on_tick)(void *arg, struct err *e);
	void *arg;
};

#define PROC_SPAWN_OPTS_INIT { NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL, NULL }

struct proc_result {
	int exited;                  /* 1: exited normally, status in exit_status */
	int exit_status;
	int termsig;                 /* killed by this signal, else 0 */
	int exec_errno;              /* set when execvp failed (ENOENT: not found) */
	int64_t duration_ms;
	struct strbuf tail;          /* its last output lines (stdout unless captured, stderr) */
};

#define PROC_RESULT_INIT { 0, 0, 0, 0, 0, STRBUF_INIT }

/* Run the child to completion.  0 when it ran and was reaped, whatever its
 * exit status (see r).  -1 when it could not be started (e->code =
 * o->fail_code, r->exec_errno set), timed out ("timed out after ..."; killed
 * and reaped), a callback failed (its error; killed), or a stop signal
 * arrived (e->code = 128+N; the child got the signal and is gone). */
int proc_spawn(const struct proc_spawn_opts *o, struct proc_result *r, struct err *e);
void proc_result_release(struct proc_result *r);

#endif
