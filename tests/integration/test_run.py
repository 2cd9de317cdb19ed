#!/usr/bin/env python3
# cost: 6
"""`predeploy run`: the entrypoint pipeline, exec, waiting, signals, replicas."""
import json
import os
import signal
import subprocess
import threading
import time

from harness import case, main, Env
from receiver import Receiver
import pgserver

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


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
    info = pgserver.start(port=port)    # initdb first: predeploy has long been waiting
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
    r = t.run("run", "--wait-timeout", "1s", "--", "true",
              env={"DATABASE_URL": "postgresql://u:%s@127.0.0.1:%d/x" % (pgserver.PASSWORD, port)})
    t.expect(r, 69)
    assert "unreachable after 1s" in r.err, r


@case
def wrong_password_is_77_at_once(t: Env):
    # not retried: with a 1 h --wait-timeout a retrying run would outlast
    # the 60 s bound on the process
    r = t.run("run", "--wait-timeout", "1h", "--", "true", env={"DATABASE_URL": t.url.replace("TopSecret", "Nope")},
              timeout=60)
    t.expect(r, 77)
    assert "waiting for the database" not in r.err, r


@case
def bad_file_wins_over_unreachable_db(t: Env):
    # the files are read while the connection is being attempted; a bad one
    # must fail at once with 65, not after --wait-timeout with 69
    port = pgserver.free_port()
    for v in range(1, 40):
        one_migration(t, str(v), "create table t%d(id int);" % v)
    t.write("migrations/40_bad.sql", "-- migrate:up\ncreate table x(id int);\n-- migrate:up\nselect 1;\n")
    # a 1 h --wait-timeout: a run that waited for the database would outlast
    # the 60 s bound on the process
    r = t.run("run", "--wait-timeout", "1h", "--", "sh", "-c", "echo STARTED",
              env={"DATABASE_URL": "postgresql://u:%s@127.0.0.1:%d/x" % (pgserver.PASSWORD, port)}, timeout=60)
    t.expect(r, 65)
    assert "40_bad.sql" in r.err and "STARTED" not in r.out


@case
def bad_file_wins_over_wrong_password(t: Env):
    one_migration(t)
    t.write("migrations/2_bad.sql", "-- migrate:down\ndrop table a;\n")
    r = t.run("run", "--", "true", env={"DATABASE_URL": t.url.replace("TopSecret", "Nope")})
    t.expect(r, 65)
    assert "2_bad.sql" in r.err


@case
def bad_late_file_touches_nothing(t: Env):
    # 300 files, the bad one sorted last in the directory and by version:
    # whether it is read before or after the connection is up, nothing runs
    for v in range(1, 300):
        one_migration(t, str(v), "create table t%d(id int);" % v)
    t.write("migrations/300_bad.sql", b"-- migrate:up\nselect 1;\xff\n", mode="wb")
    r = t.run("run", "--", "true")
    t.expect(r, 65)
    assert "300_bad.sql" in r.err
    assert t.sql("select to_regclass('predeploy_migrations') is null") == "t"
    assert t.sql("select to_regclass('t1') is null") == "t"


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
    one_migration(t, "1", "create table slow(id int);\nselect pg_sleep(3600);")
    rx = Receiver()
    rx.start()
    p = t.spawn("run", "--webhook", rx.url, "--", "sh", "-c", "echo STARTED")
    t.wait_for_backend("pg_sleep(3600)")
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)   # pg_sleep(3600) if not cancelled
    assert p.returncode == 143, (p.returncode, err)
    assert "STARTED" not in out
    reqs = rx.wait_for(1, timeout=15)
    rx.stop()
    assert reqs[0]["json"]["data"]["exit_code"] == 143
    assert reqs[0]["json"]["type"] == "deploy.failed"
    assert t.sql("select to_regclass('slow') is null") == "t"
    assert t.sql("select count(*) from pg_stat_activity where datname = current_database() "
                 "and query like '%pg_sleep(3600)%' and pid <> pg_backend_pid()") == "0"
    assert t.sql("select outcome from predeploy_migrations_history") == "failed"


@case
def nothing_pending_one_webhook_app_runs(t: Env):
    one_migration(t)
    t.expect(t.run("run"), 0)
    taken = sorted(os.listdir(t.path("backups")))
    assert len([f for f in taken if f.endswith(".sql.gz")]) == 1, taken
    with Receiver(secret=SECRET) as rx:
        r = t.run("run", "--webhook", rx.url, "--backup-dir", t.path("backups"), "--", "sh", "-c", "echo STARTED",
                  env={"PREDEPLOY_WEBHOOK_SECRET": SECRET, "GIT_COMMIT": "abc123"})
        t.expect(r, 0)
        assert r.out.strip() == "STARTED"
        reqs = rx.wait_for(1, timeout=15)
        assert len(rx.snapshot()) == 1     # predeploy has exited: no more will come
    req = reqs[0]
    assert req["signature_valid"] is True
    body = req["json"]
    assert body["type"] == "deploy.succeeded"
    d = body["data"]
    assert d["status"] == "succeeded" and d["exit_code"] == 0 and d["pending"] == 0
    assert d["applied"] == [] and d["backup"] is None and d["commit"] == "abc123"
    assert d["database"] == t.db
    assert sorted(os.listdir(t.path("backups"))) == taken
    assert pgserver.PASSWORD not in req["body"]


