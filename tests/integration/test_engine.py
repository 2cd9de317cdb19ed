#!/usr/bin/env python3
# cost: 16
# shards: 2
"""The migration engine on a real server: up/status/down/re-up across both file
formats, failures and rollbacks, lock_timeout retries, concurrency, drift,
malformed files, kill -9, --sql."""
import json
import os
import signal
import subprocess
import time

from harness import case, main, Env
import pgserver


def mixed_set(t: Env, n=20):
    """n migrations alternating dbmate and golang-migrate formats, with a
    transaction:false CREATE INDEX CONCURRENTLY in the middle."""
    for i in range(1, n + 1):
        v = "%04d" % i
        if i == 1:
            t.write("migrations/%s_base.sql" % v,
                    "-- migrate:up\ncreate table items(id bigint primary key, v int);\n"
                    "create table log(version text);\n"
                    "-- migrate:down\ndrop table log;\ndrop table items;\n")
        elif i == n // 2:
            t.write("migrations/%s_idx.sql" % v,
                    "-- migrate:up transaction:false\ncreate index concurrently if not exists items_v on items(v);\n"
                    "insert into log values ('%s');\n"
                    "-- migrate:down transaction:false\ndrop index concurrently if exists items_v;\n"
                    "delete from log where version = '%s';\n" % (v, v))
        elif i % 2 == 0:
            t.write("migrations/%s_col%d.up.sql" % (v, i),
                    "alter table items add column c%d text;\ninsert into log values ('%s');\n" % (i, v))
            t.write("migrations/%s_col%d.down.sql" % (v, i),
                    "alter table items drop column c%d;\ndelete from log where version = '%s';\n" % (i, v))
        else:
            t.write("migrations/%s_col%d.sql" % (v, i),
                    "-- migrate:up\nalter table items add column c%d int default %d;\n"
                    "insert into log values ('%s');\n"
                    "-- migrate:down\nalter table items drop column c%d;\n"
                    "delete from log where version = '%s';\n" % (i, i, v, i, v))


def status_json(t: Env):
    r = t.run("status", "--format", "json")
    t.expect(r, 0)
    return json.loads(r.out)


@case
def up_status_down_reup(t: Env):
    mixed_set(t)
    s = status_json(t)
    assert s["pending"] == 20 and s["applied"] == 0 and s["current"] is None
    r = t.run("status", "--exit-code")
    t.expect(r, 3)
    r = t.run("up")
    t.expect(r, 0)
    assert "applied 20 migrations" in r.err, r
    s = status_json(t)
    assert s["applied"] == 20 and s["pending"] == 0 and s["current"] == "0020"
    assert t.sql("select count(*) from log") == "19"
    assert t.sql("select indisvalid from pg_index where indexrelid = 'items_v'::regclass") == "t"
    t.expect(t.run("status", "--exit-code"), 0)
    r = t.run("current")
    t.expect(r, 0)
    assert r.out.strip() == "0020"
    # down one step (default), then 10 more steps through the CIC one
    t.expect(t.run("down"), 0)
    assert status_json(t)["current"] == "0019"
    r = t.run("down", "--steps", "10")
    t.expect(r, 0)
    assert status_json(t)["current"] == "0009"
    assert t.sql("select to_regclass('items_v') is null") == "t"
    assert t.sql("select count(*) from log") == "8"
    r = t.run("down", "--target", "1")
    t.expect(r, 0)
    assert status_json(t)["current"] == "0001"
    assert t.sql("select count(*) from information_schema.columns where table_name = 'items'") == "2"
    t.expect(t.run("up"), 0)
    assert t.sql("select count(*) from log") == "19"
    assert status_json(t)["applied"] == 20
    # history: every up and down recorded
    h = json.loads(t.run("history", "--format", "json", "--limit", "1000").out)
    assert sum(1 for x in h if x["action"] == "up" and x["outcome"] == "success") == 20 + 19
    assert sum(1 for x in h if x["action"] == "down") == 19
    assert all(x["host"] for x in h)
    # nothing pending: a no-op
    r = t.run("up")
    t.expect(r, 0)
    assert "nothing to apply" in r.err


