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
 */
#ifndef PREDEPLOY_PROC_H
#define PREDEPLOY_PROC_H

#include <signal.h>
#include <sys/types.h>
#include <libpq-fe.h>

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
void proc_watch_child(pid_t pid);      /* 0 to clear */
/* When we are PID 1 (a container without an init), reap exited processes
 * that are not the watched child: orphans reparented to us. No-op otherwise. */
void proc_reap_orphans(void);
/* Restore default dispositions (before exec). */
void proc_restore_defaults(void);

#endif
