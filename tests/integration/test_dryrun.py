#!/usr/bin/env python3
# cost: 2
"""`up --dry-run`: the pending migrations run in one transaction on the real
database, each statement reports the locks it took and whether it rewrote a
relation, then everything is rolled back."""
import json

from harness import case, main, Env

SCHEMA_Q = ("select string_agg(format('%s.%s %s %s %s', c.relname, a.attname, "
            "format_type(a.atttypid, a.atttypmod), a.attnotnull, c.relfilenode), ',' order by 1) "
            "from pg_class c join pg_attribute a on a.attrelid = c.oid "
            "where c.relnamespace = 'public'::regnamespace and a.attnum > 0 and not a.attisdropped")


def seed(t):
    t.sql("create table accounts (id int primary key, email text, balance int)")
    t.sql("insert into accounts select g, 'u' || g || '@x', g from generate_series(1, 500) g")
    t.sql("create table payments (id int primary key, amount int)")
    t.sql("insert into payments select g, g from generate_series(1, 500) g")
    t.write("migrations/001_email_required.sql",
            "-- migrate:up\nalter table accounts alter column email set not null;\n")
    t.write("migrations/002_widen.sql",
            "-- migrate:up\nalter table payments alter column amount type bigint;\n"
            "create index payments_amount_idx on payments (amount);\n"
            "create index accounts_email_idx on accounts (email);\n")
    t.write("migrations/003_concurrent.sql",
            "-- migrate:up transaction:false\n"
            "create index concurrently if not exists accounts_balance_idx on accounts (balance);\n")


@case
def dry_run_reports_locks_and_rewrites(t: Env):
    seed(t)
    before = t.sql(SCHEMA_Q)
    r = t.run("up", "--dry-run")
    t.expect(r, 0)
    out = r.out
    assert "001_email_required.sql" in out, r
    # SET NOT NULL takes ACCESS EXCLUSIVE on the table
    sn = out.split("set not null")[1].split("line ")[0]
    assert "lock AccessExclusiveLock on accounts: blocks everything, including SELECT" in sn, r
    assert "rewritten" not in sn, r
    # int -> bigint rewrites the table (and its index)
    ty = out.split("type bigint")[1].split("line ")[0]
    assert "lock AccessExclusiveLock on payments: blocks everything" in ty, r
    assert "rewritten: table payments (relfilenode" in ty, r
    assert "rewritten: index payments_pkey" in ty, r
    # SET NOT NULL only checks: no rewrite
    assert "rewritten: table accounts" not in out, r
    # CREATE INDEX takes SHARE on its table (a new lock mode on accounts); on
    # payments the ALTER TYPE already holds SHARE, so it is not repeated
    ix = out.split("create index accounts_email_idx")[1].split("line ")[0]
    assert "lock ShareLock on accounts: blocks all writes" in ix, r
    assert "AccessExclusiveLock on accounts_email_idx" in ix, r
    ix2 = out.split("create index payments_amount_idx")[1].split("line ")[0]
    assert "ShareLock on payments" not in ix2, r
    assert "pg_toast" not in out, r
    assert "003_concurrent.sql (version 003): not traced" in out, r
    assert "rolled back: nothing was changed" in out, r
    # nothing persisted: same columns, types, NOT NULL flags and files; nothing recorded
    assert t.sql(SCHEMA_Q) == before
    assert t.sql("select count(*) from pg_indexes where indexname = 'accounts_email_idx'") == "0"
    assert t.sql("select to_regclass('predeploy_migrations') is null") == "t"
    r = t.run("status")
    t.expect(r, 0)


@case
def dry_run_json(t: Env):
    seed(t)
    r = t.run("up", "--dry-run", "--format", "json")
    t.expect(r, 0)
    doc = json.loads(r.out)
    assert doc["rolled_back"] is True and doc["traced"] == 2
    m1, m2, m3 = doc["migrations"]
    locks = {(l["relation"], l["mode"]) for l in m1["statements"][0]["locks"]}
    assert ("accounts", "AccessExclusiveLock") in locks, doc
    rw = m2["statements"][0]["rewritten"]
    assert any(x["relation"] == "payments" and x["kind"] == "table" and x["before"] != x["after"] for x in rw), doc
    assert m3["traced"] is False


@case
def dry_run_failure_rolls_back(t: Env):
    seed(t)
    t.sql("update accounts set email = null where id = 7")
    before = t.sql(SCHEMA_Q)
    r = t.run("up", "--dry-run")
    assert r.code == 11, r
    assert "null" in r.err.lower() and "001_email_required.sql" in r.err, r
    assert t.sql(SCHEMA_Q) == before


if __name__ == "__main__":
    main()