@case
def target_and_sql(t: Env):
    mixed_set(t, 6)
    r = t.run("up", "--sql")
    t.expect(r, 0)
    # migration 3 is the transaction:false CREATE INDEX CONCURRENTLY
    assert r.out.count("BEGIN;") == 5 and r.out.count("COMMIT;") == 5, r.out
    assert "create index concurrently if not exists items_v on items(v);" in r.out
    assert "SET LOCAL lock_timeout = '5000ms';" in r.out
    assert 'INSERT INTO "public"."predeploy_migrations"' in r.out
    assert t.sql("select to_regclass('items') is null") == "t"
    assert t.sql("select to_regclass('predeploy_migrations') is null") == "t"
    r = t.run("up", "--target", "0003")
    t.expect(r, 0)
    assert status_json(t)["current"] == "0003"
    r = t.run("up", "--target", "0099")
    t.expect(r, 64)
    assert "unknown target version" in r.err


@case
def failing_migration_rolls_back(t: Env):
    t.write("migrations/1_a.sql", "-- migrate:up\ncreate table a(id int);\n")
    t.write("migrations/2_b.sql", "-- migrate:up\ncreate table b(id int);\n\ninsert into b values (1);\n"
                                  "insert into nosuch values (1);\n")
    t.write("migrations/3_c.sql", "-- migrate:up\ncreate table c(id int);\n")
    r = t.run("up")
    t.expect(r, 11)
    assert "2_b.sql:5:" in r.err, r
    assert 'relation "nosuch" does not exist' in r.err and "42P01" in r.err
    assert t.sql("select to_regclass('a') is not null") == "t"
    assert t.sql("select to_regclass('b') is null") == "t"
    assert t.sql("select to_regclass('c') is null") == "t"
    assert t.sql("select string_agg(version, ',' order by version) from predeploy_migrations") == "1"
    assert t.sql("select outcome || ':' || sqlstate from predeploy_migrations_history where version = '2'") == "failed:42P01"
    err = t.sql("select error from predeploy_migrations_history where version = '2'")
    assert "2_b.sql:5" in err
    # json log format carries the same fields
    r = t.run("up", "--log-format", "json")
    t.expect(r, 11)
    line = [json.loads(x) for x in r.err.splitlines() if '"level":"error"' in x][0]
    assert line["sqlstate"] == "42P01" and line["line"] == 5 and line["exit_code"] == 11


def logged_migrations(t: Env, n, each, extra):
    """Migrations 1..n, each inserting its number into table log, then
    `each` ({v} is the number), then extra.get(v)."""
    for v in range(1, n + 1):
        body = "insert into log values (%d);\n" % v + each.replace("{v}", str(v)) + extra.get(v, "")
        t.write("migrations/%d_m.sql" % v, "-- migrate:up\n" + body)


@case
def pipelined_run_stops_at_failure(t: Env):
    # 30 migrations go out as one pipeline, each in its own transaction: the
    # 12th fails; 1-11 are committed with their rows, 13-30 never run
    t.sql("create table log(v int)")
    logged_migrations(t, 30, "create table t{v}(id int);\n", {12: "select 1/0;\n"})
    r = t.run("up")
    t.expect(r, 11)
    assert "12_m.sql:4:" in r.err and "22012" in r.err, r
    assert r.err.count("applied ") == 11, r.err
    assert t.sql("select string_agg(v::text, ',' order by v) from log") == ",".join(map(str, range(1, 12)))
    assert t.sql("select count(*) from predeploy_migrations") == "11"
    assert t.sql("select count(*) from pg_class where relname ~ '^t[0-9]+$'") == "11"
    assert t.sql("select string_agg(version || ':' || outcome, ',' order by id) from predeploy_migrations_history "
                 "where outcome <> 'success'") == "12:failed"
    assert t.sql("select count(*) from predeploy_migrations_history where outcome = 'success'") == "11"
    # the rest applies once the file is fixed, each exactly once
    t.write("migrations/12_m.sql", "-- migrate:up\ninsert into log values (12);\ncreate table t12(id int);\n")
    t.expect(t.run("up"), 0)
    assert t.sql("select count(*), count(distinct v), max(v) from log") == "30|30|30"


