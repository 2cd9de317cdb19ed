#!/usr/bin/env python3
# cost: 1
"""`predeploy lint`: exit codes, annotations, protected tables and --force,
json and github output, catalog-aware findings on a real table, the
pending-only default, and hostile input (never a crash)."""
import json

from harness import case, main, Env

DROP = "-- migrate:up\nalter table users drop column email;\n"


def nodb(extra=None):
    e = {"DATABASE_URL": None}
    e.update(extra or {})
    return e


@case
def exit_codes_and_text(t: Env):
    f = t.write("migrations/001_drop.sql", DROP)
    r = t.run("lint", f, env=nodb())
    t.expect(r, 10)
    line = r.out.splitlines()[0]
    assert line.startswith(f + ":2:1  error  drop_column  DROP COLUMN \"users.email\""), r
    assert "  help: " in r.out and "docs/rules.md#drop_column" in r.out, r
    assert "blocked" in r.err, r
    ok = t.write("migrations/002_ok.sql", "-- migrate:up\ncreate table t (id bigint primary key);\n")
    r = t.run("lint", ok, env=nodb())
    t.expect(r, 0)
    assert r.out == "", r
    # warnings do not block, unless --fail-on warning
    w = t.write("w/001_idx.sql", "-- migrate:up\ncreate index users_name_idx on users (name);\n")
    t.expect(t.run("lint", w, env=nodb()), 0)
    t.expect(t.run("lint", "--fail-on", "warning", w, env=nodb()), 10)
    t.expect(t.run("lint", "--fail-on", "sometimes", w, env=nodb()), 78)
    # unreadable paths and bad files
    r = t.run("lint", t.path("nope.sql"), env=nodb())
    t.expect(r, 65)
    assert "nope.sql" in r.err, r
    t.expect(t.run("lint", "--help"), 0)
    t.expect(t.run("lint", "--bogus"), 64)


@case
def annotations_allow_and_unknown(t: Env):
    f = t.write("a/001_drop.sql", "-- migrate:up\n-- predeploy:allow drop_column moved to contacts\n"
                "alter table users drop column email;\nalter table users drop column phone;\n")
    r = t.run("lint", "--format", "json", f, env=nodb())
    t.expect(r, 10)
    fs = json.loads(r.out)
    assert [(x["line"], x["acknowledged"], x["blocking"]) for x in fs] == [(3, True, False), (4, False, True)], fs
    # at the top, followed by a blank line: the whole section
    g = t.write("b/001_drop.sql", "-- migrate:up\n-- predeploy:allow drop_column cleanup\n\n"
                "alter table users drop column email;\nalter table users drop column phone;\n")
    t.expect(t.run("lint", g, env=nodb()), 0)
    # --allow acknowledges everywhere
    t.expect(t.run("lint", "--allow", "drop_column", f, env=nodb()), 0)
    # unknown names are reported
    h = t.write("c/001_drop.sql", "-- migrate:up\n-- predeploy:allow drop_colum,truncate typo\n"
                "alter table users drop column email;\n")
    r = t.run("lint", "--format", "json", h, env=nodb())
    t.expect(r, 10)
    rules = [x["rule"] for x in json.loads(r.out)]
    assert rules == ["unknown_rule", "drop_column"], r
    assert '"drop_colum"' in json.loads(r.out)[0]["message"]


@case
def protected_tables_and_force(t: Env):
    t.write("p/001_drop.sql", "-- migrate:up\n-- predeploy:allow drop_column,truncate reviewed\n\n"
                "alter table users drop column email;\ntruncate public.users;\n")
    f = "p/001_drop.sql"
    t.expect(t.run("lint", f, env=nodb()), 0)
    r = t.run("lint", "--protect", "users", "--format", "json", f, env=nodb())
    t.expect(r, 10)
    fs = json.loads(r.out)
    assert all(x["protected"] and x["blocking"] and not x["forced"] for x in fs), fs
    assert "protected table" in t.run("lint", "--protect", "users", f, env=nodb()).out
    r = t.run("lint", "--protect", "users", "--force", "--format", "json", f, env=nodb())
    t.expect(r, 0)
    assert all(x["forced"] and not x["blocking"] for x in json.loads(r.out)), r
    # PREDEPLOY_PROTECTED_TABLES; other schemas are not the same table
    t.expect(t.run("lint", f, env=nodb({"PREDEPLOY_PROTECTED_TABLES": "app.orders,users"})), 10)
    # an unqualified name could be any schema's table: protection errs on the
    # safe side; qualified names must match exactly
    r = t.run("lint", "--format", "json", f, env=nodb({"PREDEPLOY_PROTECTED_TABLES": "billing.users"}))
    t.expect(r, 10)
    assert [(x["table"], x["protected"]) for x in json.loads(r.out)] == [("users", True), ("public.users", False)], r
    # DROP SCHEMA takes its protected tables with it
    s = t.write("s/001_schema.sql", "-- migrate:up\n-- predeploy:allow drop_schema\ndrop schema billing cascade;\n")
    t.expect(t.run("lint", s, env=nodb()), 0)
    t.expect(t.run("lint", "--protect", "billing.invoices", s, env=nodb()), 10)


