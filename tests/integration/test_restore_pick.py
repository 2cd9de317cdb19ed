#!/usr/bin/env python3
# cost: 2
"""Which backup restore takes, and "verified" checked at use: the target
database's newest by default (another database's needs --from-database or
--file); a file whose SHA-256 no longer matches its sidecar is refused by
restore and by run's reuse, and marked by `backups`; options are checked
before the safety backup."""
import ctypes
import ctypes.util
import gzip
import hashlib
import os
import struct
import zlib

import pgserver
from harness import case, main, Env
from bkfixture import RICH, state, backups, read_dump, scratch_db


def take(t, db=None):
    r = t.run("backup", *(["--database-url", pgserver.url(t.pg, db)] if db else []))
    t.expect(r, 0)
    return t.path(r.out.strip())


def deflate_best(data):
    """Raw deflate at libdeflate's strongest level (predeploy links the
    library, so it is here): smaller than predeploy's level-1 members,
    which zlib's level 9 need not be."""
    lib = ctypes.CDLL(ctypes.util.find_library("deflate") or "libdeflate.so.0")
    lib.libdeflate_alloc_compressor.restype = ctypes.c_void_p
    lib.libdeflate_alloc_compressor.argtypes = [ctypes.c_int]
    lib.libdeflate_deflate_compress.restype = ctypes.c_size_t
    lib.libdeflate_deflate_compress.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t,
                                                ctypes.c_void_p, ctypes.c_size_t]
    lib.libdeflate_free_compressor.argtypes = [ctypes.c_void_p]
    c = lib.libdeflate_alloc_compressor(12)
    out = ctypes.create_string_buffer(len(data) + 4096)
    n = lib.libdeflate_deflate_compress(c, data, len(data), out, len(out))
    lib.libdeflate_free_compressor(c)
    assert n > 0
    return out.raw[:n]


def same_size_gzip(data, size):
    """A valid gzip of `data` exactly `size` bytes long (padded with a header
    comment), so only a content hash can tell it from the original."""
    deflated = deflate_best(data)
    trailer = struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data) & 0xFFFFFFFF)
    pad = size - (10 + 1 + len(deflated) + len(trailer))
    assert pad >= 0, "the swapped dump does not fit"
    header = b"\x1f\x8b\x08\x10\x00\x00\x00\x00\x00\xff" + b"c" * pad + b"\x00"
    out = header + deflated + trailer
    assert len(out) == size and gzip.decompress(out) == data
    return out


def swap(path, old, new):
    raw = open(path, "rb").read()
    dump = read_dump(path)
    assert old in dump and len(old) == len(new)
    open(path, "wb").write(same_size_gzip(dump.replace(old, new), len(raw)))


@case
def swapped_same_size_backup_refused(t: Env):
    t.sql(RICH)
    path = take(t)
    t.sql("update authors set name = 'zed' where name = 'ann'")
    before = state(t)
    swap(path, b"1\tann\t", b"1\teve\t")
    assert backups(t)[0]["size"] == len(open(path, "rb").read())
    r = t.run("restore", "--force", "--no-backup")
    t.expect(r, 65)
    assert "does not match its sidecar" in r.err and "nothing was executed" in r.err, r.err
    assert state(t) == before
    # `backups` marks it
    b = backups(t)[0]
    assert b["modified"] is True and b["verified"] is False, b
    r = t.run("backups")
    assert "MODIFIED" in r.out, r.out
    # --file with the sidecar beside it is checked too
    r = t.run("restore", "--force", "--no-backup", "--file", path)
    t.expect(r, 65)
    assert state(t) == before


@case
def run_reuse_checks_the_hash(t: Env):
    t.sql("create table a (x int); insert into a values (1)")
    path = take(t)
    t.write("migrations/001_b.sql", "-- migrate:up\ncreate table b (x int);\n")
    swap(path, b"COPY public.a (x) FROM stdin;\n1\n", b"COPY public.a (x) FROM stdin;\n2\n")
    r = t.run("run", "--backup", "auto")
    t.expect(r, 65)
    assert "no longer matches its sidecar" in r.err, r.err
    assert t.sql("select to_regclass('public.b') is null") == "t"
    # an intact backup at the same version is reused, with the hash checked
    os.remove(path)
    os.remove(path + ".json")
    take(t)
    r = t.run("run", "--backup", "auto")
    t.expect(r, 0)
    assert "reusing backup" in r.err and "SHA-256 checked" in r.err, r.err


@case
def default_is_the_target_databases_backup(t: Env):
    with scratch_db(t, "_b", create=True) as other, scratch_db(t, "_none") as none:
        t.sql("create table mine (x int); insert into mine values (1)")
        mine = take(t)
        t.sql("create table theirs (y int); insert into theirs values (2)", db=other)
        take(t, other)        # newer, of another database, same directory
        t.sql("insert into mine values (3)")
        r = t.run("restore", "--force", "--no-backup")
        t.expect(r, 0)
        assert t.sql("select string_agg(x::text, ',') from mine") == "1"
        assert t.sql("select to_regclass('public.theirs') is null") == "t"
        # history records the hash of the file restored
        assert t.sql("select checksum from predeploy_migrations_history where action = 'restore'") == \
            hashlib.sha256(open(mine, "rb").read()).hexdigest()
        # backup number 0 is the other database's: refused without --from-database
        assert backups(t)[0]["database"] == other
        r = t.run("restore", "--force", "--no-backup", "--backup", "0")
        t.expect(r, 64)
        assert "--from-database" in r.err and other in r.err, r.err
        r = t.run("restore", "--force", "--no-backup", "--from-database", other)
        t.expect(r, 0)
        assert t.sql("select count(*) from theirs") == "1"
        # a database without backups of its own says where the others are
        r = t.run("restore", "--force", "--no-backup", "--into", none)
        t.expect(r, 64)
        assert "there is no backup of database" in r.err and "--from-database" in r.err, r.err


@case
def options_checked_before_the_safety_backup(t: Env):
    t.write("migrations/001_a.sql", "-- migrate:up\ncreate table a (x int);\n")
    t.expect(t.run("up", "--backup", "never"), 0)
    take(t)
    for bad in (["--reset-to", "999"], ["--reset-to", "abc"]):
        r = t.run("restore", "--force", *bad)
        t.expect(r, 64)
        assert "--reset-to" in r.err, r.err
    assert len(backups(t)) == 1, "a safety backup was taken before the options were checked"
    # a refused file: no safety backup, no --into database created
    raw = read_dump(t.path(backups(t)[0]["path"])).replace(b"SET lock_timeout = 0;", b"SET lock_timeout = 0;\nCOMMIT;", 1)
    with gzip.open(t.path("bad.sql.gz"), "wb") as f:
        f.write(raw)
    r = t.run("restore", "--force", "--file", t.path("bad.sql.gz"), "--into", t.db + "_x")
    t.expect(r, 65)
    assert len(backups(t)) == 1
    assert t.sql("select count(*) from pg_database where datname = '%s'" % (t.db + "_x"), db="postgres") == "0"
    t.check_no_password()


if __name__ == "__main__":
    main()
