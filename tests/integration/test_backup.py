#!/usr/bin/env python3
# cost: 9
# shards: 2
"""backup and backups: the file, its sidecar and listing, pg_dump version
and presence checks, free space, retention, signals, and the password never
reaching a child's argv, a log or the metadata."""
import fcntl
import glob
import hashlib
import json
import os
import signal
import stat
import subprocess
import time

from harness import case, main, Env
import pgserver
from bkfixture import RICH, backups, read_dump, fill_random


def verified(t, d="backups"):
    return [b for b in backups(t, "--backup-dir", d) if b["verified"] and b["database"] == t.db]


@case
def backup_file_sidecar_and_listing(t: Env):
    t.sql(RICH)
    r = t.run("backup")
    t.expect(r, 0)
    path = r.out.strip()
    assert os.path.isabs(path) or path.startswith("backups/"), r
    full = t.path(path) if not os.path.isabs(path) else path
    name = os.path.basename(full)
    assert name.startswith(t.db + "_") and name.endswith("_0.sql.gz"), name
    assert stat.S_IMODE(os.stat(full).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(full + ".json").st_mode) == 0o600
    assert not glob.glob(t.path("backups", "*.partial"))
    side = json.load(open(full + ".json"))
    for k in ["database", "server_version", "pg_dump_version", "schema_version", "pending_versions",
              "size", "raw_size", "sha256", "duration_ms", "host", "predeploy_version"]:
        assert k in side, k
    assert side["database"] == t.db and side["size"] == os.path.getsize(full)
    dump = read_dump(full)
    assert len(dump) == side["raw_size"]
    assert b"-- PostgreSQL database dump complete" in dump[-300:]
    assert b"DROP TABLE IF EXISTS public.books" in dump  # --clean --if-exists
    import hashlib
    assert hashlib.sha256(open(full, "rb").read()).hexdigest() == side["sha256"]
    for blob in (dump, open(full + ".json", "rb").read()):
        assert pgserver.PASSWORD.encode() not in blob and b"Zq8" not in blob
    lst = backups(t)
    assert len(lst) == 1 and lst[0]["index"] == 0 and lst[0]["verified"] and lst[0]["schema_version"] == "0"
    r = t.run("backups")
    t.expect(r, 0)
    assert "yes" in r.out and name in r.out
    # a second one in the same second gets its own name
    t.expect(t.run("backup"), 0)
    lst = backups(t)
    assert len(lst) == 2 and lst[0]["time"] >= lst[1]["time"]


@case
def bad_options(t: Env):
    t.expect(t.run("backup", "extra"), 64)
    t.expect(t.run("backups", "--nope"), 64)
    r = t.run("backups", "--backup-dir", "does-not-exist")
    t.expect(r, 0)


@case
def pg_dump_missing(t: Env):
    r = t.run("backup", "--pg-dump", "/nonexistent/pg_dump")
    t.expect(r, 14)
    assert "not found" in r.err and "/nonexistent/pg_dump" in r.err, r
    os.makedirs(t.path("emptybin"))
    r = t.run("backup", env={"PATH": t.path("emptybin")})
    t.expect(r, 14)
    assert '"pg_dump"' in r.err and "not found" in r.err, r
    assert not os.path.exists(t.path("backups")) or not os.listdir(t.path("backups"))


@case
def pg_dump_older_than_server(t: Env):
    fake = t.write("old/pg_dump", "#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.0'\n")
    os.chmod(fake, 0o755)
    r = t.run("backup", "--pg-dump", fake)
    t.expect(r, 14)
    major = t.pg["version"].split(".")[0]
    assert "9.6.0" in r.err and ("PostgreSQL " + t.pg["version"].split()[0]) in r.err, r
    assert ("pg_dump %s or newer" % major) in r.err and "hint:" in r.err, r
    assert not os.path.exists(t.path("backups")) or not os.listdir(t.path("backups"))


@case
def retention_keeps_n_verified_and_nothing_else(t: Env):
    t.sql("create table a(x int)")
    os.makedirs(t.path("backups"))
    unrelated = ["notes.txt", "otherdb_20200101T000000Z_1.sql.gz", "otherdb_20200101T000000Z_1.sql.gz.json",
                 t.db + "_20200101T000000Z_0.sql.gz", t.db + "_x.sql.gz"]
    for u in unrelated:
        t.write("backups/" + u, "keep me")
    for _ in range(4):
        t.expect(t.run("backup", "--keep", "2"), 0)
    v = verified(t)
    assert len(v) == 2, v
    for u in unrelated:
        assert os.path.exists(t.path("backups", u)), u
    # the unverified one of this database (no sidecar) was not counted or removed
    lst = backups(t)
    assert any(b["file"] if "file" in b else b["path"].endswith(t.db + "_20200101T000000Z_0.sql.gz") for b in lst)
    jsons = glob.glob(t.path("backups", t.db + "_*.json"))
    assert len(jsons) == 2, jsons


