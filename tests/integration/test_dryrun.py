#!/usr/bin/env python3
# cost: 1
"""`up --dry-run` is the rehearsal (docs/rehearsal.md): the pending
migrations run on a shadow copy, each statement reports the locks it took
there and whether it rewrote a relation; production is not changed and the
migrations take no lock on its tables; the shadow is dropped."""
import json
import os

from harness import case, main, Env, shadows_gone

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
    assert "003_concurrent.sql (version 003): runs outside a transaction: run on the shadow" in out, r
    assert "production was not changed (the shadow was dropped)" in out, r
    assert "dry run on a shadow copy of the database: 3 pending migrations" in out, r
    shadows_gone(t, r.err)
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
    assert doc["rehearsed"] is True and doc["production_changed"] is False and doc["traced"] == 2, doc
    m1, m2, m3 = doc["migrations"]
    locks = {(l["relation"], l["mode"]) for l in m1["statements"][0]["locks"]}
    assert ("accounts", "AccessExclusiveLock") in locks, doc
    rw = m2["statements"][0]["rewritten"]
    assert any(x["relation"] == "payments" and x["kind"] == "table" and x["before"] != x["after"] for x in rw), doc
    assert m3["traced"] is False


@case
def dry_run_failure_changes_nothing(t: Env):
    seed(t)
    # the copied rows (500, under --shadow-data-max-rows) have a NULL: SET NOT NULL fails on the shadow
    t.sql("update accounts set email = null where id = 7")
    before = t.sql(SCHEMA_Q)
    r = t.run("up", "--dry-run")
    t.expect(r, 11)
    assert "null" in r.err.lower() and "001_email_required.sql" in r.err, r
    assert "failed: " in r.out and "failed on the shadow copy" in r.out, r
    assert "production was not changed" in r.out, r
    assert t.sql(SCHEMA_Q) == before
    assert t.sql("select to_regclass('predeploy_migrations') is null") == "t"
    shadows_gone(t, r.err)


@case
def dry_run_takes_no_lock_on_production_tables(t: Env):
    """Another session holds EXCLUSIVE on accounts, which conflicts with every
    lock mode but ACCESS SHARE (what pg_dump and SELECT take): a dry run that
    took any of the migrations' locks on production would wait, then fail on
    lock_timeout.  It completes, and still reports the lock the migration
    would take."""
    seed(t)
    holder = t.hold_lock("accounts", 120, mode="exclusive")
    try:
        r = t.run("up", "--dry-run", "--lock-timeout", "2s", "--lock-retries", "0")
        t.expect(r, 0)
        assert holder.poll() is None            # the lock was held the whole time
    finally:
        holder.kill()
        holder.wait()
    sn = r.out.split("set not null")[1].split("line ")[0]
    assert "lock AccessExclusiveLock on accounts" in sn, r
    assert t.sql("select to_regclass('predeploy_migrations') is null") == "t"
    shadows_gone(t, r.err)


@case
def dry_run_without_a_shadow_says_so(t: Env):
    """No CREATEDB, no --shadow-database-url: nothing runs, the output says
    why and what stood in (the static lint); exit 0."""
    seed(t)
    role = "dry_low_%d" % os.getpid()
    t.sql("drop role if exists %s" % role, db="postgres")
    t.sql("create role %s login password 'dry-pw-K2' nocreatedb" % role, db="postgres")
    try:
        t.sql("alter table accounts owner to %s; alter table payments owner to %s" % (role, role))
        url = "postgresql://%s:dry-pw-K2@127.0.0.1:%d/%s" % (role, t.pg["port"], t.db)
        r = t.run("up", "--dry-run", env={"DATABASE_URL": url})
        t.expect(r, 0)
        assert "dry run: not rehearsed: no shadow database could be made" in r.out, r
        assert "the files were linted as written" in r.out and "no migration was run" in r.out, r
        assert "set_not_null" in r.err, r        # the static lint
        assert "dry-pw-K2" not in r.out + r.err
        r = t.run("up", "--dry-run", "--format", "json", env={"DATABASE_URL": url})
        doc = json.loads(r.out)
        assert doc["rehearsed"] is False and "permission denied to create database" in doc["why"], doc
        assert t.sql("select count(*) from pg_indexes where indexname = 'accounts_email_idx'") == "0"
    finally:
        t.sql("reassign owned by %s to postgres; drop owned by %s cascade" % (role, role))
        t.sql("drop role if exists %s" % role, db="postgres")


@case
def dry_run_rehearse_never(t: Env):
    seed(t)
    r = t.run("up", "--dry-run", "--rehearse", "never")
    t.expect(r, 0)
    assert "not rehearsed: --rehearse never" in r.out, r
    shadows_gone(t, r.err, expect=False)


if __name__ == "__main__":
    main()