@case
def lock_retry_mid_run_keeps_progress(t: Env):
    # migration 5 of 8 waits for a lock held by another session until
    # predeploy has said it retries (not for a fixed time: a slow backup
    # could outlast it): 1-4 commit once, 5 is retried, then 5-8 apply;
    # nothing runs twice
    t.sql("create table hot(id int); create table log(v int)")
    logged_migrations(t, 8, "", {5: "alter table hot add column x int;\n"})
    holder = t.hold_lock("hot", 600)
    seen = []
    try:
        p = t.spawn("up", "--lock-timeout", "200ms", "--lock-retries", "10")
        for line in p.stderr:       # ends at exit if it never retries
            seen.append(line)
            if "retrying" in line:
                break
    finally:
        t.sql("select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() "
              "and query like '%pg_sleep(600)%' "
              "and pid <> pg_backend_pid()")
        holder.wait(timeout=30)
    out, err = p.communicate(timeout=120)
    err = "".join(seen) + err
    assert p.returncode == 0, err
    assert "5: " in err and "retrying" in err, err
    assert t.sql("select count(*), count(distinct v) from log") == "8|8"
    assert t.sql("select count(*) from predeploy_migrations") == "8"
    assert t.sql("select count(*) from predeploy_migrations_history where outcome = 'failed'") == "0"


@case
def sigterm_mid_run_stops_the_pipeline(t: Env):
    # 2 quick migrations, a slow one, then 40 quick ones queued behind it:
    # SIGTERM cancels the slow one and none of the 40 run
    t.sql("create table log(v int)")
    logged_migrations(t, 43, "", {3: "select pg_sleep(3600);\n"})
    p = t.spawn("up")
    t.wait_for_backend("pg_sleep(3600)")
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)   # pg_sleep(3600) if not cancelled
    assert p.returncode == 143, (p.returncode, err)
    assert t.sql("select string_agg(v::text, ',' order by v) from log") == "1,2"
    assert t.sql("select count(*) from predeploy_migrations") == "2"
    assert t.sql("select count(*) from pg_stat_activity where datname = current_database() "
                 "and query like '%pg_sleep(3600)%' and pid <> pg_backend_pid()") == "0"


