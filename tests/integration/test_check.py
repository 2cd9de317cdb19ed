#!/usr/bin/env python3
# cost: 8
"""`predeploy check`: every migration up, down and up again on a scratch
database.  A clean 30-migration set in both formats passes; each planted bug
is reported against its file; --since, json, github output, a missing down;
the scratch database is always dropped and the real database never touched."""
import json
import signal
import time

from harness import case, main, Env, shadows_gone


def clean_set(t: Env, n=30):
    """n migrations alternating dbmate files and golang-migrate pairs, with
    tables, columns, defaults, checks, indexes, a view, a function, a trigger,
    an enum and a transaction:false CREATE INDEX CONCURRENTLY."""
    t.write("migrations/0001_base.sql",
            "-- migrate:up\ncreate table items(id bigint generated always as identity primary key, v int);\n"
            "create type mood as enum ('ok', 'sad');\n"
            "-- migrate:down\ndrop type mood;\ndrop table items;\n")
    t.write("migrations/0002_fn.sql",
            "-- migrate:up\ncreate function touch() returns trigger language plpgsql as $$\n"
            "begin new.v := coalesce(new.v, 0); return new; end; $$;\n"
            "create trigger items_touch before insert on items for each row execute function touch();\n"
            "-- migrate:down\ndrop trigger items_touch on items;\ndrop function touch();\n")
    t.write("migrations/0003_view.up.sql", "create view items_v as select id, v from items;\n")
    t.write("migrations/0003_view.down.sql", "drop view items_v;\n")
    t.write("migrations/0004_idx.sql",
            "-- migrate:up transaction:false\ncreate index concurrently items_v_idx on items(v);\n"
            "-- migrate:down transaction:false\ndrop index concurrently items_v_idx;\n")
    for i in range(5, n + 1):
        v = "%04d" % i
        if i % 3 == 0:
            t.write("migrations/%s_c%d.up.sql" % (v, i),
                    "alter table items add column c%d text default 'x' not null;\n"
                    "alter table items add constraint c%d_len check (length(c%d) < 100) not valid;\n" % (i, i, i))
            t.write("migrations/%s_c%d.down.sql" % (v, i),
                    "alter table items drop constraint c%d_len;\nalter table items drop column c%d;\n" % (i, i))
        else:
            t.write("migrations/%s_t%d.sql" % (v, i),
                    "-- migrate:up\ncreate table t%d(id int primary key, item bigint references items(id));\n"
                    "create index t%d_item on t%d(item);\n"
                    "-- migrate:down\ndrop table t%d;\n" % (i, i, i, i))



def check_json(t: Env, *args, code=0):
    r = t.run("check", "--format", "json", *args)
    t.expect(r, code)
    return json.loads(r.out)


def problems(doc, version):
    for m in doc["migrations"]:
        if m["version"] == version:
            return m["problems"]
    raise AssertionError("no migration %s in %r" % (version, doc))


@case
def clean_set_round_trips(t: Env):
    clean_set(t)
    doc = check_json(t)
    assert doc["ok"] and doc["checked"] == 30 and doc["failed"] == 0, doc
    assert all(m["status"] == "ok" and not m["problems"] for m in doc["migrations"]), doc
    shadows_gone(t, t.outputs[-1].err)
    # the configured database was never touched
    assert t.sql("select count(*) from pg_tables where schemaname = 'public'") == "0"
    r = t.run("check")
    t.expect(r, 0)
    assert "30 migrations checked, 0 failed" in r.out, r


