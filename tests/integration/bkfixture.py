"""Shared helpers of test_backup.py and test_restore.py: a database with
every kind of content a dump must carry, its schema and per-table data
checksums, and backup-file manipulation."""
import contextlib
import gzip
import json
import os
import subprocess

import pgserver

RICH = r"""
create extension if not exists pgcrypto;
create type mood as enum ('sad', 'ok', 'happy');
create domain posint as integer check (value > 0);
create table authors (id serial primary key, name text not null unique, mood mood, n posint);
create table books (
    id bigint generated always as identity primary key,
    author_id integer not null references authors(id) on delete cascade,
    title text, body text, data bytea, meta jsonb, tags text[], scores int[], price numeric(10,2),
    at timestamptz default now());
create index books_title_idx on books (lower(title));
create index books_meta_idx on books using gin (meta);
create sequence counter start 100 increment 7;
create view book_titles as select b.id, a.name, b.title from books b join authors a on a.id = b.author_id;
create materialized view mood_counts as select mood, count(*) from authors group by mood;
create function shout(t text) returns text language sql immutable as $$ select upper(t) || '!' $$;
create function touch() returns trigger language plpgsql as $f$
begin new.at := now(); return new; end $f$;
create trigger books_touch before update on books for each row execute function touch();
create schema side;
create table side.notes (k text primary key, v text);
comment on table books is 'the books; with ''quotes''';
insert into authors (name, mood, n) values ('ann', 'happy', 1), ('bob', null, 2), (E'tab\there', 'sad', 3);
insert into books (author_id, title, body, data, meta, tags, scores, price) values
 (1, 'plain', 'line1' || chr(10) || 'line2', '\x00ff10', '{"a": [1, 2, {"b": null}]}', '{x,"y z",NULL}', '{1,NULL,3}', 9.99),
 (2, E'back\\slash', E'tab\tnewline\nbackslash\\ end', null, null, null, null, null),
 (3, null, repeat('big row ', 200000), decode(repeat('deadbeef', 300000), 'hex'), '{"k": "\u00e9"}', '{}', '{}', 0),
 (1, 'copy-ish', E'\\.\n\\.', '\x5c2e', '"\\\\."', '{"\\\\."}', null, 1);
insert into side.notes select 'k' || g, md5(g::text) from generate_series(1, 2000) g;
select setval('counter', 150);
select nextval('counter');
refresh materialized view mood_counts;
"""


def pg_dump_schema(t, db=None):
    r = subprocess.run([os.path.join(t.pg["bindir"], "pg_dump"), "--schema-only", "-h", t.pg["sockdir"],
                        "-p", str(t.pg["port"]), "-U", "postgres", "--exclude-table=predeploy_migrations*",
                        db or t.db],
                       capture_output=True, text=True, check=True)
    # \restrict keys are random per run
    return "\n".join(l for l in r.stdout.splitlines() if not l.startswith("\\restrict")
                     and not l.startswith("\\unrestrict"))


def checksums(t, db=None):
    tables = t.sql("select string_agg(format('%I.%I', schemaname, relname), ' ' order by 1,2) "
                   "from pg_stat_user_tables where relname not like 'predeploy_migrations%'", db=db).split()
    out = {}
    for tb in tables:
        out[tb] = t.sql("select count(*) || ':' || coalesce(md5(string_agg(x::text, '|' order by x::text)), '') "
                        "from %s x" % tb, db=db)
    out["seq"] = t.sql("select last_value || ',' || is_called from counter", db=db)
    return out


def state(t, db=None):
    return pg_dump_schema(t, db), checksums(t, db)


def backups(t, *extra):
    r = t.run("backups", "--format", "json", *extra)
    t.expect(r, 0)
    return json.loads(r.out)


def read_dump(path):
    with gzip.open(path, "rb") as f:
        return f.read()


def write_dump(path, data):
    with gzip.open(path, "wb") as f:
        f.write(data)


def fill_random(t, mb, table="blob"):
    """About `mb` MB of incompressible bytea."""
    t.sql("create extension if not exists pgcrypto")
    t.sql("create table %s (id int, b bytea)" % table)
    t.sql("insert into %s select g, gen_random_bytes(1024) from generate_series(1, %d) g" % (table, mb * 1024))


@contextlib.contextmanager
def scratch_db(t, suffix, create=False):
    """Another database named after the test's, dropped afterwards."""
    name = t.db + suffix
    t.sql('DROP DATABASE IF EXISTS "%s"' % name, db="postgres")
    if create:
        t.sql('CREATE DATABASE "%s"' % name, db="postgres")
    try:
        yield name
    finally:
        t.sql('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name, db="postgres")
