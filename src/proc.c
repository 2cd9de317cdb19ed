/* proc: see proc.h. */
#include "proc.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "util/banned.h"

static volatile sig_atomic_t stop_signal;
static PGcancel *volatile cancel;
static volatile pid_t child;

static void on_stop(int sig)
{
	int saved = errno;
	char buf[256];
	PGcancel *c = cancel;
	pid_t p = child;

	if (!stop_signal)
		stop_signal = sig;
	if (c)
		PQcancel(c, buf, sizeof(buf));
	if (p > 0)
		kill(p, SIGTERM);
	errno = saved;
}

void proc_cancel(void)
{
	char buf[256];
	PGcancel *c = cancel;

	if (c)
		PQcancel(c, buf, sizeof(buf));
}

void proc_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int proc_stop_signal(void)
{
	return stop_signal;
}

const volatile sig_atomic_t *proc_stop_flag(void)
{
	return &stop_signal;
}

void proc_watch_conn(PGconn *conn)
{
	PGcancel *old = cancel, *c = conn ? PQgetCancel(conn) : NULL;
	sigset_t set, oldset;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &oldset);
	cancel = c;
	sigprocmask(SIG_SETMASK, &oldset, NULL);
	if (old)
		PQfreeCancel(old);
}

void proc_watch_child(pid_t pid)
{
	child = pid;
}

void proc_reap_orphans(void)
{
	siginfo_t info;

	if (getpid() != 1)
		return;
	for (;;) {
		memset(&info, 0, sizeof(info));
		if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0 || info.si_pid == 0)
			return;
		if (info.si_pid == child)
			return; /* its owner waits for it */
		waitpid(info.si_pid, NULL, WNOHANG);
	}
}

void proc_restore_defaults(void)
{
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	proc_watch_conn(NULL);
}
