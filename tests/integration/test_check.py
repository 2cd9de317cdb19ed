#!/usr/bin/env python3
# cost: 3
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


# Scoped snapshots (docs/check.md): a migration's two snapshots describe
# only what its SQL names, what depends on that, and everything when a
# statement falls outside what the scope covers. A hole in the scope would
# be a down bug check does not report: each case below is a down whose only
# traces are on objects the migration does not name.

def full_snapshot_notes(r):
    return [line for line in r.err.splitlines() if "full snapshots" in line]


@case
def scope_views_that_depend_on_the_migrated_table(t: Env):
    t.write("migrations/0001_t.sql",
            "-- migrate:up\ncreate table t(id int, x int);\ncreate view v as select id, x from t;\n"
            "create view v2 as select id from v;\n"
            "-- migrate:down\ndrop view v2;\ndrop view v;\ndrop table t;\n")
    # the down drops the renamed table with CASCADE: the views on it go too
    t.write("migrations/0002_swap.sql",
            "-- migrate:up\nalter table t rename to t_old;\ncreate table t(id int, x int);\n"
            "-- migrate:down\ndrop table t_old cascade;\n")
    t.write("migrations/0003_w.sql",
            "-- migrate:up\ncreate view w as select id, x from t;\n-- migrate:down\ndrop view w;\n")
    # the down leaves the view w reading the renamed table
    t.write("migrations/0004_swap_again.sql",
            "-- migrate:up\nalter table t rename to t_prev;\ncreate table t(id int, x int);\n"
            "-- migrate:down\ndrop table t;\ncreate table t(id int, x int);\n")
    doc = check_json(t, "--verbose", code=16)
    assert not full_snapshot_notes(t.outputs[-1]), t.outputs[-1].err
    p = problems(doc, "0002")
    assert [x["kind"] for x in p] == ["schema_differs"], p
    assert any(d.startswith("missing: relation public.v (view as ") for d in p[0]["diff"]), p
    assert "missing: relation public.v2 (view as  SELECT v.id\n   FROM v;)" in p[0]["diff"], p
    assert "missing: column public.v2.id (integer position 1)" in p[0]["diff"], p
    # the table itself is back as it was
    assert not [d for d in p[0]["diff"] if "public.t." in d or "public.t " in d], p
    assert problems(doc, "0003") == [], doc
    p = problems(doc, "0004")
    assert p[0]["kind"] == "schema_differs", p
    assert any(d.startswith("changed: relation public.w: view as ") and "FROM t_prev" in d
               for d in p[0]["diff"]), p
    assert "left behind: relation public.t_prev (table)" in p[0]["diff"], p


@case
def scope_foreign_keys_of_other_tables(t: Env):
    t.write("migrations/0001_t.sql",
            "-- migrate:up\ncreate table parent(id int primary key);\n"
            "create table child(id int, pid int references parent(id));\n"
            "-- migrate:down\ndrop table child;\ndrop table parent;\n")
    # the up's CASCADE drops child's foreign key; the down never restores it
    t.write("migrations/0002_rekey.sql",
            "-- migrate:up\nalter table parent drop constraint parent_pkey cascade;\n"
            "alter table parent add primary key (id);\n"
            "-- migrate:down\nselect 1;\n")
    t.write("migrations/0003_fk.sql",
            "-- migrate:up\nalter table child add constraint child_pid_fkey foreign key (pid) references parent(id);\n"
            "-- migrate:down\nalter table child drop constraint child_pid_fkey;\n")
    # the down leaves child's foreign key pointing at the renamed table
    t.write("migrations/0004_swap.sql",
            "-- migrate:up\nalter table parent rename to parent_old;\ncreate table parent(id int primary key);\n"
            "-- migrate:down\ndrop table parent;\ncreate table parent(id int primary key);\n")
    doc = check_json(t, code=16)
    p = problems(doc, "0002")
    assert [x["kind"] for x in p] == ["schema_differs"], p
    assert p[0]["diff"] == ["missing: constraint public.child.child_pid_fkey "
                            "(FOREIGN KEY (pid) REFERENCES parent(id))"], p
    assert problems(doc, "0003") == [], doc
    p = problems(doc, "0004")
    assert ("changed: constraint public.child.child_pid_fkey: FOREIGN KEY (pid) REFERENCES parent(id) -> "
            "FOREIGN KEY (pid) REFERENCES parent_old(id)") in p[0]["diff"], p
    assert "left behind: relation public.parent_old (table)" in p[0]["diff"], p


