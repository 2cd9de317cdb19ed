#!/usr/bin/env python3
# cost: 4
"""Hostile and unlucky input: FIFOs and devices named *.sql, byte order
marks, symbolic links leaving the migrations directory, control characters
in file names, durations that overflow, unparsable webhook URLs, names that
are not valid UTF-8 (an error and its exit code, never an abort), and
tracking tables another role prepared (a trojan table is refused before it
is read or written)."""
import hashlib
import os
import signal
import time

from harness import case, main, Env, SECRETS
from receiver import Receiver

UP = "-- migrate:up\ncreate table a(id int);\n-- migrate:down\ndrop table a;\n"


def not_aborted(r):
    assert r.code not in (-signal.SIGABRT, 128 + signal.SIGABRT), r
    assert "fatal" not in r.err, r


@case
def fifo_and_device_named_sql_refused(t: Env):
    t.write("migrations/001_a.sql", UP)
    os.mkfifo(t.path("migrations", "002_b.sql"))
    r = t.run("up", timeout=30)   # opening a FIFO with no writer would block forever
    t.expect(r, 65)
    assert "002_b.sql" in r.err and "a FIFO, not a regular file" in r.err, r
    assert t.sql("select to_regclass('a') is null") == "t"
    os.unlink(t.path("migrations", "002_b.sql"))
    os.symlink("/dev/zero", t.path("migrations", "002_b.sql"))
    r = t.run("up", "--follow-symlinks", timeout=30)
    t.expect(r, 65)
    assert "a character device, not a regular file" in r.err, r
    assert t.sql("select to_regclass('a') is null") == "t"


@case
def bom_is_stripped_and_not_in_the_checksum(t: Env):
    bom = b"\xef\xbb\xbf"
    up2 = b"create table b(id int);\n"
    t.write("migrations/001_a.sql", bom + UP.encode(), mode="wb")
    t.write("migrations/002_b.up.sql", bom + up2, mode="wb")
    r = t.run("up")
    t.expect(r, 0)
    assert t.sql("select count(*) from a, b") == "0"
    sums = t.sql("select string_agg(checksum, ',' order by version) from predeploy_migrations").split(",")
    assert sums[0] == hashlib.sha256(b"create table a(id int);\n").hexdigest(), sums
    assert sums[1] == hashlib.sha256(up2).hexdigest(), sums
    # the same files without the BOM are the same migrations: no drift
    t.write("migrations/001_a.sql", UP)
    t.write("migrations/002_b.up.sql", up2, mode="wb")
    t.expect(t.run("status", "--exit-code"), 0)


@case
def symlink_leaving_the_directory_refused(t: Env):
    t.write("migrations/001_a.sql", UP)
    outside = t.write("elsewhere/002_b.sql", "-- migrate:up\ncreate table b(id int);\n")
    os.symlink(outside, t.path("migrations", "002_b.sql"))
    # a link that stays inside the directory (a ConfigMap's ..data) is fine
    t.write("migrations/..data/003_c.sql", "-- migrate:up\ncreate table c(id int);\n")
    os.symlink("..data/003_c.sql", t.path("migrations", "003_c.sql"))
    r = t.run("up")
    t.expect(r, 65)
    assert "002_b.sql" in r.err and "leaves the migrations directory" in r.err, r
    assert "--follow-symlinks" in r.err, r
    assert t.sql("select to_regclass('a') is null") == "t"
    r = t.run("up", "--follow-symlinks")
    t.expect(r, 0)
    assert t.sql("select count(*) from a, b, c") == "0"
    r = t.run("status", env={"PREDEPLOY_FOLLOW_SYMLINKS": "1"})
    t.expect(r, 0)