@case
def password_in_no_child_argv(t: Env):
    # pg_dump is reached through a wrapper that records the argv predeploy
    # gave it, then execs the real pg_dump (which logs in: so the password
    # did reach it, through the environment)
    fill_random(t, 1)
    log = t.path("argv.log")
    wrapper = t.write("bin/pg_dump", '#!/bin/sh\nprintf "%%s\\n" "$@" >> "%s"\nexec "%s" "$@"\n'
                      % (log, os.path.join(t.pg["bindir"], "pg_dump")))
    os.chmod(wrapper, 0o755)
    r = t.run("backup", "--pg-dump", wrapper)
    t.expect(r, 0)
    argv = open(log).read()
    assert "--dbname" in argv or t.db in argv, argv     # the dumping run was seen
    assert pgserver.PASSWORD not in argv and "Zq8" not in argv, argv
    assert pgserver.PASSWORD not in r.out + r.err


@case
def truncated_dump_fails_verification(t: Env):
    """pg_dump exits 0 but its output lost its end (the completion line):
    the backup fails and leaves nothing behind."""
    t.sql(RICH)
    real = os.path.join(t.pg["bindir"], "pg_dump")
    wrapper = t.write("bin/pg_dump", '#!/bin/sh\nif [ "$1" = --version ]; then exec "%s" --version; fi\n'
                      '"%s" "$@" | head -c -300\n' % (real, real))
    os.chmod(wrapper, 0o755)
    r = t.run("backup", "--pg-dump", wrapper)
    t.expect(r, 14)
    assert "failed verification" in r.err and "completion line" in r.err, r
    assert os.listdir(t.path("backups")) == [], os.listdir(t.path("backups"))
    assert verified(t) == []


@case
def members_gunzip_and_readback(t: Env):
    """A backup is several gzip members (one per MiB of dump) that gzip
    itself accepts; --verify-readback reads a directory's file back and
    finds the SHA-256 the stream had."""
    t.sql(RICH)
    fill_random(t, 3)
    r = t.run("backup", "--verify-readback")
    t.expect(r, 0)
    path = r.out.strip()
    full = t.path(path) if not os.path.isabs(path) else path
    raw = open(full, "rb").read()
    members, off = 0, 0
    while off < len(raw):
        assert raw[off:off + 2] == b"\x1f\x8b" and raw[off + 12:off + 14] == b"PD", off
        off += 24 + int.from_bytes(raw[off + 16:off + 20], "little") + 8
        members += 1
    assert off == len(raw) and members >= 4, (members, off, len(raw))
    g = subprocess.run(["gzip", "-t", full], capture_output=True, text=True)
    assert g.returncode == 0, g.stderr
    assert b"-- PostgreSQL database dump complete" in read_dump(full)[-300:]
    side = json.load(open(full + ".json"))
    assert side["sha256"] == hashlib.sha256(raw).hexdigest() and side["size"] == len(raw), side
    assert side["raw_size"] == len(read_dump(full)), side


@case
def sigterm_stops_pg_dump_and_removes_partial(t: Env):
    fill_random(t, 40)
    p = t.spawn("backup")
    deadline = time.time() + 30
    while not glob.glob(t.path("backups", "*.partial")) and time.time() < deadline:
        time.sleep(0.01)
    assert glob.glob(t.path("backups", "*.partial")), "no partial file appeared"
    time.sleep(0.2)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 128 + signal.SIGTERM, (p.returncode, err)
    assert os.listdir(t.path("backups")) == [], os.listdir(t.path("backups"))
    ps = subprocess.run(["pgrep", "-f", "pg_dump.*" + t.db], capture_output=True, text=True)
    assert ps.stdout.strip() == "", ps.stdout


@case
def kill9_leaves_nothing_verified(t: Env):
    fill_random(t, 40)
    p = t.spawn("backup")
    deadline = time.time() + 30
    while not glob.glob(t.path("backups", "*.partial")) and time.time() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    p.kill()
    p.communicate(timeout=30)
    time.sleep(0.5)  # pg_dump dies of SIGPIPE
    lst = backups(t)
    assert [b for b in lst if b["verified"]] == [], lst
    assert lst == [], lst   # a .partial does not even look like a backup


def _mount_tmpfs(t, size):
    d = t.path("small")
    os.makedirs(d)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0700" % size, "tmpfs", d], check=True)
    return d


