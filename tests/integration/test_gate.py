#!/usr/bin/env python3
# cost: 2
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


def history(t: Env, upto=None):
    """A generated history from an empty database: 20 tables, each created,
    then altered, renamed and dropped or moved in later migrations (120
    migrations; the first 20 create)."""
    steps = [
        "create table t_{i} (id bigint generated always as identity primary key, name varchar(50), "
        "legacy text, qty int);\n",
        "alter table t_{i} add column code text not null;\nalter table t_{i} alter column qty set not null;\n",
        "alter table t_{i} alter column name type varchar(20);\nalter table t_{i} drop column legacy;\n",
        "alter table t_{i} rename column name to title;\ncreate index t_{i}_title on t_{i} (title);\n"
        "update t_{i} set qty = 0;\n",
        "alter table t_{i} rename to u_{i};\nalter table u_{i} add constraint u_{i}_qty check (qty >= 0);\n"
        "delete from u_{i} where 1 = 1;\n",
        "{last}",
    ]
    t.write("migrations/0000_schema.sql", "-- migrate:up\ncreate schema archive;\n")
    for k, step in enumerate(steps):
        for i in range(20):
            last = ("drop table u_{i};\n" if i % 2 else
                    "alter table u_{i} set schema archive;\ntruncate archive.u_{i};\n").format(i=i)
            v = k * 20 + i + 1
            if upto is None or v <= upto:
                t.write("migrations/%04d_m.sql" % v, "-- migrate:up\n" + step.format(i=i, last=last))


@case
def fresh_database_batch_is_exempt(t: Env):
    history(t)
    r = t.run("up", "--backup", "never")
    t.expect(r, 0)
    assert t.sql("select count(*) from predeploy_migrations") == "121", r
    assert t.sql("select count(*) from pg_tables where schemaname = 'archive'") == "10"
    # the warnings left are summarised, one line per rule
    assert "non-blocking findings, one line per rule (--verbose prints each):" in r.err, r
    assert "  prefer_text_over_varchar  40 warnings  first: migrations/0001_m.sql:2:1" in r.err, r
    # lint with the database agrees: nothing is pending any more
    t.expect(t.run("lint"), 0)


@case
def existing_tables_with_rows_still_block(t: Env):
    history(t, upto=20)
    t.expect(t.run("up", "--backup", "never"), 0)
    t.sql("insert into t_0 (name, legacy, qty) values ('a', 'keep me', 1)")
    history(t)
    r = t.run("up", "--backup", "never")
    t.expect(r, 10)
    assert "0041_m.sql:3:1" in r.err and "drop_column" in r.err, r
    assert t.sql("select legacy from t_0") == "keep me"
    assert t.sql("select count(*) from predeploy_migrations") == "21"
    # without a database lint cannot tell: the run's own tables are not exempt
    r = t.run("lint", "--format", "json", env={"DATABASE_URL": None})
    t.expect(r, 10)


@case
def created_if_not_exists_is_not_new(t: Env):
    t.sql("create table pre (id bigint primary key, legacy text)")
    t.sql("insert into pre values (1, 'keep me')")
    t.write("migrations/1_pre.sql", "-- migrate:up\ncreate table if not exists pre (id bigint primary key, legacy text);\n")
    t.write("migrations/2_drop.sql", "-- migrate:up\nalter table pre drop column legacy;\n")
    r = t.run("up", "--backup", "never")
    t.expect(r, 10)
    assert "2_drop.sql:2:1" in r.err and "drop_column" in r.err, r
    assert t.sql("select legacy from pre") == "keep me"


@case
def column_type_changes_decided_by_the_database(t: Env):
    t.sql("create table t (a varchar(20), b varchar(20), c int, d numeric(10,2), e text)")
    t.sql("insert into t values ('x', 'y', 1, 2.5, 'z')")
    t.write("migrations/1_types.sql", "-- migrate:up\n"
            "alter table t alter column a type varchar(40);\n"
            "alter table t alter column a type text;\n"
            "alter table t alter column b type varchar(10);\n"
            "alter table t alter column c type bigint;\n"
            "alter table t alter column d type numeric(12,2);\n"
            "alter table t alter column e type varchar;\n")
    # without a database: each could rewrite, a warning that says so
    r = t.run("lint", "--format", "json", env={"DATABASE_URL": None})
    t.expect(r, 0)
    fs = [x for x in json.loads(r.out) if x["rule"].startswith("change_column_type")]
    # (line 3 is judged against line 2's varchar(40): text is safe from it)
    assert [(x["line"], x["rule"]) for x in fs] == [(n, "change_column_type_unverified") for n in (2, 4, 5, 6, 7)], fs
    assert "could rewrite" in fs[0]["message"], fs
    # with one: the real old type decides
    r = t.run("lint", "--format", "json")
    t.expect(r, 10)
    fs = [x for x in json.loads(r.out) if x["rule"].startswith("change_column_type")]
    assert [(x["line"], x["rule"], x["severity"]) for x in fs] == [
        (4, "change_column_type", "error"), (5, "change_column_type", "error")], fs
    assert "(varchar(20) to varchar(10))" in fs[0]["message"], fs
    r = t.run("up", "--backup", "never")
    t.expect(r, 10)
    assert "1_types.sql:4:1" in r.err and "1_types.sql:5:1" in r.err, r
    # widening only: up passes without --force
    t.write("migrations/1_types.sql", "-- migrate:up\n"
            "alter table t alter column a type varchar(40);\nalter table t alter column d type numeric(12,2);\n")
    t.expect(t.run("up", "--backup", "never"), 0)
    assert t.sql("select format_type(atttypid, atttypmod) from pg_attribute where attrelid = 't'::regclass and attname = 'a'") == "character varying(40)"


if __name__ == "__main__":
    main()
