#!/usr/bin/env python3
# cost: 7
"""--backup-scope full|at-risk|auto and --backup-full-max: what a deploy's
backup holds (the schema of everything and the rows of only the tables the
pending findings put at risk), what the sidecar, `backups` and the webhook
say, reuse only of a backup that holds enough, and restoring an at-risk
backup into a side schema or in place (--replace).  In a directory and in
an S3-compatible bucket (s3rver behind the verifying front, s3env.py)."""
import gzip
import json
import os
import re
import sys

from harness import case, main, Env
from receiver import Receiver
import s3env

S3 = None

SCHEMA = """
create table big (id int primary key, payload text);
insert into big select g, repeat('b', 300) from generate_series(1, 3000) g;
create table small (id int primary key, note text, keep text);
insert into small select g, 'note-' || g, 'keep-' || g from generate_series(1, 40) g;
create schema "App";
create table "App"."Log Entries" (id int, line text);
insert into "App"."Log Entries" select g, 'line-' || g from generate_series(1, 5) g;
create schema other;
create table other.t (a int);
insert into other.t values (42);
"""
MARKER = "-- migrate:up\ncreate table marker (a int);\n-- migrate:down\ndrop table marker;\n"
DROP = ("-- migrate:up\n-- predeploy:allow drop_column the app stopped reading it\n"
        "alter table small drop column note;\n"
        "-- predeploy:allow truncate old log lines\n"
        "truncate \"App\".\"Log Entries\";\n"
        "-- migrate:down\nalter table small add column note text;\n")
TINY = ("--backup-full-max", "1kB")     # any test database is larger: auto -> at-risk


def s3():
    global S3
    if not S3:
        S3 = s3env.S3()
    return S3


class Dest:
    """Where backups go: a directory, or the bucket (under a prefix per test)."""

    def __init__(self, t, bucket):
        self.t, self.bucket = t, bucket

    def args(self):
        if self.bucket:
            return ("--backup-to", s3().url(self.t.db))
        return ("--backup-dir", self.t.path("backups"))

    def env(self):
        return s3().env() if self.bucket else {}

    def run(self, *args):
        return self.t.run(*args, *self.args(), env=self.env())

    def list(self):
        r = self.run("backups", "--format", "json")
        self.t.expect(r, 0)
        return [b for b in json.loads(r.out) if b["database"] == self.t.db]

    def read(self, b):
        """The dump (inflated) and the sidecar of listed backup b."""
        if self.bucket:
            key = b["path"].split("/", 3)[3]
            return gzip.decompress(s3().client("get", key)), json.loads(s3().client("get", key + ".json"))
        return gzip.open(b["path"], "rb").read(), json.load(open(b["path"] + ".json"))


def setup(t):
    t.sql(SCHEMA)
    t.write("migrations/1_marker.sql", MARKER)
    t.expect(t.run("up", "--backup", "never"), 0)


def copies(dump):
    return sorted(re.findall(rb"^COPY (.+?) (?:\(|FROM stdin)", dump, re.M))


def side_schema(t):
    return t.sql("select string_agg(nspname, ',') from pg_namespace where nspname like 'predeploy_restore_%'")