@case
def scope_indexes_left_behind(t: Env):
    t.write("migrations/0001_t.sql",
            "-- migrate:up\ncreate table items(id int, v int);\n-- migrate:down\ndrop table items;\n")
    # an index without a name: the name the server chose is in no file
    t.write("migrations/0002_unnamed.sql",
            "-- migrate:up\ncreate index on items (v, id);\n-- migrate:down\nselect 1;\n")
    t.write("migrations/0003_named.sql",
            "-- migrate:up\ncreate index items_v_idx on items (v);\n"
            "-- migrate:down\ndrop index if exists items_v_index;\n")
    doc = check_json(t, code=16)
    p = problems(doc, "0002")
    assert p[0]["diff"] == ["left behind: index public.items_v_id_idx "
                            "(CREATE INDEX items_v_id_idx ON public.items USING btree (v, id))"], p
    p = problems(doc, "0003")
    assert p[0]["diff"] == ["left behind: index public.items_v_idx "
                            "(CREATE INDEX items_v_idx ON public.items USING btree (v))"], p
    assert p[1]["kind"] == "up_after_down_failed", p


@case
def scope_column_defaults_left_changed(t: Env):
    t.write("migrations/0001_t.sql",
            "-- migrate:up\ncreate sequence counter;\n"
            "create table o(id int default nextval('counter'), n int default 0);\n"
            "-- migrate:down\ndrop table o;\ndrop sequence counter;\n")
    t.write("migrations/0002_default.sql",
            "-- migrate:up\nalter table o alter column n set default 5;\n"
            "-- migrate:down\nalter table o alter column n set default 1;\n")
    # o is not named: its default reads the renamed sequence
    t.write("migrations/0003_seq.sql",
            "-- migrate:up\nalter sequence counter rename to counter2;\n-- migrate:down\nselect 1;\n")
    doc = check_json(t, code=16)
    p = problems(doc, "0002")
    assert p[0]["diff"] == ["changed: column public.o.n: integer default 0 position 2 -> "
                            "integer default 1 position 2"], p
    p = problems(doc, "0003")
    assert ("changed: column public.o.id: integer default nextval('counter'::regclass) position 1 -> "
            "integer default nextval('counter2'::regclass) position 1") in p[0]["diff"], p
    assert any(d.startswith("missing: relation public.counter (sequence") for d in p[0]["diff"]), p


@case
def scope_falls_back_to_full_for_code(t: Env):
    t.write("migrations/0001_t.sql",
            "-- migrate:up\ncreate table a(id int);\ncreate table other(x int);\n"
            "create function mk() returns void language plpgsql as $$\n"
            "begin execute 'create index by_function on other (x)'; end $$;\n"
            "create function on_insert() returns trigger language plpgsql as $$\n"
            "begin execute 'create index if not exists by_trigger on other (x, x)'; return new; end $$;\n"
            "create trigger a_insert after insert on a for each row execute function on_insert();\n"
            "-- migrate:down\ndrop table a;\ndrop table other;\ndrop function mk();\ndrop function on_insert();\n")
    # a DO block makes an index on a table nothing names
    t.write("migrations/0002_do.sql",
            "-- migrate:up\nalter table a add column z int;\n"
            "do $$ begin execute 'create index elsewhere_idx on other (x)'; end $$;\n"
            "-- migrate:down\nalter table a drop column z;\ndrop index if exists elsewhere;\n")
    doc = check_json(t, "--verbose", code=16)
    notes = full_snapshot_notes(t.outputs[-1])
    assert any("0002: full snapshots: a DO statement" in n for n in notes), notes
    assert any("0001: full snapshots: a CREATE FUNCTION statement" in n for n in notes), notes
    p = problems(doc, "0002")
    assert p[0]["diff"] == ["left behind: index public.elsewhere_idx "
                            "(CREATE INDEX elsewhere_idx ON public.other USING btree (x))"], p
    # a call of the user's function
    t.write("migrations/0002_do.sql",
            "-- migrate:up\nselect mk();\n-- migrate:down\nselect 1;\n")
    doc = check_json(t, "--verbose", code=16)
    notes = full_snapshot_notes(t.outputs[-1])
    assert any("0002" in n and "mk" in n for n in notes), notes
    p = problems(doc, "0002")
    assert p[0]["diff"][0].startswith("left behind: index public.by_function "), p
    # a data change on a table with a trigger that runs the user's code
    t.write("migrations/0002_do.sql",
            "-- migrate:up\ninsert into a values (1);\n-- migrate:down\ndelete from a;\n")
    doc = check_json(t, "--verbose", code=16)
    notes = full_snapshot_notes(t.outputs[-1])
    assert any("0002" in n for n in notes), notes
    p = problems(doc, "0002")
    assert p[0]["diff"][0].startswith("left behind: index public.by_trigger "), p