@case
def control_characters_in_file_names_escaped(t: Env):
    name = "001_a\x1b[31mred\rback\nFAKE error predeploy: forged.sql"
    with open(os.path.join(t.path("migrations"), name), "w") as f:
        f.write("select 1;\n")          # no up marker: a bad file
    r = t.run("up")
    t.expect(r, 65)
    assert "\x1b" not in r.err and "\r" not in r.err, repr(r.err)
    assert "\\x1b[31mred\\x0dback\\nFAKE" in r.err, repr(r.err)
    assert not any(l.startswith("FAKE") for l in r.err.splitlines()), repr(r.err)
    # JSON logs escape them as JSON does
    r = t.run("up", env={"PREDEPLOY_LOG_FORMAT": "json"})
    t.expect(r, 65)
    assert "\x1b" not in r.err and "\\u001b[31m" in r.err, repr(r.err)


@case
def file_name_not_utf8_refused(t: Env):
    with open(os.path.join(os.fsencode(t.path("migrations")), b"001_\xff.sql"), "w") as f:
        f.write(UP)
    for args in (["up"], ["up", "--sql"]):
        r = t.run(*args)
        not_aborted(r)
        t.expect(r, 65)
        assert "not valid UTF-8" in r.err, r
    assert t.sql("select to_regclass('a') is null") == "t"


@case
def durations_overflow_to_78(t: Env):
    t.write("migrations/001_a.sql", UP)
    cases = [
        (["--lock-timeout", "2147483648ms"], "PostgreSQL's limit"),
        (["--lock-timeout", "25d"], "expected a duration"),          # no day unit
        (["--lock-timeout", "600h"], "PostgreSQL's limit"),
        (["--statement-timeout", "596524h"], "PostgreSQL's limit"),
        (["--lock-wait", "4611686018427387903ms4611686018427387903ms"], "too long"),
        (["--wait-timeout", "99999999999999999999999999"], "too long"),
        (["--backup-reuse", "9223372036854775807h"], "too long"),
    ]
    for args, why in cases:
        r = t.run("run", *args)
        not_aborted(r)
        t.expect(r, 78)
        assert why in r.err and args[0] in r.err, r
    r = t.run("up", env={"PREDEPLOY_LOCK_TIMEOUT": "2147483648ms"})
    t.expect(r, 78)
    assert "PREDEPLOY_LOCK_TIMEOUT" in r.err, r
    assert t.sql("select to_regclass('a') is null") == "t"
    # the largest value PostgreSQL takes works
    r = t.run("up", "--lock-timeout", "2147483647ms", "--statement-timeout", "2147483647ms")
    t.expect(r, 0)


@case
def unparsable_webhook_url_is_78(t: Env):
    t.write("migrations/001_a.sql", UP)
    for url in ("http://[::1", "http://host:99999999/x", "https://exa mple.com/"):
        r = t.run("run", "--webhook", url)
        t.expect(r, 78)
        assert "invalid webhook URL" in r.err, r
    assert t.sql("select to_regclass('a') is null") == "t"


@case
def names_not_utf8_are_errors_not_aborts(t: Env):
    bad = os.fsdecode(b"\xff")
    for args in (["status", "--table", bad], ["up", "--table", bad], ["history", "--table", "x." + bad]):
        r = t.run(*args)
        not_aborted(r)
        t.expect(r, 78)
        assert "invalid --table" in r.err, r


TROJAN = """
drop role if exists mallory_%(db)s;
create role mallory_%(db)s;
grant create on schema public to mallory_%(db)s;
create table fired(at timestamptz);
grant insert on fired to mallory_%(db)s;
set role mallory_%(db)s;
create table predeploy_migrations(version text primary key, name text not null default '', checksum text,
    applied_at timestamptz not null default now(), duration_ms integer, applied_by text);
create function mallory_code() returns trigger language plpgsql as $$
begin insert into fired values (now()); return new; end $$;
create trigger t_%(db)s before insert or update or delete on predeploy_migrations
    for each row execute function mallory_code();
create trigger s_%(db)s before insert or update or delete or truncate on predeploy_migrations
    for each statement execute function mallory_code();
reset role;
"""


def _drop_mallory(t):
    t.sql_ok("drop owned by mallory_%s cascade; drop role if exists mallory_%s" % (t.db, t.db))