def at_risk_round_trip(t, bucket):
    d = Dest(t, bucket)
    setup(t)
    t.write("migrations/2_drop.sql", DROP)
    with Receiver() as rx:
        r = t.run("run", *TINY, "--webhook", rx.url, *d.args(), "--", "true", env=d.env())
        t.expect(r, 0)
        hook = rx.wait_for(1, timeout=30)[-1]["json"]["data"]["backup"]
    assert "backup scope: at-risk (database" in r.err and "public.small" in r.err, r
    tables = ['"App"."Log Entries"', "public.small"]
    assert hook["scope"] == "at-risk" and hook["tables"] == tables and not hook["reused"], hook
    [b] = d.list()
    assert b["scope"] == "at-risk" and b["tables"] == tables, b
    dump, side = d.read(b)
    assert side["scope"] == "at-risk" and side["scope_tables"] == tables, side
    # the schema of everything, the rows of the two tables only
    assert copies(dump) == [b'"App"."Log Entries"', b"public.small"], copies(dump)
    for ddl in (b"CREATE TABLE public.big ", b"CREATE TABLE other.t ", b"CREATE TABLE public.marker "):
        assert ddl in dump, ddl
    assert b"note-7" in dump and b"line-3" in dump and b"bbbbbbbb" not in dump
    r = d.run("backups")
    t.expect(r, 0)
    assert "at-risk" in r.out and "public.small" in r.out, r

    # the column is gone; rows written after the backup must survive any restore
    assert t.sql("select count(*) from information_schema.columns where table_name = 'small' "
                 "and column_name = 'note'") == "0"
    t.sql("insert into big values (999999, 'after'); insert into small values (41, 'keep-41')")
    # default: into a side schema, nothing live touched, no safety backup
    r = d.run("restore", "--backup", "0", "--force")
    t.expect(r, 0)
    side_ns = side_schema(t)
    assert re.fullmatch(r"predeploy_restore_\d{8}_\d{6}", side_ns), side_ns
    assert "at-risk backup" in r.err and side_ns in r.err, r
    assert t.sql("select count(*) || ':' || max(note) from %s.small where note like 'note-%%'" % side_ns) == "40:note-9"
    assert t.sql('select count(*) from %s."App_Log Entries"' % side_ns) == "5"
    assert t.sql("select count(*) from big") == "3001" and t.sql("select count(*) from small") == "41"
    assert t.sql('select count(*) from "App"."Log Entries"') == "0"
    assert len(d.list()) == 1                       # no safety backup was taken
    if not bucket:
        # the file without its sidecar: its missing rows are noticed before anything runs
        loose = t.path("loose.sql.gz")
        with open(loose, "wb") as f:
            f.write(open(b["path"], "rb").read())
        r = t.run("restore", "--file", loose, "--force", "--no-backup")
        t.expect(r, 65)
        assert "holds the rows of only 2" in r.err and "nothing was executed" in r.err, r
        assert t.sql("select count(*) from big") == "3001"
    # --replace before the migration is reverted: refused by the server, nothing changed
    r = d.run("restore", "--backup", "0", "--force", "--replace", "--no-backup")
    t.expect(r, 65)
    assert 'column "note"' in r.err, r
    assert t.sql("select count(*) from small") == "41"
    # revert, then bring the column's data back from the side schema (docs/backups.md)
    t.expect(t.run("down"), 0)
    t.sql("update small s set note = r.note from %s.small r where r.id = s.id" % side_ns)
    assert t.sql("select note from small where id = 7") == "note-7"
    # or put the rows back in place: only those two tables change
    t.sql("update small set note = null, keep = 'changed'")
    r = d.run("restore", "--backup", "0", "--force", "--replace", "--no-backup")
    t.expect(r, 0)
    assert "replaced the rows of 2 tables" in r.err, r
    assert t.sql("select count(*) || ':' || min(note) || ':' || min(keep) from small") == "40:note-1:keep-1"
    assert t.sql('select count(*) from "App"."Log Entries"') == "5"
    assert t.sql("select count(*) from big") == "3001" and t.sql("select a from other.t") == "42"


@case
def at_risk_backup_and_restore_in_a_directory(t: Env):
    at_risk_round_trip(t, False)


@case
def at_risk_backup_and_restore_in_a_bucket(t: Env):
    at_risk_round_trip(t, True)


def schema_only(t, bucket):
    d = Dest(t, bucket)
    setup(t)
    t.write("migrations/2_add.sql", "-- migrate:up\ncreate table added (a int);\n")
    r = d.run("up", *TINY)
    t.expect(r, 0)
    assert "schema only" in r.err, r
    [b] = d.list()
    assert b["scope"] == "at-risk" and b["tables"] == [], b
    dump, side = d.read(b)
    assert side["scope"] == "at-risk" and side["scope_tables"] == []
    assert copies(dump) == [] and b"CREATE TABLE public.big " in dump and b"bbbbbbbb" not in dump
    r = d.run("restore", "--backup", "0", "--force")
    t.expect(r, 64)
    assert "schema only" in r.err, r


@case
def nothing_at_risk_is_schema_only_in_a_directory(t: Env):
    schema_only(t, False)


@case
def nothing_at_risk_is_schema_only_in_a_bucket(t: Env):
    schema_only(t, True)


@case
def full_scope_auto_under_the_limit_and_the_variable(t: Env):
    d = Dest(t, False)
    setup(t)
    t.write("migrations/2_add.sql", "-- migrate:up\ncreate table added (a int);\n")
    t.expect(d.run("up", *TINY, "--backup-scope", "full"), 0)
    t.write("migrations/3_drop.sql", DROP)
    r = d.run("up")                     # auto, the default 1GB: full
    t.expect(r, 0)
    assert "backup scope: full (database" in r.err, r
    t.write("migrations/4_del.sql", "-- migrate:up\n-- predeploy:allow delete_without_where reset\n"
                                    "delete from other.t;\n")
    r = t.run("up", *d.args(), env={"PREDEPLOY_BACKUP_SCOPE": "at-risk"})
    t.expect(r, 0)
    lst = d.list()
    assert [(b["scope"], b["tables"]) for b in lst] == [("at-risk", ["other.t"]), ("full", []), ("full", [])], lst
    for b, want in zip(lst, ([b"other.t"], None, None)):
        dump, side = d.read(b)
        if want:
            assert copies(dump) == want
        else:
            assert side["scope"] == "full" and b"COPY public.big " in dump and b"COPY public.small " in dump
    # a full backup is never restored with --replace
    r = d.run("restore", "--backup", "1", "--force", "--replace")
    t.expect(r, 64)
    assert "full backup" in r.err
    t.expect(t.run("up", "--backup-full-max", "lots"), 78)


