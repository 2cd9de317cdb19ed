#!/usr/bin/env python3
# cost: 6
"""restore is all-or-nothing and refuses what a pg_dump dump never holds:
transaction control and meta-commands that would end its transaction,
COPY TO/FROM PROGRAM and server file access (refused before anything
runs); and the one lexer restores what pg_dump writes, BEGIN ATOMIC bodies
and every dollar-quote form included."""
import os

from harness import case, main, Env
from receiver import Receiver
from bkfixture import RICH, state, read_dump, write_dump, scratch_db, pg_dump_schema

MUTATE = """
insert into authors (name, mood, n) values ('new', 'ok', 9);
delete from books where id = 2;
create table added (x int);
"""


def take(t):
    r = t.run("backup")
    t.expect(r, 0)
    return r.out.strip()


def backed_up_then_mutated(t):
    """RICH backed up, then changed: (the dump's text, the changed state)."""
    t.sql(RICH)
    dump = read_dump(t.path(take(t)))
    t.sql(MUTATE)
    return dump, state(t)


def inject(t, dump, name, early, late=b""):
    """A copy of `dump` with `early` after the first SET and `late` before the
    first CREATE VIEW (so that a file the old restore partly ran also fails)."""
    data = dump.replace(b"SET statement_timeout = 0;", b"SET statement_timeout = 0;\n" + early, 1)
    if late:
        data = data.replace(b"CREATE VIEW", late + b"\nCREATE VIEW", 1)
    write_dump(t.path(name), data)
    return t.path(name)


@case
def transaction_control_refused(t: Env):
    dump, mutated = backed_up_then_mutated(t)
    fail_late = b"SELECT nope_this_fails;"
    for i, stmt in enumerate([b"COMMIT;", b"ROLLBACK;", b"END;", b"ABORT;", b"commit; begin;",
                              b"SAVEPOINT s;", b"RELEASE SAVEPOINT s;", b"ROLLBACK TO SAVEPOINT s;",
                              b"BEGIN;", b"START TRANSACTION;", b"SET TRANSACTION READ ONLY;",
                              b"PREPARE TRANSACTION 'x';", b"COMMIT PREPARED 'x';",
                              b"\\connect postgres", b"\\c postgres"]):
        path = inject(t, dump, "tx%d.sql.gz" % i, stmt + b"\n", fail_late)
        r = t.run("restore", "--force", "--no-backup", "--file", path)
        t.expect(r, 65)
        assert state(t) == mutated, (stmt, r)
        word = stmt.split()[0].rstrip(b";").decode().lower()
        assert word in r.err.lower() and "line" in r.err, (stmt, r.err)
        assert "unchanged" in r.err, r.err
    t.check_no_password()


@case
def copy_program_and_server_files_refused_up_front(t: Env):
    dump, mutated = backed_up_then_mutated(t)
    marker = t.path("marker")
    attempts = [
        b"COPY (select 1) TO PROGRAM 'touch %s';" % marker.encode(),
        b"copy authors from program 'touch %s';" % marker.encode(),
        b"COPY (select 1) TO '%s';" % marker.encode(),
        b"SELECT pg_catalog.lo_export(pg_catalog.lo_from_bytea(0, 'x'), '%s');" % marker.encode(),
        b"SELECT lo_import('/etc/hostname');",
        b"SELECT pg_read_file('/etc/hostname');",
        b"DO $$ BEGIN EXECUTE 'COPY (select 1) TO PROGRAM ''touch %s'''; END $$;" % marker.encode(),
    ]
    for i, stmt in enumerate(attempts):
        # placed late in the file: the scan of the whole file refuses it first
        path = inject(t, dump, "p%d.sql.gz" % i, b"", stmt)
        r = t.run("restore", "--force", "--no-backup", "--file", path)
        t.expect(r, 65)
        assert not os.path.exists(marker), (stmt, r)
        assert "refuses" in r.err and "line" in r.err, (stmt, r.err)
        assert state(t) == mutated, stmt
    assert t.sql("select count(*) from pg_largeobject_metadata") == "0"


@case
def framing_and_failures_keep_server_fields(t: Env):
    dump, mutated = backed_up_then_mutated(t)
    # a bad row in COPY data: SQLSTATE and the line reach the log
    lines = dump.split(b"\n")
    at = next(i for i, l in enumerate(lines) if l.startswith(b"COPY public.authors"))
    lines.insert(at + 1, b"not-a-number\tx\t\\N\t1")
    write_dump(t.path("badrow.sql.gz"), b"\n".join(lines))
    with Receiver() as rx:
        r = t.run("restore", "--force", "--no-backup", "--file", t.path("badrow.sql.gz"), "--log-format", "json",
                  "--webhook", rx.url)
        t.expect(r, 65)
        body = rx.wait_for(1, timeout=30)[-1]["json"]
    assert '"sqlstate":"22P02"' in r.err.replace(" ", ""), r.err
    assert "COPY data" in r.err and "unchanged" in r.err, r.err
    assert state(t) == mutated
    # and the webhook: restore.failed with the server's fields and the line
    assert body["type"] == "restore.failed", body
    err = body["data"]["error"]
    assert err["sqlstate"] == "22P02" and err["line"] > 0 and err["file"].endswith("badrow.sql.gz"), err
    assert "COPY data" in err["message"] and body["data"]["exit_code"] == 65, body
    # text after COPY ... FROM stdin; on its line
    path = inject(t, dump.replace(b"FROM stdin;\n", b"FROM stdin; select 1;\n", 1), "frame.sql.gz", b"")
    r = t.run("restore", "--force", "--no-backup", "--file", path)
    t.expect(r, 65)
    assert "text after" in r.err, r.err
    assert state(t) == mutated


