#!/usr/bin/env python3
"""`predeploy run`: the entrypoint pipeline, exec, waiting, signals, replicas."""
import json
import os
import signal
import subprocess
import threading
import time

from harness import case, main, Env
import pgserver


def one_migration(t: Env, v="1", sql="create table a(id int);"):
    t.write("migrations/%s_m.sql" % v, "-- migrate:up\n%s\n" % sql)


@case
def exec_replaces_process(t: Env):
    one_migration(t)
    p = t.spawn("run", "--", "sh", "-c", "echo pid=$$; exit 7")
    out, err = p.communicate(timeout=60)
    assert p.returncode == 7, (p.returncode, err)
    # exec: the app has predeploy's pid
    assert out.strip() == "pid=%d" % p.pid, (out, p.pid)
    assert t.sql("select count(*) from predeploy_migrations") == "1"


@case
def no_command_exits_zero_and_env_untouched(t: Env):
    one_migration(t)
    r = t.run("run")
    t.expect(r, 0)
    assert "deploy succeeded" in r.err
    r = t.run("run", "--", "sh", "-c", 'printf "%s|%s" "$FOO" "$1"', "x", "arg one",
              env={"FOO": "bar baz"})
    t.expect(r, 0)
    assert r.out == "bar baz|arg one", r.out
    assert "nothing pending" in r.err


@case
def exec_failures_like_a_shell(t: Env):
    r = t.run("run", "--", "/nonexistent/app")
    t.expect(r, 127)
    t.write("notexec", "#!/bin/sh\n")
    r = t.run("run", "--", t.path("notexec"))
    t.expect(r, 126)
    r = t.run("run", "node", "server.js")
    t.expect(r, 64)
    assert 'after "--"' in r.err


@case
def failing_migration_never_starts_app(t: Env):
    one_migration(t, "1", "select 1/0;")
    r = t.run("run", "--", "sh", "-c", "echo STARTED")
    t.expect(r, 11)
    assert "STARTED" not in r.out
    assert "22012" in r.err


@case
def disable_breakglass(t: Env):
    one_migration(t)
    r = t.run("run", "--", "sh", "-c", "echo STARTED", env={"PREDEPLOY_DISABLE": "1",
                                                          "DATABASE_URL": "postgres://nowhere:1/x",
                                                          "PREDEPLOY_LOCK_TIMEOUT": "garbage"})
    t.expect(r, 0)
    assert r.out.strip() == "STARTED"
    assert "PREDEPLOY_DISABLE" in r.err
    assert t.sql("select to_regclass('predeploy_migrations') is null") == "t"


@case
def waits_for_server_that_comes_up(t: Env):
    port = pgserver.free_port()
    url = "postgresql://%s:%s@127.0.0.1:%d/postgres" % (
        pgserver.ROLE, pgserver.PASSWORD.replace("!", "%21").replace("#", "%23"), port)
    one_migration(t)
    p = t.spawn("run", "--wait-timeout", "30s", "--", "sh", "-c", "echo STARTED", env={"DATABASE_URL": url})
    time.sleep(2)
    info = pgserver.start(port=port)
    try:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        assert "STARTED" in out
        assert "waiting for the database" in err
        assert pgserver.PASSWORD not in err
    finally:
        pgserver.stop(info)


@case
def never_up_is_69_within_timeout(t: Env):
    port = pgserver.free_port()
    t0 = time.time()
    r = t.run("run", "--wait-timeout", "2s", "--", "true",
              env={"DATABASE_URL": "postgresql://u:%s@127.0.0.1:%d/x" % (pgserver.PASSWORD, port)})
    took = time.time() - t0
    t.expect(r, 69)
    assert took < 3.0, took
    assert "unreachable" in r.err


@case
def wrong_password_is_77_at_once(t: Env):
    t0 = time.time()
    r = t.run("run", "--wait-timeout", "30s", "--", "true", env={"DATABASE_URL": t.url.replace("TopSecret", "Nope")})
    t.expect(r, 77)
    assert time.time() - t0 < 5


@case
def eight_replicas(t: Env):
    t.sql("create table applied_log(version text)")
    for i in range(1, 11):
        t.write("migrations/%02d_m.sql" % i,
                "-- migrate:up\ncreate table t%d(id int);\ninsert into applied_log values ('%d');\n" % (i, i))
    procs = [t.spawn("run", "--", "sh", "-c", "echo STARTED") for _ in range(8)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, [o[1] for o in outs]
    assert all(o[0].strip() == "STARTED" for o in outs)
    assert t.sql("select count(*), count(distinct version) from applied_log") == "10|10"


@case
def sigterm_during_migration(t: Env):
    one_migration(t, "1", "create table slow(id int);\nselect pg_sleep(30);")
    p = t.spawn("run", "--", "sh", "-c", "echo STARTED")
    t.wait_for_backend("pg_sleep(30)")
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=20)
    assert p.returncode == 143, (p.returncode, err)
    assert "STARTED" not in out
    assert t.sql("select to_regclass('slow') is null") == "t"
    assert t.sql("select count(*) from pg_stat_activity where query like '%pg_sleep(30)%' "
                 "and pid <> pg_backend_pid()") == "0"
    assert t.sql("select outcome from predeploy_migrations_history") == "failed"


if __name__ == "__main__":
    main()