@case
def encrypted_at_risk_backup_restores_into_the_side_schema(t: Env):
    d = Dest(t, False)
    setup(t)
    key = t.write("k", os.urandom(32).hex() + "\n")
    os.chmod(key, 0o600)
    t.write("migrations/2_drop.sql", DROP)
    t.expect(d.run("up", *TINY, "--backup-key-file", key), 0)
    [b] = d.list()
    assert b["scope"] == "at-risk" and b["encrypted"] and b["tables"] == ['"App"."Log Entries"', "public.small"], b
    assert b["path"].endswith(".sql.gz.enc") and b"COPY public.small" not in open(b["path"], "rb").read()
    r = d.run("restore", "--backup", "0", "--force", "--backup-key-file", key)
    t.expect(r, 0)
    assert t.sql("select count(*) from %s.small where note like 'note-%%'" % side_schema(t)) == "40"
    assert t.sql("select count(*) from big") == "3000"


@case
def reuse_needs_the_tables_at_risk(t: Env):
    d = Dest(t, False)
    setup(t)
    # fails after the backup: the restart loop runs it again at the same version
    t.write("migrations/2_x.sql", "-- migrate:up\ncreate table x (a int);\nselect 1/0;\n")
    r = d.run("up", *TINY)
    assert r.code != 0 and "schema only" in r.err, r
    t.write("migrations/2_x.sql", "-- migrate:up\n-- predeploy:allow drop_column reviewed\n"
                                  "alter table small drop column note;\nselect 1/0;\n")
    r = d.run("up", *TINY)
    assert r.code != 0 and "not reusing backup" in r.err, r
    lst = d.list()
    assert [b["tables"] for b in lst] == [["public.small"], []], lst
    r = d.run("up", *TINY)
    assert r.code != 0 and "reusing backup" in r.err and "not reusing" not in r.err, r
    assert len(d.list()) == 2
    # a full backup at the same version is reused for any set
    r = d.run("up", *TINY, "--backup-scope", "full")
    assert r.code != 0 and "not reusing" in r.err, r
    t.write("migrations/2_x.sql", "-- migrate:up\ntruncate big;\nselect 1/0;\n")
    r = d.run("up", *TINY, "--allow", "truncate")
    assert r.code != 0 and "reusing backup" in r.err and "not reusing" not in r.err, r
    assert len(d.list()) == 3


@case
def a_dotted_table_name_is_backed_up(t: Env):
    """A table whose name holds a dot: found as one name, not as schema.table."""
    d = Dest(t, False)
    setup(t)
    t.sql('create table "small.archive" (id int, note text); '
          "insert into \"small.archive\" select g, 'arch-' || g from generate_series(1, 7) g")
    t.write("migrations/2_drop.sql", "-- migrate:up\n-- predeploy:allow drop_table reviewed\n"
                                     'drop table "small.archive";\n')
    r = d.run("up", *TINY)
    t.expect(r, 0)
    [b] = d.list()
    dump, side = d.read(b)
    assert side["scope"] == "at-risk", side
    assert b'public."small.archive"' in copies(dump), copies(dump)
    assert b"arch-7" in dump


@case
def a_table_the_catalog_does_not_know_makes_it_full(t: Env):
    """An at-risk finding whose table cannot be found: its rows cannot be
    told apart, so the backup holds everything."""
    d = Dest(t, False)
    setup(t)
    t.write("migrations/2_bad.sql", "-- migrate:up\n-- predeploy:allow truncate reviewed\n"
                                    "truncate no_such_table;\n")
    r = d.run("up", *TINY)
    assert r.code != 0, r                     # the migration fails: no such table
    assert "full although at-risk was asked" in r.err and "no_such_table" in r.err, r
    [b] = d.list()
    dump, side = d.read(b)
    assert side.get("scope", "full") == "full", side
    assert b"public.big" in copies(dump) and b"bbbbbbbb" in dump


if __name__ == "__main__":
    if not s3env.available():
        print("FAIL: s3rver or python3-botocore/boto3 missing: run scripts/install-deps")
        sys.exit(1)
    try:
        main()
    finally:
        if S3:
            S3.close()