@case
def planted_bugs_each_named_with_its_file(t: Env):
    t.write("migrations/0001_users.sql",
            "-- migrate:up\ncreate table users(id int primary key, email text, score int default 0);\n"
            "-- migrate:down\ndrop table users;\n")
    # a down with a syntax error
    t.write("migrations/0002_syntax.sql",
            "-- migrate:up\nalter table users add column a int;\n"
            "-- migrate:down\nalter table users dropp column a;\n")
    # a down that forgets the index its up created
    t.write("migrations/0003_index.sql",
            "-- migrate:up\nalter table users add column b int;\ncreate index users_b on users(b);\n"
            "-- migrate:down\nalter table users drop column c_missing_is_fine_not;\n".replace(
                "alter table users drop column c_missing_is_fine_not;\n", "select 1;\n"))
    # a down that leaves a column default changed
    t.write("migrations/0004_default.sql",
            "-- migrate:up\nalter table users alter column score set default 10;\n"
            "-- migrate:down\nalter table users alter column score set default 1;\n")
    # DROP INDEX CONCURRENTLY on two indexes at once (PostgreSQL refuses)
    t.write("migrations/0005_two.sql",
            "-- migrate:up transaction:false\ncreate index concurrently users_e1 on users(email);\n"
            "create index concurrently users_e2 on users(id, email);\n"
            "-- migrate:down transaction:false\ndrop index concurrently users_e1, users_e2;\n")
    # a down that drops a table under the wrong name
    t.write("migrations/0006_wrongname.sql",
            "-- migrate:up\ncreate table audit_log(id int);\n"
            "-- migrate:down\ndrop table if exists audit_logs;\n")
    doc = check_json(t, code=16)
    assert not doc["ok"], doc
    p = problems(doc, "0001")
    assert p == [], p
    p = problems(doc, "0002")
    assert p[0]["kind"] == "down_failed" and p[0]["sqlstate"] == "42601", p
    assert p[0]["file"].endswith("0002_syntax.sql") and p[0]["line"] == 4, p
    p = problems(doc, "0003")
    assert p[0]["kind"] == "schema_differs", p
    assert any("left behind: index public.users_b" in d for d in p[0]["diff"]), p
    assert any("left behind: column public.users.b" in d for d in p[0]["diff"]), p
    # up after that down fails: the column and index are still there
    assert p[1]["kind"] == "up_after_down_failed" and p[1]["sqlstate"] == "42701", p
    # the check stopped there: 0004..0006 are reported, not checked
    for v in ("0004", "0005", "0006"):
        m = [m for m in doc["migrations"] if m["version"] == v][0]
        assert m["status"] == "not_checked", m
    assert doc["failed"] == 2, doc


@case
def default_change_and_wrong_name(t: Env):
    t.write("migrations/0001_users.sql",
            "-- migrate:up\ncreate table users(id int primary key, score int default 0);\n"
            "-- migrate:down\ndrop table users;\n")
    t.write("migrations/0002_default.sql",
            "-- migrate:up\nalter table users alter column score set default 10;\n"
            "-- migrate:down\nalter table users alter column score set default 1;\n")
    t.write("migrations/0003_two.sql",
            "-- migrate:up transaction:false\ncreate index concurrently users_e1 on users(score);\n"
            "create index concurrently users_e2 on users(id, score);\n"
            "-- migrate:down transaction:false\ndrop index concurrently users_e1, users_e2;\n")
    t.write("migrations/0004_wrongname.sql",
            "-- migrate:up\ncreate table audit_log(id int);\n"
            "-- migrate:down\ndrop table if exists audit_logs;\n")
    doc = check_json(t, code=16)
    p = problems(doc, "0002")
    assert p[0]["kind"] == "schema_differs", p
    assert p[0]["diff"] == ["changed: column public.users.score: integer default 0 position 2 -> "
                            "integer default 1 position 2"], p
    p = problems(doc, "0003")
    assert p[0]["kind"] == "down_failed" and p[0]["sqlstate"] == "0A000", p
    assert "concurrently" in p[0]["message"].lower(), p
    p = problems(doc, "0004")
    kinds = [x["kind"] for x in p]
    assert kinds == ["schema_differs", "up_after_down_failed"], p
    assert any("left behind: relation public.audit_log" in d for d in p[0]["diff"]), p
    assert "already exists" in p[1]["message"], p
    r = t.run("check", "--format", "github")
    t.expect(r, 16)
    assert "::error file=" in r.out and "0002_default.sql,line=" in r.out, r.out
    assert "title=predeploy check schema_differs::" in r.out, r.out
    r = t.run("check")
    t.expect(r, 16)
    assert "FAILED" in r.out and "changed: column public.users.score" in r.out, r.out