@case
def trojan_tracking_table_refused(t: Env):
    t.write("migrations/001_a.sql", UP)
    t.sql(TROJAN % {"db": t.db})
    try:
        for args in (["up"], ["run"], ["status"], ["history"], ["stamp", "1"]):
            r = t.run(*args)
            t.expect(r, 77)
            assert 'owned by role "mallory_%s"' % t.db in r.err and "predeploy_migrations" in r.err, r
        assert t.sql("select count(*) from fired") == "0", "the trojan's trigger fired"
        assert t.sql("select to_regclass('a') is null") == "t"
        # the same table handed to the deploying role still has its triggers
        t.sql("alter table predeploy_migrations owner to current_user")
        r = t.run("up")
        t.expect(r, 77)
        assert "has triggers (" in r.err and "s_%s" % t.db in r.err, r
        assert t.sql("select count(*) from fired") == "0", "the trojan's trigger fired"
    finally:
        _drop_mallory(t)


@case
def tracking_table_rules_policies_and_kinds_refused(t: Env):
    t.write("migrations/001_a.sql", UP)
    t.expect(t.run("up"), 0)
    t.sql("create table spy(v text); create rule r_spy as on insert to predeploy_migrations_history "
          "do also insert into spy values (new.action)")
    r = t.run("down")
    t.expect(r, 77)
    assert "has rules (r_spy)" in r.err, r
    assert t.sql("select count(*) from spy") == "0" and t.sql("select to_regclass('a') is not null") == "t"
    t.sql("drop rule r_spy on predeploy_migrations_history")
    t.sql("alter table predeploy_migrations enable row level security")
    r = t.run("status")
    t.expect(r, 77)
    assert "row level security" in r.err, r
    t.sql("alter table predeploy_migrations disable row level security")
    t.expect(t.run("status"), 0)
    # a view or a partitioned table under the tracking table's name: 78
    t.sql("create view v_mig as select 1 as version; create table p_mig(version text) partition by list (version)")
    for name, kind in (("v_mig", "a view"), ("p_mig", "a partitioned table")):
        r = t.run("status", "--table", name)
        t.expect(r, 78)
        assert "is %s, not a plain table" % kind in r.err, r


@case
def tracking_schema_owned_by_another_role_refused(t: Env):
    t.write("migrations/001_a.sql", UP)
    t.sql("drop role if exists mallory_%s; create role mallory_%s; create schema ops authorization mallory_%s"
          % (t.db, t.db, t.db))
    try:
        r = t.run("up", "--table", "ops.migrations")
        t.expect(r, 77)
        assert 'tracking schema "ops"' in r.err and "mallory_" in r.err, r
        assert t.sql("select to_regclass('ops.migrations') is null and to_regclass('a') is null") == "t"
        # a schema of its own is fine
        r = t.run("up", "--table", "ours.migrations")
        t.expect(r, 0)
    finally:
        _drop_mallory(t)


def _leaks(t, texts):
    for s in SECRETS:
        for text in texts:
            assert s not in text, "%r leaked: %r" % (s, text)


@case
def percent_and_space_passwords_never_leak(t: Env):
    t.write("migrations/001_a.sql", UP)
    t.expect(t.run("up"), 0)   # so that there is a history table to look into
    host = "127.0.0.1 port=%d user=%s dbname=%s" % (t.pg["port"], t.pg["role"], t.db)
    urls = ["postgresql://%s:Pct%%zzSecretOne@127.0.0.1:%d/%s" % (t.pg["role"], t.pg["port"], t.db),
            "host=%s password=Space SpaceSecretTwo" % host,
            "host=%s password=Space SpaceSecretTwo connect_timeout=5" % host]
    for url in urls:
        term = t.path("termination-log")
        with Receiver() as rx:
            r = t.run("run", "--webhook", rx.url, "--termination-log", term, env={"DATABASE_URL": url})
            t.expect(r, 78)
            reqs = rx.wait_for(1, timeout=15)
        body = reqs[0]["body"]
        assert "invalid database URL" in r.err and "invalid database URL" in body, (r, body)
        _leaks(t, [r.err, r.out, open(term).read(), body])
        # also as a variable's _FILE and as PREDEPLOY_DATABASE_URL
        url_file = t.write("url", url)
        r = t.run("status", env={"DATABASE_URL": None, "PREDEPLOY_DATABASE_URL_FILE": url_file})
        t.expect(r, 78)
    history = t.sql("select coalesce(string_agg(coalesce(error, ''), ' '), '') from predeploy_migrations_history")
    _leaks(t, [history])


