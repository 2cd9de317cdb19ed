#!/usr/bin/env python3
# cost: 4
"""restore: round trip of every kind of content, one transaction against
corrupt, truncated, tampered and non-gzip files, confirmation, --into,
--reset-to and history."""
import os

from harness import case, main, Env
from bkfixture import RICH, state, backups, read_dump, write_dump

MUTATE = """
insert into authors (name, mood, n) values ('new', 'ok', 9);
update books set body = 'changed', data = '\\x01' where id = 1;
delete from books where id = 2;
drop view book_titles;
drop function shout(text);
create table added (x int);
alter table side.notes add column extra int;
select setval('counter', 9999);
drop type if exists nothing_here;
"""


def take(t):
    r = t.run("backup")
    t.expect(r, 0)
    return r.out.strip()


@case
def round_trip(t: Env):
    t.sql(RICH)
    before = state(t)
    take(t)
    t.sql(MUTATE)
    assert state(t) != before
    r = t.run("restore", "--force")
    t.expect(r, 0)
    after = state(t)
    assert after[1] == before[1], (after[1], before[1])
    assert after[0] == before[0], "schema differs after restore"
    # the current state was backed up first, and history has the restore
    assert len(backups(t)) == 2
    h = t.sql("select action || ':' || coalesce(backup_file, '') from predeploy_migrations_history")
    assert h.startswith("restore:") and ".sql.gz" in h, h
    t.check_no_password()


@case
def corrupt_files_leave_database_unchanged(t: Env):
    t.sql(RICH)
    path = t.path(take(t))
    t.sql(MUTATE)
    mutated = state(t)
    dump = read_dump(path)
    raw = open(path, "rb").read()
    variants = {
        "truncated.sql.gz": raw[: len(raw) * 2 // 3],
        "flipped.sql.gz": raw[: len(raw) // 2] + bytes([raw[len(raw) // 2] ^ 0xFF]) + raw[len(raw) // 2 + 1:],
        "notgzip.sql.gz": dump[:5000],
    }
    for name, data in variants.items():
        open(t.path(name), "wb").write(data)
    lines = dump.split(b"\n")
    key_line = next(i for i, l in enumerate(lines) if l.startswith(b"\\unrestrict "))
    lines[key_line] = b"\\unrestrict wrongkey"
    write_dump(t.path("wrongkey.sql.gz"), b"\n".join(lines))
    # a clean gzip of a dump cut in the middle of a COPY
    cut = dump.index(b"COPY public.books")
    write_dump(t.path("cutcopy.sql.gz"), dump[: cut + 200])
    # a dump that fails on the server half-way
    bad = dump.replace(b"CREATE VIEW public.book_titles", b"CREATE VIEW public.book_titles_broken AS SELECT nope;\nCREATE VIEW public.book_titles", 1)
    write_dump(t.path("failing.sql.gz"), bad)
    # psql meta-commands other than \restrict are refused, naming the line
    meta = dump.replace(b"SET statement_timeout = 0;", b"SET statement_timeout = 0;\n\\! touch /tmp/owned", 1)
    write_dump(t.path("meta.sql.gz"), meta)
    for name in list(variants) + ["wrongkey.sql.gz", "cutcopy.sql.gz", "failing.sql.gz", "meta.sql.gz"]:
        r = t.run("restore", "--force", "--no-backup", "--file", t.path(name))
        t.expect(r, 65)
        assert state(t) == mutated, name
        if name == "wrongkey.sql.gz":
            assert "\\unrestrict" in r.err and "does not match" in r.err, r
        if name == "meta.sql.gz":
            assert '"\\!"' in r.err and "line" in r.err, r
        if name == "truncated.sql.gz":
            assert "truncated" in r.err, r
        if name == "failing.sql.gz":
            assert "nope" in r.err and "line" in r.err, r
    assert not os.path.exists("/tmp/owned")


@case
def cut_at_a_member_boundary(t: Env):
    """A backup cut exactly after one of its gzip members is a valid,
    shorter gzip file (gunzip reads it too): the missing completion line
    refuses it before anything runs."""
    t.sql(RICH)
    path = t.path(take(t))
    t.sql(MUTATE)
    mutated = state(t)
    raw = open(path, "rb").read()
    ends, off = [], 0
    while off < len(raw):
        off += 24 + int.from_bytes(raw[off + 16:off + 20], "little") + 8
        ends.append(off)
    assert len(ends) >= 3 and ends[-1] == len(raw), ends
    for cut in (ends[0], ends[-2]):
        open(t.path("cut.sql.gz"), "wb").write(raw[:cut])
        r = t.run("restore", "--force", "--no-backup", "--file", t.path("cut.sql.gz"))
        t.expect(r, 65)
        assert "cut.sql.gz" in r.err and "nothing" not in r.out, r
        assert state(t) == mutated


@case
def confirmation_and_usage(t: Env):
    t.sql("create table a(x int)")
    take(t)
    r = t.run("restore")   # no terminal, no --force
    t.expect(r, 64)
    assert "--force" in r.err
    t.expect(t.run("restore", "--force", "--backup", "7"), 64)
    t.expect(t.run("restore", "--force", "--backup", "x"), 64)
    t.expect(t.run("restore", "--force", "--backup", "0", "--file", "x"), 64)
    t.expect(t.run("restore", "--force", "--file", t.path("nope.sql.gz")), 65)
    t.expect(t.run("restore", "--force", "--unknown"), 64)


@case
def into_another_database(t: Env):
    t.sql(RICH)
    before = state(t)
    path = take(t)
    other = t.db + "_into"
    t.sql('DROP DATABASE IF EXISTS "%s"' % other, db="postgres")
    try:
        r = t.run("restore", "--force", "--file", path, "--into", other)
        t.expect(r, 0)
        assert "created database" in r.err
        assert state(t, other)[1] == before[1]
        assert state(t) == before    # the source is untouched
        # again, over the now existing copy (it is backed up first)
        t.sql("create table junk(x int)", db=other)
        r = t.run("restore", "--force", "--file", path, "--into", other)
        t.expect(r, 0)
        assert state(t, other) == (state(t, other)[0], before[1])
        assert t.sql("select to_regclass('public.junk') is null", db=other) == "t"
    finally:
        t.sql('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % other, db="postgres")


@case
def reset_to_and_history(t: Env):
    t.write("migrations/001_a.sql", "-- migrate:up\ncreate table a(x int);\n-- migrate:down\ndrop table a;\n")
    t.write("migrations/002_b.sql", "-- migrate:up\ncreate table b(x int);\n-- migrate:down\ndrop table b;\n")
    t.expect(t.run("up", "--backup", "never"), 0)
    path = take(t)
    assert path.endswith("_002.sql.gz"), path
    t.sql("insert into a values (1)")
    r = t.run("restore", "--force", "--no-backup", "--file", path, "--reset-to", "001")
    t.expect(r, 0)
    assert t.sql("select count(*) from a") == "0"
    assert t.run("current").out.strip() == "001"
    assert t.sql("select count(*) from predeploy_migrations_history where action = 'restore'") == "1"
    assert len(backups(t)) == 1   # --no-backup


if __name__ == "__main__":
    main()
