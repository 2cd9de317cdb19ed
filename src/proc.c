/* proc: see proc.h. */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

extern char **environ;

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
	if (p != 0)
		kill(p, sig == SIGINT ? SIGINT : SIGTERM);
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

void proc_kill_child(int sig)
{
	pid_t p = child;

	if (p != 0)
		kill(p, sig);
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
		if (info.si_pid == child || info.si_pid == -child)
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

/* ---- proc_spawn ---- */

#define LINE_CAP 2048           /* longer lines are relayed in pieces */
#define TAIL_MAX 200
#define READ_CHUNK (256 * 1024)

struct line_in {
	char buf[LINE_CAP];
	size_t len;
};

struct spawn {
	const struct proc_spawn_opts *o;
	char *ring[TAIL_MAX];       /* the last lines, oldest at ring_pos when full */
	int ring_n, ring_pos, ring_cap;
	struct line_in out, err;
};

static void emit_line(struct spawn *s, const char *p, size_t n)
{
	char *line;

	while (n && p[n - 1] == '\r')
		n--;
	if (s->o->log_prefix)
		log_info("%s%.*s", s->o->log_prefix, (int)n, p);
	line = xstrndup(p, n);
	if (s->ring_n < s->ring_cap) {
		s->ring[s->ring_n++] = line;
	} else {
		free(s->ring[s->ring_pos]);
		s->ring[s->ring_pos] = line;
		s->ring_pos = (s->ring_pos + 1) % s->ring_cap;
	}
}

static void feed_lines(struct spawn *s, struct line_in *li, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n') {
			emit_line(s, li->buf, li->len);
			li->len = 0;
			continue;
		}
		li->buf[li->len++] = p[i];
		if (li->len == sizeof(li->buf)) {
			emit_line(s, li->buf, li->len);
			li->len = 0;
		}
	}
}

static void flush_lines(struct spawn *s, struct line_in *li)
{
	if (li->len)
		emit_line(s, li->buf, li->len);
	li->len = 0;
}