@case
def webhook_payload_on_apply_and_start_event(t: Env):
    one_migration(t, "1", "create table a(id int);")
    one_migration(t, "2", "create table b(id int);")
    with Receiver(secret=SECRET) as rx:
        r = t.run("run", "--webhook", rx.url, "--webhook-events", "all", "--backup", "never",
                  env={"PREDEPLOY_WEBHOOK_SECRET": SECRET})
        t.expect(r, 0)
        reqs = rx.wait_for(2, timeout=15)
    assert [q["json"]["type"] for q in reqs] == ["deploy.started", "deploy.succeeded"]
    d = reqs[1]["json"]["data"]
    assert [a["version"] for a in d["applied"]] == ["1", "2"]
    assert d["from_version"] is None and d["to_version"] == "2"
    assert reqs[0]["headers"]["webhook-id"] != reqs[1]["headers"]["webhook-id"]


@case
def failure_webhook_carries_error(t: Env):
    one_migration(t, "1", "\nselect 1/0;")
    with Receiver() as rx:
        r = t.run("run", "--webhook", rx.url, "--", "sh", "-c", "echo STARTED")
        t.expect(r, 11)
        reqs = rx.wait_for(1, timeout=15)
    d = reqs[0]["json"]["data"]
    assert reqs[0]["json"]["type"] == "deploy.failed"
    assert d["exit_code"] == 11 and d["status"] == "failed"
    assert d["error"]["sqlstate"] == "22012" and d["error"]["line"] == 3
    assert d["error"]["file"].endswith("1_m.sql")


@case
def webhook_retries_then_delivers(t: Env):
    with Receiver(secret=SECRET, script=["500", "500", "200"]) as rx:
        r = t.run("run", "--webhook", rx.url, env={"PREDEPLOY_WEBHOOK_SECRET": SECRET,
                                                   "PREDEPLOY_TEST_WEBHOOK_LIMITS": "backoff=100ms"})
        t.expect(r, 0)
        reqs = rx.wait_for(3, timeout=30)
    assert len({q["headers"]["webhook-id"] for q in reqs}) == 1
    assert all(q["signature_valid"] for q in reqs)


@case
def webhook_never_answers(t: Env):
    # an undeliverable webhook does not stop the deploy, unless it is
    # required (the budget itself: test_webhook.hanging_receiver_bounded;
    # here one short attempt)
    fast = {"PREDEPLOY_TEST_WEBHOOK_LIMITS": "attempts=1,attempt=300ms"}
    with Receiver(script=["hang"] * 10) as rx:
        p1 = t.spawn("run", "--webhook", rx.url, "--", "sh", "-c", "echo STARTED", env=fast)
        p2 = t.spawn("run", "--webhook", rx.url, "--webhook-required", "--", "sh", "-c", "echo STARTED",
                     env=fast)
        out1, err1 = p1.communicate(timeout=120)
        out2, err2 = p2.communicate(timeout=120)
    assert p1.returncode == 0 and out1.strip() == "STARTED", err1
    assert p2.returncode == 15 and "STARTED" not in out2, err2
    assert "timed out" in err2.lower() or "timeout" in err2.lower(), err2


@case
def bad_webhook_config_is_78(t: Env):
    r = t.run("run", "--webhook", "ftp://127.0.0.1/x")
    t.expect(r, 78)
    r = t.run("run", "--webhook", "http://127.0.0.1:1/x", env={"PREDEPLOY_WEBHOOK_SECRET": "whsec_!!notbase64"})
    t.expect(r, 78)


@case
def termination_log(t: Env):
    one_migration(t)
    log = t.path("termination-log")
    r = t.run("run", "--termination-log", log)
    t.expect(r, 0)
    content = open(log).read()
    assert content.startswith("deploy succeeded on %s (exit 0): 1 applied (none -> 1)" % t.db), content
    assert len(content.encode()) <= 4096
    one_migration(t, "2", "select 1/0;")
    r = t.run("run", "--termination-log", log)
    t.expect(r, 11)
    content = open(log).read()
    assert "deploy failed" in content and "22012" in content and "2_m.sql:2" in content, content


@case
def failing_pending_backs_up_once(t: Env):
    """A restart loop with the same failing migration takes one backup, not
    one per start (--backup-reuse)."""
    one_migration(t, "1", "create table a(id int);")
    t.expect(t.run("run"), 0)
    one_migration(t, "2", "select 1/0;")
    for _ in range(3):
        t.expect(t.run("run", "--", "true"), 11)
    dumps = [f for f in os.listdir(t.path("backups")) if f.endswith(".sql.gz")]
    assert len(dumps) == 2, dumps   # one for the first deploy, one at version 1
    h = t.sql("select count(distinct backup_file) from predeploy_migrations_history where version = '2'")
    assert h == "1", h


@case
def backup_failure_is_14_and_nothing_runs(t: Env):
    one_migration(t, "1", "create table a(id int);")
    r = t.run("run", "--pg-dump", "/nonexistent/pg_dump", "--", "sh", "-c", "echo STARTED")
    t.expect(r, 14)
    assert "STARTED" not in r.out
    assert t.sql("select to_regclass('a') is null") == "t"
    # no backup wanted: runs
    t.expect(t.run("run", "--backup", "never"), 0)


if __name__ == "__main__":
    main()