@case
def github_output(t: Env):
    t.write("g/001_mixed.sql", "-- migrate:up\nalter table users drop column email;\n"
                "create index users_name_idx on users (name);\n")
    r = t.run("lint", "--format", "github", "g/001_mixed.sql", env=nodb())
    t.expect(r, 10)
    lines = r.out.splitlines()
    assert lines[0].startswith("::error file=g/001_mixed.sql,line=2,col=1,title=predeploy drop_column::DROP COLUMN"), r
    assert "%0Ahelp: " in lines[0], r
    assert lines[1].startswith("::warning file=g/001_mixed.sql,line=3,col=1,title=predeploy create_index_nonconcurrent::"), r
    assert len(lines) == 2, r


@case
def directories_and_later_migrations(t: Env):
    t.write("migrations/001_add.sql", "-- migrate:up\n"
            "alter table orders add constraint total_pos check (total > 0) not valid;\n"
            "create table notes (id bigint primary key, title varchar(50) not null);\n")
    t.write("migrations/002_validate.sql", "-- migrate:up\nalter table orders validate constraint total_pos;\n"
            "alter table notes alter column title type varchar(200);\n")
    t.write("migrations/003_narrow.up.sql", "alter table notes alter column title type varchar(10);\n")
    r = t.run("lint", "--format", "json", "migrations", env=nodb())
    t.expect(r, 10)
    fs = [(x["version"], x["rule"]) for x in json.loads(r.out)]
    # NOT VALID then VALIDATE in a later migration: fine; varchar(50) -> (200)
    # is binary compatible (known from migration 001); narrowing is not
    assert fs == [("001", "prefer_text_over_varchar"), ("002", "prefer_text_over_varchar"),
                  ("003", "change_column_type"), ("003", "prefer_text_over_varchar")], fs


@case
def catalog_aware(t: Env):
    t.sql("create table events (id bigint primary key, kind text, payload text)")
    t.sql("insert into events select g, 'k', repeat('x', 200) from generate_series(1, 20000) g")
    t.sql("analyze events")
    f = t.write("c/001_idx.sql", "-- migrate:up\ncreate index events_kind_idx on events (kind);\n"
                "create index nowhere_idx on not_there (x);\n")
    r = t.run("lint", "--format", "json", f)
    t.expect(r, 0)
    ev, nt = json.loads(r.out)
    assert ev["table"] == "events" and 19000 <= ev["rows"] <= 21000 and ev["bytes"] > 4_000_000, ev
    assert nt["rows"] is None and nt["bytes"] is None, nt
    r = t.run("lint", f)
    assert "table: events, ~20000 rows, " in r.out and " MB" in r.out, r
    # --large-table turns lock warnings on bigger tables into errors
    r = t.run("lint", "--large-table", "10000", "--format", "json", f)
    t.expect(r, 10)
    ev, nt = json.loads(r.out)
    assert ev["severity"] == "error" and ev["escalated"] and ev["blocking"], ev
    assert nt["severity"] == "warning", nt
    t.expect(t.run("lint", "--large-table", "50000", f), 0)
    assert "above --large-table" in t.run("lint", "--large-table", "10000", f).out


@case
def pending_only_with_a_database(t: Env):
    t.sql("create table users (id bigint primary key, email text)")
    t.write("migrations/001_drop.sql", DROP)
    t.write("migrations/002_ok.sql", "-- migrate:up\ncreate table t2 (id bigint primary key);\n")
    r = t.run("lint")
    t.expect(r, 10)
    assert "linted 2 migrations" in r.err, r
    t.expect(t.run("stamp", "001"), 0)
    r = t.run("lint")
    t.expect(r, 0)
    assert "linted 1 migration:" in r.err, r
    # without a database: every file
    r = t.run("lint", env=nodb())
    t.expect(r, 10)
    assert "linted 2 migrations" in r.err, r


@case
def standard_input(t: Env):
    r = t.run("lint", "-", env=nodb(), input="-- migrate:up\nalter table users drop column email;\n")
    t.expect(r, 10)
    assert r.out.startswith("<stdin>:2:1  error  drop_column"), r
    # plain SQL (no markers): the whole text, lock_timeout advice included
    r = t.run("lint", "--format", "json", "-", env=nodb(), input="create index i on users (name);\n")
    t.expect(r, 0)
    assert [(x["file"], x["line"], x["rule"]) for x in json.loads(r.out)] == [
        ("<stdin>", 1, "missing_lock_timeout"), ("<stdin>", 1, "create_index_nonconcurrent")], r
    t.expect(t.run("lint", "-", env=nodb(), input=""), 0)
    r = t.run("lint", "-", env=nodb(), input="select 1;\n\x00")
    t.expect(r, 65)
    assert "<stdin>:2" in r.err and "NUL" in r.err, r