@case
def kill_9_leaves_at_most_one_queued_migration(t: Env):
    # while the server runs migration k the next one is already queued (the
    # server never waits a round trip between migrations), and no more: after
    # kill -9 the server finishes what it holds, 3 and the queued 4, then
    # notices the closed connection; 5-8 were never sent (docs/migrations.md)
    t.sql("create table log(v int)")
    logged_migrations(t, 8, "", {3: "select pg_advisory_xact_lock(4242);\n"})
    holder = subprocess.Popen(
        [os.path.join(t.pg["bindir"], "psql"), "-X", "-h", t.pg["sockdir"], "-p", str(t.pg["port"]), "-U",
         "postgres", "-d", t.db, "-c", "select pg_advisory_lock(4242); select pg_sleep(600);"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while t.sql("select count(*) from pg_locks where locktype = 'advisory' and objid = 4242 and granted") == "0":
            time.sleep(0.05)
        p = t.spawn("up", "--lock-timeout", "10m")
        for line in p.stderr:
            if "applied 2_m" in line:
                break
        t.wait_for_backend("pg_advisory_xact_lock(4242)")
        # the client sends migration 4 as soon as it has read 2's results;
        # give it a moment to have done so (not an assertion on time)
        time.sleep(1)
        p.kill()
        p.wait()
    finally:
        t.sql("select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() "
              "and query like '%pg_sleep(600)%' "
              "and pid <> pg_backend_pid()")
        holder.wait(timeout=30)
    for _ in range(600):
        if t.sql("select count(*) from pg_stat_activity where datname = current_database() "
                 "and application_name = 'predeploy'") == "0":
            break
        time.sleep(0.05)
    assert t.sql("select string_agg(v::text, ',' order by v) from log") == "1,2,3,4"
    assert t.sql("select string_agg(version, ',' order by version::int) from predeploy_migrations") == "1,2,3,4"
    # the next run reports the interrupted one and applies the rest
    r = t.run("up")
    t.expect(r, 0)
    assert "interrupted" in r.err and "it applied 1, 2, 3, 4" in r.err, r.err
    assert t.sql("select count(*), count(distinct v) from log") == "8|8"


@case
def durations_are_per_migration(t: Env):
    # each migration's duration_ms is its own: measured on the server from
    # its BEGIN, and with all of them in one transaction measured by
    # predeploy between the migrations' last results (one record statement
    # for all before the COMMIT)
    for single in (False, True):
        t.sql("drop table if exists predeploy_migrations, predeploy_migrations_history, a, b, c")
        t.write("migrations/1_a.sql", "-- migrate:up\ncreate table a(id int);\n")
        t.write("migrations/2_b.sql", "-- migrate:up\ncreate table b(id int);\nselect pg_sleep(2);\n")
        t.write("migrations/3_c.sql", "-- migrate:up\ncreate table c(id int);\n")
        t.expect(t.run("up", *(["--single-transaction"] if single else [])), 0)
        ms = dict(x.split(":") for x in t.sql("select string_agg(version || ':' || duration_ms, ',') "
                                               "from predeploy_migrations").split(","))
        assert int(ms["2"]) >= 2000 and int(ms["1"]) < 2000 and int(ms["3"]) < 2000, (single, ms)
        assert t.sql("select string_agg(version || ':' || duration_ms, ',' order by version) from "
                     "predeploy_migrations_history where action = 'up'") == \
            ",".join("%s:%s" % (v, ms[v]) for v in "123")
        # history rows in the order the migrations ran
        assert t.sql("select string_agg(version, ',' order by id) from predeploy_migrations_history "
                     "where action = 'up'") == "1,2,3"


@case
def single_transaction_records_every_name(t: Env):
    # names with the characters of an array literal reach both tables as written
    names = ['a"quote', "back\\slash", "comma,and{braces}", "it's", "NULL"]
    for i, n in enumerate(names, 1):
        t.write("migrations/%d_%s.sql" % (i, n), "-- migrate:up\ncreate table t%d(id int);\n"
                "-- migrate:down\ndrop table t%d;\n" % (i, i))
    r = t.run("up", "--single-transaction", "--sql")
    t.expect(r, 0)
    assert r.out.count("INSERT INTO \"public\".\"predeploy_migrations\"") == 1, r.out
    assert "-- the durations are measured as the migrations run" in r.out
    t.expect(t.run("up", "--single-transaction"), 0)
    got = json.loads(t.sql("select json_agg(name order by version::int) from predeploy_migrations"))
    assert got == names, got
    got = json.loads(t.sql("select json_agg(name order by id) from predeploy_migrations_history "
                           "where action = 'up'"))
    assert got == names, got


@case
def a_version_recorded_behind_the_lock_is_an_error(t: Env):
    # a tracking row for a pending version, written after predeploy read the
    # table (here by the migration itself, standing in for a tool that does
    # not take the lock): the record fails, nothing of that migration stays
    for single in (False, True):
        t.sql("drop table if exists predeploy_migrations, predeploy_migrations_history, a, b")
        t.write("migrations/1_a.sql", "-- migrate:up\ncreate table a(id int);\n")
        t.write("migrations/2_b.sql", "-- migrate:up\ncreate table b(id int);\n"
                                      "insert into predeploy_migrations (version) values ('2');\n")
        r = t.run("up", *(["--single-transaction"] if single else []))
        t.expect(r, 11)
        assert "23505" in r.err and "does not take predeploy's lock" in r.err, r.err
        assert t.sql("select to_regclass('b') is null") == "t"
        assert t.sql("select to_regclass('a') is null") == ("t" if single else "f")
    # outside a transaction the migration has run when its record fails
    t.sql("drop table if exists predeploy_migrations, predeploy_migrations_history, a, b")
    t.write("migrations/2_b.sql", "-- migrate:up transaction:false\ncreate table b(id int);\n"
                                  "insert into predeploy_migrations (version) values ('2');\n")
    r = t.run("up")
    t.expect(r, 12)
    assert "23505" in r.err and "does not take predeploy's lock" in r.err and "stays applied" in r.err, r.err
    assert t.sql("select to_regclass('b') is not null") == "t"


@case
def single_transaction(t: Env):
    t.write("migrations/1_a.sql", "-- migrate:up\ncreate table a(id int);\n")
    t.write("migrations/2_b.sql", "-- migrate:up\nselect 1/0;\n")
    r = t.run("up", "--single-transaction")
    t.expect(r, 11)
    assert t.sql("select to_regclass('a') is null") == "t"
    t.write("migrations/2_b.sql", "-- migrate:up transaction:false\nselect 1;\n")
    r = t.run("up", "--single-transaction")
    t.expect(r, 64)


@case
def lock_timeout_retries_then_75(t: Env):
    t.write("migrations/1_a.sql", "-- migrate:up\ncreate table hot(id int);\n")
    t.expect(t.run("up"), 0)
    t.write("migrations/2_b.sql", "-- migrate:up\ncreate table side(id int);\nalter table hot add column x int;\n")
    holder = t.hold_lock("hot", 60)
    try:
        r = t.run("up", "--lock-timeout", "200ms", "--lock-retries", "2")
        t.expect(r, 75)
        assert r.err.count("retrying") == 2, r
        assert "55P03" in r.err
        assert t.sql("select to_regclass('side') is null") == "t"
        assert t.sql("select count(*) from predeploy_migrations") == "1"
    finally:
        t.sql("select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() "
              "and query like '%pg_sleep(60)%' "
              "and pid <> pg_backend_pid()")
        holder.kill()
        holder.wait()
    t.expect(t.run("up"), 0)
    assert t.sql("select count(*) from information_schema.columns where table_name = 'hot'") == "2"


@case
def migration_lock_wait_logs_holder(t: Env):
    # the first run holds the migration lock while its migration waits for
    # a table lock that this test holds, until the second run has given up
    t.sql("create table gate(id int)")
    t.write("migrations/1_a.sql", "-- migrate:up\nlock table gate in access exclusive mode;\ncreate table a(id int);\n")
    holder = t.hold_lock("gate", 600)
    try:
        first = t.spawn("up", "--lock-timeout", "10m")
        t.wait_for_backend("lock table gate")
        r = t.run("up", "--lock-wait", "300ms")
        t.expect(r, 75)
        assert "held by pid" in r.err and 'application_name "predeploy"' in r.err, r
    finally:
        t.sql("select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() "
              "and query like '%pg_sleep(600)%' "
              "and pid <> pg_backend_pid()")
        holder.wait()
    out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert t.sql("select to_regclass('a') is not null") == "t"


@case
def concurrent_replicas_apply_once(t: Env):
    t.sql("create table applied_log(version text)")
    for i in range(1, 51):
        t.write("migrations/%03d_m.sql" % i,
                "-- migrate:up\ncreate table t%d(id int);\ninsert into applied_log values ('%d');\n" % (i, i))
    procs = [t.spawn("up") for _ in range(16)]
    codes = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        codes.append(p.returncode)
        assert pgserver.PASSWORD not in err
    assert codes == [0] * 16, codes
    assert t.sql("select count(*), count(distinct version) from applied_log") == "50|50"
    assert t.sql("select count(*) from predeploy_migrations") == "50"
    assert t.sql("select count(*) from predeploy_migrations_history where outcome = 'success'") == "50"


@case
def drift_is_refused(t: Env):
    t.write("migrations/10_a.sql", "-- migrate:up\ncreate table a(id int);\n")
    t.write("migrations/20_b.sql", "-- migrate:up\ncreate table b(id int);\n")
    t.expect(t.run("up"), 0)
    before = t.sql("select string_agg(version || checksum, ',' order by version) from predeploy_migrations")
    # modified
    t.write("migrations/10_a.sql", "-- migrate:up\ncreate table a(id bigint);\n")
    t.write("migrations/30_c.sql", "-- migrate:up\ncreate table c(id int);\n")
    r = t.run("up")
    t.expect(r, 13)
    assert "10" in r.err and "modified" in r.err
    assert t.sql("select to_regclass('c') is null") == "t"
    r = t.run("status", "--exit-code")
    t.expect(r, 13)
    assert "modified" in r.out
    t.write("migrations/10_a.sql", "-- migrate:up\ncreate table a(id int);\n")
    # missing
    os.unlink(t.path("migrations/20_b.sql"))
    r = t.run("up")
    t.expect(r, 13)
    assert "file is gone" in r.err
    t.write("migrations/20_b.sql", "-- migrate:up\ncreate table b(id int);\n")
    # out of order
    t.write("migrations/15_old.sql", "-- migrate:up\ncreate table old(id int);\n")
    r = t.run("up")
    t.expect(r, 13)
    assert "older than the newest applied" in r.err
    assert t.sql("select string_agg(version || checksum, ',' order by version) from predeploy_migrations") == before
    assert t.sql("select to_regclass('c') is null and to_regclass('old') is null") == "t"
    r = t.run("up", "--allow-out-of-order")
    t.expect(r, 0)
    assert t.sql("select to_regclass('c') is not null and to_regclass('old') is not null") == "t"


@case
def malformed_files(t: Env):
    t.expect(t.run("up"), 0)  # empty directory: nothing to do
    cases = [
        ("1_noup.sql", b"create table x(id int);\n", "statement before", 1),
        ("1_empty.sql", b"", "no \"-- migrate:up\" section", 0),
        ("1_dollar.sql", b"-- migrate:up\nselect 1;\ncreate function f() returns int as $$\nbegin\n", "unterminated dollar-quoted", 3),
        ("1_utf8.sql", b"-- migrate:up\nselect 'caf\xc3';\n", "not valid UTF-8", 2),
        ("1_nul.sql", b"-- migrate:up\nselect 1;\x00\n", "NUL byte", 2),
    ]
    for name, content, msg, line in cases:
        for f in os.listdir(t.path("migrations")):
            os.unlink(t.path("migrations", f))
        t.write("migrations/" + name, content, mode="wb")
        r = t.run("up")
        t.expect(r, 65)
        assert msg in r.err, r
        if line:
            assert "%s:%d:" % (name, line) in r.err, r
        else:
            assert name in r.err, r
    for f in os.listdir(t.path("migrations")):
        os.unlink(t.path("migrations", f))
    t.write("migrations/1_a.sql", "-- migrate:up\nselect 1;\n")
    t.write("migrations/01_b.up.sql", "select 2;\n")
    r = t.run("up")
    t.expect(r, 65)
    assert "duplicate migration version" in r.err
    os.unlink(t.path("migrations/01_b.up.sql"))
    # a 10 MB migration: accepted and applied
    big = "-- migrate:up\ncreate table big(t text);\n" + \
          "".join("insert into big values ('%s');\n" % ("x" * 1000) for _ in range(10000))
    t.write("migrations/2_big.sql", big)
    r = t.run("up")
    t.expect(r, 0)
    assert t.sql("select count(*) from big") == "10000"
    assert t.sql("select count(*) from predeploy_migrations") == "2"


@case
def non_transactional_failure_is_12(t: Env):
    t.write("migrations/1_a.sql", "-- migrate:up\ncreate table d(v int);\ninsert into d values (1), (1);\n")
    t.expect(t.run("up"), 0)
    t.write("migrations/2_idx.sql",
            "-- migrate:up transaction:false\ncreate table e(id int);\ncreate unique index concurrently d_v_uniq on d(v);\n")
    r = t.run("up")
    t.expect(r, 12)
    assert "2_idx.sql:3:" in r.err, r
    assert "INVALID" in r.err and "DROP INDEX CONCURRENTLY IF EXISTS public.d_v_uniq" in r.err, r
    assert "1 statement before the failing one stays applied" in r.err, r
    assert t.sql("select outcome from predeploy_migrations_history where version = '2'") == "partial"


@case
def kill_9_mid_migration(t: Env):
    t.write("migrations/1_slow.sql", "-- migrate:up\ncreate table slow(id int);\nselect pg_sleep(3600);\n"
                                     "insert into slow values (1);\n")
    p = t.spawn("up")
    t.wait_for_backend("pg_sleep(3600)")
    p.send_signal(signal.SIGKILL)
    p.wait()
    # the server notices the dead client and rolls back; allow it a moment
    for _ in range(200):
        if t.sql("select count(*) from pg_stat_activity where datname = current_database() "
                 "and application_name = 'predeploy'") == "0":
            break
        t.sql("select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() "
              "and application_name = 'predeploy' "
              "and query like '%pg_sleep(3600)%'")
        time.sleep(0.05)
    assert t.sql("select to_regclass('slow') is null") == "t"
    t.write("migrations/1_slow.sql", "-- migrate:up\ncreate table slow(id int);\nselect pg_sleep(0.1);\n"
                                     "insert into slow values (1);\n")
    t.expect(t.run("up"), 0)
    assert t.sql("select count(*) from slow") == "1"
    assert t.sql("select count(*) from predeploy_migrations") == "1"


@case
def sigterm_cancels_and_rolls_back(t: Env):
    # an hour's sleep: a run that was not cancelled would outlast communicate()
    t.write("migrations/1_slow.sql", "-- migrate:up\ncreate table slow(id int);\nselect pg_sleep(3600);\n")
    p = t.spawn("up")
    t.wait_for_backend("pg_sleep(3600)")
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 143, (p.returncode, err)
    assert t.sql("select to_regclass('slow') is null") == "t"
    assert t.sql("select count(*) from pg_stat_activity where datname = current_database() "
                 "and query like '%pg_sleep(3600)%' and pid <> pg_backend_pid()") == "0"


@case
def new_and_stamp(t: Env):
    r = t.run("new", "Add Users Table!")
    t.expect(r, 0)
    path = r.out.strip()
    assert path.startswith("migrations/") and path.endswith("_add_users_table.sql"), path
    content = open(t.path(path)).read()
    assert "-- migrate:up" in content and "-- migrate:down" in content
    t.expect(t.run("new"), 64)
    t.write("migrations/1_a.sql", "-- migrate:up\ncreate table a(id int);\n")
    t.write("migrations/2_b.sql", "-- migrate:up\ncreate table b(id int);\n")
    r = t.run("stamp", "2")
    t.expect(r, 0)
    assert t.sql("select to_regclass('a') is null") == "t"
    assert t.sql("select count(*) from predeploy_migrations") == "2"
    assert t.sql("select action from predeploy_migrations_history") == "stamp"
    t.expect(t.run("stamp", "1"), 0)
    assert t.sql("select count(*) from predeploy_migrations") == "1"
    t.expect(t.run("stamp", "77"), 64)
    t.expect(t.run("stamp", "x1"), 64)


@case
def custom_table_and_schema(t: Env):
    t.write("migrations/1_a.sql", "-- migrate:up\ncreate table a(id int);\n")
    r = t.run("up", "--table", "ops.schema_versions")
    t.expect(r, 0)
    assert t.sql("select count(*) from ops.schema_versions") == "1"
    assert t.sql("select count(*) from ops.schema_versions_history") == "1"
    assert t.sql("select to_regclass('public.predeploy_migrations') is null") == "t"
    t.expect(t.run("up", "--table", "a.b.c"), 78)


@case
def down_without_section(t: Env):
    t.write("migrations/1_a.sql", "-- migrate:up\ncreate table a(id int);\n")
    t.expect(t.run("up"), 0)
    r = t.run("down")
    t.expect(r, 65)
    assert "no down section" in r.err
    assert t.sql("select to_regclass('a') is not null") == "t"


@case
def host_list_url_falls_through_to_a_live_host(t: Env):
    # a host list takes libpq's own blocking connect (it moves to the next
    # host there): the first host refuses, the second is the server
    t.write("migrations/1_a.sql", "-- migrate:up\ncreate table a(id int);\n")
    dead = pgserver.free_port()
    url = t.url.replace("127.0.0.1:%d" % t.pg["port"], "127.0.0.1:%d,127.0.0.1:%d" % (dead, t.pg["port"]))
    assert url != t.url
    r = t.run("up", env={"DATABASE_URL": url})
    t.expect(r, 0)
    assert t.sql("select to_regclass('a') is not null") == "t"


@case
def tls_database_connection(t: Env):
    # a server with TLS on: sslmode=verify-full against its certificate works
    # (SCRAM with channel binding over TLS), a different CA is refused
    import pwd
    import shutil
    import tempfile
    if not shutil.which("openssl"):
        print("SKIP tls_database_connection: the openssl command is not installed")
        return
    certdir = tempfile.mkdtemp(prefix="predeploy-tls-")
    try:
        os.chmod(certdir, 0o755)
        key, crt = os.path.join(certdir, "server.key"), os.path.join(certdir, "server.crt")
        for k, c in ((key, crt), (t.path("other.key"), t.path("other.crt"))):
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                            "-keyout", k, "-out", c, "-subj", "/CN=127.0.0.1",
                            "-addext", "subjectAltName=IP:127.0.0.1"],
                           check=True, capture_output=True, timeout=60)
        os.chmod(key, 0o600)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(key, pw.pw_uid, pw.pw_gid)
            os.chown(crt, pw.pw_uid, pw.pw_gid)
        info = pgserver.start(extra_conf=["ssl = on", "ssl_cert_file = '%s'" % crt, "ssl_key_file = '%s'" % key])
        try:
            t.write("migrations/1_a.sql", "-- migrate:up\ncreate table a(id int);\n")
            url = pgserver.url(info, "postgres")
            r = t.run("up", env={"DATABASE_URL": url + "?sslmode=verify-full&sslrootcert=" + crt})
            t.expect(r, 0)
            assert pgserver.psql(info, "postgres", "select to_regclass('a') is not null").strip() == "t"
            r = t.run("status", env={"DATABASE_URL": url + "?sslmode=verify-full&sslrootcert=" + t.path("other.crt")})
            assert r.code != 0 and "certificate" in r.err, r
            r = t.run("status", env={"DATABASE_URL": url + "?sslmode=require"})
            t.expect(r, 0)
        finally:
            pgserver.stop(info)
    finally:
        shutil.rmtree(certdir, ignore_errors=True)


@case
def password_never_leaks_on_failure_paths(t: Env):
    t.write("migrations/1_a.sql", "-- migrate:up\nselect 1/0;\n")
    t.expect(t.run("up"), 11)
    t.expect(t.run("up", "--verbose", "--log-format", "json"), 11)
    bad = t.url.replace("/" + t.db, "/nosuchdb")
    r = t.run("status", env={"DATABASE_URL": bad})
    assert r.code in (69, 77, 78), r
    r = t.run("up", env={"DATABASE_URL": t.url.replace("127.0.0.1", "127.0.0.1:1")})
    assert r.code in (69, 78), r
    # the password must not be in the history table either
    assert pgserver.PASSWORD not in t.sql("select coalesce(string_agg(h::text, ''), '') from predeploy_migrations_history h")


if __name__ == "__main__":
    main()