def _umount(d):
    subprocess.run(["umount", d], check=False)


@case
def full_disk_by_estimate(t: Env):
    d = _mount_tmpfs(t, "1m")
    try:
        t.sql("create table a(x int)")
        r = t.run("backup", "--backup-dir", d)
        t.expect(r, 14)
        assert "not enough free space" in r.err, r
        assert os.listdir(d) == [], os.listdir(d)
    finally:
        _umount(d)


@case
def full_disk_while_writing(t: Env):
    fill_random(t, 30)
    dbsize = int(t.sql("select pg_database_size(current_database())"))
    # room for the estimate (half the database size + 4 MB) but not for the
    # dump (random bytes as hex, deflated: about 1.1 times their size)
    d = _mount_tmpfs(t, "%dk" % ((dbsize // 2 + 4 * 1024 * 1024) // 1024 + 1024))
    try:
        r = t.run("backup", "--backup-dir", d)
        t.expect(r, 14)
        assert "No space left on device" in r.err, r
        assert os.listdir(d) == [], os.listdir(d)
    finally:
        _umount(d)


def _start_and_kill9(t):
    """A backup killed with SIGKILL while pg_dump streams into its .partial."""
    p = t.spawn("backup")
    deadline = time.time() + 30
    while not glob.glob(t.path("backups", "*.partial")) and time.time() < deadline:
        time.sleep(0.01)
    assert glob.glob(t.path("backups", "*.partial")), "no partial file appeared"
    time.sleep(0.2)
    p.kill()
    p.communicate(timeout=30)
    return glob.glob(t.path("backups", "*.partial"))


@case
def kill9_partial_removed_by_next_run(t: Env):
    fill_random(t, 20)
    left = _start_and_kill9(t)
    assert len(left) == 1, left
    # a partial that another live process holds (locked) is left alone
    busy = t.path("backups", "other_20260101T000000Z_0.sql.gz.partial")
    with open(busy, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        r = t.run("backup")
        t.expect(r, 0)
        assert "left by a run that was killed" in r.err and os.path.basename(left[0]) in r.err, r
        assert not os.path.exists(left[0])
        assert os.path.exists(busy), "a locked partial was removed"
    assert len(verified(t)) == 1


def _next_names(t, suffix, seconds=40):
    now = int(time.time())
    return [t.path("backups", "%s_%s_0.sql.gz%s" % (t.db, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(s)), suffix))
            for s in range(now, now + seconds)]


@case
def symlink_at_sidecar_partial_refused(t: Env):
    t.sql("create table a(x int)")
    os.makedirs(t.path("backups"), mode=0o700)
    target = t.write("precious.txt", "do not touch\n")
    for n in _next_names(t, ".json.partial"):
        os.symlink(target, n)
    r = t.run("backup")
    t.expect(r, 14)
    assert "symbolic link" in r.err, r
    assert open(target).read() == "do not touch\n"
    assert verified(t) == [] and not glob.glob(t.path("backups", "*.sql.gz")), os.listdir(t.path("backups"))
    # the planted links are not removed as stale partials either: they stay as evidence
    assert len(glob.glob(t.path("backups", "*.json.partial"))) == 40


@case
def symlink_at_dump_partial_refused(t: Env):
    t.sql("create table a(x int)")
    os.makedirs(t.path("backups"), mode=0o700)
    target = t.write("precious.txt", "do not touch\n")
    for n in _next_names(t, ".partial"):
        os.symlink(target, n)
    r = t.run("backup")
    t.expect(r, 14)
    assert "symbolic link" in r.err, r
    assert open(target).read() == "do not touch\n"


@case
def insecure_backup_dir_refused(t: Env):
    t.sql("create table a(x int)")
    d = t.path("backups")
    os.makedirs(d)
    for mode, word in ((0o777, "world-writable"), (0o770, "group-writable"), (0o1777, "world-writable")):
        os.chmod(d, mode)
        r = t.run("backup")
        t.expect(r, 14)
        assert word in r.err and "--backup-dir-insecure-ok" in r.err, r
        assert os.listdir(d) == []
    os.chmod(d, 0o700)
    os.chown(d, 65534, 65534)
    r = t.run("backup")
    t.expect(r, 14)
    assert "owned by uid 65534" in r.err, r
    os.chown(d, 0, 0)
    os.chmod(d, 0o777)
    r = t.run("backup", "--backup-dir-insecure-ok")
    t.expect(r, 0)
    r = t.run("backup", env={"PREDEPLOY_BACKUP_DIR_INSECURE_OK": "1"})
    t.expect(r, 0)
    assert len(verified(t)) == 2


if __name__ == "__main__":
    main()