static int cloexec_pipe(int p[2])
{
	if (pipe(p) < 0)
		return -1;
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

static int env_named(const char *entry, const char *spec)
{
	size_t n = strcspn(spec, "=");

	return !strncmp(entry, spec, n) && entry[n] == '=';
}

/* Ours minus every name in add, plus add's NAME=VALUE entries.  Only the
 * array is allocated; the strings belong to environ and the caller. */
static char **env_merge(const char *const *add)
{
	size_t n = 0, na = 0, i, j, k = 0;
	char **env;

	while (environ[n])
		n++;
	while (add && add[na])
		na++;
	env = xcalloc(n + na + 1, sizeof(*env));
	for (i = 0; i < n; i++) {
		for (j = 0; j < na && !env_named(environ[i], add[j]); j++)
			;
		if (j == na)
			env[k++] = environ[i];
	}
	for (j = 0; j < na; j++)
		if (strchr(add[j], '='))
			env[k++] = (char *)add[j];
	env[k] = NULL;
	return env;
}

/* In the child: redirect, reset signals, exec; on failure report errno. */
static void child_exec(const struct proc_spawn_opts *o, char **env, int out, int err, int st)
{
	int en, devnull = open("/dev/null", O_RDONLY);

	setpgid(0, 0);
	if (devnull >= 0)
		dup2(devnull, 0);
	dup2(out, 1);
	dup2(err, 2);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	if (o->cwd && chdir(o->cwd) < 0) {
		en = -errno;
		if (write(st, &en, sizeof(en)) < 0)
			_exit(127);
		_exit(127);
	}
	environ = env;
	execvp(o->argv[0], (char *const *)o->argv);
	en = errno;
	if (write(st, &en, sizeof(en)) < 0)
		_exit(127);
	_exit(127);
}

static int start(const struct proc_spawn_opts *o, pid_t *pid, int *outfd, int *errfd,
		 struct proc_result *r, struct err *e)
{
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, st[2] = { -1, -1 };
	int child_errno = 0, ret = -1;
	char **env = env_merge(o->env);
	ssize_t n;

	*pid = -1;
	if (cloexec_pipe(outp) < 0 || cloexec_pipe(errp) < 0 || cloexec_pipe(st) < 0) {
		err_sys(e, o->fail_code, errno, "could not create a pipe for \"%s\"", o->argv[0]);
		goto out;
	}
	*pid = fork();
	if (*pid < 0) {
		err_sys(e, o->fail_code, errno, "could not start \"%s\"", o->argv[0]);
		goto out;
	}
	if (*pid == 0)
		child_exec(o, env, outp[1], errp[1], st[1]);
	setpgid(*pid, *pid);        /* also here: no window where a kill of the group misses */
	close(st[1]);
	st[1] = -1;
	do
		n = read(st[0], &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(child_errno)) {
		waitpid(*pid, NULL, 0);
		*pid = -1;
		if (child_errno < 0)
			err_sys(e, o->fail_code, -child_errno, "could not run \"%s\" in \"%s\"", o->argv[0], o->cwd);
		else if (child_errno == ENOENT)
			err_set(e, o->fail_code, "could not run \"%s\": not found", o->argv[0]);
		else
			err_sys(e, o->fail_code, child_errno, "could not run \"%s\"", o->argv[0]);
		r->exec_errno = child_errno < 0 ? -child_errno : child_errno;
		goto out;
	}
	*outfd = outp[0];
	outp[0] = -1;
	*errfd = errp[0];
	errp[0] = -1;
	ret = 0;
out:
	if (outp[0] >= 0) close(outp[0]);
	if (outp[1] >= 0) close(outp[1]);
	if (errp[0] >= 0) close(errp[0]);
	if (errp[1] >= 0) close(errp[1]);
	if (st[0] >= 0) close(st[0]);
	if (st[1] >= 0) close(st[1]);
	free(env);
	return ret;
}

enum { WHY_NONE, WHY_STOP, WHY_TIMEOUT, WHY_CALLBACK };

/* Read what is ready on fd; 0 at EOF or on a read error (closes it). */
static int pump_fd(struct spawn *s, int *fd, int is_out, char *buf, struct err *e, int *why)
{
	ssize_t n = read(*fd, buf, READ_CHUNK);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n <= 0) {
		close(*fd);
		*fd = -1;
		flush_lines(s, is_out ? &s->out : &s->err);
		return 0;
	}
	if (is_out && s->o->on_stdout) {
		if (s->o->on_stdout(s->o->arg, buf, (size_t)n, e) < 0)
			*why = WHY_CALLBACK;
	} else {
		feed_lines(s, is_out ? &s->out : &s->err, buf, (size_t)n);
	}
	return 1;
}

/* Poll the open pipes for up to timeout_ms and pump what is ready; with
 * both closed it is a plain sleep.  Returns poll's result. */
static int pump_ready(struct spawn *s, int *outfd, int *errfd, int timeout_ms, char *buf, struct err *e, int *why)
{
	struct pollfd p[2];
	int np = 0, oi = -1, ei = -1, rc;

	if (*outfd >= 0) {
		p[np].fd = *outfd;
		p[np].events = POLLIN;
		oi = np++;
	}
	if (*errfd >= 0) {
		p[np].fd = *errfd;
		p[np].events = POLLIN;
		ei = np++;
	}
	rc = poll(p, (nfds_t)np, timeout_ms);
	if (rc > 0 && oi >= 0 && p[oi].revents)
		pump_fd(s, outfd, 1, buf, e, why);
	if (rc > 0 && ei >= 0 && p[ei].revents)
		pump_fd(s, errfd, 0, buf, e, why);
	return rc;
}