@case
def renamed_column_shows_in_the_view_that_reads_it(t: Env):
    # snapshots after the first reuse the descriptions of unchanged objects;
    # a view's stored definition points at its table's column by number, so
    # it is unchanged when the column is renamed, yet its description (which
    # names the column) is not: a rename must describe everything again
    t.write("migrations/0001_t.sql",
            "-- migrate:up\ncreate table t(id int, x int);\ncreate view v as select x from t;\n"
            "-- migrate:down\ndrop view v;\ndrop table t;\n")
    t.write("migrations/0002_rename.sql",
            "-- migrate:up\nalter table t rename column x to y;\n"
            "-- migrate:down\nselect 1;\n")
    doc = check_json(t, code=16)
    p = problems(doc, "0002")
    assert p[0]["kind"] == "schema_differs", p
    assert "missing: column public.t.x (integer position 2)" in p[0]["diff"], p
    assert "left behind: column public.t.y (integer position 2)" in p[0]["diff"], p
    assert any(d.startswith("changed: relation public.v: view as  SELECT t.x") and "t.y AS x" in d
               for d in p[0]["diff"]), p


@case
def since_skips_released_history(t: Env):
    t.write("migrations/0001_a.sql", "-- migrate:up\ncreate table a(id int);\n")   # no down: released
    t.write("migrations/0002_b.sql", "-- migrate:up\ncreate table b(id int);\n-- migrate:down\nselect 1;\n")
    t.write("migrations/0003_c.sql", "-- migrate:up\ncreate table c(id int);\n-- migrate:down\ndrop table c;\n")
    doc = check_json(t, "--since", "0002")
    assert doc["checked"] == 1 and doc["applied_without_checking"] == 2 and doc["ok"], doc
    doc = check_json(t, code=16)
    assert problems(doc, "0001")[0]["kind"] == "down_missing", doc


@case
def missing_down_is_a_failure_or_a_note(t: Env):
    t.write("migrations/0001_a.sql", "-- migrate:up\ncreate table a(id int);\n")
    t.write("migrations/0002_b.up.sql", "create table b(id int);\n")
    doc = check_json(t, code=16)
    p = problems(doc, "0001")
    assert p[0]["kind"] == "down_missing" and p[0]["fatal"], p
    assert problems(doc, "0002")[0]["kind"] == "down_missing", doc
    doc = check_json(t, "--allow-missing-down")
    assert doc["ok"] and not problems(doc, "0001")[0]["fatal"], doc


@case
def shadow_url_is_emptied_first(t: Env):
    scratch = t.db + "_scratch"
    t.sql('drop database if exists "%s"' % scratch, db="postgres")
    t.sql('create database "%s"' % scratch, db="postgres")
    try:
        t.sql("create table leftover(id int); create schema junk; create table junk.x(id int)", db=scratch)
        t.write("migrations/0001_a.sql",
                "-- migrate:up\ncreate table leftover(id int);\n-- migrate:down\ndrop table leftover;\n")
        url = t.url.rsplit("/", 1)[0] + "/" + scratch
        r = t.run("check", "--shadow-database-url", url, env={"DATABASE_URL": None})
        t.expect(r, 0)
        assert t.sql("select count(*) from pg_namespace where nspname = 'junk'", db=scratch) == "0"
    finally:
        t.sql('drop database if exists "%s" with (force)' % scratch, db="postgres")


@case
def bad_file_is_65_and_nothing_created(t: Env):
    t.write("migrations/0001_a.sql", "create table a(id int);\n")  # no -- migrate:up
    r = t.run("check")
    t.expect(r, 65)
    assert "0001_a.sql" in r.err, r
    shadows_gone(t, r.err, expect=False)
    r = t.run("check", "--since", "abc")
    t.expect(r, 64)


@case
def sigterm_drops_the_scratch_database(t: Env):
    t.write("migrations/0001_a.sql", "-- migrate:up\ncreate table a(id int);\n-- migrate:down\ndrop table a;\n")
    t.write("migrations/0002_slow.sql",
            "-- migrate:up\nselect pg_sleep(30);\n-- migrate:down\nselect 1;\n")
    p = t.spawn("check", env={"PREDEPLOY_LOCK_TIMEOUT": "60s"})
    t.wait_for_backend("pg_sleep(30)", timeout=90)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 143, (p.returncode, err)
    shadows_gone(t, err)


if __name__ == "__main__":
    main()
