/* Unit tests of src/proc's child runner (proc_spawn): real children, no shell
 * in predeploy itself (the tests use /bin/sh as the child to script output). */
// cases: exit_status_and_tail tail_keeps_last_lines not_found env_added_and_removed cwd_used timeout_kills_group stdout_callback long_line_split
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"
#include "proc.h"
#include "util/exitcode.h"

static int run(const char *const *argv, const char *const *env, const char *cwd, int64_t timeout_ms,
	       int tail, struct proc_result *r, struct err *e)
{
	struct proc_spawn_opts o = PROC_SPAWN_OPTS_INIT;

	o.argv = argv;
	o.env = env;
	o.cwd = cwd;
	o.timeout_ms = timeout_ms;
	o.tail_lines = tail;
	o.fail_code = EXIT_MIGRATION;
	return proc_spawn(&o, r, e);
}

static void exit_status_and_tail(void)
{
	const char *argv[] = { "/bin/sh", "-c", "echo one; echo two >&2; exit 3", NULL };
	struct proc_result r = PROC_RESULT_INIT;
	struct err e = ERR_INIT;

	CHECK_INT(run(argv, NULL, NULL, 0, 0, &r, &e), 0);
	CHECK_INT(r.exited, 1);
	CHECK_INT(r.exit_status, 3);
	CHECK(strstr(r.tail.buf, "one") != NULL);
	CHECK(strstr(r.tail.buf, "two") != NULL);
	proc_result_release(&r);
}

static void tail_keeps_last_lines(void)
{
	const char *argv[] = { "/bin/sh", "-c", "i=0; while [ $i -lt 50 ]; do echo line$i; i=$((i+1)); done", NULL };
	struct proc_result r = PROC_RESULT_INIT;
	struct err e = ERR_INIT;

	CHECK_INT(run(argv, NULL, NULL, 0, 3, &r, &e), 0);
	CHECK_STR(r.tail.buf, "line47\nline48\nline49");
	proc_result_release(&r);
}

static void not_found(void)
{
	const char *argv[] = { "predeploy-no-such-tool", NULL };
	struct proc_result r = PROC_RESULT_INIT;
	struct err e = ERR_INIT;

	CHECK_INT(run(argv, NULL, NULL, 0, 0, &r, &e), -1);
	CHECK_INT(e.code, EXIT_MIGRATION);
	CHECK_INT(r.exec_errno, ENOENT);
	CHECK(strstr(e.msg, "not found") != NULL);
	proc_result_release(&r);
}

static void env_added_and_removed(void)
{
	const char *argv[] = { "/bin/sh", "-c", "echo \"a=$PROC_T_A b=${PROC_T_B-unset}\"", NULL };
	const char *env[] = { "PROC_T_A=new", "PROC_T_B", NULL };
	struct proc_result r = PROC_RESULT_INIT;
	struct err e = ERR_INIT;

	setenv("PROC_T_A", "old", 1);
	setenv("PROC_T_B", "old", 1);
	CHECK_INT(run(argv, env, NULL, 0, 0, &r, &e), 0);
	CHECK_STR(r.tail.buf, "a=new b=unset");
	proc_result_release(&r);
}

static void cwd_used(void)
{
	const char *argv[] = { "/bin/pwd", NULL };
	struct proc_result r = PROC_RESULT_INIT;
	struct err e = ERR_INIT;

	CHECK_INT(run(argv, NULL, "/", 0, 0, &r, &e), 0);
	CHECK_STR(r.tail.buf, "/");
	CHECK_INT(run(argv, NULL, "/nonexistent-dir", 0, 0, &r, &e), -1);
	CHECK(strstr(e.msg, "/nonexistent-dir") != NULL);
	proc_result_release(&r);
}

/* Not running: no such process, or a zombie left for init to reap. */
static int gone(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

/* The child and its own child (a sleep in the background, same group) are
 * both gone after the timeout. */
static void timeout_kills_group(void)
{
	const char *argv[] = { "/bin/sh", "-c", "sleep 30 & echo $!; wait", NULL };
	struct proc_result r = PROC_RESULT_INIT;
	struct err e = ERR_INIT;
	long grandchild;

	CHECK_INT(run(argv, NULL, NULL, 300, 0, &r, &e), -1);
	CHECK_INT(e.code, EXIT_MIGRATION);
	CHECK(strstr(e.msg, "timed out after") != NULL);
	grandchild = strtol(r.tail.buf, NULL, 10);
	CHECK(grandchild > 0);
	if (grandchild > 0) {
		usleep(100 * 1000);
		CHECK(gone((pid_t)grandchild));
	}
	proc_result_release(&r);
}

static int count_bytes(void *arg, const void *buf, size_t n, struct err *e)
{
	(void)buf;
	(void)e;
	*(size_t *)arg += n;
	return 0;
}

static void stdout_callback(void)
{
	const char *argv[] = { "/bin/sh", "-c", "head -c 1000000 /dev/zero; echo oops >&2", NULL };
	struct proc_spawn_opts o = PROC_SPAWN_OPTS_INIT;
	struct proc_result r = PROC_RESULT_INIT;
	struct err e = ERR_INIT;
	size_t n = 0;

	o.argv = argv;
	o.on_stdout = count_bytes;
	o.arg = &n;
	CHECK_INT(proc_spawn(&o, &r, &e), 0);
	CHECK_INT(n, 1000000);
	CHECK_STR(r.tail.buf, "oops");
	proc_result_release(&r);
}

static void long_line_split(void)
{
	const char *argv[] = { "/bin/sh", "-c", "head -c 5000 /dev/zero | tr '\\0' x", NULL };
	struct proc_result r = PROC_RESULT_INIT;
	struct err e = ERR_INIT;

	CHECK_INT(run(argv, NULL, NULL, 0, 10, &r, &e), 0);
	CHECK_INT(r.tail.len, 5000 + 2);   /* three pieces joined by newlines */
	proc_result_release(&r);
}

UNIT_CASES(UNIT(exit_status_and_tail), UNIT(tail_keeps_last_lines), UNIT(not_found),
	   UNIT(env_added_and_removed), UNIT(cwd_used), UNIT(timeout_kills_group), UNIT(stdout_callback),
	   UNIT(long_line_split))