@case
def large_batches_summarised(t: Env):
    body = "".join("create index i%d on users (c%d);\n" % (i, i) for i in range(25))
    t.write("s/001_many.sql", "-- migrate:up\n" + body)
    t.write("s/002_drop.sql", "-- migrate:up\n" + "alter table users add column j json;\n" * 3 +
            "drop table orders;\n")
    r = t.run("lint", "s", env=nodb())
    t.expect(r, 10)
    lines = r.out.splitlines()
    # blocking findings in full, then one line per rule for the rest
    assert lines[0].startswith("s/002_drop.sql:5:1  error  drop_table  "), r
    assert "28 non-blocking findings, one line per rule (--verbose prints each):" in lines, r
    assert "  create_index_nonconcurrent  25 warnings  first: s/001_many.sql:2:1" in lines, r
    assert "  json_column  3 warnings  first: s/002_drop.sql:2:1" in lines, r
    assert r.out.count("help: ") == 1, r
    r = t.run("lint", "--verbose", "s", env=nodb())
    t.expect(r, 10)
    assert r.out.count("help: ") == 29 and "non-blocking findings" not in r.out, r
    r = t.run("lint", "--quiet", "s", env=nodb())
    t.expect(r, 10)
    assert r.out.count("help: ") == 1 and "warning" not in r.out, r
    # json is always complete
    assert len(json.loads(t.run("lint", "--format", "json", "s", env=nodb()).out)) == 29
    # up to 20 non-blocking findings: each in full
    t.write("few/001.sql", "-- migrate:up\n" + body.split("\n", 5)[5])
    r = t.run("lint", "few", env=nodb())
    assert r.out.count("help: ") == 20 and "non-blocking" not in r.out, r


@case
def hostile_input(t: Env):
    # 5000 nested parentheses and a 100k-term expression: a finding, no crash
    f = t.write("h/deep.sql", "select " + "(" * 5000 + "1" + ")" * 5000 + ";\n")
    r = t.run("lint", "--format", "json", f, env=nodb())
    t.expect(r, 10)
    assert json.loads(r.out)[0]["rule"] == "statement_too_complex", r
    f = t.write("h/deep2.sql", "select " + "(select " * 5000 + "1" + ")" * 5000 + ";\n")
    t.expect(t.run("lint", f, env=nodb()), 10)
    f = t.write("h/plus.sql", "select 1" + "+1" * 100000 + ";\ndrop table users;\n")
    r = t.run("lint", "--format", "json", f, env=nodb())
    t.expect(r, 10)
    assert [x["rule"] for x in json.loads(r.out)] == ["statement_too_complex", "missing_lock_timeout", "drop_table"], r
    # syntax errors: a finding with file:line, the rest is still linted
    f = t.write("h/syntax.sql", "create table a (id bigint);\nalter tabel users drop column x;\ndrop table users;\n")
    r = t.run("lint", f, env=nodb())
    t.expect(r, 10)
    assert "h/syntax.sql:2:7  error  syntax_error" in r.out and "drop_table" in r.out, r
    f = t.write("h/quote.sql", "select 'never closed;\n")
    r = t.run("lint", f, env=nodb())
    t.expect(r, 10)
    assert "h/quote.sql:1:1  error  syntax_error" in r.out, r
    # 10 MB of statements
    body = "".join("insert into big values (%d, 'row %d; drop table users');\n" % (i, i) for i in range(200000))
    f = t.write("h/big.sql", "-- migrate:up\ncreate table big (id bigint primary key, v text);\n" + body)
    assert len(body) > 10_000_000
    r = t.run("lint", f, env=nodb(), timeout=300)
    t.expect(r, 0)
    # NUL bytes and invalid UTF-8: a clear error naming file and line
    f = t.write("h/nul.sql", b"create table a (id int);\n\x00drop table b;\n", mode="wb")
    r = t.run("lint", f, env=nodb())
    t.expect(r, 65)
    assert "h/nul.sql:2" in r.err and "NUL" in r.err, r
    f = t.write("h/utf.sql", b"-- \xff\ndrop table b;\n", mode="wb")
    r = t.run("lint", f, env=nodb())
    t.expect(r, 65)
    assert "h/utf.sql:1" in r.err and "UTF-8" in r.err, r


if __name__ == "__main__":
    main()