int proc_spawn(const struct proc_spawn_opts *o, struct proc_result *r, struct err *e)
{
	struct spawn s;
	char *buf = NULL, dur[32];
	int outfd = -1, errfd = -1, status = 0, reaped = 0, why = WHY_NONE, i, ret = -1;
	int64_t t0 = now_ms(), kill_at = 0;
	pid_t pid = -1;

	memset(&s, 0, sizeof(s));
	s.o = o;
	s.ring_cap = o->tail_lines > 0 ? (o->tail_lines < TAIL_MAX ? o->tail_lines : TAIL_MAX) : 20;
	sb_reset(&r->tail);
	r->exited = r->exit_status = r->termsig = r->exec_errno = 0;
	if (proc_stop_signal())
		return err_set(e, 128 + proc_stop_signal(), "stopped by signal %d before \"%s\" started",
			       proc_stop_signal(), o->argv[0]);
	if (start(o, &pid, &outfd, &errfd, r, e) < 0)
		return -1;
	proc_watch_child(-pid);
	buf = xmalloc(READ_CHUNK);
	while (!reaped) {
		int64_t now = now_ms();

		if (why == WHY_NONE && proc_stop_signal()) {
			why = WHY_STOP;
			kill(-pid, proc_stop_signal() == SIGINT ? SIGINT : SIGTERM);
			kill_at = now + PROC_GRACE_MS;
		} else if (why == WHY_NONE && o->timeout_ms > 0 && now - t0 >= o->timeout_ms) {
			why = WHY_TIMEOUT;
			kill(-pid, SIGTERM);
			kill_at = now + PROC_GRACE_MS;
		} else if (why == WHY_CALLBACK && !kill_at) {
			kill(-pid, SIGKILL);
			kill_at = now;
		}
		if (kill_at && now >= kill_at)
			kill(-pid, SIGKILL);
		pump_ready(&s, &outfd, &errfd, outfd >= 0 || errfd >= 0 ? 250 : 50, buf, e, &why);
		if (why == WHY_NONE && o->on_tick && o->on_tick(o->arg, e) < 0)
			why = WHY_CALLBACK;
		if (waitpid(pid, &status, WNOHANG) == pid)
			reaped = 1;
	}
	/* Output still in the pipes; a grandchild holding them open gets 100 ms. */
	while ((outfd >= 0 || errfd >= 0) && pump_ready(&s, &outfd, &errfd, 100, buf, e, &why) > 0)
		;
	flush_lines(&s, &s.out);
	flush_lines(&s, &s.err);
	proc_watch_child(0);
	if (why != WHY_NONE)
		kill(-pid, SIGKILL);     /* whatever of its group is left */
	r->duration_ms = now_ms() - t0;
	if (WIFEXITED(status)) {
		r->exited = 1;
		r->exit_status = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		r->termsig = WTERMSIG(status);
	}
	for (i = 0; i < s.ring_n; i++) {
		char *line = s.ring[(s.ring_pos + i) % s.ring_cap];

		sb_adds(&r->tail, line);
		sb_addc(&r->tail, '\n');
	}
	sb_trim_trailing_newlines(&r->tail);
	if (why == WHY_STOP)
		err_set(e, 128 + proc_stop_signal(), "\"%s\" stopped by signal %d", o->argv[0], proc_stop_signal());
	else if (why == WHY_TIMEOUT)
		err_set(e, o->fail_code, "\"%s\" timed out after %s and was killed", o->argv[0],
			duration_format(o->timeout_ms, dur, sizeof(dur)));
	else if (why == WHY_NONE)
		ret = 0;
	for (i = 0; i < s.ring_n; i++)
		free(s.ring[i]);
	if (outfd >= 0)
		close(outfd);
	if (errfd >= 0)
		close(errfd);
	free(buf);
	return ret;
}

void proc_result_release(struct proc_result *r)
{
	sb_release(&r->tail);
	memset(r, 0, sizeof(*r));
	sb_init(&r->tail, 0);
}