@case
def lost_connection_is_not_called_unchanged(t: Env):
    dump, mutated = backed_up_then_mutated(t)
    path = inject(t, dump, "slow.sql.gz", b"", b"SELECT pg_catalog.pg_sleep(60);")
    p = t.spawn("restore", "--force", "--no-backup", "--file", path)
    t.wait_for_backend("pg_sleep", timeout=60)
    t.sql("select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() "
          "and application_name = 'predeploy' "
          "and query like '%pg_sleep%' and pid <> pg_backend_pid()")
    out, err = p.communicate(timeout=60)
    assert p.returncode != 0, err
    # nothing was committed (the server rolled back), but restore could not
    # verify it, so it does not claim so
    assert "is unchanged" not in err and "may have been changed" in err, err
    assert state(t) == mutated


ROUND_TRIP = r"""
create schema app;
create domain app.percent as numeric check (value >= 0) check (value <= 100);
create domain app.code as text constraint code_shape check (value ~ '^[A-Z]{3}$') not null;
create type app.pair as (a int, b text);
create table app.items (
  id int generated always as identity primary key,
  price numeric not null default 0,
  qty int not null default 1,
  total numeric generated always as (price * qty) stored,
  pct app.percent,
  code app.code default 'ABC',
  note text default E'it\'s; a \\ note',
  "we;ird""col" text default $$dollar; 'quoted'$$
);
comment on table app.items is 'items; with a semicolon -- and dashes /* and a comment start';
comment on column app.items.note is $c$also; here$c$;
create function app.add(a int, b int) returns int language sql immutable
begin atomic
  select case when a is null then 0 else a end + b;
end;
create function app.classify(x int) returns text language sql
begin atomic
  select case when x < 0 then 'neg' when x = 0 then 'zero' else 'pos' end;
end;
create table app.log (id serial primary key, msg text, at timestamptz default now());
create procedure app.bump(n int) language sql
begin atomic
  update app.items set qty = qty + n;
  insert into app.log(msg) values ('bumped; ' || n);
end;
create function app.plain() returns text language plpgsql as $$ begin return 'a;b$x$c'; end $$;
create function app.tagged() returns text language plpgsql as $body$ begin return $$in;ner$$; end $body$;
create function app.tag1() returns text language plpgsql as $a1$ begin return ';'; end $a1$;
create function app.longtag() returns text language plpgsql as
  $a_very_long_dollar_quote_tag_that_is_longer_than_sixty_three_bytes_for_sure_xyz$
  begin return 'semi; colon'; end
  $a_very_long_dollar_quote_tag_that_is_longer_than_sixty_three_bytes_for_sure_xyz$;
create function app.empty() returns text language sql as $$select ''::text$$;
create function app.touch() returns trigger language plpgsql as $t$
begin insert into app.log(msg) values (tg_op || ';'); return new; end $t$;
create trigger items_touch after insert on app.items for each row execute function app.touch();
create view app.expensive as select * from app.items where price > 10;
create rule no_delete_log as on delete to app.log do instead nothing;
create table app.secrets (owner text, v text);
alter table app.secrets enable row level security;
create policy own on app.secrets using (owner = current_user);
create table app.events (id int, at date not null, body text) partition by range (at);
create table app.events_2024 partition of app.events for values from ('2024-01-01') to ('2025-01-01');
create table app.events_2025 partition of app.events for values from ('2025-01-01') to ('2026-01-01');
insert into app.items (price, qty, pct, code) values (12.5, 2, 50, 'XYZ'), (3, 1, 0, 'ABC');
insert into app.secrets values ('x', 'semi;colon'), ('y', E'back\\slash');
insert into app.events values (1, '2024-05-01', 'a;b'), (2, '2025-02-02', E'tab\there');
call app.bump(1);
select app.add(1, 2), app.classify(-1), app.longtag();
"""


def data_of(t, db):
    tables = t.sql("select string_agg(format('%I.%I', n.nspname, c.relname), ' ' order by 1) from pg_class c "
                   "join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r') "
                   "and n.nspname = 'app'", db=db).split()
    return {tb: t.sql("select count(*) || ':' || coalesce(md5(string_agg(x::text, '|' order by x::text)), '') "
                      "from %s x" % tb, db=db) for tb in tables}


@case
def begin_atomic_round_trip(t: Env):
    t.sql(ROUND_TRIP)
    path = take(t)
    with scratch_db(t, "_rt") as other:
        r = t.run("restore", "--force", "--file", path, "--into", other)
        t.expect(r, 0)
        assert pg_dump_schema(t, other) == pg_dump_schema(t), "schema differs after the round trip"
        assert data_of(t, other) == data_of(t, t.db)
        assert t.sql("select app.add(2, 3), app.classify(0), app.longtag(), app.tagged()", db=other) == \
            "5|zero|semi; colon|in;ner"


if __name__ == "__main__":
    main()