@case
def scope_same_name_in_another_schema(t: Env):
    t.write("migrations/0001_t.sql",
            "-- migrate:up\ncreate schema s2;\ncreate table t(id int);\ncreate table s2.t(id int);\n"
            "-- migrate:down\ndrop table s2.t;\ndrop schema s2;\ndrop table t;\n")
    # the down drops the column from the other schema's table of that name
    t.write("migrations/0002_qualified.sql",
            "-- migrate:up\nalter table s2.t add column if not exists d int;\n"
            "-- migrate:down\nalter table public.t drop column if exists d;\n")
    # an unqualified name found through the migration's own search_path
    t.write("migrations/0003_search_path.sql",
            "-- migrate:up\nset local search_path = s2;\nalter table t add column c int;\n"
            "-- migrate:down\nselect 1;\n")
    doc = check_json(t, code=16)
    p = problems(doc, "0002")
    assert p[0]["diff"] == ["left behind: column s2.t.d (integer position 2)"], p
    p = problems(doc, "0003")
    assert p[0]["diff"] == ["left behind: column s2.t.c (integer position 3)"], p


@case
def scope_partitions_and_columns_of_a_type(t: Env):
    t.write("migrations/0001_t.sql",
            "-- migrate:up\ncreate type mood as enum ('a', 'b');\n"
            "create table p(id int, m mood) partition by list (id);\n"
            "create table p1 partition of p for values in (1);\n"
            "create table other(m mood default 'a');\n"
            "-- migrate:down\ndrop table other;\ndrop table p;\ndrop type mood;\n")
    # the index on the partitioned table makes one on the partition, under a
    # name no file has
    t.write("migrations/0002_index.sql",
            "-- migrate:up\ncreate index if not exists p_id on p (id);\n"
            "-- migrate:down\ndrop index if exists p_idx;\n")
    # the type's new name shows in the columns of a table nothing names
    t.write("migrations/0003_rename.sql",
            "-- migrate:up\nalter type mood rename to feeling;\n-- migrate:down\nselect 1;\n")
    doc = check_json(t, code=16)
    p = problems(doc, "0002")
    assert "left behind: index public.p1_id_idx (CREATE INDEX p1_id_idx ON public.p1 USING btree (id))" \
        in p[0]["diff"], p
    p = problems(doc, "0003")
    assert ("changed: column public.other.m: mood default 'a'::mood position 1 -> "
            "feeling default 'a'::feeling position 1") in p[0]["diff"], p
    assert "changed: column public.p1.m: mood position 2 -> feeling position 2" in p[0]["diff"], p


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
            "-- migrate:up\nselect pg_sleep(30.1);\n-- migrate:down\nselect 1;\n")
    p = t.spawn("check", env={"PREDEPLOY_LOCK_TIMEOUT": "60s"})
    t.wait_for_backend("pg_sleep(30.1)", timeout=90, anywhere=True)     # on the scratch database
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 143, (p.returncode, err)
    shadows_gone(t, err)


if __name__ == "__main__":
    main()
