#!/usr/bin/env python3
"""The lint gate in `up` and `run`: blocked before anything happens (no backup,
no write), annotations, protected tables and --force, the failure webhook."""
import json
import os

from harness import case, main, Env
from receiver import Receiver


def base(t: Env):
    t.write("migrations/1_users.sql", "-- migrate:up\ncreate table users(id bigint primary key, legacy text, email text);\n")
    t.expect(t.run("up", "--backup", "never"), 0)
    t.sql("insert into users select g, 'x', 'e' from generate_series(1, 100) g")


def backups(t: Env):
    d = t.path("backups")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


@case
def drop_column_blocks_up(t: Env):
    base(t)
    t.write("migrations/2_drop.sql", "-- migrate:up\ncreate table other(id int);\n"
                                     "alter table users drop column legacy;\n")
    r = t.run("up", "--backup-dir", t.path("backups"))
    t.expect(r, 10)
    assert "drop_column" in r.err and "2_drop.sql:3" in r.err, r
    assert "nothing was changed" in r.err
    assert t.sql("select count(*) from information_schema.columns where table_name='users' and column_name='legacy'") == "1"
    assert t.sql("select to_regclass('other') is null") == "t"
    assert t.sql("select count(*) from predeploy_migrations") == "1"
    assert backups(t) == []
    # acknowledged: it passes
    t.write("migrations/2_drop.sql", "-- migrate:up\ncreate table other(id int);\n"
                                     "-- predeploy:allow drop_column the app stopped reading it in v41\n"
                                     "alter table users drop column legacy;\n")
    r = t.run("up", "--backup", "never")
    t.expect(r, 0)
    assert t.sql("select count(*) from information_schema.columns where table_name='users' and column_name='legacy'") == "0"


@case
def allow_flag_and_warnings_do_not_block(t: Env):
    base(t)
    t.write("migrations/2_idx.sql", "-- migrate:up\ncreate index users_email_idx on users(email);\n")
    r = t.run("up", "--backup", "never")
    t.expect(r, 0)
    assert "create_index_nonconcurrent" in r.err  # a warning, logged
    t.write("migrations/3_trunc.sql", "-- migrate:up\ntruncate users;\n")
    t.expect(t.run("up", "--backup", "never"), 10)
    r = t.run("up", "--backup", "never", "--allow", "truncate")
    t.expect(r, 0)
    assert t.sql("select count(*) from users") == "0"


@case
def fail_on_warning(t: Env):
    base(t)
    t.write("migrations/2_idx.sql", "-- migrate:up\ncreate index users_email_idx on users(email);\n")
    t.expect(t.run("up", "--backup", "never", "--fail-on", "warning"), 10)
    assert t.sql("select to_regclass('users_email_idx') is null") == "t"


@case
def protected_table_needs_force(t: Env):
    base(t)
    t.write("migrations/2_drop.sql", "-- migrate:up\n-- predeploy:allow drop_column reviewed\n"
                                     "alter table users drop column legacy;\n")
    r = t.run("up", "--backup", "never", "--protect", "users,payments")
    t.expect(r, 10)
    assert "protected" in r.err
    r = t.run("up", "--backup", "never", env={"PREDEPLOY_PROTECTED_TABLES": "users"})
    t.expect(r, 10)
    r = t.run("up", "--backup", "never", "--protect", "users", "--force")
    t.expect(r, 0)
    assert "--force" in r.err
    assert t.sql("select forced from predeploy_migrations_history where version = '2'") == "t"
    h = json.loads(t.run("history", "--format", "json").out)
    assert [x["forced"] for x in h if x["version"] == "2"] == [True]


@case
def run_blocked_never_starts_app_and_reports(t: Env):
    base(t)
    t.write("migrations/2_drop.sql", "-- migrate:up\ndrop table users;\n")
    with Receiver() as rx:
        r = t.run("run", "--webhook", rx.url, "--backup-dir", t.path("backups"), "--", "sh", "-c", "echo STARTED")
        t.expect(r, 10)
        reqs = rx.wait_for(1, timeout=15)
    assert "STARTED" not in r.out
    d = reqs[0]["json"]["data"]
    assert d["status"] == "blocked" and d["exit_code"] == 10
    rules = [f["rule"] for f in d["lint"]]
    assert "drop_table" in rules, d["lint"]
    f = [f for f in d["lint"] if f["rule"] == "drop_table"][0]
    assert f["blocking"] is True and f["line"] == 2
    assert t.sql("select count(*) from users") == "100"
    assert backups(t) == []


@case
def syntax_is_the_servers_call(t: Env):
    base(t)
    t.write("migrations/2_bad.sql", "-- migrate:up\ncreate tabel nope(id int);\n")
    r = t.run("up", "--backup", "never")
    t.expect(r, 11)  # not blocked by lint: the server rejects it
    assert "42601" in r.err and "2_bad.sql:2" in r.err


@case
def dry_run_changes_nothing(t: Env):
    base(t)
    t.write("migrations/2_nn.sql", "-- migrate:up\nalter table users alter column email set not null;\n")
    t.write("migrations/3_big.sql", "-- migrate:up\nalter table users alter column id type numeric;\n")
    before = t.sql("select string_agg(column_name || data_type || is_nullable, ',' order by column_name) "
                   "from information_schema.columns where table_name = 'users'")
    r = t.run("up", "--dry-run")
    t.expect(r, 0)
    assert "AccessExclusiveLock" in r.out, r
    assert "rewr" in r.out.lower(), r
    after = t.sql("select string_agg(column_name || data_type || is_nullable, ',' order by column_name) "
                  "from information_schema.columns where table_name = 'users'")
    assert before == after
    assert t.sql("select count(*) from predeploy_migrations") == "1"


@case
def down_on_protected_table_needs_force(t: Env):
    t.write("migrations/1_pay.sql", "-- migrate:up\ncreate table payments(id int);\n-- migrate:down\ndrop table payments;\n")
    t.expect(t.run("up", "--backup", "never"), 0)
    r = t.run("down", "--protect", "payments")
    t.expect(r, 10)
    assert t.sql("select to_regclass('payments') is not null") == "t"
    t.expect(t.run("down", "--protect", "payments", "--force"), 0)
    assert t.sql("select to_regclass('payments') is null") == "t"
    assert t.sql("select forced from predeploy_migrations_history where action = 'down'") == "t"


if __name__ == "__main__":
    main()