@case
def sslpassword_reaches_pg_dump_only_through_a_private_file(t: Env):
    fill = "create table big as select g, md5(g::text) m from generate_series(1, 300000) g"
    t.sql(fill)
    url = t.url + "?sslpassword=SslSecretThree"
    tmp = t.path("tmp")
    os.makedirs(tmp)
    p = t.spawn("backup", env={"DATABASE_URL": url, "TMPDIR": tmp})
    seen = 0
    deadline = time.time() + 60
    while p.poll() is None and time.time() < deadline:
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                cmd = open("/proc/%s/cmdline" % pid, "rb").read()
            except OSError:
                continue
            if b"pg_dump" in cmd and b"--dbname" in cmd and t.db.encode() in cmd:
                seen += 1
                assert b"SslSecretThree" not in cmd and b"Zq8" not in cmd, cmd
                assert b"service=predeploy_child" in cmd, cmd
        time.sleep(0.005)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert seen > 0, "never saw pg_dump running"
    _leaks(t, [out, err])
    assert os.listdir(tmp) == [], os.listdir(tmp)   # the service file is gone


@case
def kill9_mid_pipeline_is_on_record(t: Env):
    # 2 quick migrations, a slow one, 20 quick ones pipelined behind it;
    # predeploy is killed with SIGKILL while the slow one runs: the server
    # goes on with what it had been sent, so what got committed is known
    # only afterwards. The next run must say exactly that, and history must
    # show the interrupted run.
    t.sql("create table log(v int)")
    for v in range(1, 24):
        body = "insert into log values (%d);\n" % v + ("select pg_sleep(1.5);\n" if v == 3 else "")
        t.write("migrations/%d_m.sql" % v, "-- migrate:up\n" + body)
    p = t.spawn("up", "--backup", "never")
    t.wait_for_backend("pg_sleep(1.5)")
    p.kill()
    p.communicate(timeout=30)
    deadline = time.time() + 30
    while t.sql("select count(*) from pg_stat_activity where datname = current_database() "
                "and application_name = 'predeploy'") != "0":
        assert time.time() < deadline, "the killed run's backend never ended"
        time.sleep(0.05)
    committed = t.sql("select coalesce(string_agg(version, ', ' order by version::int), '') from predeploy_migrations")
    assert committed.startswith("1, 2"), committed
    assert t.sql("select action || ':' || outcome from predeploy_migrations_history where action = 'run'") \
        == "run:started"
    r = t.run("up", "--backup", "never")
    t.expect(r, 0)
    assert "was interrupted" in r.err and ("it applied %s;" % committed) in r.err, (committed, r)
    assert t.sql("select count(*), count(distinct v) from log") == "23|23"
    assert t.sql("select count(*) from predeploy_migrations") == "23"
    # the interrupted run stays on record; the finished one leaves no marker
    assert t.sql("select string_agg(action || ':' || outcome || ':' || version, ',') from "
                 "predeploy_migrations_history where action = 'run'") == "run:interrupted:23"
    r = t.run("history")
    t.expect(r, 0)
    assert "interrupted" in r.out, r
    # an up that is not killed leaves no run row behind
    t.write("migrations/24_m.sql", "-- migrate:up\ninsert into log values (24);\n")
    t.expect(t.run("up", "--backup", "never"), 0)
    assert t.sql("select count(*) from predeploy_migrations_history where action = 'run'") == "1"


if __name__ == "__main__":
    main()
